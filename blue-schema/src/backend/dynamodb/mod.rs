//! The DynamoDB backend (feature `dynamodb`), on `aws-sdk-dynamodb`.
//!
//! One DynamoDB table per domain table: key schema `pk` (S, HASH) and `sk`
//! (S, RANGE), on-demand billing. An item holds `pk`, `sk`, `created_at` and
//! one top-level attribute per entity field, written by `serde_dynamo`, so
//! any other DynamoDB client reads it as a plain item:
//!
//! ```text
//! pk = "nvidia-dec", sk = "EXPERT#muffin", created_at = "2026-11-28T09:30:07.123Z",
//! dialogue_id = "nvidia-dec", name = "muffin", role = "skeptic", tier = 1, score = 42
//! ```
//!
//! The SQLite backend's `size` column has no attribute here: DynamoDB sizes
//! items and pages itself, and an extra attribute would change the item's
//! size.
//!
//! What each operation sends (one request each, unless said otherwise):
//!
//! | operation | request |
//! |---|---|
//! | `get`, `get_record` | `GetItem`, strongly consistent unless asked otherwise |
//! | `put` | one `UpdateItem`: `SET` every attribute the item has, `REMOVE` those of the entity it lacks, `created_at = if_not_exists(created_at, :now)`; see below for the two exceptions |
//! | `create` | `PutItem` with `attribute_not_exists(pk)` |
//! | `delete`, `delete_returning` | `DeleteItem` |
//! | one query page | `Query` with the page size as `Limit` |
//! | one page of `count` | the same `Query` with `Select = COUNT`; for a reader that may skip items of its range (an entity with nested children, a table or collection enum), `ProjectionExpression = pk, sk` and the recognised keys counted |
//! | `put_all` of n items | ⌈n/100⌉ `BatchGetItem` for the existing `created_at`s, then ⌈n/25⌉ `BatchWriteItem`, retrying unprocessed items |
//! | `create_table` | `DescribeTable`, `CreateTable` if missing, `DescribeTable` until `ACTIVE` |
//!
//! **`put` is atomic**: DynamoDB applies the update whole, so a reader sees
//! the old item or the new one, and a failed request leaves the old one. An
//! item too large for an update (DynamoDB charges an update 19 bytes per
//! attribute on top of the item), or an entity whose `Serialize` writes
//! attribute names its schema does not list, is instead written whole by a
//! `PutItem` conditioned on the `created_at` a consistent `GetItem` read just
//! before: two requests, each writing a whole item.
//!
//! **Pages** follow DynamoDB's rules, which the SQLite backend copies: a
//! page ends after its `Limit` of evaluated items, or before the item that
//! would take it past 1 MB, and then carries a cursor, even when nothing
//! follows (the next page is then empty).
//!
//! **`put_all`** is not one transaction here: DynamoDB's `BatchWriteItem`
//! takes 25 items. Every item is checked before the first request, so limit
//! errors still write nothing, but a failure part-way (a throttled batch
//! that stays throttled, a lost connection) leaves the earlier batches
//! written, each item whole. Re-running the same `put_all` is safe. A
//! concurrent `put` of the same key between its read of `created_at` and
//! its write can make that key's `created_at` the batch's rather than the
//! first writer's.
//!
//! **Where requests run**: on the caller's tokio runtime when a store future
//! is polled inside one; otherwise (no runtime, another executor, or
//! [`block_on`](crate::block_on)) on a one-thread runtime the library
//! starts on first use. Dropping a future cancels its request; DynamoDB then
//! may or may not have applied a write, which is whole either way.
//!
//! **Failures.** The backend, not the SDK, decides when to send a request
//! again, because a request whose answer was lost may have been applied:
//!
//! | what went wrong | what the caller is told |
//! |---|---|
//! | throttling, a write refused because another Region of a global table with multi-Region strong consistency was writing the item, or the connection refused (nothing applied) | nothing: sent again with backoff, up to the client's `max_attempts`; then [`Error::Throttled`] (with DynamoDB's [reasons](crate::ThrottleReason)), [`Error::ReplicatedWriteConflict`] or [`Error::Unavailable`] |
//! | no answer, a reset connection, an answer cut off, an attempt timed out ([`DEFAULT_ATTEMPT_TIMEOUT`] unless configured), HTTP 5xx | for a read or a transaction (always sent with an idempotency token, a fresh one when the caller gave none): nothing, sent again; for a put (plain, `create`, conditional, versioned), a plain `delete` and a batch write: one consistent read of the item (each item of the batch), and success when it finds the write applied (the put's own item; no item after the delete), else [`Error::Unavailable`]; for an update, a delete returning the old item, a conditional delete: [`Error::Unavailable`] at once. Unavailable means applied once or not at all |
//! | anything else | the matching error, at once |
//!
//! So a write is never applied twice by the library, no error blames a
//! write for its own earlier attempt, and no write is sent again after
//! one that may have been applied: a second application could come after
//! another client's write and undo it (readers would see the first write,
//! the other one, then the first again). `tests/reliability/faults.rs`
//! proves this for every operation through a proxy that breaks requests,
//! and `tests/reliability/history` checks that histories of concurrent
//! clients under such faults stay linearizable. (A request the network
//! holds past its client's timeout and delivers later can still be applied
//! after the caller was told [`Error::Unavailable`]; that is what the
//! error allows, and it is true of every DynamoDB client.)
//!
//! Errors: a missing table is [`Error::TableNotFound`], a failed create
//! [`Error::AlreadyExists`], throttling that outlasts the attempts
//! [`Error::Throttled`], another Region's write of the same item that
//! outlasts them [`Error::ReplicatedWriteConflict`], no answer or a server error
//! [`Error::Unavailable`]; anything else is [`Error::Backend`]. Each has a
//! [`RequestError`] source with the operation, DynamoDB's error code and the
//! SDK error.

mod batch;
mod capacity;
mod clauses;
mod error;
mod item;
mod kept;
mod metrics;
mod put;
mod read;
#[cfg(any(feature = "streams", feature = "lambda"))]
mod record;
#[cfg(feature = "lambda")]
pub(crate) use record::StreamRecord;
mod retry;
#[cfg(feature = "streams")]
mod stream;
#[cfg(feature = "streams")]
pub(crate) use stream::StreamReader;
mod table;
mod throttle;
mod transact;
mod write;

use std::collections::BTreeMap;
use std::fmt;
use std::num::NonZeroU32;
use std::sync::Arc;

pub use aws_config;
pub use aws_sdk_dynamodb;

use aws_sdk_dynamodb::config::SharedInterceptor;
use aws_sdk_dynamodb::Client;
use serde::Serialize;

pub use error::{RequestError, UnprocessedItems};

use self::item::{item_size, Attributes};
use self::metrics::{CountRequests, Requests};
use crate::backend::engine::{Engine, ScanOf};
use crate::capacity::Meter;
use crate::error::AnyItem;
use crate::error::ItemError;
use crate::exec::tokio_bridge;
use crate::ops::decode::{Decoder, StoredKeys};
use crate::ops::{
    CreateTable, Delete, Get, GetMany, PageOf, Put, PutBatch, QueryPage, ScanPage, SweepExpired,
    TransactWrite, UpdateOp,
};
use crate::query::Explain;
use crate::schema::{PARTITION_KEY, SORT_KEY};
use crate::Error;

pub(crate) const NAME: &str = "dynamodb";

/// Attempts at a batch before its unprocessed items are an error, unless
/// [`DynamoDbBackend::with_batch_attempts`] says otherwise.
pub const DEFAULT_BATCH_ATTEMPTS: NonZeroU32 = match NonZeroU32::new(12) {
    Some(n) => n,
    None => NonZeroU32::MIN,
};

/// How long one attempt at a request may wait for its answer, unless the
/// SDK configuration sets an operation attempt timeout.
pub const DEFAULT_ATTEMPT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// The DynamoDB backend: a `Client` and a count of the requests it sent.
///
/// ```no_run
/// # fn main() -> Result<(), blue_schema::Error> {
/// use blue_schema::backend::dynamodb::DynamoDbBackend;
///
/// // The standard AWS configuration chain: AWS_REGION, AWS_PROFILE,
/// // AWS_ENDPOINT_URL_DYNAMODB, SSO, instance roles...
/// let backend = blue_schema::block_on(DynamoDbBackend::from_env())?.with_table_prefix("dev_")?;
/// let store = blue_schema::Store::from_backend(backend);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct DynamoDbBackend {
    /// The caller's configuration, for [`client`](DynamoDbBackend::client).
    client: Client,
    /// The same with the SDK's retries off: the backend's own requests.
    sdk: Client,
    requests: Arc<Requests>,
    prefix: Arc<str>,
    batch_attempts: NonZeroU32,
    /// Attempts at one request (see [`retry`]).
    attempts: NonZeroU32,
    /// The capacity units of a metered store's operations.
    meter: Option<Arc<Meter>>,
    /// The usage of the one operation this clone runs, when it is metered
    /// or traced (see [`on_tokio`](DynamoDbBackend::on_tokio)).
    usage: Option<Arc<capacity::OpUsage>>,
    /// The client of the tables' streams, for the change feed.
    #[cfg(feature = "streams")]
    streams: Option<aws_sdk_dynamodbstreams::Client>,
}

impl fmt::Debug for DynamoDbBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DynamoDbBackend")
            .field("prefix", &self.prefix)
            .field("requests_sent", &self.requests_sent())
            .finish_non_exhaustive()
    }
}

/// `work(backend)`'s future, made in the box it is polled from.
///
/// `Box::pin(work(backend))` makes the future (as large as the SDK's, about
/// 10 KB) on the stack and copies it into the box; allocating first lets
/// the compiler write it in place.
fn boxed<F, Fut>(work: F, backend: DynamoDbBackend) -> std::pin::Pin<Box<Fut>>
where
    F: FnOnce(DynamoDbBackend) -> Fut,
{
    Box::into_pin(Box::write(Box::new_uninit(), work(backend)))
}

impl DynamoDbBackend {
    /// A backend on a copy of `client`'s configuration, with a request
    /// counter added (and tokio's timer, if the configuration has none, for
    /// the backoff between retries).
    ///
    /// The backend retries failed requests itself, only where a second
    /// application is harmless (see "Failures" in the module
    /// documentation), up to the configuration's `max_attempts` (3 when it
    /// sets none); the SDK's own retries are off for the backend's requests
    /// ([`client`](DynamoDbBackend::client) keeps them for yours). An attempt that
    /// gets no answer within [`DEFAULT_ATTEMPT_TIMEOUT`] fails, unless the
    /// configuration sets an operation attempt timeout of its own.
    pub fn new(client: &Client) -> DynamoDbBackend {
        use aws_sdk_dynamodb::config::timeout::TimeoutConfig;

        let requests = Arc::new(Requests::default());
        let has_sleep = client.config().sleep_impl().is_some();
        let attempts = client
            .config()
            .retry_config()
            .map_or(3, |r| r.max_attempts())
            .max(1);
        let mut timeouts = client
            .config()
            .timeout_config()
            .map_or_else(TimeoutConfig::builder, TimeoutConfig::to_builder);
        if client
            .config()
            .timeout_config()
            .and_then(TimeoutConfig::operation_attempt_timeout)
            .is_none()
        {
            timeouts = timeouts.operation_attempt_timeout(DEFAULT_ATTEMPT_TIMEOUT);
        }
        let mut config = client
            .config()
            .to_builder()
            .timeout_config(timeouts.build());
        // Permanent: an interceptor that can be disabled has the SDK look
        // in the request's configuration, before every hook of every
        // request, for whether it was (about 6 000 instructions a request).
        config.push_interceptor(SharedInterceptor::permanent(CountRequests(
            requests.clone(),
        )));
        if !has_sleep {
            config = config.sleep_impl(aws_smithy_async::rt::sleep::SharedAsyncSleep::new(
                aws_smithy_async::rt::sleep::TokioSleep::new(),
            ));
        }
        let config = config.build();
        let sdk = Client::from_conf(
            config
                .to_builder()
                .retry_config(aws_sdk_dynamodb::config::retry::RetryConfig::disabled())
                .build(),
        );
        DynamoDbBackend {
            client: Client::from_conf(config),
            sdk,
            requests,
            prefix: Arc::from(""),
            batch_attempts: DEFAULT_BATCH_ATTEMPTS,
            attempts: NonZeroU32::new(attempts).unwrap_or(NonZeroU32::MIN),
            meter: None,
            usage: None,
            #[cfg(feature = "streams")]
            streams: None,
        }
    }

    /// A backend from an SDK configuration, such as
    /// `aws_config::load_defaults(BehaviorVersion::latest()).await`.
    ///
    /// With feature `streams`, the backend also gets a DynamoDB Streams
    /// client from the same configuration, for the change feed
    /// ([`crate::feed`]).
    pub fn from_sdk_config(config: &aws_config::SdkConfig) -> DynamoDbBackend {
        let backend = DynamoDbBackend::new(&Client::new(config));
        #[cfg(feature = "streams")]
        let backend = backend.with_streams_client(aws_sdk_dynamodbstreams::Client::new(config));
        backend
    }

    /// Reads the tables' streams (the change feed, [`crate::feed`]) with
    /// `client`: [`new`](DynamoDbBackend::new) has none, as a DynamoDB
    /// client's configuration cannot make one, so a backend made from a
    /// client needs this for [`Store::changes`](crate::Store::changes).
    /// The client keeps its own retries (its reads are all safe to repeat).
    #[cfg(feature = "streams")]
    pub fn with_streams_client(
        mut self,
        client: aws_sdk_dynamodbstreams::Client,
    ) -> DynamoDbBackend {
        self.streams = Some(client);
        self
    }

    /// A backend configured by the standard AWS chain: environment
    /// (`AWS_REGION`, `AWS_ENDPOINT_URL_DYNAMODB`, `AWS_ACCESS_KEY_ID`...),
    /// shared config and credentials files (`AWS_PROFILE`), SSO, web
    /// identity and instance metadata.
    ///
    /// # Errors
    ///
    /// [`Error::Backend`] only when no runtime can be started to load the
    /// configuration.
    pub async fn from_env() -> Result<DynamoDbBackend, Error> {
        let config = tokio_bridge::run(async {
            Ok(aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await)
        })
        .await?;
        Ok(DynamoDbBackend::from_sdk_config(&config))
    }

    /// Puts `prefix` before every table name: with `dev_`, the table
    /// `blue_dialogue` is `dev_blue_dialogue` in DynamoDB. One account can
    /// then hold several environments, or test runs, side by side. Errors
    /// still name the table as the schema does.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidTableName`] when the prefix has characters DynamoDB
    /// refuses in table names (only `[A-Za-z0-9_.-]` are allowed) or is too
    /// long to leave room for a name.
    pub fn with_table_prefix(mut self, prefix: &str) -> Result<DynamoDbBackend, Error> {
        // The shortest table name is three characters.
        crate::backend::engine::check_table_name(&format!("{prefix}abc")).map_err(|_| {
            Error::InvalidTableName {
                name: format!("{prefix}…"),
            }
        })?;
        self.prefix = Arc::from(prefix);
        Ok(self)
    }

    /// How many times a `BatchWriteItem` or `BatchGetItem` is sent while
    /// DynamoDB leaves part of it unprocessed, before `put_all` or a copy
    /// fails with [`Error::Throttled`] (default [`DEFAULT_BATCH_ATTEMPTS`];
    /// the waits between them double from 25 ms to 2 s).
    #[must_use]
    pub fn with_batch_attempts(mut self, attempts: NonZeroU32) -> DynamoDbBackend {
        self.batch_attempts = attempts;
        self
    }

    /// The DynamoDB name of a schema's table: the prefix and the name.
    pub fn table_name(&self, table: &str) -> String {
        let mut name = String::with_capacity(self.prefix.len() + table.len());
        name.push_str(&self.prefix);
        name.push_str(table);
        name
    }

    /// A client with the backend's configuration and request counter, for
    /// requests of your own. It keeps the SDK's retries of your
    /// configuration; the backend's own requests go through a copy without
    /// them (see "Failures" above).
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// How many HTTP requests the backend has sent so far, each retry
    /// counted. Clones of the backend share the count.
    pub fn requests_sent(&self) -> u64 {
        self.requests.total()
    }

    /// The requests sent so far by DynamoDB operation (`GetItem`,
    /// `BatchWriteItem`...), each retry counted.
    pub fn requests_by_operation(&self) -> BTreeMap<String, u64> {
        self.requests.by_operation()
    }

    /// Whether the table exists (one `DescribeTable`).
    ///
    /// # Errors
    ///
    /// As any request: [`Error::Unavailable`] when DynamoDB cannot be
    /// reached, [`Error::Backend`] when it refuses.
    pub async fn table_exists(&self, table: &str) -> Result<bool, Error> {
        let backend = self.clone();
        let table = table.to_owned();
        tokio_bridge::run(async move { Ok(backend.describe(&table, "").await?.is_some()) }).await
    }

    /// Runs `work` on this backend, on tokio (see the module documentation).
    ///
    /// The work is boxed: the SDK's futures take kilobytes, and unboxed they
    /// would make every store future that can reach this backend as large,
    /// SQLite's included, each one copied when it is made and moved. Callers
    /// box the operation `work` takes too: a future whose captures are all
    /// pointers is written straight into its box, one that holds an
    /// operation by value was made on the stack and copied, whole (a copy of
    /// 8 to 9 KB an update).
    async fn on_tokio<T, F, Fut>(&self, work: F) -> Result<T, Error>
    where
        F: FnOnce(DynamoDbBackend) -> Fut,
        Fut: std::future::Future<Output = Result<T, Error>> + Send + 'static,
        T: Send + 'static,
    {
        if self.meter.is_none() && !crate::trace::wanted() {
            return tokio_bridge::run(boxed(work, self.clone())).await;
        }
        let usage = Arc::new(capacity::OpUsage::default());
        let mut backend = self.clone();
        backend.usage = Some(usage.clone());
        let result = tokio_bridge::run(boxed(work, backend)).await;
        if let Some(reasons) = usage.throttled_by() {
            crate::trace::throttled(&reasons);
        }
        let usage = usage.total();
        if let Some(meter) = &self.meter {
            meter.add(usage.consumed);
        }
        crate::trace::record(&usage);
        result
    }

    /// The same client, with a fresh meter of capacity units.
    pub(crate) fn metered(&self) -> DynamoDbBackend {
        DynamoDbBackend {
            meter: Some(Arc::default()),
            ..self.clone()
        }
    }

    pub(crate) fn meter(&self) -> Option<&Meter> {
        self.meter.as_deref()
    }

    /// Counts items this operation wrote that its responses do not name.
    pub(super) fn wrote(&self, items: usize) {
        if let Some(usage) = &self.usage {
            usage.add(items as u64, crate::capacity::Consumed::ZERO);
        }
    }
}

impl Engine for DynamoDbBackend {
    type Item = Attributes;
    type Raw = Attributes;

    const NAME: &'static str = NAME;
    const PARALLEL_SCAN: bool = true;

    fn encode<T: Serialize + ?Sized>(item: &T) -> Result<Attributes, ItemError> {
        item::encode(item)
    }

    fn raw_to_json(raw: &Attributes, keys: StoredKeys<'_>) -> Result<serde_json::Value, Error> {
        serde_dynamo::from_item(raw.clone()).map_err(|e| keys.decode_error(e))
    }

    fn raw_to_item(raw: Attributes, keys: StoredKeys<'_>) -> Result<(Attributes, usize), Error> {
        let size = item_size(&raw)
            + PARTITION_KEY.len()
            + keys.partition_key.len()
            + SORT_KEY.len()
            + keys.sort_key.len()
            + crate::limits::check::Stamps {
                created_at: keys.created_at,
                updated_at: keys.updated_at,
            }
            .size();
        Ok((raw, size))
    }

    async fn create_table_op(&self, op: CreateTable) -> Result<bool, Error> {
        self.on_tokio(|b| async move { b.create_table_now(op.table).await })
            .await
    }

    async fn drop_table_op(&self, op: CreateTable) -> Result<bool, Error> {
        self.on_tokio(|b| async move { b.drop_table_now(op.table.name).await })
            .await
    }

    async fn sweep_expired_op(&self, op: SweepExpired) -> Result<u64, Error> {
        // DynamoDB's TTL process deletes expired items; reads hide them
        // until it has.
        let _ = op;
        Ok(0)
    }

    async fn get_op<D: Decoder>(&self, op: Get) -> Result<Option<D::Output>, Error> {
        let op = Box::new(op);
        self.on_tokio(|b| async move { b.get_item::<D>(*op).await })
            .await
    }

    async fn put_op(&self, op: Box<Put<Attributes>>) -> Result<(), Error> {
        self.on_tokio(|b| async move { b.put_item(*op).await })
            .await
    }

    async fn put_batch_op(&self, op: PutBatch<Attributes>) -> Result<(), Error> {
        let op = Box::new(op);
        self.on_tokio(|b| async move { b.put_items(*op).await })
            .await
    }

    async fn delete_op<D: Decoder>(&self, op: Delete) -> Result<Option<D::Output>, Error> {
        let op = Box::new(op);
        if !op.checks.is_empty() {
            return self
                .on_tokio(|b| async move { b.conditional_delete::<D>(*op).await })
                .await;
        }
        self.on_tokio(|b| async move { b.delete_item::<D>(*op).await })
            .await
    }

    async fn update_op(&self, op: UpdateOp) -> Result<Option<AnyItem>, Error> {
        let op = Box::new(op);
        self.on_tokio(|b| async move { b.update_item_op(*op).await })
            .await
    }

    async fn transact_write_op(&self, op: TransactWrite<Attributes>) -> Result<(), Error> {
        let op = Box::new(op);
        self.on_tokio(|b| async move { b.transact(*op).await })
            .await
    }

    async fn get_many_op<D: Decoder>(&self, op: GetMany) -> Result<Vec<Option<D::Output>>, Error> {
        let op = Box::new(op);
        self.on_tokio(|b| async move { b.read_many::<D>(*op).await })
            .await
    }

    async fn query_op<D: Decoder>(&self, op: QueryPage) -> Result<PageOf<D::Output>, Error> {
        let op = Box::new(op);
        self.on_tokio(|b| async move { b.query_page::<D>(*op).await })
            .await
    }

    async fn count_op<C: crate::ops::decode::Counter>(
        &self,
        op: QueryPage,
    ) -> Result<PageOf<()>, Error> {
        let op = Box::new(op);
        self.on_tokio(|b| async move { b.count_page::<C>(*op).await })
            .await
    }

    async fn scan_op(&self, op: ScanPage) -> Result<ScanOf<Attributes>, Error> {
        let op = Box::new(op);
        self.on_tokio(|b| async move { b.scan_page(*op).await })
            .await
    }

    fn explain(&self, op: &QueryPage) -> Explain {
        Explain::new(
            &op.spec,
            &self.table_name(op.spec.table),
            op.start.as_ref(),
            op.limit,
        )
    }
}

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
//! | `get`, `get_record` | `GetItem`, strongly consistent |
//! | `put` | `UpdateItem` setting every attribute and `created_at = if_not_exists(created_at, :now)`, returning the old item; a second request only when the old item had attributes the new one lacks (see below) |
//! | `create` | `PutItem` with `attribute_not_exists(pk)` |
//! | `delete`, `delete_returning` | `DeleteItem` |
//! | one query page | `Query`, strongly consistent, `Limit` one above the page size |
//! | `put_all` of n items | ⌈n/100⌉ `BatchGetItem` for the existing `created_at`s, then ⌈n/25⌉ `BatchWriteItem`, retrying unprocessed items |
//! | `create_table` | `DescribeTable`, `CreateTable` if missing, `DescribeTable` until `ACTIVE` |
//!
//! **`put`** must replace the whole item and keep its `created_at`, in one
//! request. `UpdateItem` keeps `created_at`, but cannot remove attributes it
//! was not told about; so it returns the old item, and if that held an
//! attribute the new one lacks (a field the struct no longer has, or one
//! skipped by `skip_serializing_if`), a `PutItem` conditioned on the
//! `created_at` just read replaces the item whole. An entity whose update
//! expression would pass DynamoDB's 4 KB limit is written the same way
//! (a conditional `PutItem`, then the replacing one).
//!
//! **Pages** match the SQLite backend's exactly: a page ends after the
//! query's limit or before the item that would take it past 1 MB, and has a
//! cursor only when more items follow. To know that without an empty last
//! page, each `Query` asks for one item more than the page holds.
//!
//! **`put_all`** is not one transaction here: DynamoDB's `BatchWriteItem`
//! takes 25 items. Every item is checked before the first request, so limit
//! errors still write nothing, but a failure part-way (a throttled batch
//! that stays throttled, a lost connection) leaves the earlier batches
//! written. Re-running the same `put_all` is safe. A concurrent `put` of
//! the same key between its read of `created_at` and its write can make
//! that key's `created_at` the batch's rather than the first writer's.
//!
//! Errors: a missing table is [`Error::TableNotFound`], a failed condition
//! [`Error::AlreadyExists`]; everything else the service or the connection
//! reports (throttling after the SDK's retries, validation, credentials) is
//! [`Error::Backend`] with a [`RequestError`] source that keeps DynamoDB's
//! error code and the SDK error.
//!
//! The SDK's futures need a tokio runtime.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use aws_config;
pub use aws_sdk_dynamodb;

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{AsyncSleep, ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType, KeysAndAttributes,
    PutRequest, ReturnValue, ReturnValuesOnConditionCheckFailure, ScalarAttributeType,
    TableDescription, TableStatus, WriteRequest,
};
use aws_sdk_dynamodb::Client;

use super::{check_table_name, Backend, BoxFuture};
use crate::limits::CREATED_AT;
use crate::ops::{
    Delete, Get, ItemData, ItemDataRef, ItemFormat, ItemKey, ItemRef, ItemSink, Put, PutBatch,
    QueryPage, ScanPage, StoredItem, WriteItem,
};
use crate::query::{Order, SortKeyCondition};
use crate::schema::TableSchema;
use crate::Error;

const NAME: &str = "dynamodb";
const PK: &str = "pk";
const SK: &str = "sk";

/// Items per `BatchWriteItem`, DynamoDB's maximum.
pub const BATCH_WRITE_ITEMS: usize = 25;
/// Keys per `BatchGetItem`, DynamoDB's maximum.
pub const BATCH_GET_KEYS: usize = 100;
/// DynamoDB's limit on the length of an expression.
const MAX_EXPRESSION_BYTES: usize = 4096;
/// Attempts at a batch before its unprocessed items are an error, unless
/// [`DynamoDbBackend::with_batch_attempts`] says otherwise.
pub const DEFAULT_BATCH_ATTEMPTS: u32 = 12;
/// Attempts at replacing an item that keeps changing under a `put`.
const PUT_ATTEMPTS: u32 = 8;
/// How long `create_table` waits for a new table to become `ACTIVE`.
const TABLE_ACTIVE_TIMEOUT: Duration = Duration::from_secs(120);

/// The DynamoDB backend: a `Client` and a count of the requests it sent.
///
/// ```no_run
/// # async fn f() -> Result<(), blue_schema::Error> {
/// use blue_schema::backend::dynamodb::DynamoDbBackend;
///
/// // The standard AWS configuration chain: AWS_REGION, AWS_PROFILE,
/// // AWS_ENDPOINT_URL_DYNAMODB, instance roles...
/// let store = blue_schema::Store::from_backend(DynamoDbBackend::from_env().await);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct DynamoDbBackend {
    client: Client,
    requests: Arc<Requests>,
    prefix: Arc<str>,
    batch_attempts: u32,
}

/// The requests a backend has sent, by DynamoDB operation.
#[derive(Debug, Default)]
struct Requests {
    total: AtomicU64,
    by_operation: Mutex<BTreeMap<String, u64>>,
}

impl fmt::Debug for DynamoDbBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DynamoDbBackend")
            .field("requests_sent", &self.requests_sent())
            .finish_non_exhaustive()
    }
}

/// Counts every HTTP request the client sends, retries included.
#[derive(Debug)]
struct CountRequests(Arc<Requests>);

impl Intercept for CountRequests {
    fn name(&self) -> &'static str {
        "blue_schema::CountRequests"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        self.0.total.fetch_add(1, Ordering::Relaxed);
        // `X-Amz-Target: DynamoDB_20120810.GetItem`
        let operation = context
            .request()
            .headers()
            .get("x-amz-target")
            .and_then(|target| target.rsplit('.').next())
            .unwrap_or("unknown");
        let mut counts = self
            .0
            .by_operation
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match counts.get_mut(operation) {
            Some(count) => *count += 1,
            None => {
                counts.insert(operation.to_owned(), 1);
            }
        }
        Ok(())
    }
}

impl DynamoDbBackend {
    /// A backend on a copy of `client`'s configuration, with a request
    /// counter added (and tokio's timer, if the configuration has none, for
    /// the backoff between batch retries).
    pub fn new(client: &Client) -> DynamoDbBackend {
        let requests = Arc::new(Requests::default());
        let has_sleep = client.config().sleep_impl().is_some();
        let mut config = client
            .config()
            .to_builder()
            .interceptor(CountRequests(requests.clone()));
        if !has_sleep {
            config = config.sleep_impl(aws_smithy_async::rt::sleep::SharedAsyncSleep::new(
                aws_smithy_async::rt::sleep::TokioSleep::new(),
            ));
        }
        let config = config.build();
        DynamoDbBackend {
            client: Client::from_conf(config),
            requests,
            prefix: Arc::from(""),
            batch_attempts: DEFAULT_BATCH_ATTEMPTS,
        }
    }

    /// Puts `prefix` before every table name: with `dev_`, the table
    /// `blue_dialogue` is `dev_blue_dialogue` in DynamoDB. One account can
    /// then hold several environments, or test runs, side by side. Errors
    /// still name the table as the schema does.
    ///
    /// # Panics
    ///
    /// When the prefix holds a character DynamoDB refuses in table names
    /// (only `[A-Za-z0-9_.-]` are allowed).
    #[must_use]
    pub fn with_table_prefix(mut self, prefix: &str) -> DynamoDbBackend {
        assert!(
            prefix
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')),
            "table prefix {prefix:?} has characters DynamoDB refuses in table names"
        );
        self.prefix = Arc::from(prefix);
        self
    }

    /// How many times a `BatchWriteItem` or `BatchGetItem` is sent while
    /// DynamoDB leaves part of it unprocessed, before `put_all` or a copy
    /// fails with [`Error::Backend`] (default [`DEFAULT_BATCH_ATTEMPTS`];
    /// the waits between them double from 25 ms to 2 s).
    ///
    /// # Panics
    ///
    /// When `attempts` is 0.
    #[must_use]
    pub fn with_batch_attempts(mut self, attempts: u32) -> DynamoDbBackend {
        assert!(attempts > 0, "a batch needs at least one attempt");
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

    /// A backend from an SDK configuration, such as
    /// `aws_config::load_defaults(BehaviorVersion::latest()).await`.
    pub fn from_sdk_config(config: &aws_config::SdkConfig) -> DynamoDbBackend {
        DynamoDbBackend::new(&Client::new(config))
    }

    /// A backend configured by the standard AWS chain: environment
    /// (`AWS_REGION`, `AWS_ENDPOINT_URL_DYNAMODB`, `AWS_ACCESS_KEY_ID`...),
    /// shared config and credentials files (`AWS_PROFILE`), SSO, web
    /// identity and instance metadata.
    pub async fn from_env() -> DynamoDbBackend {
        let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        DynamoDbBackend::from_sdk_config(&config)
    }

    /// The client the backend sends its requests with.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// How many HTTP requests the backend has sent so far, each retry
    /// counted. Clones of the backend share the count.
    pub fn requests_sent(&self) -> u64 {
        self.requests.total.load(Ordering::Relaxed)
    }

    /// The requests sent so far by DynamoDB operation (`GetItem`,
    /// `BatchWriteItem`...), each retry counted.
    pub fn requests_by_operation(&self) -> BTreeMap<String, u64> {
        self.requests
            .by_operation
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Whether the table exists (one `DescribeTable`).
    ///
    /// # Errors
    ///
    /// [`Error::Backend`] when DynamoDB cannot be reached or refuses.
    pub async fn table_exists(&self, table: &str) -> Result<bool, Error> {
        Ok(self.describe(table, "").await?.is_some())
    }

    async fn sleep(&self, duration: Duration) -> Result<(), Error> {
        match self.client.config().sleep_impl() {
            Some(sleep) => {
                sleep.sleep(duration).await;
                Ok(())
            }
            None => Err(backend_message(
                "the SDK client has no sleep implementation",
            )),
        }
    }
}

/// A request DynamoDB, or the way to it, failed: the source of an
/// [`Error::Backend`] from the DynamoDB backend.
#[derive(Debug)]
pub struct RequestError {
    operation: &'static str,
    code: Option<String>,
    message: String,
    source: aws_sdk_dynamodb::Error,
}

impl RequestError {
    /// The DynamoDB operation: `PutItem`, `Query`...
    pub fn operation(&self) -> &'static str {
        self.operation
    }

    /// DynamoDB's error code (`ThrottlingException`,
    /// `ProvisionedThroughputExceededException`, `ValidationException`...),
    /// or `None` when no response came (a connection or timeout error).
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }

    /// Whether DynamoDB refused the request for capacity, after the SDK's
    /// retries: a caller may back off and try again.
    pub fn is_throttling(&self) -> bool {
        matches!(
            self.code(),
            Some(
                "ThrottlingException"
                    | "ProvisionedThroughputExceededException"
                    | "RequestLimitExceeded"
            )
        )
    }

    /// The SDK's error.
    pub fn sdk_error(&self) -> &aws_sdk_dynamodb::Error {
        &self.source
    }
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.operation, self.message)
    }
}

impl std::error::Error for RequestError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// Maps an SDK error to the store's: a missing table is
/// [`Error::TableNotFound`], anything else [`Error::Backend`].
fn request_error<E>(
    operation: &'static str,
    table: &'static str,
) -> impl FnOnce(SdkError<E, HttpResponse>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    aws_sdk_dynamodb::Error: From<SdkError<E, HttpResponse>>,
{
    move |e| {
        let code = e.code().map(str::to_owned);
        if code.as_deref() == Some("ResourceNotFoundException") {
            return Error::TableNotFound { table };
        }
        let message = match e.message() {
            Some(message) => format!("{}: {message}", code.as_deref().unwrap_or("error")),
            None => DisplayErrorContext(&e).to_string(),
        };
        Error::Backend {
            backend: NAME,
            source: Box::new(RequestError {
                operation,
                code,
                message,
                source: e.into(),
            }),
        }
    }
}

fn is_condition_failure<E: ProvideErrorMetadata>(e: &SdkError<E, HttpResponse>) -> bool {
    e.code() == Some("ConditionalCheckFailedException")
}

fn backend_message(message: impl Into<String>) -> Error {
    Error::Backend {
        backend: NAME,
        source: message.into().into(),
    }
}

fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_owned())
}

fn key_map(key: &ItemKey<'_>) -> HashMap<String, AttributeValue> {
    HashMap::from([
        (PK.to_owned(), s(key.partition_key())),
        (SK.to_owned(), s(key.sort_key())),
    ])
}

/// The attribute values of an item to write.
fn attributes(data: ItemData) -> Result<HashMap<String, AttributeValue>, Error> {
    match data {
        ItemData::AttributeValues(attributes) => Ok(attributes),
        #[allow(unreachable_patterns)]
        _ => Err(backend_message(
            "the item is not in the attribute-value format this backend asked for",
        )),
    }
}

/// The whole item: the entity's attributes, its key and `created_at`.
fn full_item(
    key: &ItemKey<'_>,
    mut attributes: HashMap<String, AttributeValue>,
    created_at: &str,
) -> HashMap<String, AttributeValue> {
    attributes.insert(PK.to_owned(), s(key.partition_key()));
    attributes.insert(SK.to_owned(), s(key.sort_key()));
    attributes.insert(CREATED_AT.to_owned(), s(created_at));
    attributes
}

/// An item read from DynamoDB, split into the parts an [`ItemRef`] borrows.
struct ReadItem {
    partition_key: String,
    sort_key: String,
    created_at: String,
    attributes: HashMap<String, AttributeValue>,
}

impl ReadItem {
    fn new(mut item: HashMap<String, AttributeValue>) -> ReadItem {
        let mut take = |name: &str| match item.remove(name) {
            Some(AttributeValue::S(value)) => value,
            // Only an item written by another client can lack these (not
            // the key) or hold another type; it reads as empty.
            _ => String::new(),
        };
        let partition_key = take(PK);
        let sort_key = take(SK);
        let created_at = take(CREATED_AT);
        ReadItem {
            partition_key,
            sort_key,
            created_at,
            attributes: item,
        }
    }

    fn as_ref(&self, table: &'static str, with_created_at: bool) -> ItemRef<'_> {
        ItemRef {
            table,
            partition_key: &self.partition_key,
            sort_key: &self.sort_key,
            created_at: with_created_at.then_some(self.created_at.as_str()),
            data: ItemDataRef::AttributeValues(&self.attributes),
        }
    }

    fn into_stored(self, table: &'static str) -> StoredItem {
        StoredItem {
            table,
            partition_key: self.partition_key,
            sort_key: self.sort_key,
            created_at: self.created_at,
            data: ItemData::AttributeValues(self.attributes),
        }
    }
}

/// `SET #a0 = :a0, ..., #c = if_not_exists(#c, :c)`, or `None` past
/// DynamoDB's expression limit.
struct UpdateExpression {
    expression: String,
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl UpdateExpression {
    fn new(
        attributes: &HashMap<String, AttributeValue>,
        created_at: &str,
    ) -> Option<UpdateExpression> {
        use std::fmt::Write;
        let mut expression = String::with_capacity(16 + attributes.len() * 16);
        let mut names = HashMap::with_capacity(attributes.len() + 1);
        let mut values = HashMap::with_capacity(attributes.len() + 1);
        expression.push_str("SET ");
        for (i, (name, value)) in attributes.iter().enumerate() {
            let _ = write!(expression, "#a{i} = :a{i}, ");
            if expression.len() > MAX_EXPRESSION_BYTES {
                return None;
            }
            names.insert(format!("#a{i}"), name.clone());
            values.insert(format!(":a{i}"), value.clone());
        }
        expression.push_str("#c = if_not_exists(#c, :c)");
        names.insert("#c".to_owned(), CREATED_AT.to_owned());
        values.insert(":c".to_owned(), s(created_at));
        (expression.len() <= MAX_EXPRESSION_BYTES).then_some(UpdateExpression {
            expression,
            names,
            values,
        })
    }
}

/// Whether an `UpdateItem` can write the item. DynamoDB charges an update
/// for what its request carries, which is more than the item: 3 bytes, 19
/// per `SET` clause plus the attribute's name and value, and 39 plus the
/// operands for `if_not_exists`. An item close to 400 KB passes `PutItem`
/// but not that charge. (The rule is the one the dynoxide emulator
/// captured from DynamoDB; the margin keeps this side of it.)
fn update_fits(
    key: &ItemKey<'_>,
    attributes: &HashMap<String, AttributeValue>,
    size: usize,
    created_at: &str,
) -> bool {
    const MARGIN: usize = 1024;
    let bookkeeping = PK.len()
        + key.partition_key().len()
        + SK.len()
        + key.sort_key().len()
        + CREATED_AT.len()
        + created_at.len();
    let entity_bytes = size.saturating_sub(bookkeeping);
    let keep_created_at = 19 + CREATED_AT.len() + 39 + 1 + 14 + CREATED_AT.len() + created_at.len();
    let charge = 3 + 19 * attributes.len() + entity_bytes + keep_created_at;
    charge + MARGIN <= crate::limits::MAX_ITEM_BYTES
}

/// The condition of a [`DynamoDbBackend::put_if`].
enum Condition<'a> {
    /// No item has the key; on failure, return the old item if asked.
    Absent { return_old: bool },
    /// The item's `created_at` is this.
    CreatedAt(&'a str),
}

/// What a conditional `PutItem` did.
enum PutOutcome {
    Written,
    /// The condition failed; the old item, when it was asked for.
    ConditionFailed(Option<HashMap<String, AttributeValue>>),
}

/// What the first request of a `put` found.
enum FirstWrite {
    /// The item is written.
    Done,
    /// An item existed and must be replaced whole, keeping this `created_at`.
    Replace(String),
}

impl DynamoDbBackend {
    /// The table's description, or `None` if there is no such table;
    /// errors name `schema_table`.
    async fn describe(
        &self,
        table: &str,
        schema_table: &'static str,
    ) -> Result<Option<TableDescription>, Error> {
        match self
            .client
            .describe_table()
            .table_name(self.table_name(table))
            .send()
            .await
        {
            Ok(out) => Ok(out.table),
            Err(e) if e.code() == Some("ResourceNotFoundException") => Ok(None),
            Err(e) => Err(request_error("DescribeTable", schema_table)(e)),
        }
    }

    async fn create_table_now(&self, schema: &'static TableSchema) -> Result<(), Error> {
        let table = schema.name;
        check_table_name(NAME, table)?;
        let mut created = false;
        let mut waited = Duration::ZERO;
        let mut pause = Duration::from_millis(20);
        loop {
            match self.describe(table, table).await? {
                Some(description) => {
                    check_key_schema(table, &description)?;
                    if description.table_status == Some(TableStatus::Active) {
                        return Ok(());
                    }
                }
                None if !created => {
                    self.create(table).await?;
                    created = true;
                    continue;
                }
                None => {}
            }
            if waited >= TABLE_ACTIVE_TIMEOUT {
                return Err(backend_message(format!(
                    "table {table} did not become ACTIVE within {TABLE_ACTIVE_TIMEOUT:?}"
                )));
            }
            self.sleep(pause).await?;
            waited += pause;
            pause = (pause * 2).min(Duration::from_secs(2));
        }
    }

    async fn create(&self, table: &'static str) -> Result<(), Error> {
        let attribute = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .expect("name and type are set")
        };
        let key = |name: &str, key_type| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(key_type)
                .build()
                .expect("name and type are set")
        };
        let result = self
            .client
            .create_table()
            .table_name(self.table_name(table))
            .attribute_definitions(attribute(PK))
            .attribute_definitions(attribute(SK))
            .key_schema(key(PK, KeyType::Hash))
            .key_schema(key(SK, KeyType::Range))
            .billing_mode(BillingMode::PayPerRequest)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // Another store created it first.
            Err(e) if e.code() == Some("ResourceInUseException") => Ok(()),
            Err(e) => Err(request_error("CreateTable", table)(e)),
        }
    }

    async fn get_now(&self, op: &Get<'_>, sink: &mut ItemSink<'_>) -> Result<(), Error> {
        let table = op.key.table();
        let out = self
            .client
            .get_item()
            .table_name(self.table_name(table))
            .set_key(Some(key_map(&op.key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(request_error("GetItem", table))?;
        if let Some(item) = out.item {
            sink(ReadItem::new(item).as_ref(table, op.with_created_at))?;
        }
        Ok(())
    }

    async fn put_now(&self, op: Put) -> Result<(), Error> {
        let size = op.item.size();
        let (key, data, created_at) = op.item.into_parts();
        let attributes = attributes(data)?;
        if op.if_not_exists {
            return self.create_item(&key, attributes, &created_at).await;
        }
        for _ in 0..PUT_ATTEMPTS {
            let first = if update_fits(&key, &attributes, size, &created_at) {
                self.first_write(&key, &attributes, &created_at).await?
            } else {
                self.first_write_large(&key, &attributes, &created_at)
                    .await?
            };
            let old_created_at = match first {
                FirstWrite::Done => return Ok(()),
                FirstWrite::Replace(old) => old,
            };
            if self
                .replace(&key, attributes.clone(), &old_created_at)
                .await?
            {
                return Ok(());
            }
        }
        Err(backend_message(format!(
            "{} | {} of {} changed under each of {PUT_ATTEMPTS} attempts to replace it",
            key.partition_key(),
            key.sort_key(),
            key.table()
        )))
    }

    /// A `PutItem` of the whole item, if `condition` holds.
    async fn put_if(
        &self,
        key: &ItemKey<'_>,
        attributes: HashMap<String, AttributeValue>,
        created_at: &str,
        condition: Condition<'_>,
    ) -> Result<PutOutcome, Error> {
        let table = key.table();
        let request = self
            .client
            .put_item()
            .table_name(self.table_name(table))
            .set_item(Some(full_item(key, attributes, created_at)));
        let request = match condition {
            Condition::Absent { return_old } => {
                let request = request
                    .condition_expression("attribute_not_exists(#pk)")
                    .expression_attribute_names("#pk", PK);
                if return_old {
                    request.return_values_on_condition_check_failure(
                        ReturnValuesOnConditionCheckFailure::AllOld,
                    )
                } else {
                    request
                }
            }
            Condition::CreatedAt(old) => request
                .condition_expression("#c = :c")
                .expression_attribute_names("#c", CREATED_AT)
                .expression_attribute_values(":c", s(old)),
        };
        match request.send().await {
            Ok(_) => Ok(PutOutcome::Written),
            Err(e) if is_condition_failure(&e) => {
                Ok(PutOutcome::ConditionFailed(match e.into_service_error() {
                    PutItemError::ConditionalCheckFailedException(failed) => failed.item,
                    _ => None,
                }))
            }
            Err(e) => Err(request_error("PutItem", table)(e)),
        }
    }

    /// `PutItem` if no item has the key: [`Error::AlreadyExists`] otherwise.
    async fn create_item(
        &self,
        key: &ItemKey<'_>,
        attributes: HashMap<String, AttributeValue>,
        created_at: &str,
    ) -> Result<(), Error> {
        let condition = Condition::Absent { return_old: false };
        match self.put_if(key, attributes, created_at, condition).await? {
            PutOutcome::Written => Ok(()),
            PutOutcome::ConditionFailed(_) => Err(Error::AlreadyExists {
                table: key.table(),
                partition_key: key.partition_key().to_owned(),
                sort_key: key.sort_key().to_owned(),
            }),
        }
    }

    /// One `UpdateItem` that writes every attribute and keeps `created_at`;
    /// enough unless the old item had attributes the new one lacks.
    async fn first_write(
        &self,
        key: &ItemKey<'_>,
        attributes: &HashMap<String, AttributeValue>,
        created_at: &str,
    ) -> Result<FirstWrite, Error> {
        let table = key.table();
        let Some(update) = UpdateExpression::new(attributes, created_at) else {
            return self.first_write_large(key, attributes, created_at).await;
        };

        let out = self
            .client
            .update_item()
            .table_name(self.table_name(table))
            .set_key(Some(key_map(key)))
            .update_expression(update.expression)
            .set_expression_attribute_names(Some(update.names))
            .set_expression_attribute_values(Some(update.values))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(request_error("UpdateItem", table))?;
        let Some(mut old) = out.attributes else {
            return Ok(FirstWrite::Done);
        };
        let stale = old.keys().any(|name| {
            !attributes.contains_key(name) && name != PK && name != SK && name != CREATED_AT
        });
        if !stale {
            return Ok(FirstWrite::Done);
        }
        match old.remove(CREATED_AT) {
            Some(AttributeValue::S(old_created_at)) => Ok(FirstWrite::Replace(old_created_at)),
            // An item written without `created_at` by another client: the
            // update just gave it ours.
            _ => Ok(FirstWrite::Replace(created_at.to_owned())),
        }
    }

    /// The first write of an item too large for an update: a `PutItem` if
    /// the key is free, else the old item's `created_at`.
    async fn first_write_large(
        &self,
        key: &ItemKey<'_>,
        attributes: &HashMap<String, AttributeValue>,
        created_at: &str,
    ) -> Result<FirstWrite, Error> {
        let condition = Condition::Absent { return_old: true };
        match self
            .put_if(key, attributes.clone(), created_at, condition)
            .await?
        {
            PutOutcome::Written => Ok(FirstWrite::Done),
            PutOutcome::ConditionFailed(old) => {
                match old.and_then(|mut old| old.remove(CREATED_AT)) {
                    Some(AttributeValue::S(old_created_at)) => {
                        Ok(FirstWrite::Replace(old_created_at))
                    }
                    _ => Ok(FirstWrite::Replace(created_at.to_owned())),
                }
            }
        }
    }

    /// Replaces the item whole if its `created_at` is still `created_at`;
    /// `false` when it changed (or the item went) since it was read.
    async fn replace(
        &self,
        key: &ItemKey<'_>,
        attributes: HashMap<String, AttributeValue>,
        created_at: &str,
    ) -> Result<bool, Error> {
        let condition = Condition::CreatedAt(created_at);
        match self.put_if(key, attributes, created_at, condition).await? {
            PutOutcome::Written => Ok(true),
            PutOutcome::ConditionFailed(_) => Ok(false),
        }
    }

    async fn put_batch_now(&self, op: PutBatch) -> Result<(), Error> {
        let table = op.table;
        let mut created = if op.replace_created_at {
            HashMap::new()
        } else {
            self.existing_created_at(table, &op.items).await?
        };
        let mut requests = Vec::with_capacity(op.items.len());
        for item in op.items {
            let (key, data, now) = item.into_parts();
            let created_at = created
                .remove(&(key.partition_key().to_owned(), key.sort_key().to_owned()))
                .unwrap_or(now);
            let item = full_item(&key, attributes(data)?, &created_at);
            requests.push(
                WriteRequest::builder()
                    .put_request(
                        PutRequest::builder()
                            .set_item(Some(item))
                            .build()
                            .expect("the item is set"),
                    )
                    .build(),
            );
        }
        while !requests.is_empty() {
            let rest = requests.split_off(requests.len().min(BATCH_WRITE_ITEMS));
            self.write_batch(table, requests).await?;
            requests = rest;
        }
        Ok(())
    }

    /// The `created_at` of each of `items` that exists already.
    async fn existing_created_at(
        &self,
        table: &'static str,
        items: &[WriteItem],
    ) -> Result<HashMap<(String, String), String>, Error> {
        let name = self.table_name(table);
        let mut found = HashMap::new();
        for chunk in items.chunks(BATCH_GET_KEYS) {
            let keys: Vec<_> = chunk.iter().map(|item| key_map(item.key())).collect();
            let mut request = Some(
                KeysAndAttributes::builder()
                    .set_keys(Some(keys))
                    .projection_expression("#pk, #sk, #c")
                    .expression_attribute_names("#pk", PK)
                    .expression_attribute_names("#sk", SK)
                    .expression_attribute_names("#c", CREATED_AT)
                    .consistent_read(true)
                    .build()
                    .expect("keys are set"),
            );
            let mut attempt = 0;
            while let Some(keys) = request.take() {
                let out = self
                    .client
                    .batch_get_item()
                    .request_items(self.table_name(table), keys)
                    .send()
                    .await
                    .map_err(request_error("BatchGetItem", table))?;
                for item in out.responses.into_iter().flat_map(|mut r| r.remove(&name)) {
                    for item in item {
                        let read = ReadItem::new(item);
                        found.insert((read.partition_key, read.sort_key), read.created_at);
                    }
                }
                request = out
                    .unprocessed_keys
                    .and_then(|mut u| u.remove(&name))
                    .filter(|k| !k.keys.is_empty());
                if request.is_some() {
                    attempt += 1;
                    self.back_off(table, "BatchGetItem", attempt).await?;
                }
            }
        }
        Ok(found)
    }

    /// One `BatchWriteItem`, retrying its unprocessed items with backoff.
    async fn write_batch(
        &self,
        table: &'static str,
        mut requests: Vec<WriteRequest>,
    ) -> Result<(), Error> {
        let name = self.table_name(table);
        let mut attempt = 0;
        loop {
            let out = self
                .client
                .batch_write_item()
                .request_items(&name, requests)
                .send()
                .await
                .map_err(request_error("BatchWriteItem", table))?;
            requests = out
                .unprocessed_items
                .and_then(|mut u| u.remove(&name))
                .unwrap_or_default();
            if requests.is_empty() {
                return Ok(());
            }
            attempt += 1;
            self.back_off(table, "BatchWriteItem", attempt).await?;
        }
    }

    /// Waits before retrying a batch's unprocessed part: 25 ms doubling to
    /// 2 s, with jitter; an error after the backend's batch attempts.
    async fn back_off(
        &self,
        table: &'static str,
        operation: &'static str,
        attempt: u32,
    ) -> Result<(), Error> {
        if attempt >= self.batch_attempts {
            return Err(backend_message(format!(
                "{operation} on {table} left items unprocessed after {attempt} attempts"
            )));
        }
        let base = Duration::from_millis(25) * 2u32.pow(attempt.min(7));
        let capped = base.min(Duration::from_secs(2));
        let jitter = Duration::from_millis(u64::from(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos() % 25)
                .unwrap_or(0),
        ));
        self.sleep(capped + jitter).await
    }

    async fn delete_now(&self, op: &Delete<'_>) -> Result<Option<StoredItem>, Error> {
        let table = op.key.table();
        let out = self
            .client
            .delete_item()
            .table_name(self.table_name(table))
            .set_key(Some(key_map(&op.key)))
            .return_values(if op.return_old {
                ReturnValue::AllOld
            } else {
                ReturnValue::None
            })
            .send()
            .await
            .map_err(request_error("DeleteItem", table))?;
        Ok(out
            .attributes
            .filter(|_| op.return_old)
            .map(|old| ReadItem::new(old).into_stored(table)))
    }

    async fn scan_now(
        &self,
        op: &ScanPage,
        sink: &mut ItemSink<'_>,
    ) -> Result<Option<(String, String)>, Error> {
        let table = op.table;
        let mut request = self
            .client
            .scan()
            .table_name(self.table_name(table))
            .consistent_read(true);
        if let Some((pk, sk)) = &op.resume_after {
            request = request.set_exclusive_start_key(Some(HashMap::from([
                (PK.to_owned(), s(pk)),
                (SK.to_owned(), s(sk)),
            ])));
        }
        if let Some(limit) = op.limit {
            request = request.limit(i32::try_from(limit).unwrap_or(i32::MAX));
        }
        let out = request.send().await.map_err(request_error("Scan", table))?;
        for item in out.items.unwrap_or_default() {
            sink(ReadItem::new(item).as_ref(table, true))?;
        }
        Ok(out.last_evaluated_key.map(|key| {
            let read = ReadItem::new(key);
            (read.partition_key, read.sort_key)
        }))
    }

    async fn query_now(
        &self,
        op: &QueryPage,
        sink: &mut ItemSink<'_>,
    ) -> Result<Option<String>, Error> {
        let spec = &op.spec;
        let table = spec.table;
        let mut request = self
            .client
            .query()
            .table_name(self.table_name(table))
            .consistent_read(true)
            .scan_index_forward(spec.order == Order::Ascending)
            .expression_attribute_names("#pk", PK)
            .expression_attribute_values(":pk", s(&spec.partition_key));
        let condition = match &spec.sort_key {
            None => "#pk = :pk",
            Some(SortKeyCondition::Equals(v)) => {
                request = request.expression_attribute_values(":a", s(v));
                "#pk = :pk AND #sk = :a"
            }
            Some(SortKeyCondition::BeginsWith(p)) => {
                request = request.expression_attribute_values(":a", s(p));
                "#pk = :pk AND begins_with(#sk, :a)"
            }
            Some(SortKeyCondition::Between(a, b)) => {
                request = request
                    .expression_attribute_values(":a", s(a))
                    .expression_attribute_values(":b", s(b));
                "#pk = :pk AND #sk BETWEEN :a AND :b"
            }
        };
        if spec.sort_key.is_some() {
            request = request.expression_attribute_names("#sk", SK);
        }
        request = request.key_condition_expression(condition);
        if let Some(after) = &op.resume_after {
            request = request.set_exclusive_start_key(Some(HashMap::from([
                (PK.to_owned(), s(&spec.partition_key)),
                (SK.to_owned(), s(after)),
            ])));
        }
        let limit = spec.limit.map(|l| l as usize);
        if let Some(limit) = limit {
            // One more than the page: its presence says more follows.
            request = request.limit(i32::try_from(limit + 1).unwrap_or(i32::MAX));
        }
        let out = request
            .send()
            .await
            .map_err(request_error("Query", table))?;
        let items = out.items.unwrap_or_default();
        let more = items.len() > limit.unwrap_or(usize::MAX) || out.last_evaluated_key.is_some();
        let mut last = None;
        for item in items.into_iter().take(limit.unwrap_or(usize::MAX)) {
            let item = ReadItem::new(item);
            sink(item.as_ref(table, op.with_created_at))?;
            last = Some(item.sort_key);
        }
        Ok(last.filter(|_| more))
    }
}

/// Refuses a table whose key schema is not `pk` (S, HASH), `sk` (S, RANGE).
fn check_key_schema(table: &'static str, description: &TableDescription) -> Result<(), Error> {
    let key = |name: &str| {
        description
            .key_schema()
            .iter()
            .find(|k| k.attribute_name() == name)
            .map(|k| k.key_type().clone())
    };
    let string = |name: &str| {
        description
            .attribute_definitions()
            .iter()
            .any(|a| a.attribute_name() == name && *a.attribute_type() == ScalarAttributeType::S)
    };
    let ok = description.key_schema().len() == 2
        && key(PK) == Some(KeyType::Hash)
        && key(SK) == Some(KeyType::Range)
        && string(PK)
        && string(SK);
    if ok {
        return Ok(());
    }
    let found: Vec<String> = description
        .key_schema()
        .iter()
        .map(|k| format!("{} ({})", k.attribute_name(), k.key_type().as_str()))
        .collect();
    Err(backend_message(format!(
        "table {table} exists with another key schema: expected pk (S, HASH) and sk (S, RANGE), found {}",
        found.join(", ")
    )))
}

impl Backend for DynamoDbBackend {
    fn name(&self) -> &'static str {
        NAME
    }

    fn item_format(&self) -> ItemFormat {
        ItemFormat::AttributeValues
    }

    fn create_table<'a>(&'a self, table: &'static TableSchema) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(self.create_table_now(table))
    }

    fn get<'a>(
        &'a self,
        op: &'a Get<'_>,
        sink: &'a mut ItemSink<'_>,
    ) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(self.get_now(op, sink))
    }

    fn put(&self, op: Put) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(self.put_now(op))
    }

    fn put_batch(&self, op: PutBatch) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(self.put_batch_now(op))
    }

    fn delete<'a>(
        &'a self,
        op: &'a Delete<'_>,
    ) -> BoxFuture<'a, Result<Option<StoredItem>, Error>> {
        Box::pin(self.delete_now(op))
    }

    fn query<'a>(
        &'a self,
        op: &'a QueryPage,
        sink: &'a mut ItemSink<'_>,
    ) -> BoxFuture<'a, Result<Option<String>, Error>> {
        Box::pin(self.query_now(op, sink))
    }

    fn scan<'a>(
        &'a self,
        op: &'a ScanPage,
        sink: &'a mut ItemSink<'_>,
    ) -> BoxFuture<'a, Result<Option<(String, String)>, Error>> {
        Box::pin(self.scan_now(op, sink))
    }
}

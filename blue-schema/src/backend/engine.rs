//! What every backend implements ([`Engine`], one method per operation of
//! the IR) and the few types the backends share: the items a table scan
//! reads, and DynamoDB's rule for table names.

use std::future::Future;

use serde::Serialize;

use crate::error::{AnyItem, ItemError};
use crate::ops::decode::{Counter, Decoder, StoredKeys};
use crate::ops::{
    CreateTable, Delete, Get, GetMany, PageOf, Put, PutBatch, QueryPage, ScanPage, SweepExpired,
    TransactWrite, UpdateOp,
};
use crate::query::Explain;
use crate::Error;

/// Whether `name` can be a table name: DynamoDB's rule, 3 to 255 characters
/// of `[A-Za-z0-9_.-]`, which `#[table(name)]` also checks at compile time.
pub fn is_valid_table_name(name: &str) -> bool {
    (3..=255).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// The error for a table name DynamoDB would refuse.
pub(crate) fn check_table_name(table: &str) -> Result<(), Error> {
    if is_valid_table_name(table) {
        Ok(())
    } else {
        Err(Error::InvalidTableName {
            name: table.to_owned(),
        })
    }
}

/// One item read by a table scan, in a backend's own form, with what a copy
/// needs: its keys, write times and size.
pub(crate) struct RawItem<R> {
    pub(crate) partition_key: String,
    pub(crate) sort_key: String,
    pub(crate) created_at: String,
    /// Empty when the item has none.
    pub(crate) updated_at: String,
    pub(crate) data: R,
}

impl<R> RawItem<R> {
    /// Its keys and write times, as a decoder takes them.
    pub(crate) fn keys(&self, table: &'static str) -> StoredKeys<'_> {
        StoredKeys {
            table,
            partition_key: &self.partition_key,
            sort_key: &self.sort_key,
            created_at: &self.created_at,
            updated_at: &self.updated_at,
        }
    }
}

/// One page of a table scan.
pub(crate) struct ScanOf<R> {
    pub(crate) items: Vec<RawItem<R>>,
    /// The key to resume after, when more items may follow.
    pub(crate) next: Option<(String, String)>,
}

/// What each backend implements: one method per operation, on items in the
/// backend's own encoding. Every future is `Send`, owns its operation, and
/// does nothing until it is polled.
pub(crate) trait Engine: Send + Sync + 'static {
    /// An entity as this backend writes it.
    type Item: Send + Sync + Clone + std::fmt::Debug + 'static;
    /// An item as a table scan reads it.
    type Raw: Send + 'static;

    /// The backend's name, for errors.
    const NAME: &'static str;

    /// Whether a scan can be split into segments read in parallel
    /// ([`ScanPage::segment`](crate::ops::ScanPage::segment)): DynamoDB's
    /// can; SQLite, with one writer, reads one segment.
    const PARALLEL_SCAN: bool = false;

    /// Encodes an entity (already checked against the limits).
    fn encode<T: Serialize + ?Sized>(item: &T) -> Result<Self::Item, ItemError>;

    /// The attributes of a scanned item as JSON, for copying it into another
    /// backend.
    fn raw_to_json(raw: &Self::Raw, keys: StoredKeys<'_>) -> Result<serde_json::Value, Error>;

    /// A scanned item as this backend writes it, for copying it into a
    /// store of the same backend, and its size as DynamoDB computes it.
    fn raw_to_item(raw: Self::Raw, keys: StoredKeys<'_>) -> Result<(Self::Item, usize), Error>;

    /// Creates the table and its indexes, or adds the indexes it lacks;
    /// whether an index was added to a table that existed.
    fn create_table_op(&self, op: CreateTable) -> impl Future<Output = Result<bool, Error>> + Send;

    /// Deletes the table, its items and its indexes; whether it existed.
    /// DynamoDB's deletion is waited for, so that the table can be created
    /// again at once.
    fn drop_table_op(&self, op: CreateTable) -> impl Future<Output = Result<bool, Error>> + Send;

    /// Deletes the table's expired items; how many. DynamoDB's own TTL
    /// process deletes them there, and this deletes none.
    fn sweep_expired_op(&self, op: SweepExpired)
        -> impl Future<Output = Result<u64, Error>> + Send;

    fn get_op<D: Decoder>(
        &self,
        op: Get,
    ) -> impl Future<Output = Result<Option<D::Output>, Error>> + Send;

    /// Boxed: the operation is not copied along with its future.
    fn put_op(&self, op: Box<Put<Self::Item>>) -> impl Future<Output = Result<(), Error>> + Send;

    fn put_batch_op(
        &self,
        op: PutBatch<Self::Item>,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    /// Applies an update; returns the old or new item as asked.
    fn update_op(
        &self,
        op: UpdateOp,
    ) -> impl Future<Output = Result<Option<AnyItem>, Error>> + Send;

    /// Applies a write transaction, all or nothing.
    fn transact_write_op(
        &self,
        op: TransactWrite<Self::Item>,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    /// Reads items by key, in the order of the keys.
    fn get_many_op<D: Decoder>(
        &self,
        op: GetMany,
    ) -> impl Future<Output = Result<Vec<Option<D::Output>>, Error>> + Send;

    fn delete_op<D: Decoder>(
        &self,
        op: Delete,
    ) -> impl Future<Output = Result<Option<D::Output>, Error>> + Send;

    fn query_op<D: Decoder>(
        &self,
        op: QueryPage,
    ) -> impl Future<Output = Result<PageOf<D::Output>, Error>> + Send;

    /// Counts one page of a query without returning its items: the
    /// items the page evaluates, keeps (its filter's and expiry's) and
    /// `C` recognises, one `()` each, under the same page rules as
    /// [`query_op`](Engine::query_op) (its limit, 1 MB of evaluated
    /// items) and the same capacity. DynamoDB's `Select = COUNT`.
    fn count_op<C: Counter>(
        &self,
        op: QueryPage,
    ) -> impl Future<Output = Result<PageOf<()>, Error>> + Send;

    fn scan_op(
        &self,
        op: ScanPage,
    ) -> impl Future<Output = Result<ScanOf<Self::Raw>, Error>> + Send;

    // What the store calls: each operation in its tracing span (see
    // `crate::trace`; nothing without the feature).

    fn create_table(&self, op: CreateTable) -> impl Future<Output = Result<bool, Error>> + Send {
        let span = crate::trace::span("create_table", op.table.name, "");
        crate::trace::within(span, self.create_table_op(op))
    }

    fn drop_table(&self, op: CreateTable) -> impl Future<Output = Result<bool, Error>> + Send {
        let span = crate::trace::span("drop_table", op.table.name, "");
        crate::trace::within(span, self.drop_table_op(op))
    }

    fn sweep_expired(&self, op: SweepExpired) -> impl Future<Output = Result<u64, Error>> + Send {
        let span = crate::trace::span("sweep_expired", op.table.name, "");
        crate::trace::within(span, self.sweep_expired_op(op))
    }

    fn get<D: Decoder>(
        &self,
        op: Get,
    ) -> impl Future<Output = Result<Option<D::Output>, Error>> + Send {
        let span = crate::trace::span("get", op.key.table, &op.key.partition_key);
        crate::trace::within(span, self.get_op::<D>(op))
    }

    fn put(&self, op: Put<Self::Item>) -> impl Future<Output = Result<(), Error>> + Send {
        let span = crate::trace::span("put", op.item.key.table, &op.item.key.partition_key);
        // Boxed: a put's future stays under 1 KB with its span (the
        // `footprint` test).
        crate::trace::within(span, self.put_op(Box::new(op)))
    }

    fn put_batch(
        &self,
        op: PutBatch<Self::Item>,
    ) -> impl Future<Output = Result<(), Error>> + Send {
        let span = crate::trace::span("put_batch", op.table, "");
        crate::trace::within(span, self.put_batch_op(op))
    }

    fn update(&self, op: UpdateOp) -> impl Future<Output = Result<Option<AnyItem>, Error>> + Send {
        let span = crate::trace::span("update", op.key.table, &op.key.partition_key);
        crate::trace::within(span, self.update_op(op))
    }

    fn transact_write(
        &self,
        op: TransactWrite<Self::Item>,
    ) -> impl Future<Output = Result<(), Error>> + Send {
        let table = op.actions.first().map_or("", |a| a.key().table);
        let span = crate::trace::span("transact_write", table, "");
        crate::trace::within(span, self.transact_write_op(op))
    }

    fn get_many<D: Decoder>(
        &self,
        op: GetMany,
    ) -> impl Future<Output = Result<Vec<Option<D::Output>>, Error>> + Send {
        let span = crate::trace::span("get_many", op.keys.first().map_or("", |k| k.table), "");
        crate::trace::within(span, self.get_many_op::<D>(op))
    }

    fn delete<D: Decoder>(
        &self,
        op: Delete,
    ) -> impl Future<Output = Result<Option<D::Output>, Error>> + Send {
        let span = crate::trace::span("delete", op.key.table, &op.key.partition_key);
        crate::trace::within(span, self.delete_op::<D>(op))
    }

    fn query<D: Decoder>(
        &self,
        op: QueryPage,
    ) -> impl Future<Output = Result<PageOf<D::Output>, Error>> + Send {
        let span = crate::trace::span("query", op.spec.table, &op.spec.partition_key);
        crate::trace::within(span, self.query_op::<D>(op))
    }

    fn count<C: Counter>(
        &self,
        op: QueryPage,
    ) -> impl Future<Output = Result<PageOf<()>, Error>> + Send {
        let span = crate::trace::span("count", op.spec.table, &op.spec.partition_key);
        crate::trace::within(span, self.count_op::<C>(op))
    }

    fn scan(&self, op: ScanPage) -> impl Future<Output = Result<ScanOf<Self::Raw>, Error>> + Send {
        let span = crate::trace::span("scan", op.table, "");
        crate::trace::within(span, self.scan_op(op))
    }

    /// What a page of this query sends on this backend.
    fn explain(&self, op: &QueryPage) -> Explain;
}

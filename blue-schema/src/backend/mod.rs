//! The seam between the [`Store`](crate::Store) and a database.
//!
//! A [`Backend`] runs the operations of [`ops`](crate::ops) and knows nothing
//! of entity types. The embedded SQLite backend is [`sqlite`]; the DynamoDB
//! backend plugs in beside it. A backend must honour the contract the parity
//! suite checks: same items, same order, same pages, same errors.

use std::future::Future;
use std::pin::Pin;

use crate::ops::{
    Delete, Get, ItemFormat, ItemSink, Put, PutBatch, QueryPage, ScanPage, StoredItem,
};
use crate::schema::TableSchema;
use crate::Error;

#[cfg(feature = "dynamodb")]
pub mod dynamodb;
#[cfg(feature = "sqlite")]
pub mod sqlite;

/// Whether `name` can be a table name: DynamoDB's rule, 3 to 255 characters
/// of `[A-Za-z0-9_.-]`, which `#[table(name)]` also checks at compile time.
/// Every backend refuses other names with the same [`Error::Backend`].
pub fn is_valid_table_name(name: &str) -> bool {
    (3..=255).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// The error for a table name DynamoDB would refuse.
#[cfg(any(feature = "sqlite", feature = "dynamodb"))]
pub(crate) fn check_table_name(backend: &'static str, table: &str) -> Result<(), Error> {
    if is_valid_table_name(table) {
        Ok(())
    } else {
        Err(Error::Backend {
            backend,
            source: format!("{table:?} is not a valid table name (3-255 of [A-Za-z0-9_.-])").into(),
        })
    }
}

/// A boxed future that can move between threads.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A database the store can run on.
///
/// Every method returns a `Send` future, so a store can be used from any
/// task of a multi-threaded runtime. The SQLite backend does its work when
/// the method is called and returns a future that is already complete.
pub trait Backend: Send + Sync + 'static {
    /// A short name for error messages: `sqlite`, `dynamodb`.
    fn name(&self) -> &'static str;

    /// The form in which the backend takes an entity's attributes; the store
    /// writes each [`WriteItem`](crate::ops::WriteItem) in it.
    fn item_format(&self) -> ItemFormat;

    /// Creates the table if it does not exist.
    fn create_table<'a>(&'a self, table: &'static TableSchema) -> BoxFuture<'a, Result<(), Error>>;

    /// Reads one item, handing it to `sink` if it exists.
    fn get<'a>(
        &'a self,
        op: &'a Get<'_>,
        sink: &'a mut ItemSink<'_>,
    ) -> BoxFuture<'a, Result<(), Error>>;

    /// Writes one item, keeping the `created_at` of an item it replaces.
    /// With `if_not_exists`, fails with [`Error::AlreadyExists`] and writes
    /// nothing when the key is taken.
    fn put(&self, op: Put) -> BoxFuture<'_, Result<(), Error>>;

    /// Writes many items of one table, keeping the `created_at` of items it
    /// replaces.
    fn put_batch(&self, op: PutBatch) -> BoxFuture<'_, Result<(), Error>>;

    /// Deletes one item, returning it if asked and it existed.
    fn delete<'a>(&'a self, op: &'a Delete<'_>)
        -> BoxFuture<'a, Result<Option<StoredItem>, Error>>;

    /// Reads one page of a query: at most `spec.limit` items and at most
    /// [`MAX_PAGE_BYTES`](crate::limits::MAX_PAGE_BYTES) of item data, in the
    /// query's order, after `resume_after`, handing each item to `sink`
    /// (and stopping at the sink's first error).
    ///
    /// Returns the sort key of the page's last item when more items may
    /// follow, `None` when the query has no more.
    fn query<'a>(
        &'a self,
        op: &'a QueryPage,
        sink: &'a mut ItemSink<'_>,
    ) -> BoxFuture<'a, Result<Option<String>, Error>>;

    /// Reads one page of every item in a table, handing each to `sink`
    /// with its `created_at`; used to copy a table
    /// ([`migrate`](crate::migrate)), never by typed queries.
    ///
    /// Returns the key to resume after when more items may follow.
    fn scan<'a>(
        &'a self,
        op: &'a ScanPage,
        sink: &'a mut ItemSink<'_>,
    ) -> BoxFuture<'a, Result<Option<(String, String)>, Error>>;
}

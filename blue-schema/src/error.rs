//! The one error type every store operation returns.

use std::fmt;

use crate::item::ItemError;
use crate::limits::LimitError;
use crate::query::QueryError;

/// The boxed source of a backend error.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What went wrong in a store operation. Both backends return the same
/// variant for the same cause; only [`Error::Backend`] carries a
/// backend-specific source.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// `create` found an item with the same key; nothing was written.
    AlreadyExists {
        /// The table.
        table: &'static str,
        /// The item's partition key.
        partition_key: String,
        /// The item's sort key.
        sort_key: String,
    },
    /// The write or key breaks one of DynamoDB's limits; nothing was written.
    Limit(LimitError),
    /// The query cannot run (zero limit, bad key, foreign or altered cursor).
    Query(QueryError),
    /// One batch holds two items with the same key; nothing was written.
    DuplicateKey {
        /// The table.
        table: &'static str,
        /// The repeated partition key.
        partition_key: String,
        /// The repeated sort key.
        sort_key: String,
    },
    /// The entity's `Serialize` implementation produced something that is not
    /// an item (not a struct, a map with non-string keys, or its own error).
    Serialize {
        /// The entity's type name.
        entity: &'static str,
        /// Why.
        source: ItemError,
    },
    /// A stored item does not deserialize into the type asked for, usually
    /// because the struct changed since it was written.
    Decode {
        /// The table.
        table: &'static str,
        /// The item's partition key.
        partition_key: String,
        /// The item's sort key.
        sort_key: String,
        /// The deserializer's error.
        source: BoxError,
    },
    /// The table does not exist: call `Store::create_table` first.
    TableNotFound {
        /// The table.
        table: &'static str,
    },
    /// A [copy](crate::migrate::copy_table) finished, but the target table
    /// holds another number of items than were copied: it held other items
    /// before, or something wrote to it during the copy.
    CountMismatch {
        /// The table.
        table: &'static str,
        /// Items copied.
        copied: u64,
        /// Items the target holds.
        found: u64,
    },
    /// `Store::open` could not make sense of its URL.
    InvalidUrl {
        /// The URL.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The backend failed for a reason of its own (I/O, a locked database
    /// past its busy timeout, a service error).
    Backend {
        /// The backend's name (`sqlite`).
        backend: &'static str,
        /// The backend's error.
        source: BoxError,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::AlreadyExists {
                table,
                partition_key,
                sort_key,
            } => write!(
                f,
                "{table} already holds an item with key {partition_key} | {sort_key}"
            ),
            Error::Limit(e) => e.fmt(f),
            Error::Query(e) => e.fmt(f),
            Error::DuplicateKey {
                table,
                partition_key,
                sort_key,
            } => write!(
                f,
                "the batch for {table} holds key {partition_key} | {sort_key} more than once"
            ),
            Error::Serialize { entity, source } => {
                write!(f, "{entity} cannot be stored: {source}")
            }
            Error::Decode {
                table,
                partition_key,
                sort_key,
                source,
            } => write!(
                f,
                "the item {partition_key} | {sort_key} of {table} does not decode: {source}"
            ),
            Error::TableNotFound { table } => write!(
                f,
                "table {table} does not exist; create it with `store.create_table::<T>()`"
            ),
            Error::CountMismatch {
                table,
                copied,
                found,
            } => write!(
                f,
                "copied {copied} items of {table}, but the target table holds {found}: \
                 it held other items, or something wrote to it during the copy"
            ),
            Error::InvalidUrl { url, reason } => write!(f, "cannot open store {url:?}: {reason}"),
            Error::Backend { backend, source } => write!(f, "{backend} failed: {source}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Limit(e) => Some(e),
            Error::Query(e) => Some(e),
            Error::Serialize { source, .. } => Some(source),
            Error::Decode { source, .. } | Error::Backend { source, .. } => Some(source.as_ref()),
            _ => None,
        }
    }
}

impl From<LimitError> for Error {
    fn from(e: LimitError) -> Self {
        Error::Limit(e)
    }
}

impl From<QueryError> for Error {
    fn from(e: QueryError) -> Self {
        Error::Query(e)
    }
}

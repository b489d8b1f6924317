//! The one error type every store operation returns.
//!
//! Every variant either says everything itself or wraps a cause that it
//! returns from [`source()`](std::error::Error::source) and does not repeat
//! in its `Display`, so reporters such as `anyhow` and `eyre` print each
//! message once:
//!
//! ```text
//! the sqlite database stayed locked by another writer past its busy timeout
//! Caused by: database is locked
//! ```

use std::fmt;

mod item;
mod query;
mod throttle;
mod unique;
mod write;

pub use item::ItemError;
pub use query::{CursorError, QueryError};
pub(crate) use throttle::join as join_reasons;
pub use throttle::{ThrottleLimit, ThrottleReason};
pub use unique::UniqueTaken;
pub use write::{ActionKey, CancelReason, ConditionFailed, ShapeMismatch, TransactionCanceled};
pub(crate) use write::{AnyItem, Current};

use crate::limits::LimitError;

/// The boxed source of a backend error.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What went wrong in a store operation. Both backends return the same
/// variant for the same cause.
///
/// Causes worth retrying are variants of their own, so a program can act
/// on them without downcasting; [`Error::is_retryable`] names them all.
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
    /// A key or an item breaks one of DynamoDB's limits; nothing was
    /// written or read. The same error for the same key whatever the
    /// operation: a get, a write or a query with an empty partition key all
    /// give [`LimitError::EmptyPartitionKey`].
    Limit(LimitError),
    /// The query cannot run: a page size of zero, or a cursor that does
    /// not belong to it.
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
    /// an item; nothing was written.
    Serialize {
        /// The entity's type name.
        entity: &'static str,
        /// What is wrong with it.
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
        /// The table, as the schema names it (without a table prefix).
        table: String,
    },
    /// A table of this name exists but was not made by this library (or by
    /// an incompatible version of it): its columns or key schema differ.
    TableMismatch {
        /// The table.
        table: String,
        /// What was expected and what was found.
        found: String,
    },
    /// A table name that DynamoDB would refuse (3 to 255 characters of
    /// `[A-Za-z0-9_.-]`), such as a table prefix that makes a name too long.
    InvalidTableName {
        /// The name, prefix included.
        name: String,
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
    /// DynamoDB refused the request for capacity, after the backend's
    /// retries (or left batch items unprocessed past the backend's batch
    /// attempts). Nothing was written by the refused request. Retryable:
    /// back off and try again. SQLite never throttles.
    Throttled {
        /// The backend's name (`dynamodb`).
        backend: &'static str,
        /// Why, as DynamoDB said with its last refusal: a hot partition
        /// key ([`ThrottleLimit::KeyRange`]), an index that cannot keep up
        /// with the table's writes, an on-demand maximum, a quota. Empty
        /// when DynamoDB gave no reasons (an emulator, a batch's
        /// unprocessed items, a stream reader).
        reasons: Vec<ThrottleReason>,
        /// The request that was refused.
        source: BoxError,
    },
    /// A write to a global table with multi-Region strong consistency
    /// was refused because another Region was writing the same item
    /// (DynamoDB's `ReplicatedWriteConflictException`), through every
    /// attempt the backend made. Nothing was written. Retryable: the
    /// other Region's write has landed or failed by the time a retry
    /// reads the item again. Never returned by SQLite, nor by DynamoDB
    /// tables in one Region or with eventual multi-Region consistency
    /// (there the last writer wins, see the guide).
    ReplicatedWriteConflict {
        /// The backend's name (`dynamodb`).
        backend: &'static str,
        /// The request that was refused.
        source: BoxError,
    },
    /// The SQLite database stayed locked by another writer past the busy
    /// timeout. Nothing was written. Retryable.
    Busy {
        /// The backend's name (`sqlite`).
        backend: &'static str,
        /// SQLite's error.
        source: BoxError,
    },
    /// The database could not be reached, or did not answer in time, or
    /// answered with a server error, after the attempts the backend could
    /// make safely. A write may or may not have been applied (once at
    /// most): an update or a conditional delete is not sent again after a
    /// failure that may have applied it, since a second application would
    /// differ. Retryable by the caller, who knows whether applying it twice
    /// is harmless.
    Unavailable {
        /// The backend's name.
        backend: &'static str,
        /// The connection's or the service's error.
        source: BoxError,
    },
    /// The item kept changing under the operation through every attempt it
    /// makes (a replacing `put` of an item too large for one update races
    /// with deletes and re-creates of the same key; a write on DynamoDB
    /// that finds an [expired](crate::ttl) item each time it deleted one).
    /// Nothing was written. Retryable.
    Conflict {
        /// The table.
        table: &'static str,
        /// The item's partition key.
        partition_key: String,
        /// The item's sort key.
        sort_key: String,
    },
    /// A write of an entity with `#[unique]` fields found one of its
    /// values held by another item; nothing was written.
    UniqueTaken(Box<UniqueTaken>),
    /// A conditional write's condition did not hold on the stored item;
    /// nothing was written. [`ConditionFailed::current`] gives the item.
    ConditionFailed(Box<ConditionFailed>),
    /// A write of a `#[version]` entity found another version stored (or an
    /// item where none was expected, or none where one was); nothing was
    /// written. [`ConditionFailed::current`] gives the item: re-apply the
    /// change to it and write again.
    VersionConflict(Box<ConditionFailed>),
    /// A write found the item stored in a newer shape than its entity's
    /// ([`crate::schema::shape`]): a newer version of the program wrote
    /// it. Nothing was written, so none of its fields are lost.
    NewerShape(Box<ShapeMismatch>),
    /// A transaction's update found the item stored in an older shape
    /// than its entity's: nothing was written. Upgrade the item (a
    /// [`modify`](crate::Store::modify) that changes nothing, or a
    /// backfill) and run the transaction again; a lone update does this
    /// itself.
    OlderShape(Box<ShapeMismatch>),
    /// An update that must not create found no item with the key; nothing
    /// was written.
    NotFound {
        /// The table.
        table: &'static str,
        /// The key's partition key.
        partition_key: String,
        /// The key's sort key.
        sort_key: String,
    },
    /// An integer update would take the field out of its Rust type's range
    /// (a `u32` below 0, say); nothing was written.
    Overflow {
        /// The table.
        table: &'static str,
        /// The item's partition key.
        partition_key: String,
        /// The item's sort key.
        sort_key: String,
        /// The attribute.
        attribute: String,
    },
    /// An update or condition that cannot run: the message says why (it
    /// changes one field twice, creates an item without a required field,
    /// compares with a value that does not serialize...). Nothing was sent.
    InvalidUpdate {
        /// The entity.
        entity: &'static str,
        /// What is wrong.
        message: String,
    },
    /// A write of a `#[version]` entity that says nothing about the
    /// version: every write path of a versioned entity checks it, unless
    /// the caller opts out (`any_version()`). Nothing was sent.
    VersionRequired {
        /// The entity.
        entity: &'static str,
        /// The operation.
        operation: &'static str,
    },
    /// A transaction whose checks failed: nothing was written. The reasons
    /// are aligned with the actions.
    TransactionCanceled(Box<TransactionCanceled>),
    /// A transaction that cannot be sent (too many actions, an item twice,
    /// too large, or actions in several partitions of a partition-scoped
    /// transaction). Nothing was sent.
    InvalidTransaction {
        /// What is wrong.
        message: String,
    },
    /// A transaction's idempotency token was used, within the last ten
    /// minutes, for a transaction with other actions. Nothing was written.
    IdempotentParameterMismatch {
        /// The token.
        token: String,
    },
    /// A batch read that kept coming back partly unprocessed: the keys it
    /// could not read. Retryable.
    Incomplete {
        /// The table.
        table: &'static str,
        /// The keys not read, as `(partition key, sort key)`.
        unread: Vec<(String, String)>,
    },
    /// A change-feed reader resumed from a cursor whose next records are
    /// gone: older than the feed's retention (24 hours), or in a stream
    /// that was disabled and enabled again. Records were lost to this
    /// reader; rebuild what it maintains from the table, then read from
    /// [`Start::Latest`](crate::feed::Start::Latest).
    FeedGap {
        /// The table.
        table: String,
        /// What is missing.
        detail: String,
    },
    /// A change-feed cursor that does not belong here: another table's, or
    /// the other backend's.
    FeedCursor {
        /// The table whose feed was asked for.
        table: String,
        /// What is wrong with the cursor.
        message: String,
    },
    /// A change-feed consumer's name is leased to another process (see
    /// [`Consumer`](crate::store::Consumer)): open it again once that one
    /// has released it or its lease has run out.
    LeaseHeld {
        /// The consumer's name.
        consumer: String,
        /// The process holding it, when known.
        holder: Option<String>,
    },
    /// Another process took over this consumer's lease (this one stalled
    /// longer than the lease): stop reading; what this one read but did not
    /// commit is read again by the other.
    LeaseLost {
        /// The consumer's name.
        consumer: String,
    },
    /// The backend failed for another reason of its own (I/O, a corrupt
    /// file, a request DynamoDB refused as invalid, credentials).
    Backend {
        /// The backend's name (`sqlite`, `dynamodb`).
        backend: &'static str,
        /// The backend's error.
        source: BoxError,
    },
}

impl Error {
    /// Whether trying the same operation again later may succeed: the
    /// database was throttled, busy, unreachable or contended.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Error::Throttled { .. }
                | Error::ReplicatedWriteConflict { .. }
                | Error::Busy { .. }
                | Error::Unavailable { .. }
                | Error::Conflict { .. }
                | Error::Incomplete { .. }
        ) || matches!(self, Error::TransactionCanceled(c) if c.is_retryable())
    }

    pub(crate) fn backend(backend: &'static str, source: impl Into<BoxError>) -> Error {
        Error::Backend {
            backend,
            source: source.into(),
        }
    }
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
            // Transparent: the wrapped error is the whole message.
            Error::Limit(e) => e.fmt(f),
            Error::NewerShape(e) | Error::OlderShape(e) => e.fmt(f),
            Error::UniqueTaken(e) => e.fmt(f),
            Error::Query(e) => e.fmt(f),
            Error::DuplicateKey {
                table,
                partition_key,
                sort_key,
            } => write!(
                f,
                "the batch for {table} holds key {partition_key} | {sort_key} more than once"
            ),
            Error::Serialize { entity, .. } => write!(f, "{entity} cannot be stored"),
            Error::Decode {
                table,
                partition_key,
                sort_key,
                ..
            } => write!(
                f,
                "the item {partition_key} | {sort_key} of {table} does not decode"
            ),
            Error::TableNotFound { table } => write!(
                f,
                "table {table} does not exist; create it with `store.create_table::<T>()`"
            ),
            Error::TableMismatch { table, found } => write!(
                f,
                "table {table} exists but was not created by blue-schema: {found}"
            ),
            Error::InvalidTableName { name } => write!(
                f,
                "{name:?} is not a valid table name: DynamoDB takes 3 to 255 characters of [A-Za-z0-9_.-]"
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
            Error::Throttled {
                backend, reasons, ..
            } => {
                write!(f, "{backend} refused the request for lack of capacity")?;
                if !reasons.is_empty() {
                    write!(f, " ({})", join_reasons(reasons))?;
                }
                f.write_str("; back off and retry")
            }
            Error::ReplicatedWriteConflict { backend, .. } => write!(
                f,
                "{backend} refused the write: another Region was writing the same item; \
                 nothing was written, retry"
            ),
            Error::Busy { backend, .. } => write!(
                f,
                "the {backend} database stayed locked by another writer past its busy timeout"
            ),
            Error::Unavailable { backend, .. } => write!(
                f,
                "{backend} could not be reached or did not answer; a write may or may not have been applied"
            ),
            Error::Conflict {
                table,
                partition_key,
                sort_key,
            } => write!(
                f,
                "the item {partition_key} | {sort_key} of {table} kept changing under every attempt to write it"
            ),
            Error::Backend { backend, .. } => write!(f, "the {backend} backend failed"),
            Error::LeaseHeld { .. }
            | Error::LeaseLost { .. }
            | Error::FeedCursor { .. }
            | Error::FeedGap { .. } => self.fmt_feed(f),
            Error::ConditionFailed(c) => write!(
                f,
                "the condition on item {} | {} of {} did not hold; nothing was written",
                c.partition_key, c.sort_key, c.table
            ),
            Error::VersionConflict(c) => {
                write!(
                    f,
                    "item {} | {} of {} is not at the expected version ",
                    c.partition_key, c.sort_key, c.table
                )?;
                match (c.expected_version, c.found_version) {
                    (Some(0), Some(found)) => write!(f, "(expected no item, found version {found})"),
                    (Some(e), None) => write!(f, "(expected version {e}, found no item)"),
                    (Some(e), Some(found)) => write!(f, "(expected {e}, found {found})"),
                    _ => Ok(()),
                }?;
                write!(f, "; nothing was written: read it again and retry")
            }
            Error::NotFound {
                table,
                partition_key,
                sort_key,
            } => write!(
                f,
                "{table} holds no item with key {partition_key} | {sort_key}; nothing was written"
            ),
            Error::Overflow {
                table,
                partition_key,
                sort_key,
                attribute,
            } => write!(
                f,
                "the update of item {partition_key} | {sort_key} of {table} would take `{attribute}` \
                 out of its type's range; nothing was written"
            ),
            Error::InvalidUpdate { entity, message } => {
                write!(f, "invalid write of {entity}: {message}")
            }
            Error::VersionRequired { entity, operation } => write!(
                f,
                "{entity} has a `#[version]` field, so `{operation}` must say which version it \
                 expects (`expect_version(v)`) or that any will do (`any_version()`)"
            ),
            Error::TransactionCanceled(c) => c.fmt(f),
            Error::InvalidTransaction { message } => write!(f, "invalid transaction: {message}"),
            Error::IdempotentParameterMismatch { token } => write!(
                f,
                "idempotency token {token:?} was used in the last ten minutes for another transaction"
            ),
            Error::Incomplete { table, unread } => write!(
                f,
                "{} keys of {table} stayed unprocessed after every retry; back off and read them again",
                unread.len()
            ),
        }
    }
}

impl Error {
    /// The messages of the change feed's errors ([`crate::feed`]).
    fn fmt_feed(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::LeaseHeld { consumer, holder } => match holder {
                Some(holder) => write!(
                    f,
                    "change-feed consumer {consumer:?} is held by {holder}; open it once released"
                ),
                None => write!(
                    f,
                    "change-feed consumer {consumer:?} is held by another process"
                ),
            },
            Error::LeaseLost { consumer } => write!(
                f,
                "change-feed consumer {consumer:?} was taken over by another process; stop reading"
            ),
            Error::FeedCursor { table, message } => {
                write!(f, "not a cursor of the change feed of {table}: {message}")
            }
            Error::FeedGap { table, detail } => write!(
                f,
                "the change feed of {table} lost records this reader had not read ({detail}); \
                     rebuild from the table and read from `Start::Latest`"
            ),
            _ => Ok(()),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            // Transparent variants forward their error's source.
            Error::Limit(e) => e.source(),
            Error::Query(e) => e.source(),
            Error::Serialize { source, .. } => Some(source),
            Error::Decode { source, .. }
            | Error::Throttled { source, .. }
            | Error::ReplicatedWriteConflict { source, .. }
            | Error::Busy { source, .. }
            | Error::Unavailable { source, .. }
            | Error::Backend { source, .. } => Some(source.as_ref()),
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

/// The messages of an error and of each of its sources, joined by `: `, as a
/// reporter prints them on one line. Used in tests and examples.
///
/// ```
/// use blue_schema::error_chain;
/// let e = std::io::Error::other("disk full");
/// assert_eq!(error_chain(&e), "disk full");
/// ```
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut out = error.to_string();
    let mut next = error.source();
    while let Some(e) = next {
        out.push_str(": ");
        out.push_str(&e.to_string());
        next = e.source();
    }
    out
}

//! Why a query or its cursor was refused, before anything was sent.

use std::fmt;

/// Why a query cannot run, other than a key that breaks one of DynamoDB's
/// [limits](crate::limits::LimitError). Every backend rejects the same
/// queries with the same error, before sending anything.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum QueryError {
    /// `page_size(0)`: DynamoDB requires a `Limit` of at least 1.
    ZeroPageSize,
    /// The cursor cannot resume this query.
    Cursor(CursorError),
    /// `max_pages(0)`: a read must be allowed at least one page.
    ZeroMaxPages,
    /// A strongly consistent read of a secondary index, which DynamoDB
    /// refuses (the typed builders cannot express it).
    ConsistentIndexRead,
    /// A filter operand that does not serialize, or an `is_in` of no or
    /// more than 100 values.
    InvalidFilter(String),
    /// A range DynamoDB refuses in a key condition: a `BETWEEN` of a
    /// multi-attribute index whose low end is above its high end.
    InvalidRange(String),
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueryError::ZeroPageSize => f.write_str("a query's page size must be at least 1"),
            QueryError::Cursor(e) => write!(f, "invalid cursor: {e}"),
            QueryError::ZeroMaxPages => f.write_str("a query's page bound must be at least 1"),
            QueryError::ConsistentIndexRead => f.write_str(
                "a secondary index cannot be read with strong consistency (DynamoDB's indexes are \
                 eventually consistent); read the items by key for that",
            ),
            QueryError::InvalidFilter(message) => write!(f, "invalid filter: {message}"),
            QueryError::InvalidRange(message) => write!(f, "invalid key condition: {message}"),
        }
    }
}

impl std::error::Error for QueryError {}

/// Why a cursor was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CursorError {
    /// Not a cursor this library wrote, altered since, too long, or holding
    /// a position outside its query.
    Malformed,
    /// A cursor of a different query (table, partition, condition or order).
    WrongQuery,
    /// The store signs its cursors (it has a [`CursorKey`](crate::ops::cursor::CursorKey)) and this one is
    /// unsigned or signed with another key; or the cursor is signed and the
    /// store has no key to check it with.
    Unauthenticated,
}

impl fmt::Display for CursorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CursorError::Malformed => "the cursor is malformed or was altered",
            CursorError::WrongQuery => "the cursor belongs to a different query",
            CursorError::Unauthenticated => {
                "the cursor's signature does not match this store's cursor key"
            }
        })
    }
}

impl std::error::Error for CursorError {}

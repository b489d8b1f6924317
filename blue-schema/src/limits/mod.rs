//! DynamoDB's limits, checked before any backend runs.
//!
//! Both backends reject the same writes with the same [`LimitError`], so
//! nothing that SQLite accepts can fail on DynamoDB for being too large, too
//! deep or unrepresentable:
//!
//! | limit | value | checked on |
//! |---|---|---|
//! | partition key | 1 to 2048 bytes | every write, get, delete and query |
//! | sort key | 1 to 1024 bytes | every write, get and delete; each value of a query's condition |
//! | item size | at most 400 KB (409 600 bytes), computed as DynamoDB does | every write |
//! | nesting | lists and maps at most 32 levels deep | every write |
//! | numbers | finite, at most 38 significant digits, magnitude 1e-130 to below 1e126 | every write |
//! | attribute names | not empty, not [reserved](crate::schema::is_reserved_attribute) | every write |
//!
//! A query's keys are checked by [`QuerySpec::validate`](crate::ops::query::QuerySpec::validate),
//! with the same errors.

pub(crate) mod check;
mod measure;

#[cfg(feature = "sqlite")]
pub(crate) use measure::{attribute_size, raw_attribute_size};

use std::fmt;

/// DynamoDB's limit on the size of a sort key value, in bytes.
pub const MAX_SORT_KEY_BYTES: usize = 1024;

/// DynamoDB's limit on the size of a partition key value, in bytes.
pub const MAX_PARTITION_KEY_BYTES: usize = 2048;
/// The largest item DynamoDB stores: 400 KB, attribute names included.
pub const MAX_ITEM_BYTES: usize = 400 * 1024;
/// How deep a value may sit: DynamoDB refuses any value inside 32 nested
/// lists and maps (an attribute holds at most 31 around a value, 32 around
/// an empty one).
pub const MAX_NESTING_DEPTH: usize = 32;
/// The most significant digits a DynamoDB number holds.
pub const MAX_NUMBER_DIGITS: usize = 38;
/// The most data one query page reads, as DynamoDB's 1 MB page limit.
pub const MAX_PAGE_BYTES: usize = 1024 * 1024;
/// Items per `BatchWriteItem` request, DynamoDB's maximum.
pub const MAX_BATCH_WRITE_ITEMS: usize = 25;
/// Keys per `BatchGetItem` request, DynamoDB's maximum.
pub const MAX_BATCH_GET_KEYS: usize = 100;
/// The longest expression (condition, update, projection) DynamoDB takes,
/// in bytes.
pub const MAX_EXPRESSION_BYTES: usize = 4096;
/// The most actions in one transaction (`TransactWriteItems` or
/// `TransactGetItems`), as DynamoDB.
pub const MAX_TRANSACTION_ACTIONS: usize = 100;
/// The largest transaction, as DynamoDB: 4 MB of items.
pub const MAX_TRANSACTION_BYTES: usize = 4 * 1024 * 1024;

/// A write or key that DynamoDB would reject; every backend rejects it the
/// same way, before anything is written.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LimitError {
    /// The partition key is the empty string.
    EmptyPartitionKey,
    /// The partition key is longer than 2048 bytes.
    PartitionKeyTooLong {
        /// Its length in bytes.
        bytes: usize,
    },
    /// The sort key is the empty string.
    EmptySortKey,
    /// The sort key is longer than 1024 bytes.
    SortKeyTooLong {
        /// Its length in bytes.
        bytes: usize,
    },
    /// The item is larger than 400 KB.
    ItemTooLarge {
        /// Its size as DynamoDB computes it.
        bytes: usize,
    },
    /// Lists and maps nest deeper than 32 levels.
    NestingTooDeep {
        /// Where the 33rd level starts, like `tree.children[0].children`.
        path: String,
    },
    /// A number DynamoDB cannot store.
    InvalidNumber {
        /// Where it is, like `stats.ratio`.
        path: String,
        /// The number as Rust prints it.
        value: String,
        /// What is wrong with it.
        problem: NumberProblem,
    },
    /// A top-level attribute name is empty or
    /// [reserved](crate::schema::is_reserved_attribute) for the library's own
    /// attributes (`pk`, `sk`, `created_at`...), which a hand-written
    /// `Serialize` can produce.
    InvalidAttributeName {
        /// The name.
        name: String,
    },
    /// A secondary-index key would be empty (an index partition key made
    /// of one empty string, without a prefix): DynamoDB refuses an empty
    /// key attribute.
    EmptyIndexKey {
        /// The key attribute, `gsi1pk`.
        attribute: String,
    },
    /// A secondary-index key is longer than DynamoDB allows (2048 bytes
    /// for its partition key, 1024 for its sort key, which ends with the
    /// item's table key).
    IndexKeyTooLong {
        /// The key attribute, `gsi1sk`.
        attribute: String,
        /// Its length in bytes.
        bytes: usize,
        /// The most it may have.
        max: usize,
    },
}

/// Why a number cannot be stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NumberProblem {
    /// NaN or an infinity.
    NotFinite,
    /// More than 38 significant digits.
    TooPrecise {
        /// How many it has.
        digits: usize,
    },
    /// Magnitude of 1e126 or more, or below 1e-130.
    OutOfRange,
}

impl fmt::Display for LimitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LimitError::EmptyPartitionKey => f.write_str("the partition key is empty"),
            LimitError::PartitionKeyTooLong { bytes } => write!(
                f,
                "the partition key is {bytes} bytes; DynamoDB allows at most {MAX_PARTITION_KEY_BYTES}"
            ),
            LimitError::EmptySortKey => f.write_str("the sort key is empty"),
            LimitError::SortKeyTooLong { bytes } => write!(
                f,
                "the sort key is {bytes} bytes; DynamoDB allows at most {MAX_SORT_KEY_BYTES}"
            ),
            LimitError::ItemTooLarge { bytes } => write!(
                f,
                "the item is {bytes} bytes; DynamoDB allows at most {MAX_ITEM_BYTES} \
                 (400 KB, attribute names included): move large values elsewhere and store a reference"
            ),
            LimitError::NestingTooDeep { path } => write!(
                f,
                "`{path}` is inside {MAX_NESTING_DEPTH} nested lists and maps, \
                 more than DynamoDB allows"
            ),
            LimitError::InvalidNumber {
                path,
                value,
                problem,
            } => {
                write!(f, "`{path}` is {value}, which DynamoDB cannot store: ")?;
                match problem {
                    NumberProblem::NotFinite => f.write_str("numbers must be finite"),
                    NumberProblem::TooPrecise { digits } => write!(
                        f,
                        "it has {digits} significant digits and at most {MAX_NUMBER_DIGITS} are kept \
                         (store it as a string)"
                    ),
                    NumberProblem::OutOfRange => f.write_str(
                        "magnitudes must be below 1e126 and, other than 0, at least 1e-130",
                    ),
                }
            }
            LimitError::InvalidAttributeName { name } if name.is_empty() => {
                f.write_str("an attribute name is empty")
            }
            LimitError::InvalidAttributeName { name } => write!(
                f,
                "the item has an attribute named `{name}`, which is reserved for the library's own attributes"
            ),
            LimitError::EmptyIndexKey { attribute } => write!(
                f,
                "the index key `{attribute}` would be empty, which DynamoDB refuses: \
                 give the index partition key a prefix, or make the field an `Option` and leave it `None`"
            ),
            LimitError::IndexKeyTooLong {
                attribute,
                bytes,
                max,
            } => write!(
                f,
                "the index key `{attribute}` is {bytes} bytes; DynamoDB allows at most {max} \
                 (an index sort key also holds the item's table key)"
            ),
        }
    }
}

impl std::error::Error for LimitError {}

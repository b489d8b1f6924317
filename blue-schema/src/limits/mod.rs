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
//! A query's keys are checked by [`QuerySpec::validate`](crate::query::QuerySpec::validate),
//! with the same errors.

mod measure;

use std::fmt;

use crate::backend::mapping::{CREATED_AT, PARTITION_KEY, SORT_KEY, UPDATED_AT};
use crate::error::ItemError;
use crate::key::{MAX_PARTITION_KEY_BYTES, MAX_SORT_KEY_BYTES};
use measure::Problem;

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

/// Checks a partition key and a sort key: not empty, within their lengths.
///
/// # Errors
///
/// The first [`LimitError`] the keys break.
pub(crate) fn check_key(partition_key: &str, sort_key: &str) -> Result<(), LimitError> {
    if partition_key.is_empty() {
        return Err(LimitError::EmptyPartitionKey);
    }
    if partition_key.len() > MAX_PARTITION_KEY_BYTES {
        return Err(LimitError::PartitionKeyTooLong {
            bytes: partition_key.len(),
        });
    }
    if sort_key.is_empty() {
        return Err(LimitError::EmptySortKey);
    }
    if sort_key.len() > MAX_SORT_KEY_BYTES {
        return Err(LimitError::SortKeyTooLong {
            bytes: sort_key.len(),
        });
    }
    Ok(())
}

/// Checks an entity to be stored under `partition_key` and `sort_key` with
/// the write times `stamps`, and returns the item's size as
/// DynamoDB computes it. Nothing is allocated unless there is an error.
///
/// The size follows DynamoDB's documentation: the UTF-8 length of each
/// attribute name (`pk`, `sk`, `created_at` and `updated_at` included) plus the size of its
/// value, where a string or binary is its length in bytes, a boolean or null
/// is 1 byte, a number is 1 byte per two significant digits plus 1 (plus 1
/// more when negative), and a list or map is 3 bytes plus, per element,
/// 1 byte, the element's size and, in a map, its name's length.
///
/// # Errors
///
/// [`CheckError::Limit`] with the first limit the key or item breaks (keys
/// first, then attribute names, nesting and numbers in serialization order,
/// then the size); [`CheckError::NotAnItem`] when the value does not
/// serialize as a struct or map with string keys.
pub(crate) fn check_item<T: serde::Serialize + ?Sized>(
    partition_key: &str,
    sort_key: &str,
    stamps: Stamps<'_>,
    item: &T,
    index_keys: IndexKeys<'_>,
) -> Result<usize, CheckError> {
    check_key(partition_key, sort_key)?;
    let extra = match index_keys {
        IndexKeys::Added(keys) => check_index_keys(keys.iter().map(|(a, v)| (*a, v.as_str())))?,
        IndexKeys::InItem => 0,
    };
    let names = match index_keys {
        IndexKeys::Added(_) => is_attribute_name,
        IndexKeys::InItem => is_attribute_or_index_key_name,
    };
    let bookkeeping = PARTITION_KEY.len()
        + partition_key.len()
        + SORT_KEY.len()
        + sort_key.len()
        + stamps.size()
        + extra;
    let attributes = measure::measure(item, names).map_err(|p| match p {
        Problem::NotAnItem(e) => CheckError::NotAnItem(e),
        Problem::TooDeep { path } => LimitError::NestingTooDeep {
            path: measure::render(&path),
        }
        .into(),
        Problem::Number {
            path,
            value,
            problem,
        } => LimitError::InvalidNumber {
            path: measure::render(&path),
            value,
            problem,
        }
        .into(),
        Problem::AttributeName { name } => LimitError::InvalidAttributeName { name }.into(),
    })?;
    let size = bookkeeping + attributes;
    if size > MAX_ITEM_BYTES {
        return Err(LimitError::ItemTooLarge { bytes: size }.into());
    }
    Ok(size)
}

fn is_attribute_name(name: &str) -> bool {
    !name.is_empty() && !crate::schema::is_reserved_attribute(name)
}

fn is_attribute_or_index_key_name(name: &str) -> bool {
    is_attribute_name(name) || crate::schema::is_index_key_attribute(name)
}

/// Where an item's secondary-index keys are, for [`check_item`].
#[derive(Debug, Clone, Copy)]
pub(crate) enum IndexKeys<'a> {
    /// Beside the item (an entity's own attributes may not use their
    /// names): `(attribute, value)`, checked and counted in the size.
    Added(&'a [(&'static str, String)]),
    /// Among the item's attributes (an item changed or copied as JSON).
    InItem,
}

/// Checks secondary-index keys (`gsi1pk`, `gsi1sk`, …) against DynamoDB's
/// key limits; their size in the item.
pub(crate) fn check_index_keys<'a>(
    keys: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<usize, LimitError> {
    let mut size = 0;
    for (attribute, value) in keys {
        let max = if attribute.ends_with("pk") {
            MAX_PARTITION_KEY_BYTES
        } else {
            MAX_SORT_KEY_BYTES
        };
        if value.is_empty() {
            return Err(LimitError::EmptyIndexKey {
                attribute: attribute.to_owned(),
            });
        }
        if value.len() > max {
            return Err(LimitError::IndexKeyTooLong {
                attribute: attribute.to_owned(),
                bytes: value.len(),
                max,
            });
        }
        size += attribute.len() + value.len();
    }
    Ok(size)
}

/// The write times the library stores beside an item's attributes, as
/// counted in its size.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stamps<'a> {
    /// When the item was first written.
    pub(crate) created_at: &'a str,
    /// When it was last written; empty for an item that has none.
    pub(crate) updated_at: &'a str,
}

impl<'a> Stamps<'a> {
    #[cfg_attr(not(feature = "dynamodb"), allow(dead_code))]
    pub(crate) fn of(created_at: &'a str, updated_at: &'a str) -> Stamps<'a> {
        Stamps {
            created_at,
            updated_at,
        }
    }

    /// The bytes they add to the item's size: each attribute's name and
    /// value (an absent `updated_at` adds nothing).
    pub(crate) fn size(&self) -> usize {
        let updated = if self.updated_at.is_empty() {
            0
        } else {
            UPDATED_AT.len() + self.updated_at.len()
        };
        CREATED_AT.len() + self.created_at.len() + updated
    }
}

/// Why [`check_item`] refused an item.
#[derive(Debug)]
pub(crate) enum CheckError {
    /// It breaks one of DynamoDB's limits.
    Limit(LimitError),
    /// It is not an item at all.
    NotAnItem(ItemError),
}

impl From<LimitError> for CheckError {
    fn from(e: LimitError) -> Self {
        CheckError::Limit(e)
    }
}

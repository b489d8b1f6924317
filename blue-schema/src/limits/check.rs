//! The checks of keys and items against DynamoDB's limits, run before any
//! backend is asked to write.

use super::measure::{self, Problem};
use super::{LimitError, MAX_ITEM_BYTES, MAX_PARTITION_KEY_BYTES, MAX_SORT_KEY_BYTES};
use crate::error::ItemError;
use crate::schema::{CREATED_AT, PARTITION_KEY, SORT_KEY, UPDATED_AT};

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
    let attributes = measure_attributes(item, names)?;
    let size = bookkeeping + attributes;
    if size > MAX_ITEM_BYTES {
        return Err(LimitError::ItemTooLarge { bytes: size }.into());
    }
    Ok(size)
}

/// The size of `attributes` (some or all of an item's, changed or copied
/// as JSON, index keys among them) as DynamoDB counts them, and what it
/// would refuse in them: [`check_item`] without the keys, the write times
/// and the 400 KB limit. An item's size is the sum of its attributes'
/// sizes, so that a write which changes a few attributes can swap theirs
/// in the stored size.
#[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
pub(crate) fn attributes_size<T: serde::Serialize + ?Sized>(
    attributes: &T,
) -> Result<usize, CheckError> {
    measure_attributes(attributes, is_attribute_or_index_key_name)
}

fn measure_attributes<T: serde::Serialize + ?Sized>(
    item: &T,
    names: fn(&str) -> bool,
) -> Result<usize, CheckError> {
    measure::measure(item, names).map_err(|p| match p {
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
    })
}

/// An attribute an item may hold: not a reserved name, except the shape
/// the library writes itself (which the derive refuses as a field name).
fn is_attribute_name(name: &str) -> bool {
    !name.is_empty()
        && (!crate::schema::is_reserved_attribute(name)
            || name == crate::schema::SHAPE_ATTRIBUTE
            || name == crate::schema::shape::BACKFILL_ATTRIBUTE)
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
        check_string(attribute, value, attribute.ends_with("pk"))?;
        size += attribute.len() + value.len();
    }
    Ok(size)
}

/// A string in an index's key attribute in the key attribute `name`, of the
/// partition key (`hash`) or the sort key.
pub(crate) fn check_string(name: &str, value: &str, hash: bool) -> Result<(), LimitError> {
    let max = if hash {
        MAX_PARTITION_KEY_BYTES
    } else {
        MAX_SORT_KEY_BYTES
    };
    if value.is_empty() {
        return Err(LimitError::EmptyIndexKey {
            attribute: name.to_owned(),
        });
    }
    if value.len() > max {
        return Err(LimitError::IndexKeyTooLong {
            attribute: name.to_owned(),
            bytes: value.len(),
            max,
        });
    }
    Ok(())
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

//! DynamoDB's limits, checked before any backend runs.
//!
//! Both backends reject the same writes with the same [`LimitError`], so
//! nothing that SQLite accepts can fail on DynamoDB for being too large, too
//! deep or unrepresentable:
//!
//! | limit | value | checked by |
//! |---|---|---|
//! | partition key | 1 to 2048 bytes | [`check_key`] |
//! | sort key | 1 to 1024 bytes | [`check_key`] |
//! | item size | at most 400 KB (409 600 bytes), computed as DynamoDB does | [`check_item`] |
//! | nesting | lists and maps at most 32 levels deep | [`check_item`] |
//! | numbers | finite, at most 38 significant digits, magnitude 1e-130 to below 1e126 | [`check_item`] |
//! | attribute names | not empty, not one of the bookkeeping attributes | [`check_item`] |
//!
//! A query's keys are checked by [`QuerySpec::validate`](crate::query::QuerySpec::validate).

use std::fmt;

use crate::item::{Item, Number, Value};
use crate::key::{MAX_PARTITION_KEY_BYTES, MAX_SORT_KEY_BYTES};

/// The largest item DynamoDB stores: 400 KB, attribute names included.
pub const MAX_ITEM_BYTES: usize = 400 * 1024;
/// How deep lists and maps may nest.
pub const MAX_NESTING_DEPTH: usize = 32;
/// The most significant digits a DynamoDB number holds.
pub const MAX_NUMBER_DIGITS: usize = 38;
/// The most data one query page reads, as DynamoDB's 1 MB page limit.
pub const MAX_PAGE_BYTES: usize = 1024 * 1024;

/// The attributes every stored item carries besides the entity's fields.
pub const KEY_ATTRIBUTES: [&str; 2] = ["pk", "sk"];
/// The bookkeeping attribute holding when the item was first written.
pub const CREATED_AT: &str = "created_at";

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
    /// A top-level attribute name is empty or one the library writes itself
    /// (`pk`, `sk`, `created_at`), which a flattened map can produce.
    InvalidAttributeName {
        /// The name.
        name: String,
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
                "`{path}` nests lists and maps more than {MAX_NESTING_DEPTH} levels deep, \
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
                "the item has an attribute named `{name}`, which the library writes itself"
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
pub fn check_key(partition_key: &str, sort_key: &str) -> Result<(), LimitError> {
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

/// Checks an item to be stored under `partition_key` and `sort_key` with a
/// `created_at` of `created_at_len` bytes, and returns its size as DynamoDB
/// computes it.
///
/// The size follows DynamoDB's documentation: the UTF-8 length of each
/// attribute name (`pk`, `sk` and `created_at` included) plus the size of its
/// value, where a string or binary is its length in bytes, a boolean or null
/// is 1 byte, a number is 1 byte per two significant digits plus 1 (plus 1
/// more when negative), and a list or map is 3 bytes plus, per element,
/// 1 byte, the element's size and, in a map, its name's length.
///
/// # Errors
///
/// The first [`LimitError`] the item breaks. Keys are checked first, then
/// attribute names, nesting and numbers, then the size.
pub fn check_item(
    partition_key: &str,
    sort_key: &str,
    created_at_len: usize,
    item: &Item,
) -> Result<usize, LimitError> {
    check_key(partition_key, sort_key)?;
    let mut size = 2 + partition_key.len() + 2 + sort_key.len() + CREATED_AT.len() + created_at_len;
    let mut path = Vec::new();
    for (name, value) in item.attributes() {
        if name.is_empty() || KEY_ATTRIBUTES.contains(&name.as_ref()) || name == CREATED_AT {
            return Err(LimitError::InvalidAttributeName {
                name: name.to_string(),
            });
        }
        path.push(Segment::Name(name));
        size += name.len() + value_size(value, 0, &mut path)?;
        path.pop();
    }
    if size > MAX_ITEM_BYTES {
        return Err(LimitError::ItemTooLarge { bytes: size });
    }
    Ok(size)
}

enum Segment<'a> {
    Name(&'a str),
    Index(usize),
}

fn render(path: &[Segment<'_>]) -> String {
    let mut out = String::new();
    for s in path {
        match s {
            Segment::Name(n) if out.is_empty() => out.push_str(n),
            Segment::Name(n) => {
                out.push('.');
                out.push_str(n);
            }
            Segment::Index(i) => {
                out.push('[');
                out.push_str(&i.to_string());
                out.push(']');
            }
        }
    }
    out
}

fn value_size<'a>(
    value: &'a Value,
    depth: usize,
    path: &mut Vec<Segment<'a>>,
) -> Result<usize, LimitError> {
    Ok(match value {
        Value::Null | Value::Bool(_) => 1,
        Value::String(s) => s.len(),
        Value::Binary(b) => b.len(),
        Value::Number(n) => number_size(n).map_err(|problem| LimitError::InvalidNumber {
            path: render(path),
            value: n.to_string(),
            problem,
        })?,
        Value::List(items) => {
            if depth == MAX_NESTING_DEPTH {
                return Err(LimitError::NestingTooDeep { path: render(path) });
            }
            let mut size = 3;
            for (i, item) in items.iter().enumerate() {
                path.push(Segment::Index(i));
                size += 1 + value_size(item, depth + 1, path)?;
                path.pop();
            }
            size
        }
        Value::Map(entries) => {
            if depth == MAX_NESTING_DEPTH {
                return Err(LimitError::NestingTooDeep { path: render(path) });
            }
            let mut size = 3;
            for (name, item) in entries {
                path.push(Segment::Name(name));
                size += 1 + name.len() + value_size(item, depth + 1, path)?;
                path.pop();
            }
            size
        }
    })
}

/// A number's size, or why DynamoDB cannot store it.
fn number_size(n: &Number) -> Result<usize, NumberProblem> {
    let text = match *n {
        Number::F32(f) if !f.is_finite() => return Err(NumberProblem::NotFinite),
        Number::F64(f) if !f.is_finite() => return Err(NumberProblem::NotFinite),
        // `{:e}` prints the shortest text that reads back as the same value,
        // which is the text every serializer sends.
        Number::F32(f) => format!("{f:e}"),
        Number::F64(f) => format!("{f:e}"),
        Number::U64(v) => return Ok(integer_size(&v.to_string())),
        Number::I64(v) => return Ok(integer_size(&v.to_string())),
        Number::U128(v) => return integer_checked(&v.to_string()),
        Number::I128(v) => return integer_checked(&v.to_string()),
    };
    let (mantissa, exponent) = text.split_once('e').expect("`{:e}` writes an exponent");
    let negative = mantissa.starts_with('-');
    let digits = significant_digits(mantissa);
    if digits == 0 {
        return Ok(2); // zero
    }
    let exponent: i32 = exponent.parse().expect("`{:e}` writes an integer exponent");
    if !(-130..=125).contains(&exponent) {
        return Err(NumberProblem::OutOfRange);
    }
    if digits > MAX_NUMBER_DIGITS {
        return Err(NumberProblem::TooPrecise { digits });
    }
    Ok(digits.div_ceil(2) + 1 + usize::from(negative))
}

fn significant_digits(text: &str) -> usize {
    let digits = text.bytes().filter(u8::is_ascii_digit);
    let all: Vec<u8> = digits.collect();
    let start = all.iter().position(|&d| d != b'0');
    let end = all.iter().rposition(|&d| d != b'0');
    match (start, end) {
        (Some(s), Some(e)) => e - s + 1,
        _ => 0,
    }
}

fn integer_size(text: &str) -> usize {
    let negative = text.starts_with('-');
    let digits = significant_digits(text);
    if digits == 0 {
        return 2;
    }
    digits.div_ceil(2) + 1 + usize::from(negative)
}

fn integer_checked(text: &str) -> Result<usize, NumberProblem> {
    let digits = significant_digits(text);
    if digits > MAX_NUMBER_DIGITS {
        return Err(NumberProblem::TooPrecise { digits });
    }
    Ok(integer_size(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_sizes_follow_the_documented_rule() {
        assert_eq!(number_size(&Number::U64(0)), Ok(2));
        assert_eq!(number_size(&Number::U64(7)), Ok(2));
        assert_eq!(number_size(&Number::U64(12)), Ok(2));
        assert_eq!(number_size(&Number::U64(123)), Ok(3));
        assert_eq!(number_size(&Number::U64(1_000_000)), Ok(2));
        assert_eq!(number_size(&Number::I64(-123)), Ok(4));
        assert_eq!(number_size(&Number::F64(0.5)), Ok(2));
        assert_eq!(number_size(&Number::F64(-0.0)), Ok(2));
    }

    #[test]
    fn numbers_dynamodb_cannot_hold_are_named() {
        let bad = [
            (Number::F64(f64::NAN), NumberProblem::NotFinite),
            (Number::F32(f32::NEG_INFINITY), NumberProblem::NotFinite),
            (Number::F64(1e126), NumberProblem::OutOfRange),
            (Number::F64(-1e126), NumberProblem::OutOfRange),
            (Number::F64(1e-131), NumberProblem::OutOfRange),
            (
                Number::U128(u128::MAX),
                NumberProblem::TooPrecise { digits: 39 },
            ),
            (
                Number::I128(i128::MIN + 1),
                NumberProblem::TooPrecise { digits: 39 },
            ),
        ];
        for (n, problem) in bad {
            assert_eq!(number_size(&n), Err(problem), "{n}");
        }
        let good = [
            Number::F64(9.999_999_999_999_99e125),
            Number::F64(1e-130),
            Number::F64(f64::MIN_POSITIVE * 1e178),
            Number::U128(10u128.pow(38)),
            Number::U128(10u128.pow(38) - 1),
        ];
        for n in good {
            assert!(number_size(&n).is_ok(), "{n}");
        }
    }
}

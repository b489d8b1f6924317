//! Why a value cannot be written as an item at all.

use std::fmt;

use super::BoxError;

/// Why a value cannot be written as an item at all (as opposed to breaking
/// one of DynamoDB's [limits](crate::limits)).
#[derive(Debug)]
#[non_exhaustive]
pub enum ItemError {
    /// The value serializes as something other than a struct or a map.
    NotAMap {
        /// What it serialized as: `a number`, `a sequence`...
        found: &'static str,
    },
    /// A map has keys that are not strings (or numbers, chars or unit
    /// variants, which are written as strings).
    MapKeyNotAString,
    /// A 128-bit integer: the DynamoDB mapping (`serde_dynamo`) cannot
    /// write it, so no backend stores it.
    Int128,
    /// The entity's `Serialize` implementation failed with this message.
    Custom(String),
    /// The backend's encoder (`serde_json`, `serde_dynamo`) failed.
    Encode(BoxError),
}

impl fmt::Display for ItemError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ItemError::NotAMap { found } => {
                write!(f, "an item must serialize as a struct or map, not {found}")
            }
            ItemError::MapKeyNotAString => {
                f.write_str("a map key must be a string, a number, a char or a unit enum variant")
            }
            ItemError::Int128 => f.write_str(
                "128-bit integers (i128, u128) cannot be stored: the DynamoDB mapping \
                 (serde_dynamo) does not support them; store the value as a string",
            ),
            ItemError::Custom(message) => f.write_str(message),
            ItemError::Encode(_) => f.write_str("the item could not be encoded"),
        }
    }
}

impl std::error::Error for ItemError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ItemError::Encode(e) => Some(e.as_ref()),
            _ => None,
        }
    }
}

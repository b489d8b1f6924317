//! Items as attribute values: the backend's own encoding.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use serde::Serialize;

use crate::error::ItemError;
use crate::limits::check::Stamps;
use crate::ops::decode::{Decoder, StoredKeys};
use crate::ops::ItemKey;
use crate::schema::{CREATED_AT, PARTITION_KEY, SORT_KEY, UPDATED_AT};
use crate::Error;

/// An item's attributes as DynamoDB stores them.
pub(crate) type Attributes = HashMap<String, AttributeValue>;

/// The entity's attributes, one top-level attribute per field.
pub(super) fn encode<T: Serialize + ?Sized>(item: &T) -> Result<Attributes, ItemError> {
    // The limits check has already refused what serde_dynamo cannot write
    // (128-bit integers, non-string map keys, whose map-key serializer would
    // otherwise panic), so this only fails on the entity's own errors.
    serde_dynamo::to_item(item).map_err(|e| ItemError::Encode(Box::new(e)))
}

pub(super) fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_owned())
}

pub(super) fn key_map(key: &ItemKey) -> Attributes {
    HashMap::from([
        (PARTITION_KEY.to_owned(), s(&key.partition_key)),
        (SORT_KEY.to_owned(), s(&key.sort_key)),
    ])
}

/// The whole item: the entity's attributes, its key and write times (an
/// empty `updated_at`, from a copied item that has none, is left out).
pub(super) fn full_item(
    key: &ItemKey,
    mut attributes: Attributes,
    stamps: Stamps<'_>,
) -> Attributes {
    attributes.insert(PARTITION_KEY.to_owned(), s(&key.partition_key));
    attributes.insert(SORT_KEY.to_owned(), s(&key.sort_key));
    attributes.insert(CREATED_AT.to_owned(), s(stamps.created_at));
    if !stamps.updated_at.is_empty() {
        attributes.insert(UPDATED_AT.to_owned(), s(stamps.updated_at));
    }
    attributes
}

/// An item read from DynamoDB, split into its keys, write times and the
/// entity's attributes.
pub(crate) struct ReadItem {
    pub(super) partition_key: String,
    pub(super) sort_key: String,
    pub(super) created_at: String,
    /// Empty when the item has none.
    pub(super) updated_at: String,
    pub(super) attributes: Attributes,
}

impl ReadItem {
    pub(super) fn new(mut item: Attributes) -> ReadItem {
        let mut take = |name: &str| match item.remove(name) {
            Some(AttributeValue::S(value)) => value,
            // Only an item written by another client can lack these (not
            // the key) or hold another type; it reads as empty.
            _ => String::new(),
        };
        let partition_key = take(PARTITION_KEY);
        let sort_key = take(SORT_KEY);
        let created_at = take(CREATED_AT);
        let updated_at = take(UPDATED_AT);
        ReadItem {
            partition_key,
            sort_key,
            created_at,
            updated_at,
            attributes: item,
        }
    }

    /// Decodes the item, which this consumes: serde_dynamo deserializes
    /// owned values only, and the response owns the item anyway.
    pub(super) fn decode<D: Decoder>(self, table: &'static str) -> Result<D::Output, Error> {
        let keys = StoredKeys {
            table,
            partition_key: &self.partition_key,
            sort_key: &self.sort_key,
            created_at: &self.created_at,
            updated_at: &self.updated_at,
        };
        D::decode(keys, deserializer(self.attributes))
    }

    /// As [`decode`](ReadItem::decode), or `None` for an item `D` does not
    /// know (a query skips and counts it).
    pub(super) fn decode_known<D: Decoder>(
        self,
        table: &'static str,
    ) -> Result<Option<D::Output>, Error> {
        let keys = StoredKeys {
            table,
            partition_key: &self.partition_key,
            sort_key: &self.sort_key,
            created_at: &self.created_at,
            updated_at: &self.updated_at,
        };
        D::decode_known(keys, deserializer(self.attributes))
    }
}

/// A deserializer over an item's attributes.
pub(super) fn deserializer(attributes: Attributes) -> serde_dynamo::Deserializer {
    let item: serde_dynamo::Item = attributes.into();
    serde_dynamo::Deserializer::from_attribute_value(serde_dynamo::AttributeValue::M(item.into()))
}

/// The size DynamoDB gives an item: each attribute's name and value.
pub(super) fn item_size(item: &Attributes) -> usize {
    item.iter()
        .map(|(name, value)| name.len() + value_size(value))
        .sum()
}

fn value_size(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(s) => s.len(),
        AttributeValue::N(n) => number_size(n),
        AttributeValue::B(b) => b.as_ref().len(),
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::Ss(v) => v.iter().map(String::len).sum(),
        AttributeValue::Ns(v) => v.iter().map(|n| number_size(n)).sum(),
        AttributeValue::Bs(v) => v.iter().map(|b| b.as_ref().len()).sum(),
        AttributeValue::L(items) => 3 + items.iter().map(|v| 1 + value_size(v)).sum::<usize>(),
        AttributeValue::M(map) => {
            3 + map
                .iter()
                .map(|(k, v)| k.len() + 1 + value_size(v))
                .sum::<usize>()
        }
        _ => 0,
    }
}

/// DynamoDB's size of a number's text, the rule the limits use: one byte
/// per two significant digits on each side of the point, plus one, plus one
/// when negative.
fn number_size(text: &str) -> usize {
    let negative = text.starts_with('-');
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(i) => (&text[..i], text[i + 1..].parse::<i64>().unwrap_or(0)),
        None => (text, 0),
    };
    let mantissa = mantissa.trim_start_matches(['-', '+']);
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits: Vec<u8> = int.bytes().chain(frac.bytes()).collect();
    let first = digits.iter().position(|&d| d != b'0');
    let last = digits.iter().rposition(|&d| d != b'0');
    let (Some(first), Some(last)) = (first, last) else {
        return 1;
    };
    // Where the decimal point sits among the digits, after the exponent.
    let point = int.len() as i64 + exponent;
    let int_digits = (point - first as i64).clamp(0, (last - first + 1) as i64) as usize;
    let significant = last - first + 1;
    int_digits.div_ceil(2) + (significant - int_digits).div_ceil(2) + 1 + usize::from(negative)
}

/// Whether two attribute values are the same to DynamoDB: sets compare
/// without their order, lists and maps element by element.
pub(super) fn same_value(a: &AttributeValue, b: &AttributeValue) -> bool {
    fn sorted<T: Ord + Clone>(v: &[T]) -> Vec<T> {
        let mut v = v.to_vec();
        v.sort();
        v
    }
    match (a, b) {
        (AttributeValue::Ss(a), AttributeValue::Ss(b))
        | (AttributeValue::Ns(a), AttributeValue::Ns(b)) => sorted(a) == sorted(b),
        (AttributeValue::L(a), AttributeValue::L(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(a, b)| same_value(a, b))
        }
        (AttributeValue::M(a), AttributeValue::M(b)) => same_item(a, b),
        _ => a == b,
    }
}

/// Whether two items hold the same attributes and values ([`same_value`]).
pub(super) fn same_item(a: &Attributes, b: &Attributes) -> bool {
    a.len() == b.len()
        && a.iter()
            .all(|(name, value)| b.get(name).is_some_and(|other| same_value(value, other)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_sized_as_the_limits_size_them() {
        for (text, size) in [
            ("0", 1),
            ("7", 2),
            ("12345", 4),
            ("1000000", 2),
            ("-123", 4),
            ("1.5", 3),
            ("123.45", 4),
            ("0.05", 2),
            ("0.0125", 3),
            ("1E+20", 2),
        ] {
            assert_eq!(number_size(text), size, "{text}");
        }
    }
}

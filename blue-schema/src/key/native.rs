//! Native key values: the fields of an `attributes` index pattern, stored
//! as themselves (DynamoDB's multi-attribute index keys) rather than
//! encoded into a `gsi1pk` string.
//!
//! A [`NativeKey`] type is one DynamoDB can hold as a key attribute and
//! both backends order alike: text (`S`, compared by UTF-8 bytes, as
//! SQLite's `BINARY` collation compares `TEXT`) and integers that fit an
//! `i64` (`N`, compared as numbers, as SQLite compares `INTEGER`s).
//! `u64` is left out: SQLite reads a JSON number above `i64::MAX` as a
//! `REAL`, which would order differently from DynamoDB.

use std::cmp::Ordering;
use std::fmt;

use super::codec::KeyWriter;
use super::{AsKeyPart, KeyDecodeError, KeyPart};

/// The type of a key attribute, in DynamoDB's letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScalarType {
    /// A string (`S`), ordered by its UTF-8 bytes.
    S,
    /// A number (`N`), ordered numerically.
    N,
}

impl ScalarType {
    /// DynamoDB's letter: `S` or `N`.
    pub const fn letter(self) -> &'static str {
        match self {
            ScalarType::S => "S",
            ScalarType::N => "N",
        }
    }
}

/// A type whose values can be a multi-attribute index key attribute
/// (`#[index(.., attributes, ..)]`): `String` and the integers up to
/// `i64` and `u32`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a field of an `attributes` index key",
    label = "not a string or an integer of at most 64 bits (signed) or 32 bits (unsigned)",
    note = "a multi-attribute index key holds the field itself, as a DynamoDB `S` or `N`: use a `String` or an integer \
            type up to `i64`/`u32`, or index the field with a composed key (leave out `attributes`), which the key codec \
            encodes into a string"
)]
pub trait NativeKey: KeyPart {
    /// The key attribute's type.
    const SCALAR: ScalarType;

    /// The value as a key attribute holds it.
    fn key_value(&self) -> KeyValue;
}

impl NativeKey for String {
    const SCALAR: ScalarType = ScalarType::S;

    fn key_value(&self) -> KeyValue {
        KeyValue::S(self.clone())
    }
}

macro_rules! native_integers {
    ($($t:ty),*) => {$(
        impl NativeKey for $t {
            const SCALAR: ScalarType = ScalarType::N;

            fn key_value(&self) -> KeyValue {
                KeyValue::N(i64::from(*self))
            }
        }
    )*};
}

native_integers!(i8, i16, i32, i64, u8, u16, u32);

/// The value of one key attribute of a multi-attribute index.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum KeyValue {
    /// A string.
    S(String),
    /// An integer.
    N(i64),
}

impl KeyValue {
    /// The value of `value`, given as a key part of `T`: written with the
    /// codec, read back as a `T`.
    ///
    /// # Panics
    ///
    /// Never for the codec's own types: every encoding decodes.
    pub fn of<T: NativeKey>(value: &impl AsKeyPart<T>) -> KeyValue {
        let mut encoded = String::new();
        value.encode_as_key_part(&mut encoded);
        T::decode_key_part(&encoded)
            .expect("a key part's encoding decodes")
            .key_value()
    }

    /// Its type.
    pub fn scalar(&self) -> ScalarType {
        match self {
            KeyValue::S(_) => ScalarType::S,
            KeyValue::N(_) => ScalarType::N,
        }
    }

    /// DynamoDB's order of two values of one type (strings by bytes,
    /// numbers as numbers); `None` for values of different types.
    pub fn compare(&self, other: &KeyValue) -> Option<Ordering> {
        match (self, other) {
            (KeyValue::S(a), KeyValue::S(b)) => Some(a.as_bytes().cmp(b.as_bytes())),
            (KeyValue::N(a), KeyValue::N(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }

    /// The value as JSON, as the item stores it.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            KeyValue::S(s) => serde_json::Value::from(s.as_str()),
            KeyValue::N(n) => serde_json::Value::from(*n),
        }
    }
}

impl fmt::Display for KeyValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyValue::S(s) => write!(f, "{s:?}"),
            KeyValue::N(n) => write!(f, "{n}"),
        }
    }
}

/// Values written as one string with the key codec (strings escaped,
/// numbers as `i64` key parts, joined by `#`): a cursor's position in a
/// multi-attribute index, and a query's partition in messages.
pub fn encode_values<'a>(values: impl IntoIterator<Item = &'a KeyValue>) -> String {
    let mut writer = KeyWriter::new(None);
    for value in values {
        match value {
            KeyValue::S(s) => writer.push::<String>(&s.as_str()),
            KeyValue::N(n) => writer.push::<i64>(n),
        };
    }
    writer.finish()
}

/// The values [`encode_values`] wrote, read with their `types`.
///
/// # Errors
///
/// When `encoded` does not hold exactly one value of each type.
pub fn decode_values(encoded: &str, types: &[ScalarType]) -> Result<Vec<KeyValue>, KeyDecodeError> {
    let parts: Vec<&str> = if encoded.is_empty() && types.is_empty() {
        Vec::new()
    } else {
        encoded.split(super::DELIMITER).collect()
    };
    if parts.len() != types.len() {
        return Err(KeyDecodeError::WrongComponentCount {
            expected: types.len(),
            found: parts.len(),
        });
    }
    parts
        .into_iter()
        .zip(types)
        .map(|(part, ty)| match ty {
            ScalarType::S => String::decode_key_part(part).map(KeyValue::S),
            ScalarType::N => i64::decode_key_part(part).map(KeyValue::N),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_and_keep_their_order() {
        let values = [
            KeyValue::S("eu#west %1".into()),
            KeyValue::N(-42),
            KeyValue::S(String::new()),
        ];
        let encoded = encode_values(&values);
        let types = [ScalarType::S, ScalarType::N, ScalarType::S];
        assert_eq!(decode_values(&encoded, &types).unwrap(), values);
        assert!(decode_values(&encoded, &types[..2]).is_err());
        let a = encode_values(&[KeyValue::N(-3), KeyValue::S("b".into())]);
        let b = encode_values(&[KeyValue::N(2), KeyValue::S("a".into())]);
        assert!(a < b);
        assert_eq!(
            KeyValue::N(-3).compare(&KeyValue::N(2)),
            Some(Ordering::Less)
        );
        assert_eq!(KeyValue::N(1).compare(&KeyValue::S("1".into())), None);
    }

    #[test]
    fn a_value_given_as_a_key_part_is_the_value() {
        assert_eq!(KeyValue::of::<String>(&"a#b"), KeyValue::S("a#b".into()));
        assert_eq!(KeyValue::of::<u32>(&7u32), KeyValue::N(7));
        assert_eq!(KeyValue::of::<i16>(&-7i16), KeyValue::N(-7));
    }
}

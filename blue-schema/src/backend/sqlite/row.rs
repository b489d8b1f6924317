//! Reading the columns of a row: the item's JSON, its size and times, and
//! decoding it; and the key bounds as text parameters.

use serde_json::{Map, Value};

use super::error::sqlite_error;
use crate::ops::decode::{decode_str, Decoder, StoredKeys};
use crate::ops::ItemKey;
use crate::Error;

/// Decodes the row of one item read by its key: `data`, then `created_at`
/// and `updated_at` when `with_stamps` (the statement selected them).
pub(super) fn decode_row<D: Decoder>(
    key: &ItemKey,
    row: &rusqlite::Row<'_>,
    with_stamps: bool,
) -> Result<D::Output, Error> {
    let (created_at, updated_at) = if with_stamps {
        (text(row, 1)?, text(row, 2)?)
    } else {
        ("", "")
    };
    let keys = StoredKeys {
        table: key.table,
        partition_key: &key.partition_key,
        sort_key: &key.sort_key,
        created_at,
        updated_at,
    };
    decode_str::<D>(keys, &data(row, 0)?)
}

/// As [`decode_str`], or `None` for an item `D` does not know.
pub(super) fn decode_known_json<D: Decoder>(
    keys: StoredKeys<'_>,
    text: &str,
) -> Result<Option<D::Output>, Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value = D::decode_known(keys, &mut de)?;
    if value.is_some() {
        de.end().map_err(|e| keys.decode_error(e))?;
    }
    Ok(value)
}

/// An item as an SQLite table scan reads it.
pub(crate) struct Row {
    pub(super) data: String,
    pub(super) size: usize,
}

/// The `size` column of a row: a row written by another tool with
/// something else there is [`Error::Decode`] (the sort key is in column
/// `sort_key_column`).
#[inline]
pub(super) fn size(
    row: &rusqlite::Row<'_>,
    column: usize,
    table: &'static str,
    partition_key: &str,
    sort_key_column: usize,
) -> Result<i64, Error> {
    integer(row, column).map_err(|_| Error::Decode {
        table,
        partition_key: partition_key.to_owned(),
        sort_key: text(row, sort_key_column).unwrap_or_default().to_owned(),
        source: "the size column does not hold an integer".into(),
    })
}

/// An integer column of a row.
#[inline]
pub(super) fn integer(row: &rusqlite::Row<'_>, column: usize) -> Result<i64, Error> {
    row.get_ref(column)
        .and_then(|v| v.as_i64().map_err(rusqlite::Error::from))
        .map_err(sqlite_error)
}

/// The `data` column of a row, as JSON text. The column's declared type
/// (`JSON`) has numeric affinity, so a number written there by another
/// tool is stored as a number: it comes back as its text, a null as
/// `null`, and bytes as text, so that a row of the wrong shape fails to
/// decode ([`Error::Decode`]) like any other.
#[inline]
pub(super) fn data<'r>(
    row: &'r rusqlite::Row<'_>,
    column: usize,
) -> Result<std::borrow::Cow<'r, str>, Error> {
    use rusqlite::types::ValueRef;
    Ok(match row.get_ref(column).map_err(sqlite_error)? {
        // The common case first: `from_utf8` is much faster than the lossy
        // decoder on valid text.
        ValueRef::Text(bytes) | ValueRef::Blob(bytes) => match std::str::from_utf8(bytes) {
            Ok(text) => std::borrow::Cow::Borrowed(text),
            Err(_) => String::from_utf8_lossy(bytes),
        },
        ValueRef::Integer(n) => n.to_string().into(),
        ValueRef::Real(x) => x.to_string().into(),
        ValueRef::Null => "null".into(),
    })
}

/// A text column of a row, borrowed.
#[inline]
pub(super) fn text<'r>(row: &'r rusqlite::Row<'_>, column: usize) -> Result<&'r str, Error> {
    row.get_ref(column)
        .and_then(|v| v.as_str().map_err(rusqlite::Error::from))
        .map_err(sqlite_error)
}

/// Bytes bound as SQLite text, which SQLite compares byte-wise (`BINARY`)
/// whether or not they are valid UTF-8.
pub(super) struct TextBytes<'a>(pub(super) &'a [u8]);

impl rusqlite::ToSql for TextBytes<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(rusqlite::types::ToSqlOutput::Borrowed(
            rusqlite::types::ValueRef::Text(self.0),
        ))
    }
}

/// The attributes of a stored item (JSON text) named in `names`, the
/// others skipped unparsed: what a write's checks read, at a fraction of
/// the cost of the whole item (a conditional write reads the whole item
/// only when a check fails, to say why). `None` when the text is not a
/// JSON object.
pub(super) fn parse_attributes(text: &str, names: &[&str]) -> Option<Map<String, Value>> {
    only(text, names)
}

/// [`parse_attributes`] keeping each attribute as its JSON text, borrowed
/// from `text`: nothing is parsed into values or allocated but the list.
pub(super) fn raw_attributes<'t>(text: &'t str, names: &[&str]) -> Option<RawAttributes<'t>> {
    only(text, names)
}

/// Attributes of an item as their JSON text, in the item's order.
pub(super) type RawAttributes<'t> = Vec<(Key<'t>, &'t serde_json::value::RawValue)>;

fn only<'t, C: Keep<'t>>(text: &'t str, names: &[&str]) -> Option<C> {
    use serde::de::DeserializeSeed;

    let mut de = serde_json::Deserializer::from_str(text);
    let kept = Only(names, std::marker::PhantomData)
        .deserialize(&mut de)
        .ok()?;
    de.end().ok()?;
    Some(kept)
}

/// What [`Only`] keeps the named attributes in.
trait Keep<'de> {
    type Value: serde::Deserialize<'de>;

    /// Room for attributes of up to `names` names.
    fn for_names(names: usize) -> Self;

    /// Keeps `value` under `name`; a later value of a repeated name
    /// replaces the earlier one, as in a JSON object read as a map.
    /// `first` says that no value of `name` was kept before.
    fn keep(&mut self, name: Key<'de>, value: Self::Value, first: bool);
}

impl<'de> Keep<'de> for Map<String, Value> {
    type Value = Value;

    fn for_names(_: usize) -> Self {
        Map::new()
    }

    fn keep(&mut self, name: Key<'de>, value: Value, _: bool) {
        self.insert(name.0.into_owned(), value);
    }
}

impl<'de> Keep<'de> for RawAttributes<'de> {
    type Value = &'de serde_json::value::RawValue;

    fn for_names(names: usize) -> Self {
        Vec::with_capacity(names.min(16))
    }

    fn keep(&mut self, name: Key<'de>, value: Self::Value, first: bool) {
        let earlier = if first {
            None
        } else {
            self.iter_mut().find(|(kept, _)| kept.0 == name.0)
        };
        match earlier {
            Some(slot) => slot.1 = value,
            None => self.push((name, value)),
        }
    }
}

/// A visitor of a JSON object keeping the attributes it names.
struct Only<'n, C>(&'n [&'n str], std::marker::PhantomData<C>);

impl<'de, C: Keep<'de>> serde::de::DeserializeSeed<'de> for Only<'_, C> {
    type Value = C;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, C: Keep<'de>> serde::de::Visitor<'de> for Only<'_, C> {
    type Value = C;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut kept = C::for_names(self.0.len());
        // The names met so far, by their place in the list (past the
        // 128th, a name is looked for among those kept).
        let mut met = 0u128;
        while let Some(name) = map.next_key::<Key<'de>>()? {
            match self.0.iter().position(|n| same_name(n, &name.0)) {
                Some(at) => {
                    let bit = 1u128.checked_shl(at as u32).unwrap_or(0);
                    let first = bit != 0 && met & bit == 0;
                    met |= bit;
                    let value = map.next_value()?;
                    kept.keep(name, value, first);
                }
                None => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(kept)
    }
}

/// Whether two attribute names are the same: the length and the first
/// byte tell most names apart without a call to compare the bytes.
#[inline]
fn same_name(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.as_bytes().first() == b.as_bytes().first() && a == b
}

/// An object's key, borrowed from the text when it has no escapes.
pub(super) struct Key<'de>(pub(super) std::borrow::Cow<'de, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(Visit)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{parse_attributes, raw_attributes};

    #[test]
    fn only_the_named_attributes_are_kept() {
        let text = r#"{"a":1,"b":{"x":[1,"a"]},"c\u0041":"z","d":"e","a2":null}"#;
        let map = parse_attributes(text, &["a", "cA", "missing"]).unwrap();
        assert_eq!(serde_json::Value::Object(map), json!({"a": 1, "cA": "z"}));
        assert_eq!(parse_attributes(text, &[]).unwrap().len(), 0);
        // What is not one JSON object is for the caller's full parse to
        // report.
        assert!(parse_attributes("[1]", &["a"]).is_none());
        assert!(parse_attributes(r#"{"a":1} x"#, &["a"]).is_none());
        assert!(parse_attributes(r#"{"a":}"#, &["a"]).is_none());
    }

    #[test]
    fn a_repeated_name_keeps_its_last_value_once() {
        let kept = |text: &str, names: &[&str]| -> Vec<(String, String)> {
            raw_attributes(text, names)
                .unwrap()
                .into_iter()
                .map(|(name, value)| (name.0.into_owned(), value.get().to_owned()))
                .collect()
        };
        let pairs = |p: &[(&str, &str)]| -> Vec<(String, String)> {
            p.iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect()
        };
        let text = r#"{"a":1,"b":2,"a":3,"c":4,"\u0061":5}"#;
        assert_eq!(kept(text, &["a", "c"]), pairs(&[("a", "5"), ("c", "4")]));
        assert_eq!(
            parse_attributes(text, &["a", "c"]).unwrap(),
            serde_json::from_str::<serde_json::Map<_, _>>(r#"{"a":5,"c":4}"#).unwrap()
        );
        // Past the 128th name, a repeated name is still found.
        let many: Vec<String> = (0..200).map(|i| format!("n{i}")).collect();
        let names: Vec<&str> = many.iter().map(String::as_str).collect();
        let text = r#"{"n150":1,"n3":2,"n150":3,"n3":4}"#;
        assert_eq!(kept(text, &names), pairs(&[("n150", "3"), ("n3", "4")]));
    }
}

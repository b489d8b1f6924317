//! What an item's entry in a secondary index holds, and its size, by the
//! index's projection: the size a query page counts toward 1 MB and
//! reads are charged for, and what a write of the index costs.

use std::borrow::Cow;

use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::row::{parse_attributes, raw_attributes, Key, RawAttributes};
use crate::schema::{PARTITION_KEY, SORT_KEY};

/// The keys of an entry: the item's table key and its index key.
pub(super) struct EntryKeys<'a> {
    pub(super) partition_key: &'a str,
    pub(super) sort_key: &'a str,
    pub(super) index_pk: (&'a str, &'a str),
    pub(super) index_sk: (&'a str, &'a str),
}

impl EntryKeys<'_> {
    /// The four keys' size: what every entry holds.
    pub(super) fn size(&self) -> usize {
        let attribute = |name: &str, value: &str| name.len() + value.len();
        attribute(PARTITION_KEY, self.partition_key)
            + attribute(SORT_KEY, self.sort_key)
            + attribute(self.index_pk.0, self.index_pk.1)
            + attribute(self.index_sk.0, self.index_sk.1)
    }
}

/// The attributes of the item (its stored JSON `data`) that an entry of
/// an `INCLUDE` projection of `attributes` holds; `None` when `data` is
/// not a JSON object.
pub(super) fn included(data: &str, attributes: &[&str]) -> Option<Map<String, Value>> {
    parse_attributes(data, attributes)
}

/// The size of an entry of an `INCLUDE` projection: the keys and the
/// attributes it holds (`sets` names the `#[set]` ones).
pub(super) fn included_size(
    keys: &EntryKeys<'_>,
    held: &Map<String, Value>,
    sets: &[&str],
) -> usize {
    let held = held.iter().map(|(name, value)| (name.as_str(), value));
    entry_size(keys, held, sets, crate::limits::attribute_size)
}

/// [`included`], each attribute kept as its JSON text.
pub(super) fn included_raw<'t>(data: &'t str, attributes: &[&str]) -> Option<RawAttributes<'t>> {
    raw_attributes(data, attributes)
}

/// The size of an `INCLUDE` entry whose attributes are held as their
/// JSON text ([`super::row::raw_attributes`]): what [`included_size`]
/// gives for the same attributes parsed.
pub(super) fn included_raw_size(
    keys: &EntryKeys<'_>,
    held: &RawAttributes<'_>,
    sets: &[&str],
) -> usize {
    let held = held
        .iter()
        .map(|(name, value)| (name.0.as_ref(), value.get()));
    entry_size(keys, held, sets, crate::limits::raw_attribute_size)
}

/// The keys' size and each held attribute's, as `size` sizes it (given
/// whether the attribute is one of the `sets`).
fn entry_size<'a, V>(
    keys: &EntryKeys<'_>,
    held: impl Iterator<Item = (&'a str, V)>,
    sets: &[&str],
    size: fn(&str, V, bool) -> usize,
) -> usize {
    keys.size()
        + held
            .map(|(name, value)| size(name, value, sets.contains(&name)))
            .sum::<usize>()
}

/// A deserializer of an entry's attributes held as their JSON text: the
/// map they make, each value read from its own text.
pub(super) fn raw_deserializer(
    held: RawAttributes<'_>,
) -> serde::de::value::MapAccessDeserializer<RawEntries<'_>> {
    serde::de::value::MapAccessDeserializer::new(RawEntries {
        attributes: held.into_iter(),
        value: None,
    })
}

/// [`raw_deserializer`]'s map.
pub(super) struct RawEntries<'t> {
    attributes: std::vec::IntoIter<(Key<'t>, &'t RawValue)>,
    value: Option<&'t RawValue>,
}

impl<'t> serde::de::MapAccess<'t> for RawEntries<'t> {
    type Error = serde_json::Error;

    fn next_key_seed<K: serde::de::DeserializeSeed<'t>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        use serde::de::value::{BorrowedStrDeserializer, StringDeserializer};
        let Some((name, value)) = self.attributes.next() else {
            return Ok(None);
        };
        self.value = Some(value);
        match name.0 {
            Cow::Borrowed(name) => seed.deserialize(BorrowedStrDeserializer::new(name)),
            Cow::Owned(name) => seed.deserialize(StringDeserializer::new(name)),
        }
        .map(Some)
    }

    fn next_value_seed<V: serde::de::DeserializeSeed<'t>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, Self::Error> {
        let raw = self
            .value
            .take()
            .ok_or_else(|| serde::de::Error::custom("a value before its key"))?;
        let mut de = serde_json::Deserializer::from_str(raw.get());
        let value = seed.deserialize(&mut de)?;
        de.end()?;
        Ok(value)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.attributes.len())
    }
}

/// An item's entry in a multi-attribute index keyed by `attributes`: the
/// values of the item's own key attributes, read from its JSON `data` in
/// key order, and the size of the entry's keys (the table's `pk` and `sk`
/// and each key attribute, name and value, as DynamoDB sizes them);
/// `None` when the item lacks one of them (it is not in the index).
pub(super) fn attribute_entry(
    attributes: &[crate::schema::KeyAttribute],
    data: &str,
    partition_key: &str,
    sort_key: &str,
) -> Option<(Vec<Value>, usize)> {
    let own: Vec<&str> = attributes
        .iter()
        .map(|a| a.name)
        .filter(|n| !matches!(*n, PARTITION_KEY | SORT_KEY))
        .collect();
    let mut held = parse_attributes(data, &own)?;
    let values: Vec<Value> = own.iter().map(|n| held.remove(*n)).collect::<Option<_>>()?;
    let size = PARTITION_KEY.len()
        + partition_key.len()
        + SORT_KEY.len()
        + sort_key.len()
        + own
            .iter()
            .zip(&values)
            .map(|(n, v)| crate::limits::attribute_size(n, v, false))
            .sum::<usize>();
    Some((values, size))
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::Value;

    use super::*;

    /// A view's attributes, of every kind a projected field can be.
    #[derive(Debug, PartialEq, Deserialize)]
    struct Line {
        title: String,
        rank: u32,
        score: f64,
        note: Option<String>,
        tags: Vec<String>,
        meta: Value,
    }

    const ITEM: &str = r#"{"deck":"d","id":7,"title":"a \"quoted\" caf\u00e9","rank":12,
        "score":-1.5e3,"note":null,"tags":["x","y\n"],"meta":{"k":[1,true]},"text":"long"}"#;
    const NAMES: &[&str] = &["title", "rank", "score", "note", "tags", "meta"];

    fn parsed(text: &str) -> Result<Line, serde_json::Error> {
        Line::deserialize(Value::Object(included(text, NAMES).unwrap()))
    }

    fn raw(text: &str) -> Result<Line, serde_json::Error> {
        Line::deserialize(raw_deserializer(included_raw(text, NAMES).unwrap()))
    }

    #[test]
    fn an_entry_read_as_text_decodes_as_the_parsed_one() {
        let line = raw(ITEM).unwrap();
        assert_eq!(line, parsed(ITEM).unwrap());
        assert_eq!(line.title, "a \"quoted\" café");
        assert_eq!(line.tags, ["x", "y\n"]);
        // A value of the wrong type fails either way.
        let wrong = ITEM.replace(r#""rank":12"#, r#""rank":"12""#);
        assert!(raw(&wrong).is_err());
        assert!(parsed(&wrong).is_err());
        // An attribute the entry does not hold is missing either way.
        let missing = ITEM.replace(r#""rank":12,"#, "");
        assert!(raw(&missing).is_err());
        assert!(parsed(&missing).is_err());
        // An escaped name is the attribute it names.
        let escaped = ITEM.replace(r#""rank""#, r#""r\u0061nk""#);
        assert_eq!(raw(&escaped).unwrap(), line);
    }

    #[test]
    fn an_entry_read_as_text_has_the_parsed_ones_size() {
        let keys = EntryKeys {
            partition_key: "d",
            sort_key: "CARD#7",
            index_pk: ("gsi1pk", "OWNER#o"),
            index_sk: ("gsi1sk", "0012#d#CARD%237"),
        };
        for sets in [&[][..], &["tags"][..]] {
            assert_eq!(
                included_raw_size(&keys, &included_raw(ITEM, NAMES).unwrap(), sets),
                included_size(&keys, &included(ITEM, NAMES).unwrap(), sets),
            );
        }
    }
}

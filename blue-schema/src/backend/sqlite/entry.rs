//! What an item's entry in a secondary index holds, and its size, by the
//! index's projection: the size a query page counts toward 1 MB and
//! reads are charged for, and what a write of the index costs.

use serde_json::{Map, Value};

use super::row::parse_attributes;
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
    keys.size()
        + held
            .iter()
            .map(|(name, value)| {
                crate::limits::attribute_size(name, value, sets.contains(&name.as_str()))
            })
            .sum::<usize>()
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

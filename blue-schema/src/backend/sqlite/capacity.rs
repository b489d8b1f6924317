//! The capacity units an operation would consume on DynamoDB, computed from
//! the rows it read and wrote ([`crate::capacity`] has the rules).
//!
//! Only a metered store (or a traced operation) pays for this: a write reads
//! the images of its items before and after it, in one transaction with
//! the write, so no other writer comes between them.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use serde_json::{Map, Value};

use super::entry::{self, EntryKeys};
use super::pool::Conn;
use crate::capacity::write_units as item_write_units;
use crate::ops::ItemKey;
use crate::schema::{is_index_key_attribute, Projection, TableSchema};
use crate::Error;

/// An item as stored: what its units are computed from.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Image {
    data: String,
    size: usize,
    updated_at: String,
}

impl Image {
    /// The image of a row about to be written with these columns.
    pub(super) fn of(data: &str, size: usize, updated_at: &str) -> Image {
        Image {
            data: data.to_owned(),
            size,
            updated_at: updated_at.to_owned(),
        }
    }

    pub(super) fn size(&self) -> usize {
        self.size
    }
}

/// The stored image of the item with this key.
pub(super) fn image(conn: &mut Conn, key: &ItemKey) -> Result<Option<Image>, Error> {
    super::read::row_of_key(
        conn,
        key,
        |s| &s.image,
        |row| {
            Ok(Image {
                data: super::row::data(row, 0)?.into_owned(),
                size: usize::try_from(super::row::integer(row, 1)?).unwrap_or(0),
                updated_at: super::row::text(row, 2)?.to_owned(),
            })
        },
    )
}

/// The tables a backend created, by name: the physical projection of each
/// index comes from them.
#[derive(Debug, Default)]
pub(super) struct Tables(Mutex<HashMap<&'static str, &'static TableSchema>>);

impl Tables {
    pub(super) fn register(&self, table: &'static TableSchema) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(table.name, table);
    }

    /// The projection of index `slot` of `table`, and which of its
    /// attributes are sets; `ALL` for a table this backend did not create
    /// (as a table with no `keys_only` or `project(..)` pattern).
    fn projection(&self, table: &str, slot: &str) -> (Projection, &'static [&'static str]) {
        let schema = self
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(table)
            .copied();
        schema.map_or((Projection::All, &[]), |t| {
            let projection = t.projection(slot);
            let sets = crate::schema::projection::sets(t, projection.non_key_attributes());
            (projection, sets)
        })
    }
}

impl Tables {
    /// The multi-attribute indexes of `table`: each one's key attributes
    /// and projection.
    fn attribute_indexes(
        &self,
        table: &str,
    ) -> Vec<(&'static [crate::schema::KeyAttribute], Projection)> {
        let schema = self
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(table)
            .copied();
        schema.map_or_else(Vec::new, |t| {
            t.indexes
                .iter()
                .map(|slot| (t.key_attributes(slot.name), t.projection(slot.name)))
                .filter(|(attributes, _)| !attributes.is_empty())
                .collect()
        })
    }
}

/// Write units of one write of the item `key`, from its images before and
/// after: the table's (doubled in a transaction) and every index's.
pub(super) fn write_units(
    tables: &Tables,
    key: &ItemKey,
    old: Option<&Image>,
    new: Option<&Image>,
    transactional: bool,
) -> f64 {
    let factor = if transactional { 2.0 } else { 1.0 };
    let table = factor * table_write_units(old.map(Image::size), new.map(Image::size));
    let old_fields = old.map(|i| index_attributes(&i.data)).unwrap_or_default();
    let new_fields = new.map(|i| index_attributes(&i.data)).unwrap_or_default();
    let mut slots: Vec<&str> = old_fields
        .iter()
        .chain(&new_fields)
        .map(IndexKeys::slot)
        .collect();
    slots.sort_unstable();
    slots.dedup();
    let same = old == new;
    let mut indexes = 0.0;
    for slot in slots {
        let (projection, sets) = tables.projection(key.table, slot);
        let before = index_entry(key, slot, projection, sets, &old_fields, old);
        let after = index_entry(key, slot, projection, sets, &new_fields, new);
        // Whether an entry at the same key holds the same attributes.
        let unchanged = match projection {
            Projection::All => same,
            Projection::KeysOnly => true,
            Projection::Include(_) => {
                same || matches!((&before, &after), (Some((_, a)), Some((_, b))) if a == b)
            }
        };
        indexes += index_write_units(
            before.as_ref().map(|(e, _)| e),
            after.as_ref().map(|(e, _)| e),
            unchanged,
        );
    }
    for (attributes, projection) in tables.attribute_indexes(key.table) {
        let before = old.and_then(|i| attribute_entry(key, attributes, projection, i));
        let after = new.and_then(|i| attribute_entry(key, attributes, projection, i));
        let unchanged = match projection {
            Projection::KeysOnly => true,
            Projection::All | Projection::Include(_) => same,
        };
        indexes += index_write_units(before.as_ref(), after.as_ref(), unchanged);
    }
    table + indexes
}

/// An item's entry in index `slot` (none when it has not both keys),
/// and for `INCLUDE` the attributes it holds.
fn index_entry<'f>(
    key: &ItemKey,
    slot: &str,
    projection: Projection,
    sets: &[&str],
    fields: &'f [IndexKeys<'_>],
    image: Option<&Image>,
) -> Option<(IndexEntry<'f>, Option<Map<String, Value>>)> {
    let found = fields.iter().find(|k| k.slot() == slot)?;
    let image = image?;
    let keys = EntryKeys {
        partition_key: &key.partition_key,
        sort_key: &key.sort_key,
        index_pk: (&found.pk_name, &found.pk),
        index_sk: (&found.sk_name, &found.sk),
    };
    let held = match projection {
        Projection::Include(attributes) => entry::included(&image.data, attributes),
        Projection::All | Projection::KeysOnly => None,
    };
    let size = match &held {
        Some(held) => entry::included_size(&keys, held, sets),
        None => match projection {
            Projection::All => image.size,
            Projection::KeysOnly | Projection::Include(_) => keys.size(),
        },
    };
    Some((
        IndexEntry {
            key: (Cow::Borrowed(&*found.pk), Cow::Borrowed(&*found.sk)),
            size,
        },
        held,
    ))
}

/// The entry of an item in a multi-attribute index keyed by `attributes`:
/// none unless the item holds every one of them; its key is their values.
fn attribute_entry(
    key: &ItemKey,
    attributes: &[crate::schema::KeyAttribute],
    projection: Projection,
    image: &Image,
) -> Option<IndexEntry<'static>> {
    let (values, keys_size) =
        entry::attribute_entry(attributes, &image.data, &key.partition_key, &key.sort_key)?;
    let size = match projection {
        Projection::All => image.size,
        Projection::KeysOnly | Projection::Include(_) => keys_size,
    };
    Some(IndexEntry {
        key: (
            Cow::Owned(Value::from(values).to_string()),
            Cow::Borrowed(""),
        ),
        size,
    })
}

/// An item's keys in one index (`gsi1pk` and `gsi1sk` for `gsi1`): their
/// names and values, borrowed from the item's JSON unless escaped.
#[derive(Debug, PartialEq)]
struct IndexKeys<'a> {
    pk_name: Cow<'a, str>,
    pk: Cow<'a, str>,
    sk_name: Cow<'a, str>,
    sk: Cow<'a, str>,
}

impl IndexKeys<'_> {
    /// The index: `gsi1` for `gsi1pk`.
    fn slot(&self) -> &str {
        self.pk_name.strip_suffix("pk").unwrap_or(&self.pk_name)
    }
}

/// The index keys an item holds, one per index (the later of a name
/// given twice). An item is in an index only when it has both keys, as
/// strings.
fn index_attributes(data: &str) -> Vec<IndexKeys<'_>> {
    let Ok(IndexKeyAttributes(attributes)) = serde_json::from_str(data) else {
        return Vec::new();
    };
    let mut found: Vec<IndexKeys<'_>> = Vec::new();
    for (name, pk) in &attributes {
        let Some(slot) = name.strip_suffix("pk") else {
            continue;
        };
        let sk = attributes
            .iter()
            .find(|(n, _)| n.strip_suffix("sk") == Some(slot));
        if let Some((sk_name, sk)) = sk {
            let keys = IndexKeys {
                pk_name: name.clone(),
                pk: pk.clone(),
                sk_name: sk_name.clone(),
                sk: sk.clone(),
            };
            match found.iter_mut().find(|k| k.slot() == slot) {
                Some(earlier) => *earlier = keys,
                None => found.push(keys),
            }
        }
    }
    found
}

/// The string attributes of a stored item named as index keys (`gsi1pk`,
/// `gsi1sk`, ...), borrowed from its JSON: everything else is skipped
/// unparsed, which is most of what metering a write used to cost.
struct IndexKeyAttributes<'a>(Vec<(Cow<'a, str>, Cow<'a, str>)>);

/// An attribute's name, kept only if it names an index key.
struct IndexKeyName<'a>(Option<Cow<'a, str>>);

impl<'de> serde::Deserialize<'de> for IndexKeyName<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let super::row::Key(name) = super::row::Key::deserialize(deserializer)?;
        Ok(IndexKeyName(is_index_key_attribute(&name).then_some(name)))
    }
}

/// A value kept when it is a string (borrowed unless escaped); any other
/// value is skipped.
struct StringValue<'a>(Option<Cow<'a, str>>);

impl<'de> serde::Deserialize<'de> for StringValue<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = StringValue<'de>;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a value")
            }

            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(StringValue(Some(Cow::Borrowed(v))))
            }

            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(StringValue(Some(Cow::Owned(v.to_owned()))))
            }

            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(StringValue(Some(Cow::Owned(v))))
            }

            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(StringValue(None))
            }

            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(StringValue(None))
            }

            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(StringValue(None))
            }

            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(StringValue(None))
            }

            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(StringValue(None))
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Self::Value, A::Error> {
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(StringValue(None))
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                while map
                    .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(StringValue(None))
            }
        }
        deserializer.deserialize_any(Visit)
    }
}

impl<'de> serde::Deserialize<'de> for IndexKeyAttributes<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = IndexKeyAttributes<'de>;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an item")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<IndexKeyAttributes<'de>, A::Error> {
                let mut found = Vec::new();
                while let Some(IndexKeyName(name)) = map.next_key()? {
                    let Some(name) = name else {
                        map.next_value::<serde::de::IgnoredAny>()?;
                        continue;
                    };
                    if let StringValue(Some(value)) = map.next_value()? {
                        found.push((name, value));
                    }
                }
                Ok(IndexKeyAttributes(found))
            }
        }
        deserializer.deserialize_map(Visit)
    }
}

/// Write units of the table for one write: the larger of the item before
/// (`None`: there was none) and after (`None`: deleted).
fn table_write_units(old: Option<usize>, new: Option<usize>) -> f64 {
    item_write_units(old.unwrap_or(0).max(new.unwrap_or(0)))
}

/// One index's entry for an item: its position and size.
#[derive(Debug, Clone, PartialEq, Eq)]
struct IndexEntry<'a> {
    /// The index partition and sort key.
    key: (Cow<'a, str>, Cow<'a, str>),
    /// The projected entry's size, as DynamoDB computes item sizes.
    size: usize,
}

/// Write units of one index for one write, from its entries before and after.
/// `same` says whether an entry at the same key holds the same attributes
/// (for `ALL`, the whole item unchanged; for `KEYS_ONLY`, always).
fn index_write_units(
    old: Option<&IndexEntry<'_>>,
    new: Option<&IndexEntry<'_>>,
    same: bool,
) -> f64 {
    match (old, new) {
        (None, None) => 0.0,
        (None, Some(entry)) | (Some(entry), None) => item_write_units(entry.size),
        (Some(old), Some(new)) if old.key != new.key => {
            item_write_units(old.size) + item_write_units(new.size)
        }
        (Some(_), Some(_)) if same => 0.0,
        (Some(old), Some(new)) => item_write_units(old.size).max(item_write_units(new.size)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_count_the_larger_image() {
        assert_eq!(table_write_units(Some(3000), Some(10)), 3.0);
        assert_eq!(table_write_units(None, None), 1.0);
    }

    #[test]
    fn index_entries_cost_what_changes() {
        let at = |k: &'static str, size| IndexEntry {
            key: (k.into(), "s".into()),
            size,
        };
        assert_eq!(index_write_units(None, None, false), 0.0);
        assert_eq!(index_write_units(None, Some(&at("a", 1500)), false), 2.0);
        assert_eq!(index_write_units(Some(&at("a", 10)), None, false), 1.0);
        assert_eq!(
            index_write_units(Some(&at("a", 1500)), Some(&at("b", 1500)), false),
            4.0
        );
        assert_eq!(
            index_write_units(Some(&at("a", 10)), Some(&at("a", 10)), true),
            0.0
        );
        assert_eq!(
            index_write_units(Some(&at("a", 3000)), Some(&at("a", 10)), false),
            3.0
        );
    }

    fn image(data: &str, size: usize, at: &str) -> Image {
        Image {
            data: data.into(),
            size,
            updated_at: at.into(),
        }
    }

    fn key() -> ItemKey {
        ItemKey {
            table: "t",
            partition_key: "p".into(),
            sort_key: "s".into(),
        }
    }

    #[test]
    fn an_item_in_an_index_pays_for_its_entry() {
        let tables = Tables::default();
        let new = image(r#"{"gsi1pk":"a","gsi1sk":"b","x":1}"#, 1500, "t1");
        // Table 2 (1 500 B), index 2 (the whole item, ALL).
        assert_eq!(write_units(&tables, &key(), None, Some(&new), false), 4.0);
        // A transaction doubles the table's units, not the index's.
        assert_eq!(write_units(&tables, &key(), None, Some(&new), true), 6.0);
    }

    #[test]
    fn a_moved_index_key_costs_a_delete_and_a_put() {
        let tables = Tables::default();
        let old = image(r#"{"gsi1pk":"a","gsi1sk":"b"}"#, 100, "t1");
        let new = image(r#"{"gsi1pk":"c","gsi1sk":"b"}"#, 100, "t2");
        assert_eq!(
            write_units(&tables, &key(), Some(&old), Some(&new), false),
            3.0
        );
        // Leaving the index costs its old entry; an item never in one, nothing.
        let out = image(r#"{"x":1}"#, 100, "t3");
        assert_eq!(
            write_units(&tables, &key(), Some(&old), Some(&out), false),
            2.0
        );
        assert_eq!(
            write_units(&tables, &key(), Some(&out), Some(&out), false),
            1.0
        );
    }

    #[test]
    fn only_both_keys_make_an_index_entry() {
        let found = index_attributes(r#"{"gsi1pk":"a","gsi2pk":"b","gsi2sk":"c","pk":"x"}"#);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].slot(), "gsi2");
        assert_eq!((&*found[0].pk, &*found[0].sk), ("b", "c"));
    }

    /// Keys are read as the item holds them: escaped names and values
    /// unescaped, a key that is not a string no key, the later of a
    /// repeated name.
    #[test]
    fn index_keys_are_strings_as_stored() {
        let found = index_attributes(
            r#"{"gsi1pk":"a\"b","gsi1sk":1,"gsi2p\u006b":"x","gsi2sk":"y\u0041",
                "gsi3pk":{"gsi3sk":"q"},"gsi3sk":"z","gsi4pk":"old","gsi4sk":"s",
                "gsi4pk":"new","x":[1,{"gsi5pk":"v"}]}"#,
        );
        let keys: Vec<(&str, &str, &str)> =
            found.iter().map(|k| (k.slot(), &*k.pk, &*k.sk)).collect();
        assert_eq!(keys, [("gsi2", "x", "yA"), ("gsi4", "new", "s")]);
        assert!(index_attributes("not json").is_empty());
    }
}

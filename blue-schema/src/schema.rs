//! Static schema metadata and the traits the derives implement.
//!
//! [`EntitySchema`] and [`TableSchema`] are `const` values generated from the
//! annotated types. They are the single source for the generated documentation,
//! the table definitions, and the runtime checks.

use serde::de::{DeserializeOwned, Deserializer};
use serde::Serialize;

use crate::key::{Key, KeyDecodeError, KeyEncoding, DELIMITER};

/// `(attributes, index-key prefix, index-key suffixes)`: the derive crate
/// holds the one list, which it also checks fields against.
const RESERVED: (&[&str], &str, &[&str]) = blue_schema_derive::__reserved_attributes!();

/// Attribute names the library stores, or will store, beside an entity's own
/// fields; a field may not be stored (after serde renames) under one of them.
/// Index key names (`gsi1pk`, `gsi1_sk`, …) are reserved too, see
/// [`is_reserved_attribute`].
pub const RESERVED_ATTRIBUTES: &[&str] = RESERVED.0;

/// Whether `name` is reserved for the library's own attributes: one of
/// [`RESERVED_ATTRIBUTES`], or a secondary-index key name `gsi<N>pk`,
/// `gsi<N>sk`, `gsi<N>_pk` or `gsi<N>_sk`. `#[derive(Entity)]` refuses
/// fields stored under these names at compile time, and every write refuses
/// them in the item a hand-written `Serialize` produces.
///
/// ```
/// use blue_schema::schema::is_reserved_attribute;
/// assert!(is_reserved_attribute("sk"));
/// assert!(is_reserved_attribute("updated_at"));
/// assert!(is_reserved_attribute("gsi2_pk"));
/// assert!(!is_reserved_attribute("gsi"));
/// assert!(!is_reserved_attribute("status"));
/// ```
pub fn is_reserved_attribute(name: &str) -> bool {
    let (attributes, index_prefix, index_suffixes) = RESERVED;
    if attributes.contains(&name) {
        return true;
    }
    let Some(rest) = name.strip_prefix(index_prefix) else {
        return false;
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0 && index_suffixes.contains(&&rest[digits..])
}

/// What part an attribute plays in the item's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRole {
    /// A `#[pk]` field.
    PartitionKey,
    /// A `#[sk]` field.
    SortKey,
}

/// What a `#[set]` field holds: DynamoDB's string set (`SS`) or number set
/// (`NS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetKind {
    /// A set of strings (`SS`).
    Strings,
    /// A set of numbers (`NS`).
    Numbers,
}

/// One field of an entity, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttributeSchema {
    /// The Rust field name.
    pub field: &'static str,
    /// The stored attribute name (the serde name).
    pub name: &'static str,
    /// The field's Rust type, as written in the struct.
    pub rust_type: &'static str,
    /// The field's doc comment, trimmed.
    pub doc: &'static str,
    /// Whether the field is part of the key.
    pub key: Option<KeyRole>,
    /// Whether the field is an `Option` (stored as an absent attribute when
    /// `None`).
    pub optional: bool,
    /// Whether a missing attribute reads as the field's default
    /// (`#[serde(default)]` on the field or the struct).
    pub defaulted: bool,
    /// Whether the field is the entity's `#[version]`.
    pub version: bool,
    /// For a `#[set]` field, what the set holds. An empty set is stored as
    /// no attribute.
    pub set: Option<SetKind>,
}

/// One component of a partition or sort key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyFieldSchema {
    /// The Rust field name, used in key templates: `{dialogue_id}`.
    pub field: &'static str,
    /// The field's Rust type, as written in the struct.
    pub rust_type: &'static str,
    /// How the field's values are encoded.
    pub encoding: &'static KeyEncoding,
}

/// Everything the library knows about one entity type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntitySchema {
    /// The Rust type name.
    pub name: &'static str,
    /// The type's doc comment, trimmed.
    pub doc: &'static str,
    /// The name of the table it is stored in.
    pub table: &'static str,
    /// The sort-key prefix naming the item type (`EXPERT`).
    pub prefix: &'static str,
    /// The partition-key prefix, if the entity declares one.
    pub pk_prefix: Option<&'static str>,
    /// The `#[pk]` fields, in declaration order.
    pub partition_key: &'static [KeyFieldSchema],
    /// The `#[sk]` fields, in declaration order; empty for a singleton (`META`).
    pub sort_key: &'static [KeyFieldSchema],
    /// Every stored field, in declaration order.
    pub attributes: &'static [AttributeSchema],
    /// The stored name of the `#[version]` field, if the entity has one.
    pub version: Option<&'static str>,
    /// The stored names of its `#[set]` fields and what each holds.
    pub sets: &'static [(&'static str, SetKind)],
}

impl EntitySchema {
    /// The partition key in the ADR's notation: `{dialogue_id}`, or
    /// `REALM#{org}#{realm}` with a prefix and a composite key.
    pub fn partition_key_template(&self) -> String {
        template(self.pk_prefix, self.partition_key)
    }

    /// The sort key in the ADR's notation: `PERSP#{round}#{expert}#{seq}`.
    pub fn sort_key_template(&self) -> String {
        template(Some(self.prefix), self.sort_key)
    }

    /// Whether the entity has exactly one item per partition (no `#[sk]` field).
    pub fn is_singleton(&self) -> bool {
        self.sort_key.is_empty()
    }

    /// Whether `sort_key` is shaped like a key of this entity (its prefix, then
    /// the right number of components).
    pub fn owns_sort_key(&self, sort_key: &str) -> bool {
        match sort_key.strip_prefix(self.prefix) {
            Some("") => self.is_singleton(),
            Some(rest) => match rest.strip_prefix(DELIMITER) {
                Some(parts) => {
                    !self.is_singleton() && parts.split(DELIMITER).count() == self.sort_key.len()
                }
                None => false,
            },
            None => false,
        }
    }

    /// Whether `sort_key` carries this entity's prefix (`PREFIX#…`, or exactly
    /// `PREFIX` for a singleton): the cheap test a whole-partition read uses
    /// to pick the entity of each item. Prefixes within a table are distinct
    /// and contain no `#`, so exactly one entity names any stored key.
    pub fn names_sort_key(&self, sort_key: &str) -> bool {
        names_sort_key(self.prefix, self.is_singleton(), sort_key)
    }

    /// The stored name of a required field (not `Option`, not `#[set]`,
    /// not `#[serde(default)]`) that is not part of the key or the version:
    /// what an update that creates an item must set.
    pub fn required_attributes(&self) -> impl Iterator<Item = &'static str> {
        self.attributes
            .iter()
            .filter(|a| {
                a.key.is_none() && !a.optional && !a.defaulted && !a.version && a.set.is_none()
            })
            .map(|a| a.name)
    }

    /// The stored fields that are not part of the key: `{role, tier, score}`.
    pub fn data_attributes(&self) -> impl Iterator<Item = &'static AttributeSchema> {
        self.attributes.iter().filter(|a| a.key.is_none())
    }
}

pub(crate) fn names_sort_key(prefix: &str, singleton: bool, sort_key: &str) -> bool {
    match sort_key.as_bytes().strip_prefix(prefix.as_bytes()) {
        Some([]) => singleton,
        Some([b'#', ..]) => !singleton,
        _ => false,
    }
}

fn template(prefix: Option<&str>, fields: &[KeyFieldSchema]) -> String {
    let mut out = prefix.unwrap_or_default().to_owned();
    for field in fields {
        if !out.is_empty() {
            out.push(DELIMITER);
        }
        out.push('{');
        out.push_str(field.field);
        out.push('}');
    }
    out
}

/// Everything the library knows about one table: its name and its entities.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableSchema {
    /// The table name (`blue_dialogue`).
    pub name: &'static str,
    /// The Rust enum's name (`Dialogue`).
    pub rust_name: &'static str,
    /// The enum's doc comment, trimmed.
    pub doc: &'static str,
    /// The entities, in variant order.
    pub entities: &'static [&'static EntitySchema],
}

impl TableSchema {
    /// The entity whose keys look like `sort_key`, if any.
    pub fn entity_for_sort_key(&self, sort_key: &str) -> Option<&'static EntitySchema> {
        self.entities
            .iter()
            .copied()
            .find(|e| e.owns_sort_key(sort_key))
    }

    /// Whether one of the table's entities names `sort_key` by its prefix:
    /// the test a whole-partition read uses to pick, or skip, each item.
    pub fn names_sort_key(&self, sort_key: &str) -> bool {
        self.entities.iter().any(|e| e.names_sort_key(sort_key))
    }
}

/// A storable struct, implemented by `#[derive(Entity)]`.
///
/// The derive also generates inherent functions on the type: `key(..)` taking
/// exactly the key fields, and `query(..)` taking the partition key fields,
/// which starts a typed, single-partition query.
pub trait Entity: Serialize + DeserializeOwned + FromItem + Send + 'static {
    /// The table enum this entity belongs to (a [`Table`]: the derives check
    /// that the enum lists the entity and the entity names the enum).
    type Table;
    /// The partition key's type: the field's type, or a tuple for a composite key.
    type PartitionKey;
    /// The sort-key components as a tuple, `()` for a singleton.
    type SortKey;
    /// The entity's metadata.
    const SCHEMA: EntitySchema;

    /// The key of this item.
    fn key(&self) -> Key<Self>;

    /// The value of the `#[version]` field (0 for an entity without one).
    #[doc(hidden)]
    #[inline]
    fn __version(&self) -> u64 {
        0
    }

    /// Sets the `#[version]` field (nothing for an entity without one).
    #[doc(hidden)]
    #[inline]
    fn __set_version(&mut self, version: u64) {
        let _ = version;
    }

    /// Decodes an encoded key back into typed values.
    ///
    /// # Errors
    ///
    /// [`KeyDecodeError`] when the strings are not a key of this entity.
    fn decode_key(
        partition_key: &str,
        sort_key: &str,
    ) -> Result<(Self::PartitionKey, Self::SortKey), KeyDecodeError>;
}

/// A domain table, implemented by `#[derive(Table)]` on an enum with one
/// variant per entity. Its values are the items of a whole-partition query.
pub trait Table: Sized + 'static {
    /// The partition key's type, shared by every entity of the table.
    type PartitionKey;
    /// The table name (`blue_dialogue`).
    const NAME: &'static str;
    /// The table's metadata.
    const SCHEMA: TableSchema;

    /// Decodes a stored item into the variant its sort key names.
    ///
    /// # Errors
    ///
    /// The deserializer's error when the sort key belongs to no entity of the
    /// table or the item does not deserialize as that entity.
    fn decode_item<'de, D: Deserializer<'de>>(sort_key: &str, item: D) -> Result<Self, D::Error>;
}

/// What the items of a query decode into: an entity, or a table enum for a
/// whole-partition query. Implemented by `#[derive(Entity)]` and
/// `#[derive(Table)]`.
pub trait FromItem: Sized {
    /// Decodes a stored item whose sort key is `sort_key`.
    ///
    /// # Errors
    ///
    /// The deserializer's error when the item does not decode as `Self`.
    fn from_item<'de, D: Deserializer<'de>>(sort_key: &str, item: D) -> Result<Self, D::Error>;

    /// Whether an item with this sort key is one that `Self` knows how to
    /// decode. A read skips (and counts, in [`Page::unknown`](crate::Page::unknown))
    /// the items it does not recognise: a table enum recognises the
    /// prefixes of its entities, so a whole-partition read by an older
    /// version of the program passes over the items of an entity that a
    /// newer version added. An entity's own queries only ever select its
    /// own items.
    fn recognizes(sort_key: &str) -> bool {
        let _ = sort_key;
        true
    }

    /// [`from_item`](FromItem::from_item) for an item `Self` recognises,
    /// `Ok(None)` for one it does not: what a read does with each item it
    /// evaluates. The default asks [`recognizes`](FromItem::recognizes) and
    /// then decodes; `#[derive(Table)]` matches the prefix once for both.
    ///
    /// # Errors
    ///
    /// As [`from_item`](FromItem::from_item).
    fn from_known_item<'de, D: Deserializer<'de>>(
        sort_key: &str,
        item: D,
    ) -> Result<Option<Self>, D::Error> {
        if Self::recognizes(sort_key) {
            Self::from_item(sort_key, item).map(Some)
        } else {
            Ok(None)
        }
    }
}

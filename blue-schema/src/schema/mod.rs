//! Static schema metadata and the traits the derives implement.
//!
//! [`EntitySchema`] and [`TableSchema`] are `const` values generated from the
//! annotated types. They are the single source for the generated documentation,
//! the table definitions, and the runtime checks.

mod attribute_key;
mod attributes;
pub(crate) mod hooks;
pub(crate) mod item_keys;
pub mod key_move;
pub(crate) mod members;
mod message;
pub mod projection;
pub mod shape;
pub mod unique;

use attribute_key::typed_list;
pub use attribute_key::KeyAttribute;
pub use attributes::{is_index_key_attribute, is_reserved_attribute, RESERVED_ATTRIBUTES};
pub(crate) use attributes::{CREATED_AT, PARTITION_KEY, SET_NEWTYPE, SORT_KEY, UPDATED_AT};
pub(crate) use hooks::{EntityHooks, TableHooks};
pub(crate) use item_keys::KeysOfItem;
pub use key_move::ShapeKey;
pub use projection::Projection;
pub use shape::{Shape, ShapeSchema, SHAPE_ATTRIBUTE};
pub use unique::UniqueSchema;

use serde::de::{Deserialize, DeserializeOwned, Deserializer};
use serde::Serialize;

use crate::key::{Key, KeyDecodeError, KeyEncoding, DELIMITER};

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

/// One of a table's physical secondary indexes (`gsi1`), and the
/// attributes and SQLite columns its keys are stored in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexSlot {
    /// The index name on DynamoDB: `gsi1`.
    pub name: &'static str,
    /// The attribute holding an item's index partition key: `gsi1pk`.
    pub pk_attribute: &'static str,
    /// The attribute holding its index sort key: `gsi1sk`.
    pub sk_attribute: &'static str,
    /// The SQLite column of the partition key: `gsi1_pk`.
    pub pk_column: &'static str,
    /// The SQLite column of the sort key: `gsi1_sk`.
    pub sk_column: &'static str,
}

/// One field an index key is built from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexFieldSchema {
    /// The Rust field name, used in key templates.
    pub field: &'static str,
    /// The stored attribute name.
    pub name: &'static str,
    /// The field's Rust type, as written in the struct.
    pub rust_type: &'static str,
    /// How the field's values are encoded.
    pub encoding: &'static KeyEncoding,
    /// Whether the field is an `Option`: an item whose field is `None` is
    /// not in the index (a sparse index).
    pub optional: bool,
    /// Whether it is also a field of the table's key (which never changes).
    pub key: Option<KeyRole>,
}

/// One access pattern of an entity on a secondary index: `#[index(gsi1,
/// name = by_role, pk(prefix = "ROLE", fields(role)), sk(fields(joined)))]`.
///
/// The index partition key is `[PREFIX#]{field}#…` like a table partition
/// key. The index sort key is the entity's prefix, the sort-key fields,
/// and then the item's own partition and sort keys, escaped as components
/// (`EXPERT#{joined}#{pk}#{sk}`): every index sort key is unique, so items
/// that tie on the fields come in one order (by table key) on every
/// backend, and a cursor is one index sort key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexSchema {
    /// The physical index it lives in.
    pub slot: IndexSlot,
    /// The access pattern's name, which is the query method: `by_role`.
    pub name: &'static str,
    /// The index partition key's prefix, if any.
    pub pk_prefix: Option<&'static str>,
    /// The fields of the index partition key, in order.
    pub partition_key: &'static [IndexFieldSchema],
    /// The fields of the index sort key, in order (before the table key).
    pub sort_key: &'static [IndexFieldSchema],
    /// What the entity's queries of this pattern return.
    pub projection: Projection,
    /// The struct an update sets this pattern's fields with
    /// (`ExpertByRole`, for `set_index`); `None` for a pattern made of
    /// table-key fields only, which never changes.
    pub fields_struct: Option<&'static str>,
    /// The generated view a `project(..)` pattern's query returns
    /// (`ExpertByRoleView`); `None` for the other projections.
    pub view: Option<&'static str>,
    /// For a multi-attribute pattern (`#[index(.., attributes, ..)]`),
    /// the physical index's key attributes in DynamoDB's order: the
    /// partition fields (`HASH`), the sort fields, then the table's `pk`
    /// and `sk` (`RANGE`); empty for a composed pattern, whose keys are
    /// the two strings `gsi1pk` and `gsi1sk`.
    pub attributes: &'static [KeyAttribute],
}

impl IndexSchema {
    /// The index partition key in the ADR's notation: `ROLE#{role}`; for
    /// a multi-attribute pattern its attributes and types, `queue (S)`.
    pub fn partition_key_template(&self) -> String {
        if self.is_multi_attribute() {
            return typed_list(self.attributes.iter().filter(|a| a.hash));
        }
        template(self.pk_prefix, self.partition_key.iter().map(|f| f.field))
    }

    /// The index sort key in the ADR's notation, for an entity with
    /// prefix `prefix`: `EXPERT#{joined}#{pk}#{sk}`; for a multi-attribute
    /// pattern its sort attributes, `priority (N), pk (S), sk (S)`.
    pub fn sort_key_template(&self, prefix: &str) -> String {
        if self.is_multi_attribute() {
            return typed_list(self.attributes.iter().filter(|a| !a.hash));
        }
        let mut out = template(Some(prefix), self.sort_key.iter().map(|f| f.field));
        out.push_str("#{pk}#{sk}");
        out
    }

    /// Whether an item can be left out of the index (an `Option` field
    /// that is `None`).
    pub fn is_sparse(&self) -> bool {
        self.fields().any(|f| f.optional)
    }

    /// Every field of both keys.
    pub fn fields(&self) -> impl Iterator<Item = &'static IndexFieldSchema> {
        self.partition_key.iter().chain(self.sort_key)
    }

    /// Whether every field is part of the table's key (so the index key
    /// never changes after the item is written).
    pub fn is_fixed(&self) -> bool {
        self.fields().all(|f| f.key.is_some())
    }
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
    /// The sort key's shape: `prefix` and the `#[sk]` fields for an entity
    /// of its own; for one nested under a parent (`#[entity(parent = ..)]`),
    /// the parent's sort key first.
    pub sort_key_path: &'static crate::key::SortKeyPath,
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
    /// Its access patterns on secondary indexes.
    pub indexes: &'static [IndexSchema],
    /// Its uniqueness constraints (`#[unique]` fields), kept by marker
    /// items ([`unique`]).
    pub unique: &'static [UniqueSchema],
    /// The attribute its `#[ttl]` field is stored under: the table's TTL
    /// attribute, or `None` when its items never expire.
    pub ttl: Option<&'static str>,
    /// Whether its table has a change feed (`#[table(stream)]`,
    /// [`feed`](crate::feed)).
    pub stream: bool,
    /// The shape its items are written in (`#[entity(shape = 2)]`; 1 when
    /// it declares none), stored in [`SHAPE_ATTRIBUTE`] when above 1; see
    /// [`shape`].
    pub shape: u32,
    /// The shape before [`shape`](Self::shape), which items written
    /// earlier may still be stored in, and through it the older ones.
    pub previous_shape: Option<&'static ShapeSchema>,
}

impl EntitySchema {
    /// A schema of nothing but a name: no key fields, attributes,
    /// version, index, unique value, TTL or older shape. What the
    /// fallback of a failed derive holds, and the base of the schema of
    /// the library's own marker items.
    pub(crate) const fn bare(name: &'static str) -> EntitySchema {
        const ROOT: crate::key::SortKeyPath = crate::key::SortKeyPath::root("", 0);
        EntitySchema {
            name,
            doc: "",
            table: "",
            prefix: "",
            sort_key_path: &ROOT,
            pk_prefix: None,
            partition_key: &[],
            sort_key: &[],
            attributes: &[],
            version: None,
            sets: &[],
            indexes: &[],
            unique: &[],
            ttl: None,
            stream: false,
            shape: 1,
            previous_shape: None,
        }
    }

    /// The partition key in the ADR's notation: `{dialogue_id}`, or
    /// `REALM#{org}#{realm}` with a prefix and a composite key.
    pub fn partition_key_template(&self) -> String {
        template(self.pk_prefix, self.partition_key.iter().map(|f| f.field))
    }

    /// The sort key in the ADR's notation: `PERSP#{round}#{expert}#{seq}`,
    /// or `ORDER#{date}#{order_id}#LINE#{line}` for a nested entity.
    pub fn sort_key_template(&self) -> String {
        self.sort_key_path
            .template(self.sort_key.iter().map(|f| f.field))
    }

    /// The entity this one is nested under, by its prefix: `ORDER` for
    /// `OrderLine`; `None` for an entity of its own.
    pub fn parent_prefix(&self) -> Option<&'static str> {
        let levels = self.sort_key_path.segments();
        levels
            .len()
            .checked_sub(2)
            .map(|parent| levels[parent].prefix)
    }

    /// Whether the entity has exactly one item per partition (no `#[sk]` field).
    pub fn is_singleton(&self) -> bool {
        self.sort_key.is_empty()
    }

    /// Whether `sort_key` is shaped like a key of this entity (its prefix, then
    /// the right number of components; its parents' too when nested).
    pub fn owns_sort_key(&self, sort_key: &str) -> bool {
        self.sort_key_path.names(sort_key)
    }

    /// Whether `sort_key` carries this entity's prefix (`PREFIX#…`, or exactly
    /// `PREFIX` for a singleton): the cheap test a whole-partition read uses
    /// to pick the entity of each item. Prefixes within a table are distinct
    /// and contain no `#`, so exactly one entity names any stored key.
    ///
    /// A nested entity's keys start with its parent's prefix: for it, and
    /// for the parents in its table, the whole shape is compared
    /// ([`owns_sort_key`](Self::owns_sort_key)).
    pub fn names_sort_key(&self, sort_key: &str) -> bool {
        if self.sort_key_path.is_nested() {
            self.owns_sort_key(sort_key)
        } else {
            names_sort_key(self.prefix, self.is_singleton(), sort_key)
        }
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

    /// The entity's older shapes, newest first.
    pub fn older_shapes(&self) -> impl Iterator<Item = &'static ShapeSchema> {
        self.previous_shape.into_iter().flat_map(ShapeSchema::chain)
    }

    /// The stored fields that are not part of the key: `{role, tier, score}`.
    pub fn data_attributes(&self) -> impl Iterator<Item = &'static AttributeSchema> {
        self.attributes.iter().filter(|a| a.key.is_none())
    }
}

/// Whether `sort_key` is the key of an entity with `prefix` (a singleton's
/// is the prefix alone). Inlined into the table decoder's `member_of`,
/// which a query runs once a row: a partition of 100 items read 12 000
/// instructions faster.
#[inline]
pub(crate) fn names_sort_key(prefix: &str, singleton: bool, sort_key: &str) -> bool {
    match sort_key.as_bytes().strip_prefix(prefix.as_bytes()) {
        Some([]) => singleton,
        Some([b'#', ..]) => !singleton,
        _ => false,
    }
}

/// A key in the ADR's notation: the prefix, then `{field}` per field,
/// joined by `#`.
fn template<'a>(prefix: Option<&str>, fields: impl Iterator<Item = &'a str>) -> String {
    let mut out = prefix.unwrap_or_default().to_owned();
    for field in fields {
        if !out.is_empty() {
            out.push(DELIMITER);
        }
        out.push('{');
        out.push_str(field);
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
    /// Its physical secondary indexes (`#[table(indexes(gsi1, gsi2))]`).
    pub indexes: &'static [IndexSlot],
    /// The attribute DynamoDB's Time to Live reads (`#[table(ttl =
    /// "expires_at")]`): a number of epoch seconds after which an item is
    /// expired. Reads hide expired items and conditions see them as absent,
    /// on both backends; see [`ttl`](crate::ttl).
    pub ttl: Option<&'static str>,
    /// Whether the table has a change feed (`#[table(stream)]`): a
    /// DynamoDB stream of new and old images, an outbox on SQLite; see
    /// [`feed`](crate::feed).
    pub stream: bool,
}

impl TableSchema {
    /// What the entries of physical index `slot` hold, decided by the
    /// access patterns on it: `ALL` when one of them projects whole items
    /// (or none uses the index yet, so that any pattern can be added later
    /// without recreating it); else `INCLUDE` of the union of the
    /// attributes the `project(..)` patterns name, when there is one;
    /// else `KEYS_ONLY`. In a table with a TTL attribute an `INCLUDE`
    /// index also projects that attribute, and a keys-only one is `ALL`,
    /// so that reads can leave out the expired items' entries.
    pub fn projection(&self, slot: &str) -> Projection {
        let patterns = || {
            self.entities
                .iter()
                .flat_map(|e| e.indexes)
                .filter(move |i| i.slot.name == slot)
        };
        let mut any = false;
        let mut include = false;
        for pattern in patterns() {
            any = true;
            match pattern.projection {
                Projection::All => return Projection::All,
                Projection::Include(_) => include = true,
                Projection::KeysOnly => {}
            }
        }
        if !any {
            return Projection::All;
        }
        if include {
            return Projection::Include(projection::union(
                self,
                patterns().flat_map(|p| p.projection.non_key_attributes().iter().copied()),
            ));
        }
        // A `KEYS_ONLY` entry has no TTL attribute: a read could not tell
        // an expired item's entry from a live one's.
        if self.ttl.is_some() {
            Projection::All
        } else {
            Projection::KeysOnly
        }
    }

    /// The physical index named `name`.
    pub fn index(&self, name: &str) -> Option<&'static IndexSlot> {
        self.indexes.iter().find(|s| s.name == name)
    }
    /// The entity whose keys look like `sort_key`, if any.
    pub fn entity_for_sort_key(&self, sort_key: &str) -> Option<&'static EntitySchema> {
        self.entities
            .iter()
            .copied()
            .find(|e| e.owns_sort_key(sort_key))
    }

    /// The moving entity ([`key_move`]) whose old key looks like
    /// `sort_key`, if any: an item not moved yet.
    pub fn entity_moved_from(&self, sort_key: &str) -> Option<&'static EntitySchema> {
        self.entities
            .iter()
            .copied()
            .find(|e| e.moved_from().is_some_and(|k| k.names_sort_key(sort_key)))
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
pub trait Entity: Serialize + DeserializeOwned + FromItem + EntityHooks + Send + 'static {
    /// The table enum this entity belongs to (a [`Table`]: the derives check
    /// that the enum lists the entity and the entity names the enum).
    type Table;
    /// The partition key's type: the field's type, or a tuple for a composite key.
    type PartitionKey;
    /// The sort-key components as a tuple, `()` for a singleton.
    type SortKey;
    /// The entity's metadata.
    const SCHEMA: EntitySchema;
    /// [`EntitySchema::moved_from`], computed once.
    #[doc(hidden)]
    const __MOVED_FROM: Option<&'static ShapeKey> = Self::SCHEMA.moved_from();

    /// The key of this item.
    fn key(&self) -> Key<Self>;

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
pub trait Table: TableHooks + Sized + 'static {
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
pub trait FromItem: Sized + hooks::ReadHooks {
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

/// The keys of an entity's items: what a query of a `keys_only` index
/// access pattern returns (the attributes are not read). Fetch the items
/// with [`Store::get_many`](crate::Store::get_many).
impl<E: Entity> FromItem for Key<E> {
    fn from_item<'de, D: Deserializer<'de>>(sort_key: &str, item: D) -> Result<Self, D::Error> {
        let _ = (sort_key, item);
        Err(serde::de::Error::custom(
            "a key is read with its partition key, from a query",
        ))
    }
}

impl<E: Entity> hooks::ReadHooks for Key<E> {
    const __USES_KEYS: bool = true;
    // A key read takes every item it evaluates as `E`'s (and fails on one
    // whose key is not), so it counts them all.
    const __COUNTS_ALL: bool = true;

    fn __from_stored<'de, D: Deserializer<'de>>(
        partition_key: &str,
        sort_key: &str,
        item: D,
    ) -> Result<Option<Self>, D::Error> {
        // The attributes are not needed, but must be an item.
        serde::de::IgnoredAny::deserialize(item)?;
        E::decode_key(partition_key, sort_key).map_err(serde::de::Error::custom)?;
        Ok(Some(Key::from_encoded(
            partition_key.to_owned(),
            sort_key.to_owned(),
        )))
    }
}

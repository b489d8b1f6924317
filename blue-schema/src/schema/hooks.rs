//! What the store asks of an entity and a table beyond their public traits:
//! supertraits of [`Entity`](super::Entity), [`Table`](super::Table) and
//! [`FromItem`] that only the derives (and this crate) implement, reachable
//! through `__private` alone (as serde keeps its derive's hooks out of its
//! public traits).

use serde::Deserializer;

use super::{FromItem, KeysOfItem};
use crate::key::KeyDecodeError;

/// An entity's version and index keys, implemented by `#[derive(Entity)]`.
pub trait EntityHooks {
    /// The value of the `#[version]` field (0 for an entity without one).
    #[inline]
    fn __version(&self) -> u64 {
        0
    }

    /// Sets the `#[version]` field (nothing for an entity without one).
    #[inline]
    fn __set_version(&mut self, version: u64) {
        let _ = version;
    }

    /// Appends `(attribute, value)` for the key of every index the item is
    /// in (`gsi1pk`, `gsi1sk`, …): the item's own table key is `pk`, `sk`.
    /// Nothing for an index whose `Option` field is `None`.
    #[inline]
    fn __index_keys(&self, pk: &str, sk: &str, out: &mut Vec<(&'static str, String)>) {
        let _ = (pk, sk, out);
    }

    /// Appends `(attribute, value, hash)` for each string the item holds
    /// in a key attribute of a multi-attribute index (`hash`: of its
    /// partition key): what DynamoDB refuses when empty or too long, so
    /// that every backend refuses it before writing.
    #[inline]
    fn __attribute_key_strings<'a>(&'a self, out: &mut Vec<(&'static str, &'a str, bool)>) {
        let _ = out;
    }

    /// Appends the value of each of the entity's uniqueness constraints
    /// ([`UniqueSchema`](super::UniqueSchema), in schema order), encoded
    /// as a key of its fields; `None` for one with an `Option` field that
    /// is `None`. Nothing for an entity without `#[unique]` fields.
    #[inline]
    fn __unique_values(&self, out: &mut Vec<Option<String>>) {
        let _ = out;
    }

    /// [`__index_keys`](EntityHooks::__index_keys) of the indexes made of key
    /// fields only, from the key alone: what an update that creates the
    /// item writes.
    #[inline]
    fn __fixed_index_keys(
        pk: &str,
        sk: &str,
        out: &mut Vec<(&'static str, String)>,
    ) -> Result<(), KeyDecodeError> {
        let _ = (pk, sk, out);
        Ok(())
    }
}

/// The index keys of any item of a table, implemented by `#[derive(Table)]`.
pub trait TableHooks {
    /// The entity an item belongs to and the index keys it should have,
    /// computed from the item read as JSON; `None` for an item of no
    /// entity of the table.
    fn __index_keys_of(
        partition_key: &str,
        sort_key: &str,
        item: &serde_json::Value,
    ) -> Option<Result<KeysOfItem, serde_json::Error>> {
        let _ = (partition_key, sort_key, item);
        None
    }
}

/// How a read decodes what a query returns, beyond [`FromItem`]: the
/// derives implement it as it is; [`Key`](crate::Key), which is made of the
/// item's keys rather than its attributes, overrides both members.
pub trait ReadHooks: Sized {
    /// Whether decoding needs the item's table keys (an index query then
    /// reads them).
    const __USES_KEYS: bool = false;

    /// Whether a decoded value knows when its item expires
    /// ([`__expiry`](ReadHooks::__expiry)): entities and the enums of
    /// them do; [`Key`](crate::Key), made of keys alone, does not.
    const __KNOWS_EXPIRY: bool = false;

    /// Whether the reader recognises every item a query of it can
    /// evaluate: an entity in a table without nested entities (its sort
    /// keys' prefix is its own), or an entity's keys. A count of such a
    /// reader is DynamoDB's `Select = COUNT`; a reader that may pass over
    /// items (an entity with children nested under its keys, a table or
    /// collection enum, which skips the entities a newer program added)
    /// is counted from its items' keys.
    const __COUNTS_ALL: bool = false;

    /// Whether the reader decodes an entity with older shapes
    /// ([`crate::schema::shape`]): a query then counts its items per
    /// stored shape ([`Page::shapes`](crate::Page::shapes)).
    const __SHAPED: bool = false;

    /// The entity with older shapes whose item has `sort_key` (empty: an
    /// index read that did not read the table keys), if this reader
    /// decodes one.
    #[inline]
    fn __shape_owner(sort_key: &str) -> Option<&'static str> {
        let _ = sort_key;
        None
    }

    /// When the decoded item expires ([`crate::ttl`]): its `#[ttl]`
    /// field's epoch second; `None` for never (or when it does not know).
    #[inline]
    fn __expiry(&self) -> Option<u64> {
        None
    }

    /// [`from_known_item`](FromItem::from_known_item) with the item's
    /// partition key too.
    #[inline]
    fn __from_stored<'de, D: Deserializer<'de>>(
        partition_key: &str,
        sort_key: &str,
        item: D,
    ) -> Result<Option<Self>, D::Error>
    where
        Self: FromItem,
    {
        let _ = partition_key;
        Self::from_known_item(sort_key, item)
    }
}

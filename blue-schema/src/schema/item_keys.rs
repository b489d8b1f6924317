//! The keys an item should have, computed from its fields: what a copy, an
//! import and `check` compare with the keys an item was stored under.

use super::EntitySchema;

/// The keys an item should have, computed from its fields: its entity, its
/// table key, and the index keys (attribute, value) it belongs under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeysOfItem {
    /// The entity the item is.
    pub entity: &'static EntitySchema,
    /// Its partition key and sort key.
    pub table_key: (String, String),
    /// `(attribute, value)` of every index key it has.
    pub index_keys: Vec<(&'static str, String)>,
    /// The partition keys of the markers of its unique values
    /// ([`unique`](super::unique)), one per value it holds.
    pub unique: Vec<String>,
}

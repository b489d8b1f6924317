//! Multi-attribute index keys (`#[index(.., attributes, ..)]`): the key
//! attributes of such an index, and the rule that one entity owns it.

use super::members::{first_undeclared, ConstMessage, Member};
use super::{IndexSchema, TableSchema, PARTITION_KEY, SORT_KEY};

impl IndexSchema {
    /// Whether the pattern's keys are the fields themselves (a
    /// multi-attribute index) rather than composed strings.
    pub fn is_multi_attribute(&self) -> bool {
        !self.attributes.is_empty()
    }
}

impl TableSchema {
    /// The key attributes of physical index `slot` when it is a
    /// multi-attribute index (one entity's pattern: the derives check),
    /// else empty.
    pub fn key_attributes(&self, slot: &str) -> &'static [KeyAttribute] {
        self.entities
            .iter()
            .flat_map(|e| e.indexes)
            .find(|i| i.slot.name == slot)
            .map_or(&[], |i| i.attributes)
    }
}

/// Key attributes with their types: `queue (S), priority (N)`.
pub(super) fn typed_list<'a>(attributes: impl Iterator<Item = &'a KeyAttribute>) -> String {
    attributes
        .map(|a| format!("{} ({})", a.name, a.scalar.letter()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One key attribute of a multi-attribute index: an entity's own field,
/// stored as itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyAttribute {
    /// The stored attribute: `region`.
    pub name: &'static str,
    /// Its type: `S` or `N`.
    pub scalar: crate::key::ScalarType,
    /// Whether it is part of the index's partition key (`HASH`) rather
    /// than its sort key (`RANGE`).
    pub hash: bool,
}

impl KeyAttribute {
    /// DynamoDB's key type: `HASH` or `RANGE`.
    pub const fn key_type(&self) -> &'static str {
        if self.hash {
            "HASH"
        } else {
            "RANGE"
        }
    }

    /// The SQLite column that reads it from the item, in index `slot`:
    /// `gsi3_region`.
    pub fn column(&self, slot: &str) -> String {
        match self.name {
            PARTITION_KEY | SORT_KEY => self.name.to_owned(),
            name => format!("{slot}_{name}"),
        }
    }
}

/// A multi-attribute index of member `index` that another entity also
/// uses, as a message: its entries are keyed by one entity's own fields,
/// with no prefix to tell entities apart, so another's items in it would
/// be read by this one's queries (and its own by theirs).
pub(super) const fn shared_index_check<const N: usize>(
    table: &str,
    members: &[Member],
    index: usize,
) -> ConstMessage<N> {
    let member = members[index];
    let mut other = 0;
    while other < members.len() {
        let them = members[other];
        let mut i = 0;
        while other != index && them.valid && i < member.attribute_indexes.len() {
            let slot = member.attribute_indexes[i];
            if first_undeclared(&[slot], them.indexes).is_none() {
                return ConstMessage::EMPTY
                    .push("entities `")
                    .push(member.name)
                    .push("` and `")
                    .push(them.name)
                    .push("` of table `")
                    .push(table)
                    .push("` share index `")
                    .push(slot)
                    .push("`, whose keys are `")
                    .push(member.name)
                    .push(
                        "`'s own fields (`attributes`): with no prefix to tell the entities apart, \
                         each one's queries would read the other's items; give each entity its own \
                         multi-attribute index, or key the shared one with composed keys (leave out \
                         `attributes`)",
                    );
            }
            i += 1;
        }
        other += 1;
    }
    ConstMessage::EMPTY
}

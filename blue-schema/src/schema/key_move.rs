//! Key moves: an entity whose key changed, and the key its older items
//! still have.
//!
//! A frozen shape ([`Shape`](crate::Shape)) that carries its own
//! `#[sk(prefix = ..)]` (with its `#[pk]` and `#[sk]` fields, and
//! `#[entity(pk_prefix = ..)]` if it had one) declares the key its items
//! were written under; one without keeps the key of the shape after it.
//! When the newest declared key differs from the entity's, the entity is
//! *moving* ([`EntitySchema::moved_from`]): its items may still be stored
//! under the old key. While it moves, on every backend:
//!
//! * **Reads by key fall back**: `get`, `get_record`, `get_many` and
//!   `transact_get` of a new key that holds nothing read the old key the
//!   item would have had, and decode (and upgrade) what they find there,
//!   if its fields give this new key (several new keys can share an old
//!   one when a field moved into the key).
//! * **Writes by key move first**: every put, create, update, modify and
//!   delete of a key, and every transaction action, first moves the item
//!   if it is still under the old key (one transaction: the item created
//!   under its new key with its index keys recomputed, the old one
//!   deleted on condition that it is still as read), then writes. The
//!   backfill ([`migrate::backfill`](crate::migrate::backfill)) moves the
//!   items no write touched. Of an item found under both keys the copy
//!   written last wins; an old copy written after the new one (an older
//!   program's write after the move) is left for the application
//!   ([`Rewritten::Diverged`](crate::store::Rewritten::Diverged)).
//! * **Queries do not**: a query reads one range of one partition, under
//!   the new key; items still under the old key are not in it. Run the
//!   backfill when the new program is deployed.
//!
//! The old key is computed from the new one, so every field of the old key
//! must be a field of the new key with the same encoding, and the
//! sort-key prefix must change (with the same prefix, old and new items
//! would share query ranges). The derives check both at compile time. A
//! move is finished by removing the old key from the frozen shape once
//! [`check_table`](crate::export::check_table) finds no item under it
//! ([`CheckReport::unmoved`](crate::export::CheckReport::unmoved)).

use super::members::Member;
use super::message::ConstMessage;
use super::{EntitySchema, KeyFieldSchema, ShapeSchema};
use crate::key::{EnumOrder, KeyEncoding, DELIMITER};

/// The key an older shape's items were written under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShapeKey {
    /// The partition-key prefix, if it had one.
    pub pk_prefix: Option<&'static str>,
    /// The sort-key prefix.
    pub prefix: &'static str,
    /// The `#[pk]` fields, in order.
    pub partition_key: &'static [KeyFieldSchema],
    /// The `#[sk]` fields, in order.
    pub sort_key: &'static [KeyFieldSchema],
}

impl ShapeKey {
    /// The partition key in the ADR's notation.
    pub fn partition_key_template(&self) -> String {
        super::template(self.pk_prefix, self.partition_key.iter().map(|f| f.field))
    }

    /// The sort key in the ADR's notation.
    pub fn sort_key_template(&self) -> String {
        super::template(Some(self.prefix), self.sort_key.iter().map(|f| f.field))
    }

    /// Whether `sort_key` has this key's shape: its prefix, then as many
    /// components as it has `#[sk]` fields.
    pub fn names_sort_key(&self, sort_key: &str) -> bool {
        components(sort_key, Some(self.prefix), self.sort_key.len()).is_some()
    }

    /// Whether `self` is the key `entity` has now.
    const fn is_key_of(&self, entity: &EntitySchema) -> bool {
        same_key(self, &ShapeKey::of(entity))
    }

    /// The key `entity` has now.
    const fn of(entity: &EntitySchema) -> ShapeKey {
        ShapeKey {
            pk_prefix: entity.pk_prefix,
            prefix: entity.prefix,
            partition_key: entity.partition_key,
            sort_key: entity.sort_key,
        }
    }
}

impl EntitySchema {
    /// The key the entity's older items may still be stored under, when
    /// it is moving (see [`key_move`](self)): the newest key an older
    /// shape declares, if it is not the entity's own.
    pub const fn moved_from(&self) -> Option<&'static ShapeKey> {
        let mut shape = self.previous_shape;
        while let Some(s) = shape {
            if let Some(key) = s.key {
                return if key.is_key_of(self) { None } else { Some(key) };
            }
            shape = s.previous;
        }
        None
    }

    /// The key an item whose key is now `(partition_key, sort_key)` had
    /// before the entity's key moved; `None` when it is not moving (or
    /// the strings are not a key of the entity).
    pub fn old_key(&self, partition_key: &str, sort_key: &str) -> Option<(String, String)> {
        let old = self.moved_from()?;
        let pk = components(partition_key, self.pk_prefix, self.partition_key.len())?;
        let sk = components(sort_key, Some(self.prefix), self.sort_key.len())?;
        // The component of the new key that holds `field`.
        let part = |field: &KeyFieldSchema| -> Option<&str> {
            match self
                .partition_key
                .iter()
                .position(|f| f.field == field.field)
            {
                Some(i) => pk.clone().nth(i),
                None => {
                    let i = self.sort_key.iter().position(|f| f.field == field.field)?;
                    sk.clone().nth(i)
                }
            }
        };
        let join = |prefix: Option<&str>, fields: &[KeyFieldSchema], capacity: usize| {
            let mut out = String::with_capacity(capacity);
            out.push_str(prefix.unwrap_or_default());
            for field in fields {
                if !out.is_empty() {
                    out.push(DELIMITER);
                }
                out.push_str(part(field)?);
            }
            Some(out)
        };
        Some((
            join(old.pk_prefix, old.partition_key, partition_key.len() + 8)?,
            join(Some(old.prefix), old.sort_key, sort_key.len() + 8)?,
        ))
    }
}

/// The components of `key` after `prefix` (if any), when it has exactly
/// `count`.
fn components<'k>(
    key: &'k str,
    prefix: Option<&str>,
    count: usize,
) -> Option<std::str::Split<'k, char>> {
    let rest = match prefix {
        None => key,
        Some(p) => match key.strip_prefix(p)? {
            "" => return (count == 0).then(|| "".split(DELIMITER)),
            rest => rest.strip_prefix(DELIMITER)?,
        },
    };
    let parts = rest.split(DELIMITER);
    (parts.clone().count() == count).then_some(parts)
}

/// Why the key `entity`'s shapes declare cannot be moved from, as a
/// message; no message when it can (or the entity is not moving). What
/// `#[derive(Entity)]` asserts at compile time.
#[doc(hidden)]
pub const fn key_move_problem(entity: &EntitySchema) -> ConstMessage<640> {
    let Some(old) = entity.moved_from() else {
        return ConstMessage::EMPTY;
    };
    let start = ConstMessage::EMPTY
        .push("the key of `")
        .push(entity.name)
        .push("` cannot move from the key its frozen shape declares: ");
    // Only the newest declared key moves: an older shape declaring yet
    // another one is an unfinished earlier move.
    let mut shape: Option<&ShapeSchema> = entity.previous_shape;
    let mut newest_seen = false;
    while let Some(s) = shape {
        if let Some(key) = s.key {
            if newest_seen && !key.is_key_of(entity) && !same_key(key, old) {
                return start.push("its older shape `").push(s.name).push(
                    "` declares yet another key, and a key moves once at a time. Finish that \
                     move first (a backfill, then remove its `#[sk(prefix)]` and key fields from \
                     the older shape)",
                );
            }
            newest_seen = true;
        }
        shape = s.previous;
    }
    if entity.sort_key_path.is_nested() {
        return start.push(
            "the key of an entity nested under a parent (`#[entity(parent = ..)]`) does not \
             move; remove the old key from the frozen shape",
        );
    }
    if str_eq(old.prefix, entity.prefix) {
        return start
            .push("both keep the sort-key prefix `")
            .push(old.prefix)
            .push(
                "`, so items under the old key and the new would share the entity's query ranges: \
             give the entity a new `#[sk(prefix = ..)]`",
            );
    }
    let mut i = 0;
    while i < old.partition_key.len() + old.sort_key.len() {
        let field = if i < old.partition_key.len() {
            &old.partition_key[i]
        } else {
            &old.sort_key[i - old.partition_key.len()]
        };
        if !in_key(field, entity) {
            let start = start.push("its old key part `").push(field.field);
            return if named_in_key(field.field, entity) {
                start.push("` (").push(field.rust_type).push(
                    ") has another type in the new key: a key part keeps its type across a key \
                     move, as its encoded values are copied from the new key into the old",
                )
            } else {
                start.push(
                    "` is not in the new key: a key move can rename the prefix and add, reorder \
                     or move fields into the key, not take one out (the old key is computed \
                     from the new one)",
                )
            };
        }
        i += 1;
    }
    ConstMessage::EMPTY
}

/// Whether `field` is one of `entity`'s key fields, encoded the same way.
const fn in_key(field: &KeyFieldSchema, entity: &EntitySchema) -> bool {
    contains(field, entity.partition_key) || contains(field, entity.sort_key)
}

/// Whether `entity` has a key field named `name`, whatever its type.
const fn named_in_key(name: &str, entity: &EntitySchema) -> bool {
    let mut i = 0;
    while i < entity.partition_key.len() + entity.sort_key.len() {
        let field = if i < entity.partition_key.len() {
            &entity.partition_key[i]
        } else {
            &entity.sort_key[i - entity.partition_key.len()]
        };
        if str_eq(field.field, name) {
            return true;
        }
        i += 1;
    }
    false
}

const fn contains(field: &KeyFieldSchema, fields: &[KeyFieldSchema]) -> bool {
    let mut i = 0;
    while i < fields.len() {
        if str_eq(field.field, fields[i].field) && encoding_eq(field.encoding, fields[i].encoding) {
            return true;
        }
        i += 1;
    }
    false
}

const fn same_key(a: &ShapeKey, b: &ShapeKey) -> bool {
    let same_pk_prefix = match (a.pk_prefix, b.pk_prefix) {
        (None, None) => true,
        (Some(x), Some(y)) => str_eq(x, y),
        _ => false,
    };
    same_pk_prefix
        && str_eq(a.prefix, b.prefix)
        && fields_eq(a.partition_key, b.partition_key)
        && fields_eq(a.sort_key, b.sort_key)
}

const fn fields_eq(a: &[KeyFieldSchema], b: &[KeyFieldSchema]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if !str_eq(a[i].field, b[i].field) || !encoding_eq(a[i].encoding, b[i].encoding) {
            return false;
        }
        i += 1;
    }
    true
}

/// Whether two encodings write the same value as the same text.
pub(crate) const fn encoding_eq(a: &KeyEncoding, b: &KeyEncoding) -> bool {
    match (a, b) {
        (KeyEncoding::String, KeyEncoding::String)
        | (KeyEncoding::Bool, KeyEncoding::Bool)
        | (KeyEncoding::Char, KeyEncoding::Char)
        | (KeyEncoding::Uuid, KeyEncoding::Uuid)
        | (KeyEncoding::Timestamp, KeyEncoding::Timestamp)
        | (KeyEncoding::Date, KeyEncoding::Date)
        | (KeyEncoding::DateTime, KeyEncoding::DateTime) => true,
        (KeyEncoding::Unsigned { digits: x }, KeyEncoding::Unsigned { digits: y }) => *x == *y,
        (
            KeyEncoding::Signed { bits: a, digits: x },
            KeyEncoding::Signed { bits: b, digits: y },
        ) => *a == *b && *x == *y,
        (
            KeyEncoding::Enum {
                name: n,
                variants: v,
                order: o,
            },
            KeyEncoding::Enum {
                name: m,
                variants: w,
                order: p,
            },
        ) => str_eq(n, m) && strs_eq(v, w) && order_eq(*o, *p),
        (
            KeyEncoding::Newtype { name: n, inner: i },
            KeyEncoding::Newtype { name: m, inner: j },
        ) => str_eq(n, m) && encoding_eq(i, j),
        _ => false,
    }
}

const fn order_eq(a: EnumOrder, b: EnumOrder) -> bool {
    matches!(
        (a, b),
        (EnumOrder::Name, EnumOrder::Name)
            | (EnumOrder::NameByChoice, EnumOrder::NameByChoice)
            | (EnumOrder::Declaration, EnumOrder::Declaration)
    )
}

const fn strs_eq(a: &[&str], b: &[&str]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if !str_eq(a[i], b[i]) {
            return false;
        }
        i += 1;
    }
    true
}

const fn str_eq(a: &str, b: &str) -> bool {
    crate::key::const_str_eq(a, b)
}

/// What is wrong with the old prefix of the member at `index` of table
/// `table`, while its key moves: another member has that prefix, or moves
/// from it too, so the items under it could not be told apart. Part of the
/// table's member check.
pub(crate) const fn moved_prefix_check<const N: usize>(
    table: &str,
    members: &[Member],
    index: usize,
) -> ConstMessage<N> {
    let member = members[index];
    let Some(old) = member.moved_prefix else {
        return ConstMessage::EMPTY;
    };
    let mut i = 0;
    while i < members.len() {
        let other = members[i];
        let taken =
            str_eq(other.prefix, old) || matches!(other.moved_prefix, Some(p) if str_eq(p, old));
        if i != index && other.valid && taken {
            return ConstMessage::EMPTY
                .push("entity `")
                .push(member.name)
                .push("` of table `")
                .push(table)
                .push("` moves its items from the sort-key prefix `")
                .push(old)
                .push("`, which entity `")
                .push(other.name)
                .push(
                    "` uses too: the items under it could not be told apart; rename one of \
                     the two entities' new prefixes, or finish the move first",
                );
        }
        i += 1;
    }
    ConstMessage::EMPTY
}

#[cfg(test)]
mod tests {
    use super::moved_prefix_check;
    use crate::key::SortKeyPath;
    use crate::schema::members::Member;

    const ROOT: SortKeyPath = SortKeyPath::root("", 0);

    const fn member(
        name: &'static str,
        prefix: &'static str,
        moved: Option<&'static str>,
    ) -> Member {
        Member {
            name,
            valid: true,
            prefix,
            singleton: false,
            pk_prefix: None,
            pk_type: "String",
            indexes: &[],
            projections: &[],
            attribute_indexes: &[],
            path: &ROOT,
            ttl: None,
            attributes: &[],
            moved_prefix: moved,
        }
    }

    #[test]
    fn an_old_prefix_in_use_is_refused() {
        let table = [
            member("Account", "ACCOUNT", Some("USER")),
            member("User", "USER", None),
            member("Org", "ORG", Some("ORGANISATION")),
        ];
        let check = |index| moved_prefix_check::<600>("Auth", &table, index);
        assert_eq!(
            check(0).as_str(),
            "entity `Account` of table `Auth` moves its items from the sort-key prefix `USER`, \
             which entity `User` uses too: the items under it could not be told apart; rename \
             one of the two entities' new prefixes, or finish the move first"
        );
        assert_eq!(check(1).as_str(), "");
        assert_eq!(check(2).as_str(), "");
    }
}

//! What a secondary index's entries hold ([`Projection`]), and for an
//! `INCLUDE` index the union of what the access patterns sharing it
//! project, kept once per distinct list, within DynamoDB's limit.

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock, PoisonError};

use super::members::Member;
use super::message::ConstMessage;
use super::TableSchema;
use crate::key::const_str_eq;

/// What the entries of a secondary index hold besides the keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Projection {
    /// The whole item (DynamoDB's `ALL`): an index query returns entities.
    All,
    /// The table's and the index's keys (`KEYS_ONLY`): an index query
    /// returns [`Key`](crate::Key)s, which [`Store::get_many`](crate::Store::get_many)
    /// turns into items.
    KeysOnly,
    /// The keys and these attributes (`INCLUDE`, DynamoDB's
    /// `NonKeyAttributes`), sorted: an access pattern's query returns its
    /// generated view. For a pattern, the attributes it names and those of
    /// its index-key fields; for a physical index
    /// ([`TableSchema::projection`]), the union over the patterns sharing
    /// it, and the table's TTL attribute.
    Include(&'static [&'static str]),
}

impl Projection {
    /// DynamoDB's name for it: `ALL`, `KEYS_ONLY`, `INCLUDE`.
    pub fn dynamodb_name(self) -> &'static str {
        match self {
            Projection::All => "ALL",
            Projection::KeysOnly => "KEYS_ONLY",
            Projection::Include(_) => "INCLUDE",
        }
    }

    /// The projection as docs and errors name it: `ALL`, `KEYS_ONLY`,
    /// `INCLUDE (status, title)`.
    pub fn describe(self) -> String {
        match self {
            Projection::Include(attributes) => format!("INCLUDE ({})", attributes.join(", ")),
            other => other.dynamodb_name().to_owned(),
        }
    }

    /// The attributes an `INCLUDE` projection adds to the keys (none for
    /// the other kinds).
    pub fn non_key_attributes(self) -> &'static [&'static str] {
        match self {
            Projection::Include(attributes) => attributes,
            Projection::All | Projection::KeysOnly => &[],
        }
    }
}

/// DynamoDB's limit on the `NonKeyAttributes` of a table's secondary
/// indexes, summed over the indexes (an attribute projected into two
/// indexes counts twice).
pub const MAX_PROJECTED_ATTRIBUTES: usize = 100;

/// The sorted, distinct `attributes` of an index, and the table's TTL
/// attribute: a list that lives as long as the program, made once per
/// distinct list (a program has a handful of tables).
pub(super) fn union(
    table: &TableSchema,
    attributes: impl Iterator<Item = &'static str>,
) -> &'static [&'static str] {
    let mut all: Vec<&'static str> = attributes.chain(table.ttl).collect();
    all.sort_unstable();
    all.dedup();
    kept(all)
}

/// Which of `attributes` are a `#[set]` field of one of the table's
/// entities (none, without allocating, for an empty list).
pub(crate) fn sets(table: &TableSchema, attributes: &[&'static str]) -> &'static [&'static str] {
    if attributes.is_empty() {
        return &[];
    }
    let is_set = |name: &str| {
        table
            .entities
            .iter()
            .flat_map(|e| e.attributes)
            .any(|a| a.name == name && a.set.is_some())
    };
    let sets: Vec<&'static str> = attributes.iter().copied().filter(|a| is_set(a)).collect();
    if sets.is_empty() {
        return &[];
    }
    kept(sets)
}

/// `list`, as one list that lives as long as the program.
fn kept(all: Vec<&'static str>) -> &'static [&'static str] {
    static KEPT: OnceLock<Mutex<HashSet<&'static [&'static str]>>> = OnceLock::new();
    let mut kept = KEPT
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if let Some(found) = kept.get(all.as_slice()) {
        return found;
    }
    let leaked: &'static [&'static str] = Box::leak(all.into_boxed_slice());
    kept.insert(leaked);
    leaked
}

/// The attributes index `slot` projects beside its keys, in `const`
/// evaluation, from the valid `members`' patterns on it: none for an `ALL`
/// or `KEYS_ONLY` index, else the distinct names (and the TTL attribute).
const fn slot_attributes(members: &[Member], slot: &str, ttl: Option<&str>) -> usize {
    let mut count = 0;
    let mut include = false;
    let mut m = 0;
    while m < members.len() {
        let member = members[m];
        let mut p = 0;
        while member.valid && p < member.indexes.len() && p < member.projections.len() {
            if const_str_eq(member.indexes[p], slot) {
                match member.projections[p] {
                    Projection::All => return 0,
                    Projection::KeysOnly => {}
                    Projection::Include(names) => {
                        include = true;
                        let mut n = 0;
                        while n < names.len() {
                            if !seen_before(members, slot, m, p, n) && !is(ttl, names[n]) {
                                count += 1;
                            }
                            n += 1;
                        }
                    }
                }
            }
            p += 1;
        }
        m += 1;
    }
    if include && ttl.is_some() {
        count += 1;
    }
    count
}

const fn is(ttl: Option<&str>, name: &str) -> bool {
    match ttl {
        Some(ttl) => const_str_eq(ttl, name),
        None => false,
    }
}

/// Whether attribute `n` of pattern `p` of member `m` on `slot` was named
/// by an earlier `INCLUDE` pattern on the same slot.
const fn seen_before(members: &[Member], slot: &str, m: usize, p: usize, n: usize) -> bool {
    let Projection::Include(names) = members[m].projections[p] else {
        return false;
    };
    let name = names[n];
    let mut i = 0;
    while i <= m {
        let other = members[i];
        let mut q = 0;
        while other.valid && q < other.indexes.len() && q < other.projections.len() {
            if const_str_eq(other.indexes[q], slot) {
                if let Projection::Include(theirs) = other.projections[q] {
                    let mut k = 0;
                    while k < theirs.len() {
                        let earlier = i < m || q < p || (q == p && k < n);
                        if earlier && const_str_eq(theirs[k], name) {
                            return true;
                        }
                        k += 1;
                    }
                }
            }
            q += 1;
        }
        i += 1;
    }
    false
}

/// The rule on a table's projected attributes, in `const` evaluation:
/// DynamoDB refuses a table whose indexes project more than
/// [`MAX_PROJECTED_ATTRIBUTES`] non-key attributes, summed over them.
pub(crate) const fn budget_check<const N: usize>(
    table: &str,
    members: &[Member],
    declared: &[&str],
    ttl: Option<&str>,
) -> ConstMessage<N> {
    let mut total = 0;
    let mut s = 0;
    while s < declared.len() {
        total += slot_attributes(members, declared[s], ttl);
        s += 1;
    }
    if total <= MAX_PROJECTED_ATTRIBUTES {
        return ConstMessage::EMPTY;
    }
    ConstMessage::EMPTY
        .push("the indexes of table `")
        .push(table)
        .push("` project ")
        .push_number(total)
        .push(
            " attributes beside their keys (the `project(..)` patterns' fields and index-key \
             fields, per index, and the TTL attribute), and DynamoDB allows ",
        )
        .push_number(MAX_PROJECTED_ATTRIBUTES)
        .push(
            " summed over a table's indexes: project fewer fields, share one index between \
             patterns that project the same ones, or make a pattern `project = all`",
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::SortKeyPath;

    const ROOT: SortKeyPath = SortKeyPath::root("", 0);

    fn member(
        name: &'static str,
        indexes: &'static [&'static str],
        projections: &'static [Projection],
    ) -> Member {
        Member {
            name,
            valid: true,
            prefix: name,
            singleton: false,
            pk_prefix: None,
            pk_type: "String",
            indexes,
            projections,
            attribute_indexes: &[],
            path: &ROOT,
            ttl: None,
            attributes: &[],
            moved_prefix: None,
        }
    }

    /// `n` distinct attribute names, made once.
    fn names(n: usize, tag: &str) -> &'static [&'static str] {
        let names: Vec<&'static str> = (0..n)
            .map(|i| &*Box::leak(format!("{tag}{i}").into_boxed_str()))
            .collect();
        Box::leak(names.into_boxed_slice())
    }

    #[test]
    fn the_budget_counts_distinct_names_per_index_and_sums_the_indexes() {
        let fifty = names(50, "a");
        let one = Box::leak(Box::new([Projection::Include(fifty)]));
        // Two patterns on one index projecting the same 50: 50.
        let shared = [member("A", &["gsi1"], one), member("B", &["gsi1"], one)];
        assert_eq!(slot_attributes(&shared, "gsi1", None), 50);
        assert!(budget_check::<400>("t", &shared, &["gsi1"], None).is_empty());
        // The same 50 in two indexes count twice, plus the TTL attribute
        // in each: 102.
        let split = [member("A", &["gsi1"], one), member("B", &["gsi2"], one)];
        assert!(budget_check::<400>("t", &split, &["gsi1", "gsi2"], None).is_empty());
        let message = budget_check::<400>("t", &split, &["gsi1", "gsi2"], Some("exp"));
        assert!(
            message
                .as_str()
                .starts_with("the indexes of table `t` project 102 attributes"),
            "{}",
            message.as_str()
        );
        // An `ALL` pattern on the index makes it `ALL`: nothing counted.
        let all = Box::leak(Box::new([Projection::All]));
        let mixed = [member("A", &["gsi1"], one), member("B", &["gsi1"], all)];
        assert_eq!(slot_attributes(&mixed, "gsi1", Some("exp")), 0);
        // Keys only: nothing either.
        let keys = Box::leak(Box::new([Projection::KeysOnly]));
        assert_eq!(
            slot_attributes(&[member("A", &["gsi1"], keys)], "gsi1", Some("exp")),
            0
        );
    }

    #[test]
    fn numbers_are_written_in_decimal() {
        for n in [0usize, 7, 10, 101, 123_456] {
            assert_eq!(
                ConstMessage::<40>::EMPTY.push_number(n).as_str(),
                n.to_string()
            );
        }
    }
}

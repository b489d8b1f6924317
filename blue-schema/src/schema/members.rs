//! The entities of a table as `#[derive(Table)]` lists them: which entity
//! a sort key belongs to, and the rules across entities that only their
//! derives know the values of, checked in `const` evaluation.
//!
//! The table derive emits one [`Member`] per entity and one `const`
//! assertion per entity calling [`member_check`]: the expanded code grows
//! linearly with a table's entities (a pairwise assertion per two entities
//! grew with their square), and the pairs are compared here.

pub use super::message::ConstMessage;
use super::names_sort_key;
use crate::key::SortKeyPath;

/// What a table's derive needs of one entity, read from the facts its own
/// derive emits (`EntityFacts`), whether or not that derive succeeded.
#[derive(Debug, Clone, Copy)]
pub struct Member {
    /// The entity's Rust name, as the table enum writes it.
    pub name: &'static str,
    /// Whether the entity's own derive succeeded: its rules are reported
    /// there when it did not, and not again here.
    pub valid: bool,
    /// The sort-key prefix.
    pub prefix: &'static str,
    /// Whether the entity has no sort-key fields.
    pub singleton: bool,
    /// The partition-key prefix.
    pub pk_prefix: Option<&'static str>,
    /// The `#[pk]` fields' types as written (`String`, `(String, u16)`).
    pub pk_type: &'static str,
    /// The physical indexes its access patterns use.
    pub indexes: &'static [&'static str],
    /// What each of those patterns projects, in the same order.
    pub projections: &'static [super::Projection],
    /// Those of its indexes whose keys are its own fields (its
    /// multi-attribute patterns').
    pub attribute_indexes: &'static [&'static str],
    /// The shape of its sort key (its parents' prefixes for a nested entity).
    pub path: &'static SortKeyPath,
    /// The attribute its `#[ttl]` field is stored under, if it has one.
    pub ttl: Option<&'static str>,
    /// The attributes its data fields are stored under.
    pub attributes: &'static [&'static str],
    /// The sort-key prefix of its old key, while its key moves
    /// ([`key_move`](super::key_move)).
    pub moved_prefix: Option<&'static str>,
}

/// The members of a table, implemented by its derive.
pub trait TableMembers {
    /// The entities, in the enum's order.
    const MEMBERS: &'static [Member];
    /// The indexes the table declares.
    const DECLARED: &'static [&'static str];
    /// The TTL attribute the table declares (`#[table(ttl = "...")]`).
    const TTL: Option<&'static str> = None;
}

/// The position in `members` of the entity that `sort_key` belongs to.
/// In a `nested` table (one with an entity nested under another) a
/// parent's prefix also starts its children's keys, so the whole shape of
/// the key is compared; otherwise the prefix names the entity.
#[inline]
pub fn member_of(members: &[Member], nested: bool, sort_key: &str) -> Option<usize> {
    if nested {
        members.iter().position(|m| m.path.names(sort_key))
    } else {
        members
            .iter()
            .position(|m| names_sort_key(m.prefix, m.singleton, sort_key))
    }
}

/// Whether any of `members` is nested under another entity.
pub const fn any_nested(members: &[Member]) -> bool {
    let mut i = 0;
    while i < members.len() {
        if members[i].path.is_nested() {
            return true;
        }
        i += 1;
    }
    false
}

/// What is wrong with entity `child` (with `total` `#[sk]` fields and
/// partition-key prefix `pk_prefix`) nested under `parent`, whose facts
/// follow, as a message; no message when nothing is.
#[allow(clippy::too_many_arguments)]
pub const fn nesting_check<const N: usize>(
    child: &str,
    parent: &str,
    parent_valid: bool,
    parent_path: &SortKeyPath,
    parent_pk_prefix: Option<&str>,
    pk_prefix: Option<&str>,
    total: usize,
) -> ConstMessage<N> {
    if !parent_valid {
        return ConstMessage::EMPTY;
    }
    let problem = SortKeyPath::nesting_problem(parent_path, total);
    if !problem.is_empty() {
        return ConstMessage::EMPTY
            .push("`")
            .push(child)
            .push("` cannot be nested under `")
            .push(parent)
            .push("`: ")
            .push(problem);
    }
    if !opt_str_eq(parent_pk_prefix, pk_prefix) {
        return ConstMessage::EMPTY
            .push("`")
            .push(child)
            .push("` is nested under `")
            .push(parent)
            .push(
                "`, so it lives in its parent's partitions: give it the parent's \
                 `#[entity(pk_prefix = ...)]` (",
            )
            .push(match parent_pk_prefix {
                Some(prefix) => prefix,
                None => "none",
            })
            .push(")");
    }
    ConstMessage::EMPTY
}

/// What is wrong with the member at `index` of collection `collection`, as
/// a message: it is read from another partition template than the first
/// member, or (with a `parent`, named `parent_name`) it is neither the
/// parent nor nested under it.
pub const fn collection_check<const N: usize>(
    collection: &str,
    members: &[Member],
    parent: Option<(&str, &SortKeyPath)>,
    index: usize,
) -> ConstMessage<N> {
    let member = members[index];
    if !member.valid {
        return ConstMessage::EMPTY;
    }
    let first = members[0];
    if first.valid && !opt_str_eq(first.pk_prefix, member.pk_prefix) {
        return ConstMessage::EMPTY
            .push("entities `")
            .push(first.name)
            .push("` and `")
            .push(member.name)
            .push("` of collection `")
            .push(collection)
            .push(
                "` have different partition templates (`pk_prefix`es): a collection is read \
                 from one partition, so its entities share a `pk_prefix`",
            );
    }
    if let Some((name, path)) = parent {
        if !member.path.is_under(path) {
            return ConstMessage::EMPTY
                .push("`")
                .push(member.name)
                .push("` is neither `")
                .push(name)
                .push("` nor nested under it: collection `")
                .push(collection)
                .push(
                    "` reads one parent's range of sort keys, which holds only the parent and \
                     the entities declared with `#[entity(parent = ...)]` under it",
                );
        }
    }
    ConstMessage::EMPTY
}

/// What is wrong with `member`'s TTL in table `table`, whose TTL attribute
/// is `ttl`: a `#[ttl]` field under another name, or another field under
/// its name; no message when nothing is.
const fn ttl_check<const N: usize>(
    table: &str,
    member: Member,
    ttl: Option<&str>,
) -> ConstMessage<N> {
    if let (None, Some(declared)) = (member.ttl, ttl) {
        let mut i = 0;
        while i < member.attributes.len() {
            if str_eq(member.attributes[i], declared) {
                return ConstMessage::EMPTY
                    .push("entity `")
                    .push(member.name)
                    .push("` stores a field under `")
                    .push(declared)
                    .push("`, table `")
                    .push(table)
                    .push(
                        "`'s TTL attribute, without `#[ttl]`: DynamoDB would expire its items by \
                         it; mark the field `#[ttl]`, or store it under another name",
                    );
            }
            i += 1;
        }
    }
    if let Some(attribute) = member.ttl {
        if !opt_str_eq(Some(attribute), ttl) {
            let message = ConstMessage::EMPTY
                .push("entity `")
                .push(member.name)
                .push("` has a `#[ttl]` field stored as `")
                .push(attribute)
                .push("`, but table `")
                .push(table);
            return match ttl {
                None => message
                    .push("` declares no TTL attribute: add `#[table(ttl = \"")
                    .push(attribute)
                    .push(
                        "\")]` (DynamoDB reads one TTL attribute per table, and the table's \
                         definition enables it)",
                    ),
                Some(declared) => message
                    .push("` declares `ttl = \"")
                    .push(declared)
                    .push(
                        "\"`: DynamoDB reads one TTL attribute per table, so every entity's \
                         `#[ttl]` field is stored under it; rename the field or give it \
                         `#[serde(rename = \"",
                    )
                    .push(declared)
                    .push("\")]`"),
            };
        }
    }
    ConstMessage::EMPTY
}

/// The first rule across entities that the entity at `index` of table
/// `table` breaks, as a message, or no message:
///
/// * its sort-key prefix is an earlier entity's (the prefix names the item
///   type);
/// * it has no `pk_prefix` while another entity has a partition template
///   of its own (a different `pk_prefix`): with several templates, every
///   partition key must start with its template's prefix, so that no key
///   of one template can equal a key of another (prefixes hold no `#`);
/// * one of its access patterns uses an index the table does not declare.
///
/// An entity whose own derive failed is skipped, and so is a comparison
/// with one.
pub const fn member_check<const N: usize>(
    table: &str,
    members: &[Member],
    declared: &[&str],
    ttl: Option<&str>,
    index: usize,
) -> ConstMessage<N> {
    let member = members[index];
    if !member.valid {
        return ConstMessage::EMPTY;
    }
    let ttl_message = ttl_check::<N>(table, member, ttl);
    if !ttl_message.is_empty() {
        return ttl_message;
    }
    let moved = super::key_move::moved_prefix_check::<N>(table, members, index);
    if !moved.is_empty() {
        return moved;
    }
    let mut earlier = 0;
    while earlier < index {
        let other = members[earlier];
        if other.valid && str_eq(member.prefix, other.prefix) {
            return ConstMessage::EMPTY
                .push("entities `")
                .push(other.name)
                .push("` and `")
                .push(member.name)
                .push("` of table `")
                .push(table)
                .push(
                    "` have the same sort-key prefix: the prefix names the item type, \
                     so each entity of a table needs its own `#[sk(prefix = \"...\")]`",
                );
        }
        earlier += 1;
    }
    let mut earlier = 0;
    while earlier < index {
        let other = members[earlier];
        if other.valid
            && opt_str_eq(member.pk_prefix, other.pk_prefix)
            && !str_eq(member.pk_type, other.pk_type)
        {
            return ConstMessage::EMPTY
                .push("entities `")
                .push(other.name)
                .push("` and `")
                .push(member.name)
                .push("` of table `")
                .push(table)
                .push(
                    "` share a partition template (`pk_prefix`), but their `#[pk]` types differ (`",
                )
                .push(other.pk_type)
                .push("` and `")
                .push(member.pk_type)
                .push(
                    "`): entities that live in one partition are keyed alike; give them the same \
                     `#[pk]` types in the same order, or each its own `pk_prefix`",
                );
        }
        earlier += 1;
    }
    if member.pk_prefix.is_none() {
        let mut other = 0;
        while other < members.len() {
            let them = members[other];
            if let (true, Some(theirs)) = (them.valid, them.pk_prefix) {
                return ConstMessage::EMPTY
                    .push("entity `")
                    .push(member.name)
                    .push("` of table `")
                    .push(table)
                    .push("` has no `pk_prefix`, but `")
                    .push(them.name)
                    .push("` has a partition template of its own (`pk_prefix = \"")
                    .push(theirs)
                    .push(
                        "\"`): in a table with several partition templates every entity needs \
                         `#[entity(pk_prefix = \"...\")]`, so that no partition key of one \
                         template can equal a key of another",
                    );
            }
            other += 1;
        }
    }
    let shared = super::attribute_key::shared_index_check::<N>(table, members, index);
    if !shared.is_empty() {
        return shared;
    }
    if index + 1 == members.len() {
        let budget = super::projection::budget_check::<N>(table, members, declared, ttl);
        if !budget.is_empty() {
            return budget;
        }
    }
    if let Some(missing) = first_undeclared(member.indexes, declared) {
        let mut message = ConstMessage::EMPTY
            .push("`")
            .push(member.name)
            .push("` has an access pattern on secondary index `")
            .push(missing)
            .push("`, which table `")
            .push(table)
            .push(
                "` does not declare: list every index its entities use in \
                 `#[table(indexes(gsi1, ...))]` (declared: ",
            );
        if declared.is_empty() {
            message = message.push("none");
        }
        let mut i = 0;
        while i < declared.len() {
            if i > 0 {
                message = message.push(", ");
            }
            message = message.push(declared[i]);
            i += 1;
        }
        return message.push(")");
    }
    ConstMessage::EMPTY
}

/// Whether all valid `members` share one partition template (one
/// `pk_prefix`): what a table's whole-partition read needs.
pub const fn one_partition_template(members: &[Member]) -> bool {
    let mut first: Option<Option<&str>> = None;
    let mut i = 0;
    while i < members.len() {
        if members[i].valid {
            match first {
                None => first = Some(members[i].pk_prefix),
                Some(prefix) => {
                    if !opt_str_eq(prefix, members[i].pk_prefix) {
                        return false;
                    }
                }
            }
        }
        i += 1;
    }
    true
}

/// The first name in `used` that is not one of `declared`, in `const`
/// context.
pub(super) const fn first_undeclared<'a>(used: &[&'a str], declared: &[&str]) -> Option<&'a str> {
    let mut i = 0;
    while i < used.len() {
        let mut found = false;
        let mut j = 0;
        while j < declared.len() {
            if str_eq(used[i], declared[j]) {
                found = true;
            }
            j += 1;
        }
        if !found {
            return Some(used[i]);
        }
        i += 1;
    }
    None
}

use crate::key::const_str_eq as str_eq;

/// `Option<&str>` equality in `const` context.
const fn opt_str_eq(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => str_eq(a, b),
        (None, None) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::{member_check, member_of, one_partition_template, ConstMessage, Member};
    use crate::key::SortKeyPath;

    const fn member(name: &'static str, valid: bool, prefix: &'static str) -> Member {
        Member {
            name,
            valid,
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
            moved_prefix: None,
        }
    }

    const ROOT: SortKeyPath = SortKeyPath::root("", 0);

    const TABLE: &[Member] = &[
        Member {
            singleton: true,
            ..member("Meta", true, "META")
        },
        member("Expert", true, "EXPERT"),
        member("Broken", false, "EXPERT"),
        member("Judge", true, "EXPERT"),
        member("Org", true, "ORG"),
        Member {
            indexes: &["gsi1", "gsi3"],
            ..member("Tension", true, "TENSION")
        },
    ];

    fn check(index: usize, declared: &[&str]) -> String {
        member_check::<600>("Dialogue", TABLE, declared, None, index)
            .as_str()
            .to_owned()
    }

    #[test]
    fn a_clash_names_the_first_earlier_entity_with_the_prefix() {
        assert_eq!(check(0, &[]), "");
        assert_eq!(check(1, &[]), "");
        // An entity whose own derive failed is reported there, not here.
        assert_eq!(check(2, &[]), "");
        assert_eq!(
            check(3, &[]),
            "entities `Expert` and `Judge` of table `Dialogue` have the same sort-key prefix: \
             the prefix names the item type, so each entity of a table needs its own \
             `#[sk(prefix = \"...\")]`"
        );
    }

    #[test]
    fn with_several_partition_templates_every_entity_has_a_pk_prefix() {
        let mut table = TABLE.to_vec();
        table[4].pk_prefix = Some("ORG");
        let check = |index| member_check::<600>("Dialogue", &table, &[], None, index);
        // `Org` has its own template; the unprefixed entities are refused,
        // each naming the first prefixed one.
        assert!(check(0).as_str().starts_with(
            "entity `Meta` of table `Dialogue` has no `pk_prefix`, but `Org` has a partition \
             template of its own (`pk_prefix = \"ORG\"`)"
        ));
        assert_eq!(check(4).as_str(), "");
        assert!(!one_partition_template(&table));
        assert!(one_partition_template(TABLE));
        let prefixed = [
            Member {
                pk_prefix: Some("ORG"),
                ..member("Org", true, "ORG")
            },
            Member {
                pk_prefix: Some("USER"),
                ..member("User", true, "USER")
            },
        ];
        assert_eq!(
            member_check::<600>("Shop", &prefixed, &[], None, 0).as_str(),
            ""
        );
        assert_eq!(
            member_check::<600>("Shop", &prefixed, &[], None, 1).as_str(),
            ""
        );
        assert!(!one_partition_template(&prefixed));
    }

    #[test]
    fn every_index_used_is_declared() {
        assert_eq!(check(5, &["gsi1", "gsi3"]), "");
        assert!(check(5, &["gsi1"]).ends_with("(declared: gsi1)"));
        assert!(check(5, &[]).ends_with("(declared: none)"));
        assert!(check(5, &["gsi1", "gsi2"]).starts_with(
            "`Tension` has an access pattern on secondary index `gsi3`, which table `Dialogue` \
             does not declare"
        ));
    }

    #[test]
    fn a_ttl_field_is_stored_under_the_tables_ttl_attribute() {
        let table = [
            Member {
                ttl: Some("expires_at"),
                ..member("Session", true, "SESSION")
            },
            member("User", true, "USER"),
        ];
        let check = |ttl, index| member_check::<600>("Auth", &table, &[], ttl, index);
        assert_eq!(check(Some("expires_at"), 0).as_str(), "");
        // A table may declare a TTL no entity uses yet.
        assert_eq!(check(Some("expires_at"), 1).as_str(), "");
        assert_eq!(
            check(None, 0).as_str(),
            "entity `Session` has a `#[ttl]` field stored as `expires_at`, but table `Auth` \
             declares no TTL attribute: add `#[table(ttl = \"expires_at\")]` (DynamoDB reads \
             one TTL attribute per table, and the table's definition enables it)"
        );
        let untagged = [Member {
            attributes: &["name", "expires_at"],
            ..member("Profile", true, "PROFILE")
        }];
        assert!(
            member_check::<600>("Auth", &untagged, &[], Some("expires_at"), 0)
                .as_str()
                .starts_with("entity `Profile` stores a field under `expires_at`, table `Auth`'s TTL attribute, without `#[ttl]`")
        );
        assert_eq!(
            member_check::<600>("Auth", &untagged, &[], None, 0).as_str(),
            ""
        );
        assert!(check(Some("ttl"), 0).as_str().starts_with(
            "entity `Session` has a `#[ttl]` field stored as `expires_at`, but table `Auth` \
             declares `ttl = \"ttl\"`"
        ));
    }

    #[test]
    fn a_sort_key_finds_its_entity() {
        assert_eq!(member_of(TABLE, false, "META"), Some(0));
        assert_eq!(member_of(TABLE, false, "EXPERT#muffin"), Some(1));
        assert_eq!(member_of(TABLE, false, "TENSION#T01"), Some(5));
        assert_eq!(member_of(TABLE, false, "PERSP#0"), None);
    }

    #[test]
    fn a_message_is_cut_at_a_character_boundary() {
        let message = ConstMessage::<5>::EMPTY.push("ab").push("cdé");
        assert_eq!(message.as_str(), "abcd");
        assert_eq!(ConstMessage::<6>::EMPTY.push("abcdé!").as_str(), "abcdé");
        const BUILT: ConstMessage<8> = ConstMessage::EMPTY.push("in const");
        assert_eq!(BUILT.as_str(), "in const");
    }
}

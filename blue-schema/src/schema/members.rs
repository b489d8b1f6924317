//! The entities of a table as `#[derive(Table)]` lists them: which entity
//! a sort key belongs to, and the rules across entities that only their
//! derives know the values of, checked in `const` evaluation.
//!
//! The table derive emits one [`Member`] per entity and one `const`
//! assertion per entity calling [`member_check`]: the expanded code grows
//! linearly with a table's entities (a pairwise assertion per two entities
//! grew with their square), and the pairs are compared here.

use super::names_sort_key;

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
    /// The physical indexes its access patterns use.
    pub indexes: &'static [&'static str],
}

/// The members of a table, implemented by its derive.
pub trait TableMembers {
    /// The entities, in the enum's order.
    const MEMBERS: &'static [Member];
    /// The indexes the table declares.
    const DECLARED: &'static [&'static str];
}

/// The position in `members` of the entity that `sort_key` belongs to.
pub fn member_of(members: &[Member], sort_key: &str) -> Option<usize> {
    members
        .iter()
        .position(|m| names_sort_key(m.prefix, m.singleton, sort_key))
}

/// A message of at most `N` bytes built in `const` context: what a table
/// check panics with, naming values only the entities' derives know. The
/// derive sizes `N` to its longest message.
pub struct ConstMessage<const N: usize> {
    bytes: [u8; N],
    len: usize,
}

impl<const N: usize> ConstMessage<N> {
    /// No message: the check passed.
    pub const EMPTY: Self = Self {
        bytes: [0; N],
        len: 0,
    };

    /// The message followed by `text`, cut at `N` bytes (at a character
    /// boundary).
    #[must_use]
    pub const fn push(mut self, text: &str) -> Self {
        let text = text.as_bytes();
        let mut i = 0;
        while i < text.len() && self.len < N {
            self.bytes[self.len] = text[i];
            self.len += 1;
            i += 1;
        }
        if i < text.len() {
            // Cut: drop a character left in halves.
            while self.len > 0 && core::str::from_utf8(self.bytes.split_at(self.len).0).is_err() {
                self.len -= 1;
            }
        }
        self
    }

    /// Whether there is no message.
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The message.
    pub const fn as_str(&self) -> &str {
        match core::str::from_utf8(self.bytes.split_at(self.len).0) {
            Ok(text) => text,
            Err(_) => "",
        }
    }
}

/// The first rule across entities that the entity at `index` of table
/// `table` breaks, as a message, or no message:
///
/// * its sort-key prefix is an earlier entity's (the prefix names the item
///   type);
/// * its `pk_prefix` is not the first entity's (a whole-partition query
///   reads every entity under one partition key);
/// * one of its access patterns uses an index the table does not declare.
///
/// An entity whose own derive failed is skipped, and so is a comparison
/// with one.
pub const fn member_check<const N: usize>(
    table: &str,
    members: &[Member],
    declared: &[&str],
    index: usize,
) -> ConstMessage<N> {
    let member = members[index];
    if !member.valid {
        return ConstMessage::EMPTY;
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
    let first = members[0];
    if index > 0 && first.valid && !opt_str_eq(first.pk_prefix, member.pk_prefix) {
        return ConstMessage::EMPTY
            .push("entities `")
            .push(first.name)
            .push("` and `")
            .push(member.name)
            .push("` of table `")
            .push(table)
            .push(
                "` have different `pk_prefix`es: a whole-partition query reads every entity \
                 under one partition key, so they must agree",
            );
    }
    if !all_declared(member.indexes, declared) {
        let mut message = ConstMessage::EMPTY
            .push("`")
            .push(member.name)
            .push("` has an access pattern on a secondary index that table `")
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

/// Whether every name in `used` is one of `declared`, in `const` context.
const fn all_declared(used: &[&str], declared: &[&str]) -> bool {
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
            return false;
        }
        i += 1;
    }
    true
}

/// Byte-wise string equality in `const` context.
const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

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
    use super::{member_check, member_of, ConstMessage, Member};

    const fn member(name: &'static str, valid: bool, prefix: &'static str) -> Member {
        Member {
            name,
            valid,
            prefix,
            singleton: false,
            pk_prefix: None,
            indexes: &[],
        }
    }

    const TABLE: &[Member] = &[
        Member {
            singleton: true,
            ..member("Meta", true, "META")
        },
        member("Expert", true, "EXPERT"),
        member("Broken", false, "EXPERT"),
        member("Judge", true, "EXPERT"),
        Member {
            pk_prefix: Some("ORG"),
            ..member("Org", true, "ORG")
        },
        Member {
            indexes: &["gsi1", "gsi3"],
            ..member("Tension", true, "TENSION")
        },
    ];

    fn check(index: usize, declared: &[&str]) -> String {
        member_check::<600>("Dialogue", TABLE, declared, index)
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
    fn partition_key_prefixes_agree_with_the_first_entity() {
        assert!(check(4, &[]).starts_with(
            "entities `Meta` and `Org` of table `Dialogue` have different `pk_prefix`es: "
        ));
    }

    #[test]
    fn every_index_used_is_declared() {
        assert_eq!(check(5, &["gsi1", "gsi3"]), "");
        assert!(check(5, &["gsi1"]).ends_with("(declared: gsi1)"));
        assert!(check(5, &[]).ends_with("(declared: none)"));
        assert!(check(5, &["gsi1", "gsi2"]).starts_with(
            "`Tension` has an access pattern on a secondary index that table `Dialogue` does not declare"
        ));
    }

    #[test]
    fn a_sort_key_finds_its_entity() {
        assert_eq!(member_of(TABLE, "META"), Some(0));
        assert_eq!(member_of(TABLE, "EXPERT#muffin"), Some(1));
        assert_eq!(member_of(TABLE, "TENSION#T01"), Some(5));
        assert_eq!(member_of(TABLE, "PERSP#0"), None);
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

//! The shape of an entity's sort key: one segment (a prefix, then its
//! components) for an entity of its own, one more per level for an entity
//! nested under a parent (`#[entity(parent = Order)]`), whose sort key
//! begins with its parent's whole sort key:
//!
//! ```text
//! Order      ORDER#{date}#{order_id}                      [ORDER 2]
//! OrderLine  ORDER#{date}#{order_id}#LINE#{line}          [ORDER 2][LINE 1]
//! ```
//!
//! A parent's items and its children's share one range of the partition, so
//! one query reads an order with its lines (an item collection); the shape
//! tells them apart: components are escaped and hold no `#`, so the number
//! of `#` and the prefixes at their places name the entity.

use super::DELIMITER;

/// The most levels of a sort key: an entity and three ancestors.
pub const MAX_NESTING: usize = 4;

/// One level of a sort key: a prefix and the number of components after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    /// The prefix naming the level's entity (`ORDER`).
    pub prefix: &'static str,
    /// How many components follow it before the next level.
    pub fields: usize,
}

/// The levels of an entity's sort key, outermost first: one for an entity
/// of its own (`ORDER#{order_id}`), one more per parent for an entity
/// nested with `#[entity(parent = ..)]` (`ORDER#{order_id}#LINE#{line}`).
/// Components are escaped and hold no `#`, so the number of `#` and the
/// prefixes at their places tell the entities of a range apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortKeyPath {
    segments: [Segment; MAX_NESTING],
    depth: usize,
}

const NO_SEGMENT: Segment = Segment {
    prefix: "",
    fields: 0,
};

impl SortKeyPath {
    /// The sort key of an entity of its own: `prefix` then `fields`
    /// components.
    pub const fn root(prefix: &'static str, fields: usize) -> Self {
        let mut segments = [NO_SEGMENT; MAX_NESTING];
        segments[0] = Segment { prefix, fields };
        SortKeyPath { segments, depth: 1 }
    }

    /// The sort key of an entity nested under `parent` whose `#[sk]`
    /// fields are `total` in all: the parent's, then `prefix` and the
    /// others. A path past [`MAX_NESTING`] levels, or with fewer fields
    /// than the parent's, is cut to what fits: the entity's derive reports
    /// both (see [`nesting_problem`](Self::nesting_problem)).
    pub const fn nested(parent: &SortKeyPath, prefix: &'static str, total: usize) -> Self {
        let mut path = *parent;
        if path.depth < MAX_NESTING {
            path.segments[path.depth] = Segment {
                prefix,
                fields: total.saturating_sub(parent.fields()),
            };
            path.depth += 1;
        }
        path
    }

    /// Why `parent` cannot hold a child with `total` `#[sk]` fields, as a
    /// phrase; `""` when it can.
    pub const fn nesting_problem(parent: &SortKeyPath, total: usize) -> &'static str {
        if parent.depth >= MAX_NESTING {
            "a sort key nests at most 4 levels (an entity and 3 ancestors)"
        } else if total < parent.fields() {
            "the child has fewer `#[sk]` fields than its parent: its first `#[sk]` fields \
             must be the parent's, in order, followed by its own"
        } else {
            ""
        }
    }

    /// The levels, outermost first.
    pub const fn segments(&self) -> &[Segment] {
        self.segments.split_at(self.depth).0
    }

    /// The outermost prefix, which every key of the path starts with.
    pub const fn root_prefix(&self) -> &'static str {
        self.segments[0].prefix
    }

    /// The entity's own prefix (the innermost level's).
    pub const fn own_prefix(&self) -> &'static str {
        self.segments[self.depth - 1].prefix
    }

    /// Whether the entity is nested under a parent.
    pub const fn is_nested(&self) -> bool {
        self.depth > 1
    }

    /// The number of components of all levels: the entity's `#[sk]` fields.
    pub const fn fields(&self) -> usize {
        let mut total = 0;
        let mut i = 0;
        while i < self.depth {
            total += self.segments[i].fields;
            i += 1;
        }
        total
    }

    /// Whether `self` is `ancestor` or nested (at any depth) under it: its
    /// keys then start with the ancestor's key.
    pub const fn is_under(&self, ancestor: &SortKeyPath) -> bool {
        if ancestor.depth > self.depth {
            return false;
        }
        let mut i = 0;
        while i < ancestor.depth {
            let (a, b) = (ancestor.segments[i], self.segments[i]);
            if a.fields != b.fields || !const_str_eq(a.prefix, b.prefix) {
                return false;
            }
            i += 1;
        }
        true
    }

    /// Whether `sort_key` has exactly this shape: each level's prefix at its
    /// place, and the right number of components after each.
    pub fn names(&self, sort_key: &str) -> bool {
        let mut parts = sort_key.split(DELIMITER);
        for segment in self.segments() {
            if parts.next() != Some(segment.prefix) {
                return false;
            }
            for _ in 0..segment.fields {
                if parts.next().is_none() {
                    return false;
                }
            }
        }
        parts.next().is_none()
    }

    /// The components of `sort_key`, without the prefixes, joined by `#`:
    /// what the entity's key fields decode from. `None` when the key does
    /// not have this shape.
    pub fn components(&self, sort_key: &str) -> Option<String> {
        if !self.names(sort_key) {
            return None;
        }
        let mut out = String::with_capacity(sort_key.len());
        let mut parts = sort_key.split(DELIMITER);
        let mut first = true;
        for segment in self.segments() {
            parts.next();
            for _ in 0..segment.fields {
                if !std::mem::take(&mut first) {
                    out.push(DELIMITER);
                }
                out.push_str(parts.next()?);
            }
        }
        Some(out)
    }

    /// The sort key in the ADR's notation, with `fields` naming the
    /// components in order: `ORDER#{date}#{order_id}#LINE#{line}`. Given
    /// fewer fields, the part a query with those components fixed starts
    /// with: each level's prefix as soon as the level before it is
    /// complete (`ORDER#{date}#{order_id}#LINE`), as [`KeyWriter`] writes it.
    ///
    /// [`KeyWriter`]: crate::key::codec::KeyWriter
    pub fn template<'a>(&self, mut fields: impl Iterator<Item = &'a str>) -> String {
        let mut out = String::new();
        for segment in self.segments() {
            if !out.is_empty() {
                out.push(DELIMITER);
            }
            out.push_str(segment.prefix);
            for _ in 0..segment.fields {
                let Some(field) = fields.next() else {
                    return out;
                };
                out.push(DELIMITER);
                out.push('{');
                out.push_str(field);
                out.push('}');
            }
        }
        out
    }
}

/// Byte-wise string equality in `const` context (what the derives' table
/// and collection checks compare names and prefixes with).
pub(crate) const fn const_str_eq(a: &str, b: &str) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;

    const ORDER: SortKeyPath = SortKeyPath::root("ORDER", 2);
    const LINE: SortKeyPath = SortKeyPath::nested(&ORDER, "LINE", 3);
    const PROFILE: SortKeyPath = SortKeyPath::root("PROFILE", 0);
    const NOTE: SortKeyPath = SortKeyPath::nested(&PROFILE, "NOTE", 1);

    #[test]
    fn a_key_is_named_by_its_exact_shape() {
        assert!(ORDER.names("ORDER#d#o"));
        assert!(!ORDER.names("ORDER#d#o#LINE#1"));
        assert!(!ORDER.names("ORDER#d"));
        assert!(LINE.names("ORDER#d#o#LINE#1"));
        assert!(!LINE.names("ORDER#d#o#LINX#1"));
        assert!(!LINE.names("ORDER#d#o#LINE"));
        assert!(!LINE.names("ORDER#d#o"));
        assert!(PROFILE.names("PROFILE"));
        assert!(!PROFILE.names("PROFILE#NOTE#n"));
        assert!(NOTE.names("PROFILE#NOTE#n"));
        assert!(!NOTE.names("PROFILE#n"));
    }

    #[test]
    fn components_leave_the_prefixes_out() {
        assert_eq!(
            LINE.components("ORDER#d#o#LINE#1").as_deref(),
            Some("d#o#1")
        );
        assert_eq!(NOTE.components("PROFILE#NOTE#n").as_deref(), Some("n"));
        assert_eq!(PROFILE.components("PROFILE").as_deref(), Some(""));
        assert_eq!(LINE.components("ORDER##o#LINE#").as_deref(), Some("#o#"));
        assert_eq!(LINE.components("ORDER#d#o"), None);
    }

    #[test]
    fn nesting_is_counted_and_checked() {
        assert_eq!(LINE.fields(), 3);
        assert_eq!(LINE.segments()[1].fields, 1);
        assert_eq!(LINE.own_prefix(), "LINE");
        assert_eq!(LINE.root_prefix(), "ORDER");
        assert!(LINE.is_under(&ORDER) && LINE.is_under(&LINE) && !ORDER.is_under(&LINE));
        assert!(!NOTE.is_under(&ORDER));
        assert_eq!(SortKeyPath::nesting_problem(&ORDER, 3), "");
        assert!(SortKeyPath::nesting_problem(&ORDER, 1).starts_with("the child has fewer"));
        let deep = SortKeyPath::nested(&SortKeyPath::nested(&LINE, "A", 3), "B", 3);
        assert!(SortKeyPath::nesting_problem(&deep, 3).starts_with("a sort key nests at most"));
        assert_eq!(
            LINE.template(["date", "order_id", "line"].into_iter()),
            "ORDER#{date}#{order_id}#LINE#{line}"
        );
        assert_eq!(NOTE.template(["n"].into_iter()), "PROFILE#NOTE#{n}");
    }
}

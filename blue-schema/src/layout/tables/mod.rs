//! The tables layout of SQLite (ADR 0018's "separate tables with foreign
//! keys"): one table per entity, with typed columns, beside the single
//! table.
//!
//! Every entity of a table `T` gets a table of its own,
//! `{T}_{entity in snake case}` (`blue_dialogue_expert`), holding its
//! items: the single table's columns (`pk`, `sk`, `data`, `created_at`,
//! `size`, `updated_at` and the index columns), so that every statement
//! of the store runs unchanged on it, and first one typed column per
//! field, read from the item (`VIRTUAL` generated columns: SQLite
//! computes them when a row is read, so a write costs what it costs in
//! the single table, and a field added later is a column added later).
//! The item's JSON stays the stored truth; a column cannot disagree with
//! it. `(pk, sk)` stays the primary key (the key fields as the key would
//! cost every read a second search), and each child entity of a
//! partition declares a foreign key to the partition's parent, its
//! table's one singleton entity (the ADR's `META` row), declared and not
//! enforced: DynamoDB writes a child before its parent as readily as
//! after (`PRAGMA foreign_key_check` lists the orphans).
//!
//! `T` itself stays: it holds the items of no entity (unique markers,
//! keys under a prefix no entity declares, items still under a key they
//! had before a key move).
//!
//! **Routing.** An item's table is chosen by its sort key's first part
//! (the text before the first `#`): the keys of an entity's prefix go to
//! a table of that prefix's entities (by the key's shape when nested
//! entities share it, else the first of them); every other key goes to
//! `T`. The routes are kept in the file (`blue_schema_layouts`), so
//! every program that opens it reads and writes the same tables,
//! whatever entities it knows. A query of a range within one prefix reads
//! that prefix's tables; a range across prefixes, an index query and a
//! scan read every table of `T`, merged in key order by SQLite (`UNION
//! ALL … ORDER BY`, one search per table, no sort).

use std::cmp::Ordering;

use super::views::{glob_literal, snake_case, sort_key_shape};
use crate::key::DELIMITER;
use crate::schema::{EntitySchema, TableSchema};

mod ddl;

pub(crate) use ddl::{routing_of, schema_script};
// What only the SQLite backend runs.
#[cfg(feature = "sqlite")]
pub(crate) use ddl::{create_entity_table, guard_script, typed_columns};

/// The message of the single table's guard ([`guard_script`]): a
/// connection that read the routes before another process added one
/// wrote a key an entity table now takes.
pub(crate) const ROUTES_CHANGED: &str = "blue-schema: the routes of this table changed";

/// The table that keeps each tables-layout table's routes.
pub(crate) const LAYOUTS: &str = "blue_schema_layouts";

/// The statement that creates [`LAYOUTS`].
pub(crate) fn create_layouts() -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {LAYOUTS} (\n  \
         tbl TEXT PRIMARY KEY,\n  \
         routes TEXT NOT NULL\n\
         ) WITHOUT ROWID"
    )
}

/// The statement that reads a table's routes (`?1`: its name).
pub(crate) fn read_routes() -> String {
    format!("SELECT routes FROM {LAYOUTS} WHERE tbl = ?1")
}

/// The statement that records a table's routes (`?1`, `?2`).
pub(crate) fn write_routes() -> String {
    format!("INSERT OR REPLACE INTO {LAYOUTS} (tbl, routes) VALUES (?1, ?2)")
}

/// Where one entity's items are stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Route {
    /// The entity table.
    pub(crate) table: String,
    /// The entity's name, for the columns and the documentation.
    pub(crate) entity: String,
    /// The first part of its keys: its prefix, or its outermost parent's.
    pub(crate) prefix: String,
    /// Its key's levels: each prefix and how many components follow it.
    pub(crate) levels: Vec<(String, usize)>,
}

impl Route {
    fn of(table: &str, entity: &EntitySchema) -> Route {
        let levels: Vec<(String, usize)> = entity
            .sort_key_path
            .segments()
            .iter()
            .map(|s| (s.prefix.to_owned(), s.fields))
            .collect();
        Route {
            table: format!("{table}_{}", snake_case(entity.name)),
            entity: entity.name.to_owned(),
            prefix: levels.first().map_or_else(String::new, |l| l.0.clone()),
            levels,
        }
    }

    /// Whether `sort_key` has exactly this route's shape.
    fn owns(&self, sort_key: &str) -> bool {
        let mut parts = sort_key.split(DELIMITER);
        for (prefix, fields) in &self.levels {
            if parts.next() != Some(prefix.as_str()) {
                return false;
            }
            for _ in 0..*fields {
                if parts.next().is_none() {
                    return false;
                }
            }
        }
        parts.next().is_none()
    }

    /// Whether some key of this route's prefix lies in `[low, high)`:
    /// the prefix itself, or a key that starts with it and `#`.
    fn meets(&self, low: &[u8], high: &[u8]) -> bool {
        let prefix = self.prefix.as_bytes();
        let exact = low <= prefix && prefix < high;
        exact
            || (cmp_joined(low, prefix, AFTER_PREFIX) == Ordering::Less
                && cmp_joined(high, prefix, DELIMITED) == Ordering::Greater)
    }

    /// Whether every key in `[low, high)` has this route's prefix as its
    /// first part (so that no other table can hold one).
    fn holds(&self, low: &[u8], high: &[u8]) -> bool {
        let prefix = self.prefix.as_bytes();
        if low == prefix && cmp_joined(high, prefix, b"\0") == Ordering::Equal {
            return true;
        }
        cmp_joined(low, prefix, DELIMITED) != Ordering::Less
            && cmp_joined(high, prefix, AFTER_PREFIX) != Ordering::Greater
    }
}

/// A prefix's keys other than itself start with it and these bytes ...
const DELIMITED: &[u8] = &[DELIMITER as u8];
/// ... and lie below it and these (no UTF-8 byte is 0xF5).
const AFTER_PREFIX: &[u8] = &[DELIMITER as u8, 0xF5];

/// `a` against `head` followed by `tail`, without joining them.
fn cmp_joined(a: &[u8], head: &[u8], tail: &[u8]) -> Ordering {
    let n = a.len().min(head.len());
    match a[..n].cmp(&head[..n]) {
        Ordering::Equal if a.len() < head.len() => Ordering::Less,
        Ordering::Equal => a[head.len()..].cmp(tail),
        other => other,
    }
}

/// The first part of a sort key: the text before its first `#`.
fn first_part(sort_key: &str) -> &str {
    match sort_key.find(DELIMITER) {
        Some(at) => &sort_key[..at],
        None => sort_key,
    }
}

/// A table's routes, in the order they were added (the first of a
/// prefix takes the keys of that prefix no route's shape owns).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Routing {
    pub(crate) routes: Vec<Route>,
}

/// The tables a query page reads: the routes' indexes, and whether the
/// table of items of no entity too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Arms {
    /// Bit `i`: route `i`.
    pub(crate) routes: u64,
    pub(crate) home: bool,
}

/// The most entities a table can have in the tables layout (a query's
/// tables are a bit set).
pub(crate) const MAX_ROUTES: usize = 64;

impl Routing {
    /// The routes of `schema`'s entities, after `existing`'s (which stay
    /// where they are, whether the schema still has their entity or not).
    /// An entity whose key has an existing route's shape takes that route
    /// (an entity renamed, or one a program declares in place of
    /// another's): the table keeps its name, and the entity's fields
    /// become its columns.
    pub(crate) fn extended(existing: &Routing, schema: &TableSchema) -> Routing {
        let mut routing = existing.clone();
        for entity in schema.entities {
            let mut route = Route::of(schema.name, entity);
            if let Some(same) = routing.routes.iter_mut().find(|r| r.levels == route.levels) {
                same.entity = route.entity;
                continue;
            }
            // Two entity names that are one in snake case.
            let base = route.table.clone();
            let mut n = 2;
            while routing
                .routes
                .iter()
                .any(|r| r.table.eq_ignore_ascii_case(&route.table))
            {
                route.table = format!("{base}_{n}");
                n += 1;
            }
            routing.routes.push(route);
        }
        routing
    }

    /// The route of `sort_key`: the one whose shape it has among those of
    /// its prefix, else the first of its prefix; `None` for a key of no
    /// entity's prefix (stored in the table itself).
    pub(crate) fn route(&self, sort_key: &str) -> Option<usize> {
        let first = first_part(sort_key);
        let mut of_prefix = self
            .routes
            .iter()
            .enumerate()
            .filter(|(_, r)| r.prefix == first);
        let (fallback, _) = of_prefix.next()?;
        if of_prefix.next().is_none() {
            // The prefix's one table.
            return Some(fallback);
        }
        let owner = self
            .routes
            .iter()
            .position(|r| r.prefix == first && r.owns(sort_key));
        Some(owner.unwrap_or(fallback))
    }

    /// The tables that may hold a key in `[low, high)`.
    pub(crate) fn arms(&self, low: &[u8], high: &[u8]) -> Arms {
        let mut arms = Arms {
            routes: 0,
            home: true,
        };
        for (i, route) in self.routes.iter().enumerate() {
            if route.meets(low, high) {
                arms.routes |= 1 << i;
                if route.holds(low, high) {
                    arms.home = false;
                }
            }
        }
        arms
    }

    /// Every table: for an index query and a scan.
    pub(crate) fn all(&self) -> Arms {
        Arms {
            routes: match self.routes.len() {
                MAX_ROUTES.. => u64::MAX,
                n => (1u64 << n) - 1,
            },
            home: true,
        }
    }

    /// An SQL condition on `sk` that holds for the keys `route` takes
    /// (for moving rows when a route is added).
    pub(crate) fn condition(&self, route: usize) -> String {
        let this = &self.routes[route];
        let prefix = literal(&this.prefix);
        let glob = {
            let mut pattern = String::new();
            glob_literal(&this.prefix, &mut pattern);
            pattern.push(DELIMITER);
            pattern.push('*');
            literal(&pattern)
        };
        let of_prefix = format!("(sk = {prefix} OR sk GLOB {glob})");
        let shape = |r: &Route| shape_condition(&r.levels);
        let first = self.routes.iter().position(|r| r.prefix == this.prefix);
        let others: Vec<String> = self
            .routes
            .iter()
            .enumerate()
            .filter(|(i, r)| *i != route && r.prefix == this.prefix)
            .map(|(_, r)| shape(r))
            .collect();
        if first == Some(route) {
            // The first route of its prefix: all of it but what another
            // route's shape owns.
            match others.is_empty() {
                true => of_prefix,
                false => format!("{of_prefix} AND NOT ({})", others.join(" OR ")),
            }
        } else {
            shape(this)
        }
    }

    /// An SQL condition on the sort key `column` that holds for the keys
    /// of one of the routes' prefixes: what the table of items of no
    /// entity refuses.
    pub(crate) fn any_prefix(&self, column: &str) -> Option<String> {
        let mut prefixes: Vec<String> = self.routes.iter().map(|r| literal(&r.prefix)).collect();
        prefixes.sort();
        prefixes.dedup();
        if prefixes.is_empty() {
            return None;
        }
        Some(format!(
            "(CASE WHEN instr({column}, '{DELIMITER}') > 0 \
             THEN substr({column}, 1, instr({column}, '{DELIMITER}') - 1) \
             ELSE {column} END) IN ({})",
            prefixes.join(", ")
        ))
    }
}

/// That `sk` has the shape of `levels`.
fn shape_condition(levels: &[(String, usize)]) -> String {
    let shape = sort_key_shape(levels.iter().map(|(p, n)| (p.as_str(), *n)));
    format!("({shape})")
}

pub(super) fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(prefix: &str, levels: &[(&str, usize)]) -> Route {
        Route {
            table: format!("t_{}", prefix.to_lowercase()),
            entity: prefix.to_owned(),
            prefix: levels[0].0.to_owned(),
            levels: levels.iter().map(|(p, n)| ((*p).to_owned(), *n)).collect(),
        }
    }

    fn routing() -> Routing {
        Routing {
            routes: vec![
                route("ORDER", &[("ORDER", 1)]),
                route("LINE", &[("ORDER", 1), ("LINE", 1)]),
                route("META", &[("META", 0)]),
            ],
        }
    }

    #[test]
    fn keys_go_to_their_shape_then_their_prefix() {
        let r = routing();
        assert_eq!(r.route("ORDER#1"), Some(0));
        assert_eq!(r.route("ORDER#1#LINE#2"), Some(1));
        // Of the prefix, no shape: the prefix's first table.
        assert_eq!(r.route("ORDER#1#2"), Some(0));
        assert_eq!(r.route("ORDER"), Some(0));
        assert_eq!(r.route("META"), Some(2));
        assert_eq!(r.route("META#x"), Some(2));
        assert_eq!(r.route("METAL"), None);
        assert_eq!(r.route("_UNIQUE#x"), None);
        assert_eq!(r.route(""), None);
    }

    #[test]
    fn ranges_read_the_tables_that_may_hold_them() {
        let r = routing();
        let within = r.arms(b"ORDER#1", b"ORDER#1\xF5");
        assert_eq!(
            within,
            Arms {
                routes: 0b011,
                home: false
            }
        );
        let meta = r.arms(b"META", b"META\0");
        assert_eq!(
            meta,
            Arms {
                routes: 0b100,
                home: false
            }
        );
        let all = r.arms(b"", b"\xF5");
        assert_eq!(
            all,
            Arms {
                routes: 0b111,
                home: true
            }
        );
        let between = r.arms(b"A", b"MZ");
        assert_eq!(
            between,
            Arms {
                routes: 0b100,
                home: true
            }
        );
    }

    #[test]
    fn joined_comparisons_match_joining() {
        let words: [&[u8]; 7] = [b"", b"A", b"A#", b"A#\xF5", b"A\0", b"AB", b"B"];
        for a in words {
            for head in [&b""[..], b"A", b"AB"] {
                for tail in [DELIMITED, AFTER_PREFIX, b"\0"] {
                    let joined = [head, tail].concat();
                    assert_eq!(
                        cmp_joined(a, head, tail),
                        a.cmp(&joined[..]),
                        "{a:?} {head:?} {tail:?}"
                    );
                }
            }
        }
    }
}

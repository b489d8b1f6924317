//! The typed SQL views over a SQLite table: one per entity, so that any
//! SQL tool (the `sqlite3` shell, a report, a notebook) reads the items
//! as rows of ordinary columns rather than as JSON.
//!
//! `blue_dialogue_expert` over `blue_dialogue` holds one row per stored
//! `Expert`: its key fields, then its other attributes, each read from
//! the item into the SQL type its value has (`TEXT` for a string,
//! `INTEGER` for an integer or a bool, `REAL` for a fraction, JSON text
//! for a list, a set or a nested value, `NULL` when absent), then
//! `created_at` and `updated_at`. Index keys, the table keys and the
//! library's bookkeeping attributes are left out.
//!
//! A view selects its entity's items by the shape of their sort key
//! (the entity's prefixes and the number of components, as
//! [`SortKeyPath::names`](crate::key::SortKeyPath::names) does), with
//! built-in SQL only: a plain `sqlite3` shell reads them, with none of the
//! functions the library registers. Items whose TTL has passed are left
//! out, as the store's reads leave them out ([`crate::ttl`]). An entity
//! with older shapes has one more column, `_shape`, the shape each item
//! is stored in (the columns of the current shape that an older one lacks
//! are `NULL`), and its items still under a key they were written under
//! before a key move are rows too. A view reads
//! the whole table: it is for looking at data; the store never reads one.

use std::fmt::Write as _;

use super::index_sql::json_path;
use crate::key::DELIMITER;
use crate::schema::shape::SHAPE_ATTRIBUTE;
use crate::schema::{AttributeSchema, EntitySchema, KeyRole, TableSchema};

/// The comment every view of `table` carries, which tells the views the
/// library made (and may drop) from any other.
pub(crate) fn marker(table: &str) -> String {
    format!("/* blue-schema: a view of \"{table}\" */")
}

/// The view of `entity` in `table`: `{table}_{entity in snake case}`
/// (`blue_dialogue_expert`).
pub(crate) fn view_name(table: &str, entity: &EntitySchema) -> String {
    format!("{table}_{}", snake_case(entity.name))
}

/// The statement that drops the view `name`.
pub(crate) fn drop_view(name: &str) -> String {
    format!("DROP VIEW IF EXISTS {}", quoted(name))
}

/// The statements that create every entity's view of `schema`,
/// `;`-separated (none for a table without entities).
pub(crate) fn views_script(schema: &TableSchema) -> String {
    let mut out = String::new();
    for entity in schema.entities {
        if !out.is_empty() {
            out.push_str(";\n");
        }
        out.push_str(&create_view(schema, entity));
    }
    out
}

/// The statement that creates `entity`'s view of `schema`'s table.
pub(crate) fn create_view(schema: &TableSchema, entity: &EntitySchema) -> String {
    let table = schema.name;
    let mut columns = Columns::default();
    for attribute in in_column_order(entity) {
        let path = json_path(attribute.name);
        columns.push(
            attribute.name,
            attribute.field,
            format!("json_extract(data, '{path}')"),
        );
    }
    if entity.previous_shape.is_some() {
        // Items written in an older shape hold its attributes: the
        // columns of the current one they lack are `NULL`.
        columns.push(
            SHAPE_ATTRIBUTE,
            SHAPE_ATTRIBUTE,
            format!("ifnull(json_extract(data, '$.{SHAPE_ATTRIBUTE}'), 1)"),
        );
    }
    columns.push("created_at", "created_at", "created_at".to_owned());
    columns.push(
        "updated_at",
        "updated_at",
        // A row written before the library kept `updated_at` holds `''`.
        "CASE updated_at WHEN '' THEN created_at ELSE updated_at END".to_owned(),
    );
    let mut out = format!(
        "CREATE VIEW {} AS {}\nSELECT\n",
        quoted(&view_name(table, entity)),
        marker(table)
    );
    for (i, (name, expression)) in columns.0.iter().enumerate() {
        let comma = if i + 1 < columns.0.len() { "," } else { "" };
        let _ = writeln!(out, "  {expression} AS {}{comma}", quoted(name));
    }
    let _ = write!(
        out,
        "FROM {}\nWHERE {}\n  AND json_valid(data)",
        quoted(table),
        sort_key_shapes(entity)
    );
    if let (Some(_), Some(attribute)) = (entity.ttl, schema.ttl) {
        let _ = write!(
            out,
            "\n  AND NOT ifnull(json_extract(data, '{}') < CAST(strftime('%s', 'now') AS INTEGER), 0)",
            json_path(attribute)
        );
    }
    out
}

/// An entity's fields in the order of their columns: the partition key
/// fields, the sort key fields, then the others (a view's, and an entity
/// table's in the tables layout).
pub(crate) fn in_column_order(
    entity: &EntitySchema,
) -> impl Iterator<Item = &'static AttributeSchema> {
    let role = |role: Option<KeyRole>| entity.attributes.iter().filter(move |a| a.key == role);
    role(Some(KeyRole::PartitionKey))
        .chain(role(Some(KeyRole::SortKey)))
        .chain(role(None))
}

/// The view's columns, named so that no two are the same to SQLite (which
/// does not tell `Name` from `name`).
#[derive(Default)]
pub(crate) struct Columns(Vec<(String, String)>, Vec<String>);

impl Columns {
    /// Keeps `name` from the columns pushed after (a column the table
    /// has of its own).
    pub(crate) fn reserve(&mut self, name: &str) {
        self.1.push(name.to_owned());
    }

    /// The columns pushed: each name and expression.
    pub(crate) fn named(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, e)| (n.as_str(), e.as_str()))
    }

    pub(crate) fn push(&mut self, name: &str, field: &str, expression: String) {
        let taken = |c: &str| {
            self.0.iter().any(|(n, _)| n.eq_ignore_ascii_case(c))
                || self.1.iter().any(|n| n.eq_ignore_ascii_case(c))
        };
        let mut chosen = name.to_owned();
        if taken(&chosen) {
            chosen = field.to_owned();
        }
        let mut n = 2;
        while taken(&chosen) {
            chosen = format!("{name}_{n}");
            n += 1;
        }
        self.0.push((chosen, expression));
    }
}

/// That a row's `sk` is a key of the entity: its own, or one its items
/// were written under before a key move ([`crate::schema::key_move`]) and
/// that a backfill has not moved yet.
fn sort_key_shapes(entity: &EntitySchema) -> String {
    let mut shapes = vec![sort_key_shape(
        entity
            .sort_key_path
            .segments()
            .iter()
            .map(|s| (s.prefix, s.fields)),
    )];
    for older in entity.older_shapes() {
        if let Some(key) = older.key {
            let shape = sort_key_shape([(key.prefix, key.sort_key.len())].into_iter());
            if !shapes.contains(&shape) {
                shapes.push(shape);
            }
        }
    }
    match shapes.len() {
        1 => shapes.remove(0),
        _ => format!("({})", shapes.join(" OR ")),
    }
}

/// That a row's `sk` has the shape of `levels` (each a prefix and its
/// number of components): the prefixes in place and exactly as many `#`
/// (a `#` inside a key value is stored escaped, so the delimiters are
/// counted exactly).
pub(crate) fn sort_key_shape<'a>(levels: impl Iterator<Item = (&'a str, usize)>) -> String {
    let mut pattern = String::new();
    let mut delimiters = 0usize;
    for (level, (prefix, fields)) in levels.enumerate() {
        if level > 0 {
            pattern.push(DELIMITER);
            delimiters += 1;
        }
        glob_literal(prefix, &mut pattern);
        for _ in 0..fields {
            pattern.push(DELIMITER);
            pattern.push('*');
            delimiters += 1;
        }
    }
    if delimiters == 0 {
        return format!("sk = {}", literal(&pattern));
    }
    format!(
        "sk GLOB {} AND length(sk) - length(replace(sk, '{DELIMITER}', '')) = {delimiters}",
        literal(&pattern)
    )
}

/// `text` as a GLOB pattern that matches it alone.
pub(crate) fn glob_literal(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '*' | '?' | '[' => {
                out.push('[');
                out.push(c);
                out.push(']');
            }
            c => out.push(c),
        }
    }
}

/// An SQL string literal.
fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// An SQL identifier in double quotes.
pub(crate) fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `DialogueMeta` → `dialogue_meta`, `HTTPRoute` → `http_route`.
pub(crate) fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let after_lower = i > 0 && (chars[i - 1].is_lowercase() || chars[i - 1].is_numeric());
            let before_lower = i > 0
                && chars[i - 1].is_uppercase()
                && chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if after_lower || before_lower {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entity_names_become_snake_case() {
        assert_eq!(snake_case("Expert"), "expert");
        assert_eq!(snake_case("DialogueMeta"), "dialogue_meta");
        assert_eq!(snake_case("HTTPRoute"), "http_route");
        assert_eq!(snake_case("OrderLine2"), "order_line2");
        assert_eq!(snake_case("V2Item"), "v2_item");
    }

    #[test]
    fn columns_differ_to_sqlite() {
        let mut columns = Columns::default();
        columns.push("name", "name", "a".into());
        columns.push("Name", "other", "b".into());
        columns.push("NAME", "name", "c".into());
        let names: Vec<&str> = columns.0.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["name", "other", "NAME_2"]);
    }

    #[test]
    fn glob_patterns_match_prefixes_literally() {
        let mut out = String::new();
        glob_literal("A*B?[C", &mut out);
        assert_eq!(out, "A[*]B[?][[]C");
    }
}

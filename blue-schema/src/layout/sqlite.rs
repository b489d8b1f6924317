//! The SQLite mapping: ADR 0018's table plus one column, and every
//! statement the backend runs.

use std::fmt::Write as _;

use super::index_sql::{
    attribute_query, create_index, index_columns_of, index_query, AttributeShape, Param,
};
use crate::ops::cursor::Position;
use crate::ops::query::{Order, QuerySpec, SortKeyCondition};
use crate::schema::TableSchema;

/// The columns of a blue-schema table, in order.
pub(crate) const COLUMNS: [&str; 6] = ["pk", "sk", "data", "created_at", "size", "updated_at"];

/// The statement that adds `updated_at` to a table created before the
/// library kept it. Its rows get `''`: no `updated_at`, which reads as
/// their `created_at` (and, as on DynamoDB, counts nothing in their size).
pub(crate) fn add_updated_at(table: &str) -> String {
    format!("ALTER TABLE \"{table}\" ADD COLUMN updated_at TEXT NOT NULL DEFAULT ''")
}

/// The statement that deletes a table's expired rows: those whose TTL
/// `attribute` is a number below `?1` (`blue_expired`, the backend's own
/// function: any other value never expires, as DynamoDB's TTL ignores
/// it). `attribute` is letters, digits and `_` (the derive checks).
pub(crate) fn sweep_expired(table: &str, attribute: &str) -> String {
    format!("DELETE FROM \"{table}\" WHERE blue_expired(data, '{attribute}', ?1)")
}

/// The change feed's outbox of `table` (see [`crate::feed`]): a table
/// named `{table}#changes` (no table name has a `#`), one row per
/// committed change, written by three triggers on `table`, so that every
/// write records its change in its own transaction, whichever statement or
/// process made it. `event`: 1 insert, 2 modify, 3 remove; `origin`: 0 the
/// application, 1 the TTL sweep (which marks the rows it caused); `at`:
/// epoch milliseconds. An update that leaves the row as it was (data and
/// write times) records nothing, as DynamoDB's stream records nothing.
/// `blue_schema_feeds` keeps, per outbox, the last sequence number removed
/// by retention, so that a reader behind it learns of the gap. `seq` is
/// the rowid, not `AUTOINCREMENT` (which costs a quarter of a put): the
/// retention never deletes the newest row, so numbers are never reused.
///
/// In the tables layout ([`crate::layout::tables`]) each of the table's
/// tables, `on`, has its three triggers, all writing to `table`'s outbox.
pub(crate) fn feed_script(table: &str, on: &str) -> String {
    let t = format!("\"{on}\"");
    let o = format!("\"{table}#changes\"");
    let now = "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)";
    let insert = |event: u8, old: &str, new: &str| {
        format!(
            "INSERT INTO {o} (event, at, pk, sk, old_data, old_created_at, old_updated_at, \
             new_data, new_created_at, new_updated_at) VALUES ({event}, {now}, {old}, {new});"
        )
    };
    let old = "old.data, old.created_at, old.updated_at";
    let new = "new.data, new.created_at, new.updated_at";
    let none = "NULL, NULL, NULL";
    format!(
        "CREATE TABLE IF NOT EXISTS {o} (\n  \
         seq INTEGER PRIMARY KEY,\n  \
         event INTEGER NOT NULL,\n  \
         origin INTEGER NOT NULL DEFAULT 0,\n  \
         at INTEGER NOT NULL,\n  \
         pk TEXT NOT NULL,\n  \
         sk TEXT NOT NULL,\n  \
         old_data TEXT, old_created_at TEXT, old_updated_at TEXT,\n  \
         new_data TEXT, new_created_at TEXT, new_updated_at TEXT\n\
         );\n\
         CREATE TABLE IF NOT EXISTS blue_schema_feeds (\n  \
         outbox TEXT PRIMARY KEY,\n  \
         pruned_through INTEGER NOT NULL\n\
         ) WITHOUT ROWID;\n\
         CREATE TRIGGER IF NOT EXISTS \"{on}#insert\" AFTER INSERT ON {t} BEGIN\n  {}\nEND;\n\
         CREATE TRIGGER IF NOT EXISTS \"{on}#update\" AFTER UPDATE ON {t}\n  \
         WHEN old.data IS NOT new.data OR old.updated_at IS NOT new.updated_at \
         OR old.created_at IS NOT new.created_at BEGIN\n  {}\nEND;\n\
         CREATE TRIGGER IF NOT EXISTS \"{on}#delete\" AFTER DELETE ON {t} BEGIN\n  {}\nEND",
        insert(1, &format!("new.pk, new.sk, {none}"), new),
        insert(2, &format!("new.pk, new.sk, {old}"), new),
        insert(3, &format!("old.pk, old.sk, {old}"), none),
    )
}

/// The statements that stop recording changes of `table` (a table that
/// no longer declares a feed); its outbox stays for readers to finish.
pub(crate) fn drop_feed_triggers(table: &str) -> String {
    format!(
        "DROP TRIGGER IF EXISTS \"{table}#insert\";\n\
         DROP TRIGGER IF EXISTS \"{table}#update\";\n\
         DROP TRIGGER IF EXISTS \"{table}#delete\""
    )
}

/// The statement that drops `table`'s outbox, when the table is dropped
/// (its numbering is kept in `blue_schema_feeds`).
pub(crate) fn drop_feed(table: &str) -> String {
    format!("DROP TABLE IF EXISTS \"{table}#changes\"")
}

/// A page of the outbox: the records after sequence number `?1`, at most
/// `?2`.
pub(crate) fn read_feed(table: &str) -> String {
    format!(
        "SELECT seq, event, origin, at, pk, sk, old_data, old_created_at, old_updated_at, \
         new_data, new_created_at, new_updated_at FROM \"{table}#changes\" \
         WHERE seq > ?1 ORDER BY seq LIMIT ?2"
    )
}

/// The statement that drops a table, and with it its rows and indexes.
pub(crate) fn drop_table(table: &str) -> String {
    format!("DROP TABLE IF EXISTS \"{table}\"")
}

/// The statement that creates a table: ADR 0018's columns, plus `size`, the
/// item's size as DynamoDB computes it, which lets a query page end after
/// 1 MB of data exactly where DynamoDB's would, `updated_at`, when the
/// item was last written, and the generated columns of each secondary
/// index (see [`add_index`]). The name must be a valid table name (which
/// is always safe inside SQLite's double quotes).
pub(crate) fn create_table(schema: &TableSchema) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS \"{}\" (\n{}\n) WITHOUT ROWID",
        schema.name,
        table_columns(schema)
    )
}

/// The columns of a table of `schema` (the single table, or an entity's
/// table in the tables layout) and its primary key, one per line.
pub(crate) fn table_columns(schema: &TableSchema) -> String {
    let mut index_columns = String::new();
    for slot in schema.indexes {
        for column in index_columns_of(schema, slot) {
            let _ = writeln!(index_columns, "  {},", column.definition());
        }
    }
    format!(
        "  pk TEXT NOT NULL,\n  \
         sk TEXT NOT NULL,\n  \
         data JSON NOT NULL,\n  \
         created_at TEXT NOT NULL,\n  \
         size INTEGER NOT NULL,\n  \
         updated_at TEXT NOT NULL,\n\
         {index_columns}  \
         PRIMARY KEY (pk, sk)"
    )
}

/// Every statement that makes a table and its indexes, `;`-separated: the
/// table, then each index's partial SQL index.
pub(crate) fn schema_script(schema: &TableSchema) -> String {
    let mut out = create_table(schema);
    for slot in schema.indexes {
        out.push_str(";\n");
        out.push_str(&create_index(schema, slot));
    }
    out
}

/// Every statement the backend runs against one table, built once per
/// table and connection.
#[derive(Debug)]
pub(crate) struct Statements {
    /// An item's JSON and stamps (columns 1 and 2).
    pub(crate) get: String,
    /// An item's JSON alone, for an entity without stamp fields: each
    /// column read costs a get a few percent.
    pub(crate) get_data: String,
    /// As `get`, and the item's size (column 3), for a metered read.
    pub(crate) get_sized: String,
    /// As `get_data`, and the item's size (column 1).
    pub(crate) get_data_sized: String,
    /// An item's JSON, size and `updated_at`, for its capacity units.
    pub(crate) image: String,
    pub(crate) upsert: String,
    /// As `upsert`, for a put of an entity: an existing row is replaced
    /// only if its shape is no newer than `?7` ([`shape_guard`]).
    pub(crate) put_upsert: String,
    pub(crate) insert_new: String,
    pub(crate) delete: String,
    pub(crate) delete_returning: String,
    query: [String; 4],
    pub(crate) scan: String,
    pub(crate) upsert_with_stamps: String,
    /// Replaces an existing row's item, keeping its `created_at` (for a
    /// write that has read the row in its transaction).
    pub(crate) rewrite: String,
    pub(crate) columns: String,
    /// The writes of a table with a TTL attribute, made at its first one.
    ttl: std::cell::OnceCell<TtlStatements>,
    /// The statements of multi-attribute queries, by shape, made at each
    /// shape's first query.
    attribute: std::cell::RefCell<Vec<(AttributeShape, std::sync::Arc<str>)>>,
    insert: String,
}

/// The writes of a table with a TTL attribute that replace an expired row
/// as if it were gone, in one statement ([`crate::ttl`]); parameters as
/// [`Statements::upsert`]'s, and `?7` the current epoch second.
#[derive(Debug)]
pub(crate) struct TtlStatements {
    /// A put: an expired row's `created_at` is replaced too; a live row
    /// only if its shape is no newer than `?8` ([`shape_guard`]).
    pub(crate) upsert: String,
    /// A create: replaces only an expired row (no change: a live one).
    pub(crate) create: String,
}

impl Statements {
    pub(crate) fn new(table: &str) -> Self {
        let t = format!("\"{table}\"");
        let insert = format!(
            "INSERT INTO {t} (pk, sk, data, created_at, size, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
        );
        // Half-open sort-key ranges. The bounds are bound as text from raw
        // bytes: an upper bound may need a byte no UTF-8 text holds (0xF5,
        // above every key byte). A `CAST(? AS TEXT)` would do the same but
        // makes SQLite re-prepare the statement on every run, and a bound
        // `LIMIT ?` would too; rows are stepped one at a time instead, and the
        // page stops when it is full.
        let query = |columns: &str, order: &str| {
            format!(
                "SELECT {columns} FROM {t} \
                 WHERE pk = ?1 AND sk >= ?2 AND sk < ?3 ORDER BY sk {order}"
            )
        };
        Statements {
            get: format!("SELECT data, created_at, updated_at FROM {t} WHERE pk = ?1 AND sk = ?2"),
            get_data: format!("SELECT data FROM {t} WHERE pk = ?1 AND sk = ?2"),
            get_data_sized: format!("SELECT data, size FROM {t} WHERE pk = ?1 AND sk = ?2"),
            get_sized: format!(
                "SELECT data, created_at, updated_at, size FROM {t} WHERE pk = ?1 AND sk = ?2"
            ),
            image: format!("SELECT data, size, updated_at FROM {t} WHERE pk = ?1 AND sk = ?2"),
            upsert: format!(
                "{insert} ON CONFLICT (pk, sk) DO UPDATE SET data = excluded.data, \
                 size = excluded.size, updated_at = excluded.updated_at"
            ),
            put_upsert: format!(
                "{insert} ON CONFLICT (pk, sk) DO UPDATE SET data = excluded.data, \
                 size = excluded.size, updated_at = excluded.updated_at WHERE {}",
                shape_guard("?7")
            ),
            insert_new: format!("{insert} ON CONFLICT (pk, sk) DO NOTHING"),
            delete: format!("DELETE FROM {t} WHERE pk = ?1 AND sk = ?2"),
            delete_returning: format!(
                "DELETE FROM {t} WHERE pk = ?1 AND sk = ?2 RETURNING data, created_at, updated_at"
            ),
            query: [
                query("sk, data, size", "ASC"),
                query("sk, data, size", "DESC"),
                query("sk, data, size, created_at, updated_at", "ASC"),
                query("sk, data, size, created_at, updated_at", "DESC"),
            ],
            scan: format!(
                "SELECT pk, sk, data, size, created_at, updated_at FROM {t} \
                 WHERE (pk, sk) > (?1, ?2) ORDER BY pk, sk"
            ),
            upsert_with_stamps: format!(
                "{insert} ON CONFLICT (pk, sk) DO UPDATE SET data = excluded.data, \
                 size = excluded.size, created_at = excluded.created_at, \
                 updated_at = excluded.updated_at"
            ),
            rewrite: format!(
                "UPDATE {t} SET data = ?3, size = ?4, updated_at = ?5 WHERE pk = ?1 AND sk = ?2"
            ),
            columns: format!("SELECT name FROM pragma_table_xinfo('{table}')"),
            ttl: std::cell::OnceCell::new(),
            attribute: std::cell::RefCell::new(Vec::new()),
            insert,
        }
    }

    /// The writes of this table, whose TTL attribute is `attribute`
    /// (letters, digits and `_`: the derive checks).
    pub(crate) fn ttl(&self, attribute: &str) -> &TtlStatements {
        self.ttl.get_or_init(|| {
            let insert = &self.insert;
            let expired = format!("blue_expired(data, '{attribute}', ?7)");
            TtlStatements {
                upsert: format!(
                    "{insert} ON CONFLICT (pk, sk) DO UPDATE SET data = excluded.data, \
                     size = excluded.size, updated_at = excluded.updated_at, \
                     created_at = iif({expired}, excluded.created_at, created_at) \
                     WHERE {} OR {expired}",
                    shape_guard("?8")
                ),
                create: format!(
                    "{insert} ON CONFLICT (pk, sk) DO UPDATE SET data = excluded.data, \
                     size = excluded.size, created_at = excluded.created_at, \
                     updated_at = excluded.updated_at WHERE {expired}"
                ),
            }
        })
    }

    /// A batch's upsert: in a table with the TTL attribute `ttl`, one
    /// that replaces an expired row whole; else one that keeps the
    /// source's write times (`keep_stamps`, a copy) or `created_at`.
    pub(crate) fn batch_upsert(&self, ttl: Option<&str>, keep_stamps: bool) -> &str {
        match (ttl, keep_stamps) {
            (Some(attribute), _) => &self.ttl(attribute).upsert,
            (None, true) => &self.upsert_with_stamps,
            (None, false) => &self.upsert,
        }
    }

    /// The statement of a multi-attribute query of `shape`, made by
    /// `make` at the shape's first query on this connection.
    pub(crate) fn attribute_sql(
        &self,
        shape: AttributeShape,
        make: impl FnOnce() -> String,
    ) -> std::sync::Arc<str> {
        let mut cache = self.attribute.borrow_mut();
        if let Some((_, sql)) = cache.iter().find(|(s, _)| s.same(&shape)) {
            return sql.clone();
        }
        let sql: std::sync::Arc<str> = make().into();
        cache.push((shape, sql.clone()));
        sql
    }

    /// A query page's statement: columns `sk, data, size` (and
    /// `created_at, updated_at`), parameters `pk` and the [`bounds`].
    pub(crate) fn query(&self, order: Order, with_stamps: bool) -> &str {
        let index = usize::from(order == Order::Descending) + 2 * usize::from(with_stamps);
        &self.query[index]
    }
}

/// Selects of several tables (the tables layout,
/// [`crate::layout::tables`]), each a `SELECT … ORDER BY …` of one table,
/// as one statement: joined by `UNION ALL` and ordered by the first one's
/// `ORDER BY`, whose terms must be result columns (SQLite merges the arms,
/// each read in that order from its key).
pub(crate) fn union_all<S: AsRef<str>>(selects: impl IntoIterator<Item = S>) -> String {
    let mut out = String::new();
    let mut order_by = String::new();
    for select in selects {
        let select = select.as_ref();
        let (arm, order) = select
            .rfind(" ORDER BY ")
            .map_or((select, ""), |at| select.split_at(at));
        if !out.is_empty() {
            out.push_str(" UNION ALL ");
        }
        out.push_str(arm);
        if order_by.is_empty() {
            order_by.push_str(order);
        }
    }
    out.push_str(&order_by);
    out
}

/// That the stored row's shape ([`crate::schema::shape`]) is at most the
/// parameter `writer`: `blue_shape`, a function the backend registers on
/// each connection, reads it.
fn shape_guard(writer: &str) -> String {
    format!("blue_shape(data) <= {writer}")
}

/// The half-open byte range `[low, high)` of sort keys a query page reads.
///
/// `k ++ [0]` is the smallest string after `k`, and `p ++ [0xF5]` is above
/// every string that starts with `p`, since no byte of UTF-8 text is 0xF5 or
/// more.
pub(crate) fn bounds(
    condition: Option<&SortKeyCondition>,
    resume_after: Option<&str>,
    order: Order,
) -> (Vec<u8>, Vec<u8>) {
    fn with(s: &str, byte: u8) -> Vec<u8> {
        let mut v = Vec::with_capacity(s.len() + 1);
        v.extend_from_slice(s.as_bytes());
        v.push(byte);
        v
    }
    let (mut low, mut high) = match condition {
        None => (Vec::new(), vec![0xF5]),
        Some(SortKeyCondition::Equals(k)) => (k.as_bytes().to_vec(), with(k, 0)),
        Some(SortKeyCondition::BeginsWith(p)) => (p.as_bytes().to_vec(), with(p, 0xF5)),
        Some(SortKeyCondition::Between(a, b)) => (a.as_bytes().to_vec(), with(b, 0)),
    };
    if let Some(r) = resume_after {
        match order {
            Order::Ascending => low = low.max(with(r, 0)),
            Order::Descending => high = high.min(r.as_bytes().to_vec()),
        }
    }
    (low, high)
}

/// The statement and parameters of a query's page, as SQL text.
pub(crate) fn explain_query(
    spec: &QuerySpec,
    start: Option<&Position>,
    limit: Option<u32>,
) -> String {
    let mut out = match (&spec.index, &spec.attributes) {
        (Some(index), Some(condition)) => {
            let resume = start.and_then(|p| condition.decode_position(&p.sort_key));
            let (mut sql, params) = attribute_query(
                spec.table,
                &index.slot,
                condition,
                spec.order,
                false,
                resume.as_deref(),
            );
            for (i, param) in params.iter().enumerate() {
                let _ = match param {
                    Param::Text(bytes) => write!(sql, "\n?{} = {}", i + 1, literal(bytes)),
                    Param::Integer(n) => write!(sql, "\n?{} = {n}", i + 1),
                };
            }
            sql
        }
        (index, _) => {
            let (low, high) = bounds(
                spec.sort_key.as_ref(),
                start.map(|p| p.sort_key.as_str()),
                spec.order,
            );
            let mut sql = match index {
                Some(index) => index_query(
                    spec.table,
                    &index.slot,
                    spec.order,
                    false,
                    super::index_sql::IndexColumns::of(
                        index.projection != crate::schema::Projection::All,
                        false,
                    ),
                ),
                None => Statements::new(spec.table)
                    .query(spec.order, false)
                    .to_owned(),
            };
            let _ = write!(
                sql,
                "\n?1 = {}\n?2 = {}\n?3 = {}",
                literal(spec.partition_key.as_bytes()),
                literal(&low),
                literal(&high)
            );
            sql
        }
    };
    let _ = match limit {
        Some(n) => write!(
            out,
            "\n-- rows are read until {n} are evaluated, or before the one that would pass 1 MB"
        ),
        None => write!(out, "\n-- rows are read until the one that would pass 1 MB"),
    };
    if let Some(index) = &spec.index {
        let _ = match index.projection {
            crate::schema::Projection::All => Ok(()),
            crate::schema::Projection::KeysOnly => {
                write!(out, "\n-- an entry's size: its keys (KEYS_ONLY)")
            }
            crate::schema::Projection::Include(attributes) => write!(
                out,
                "\n-- an entry's size: its keys and {} (INCLUDE)",
                attributes.join(", ")
            ),
        };
    }
    if let Some(filter) = &spec.filter {
        let _ = write!(
            out,
            "\n-- each row evaluated is returned only if {}",
            crate::layout::expression::describe(filter)
        );
    }
    out
}

/// An SQL literal for text bound from bytes: `'…'`, with a range's last
/// byte (`0x00` just above a key, `0xF5` above every key that starts with
/// the text) written as `|| X'F5'`, and other bytes as a blob.
fn literal(bytes: &[u8]) -> String {
    let quoted = |text: &str| format!("'{}'", text.replace('\'', "''"));
    fn printable(bytes: &[u8]) -> Option<&str> {
        std::str::from_utf8(bytes)
            .ok()
            .filter(|text| !text.contains(|c: char| c.is_control()))
    }
    if let Some(text) = printable(bytes) {
        return quoted(text);
    }
    if let Some((last, text)) = bytes.split_last() {
        if let Some(text) = printable(text).filter(|_| matches!(last, 0x00 | 0xF5)) {
            return format!("{} || X'{last:02X}'", quoted(text));
        }
    }
    let mut out = String::from("CAST(X'");
    for b in bytes {
        let _ = write!(out, "{b:02X}");
    }
    out.push_str("' AS TEXT)");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_half_open_and_resume_strictly_after() {
        let eq = SortKeyCondition::Equals("A#1".into());
        assert_eq!(
            bounds(Some(&eq), None, Order::Ascending),
            (b"A#1".to_vec(), b"A#1\0".to_vec())
        );
        let bw = SortKeyCondition::BeginsWith("A#".into());
        assert_eq!(
            bounds(Some(&bw), Some("A#5"), Order::Ascending),
            (b"A#5\0".to_vec(), b"A#\xF5".to_vec())
        );
        assert_eq!(
            bounds(Some(&bw), Some("A#5"), Order::Descending),
            (b"A#".to_vec(), b"A#5".to_vec())
        );
    }

    #[test]
    fn literals_show_text_or_bytes() {
        assert_eq!(literal(b"it's"), "'it''s'");
        assert_eq!(literal(b"A#\xF5"), "'A#' || X'F5'");
        assert_eq!(literal(b"A#1\0"), "'A#1' || X'00'");
        assert_eq!(literal(b"A\x01B"), "CAST(X'410142' AS TEXT)");
    }
}

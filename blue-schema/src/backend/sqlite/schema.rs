//! Creating a table and its indexes, and bringing an older table up to
//! date (the `updated_at` column, indexes added later).

use rusqlite::OptionalExtension;

use super::config::Layout;
use super::error::sqlite_error;
use super::pool::Conn;
use crate::layout::index_sql::{add_index, create_index, index_columns_of};
use crate::layout::sqlite::{add_updated_at, create_table, COLUMNS};
use crate::schema::TableSchema;
use crate::Error;

/// Drops `table` (its rows and indexes go with it); whether it existed.
pub(super) fn drop_table(conn: &mut Conn, table: &'static str) -> Result<bool, Error> {
    let existed = conn
        .db
        .query_row(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
            [table],
            |_| Ok(()),
        )
        .optional()
        .map_err(sqlite_error)?
        .is_some();
    if existed {
        // Statements prepared for the table would fail once it is gone.
        conn.db.flush_prepared_statement_cache();
        conn.db
            .execute_batch(&crate::layout::sqlite::drop_table(table))
            .map_err(sqlite_error)?;
    }
    Ok(existed)
}

/// Deletes the rows whose TTL attribute is a number below the sweep's
/// second, with their index entries (the generated columns go with the
/// row); how many. One transaction: a reader sees all of them or none gone.
///
/// With a change feed, the records of these deletions are marked as the
/// TTL's ([`crate::feed::Origin::Ttl`]) in the same transaction.
pub(super) fn sweep_expired(conn: &mut Conn, op: crate::ops::SweepExpired) -> Result<u64, Error> {
    let table = op.table.name;
    let (_, tables) = conn.with_table(table)?;
    let sweeps: Vec<String> = tables
        .all_names(table)
        .iter()
        .map(|on| crate::layout::sqlite::sweep_expired(on, op.attribute))
        .collect();
    let now = super::write::epoch_param(op.now);
    super::write::immediate(conn, |conn| {
        let before = match op.table.stream {
            true => Some(super::feed::sequence(conn, table)?),
            false => None,
        };
        let mut deleted = 0;
        for sql in &sweeps {
            deleted += conn
                .db
                .prepare_cached(sql)
                .and_then(|mut statement| statement.execute([now]))
                .map_err(super::error::table_error(table))?;
        }
        if let (Some(before), true) = (before, deleted > 0) {
            super::feed::mark_ttl(conn, table, before)?;
        }
        Ok(deleted as u64)
    })
}

/// Creates `schema`'s table with its indexes, or adds what an existing
/// one lacks; whether an index was added to a table that held rows.
pub(super) fn create(
    conn: &mut Conn,
    schema: &'static TableSchema,
    layout: Layout,
) -> Result<bool, Error> {
    let table = schema.name;
    // SQLite does not tell table names apart by case; DynamoDB does.
    // Two schema tables must not share one SQLite table.
    let existing: Option<String> = conn
        .db
        .query_row(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?1 COLLATE NOCASE",
            [table],
            |row| row.get(0),
        )
        .optional()
        .map_err(sqlite_error)?;
    if let Some(existing) = existing.as_ref().filter(|name| *name != table) {
        return Err(Error::TableMismatch {
            table: table.to_owned(),
            found: format!(
                "SQLite already holds table {existing:?}, the same name but for case, which \
                     it does not tell apart (DynamoDB would); rename one of the tables"
            ),
        });
    }
    // A table keeps the layout it was made in; the file says which.
    let routing = super::route::read(&conn.db, table)?;
    if existing.is_some() && routing.is_none() && layout == Layout::Tables {
        return Err(Error::TableMismatch {
            table: table.to_owned(),
            found: "it is in the single-table layout, and the store asks for the tables \
                    layout: copy it into a new file opened with the tables layout \
                    (`copy`), or open this one without it"
                .to_owned(),
        });
    }
    let tables = routing.is_some() || layout == Layout::Tables;
    conn.db
        .execute_batch(&create_table(schema))
        .map_err(sqlite_error)?;
    // An existing table of another shape (the ADR's table without
    // `size`, say) would fail later with a less helpful message.
    let (db, sql) = conn.with_table(table)?;
    let mut stmt = db.prepare_cached(&sql.home.columns).map_err(sqlite_error)?;
    let columns: Vec<String> = stmt
        .query_map([], |row| row.get(0))
        .map_err(sqlite_error)?
        .collect::<Result<_, _>>()
        .map_err(sqlite_error)?;
    drop(stmt);
    let has = |c: &str| columns.iter().any(|have| have == c);
    // `updated_at` is added to a table from before it; any other
    // column missing means a table of another shape.
    let missing: Vec<&str> = COLUMNS
        .iter()
        .copied()
        .filter(|c| *c != "updated_at" && !has(c))
        .collect();
    if missing.is_empty() && !has("updated_at") {
        db.execute_batch(&add_updated_at(table))
            .map_err(sqlite_error)?;
    }
    if !missing.is_empty() {
        return Err(Error::TableMismatch {
            table: table.to_owned(),
            found: format!("it has no column {}", missing.join(", ")),
        });
    }
    // Each secondary index: its generated columns (added to a table
    // that has none; SQLite computes them for the rows it holds)
    // and its partial index. Whether the table had rows before.
    let mut added = false;
    // Asked once, and only when an index is missing.
    let mut had_rows = None;
    for slot in schema.indexes {
        if index_columns_of(schema, slot).iter().all(|c| has(&c.name)) {
            db.execute_batch(&create_index(schema, slot))
                .map_err(sqlite_error)?;
            continue;
        }
        let tx = db.unchecked_transaction().map_err(sqlite_error)?;
        for statement in add_index(schema, slot) {
            tx.execute_batch(&statement).map_err(sqlite_error)?;
        }
        tx.commit().map_err(sqlite_error)?;
        let had_rows = match had_rows {
            Some(had) => had,
            None => {
                let sql = format!("SELECT EXISTS (SELECT 1 FROM \"{table}\")");
                let had = db
                    .query_row(&sql, [], |row| row.get::<_, bool>(0))
                    .map_err(sqlite_error)?;
                *had_rows.insert(had)
            }
        };
        added |= had_rows;
    }
    if tables {
        added |= super::tables::create(conn, schema, routing)?;
    }
    Ok(added)
}

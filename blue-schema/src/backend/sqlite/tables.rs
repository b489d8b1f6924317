//! Making and extending a table in the tables layout
//! ([`crate::layout::tables`]): each entity's table with its typed
//! columns, indexes and foreign key, the routes in the file, and the
//! rows an added route takes moved into its table.

use rusqlite::Connection;

use super::error::sqlite_error;
use super::pool::Conn;
use crate::layout::index_sql::{add_index_on, create_index_on, index_columns_of};
use crate::layout::tables::{
    create_entity_table, create_layouts, guard_script, typed_columns, write_routes, Routing,
    MAX_ROUTES, ROUTES_CHANGED,
};
use crate::layout::views::quoted;
use crate::schema::TableSchema;
use crate::Error;

/// The columns a row moves with (the others are generated).
const MOVED: &str = "pk, sk, data, created_at, size, updated_at";

/// Makes `schema`'s entity tables beside its table (made already), adds
/// what an existing one lacks, and records the routes, from `existing`
/// (the file's); whether an index was added to a table that held rows.
/// One `BEGIN IMMEDIATE` transaction: every connection sees the tables
/// and their rows before or after, never between.
pub(super) fn create(
    conn: &mut Conn,
    schema: &'static TableSchema,
    existing: Option<Routing>,
) -> Result<bool, Error> {
    let table = schema.name;
    // A new table's routes are recorded even when it has no entity: the
    // record is what says the table is in this layout.
    let recorded = existing.is_some();
    let existing = existing.unwrap_or_default();
    let routing = Routing::extended(&existing, schema);
    if routing.routes.len() > MAX_ROUTES {
        return Err(Error::TableMismatch {
            table: table.to_owned(),
            found: format!(
                "the tables layout takes at most {MAX_ROUTES} entities per table, and it \
                 would have {}",
                routing.routes.len()
            ),
        });
    }
    let (added, changed) = super::write::immediate(conn, |conn| {
        let db = &conn.db;
        db.execute_batch(&create_layouts()).map_err(sqlite_error)?;
        let mut added = false;
        for route in &routing.routes {
            let entity = schema.entities.iter().find(|e| e.name == route.entity);
            if let Some(entity) = entity {
                db.execute_batch(&create_entity_table(schema, entity, &route.table, &routing))
                    .map_err(sqlite_error)?;
                let columns = columns_of(db, &route.table)?;
                for (name, definition) in typed_columns(schema, entity) {
                    if !columns.iter().any(|c| c.eq_ignore_ascii_case(&name)) {
                        db.execute_batch(&format!(
                            "ALTER TABLE {} ADD COLUMN {definition}",
                            quoted(&route.table)
                        ))
                        .map_err(sqlite_error)?;
                    }
                }
            }
            // Every table has every index's columns (an index query reads
            // them all), an entity's the schema no longer has too.
            added |= indexes(db, schema, &route.table)?;
        }
        // The rows each added route takes, from the table itself and from
        // the first table of their prefix. Not changes: the feed's
        // triggers are off while they move (made again after).
        let new = &routing.routes[existing.routes.len()..];
        if !new.is_empty() {
            let mut sources = vec![table.to_owned()];
            sources.extend(existing.routes.iter().map(|r| r.table.clone()));
            for source in &sources {
                db.execute_batch(&crate::layout::sqlite::drop_feed_triggers(source))
                    .map_err(sqlite_error)?;
            }
            for (offset, route) in new.iter().enumerate() {
                let condition = routing.condition(existing.routes.len() + offset);
                for source in sources.iter().filter(|s| {
                    **s == table
                        || existing
                            .routes
                            .iter()
                            .any(|r| r.table == **s && r.prefix == route.prefix)
                }) {
                    db.execute_batch(&format!(
                        "INSERT INTO {to} ({MOVED}) SELECT {MOVED} FROM {from} WHERE {condition};\n\
                         DELETE FROM {from} WHERE {condition}",
                        to = quoted(&route.table),
                        from = quoted(source),
                    ))
                    .map_err(sqlite_error)?;
                }
            }
        }
        if routing.any_prefix("new.sk") != existing.any_prefix("new.sk") {
            guard(db, table, &routing)?;
        }
        let changed = routing != existing || !recorded;
        if changed {
            let text =
                serde_json::to_string(&routing).map_err(|e| Error::backend(super::NAME, e))?;
            db.prepare_cached(&write_routes())
                .and_then(|mut s| s.execute((table, text)))
                .map_err(sqlite_error)?;
        }
        Ok((added, changed))
    })?;
    if changed {
        conn.forget(table);
        super::route::routes_changed();
    }
    Ok(added)
}

/// Makes the single table refuse a key an entity table takes, written by
/// a connection that read the routes before they changed (its error,
/// [`ROUTES_CHANGED`], makes this process read them again).
fn guard(db: &Connection, table: &str, routing: &Routing) -> Result<(), Error> {
    db.execute_batch(&guard_script(table, routing, ROUTES_CHANGED))
        .map_err(sqlite_error)
}

/// Adds the columns and SQL index of each of `schema`'s indexes that
/// `table` lacks; whether one was added to a table that held rows.
fn indexes(db: &Connection, schema: &TableSchema, table: &str) -> Result<bool, Error> {
    let columns = columns_of(db, table)?;
    let mut added = false;
    for slot in schema.indexes {
        let missing = index_columns_of(schema, slot)
            .iter()
            .any(|c| !columns.contains(&c.name));
        if !missing {
            db.execute_batch(&create_index_on(schema, slot, table))
                .map_err(sqlite_error)?;
            continue;
        }
        for statement in add_index_on(schema, slot, table) {
            db.execute_batch(&statement).map_err(sqlite_error)?;
        }
        let rows = db
            .query_row(
                &format!("SELECT EXISTS (SELECT 1 FROM {})", quoted(table)),
                [],
                |row| row.get::<_, bool>(0),
            )
            .map_err(sqlite_error)?;
        added |= rows;
    }
    Ok(added)
}

/// The names of `table`'s columns, generated ones included.
fn columns_of(db: &Connection, table: &str) -> Result<Vec<String>, Error> {
    let mut statement = db
        .prepare("SELECT name FROM pragma_table_xinfo(?1)")
        .map_err(sqlite_error)?;
    let rows = statement
        .query_map([table], |row| row.get(0))
        .map_err(sqlite_error)?;
    rows.collect::<Result<_, _>>().map_err(sqlite_error)
}

/// Drops `table`'s entity tables and its routes (the table itself is the
/// caller's).
pub(super) fn drop(conn: &mut Conn, table: &'static str) -> Result<(), Error> {
    let Some(routing) = super::route::read(&conn.db, table)? else {
        return Ok(());
    };
    conn.db.flush_prepared_statement_cache();
    for route in &routing.routes {
        conn.db
            .execute_batch(&crate::layout::sqlite::drop_table(&route.table))
            .map_err(sqlite_error)?;
    }
    conn.db
        .execute(
            &format!(
                "DELETE FROM {} WHERE tbl = ?1",
                crate::layout::tables::LAYOUTS
            ),
            [table],
        )
        .map_err(sqlite_error)?;
    conn.forget(table);
    super::route::routes_changed();
    Ok(())
}

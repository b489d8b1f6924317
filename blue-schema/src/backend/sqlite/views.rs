//! Keeping a table's typed views ([`crate::layout::views`]) in step with
//! the schema that last created it.

use rusqlite::{params, OptionalExtension};

use super::error::sqlite_error;
use super::pool::Conn;
use crate::layout::views::{create_view, drop_view, marker, view_name};
use crate::schema::TableSchema;
use crate::Error;

/// Makes the views of `schema`'s table its entities' views: a view whose
/// statement changed is made again, a view of an entity the schema no
/// longer has is dropped, the others are left as they are (so that a
/// `create_table` of an unchanged schema changes nothing in the file, and
/// no connection has to prepare its statements again). An object of the
/// same name that the library did not make is refused, never replaced.
///
/// What to change is decided again inside a `BEGIN IMMEDIATE`
/// transaction, so that processes creating the table at once do not make
/// the same view twice.
///
/// With `views` false (a table in the tables layout, whose entity tables
/// take the views' names and are typed themselves) it makes none.
pub(super) fn refresh(
    conn: &mut Conn,
    schema: &'static TableSchema,
    views: bool,
) -> Result<(), Error> {
    let wanted: Vec<(String, String)> = schema
        .entities
        .iter()
        .filter(|_| views)
        .map(|entity| (view_name(schema.name, entity), create_view(schema, entity)))
        .collect();
    if plan(conn, schema.name, &wanted)?.is_empty() {
        return Ok(());
    }
    super::write::immediate(conn, |conn| {
        let changes = plan(conn, schema.name, &wanted)?;
        for name in &changes.stale {
            conn.db
                .execute_batch(&drop_view(name))
                .map_err(sqlite_error)?;
        }
        for sql in &changes.missing {
            conn.db.execute_batch(sql).map_err(sqlite_error)?;
        }
        Ok(())
    })
}

/// The views to drop (by name) and to make (their statements).
struct Changes {
    stale: Vec<String>,
    missing: Vec<String>,
}

impl Changes {
    fn is_empty(&self) -> bool {
        self.stale.is_empty() && self.missing.is_empty()
    }
}

/// What makes the views of `table` those `wanted` (name, statement), or
/// the refusal of an object of another maker in a view's place.
fn plan(conn: &Conn, table: &str, wanted: &[(String, String)]) -> Result<Changes, Error> {
    let ours = existing(conn, table)?;
    for (name, _) in wanted {
        if ours.iter().any(|(n, _)| n == name) {
            continue;
        }
        let other: Option<(String, String)> = conn
            .db
            .query_row(
                "SELECT type, name FROM sqlite_master WHERE name = ?1 COLLATE NOCASE",
                params![name],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()
            .map_err(sqlite_error)?;
        if let Some((kind, found)) = other {
            return Err(Error::TableMismatch {
                table: found,
                found: format!(
                    "it is a {kind} in the place of {table}'s view {name}, which the library \
                     keeps (one per entity, `{{table}}_{{entity}}`); rename or drop it"
                ),
            });
        }
    }
    let same = |(name, sql): &(String, String), list: &[(String, String)]| {
        list.iter().any(|(n, s)| n == name && s == sql)
    };
    Ok(Changes {
        stale: ours
            .iter()
            .filter(|view| !same(view, wanted))
            .map(|(name, _)| name.clone())
            .collect(),
        missing: wanted
            .iter()
            .filter(|view| !same(view, &ours))
            .map(|(_, sql)| sql.clone())
            .collect(),
    })
}

/// Drops every view the library made of `table`.
pub(super) fn drop_all(conn: &mut Conn, table: &str) -> Result<(), Error> {
    for (name, _) in existing(conn, table)? {
        conn.db
            .execute_batch(&drop_view(&name))
            .map_err(sqlite_error)?;
    }
    Ok(())
}

/// The views the library made of `table`: name and statement.
fn existing(conn: &Conn, table: &str) -> Result<Vec<(String, String)>, Error> {
    let mut statement = conn
        .db
        .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'view' AND instr(sql, ?1) > 0")
        .map_err(sqlite_error)?;
    let rows = statement
        .query_map(params![marker(table)], |row| Ok((row.get(0)?, row.get(1)?)))
        .map_err(sqlite_error)?;
    rows.collect::<Result<_, _>>().map_err(sqlite_error)
}

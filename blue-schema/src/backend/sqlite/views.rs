//! Keeping a table's typed views ([`crate::layout::views`]) in step with
//! the schema that last created it.

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
///
/// Both questions (which views are ours, what else holds a view's name)
/// are answered from one read of `sqlite_master`: outside a transaction
/// every statement reads its own snapshot, and a view another process
/// made between two reads would look like somebody else's object.
fn plan(conn: &Conn, table: &str, wanted: &[(String, String)]) -> Result<Changes, Error> {
    let objects = objects(conn)?;
    let ours: Vec<(String, String)> = ours(&objects, table)
        .map(|o| (o.name.clone(), o.sql.clone().unwrap_or_default()))
        .collect();
    for (name, _) in wanted {
        if ours.iter().any(|(n, _)| n == name) {
            continue;
        }
        // SQLite's names are equal ignoring ASCII case (`NOCASE`).
        if let Some(other) = objects.iter().find(|o| o.name.eq_ignore_ascii_case(name)) {
            return Err(Error::TableMismatch {
                table: other.name.clone(),
                found: format!(
                    "it is a {} in the place of {table}'s view {name}, which the library \
                     keeps (one per entity, `{{table}}_{{entity}}`); rename or drop it",
                    other.kind
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

/// A row of `sqlite_master`.
struct Object {
    kind: String,
    name: String,
    sql: Option<String>,
}

/// The views among `objects` that the library made of `table` (their
/// statement holds its [`marker`]).
fn ours<'o>(objects: &'o [Object], table: &str) -> impl Iterator<Item = &'o Object> {
    let marker = marker(table);
    objects.iter().filter(move |o| {
        o.kind == "view" && o.sql.as_deref().is_some_and(|sql| sql.contains(&marker))
    })
}

/// Every object of the database, read in one statement (one snapshot).
fn objects(conn: &Conn) -> Result<Vec<Object>, Error> {
    let mut statement = conn
        .db
        .prepare("SELECT type, name, sql FROM sqlite_master")
        .map_err(sqlite_error)?;
    let rows = statement
        .query_map([], |row| {
            Ok(Object {
                kind: row.get(0)?,
                name: row.get(1)?,
                sql: row.get(2)?,
            })
        })
        .map_err(sqlite_error)?;
    rows.collect::<Result<_, _>>().map_err(sqlite_error)
}

/// Drops every view the library made of `table`.
pub(super) fn drop_all(conn: &mut Conn, table: &str) -> Result<(), Error> {
    for name in existing(conn, table)? {
        conn.db
            .execute_batch(&drop_view(&name))
            .map_err(sqlite_error)?;
    }
    Ok(())
}

/// The names of the views the library made of `table`.
fn existing(conn: &Conn, table: &str) -> Result<Vec<String>, Error> {
    let objects = objects(conn)?;
    Ok(ours(&objects, table).map(|o| o.name.clone()).collect())
}

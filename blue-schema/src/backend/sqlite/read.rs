//! Reading items by key: one, or several in one snapshot.

use super::error::{sqlite_error, table_error};
use super::pool::Conn;
use super::row::{data, decode_row, integer};
use crate::ops::decode::{decode_str, Decoder};
use crate::ops::{GetMany, ItemKey};
use crate::Error;

/// Runs the statement `sql` picks of `key`'s table with the key as its
/// parameters, and maps the row it finds.
pub(super) fn row_of_key<T>(
    conn: &mut Conn,
    key: &ItemKey,
    sql: fn(&crate::layout::sqlite::Statements) -> &str,
    map: impl FnOnce(&rusqlite::Row<'_>) -> Result<T, Error>,
) -> Result<Option<T>, Error> {
    let (db, statements) = conn.with_key(key)?;
    let mut stmt = db
        .prepare_cached(sql(statements))
        .map_err(table_error(key.table))?;
    let mut rows = stmt
        .query((&key.partition_key, &key.sort_key))
        .map_err(sqlite_error)?;
    match rows.next().map_err(sqlite_error)? {
        Some(row) => map(row).map(Some),
        None => Ok(None),
    }
}

/// Reads one item by key, and its size as DynamoDB counts it (in the same
/// statement: what a metered read charges for).
pub(super) fn get_row_sized<D: Decoder>(
    conn: &mut Conn,
    key: &ItemKey,
) -> Result<Option<(D::Output, usize)>, Error> {
    row_of_key(
        conn,
        key,
        |s| {
            if D::WITH_STAMPS {
                &s.get_sized
            } else {
                &s.get_data_sized
            }
        },
        |row| {
            let size_column = if D::WITH_STAMPS { 3 } else { 1 };
            let size = integer(row, size_column).map_err(|_| {
                key.stored()
                    .decode_error("the size column does not hold an integer")
            })?;
            let value = decode_row::<D>(key, row, D::WITH_STAMPS)?;
            Ok((value, usize::try_from(size).unwrap_or(0)))
        },
    )
}

/// Reads one item by key.
pub(super) fn get_row<D: Decoder>(
    conn: &mut Conn,
    key: &ItemKey,
) -> Result<Option<D::Output>, Error> {
    row_of_key(
        conn,
        key,
        |s| if D::WITH_STAMPS { &s.get } else { &s.get_data },
        |row| decode_row::<D>(key, row, D::WITH_STAMPS),
    )
}

/// Reads items by key in one read transaction (one snapshot), each
/// decoded from its row's text in place (the items are decoded without
/// their write times, as a get's are). Keys in a row of the same table
/// and statement share one prepared statement, taken from the cache once.
pub(super) fn get_many<D: Decoder>(
    conn: &mut Conn,
    op: &GetMany,
) -> Result<Vec<Option<D::Output>>, Error> {
    conn.db.execute_batch("BEGIN").map_err(sqlite_error)?;
    let result = read_keys::<D>(conn, op);
    let _ = conn.db.execute_batch("COMMIT");
    result
}

fn read_keys<D: Decoder>(conn: &mut Conn, op: &GetMany) -> Result<Vec<Option<D::Output>>, Error> {
    let mut found = Vec::with_capacity(op.keys.len());
    let mut keys = op.keys.iter().peekable();
    while let Some(&first) = keys.peek() {
        let table = first.table;
        let (db, sql) = conn.with_table(table)?;
        let mut current: Option<(&str, rusqlite::CachedStatement<'_>)> = None;
        while let Some(key) = keys.next_if(|key| key.table == table) {
            let text = sql.for_key(&key.sort_key).get_data.as_str();
            let stmt = match &mut current {
                Some((prepared, stmt)) if std::ptr::eq(*prepared, text) => stmt,
                _ => {
                    let stmt = db.prepare_cached(text).map_err(table_error(table))?;
                    &mut current.insert((text, stmt)).1
                }
            };
            let mut rows = stmt
                .query((&key.partition_key, &key.sort_key))
                .map_err(sqlite_error)?;
            found.push(match rows.next().map_err(sqlite_error)? {
                Some(row) => Some(decode_str::<D>(key.stored(), &data(row, 0)?)?),
                None => None,
            });
        }
    }
    Ok(found)
}

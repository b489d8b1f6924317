//! Writes on SQLite: puts, conditional puts and deletes, updates and
//! `put_all`, each one SQLite transaction that reads the stored item,
//! evaluates the checks with DynamoDB's rules, and writes.

use serde_json::{Map, Value};

use rusqlite::TransactionBehavior;

use super::error::{sqlite_error, table_error};
use super::pool::Conn;
use super::read::row_of_key;
use super::row::{data, decode_row, parse_attributes, text};
use super::NAME;
use crate::error::AnyItem;
use crate::layout::sqlite::Statements;
use crate::limits;
use crate::limits::check::CheckError;
use crate::ops::action::Returning;
use crate::ops::apply::{apply, ApplyError};
use crate::ops::check::{explain, Checks, Failure, ShapeCheck};
use crate::ops::decode::decode_str;
use crate::ops::decode::{Decoder, StoredKeys};
use crate::ops::{Delete, ItemKey, Put, PutBatch, UpdateOp};
use crate::write::MapWithSets;
use crate::Error;

/// A stored row: its JSON, write times and size (`None`: the `size`
/// column holds something else, which another tool wrote).
pub(super) struct Stored {
    pub(super) data: String,
    pub(super) created_at: String,
    pub(super) updated_at: String,
    pub(super) size: Option<i64>,
}

/// Reads the row with this key, with its size when `sized` (what an
/// update swaps its changed attributes' sizes in, [`super::splice`]).
fn read_row(conn: &mut Conn, key: &ItemKey, sized: bool) -> Result<Option<Stored>, Error> {
    row_of_key(
        conn,
        key,
        if sized { |s| &s.get_sized } else { |s| &s.get },
        |row| {
            Ok(Stored {
                data: data(row, 0)?.into_owned(),
                created_at: text(row, 1)?.to_owned(),
                updated_at: text(row, 2)?.to_owned(),
                size: sized.then(|| super::row::integer(row, 3).ok()).flatten(),
            })
        },
    )
}

/// Reads the row with this key as a write with `checks` sees it: a row
/// that expired ([`crate::ttl`]) is deleted first, in the write's
/// transaction, and reads as none, so the write replaces it as DynamoDB's
/// would once its TTL process had run. `sized`: with the row's size, for
/// an update.
pub(super) fn read_live(
    conn: &mut Conn,
    key: &ItemKey,
    checks: &Checks,
    sized: bool,
) -> Result<Option<Stored>, Error> {
    let stored = read_row(conn, key, sized)?;
    let Some(expiry) = checks.expiry else {
        return Ok(stored);
    };
    match stored {
        Some(s)
            if parse_attributes(&s.data, &[expiry.attribute])
                .is_some_and(|only| expiry.has_expired(&only)) =>
        {
            remove(conn, key)?;
            Ok(None)
        }
        other => Ok(other),
    }
}

fn parse(key: &ItemKey, text: &str) -> Result<Map<String, Value>, Error> {
    match serde_json::from_str(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(key
            .stored()
            .decode_error("the stored item is not a JSON object")),
        Err(e) => Err(key.stored().decode_error(e)),
    }
}

/// The checks' failure on the stored row, with the item decoded.
pub(super) fn failure(
    key: &ItemKey,
    checks: &Checks,
    decode: Option<crate::ops::decode::AnyDecoder>,
    stored: Option<&Stored>,
) -> Result<Option<(Failure, Option<crate::error::Current>)>, Error> {
    // The attributes the checks read first; the whole item only to explain
    // a failure (or to report a stored item that is not a JSON object).
    if let Some(stored) = stored {
        let names = checks.attributes();
        if let Some(only) = parse_attributes(&stored.data, &names) {
            if checks.failure(Some(&only)).is_none() {
                return Ok(None);
            }
        }
    }
    let map = stored.map(|s| parse(key, &s.data)).transpose()?;
    if checks.failure(map.as_ref()).is_none() {
        return Ok(None);
    }
    Ok(Some(explain(key, checks, map, decode)))
}

/// Runs `work` in an IMMEDIATE transaction (the write lock taken up front,
/// so a concurrent writer waits for the busy timeout instead of failing
/// part-way), committing when it returns `Ok`.
pub(super) fn immediate<T>(
    conn: &mut Conn,
    work: impl FnOnce(&mut Conn) -> Result<T, Error>,
) -> Result<T, Error> {
    // Inside a transaction already (a metered write reads its items before
    // and after in the same one): that transaction is the write's.
    if !conn.db.is_autocommit() {
        return work(conn);
    }
    // Prepared once per connection, like every other statement.
    let run = |db: &rusqlite::Connection, sql: &str| {
        db.prepare_cached(sql).and_then(|mut s| s.execute([]))
    };
    run(&conn.db, "BEGIN IMMEDIATE").map_err(sqlite_error)?;
    match work(conn) {
        Ok(value) => match run(&conn.db, "COMMIT") {
            Ok(_) => Ok(value),
            Err(e) => {
                let _ = run(&conn.db, "ROLLBACK");
                Err(sqlite_error(e))
            }
        },
        Err(e) => {
            let _ = run(&conn.db, "ROLLBACK");
            Err(e)
        }
    }
}

/// Writes a row, keeping `created_at` when the row `exists` (which the
/// caller read in this transaction): an `UPDATE` of it, or an `INSERT`.
pub(super) fn write_row(
    conn: &mut Conn,
    key: &ItemKey,
    data: &str,
    stamps: limits::check::Stamps<'_>,
    size: usize,
    exists: bool,
) -> Result<(), Error> {
    let (db, statements) = conn.with_key(key)?;
    if exists {
        let mut stmt = db
            .prepare_cached(&statements.rewrite)
            .map_err(table_error(key.table))?;
        stmt.execute((
            &key.partition_key,
            &key.sort_key,
            data,
            size as i64,
            stamps.updated_at,
        ))
        .map_err(sqlite_error)?;
        return Ok(());
    }
    let mut stmt = db
        .prepare_cached(&statements.upsert)
        .map_err(table_error(key.table))?;
    stmt.execute((
        &key.partition_key,
        &key.sort_key,
        data,
        stamps.created_at,
        size as i64,
        stamps.updated_at,
    ))
    .map_err(sqlite_error)?;
    Ok(())
}

pub(super) fn remove(conn: &mut Conn, key: &ItemKey) -> Result<(), Error> {
    let (db, statements) = conn.with_key(key)?;
    let mut stmt = db
        .prepare_cached(&statements.delete)
        .map_err(table_error(key.table))?;
    stmt.execute((&key.partition_key, &key.sort_key))
        .map_err(sqlite_error)?;
    Ok(())
}

/// A conditional put: check, then write.
pub(super) fn put(conn: &mut Conn, op: &Put<String>) -> Result<(), Error> {
    let key = &op.item.key;
    immediate(conn, |conn| {
        let stored = read_live(conn, key, &op.checks, false)?;
        if let Some((f, current)) = failure(key, &op.checks, Some(op.decode), stored.as_ref())? {
            return Err(f.into_error(key, current));
        }
        let exists = stored.is_some();
        write_row(
            conn,
            key,
            &op.item.data,
            op.item.stamps(),
            op.item.size,
            exists,
        )
    })
}

/// A conditional delete; the old row when asked.
pub(super) fn delete(conn: &mut Conn, op: &Delete) -> Result<Option<Stored>, Error> {
    let key = &op.key;
    immediate(conn, |conn| {
        let stored = read_live(conn, key, &op.checks, false)?;
        if let Some((f, current)) = failure(key, &op.checks, op.decode, stored.as_ref())? {
            return Err(f.into_error(key, current));
        }
        if stored.is_some() {
            remove(conn, key)?;
        }
        Ok(stored)
    })
}

/// Why an update cannot apply.
pub(super) enum UpdateFailure {
    Check(Failure, Option<crate::error::Current>),
    Apply(ApplyError),
    /// The item after the update breaks a limit (400 KB, say).
    Limit(limits::LimitError),
}

/// The item after `op`, from the stored row: its JSON, size and
/// `created_at`, and the old item as a map. Its `updated_at` is `op.now`.
pub(super) struct Updated {
    pub(super) data: String,
    pub(super) size: usize,
    pub(super) created_at: String,
    pub(super) old: Option<Map<String, Value>>,
    pub(super) new: Map<String, Value>,
}

pub(super) fn plan_update(
    op: &UpdateOp,
    stored: Option<&Stored>,
) -> Result<Result<Updated, UpdateFailure>, Error> {
    if let Some(row) = stored {
        if let Some(planned) = super::splice::plan(op, row) {
            // The suites check that the attributes an update changed alone
            // make the item the whole one does.
            #[cfg(all(debug_assertions, feature = "internal-checks"))]
            super::splice::agrees(op, row, &planned, &plan_whole(op, stored));
            return Ok(planned);
        }
    }
    plan_whole(op, stored)
}

/// [`plan_update`] from the whole stored item.
fn plan_whole(
    op: &UpdateOp,
    stored: Option<&Stored>,
) -> Result<Result<Updated, UpdateFailure>, Error> {
    let key = &op.key;
    let old = stored.map(|s| parse(key, &s.data)).transpose()?;
    if op.checks.failure(old.as_ref()).is_some() {
        let (f, current) = explain(key, &op.checks, old, Some(op.decode));
        return Ok(Err(UpdateFailure::Check(f, current)));
    }
    // The old item is kept only when the caller wants it back.
    let (old, mut new) = match (old, &op.create) {
        (Some(old), _) if op.returning == Returning::Old => (Some(old.clone()), old),
        (Some(old), _) => (None, old),
        (None, Some(fields)) => (
            None,
            fields
                .iter()
                .map(|(name, value)| ((*name).to_owned(), value.clone()))
                .collect(),
        ),
        // The checks require the item when the update does not create it.
        (None, None) => return Ok(Err(UpdateFailure::Check(Failure::NotFound, None))),
    };
    if let (Some(_), Some(fields)) = (stored, &op.create) {
        // As DynamoDB's `SET`: the key fields (unchanged) and the index keys
        // made of them are written on an existing item too.
        for (name, value) in fields {
            new.insert((*name).to_owned(), value.clone());
        }
    }
    if let Err(e) = apply(&op.actions, &mut new) {
        return Ok(Err(UpdateFailure::Apply(e)));
    }
    let created_at = stored.map_or_else(|| op.now.clone(), |s| s.created_at.clone());
    let stamps = limits::check::Stamps {
        created_at: &created_at,
        updated_at: &op.now,
    };
    let item = MapWithSets {
        map: &new,
        sets: op.entity.sets,
    };
    let size = match limits::check::check_item(
        &key.partition_key,
        &key.sort_key,
        stamps,
        &item,
        limits::check::IndexKeys::InItem,
    ) {
        Ok(size) => size,
        Err(CheckError::Limit(e)) => return Ok(Err(UpdateFailure::Limit(e))),
        Err(CheckError::NotAnItem(e)) => {
            return Err(Error::Serialize {
                entity: op.entity.name,
                source: e,
            })
        }
    };
    let data = serde_json::to_string(&new).map_err(|e| Error::backend(NAME, e))?;
    Ok(Ok(Updated {
        data,
        size,
        created_at,
        old,
        new,
    }))
}

fn apply_error(op: &UpdateOp, e: ApplyError) -> Error {
    match e {
        ApplyError::Overflow(attribute) => Error::Overflow {
            table: op.key.table,
            partition_key: op.key.partition_key.clone(),
            sort_key: op.key.sort_key.clone(),
            attribute,
        },
        ApplyError::Type(message) => Error::InvalidUpdate {
            entity: op.entity.name,
            message,
        },
    }
}

/// An update: read, check, apply, write; the old or new item as asked.
pub(super) fn update(conn: &mut Conn, op: &UpdateOp) -> Result<Option<AnyItem>, Error> {
    let key = &op.key;
    immediate(conn, |conn| {
        let stored = read_live(conn, key, &op.checks, true)?;
        let updated = match plan_update(op, stored.as_ref())? {
            Ok(u) => u,
            Err(UpdateFailure::Check(f, current)) => return Err(f.into_error(key, current)),
            Err(UpdateFailure::Apply(e)) => return Err(apply_error(op, e)),
            Err(UpdateFailure::Limit(e)) => return Err(Error::Limit(e)),
        };
        let stamps = limits::check::Stamps {
            created_at: &updated.created_at,
            updated_at: &op.now,
        };
        write_row(
            conn,
            key,
            &updated.data,
            stamps,
            updated.size,
            stored.is_some(),
        )?;
        let returned = match op.returning {
            Returning::Nothing => None,
            Returning::Old => updated.old.map(Value::Object),
            Returning::New => Some(Value::Object(updated.new)),
        };
        returned
            .map(|v| op.decode.decode_value(key.stored(), v))
            .transpose()
    })
}

/// A put whose only checks are the stored item's shape and expiry (or a
/// `create`): one statement.
pub(super) fn put_row(conn: &mut Conn, op: &Put<String>) -> Result<(), Error> {
    // With a change feed, an expired item is removed first, as DynamoDB
    // must ([`crate::ops::check::Expiry::feed`]).
    if op.checks.expiry.is_some_and(|e| e.feed) && !op.if_not_exists {
        return put(conn, op);
    }
    let item = &op.item;
    let key = &item.key;
    let (db, statements) = conn.with_key(key)?;
    let sql = match (op.checks.expiry, op.if_not_exists) {
        // An expired row is replaced whole, as if it were gone.
        (Some(expiry), true) => &statements.ttl(expiry.attribute).create,
        (Some(expiry), false) => &statements.ttl(expiry.attribute).upsert,
        (None, true) => &statements.insert_new,
        (None, false) => &statements.put_upsert,
    };
    let shape = (!op.if_not_exists).then(|| writer_shape(op.checks.shape));
    let written = {
        let mut stmt = db.prepare_cached(sql).map_err(table_error(key.table))?;
        execute_write(&mut stmt, item, op.checks.expiry.map(|e| e.now), shape)?
    };
    if written == 0 {
        if !op.if_not_exists {
            // The stored item's shape is newer: the checked path says so
            // (or writes, if another writer changed it in between).
            return put(conn, op);
        }
        return Err(Error::AlreadyExists {
            table: key.table,
            partition_key: key.partition_key.clone(),
            sort_key: key.sort_key.clone(),
        });
    }
    Ok(())
}

/// The shape a put's statement lets it replace: any, without a check.
fn writer_shape(check: Option<ShapeCheck>) -> u32 {
    check.map_or(u32::MAX, |c| c.writer)
}

/// Runs an insert or upsert of `item` (parameters `?1` to `?6`), then the
/// current epoch second of a statement of a table with a TTL attribute
/// (`?7`, `now`), then the writer's shape of a put's (`?7`, or `?8` after
/// `now`); how many rows it wrote.
fn execute_write(
    stmt: &mut rusqlite::CachedStatement<'_>,
    item: &crate::ops::WriteItem<String>,
    now: Option<u64>,
    shape: Option<u32>,
) -> Result<usize, Error> {
    let key = &item.key;
    let params = (
        &key.partition_key,
        &key.sort_key,
        &item.data,
        &item.created_at,
        item.size as i64,
        item.updated_at(),
    );
    let (pk, sk, data, created_at, size, updated_at) = params;
    match (now, shape) {
        (Some(now), Some(shape)) => stmt.execute((
            pk,
            sk,
            data,
            created_at,
            size,
            updated_at,
            epoch_param(now),
            shape,
        )),
        (Some(now), None) => {
            stmt.execute((pk, sk, data, created_at, size, updated_at, epoch_param(now)))
        }
        (None, Some(shape)) => stmt.execute((pk, sk, data, created_at, size, updated_at, shape)),
        (None, None) => stmt.execute(params),
    }
    .map_err(sqlite_error)
}

/// An epoch second as SQLite's integer.
pub(super) fn epoch_param(now: u64) -> i64 {
    i64::try_from(now).unwrap_or(i64::MAX)
}

/// A batch of puts, in one transaction.
pub(super) fn put_rows(conn: &mut Conn, op: &PutBatch<String>) -> Result<(), Error> {
    let table = op.table;
    let (db, sql) = conn.with_table(table)?;
    // Inside a transaction already (a metered write's), the batch is part
    // of it.
    let nested = !db.is_autocommit();
    // IMMEDIATE takes the write lock up front, so a concurrent writer
    // waits (busy timeout) instead of failing mid-batch.
    let tx = if nested {
        None
    } else {
        Some(
            rusqlite::Transaction::new_unchecked(db, TransactionBehavior::Immediate)
                .map_err(sqlite_error)?,
        )
    };
    // An expired row is replaced as if it were gone ([`crate::ttl`]).
    let expiry = op.expiry.filter(|_| !op.keep_stamps);
    let ttl = expiry.map(|e| e.attribute);
    // Any shape: a batch write checks nothing, as DynamoDB's cannot.
    let shape = expiry.map(|_| u32::MAX);
    // One statement per run of items in one table (every item, in the
    // single-table layout).
    let mut current: Option<(&Statements, rusqlite::CachedStatement<'_>)> = None;
    for item in &op.items {
        let statements = sql.for_key(&item.key.sort_key);
        let stmt = match &mut current {
            Some((s, stmt)) if std::ptr::eq(*s, statements) => stmt,
            _ => {
                let stmt = db
                    .prepare_cached(statements.batch_upsert(ttl, op.keep_stamps))
                    .map_err(table_error(table))?;
                &mut current.insert((statements, stmt)).1
            }
        };
        execute_write(stmt, item, expiry.map(|e| e.now), shape)?;
    }
    drop(current);
    // Dropping an uncommitted transaction rolls it back: an error
    // above leaves nothing written.
    match tx {
        Some(tx) => tx.commit().map_err(sqlite_error),
        None => Ok(()),
    }
}

/// A delete, conditional or not; the old item when asked.
pub(super) fn delete_row<D: Decoder>(
    conn: &mut Conn,
    op: &Delete,
) -> Result<Option<D::Output>, Error> {
    let key = &op.key;
    if !op.checks.is_empty() {
        return match delete(conn, op)? {
            Some(stored) if op.return_old => {
                let keys = StoredKeys {
                    table: key.table,
                    partition_key: &key.partition_key,
                    sort_key: &key.sort_key,
                    created_at: &stored.created_at,
                    updated_at: &stored.updated_at,
                };
                decode_str::<D>(keys, &stored.data).map(Some)
            }
            _ => Ok(None),
        };
    }
    let (db, statements) = conn.with_key(key)?;
    let params = (&key.partition_key, &key.sort_key);
    if !op.return_old {
        let mut stmt = db
            .prepare_cached(&statements.delete)
            .map_err(table_error(key.table))?;
        stmt.execute(params).map_err(sqlite_error)?;
        return Ok(None);
    }
    let mut stmt = db
        .prepare_cached(&statements.delete_returning)
        .map_err(table_error(key.table))?;
    let mut rows = stmt.query(params).map_err(sqlite_error)?;
    let Some(row) = rows.next().map_err(sqlite_error)? else {
        return Ok(None);
    };
    // The row is deleted (on the first step) whether or not it decodes.
    decode_row::<D>(key, row, true).map(Some)
}

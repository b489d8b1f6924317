//! Conditional writes, updates, transactions and batch reads on SQLite:
//! each one SQLite transaction that reads the stored item, evaluates the
//! checks with DynamoDB's rules, and writes.

use serde_json::{Map, Value};

use super::pool::Conn;
use super::{sqlite_error, table_error, NAME};
use crate::limits::{self, CheckError};
use crate::ops::{Delete, GetMany, ItemKey, Put, TransactWrite, TxAction, UpdateOp};
use crate::write::{
    apply, explain, AnyItem, ApplyError, CancelReason, Checks, Failure, MapWithSets, Returning,
    TransactionCanceled,
};
use crate::Error;

/// How long an idempotency token is remembered, as DynamoDB: ten minutes.
const TOKEN_SECONDS: i64 = 600;

/// A stored row: its JSON and write times.
pub(super) struct Stored {
    pub(super) data: String,
    pub(super) created_at: String,
    pub(super) updated_at: String,
}

/// Reads the row with this key.
pub(super) fn read(conn: &mut Conn, key: &ItemKey) -> Result<Option<Stored>, Error> {
    super::row_of_key(
        conn,
        key,
        |s| &s.get,
        |row| {
            Ok(Stored {
                data: super::data(row, 0)?.into_owned(),
                created_at: super::text(row, 1)?.to_owned(),
                updated_at: super::text(row, 2)?.to_owned(),
            })
        },
    )
}

fn parse(key: &ItemKey, text: &str) -> Result<Map<String, Value>, Error> {
    match serde_json::from_str(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(decode_error(key, "the stored item is not a JSON object")),
        Err(e) => Err(decode_error(key, e)),
    }
}

fn decode_error(key: &ItemKey, e: impl Into<crate::BoxError>) -> Error {
    Error::Decode {
        table: key.table,
        partition_key: key.partition_key.clone(),
        sort_key: key.sort_key.clone(),
        source: e.into(),
    }
}

/// The checks' failure on the stored row, with the item decoded.
fn failure(
    key: &ItemKey,
    checks: &Checks,
    decode: Option<crate::write::AnyDecoder>,
    stored: Option<&Stored>,
) -> Result<Option<(Failure, Option<crate::write::failure::Current>)>, Error> {
    let map = stored.map(|s| parse(key, &s.data)).transpose()?;
    if checks.failure(map.as_ref()).is_none() {
        return Ok(None);
    }
    Ok(Some(explain(checks, map, decode)))
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
fn write_row(
    conn: &mut Conn,
    key: &ItemKey,
    data: &str,
    stamps: limits::Stamps<'_>,
    size: usize,
    exists: bool,
) -> Result<(), Error> {
    let (db, statements) = conn.with_statements(key.table)?;
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

fn remove(conn: &mut Conn, key: &ItemKey) -> Result<(), Error> {
    let (db, statements) = conn.with_statements(key.table)?;
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
        let stored = read(conn, key)?;
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
        let stored = read(conn, key)?;
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
enum UpdateFailure {
    Check(Failure, Option<crate::write::failure::Current>),
    Apply(ApplyError),
    /// The item after the update breaks a limit (400 KB, say).
    Limit(limits::LimitError),
}

/// The item after `op`, from the stored row: its JSON, size and
/// `created_at`, and the old item as a map. Its `updated_at` is `op.now`.
struct Updated {
    data: String,
    size: usize,
    created_at: String,
    old: Option<Map<String, Value>>,
    new: Map<String, Value>,
}

fn plan_update(
    op: &UpdateOp,
    stored: Option<&Stored>,
) -> Result<Result<Updated, UpdateFailure>, Error> {
    let key = &op.key;
    let old = stored.map(|s| parse(key, &s.data)).transpose()?;
    if op.checks.failure(old.as_ref()).is_some() {
        let (f, current) = explain(&op.checks, old, Some(op.decode));
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
    let stamps = limits::Stamps {
        created_at: &created_at,
        updated_at: &op.now,
    };
    let item = MapWithSets {
        map: &new,
        sets: op.entity.sets,
    };
    let size = match limits::check_item(
        &key.partition_key,
        &key.sort_key,
        stamps,
        &item,
        limits::IndexKeys::InItem,
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
        let stored = read(conn, key)?;
        let updated = match plan_update(op, stored.as_ref())? {
            Ok(u) => u,
            Err(UpdateFailure::Check(f, current)) => return Err(f.into_error(key, current)),
            Err(UpdateFailure::Apply(e)) => return Err(apply_error(op, e)),
            Err(UpdateFailure::Limit(e)) => return Err(Error::Limit(e)),
        };
        let stamps = limits::Stamps {
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
            .map(|v| (op.decode.from_value)(v).map_err(|e| decode_error(key, e)))
            .transpose()
    })
}

/// What a transaction action will write once every check has passed.
enum Planned {
    Write {
        key: ItemKey,
        data: String,
        created_at: String,
        updated_at: String,
        size: usize,
        exists: bool,
    },
    Remove(ItemKey),
    Nothing,
}

/// A write transaction: every check against the state before it, every
/// failure reported, then all writes or none.
pub(super) fn transact(conn: &mut Conn, op: &TransactWrite<Value>) -> Result<(), Error> {
    immediate(conn, |conn| {
        if let Some((token, digest)) = &op.token {
            if seen_token(conn, token, digest)? {
                return Ok(());
            }
        }
        let mut reasons = Vec::with_capacity(op.actions.len());
        let mut plans = Vec::with_capacity(op.actions.len());
        for action in op.actions.iter() {
            let key = action.key();
            let stored = read(conn, key)?;
            let (reason, plan) = match action {
                TxAction::Put(p) => match failure(key, &p.checks, Some(p.decode), stored.as_ref())?
                {
                    Some((f, current)) => (f.into_reason(key, current), Planned::Nothing),
                    None => (
                        CancelReason::None,
                        Planned::Write {
                            key: key.clone(),
                            data: p.item.data.to_string(),
                            created_at: stored.as_ref().map_or_else(
                                || p.item.created_at.clone(),
                                |s| s.created_at.clone(),
                            ),
                            updated_at: p.item.updated_at.clone(),
                            size: p.item.size,
                            exists: stored.is_some(),
                        },
                    ),
                },
                TxAction::Update(u) => match plan_update(u, stored.as_ref())? {
                    Ok(up) => (
                        CancelReason::None,
                        Planned::Write {
                            key: key.clone(),
                            data: up.data,
                            created_at: up.created_at,
                            updated_at: u.now.clone(),
                            size: up.size,
                            exists: stored.is_some(),
                        },
                    ),
                    Err(UpdateFailure::Check(f, current)) => {
                        (f.into_reason(key, current), Planned::Nothing)
                    }
                    Err(UpdateFailure::Apply(ApplyError::Overflow(attribute))) => {
                        (CancelReason::Overflow { attribute }, Planned::Nothing)
                    }
                    Err(UpdateFailure::Apply(ApplyError::Type(message))) => {
                        (CancelReason::Validation(message), Planned::Nothing)
                    }
                    Err(UpdateFailure::Limit(limits::LimitError::ItemTooLarge { .. })) => {
                        (CancelReason::ItemTooLarge, Planned::Nothing)
                    }
                    Err(UpdateFailure::Limit(e)) => {
                        (CancelReason::Validation(e.to_string()), Planned::Nothing)
                    }
                },
                TxAction::Delete(d) => match failure(key, &d.checks, d.decode, stored.as_ref())? {
                    Some((f, current)) => (f.into_reason(key, current), Planned::Nothing),
                    None => (CancelReason::None, Planned::Remove(key.clone())),
                },
                TxAction::Check(c) => {
                    match failure(key, &c.checks, Some(c.decode), stored.as_ref())? {
                        Some((f, current)) => (f.into_reason(key, current), Planned::Nothing),
                        None => (CancelReason::None, Planned::Nothing),
                    }
                }
            };
            reasons.push(reason);
            plans.push(plan);
        }
        if reasons.iter().any(CancelReason::is_failure) {
            return Err(Error::TransactionCanceled(Box::new(TransactionCanceled {
                reasons,
            })));
        }
        for plan in plans {
            match plan {
                Planned::Write {
                    key,
                    data,
                    created_at,
                    updated_at,
                    size,
                    exists,
                } => {
                    let stamps = limits::Stamps {
                        created_at: &created_at,
                        updated_at: &updated_at,
                    };
                    write_row(conn, &key, &data, stamps, size, exists)?;
                }
                Planned::Remove(key) => remove(conn, &key)?,
                Planned::Nothing => {}
            }
        }
        if let Some((token, digest)) = &op.token {
            remember_token(conn, token, digest)?;
        }
        Ok(())
    })
}

fn now_seconds() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Whether this token committed this same transaction in the last ten
/// minutes; an error when it committed another.
fn seen_token(conn: &mut Conn, token: &str, digest: &str) -> Result<bool, Error> {
    conn.db
        .execute_batch(
            "CREATE TABLE IF NOT EXISTS blue_schema_tokens (\
             token TEXT PRIMARY KEY, digest TEXT NOT NULL, expires INTEGER NOT NULL);\
             CREATE INDEX IF NOT EXISTS blue_schema_tokens_expires \
             ON blue_schema_tokens (expires)",
        )
        .map_err(sqlite_error)?;
    let now = now_seconds();
    conn.db
        .execute("DELETE FROM blue_schema_tokens WHERE expires <= ?1", [now])
        .map_err(sqlite_error)?;
    let found: Option<String> = {
        let mut stmt = conn
            .db
            .prepare_cached("SELECT digest FROM blue_schema_tokens WHERE token = ?1")
            .map_err(sqlite_error)?;
        let mut rows = stmt.query([token]).map_err(sqlite_error)?;
        match rows.next().map_err(sqlite_error)? {
            Some(row) => Some(super::text(row, 0)?.to_owned()),
            None => None,
        }
    };
    match found {
        None => Ok(false),
        Some(d) if d == digest => Ok(true),
        Some(_) => Err(Error::IdempotentParameterMismatch {
            token: token.to_owned(),
        }),
    }
}

fn remember_token(conn: &mut Conn, token: &str, digest: &str) -> Result<(), Error> {
    conn.db
        .execute(
            "INSERT INTO blue_schema_tokens (token, digest, expires) VALUES (?1, ?2, ?3)",
            (token, digest, now_seconds() + TOKEN_SECONDS),
        )
        .map_err(sqlite_error)?;
    Ok(())
}

/// Reads items by key in one read transaction (one snapshot).
pub(super) fn get_many(conn: &mut Conn, op: &GetMany) -> Result<Vec<Option<AnyItem>>, Error> {
    conn.db.execute_batch("BEGIN").map_err(sqlite_error)?;
    let result = op
        .keys
        .iter()
        .zip(&op.decode)
        .map(|(key, decode)| {
            read(conn, key)?
                .map(|s| (decode.from_str)(&s.data).map_err(|e| decode_error(key, e)))
                .transpose()
        })
        .collect();
    let _ = conn.db.execute_batch("COMMIT");
    result
}

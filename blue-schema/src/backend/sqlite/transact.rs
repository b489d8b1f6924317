//! Write transactions: every action's checks against the items as they
//! were, then every write, in one SQLite transaction; and the idempotency
//! tokens that make a retried transaction write once.

use std::borrow::Cow;

use super::error::sqlite_error;
use super::pool::Conn;
use super::row::text;
use super::write::{failure, immediate, plan_update, read_live, remove, write_row, UpdateFailure};
use crate::ops::apply::ApplyError;
use crate::ops::{ItemKey, TransactWrite, TxAction};
use crate::write::{CancelReason, TransactionCanceled};
use crate::{limits, Error};

/// How long an idempotency token is remembered, as DynamoDB: ten minutes.
const TOKEN_SECONDS: i64 = 600;

/// What a transaction action will write once every check has passed,
/// borrowing what the action holds.
enum Planned<'a> {
    Write {
        key: &'a ItemKey,
        data: Cow<'a, str>,
        created_at: Cow<'a, str>,
        updated_at: &'a str,
        size: usize,
        exists: bool,
    },
    Remove(&'a ItemKey),
    Nothing,
}

/// A write transaction: every check against the state before it, every
/// failure reported, then all writes or none.
pub(super) fn transact(conn: &mut Conn, op: &TransactWrite<String>) -> Result<(), Error> {
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
            let sized = matches!(action, TxAction::Update(_));
            let stored = read_live(conn, key, action_checks(action), sized)?;
            let (reason, plan) = match action {
                TxAction::Put(p) => match failure(key, &p.checks, Some(p.decode), stored.as_ref())?
                {
                    Some((f, current)) => (f.into_reason(key, current), Planned::Nothing),
                    None => (
                        CancelReason::None,
                        Planned::Write {
                            key,
                            data: Cow::Borrowed(&p.item.data),
                            created_at: match &stored {
                                Some(s) => Cow::Owned(s.created_at.clone()),
                                None => Cow::Borrowed(&p.item.created_at),
                            },
                            updated_at: p.item.updated_at(),
                            size: p.item.size,
                            exists: stored.is_some(),
                        },
                    ),
                },
                TxAction::Update(u) => match plan_update(u, stored.as_ref())? {
                    Ok(up) => (
                        CancelReason::None,
                        Planned::Write {
                            key,
                            data: Cow::Owned(up.data),
                            created_at: Cow::Owned(up.created_at),
                            updated_at: &u.now,
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
                    None => (CancelReason::None, Planned::Remove(key)),
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
            let keys = op.actions.iter().map(|a| a.key().action_key()).collect();
            return Err(Error::TransactionCanceled(Box::new(TransactionCanceled {
                reasons,
                keys,
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
                    let stamps = limits::check::Stamps {
                        created_at: &created_at,
                        updated_at,
                    };
                    write_row(conn, key, &data, stamps, size, exists)?;
                }
                Planned::Remove(key) => remove(conn, key)?,
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
            Some(row) => Some(text(row, 0)?.to_owned()),
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

/// The checks of a transaction's action.
fn action_checks<I>(action: &TxAction<I>) -> &crate::ops::check::Checks {
    match action {
        TxAction::Put(p) => &p.checks,
        TxAction::Update(u) => &u.checks,
        TxAction::Delete(d) => &d.checks,
        TxAction::Check(c) => &c.checks,
    }
}

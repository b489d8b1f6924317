//! The change feed on SQLite ([`crate::feed`]): the outbox that triggers
//! fill in the transaction of every write, read in sequence order, with
//! DynamoDB Streams' retention.

use rusqlite::OptionalExtension;

use super::error::{sqlite_error, table_error};
use super::pool::Conn;
use super::write::immediate;
use super::SqliteBackend;
use crate::feed::{Before, ChangeKind, Origin, Position, RawChange};
use crate::layout::sqlite::{drop_feed, drop_feed_triggers, feed_script, read_feed};
use crate::ops::decode::{decode_str, Decoder, StoredKeys};
use crate::Error;

/// Makes `table`'s outbox and its triggers, or (`stream` false) stops
/// recording: a table that no longer declares a feed.
pub(super) fn create(conn: &mut Conn, table: &'static str, stream: bool) -> Result<(), Error> {
    let names = {
        let (_, sql) = conn.with_table(table)?;
        sql.all_names(table)
    };
    for on in names {
        let script = match stream {
            true => feed_script(table, &on),
            false => drop_feed_triggers(&on),
        };
        conn.db.execute_batch(&script).map_err(sqlite_error)?;
    }
    if !stream {
        return Ok(());
    }
    // An outbox made again after its table was dropped numbers on from
    // the dropped one's (a placeholder row holds the place, never read),
    // so that an old cursor meets the gap instead of new records.
    let pruned = pruned_through(conn, table)?;
    conn.db
        .prepare_cached(&format!(
            "INSERT INTO \"{table}#changes\" (seq, event, at, pk, sk) \
             SELECT ?1, 0, 0, '', '' WHERE ?1 > 0 \
             AND NOT EXISTS (SELECT 1 FROM \"{table}#changes\")"
        ))
        .and_then(|mut s| s.execute([pruned]))
        .map_err(sqlite_error)?;
    Ok(())
}

/// Drops `table`'s outbox, if it has one, remembering its last number as
/// lost (one past it): a reader of the dropped table's records gets
/// [`Error::FeedGap`], as on DynamoDB, whose new table has a new stream.
pub(super) fn drop(conn: &mut Conn, table: &'static str) -> Result<(), Error> {
    if outbox_exists(conn, table)? {
        let last = latest(conn, table)?;
        conn.db
            .execute_batch(&drop_feed(table))
            .map_err(sqlite_error)?;
        conn.db
            .prepare_cached(
                "INSERT INTO blue_schema_feeds (outbox, pruned_through) VALUES (?1, ?2) \
                 ON CONFLICT (outbox) DO UPDATE SET pruned_through = excluded.pruned_through",
            )
            .and_then(|mut s| s.execute((format!("{table}#changes"), last + 1)))
            .map_err(sqlite_error)?;
    }
    Ok(())
}

fn outbox_exists(conn: &Conn, table: &str) -> Result<bool, Error> {
    Ok(conn
        .db
        .prepare_cached("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1")
        .and_then(|mut s| {
            s.query_row([format!("{table}#changes")], |_| Ok(()))
                .optional()
        })
        .map_err(sqlite_error)?
        .is_some())
}

/// The sequence number of the newest record ever written to `table`'s
/// outbox (0 for none). Retention never deletes the newest row (it only
/// marks it removed), so SQLite's next rowid stays above every number
/// handed out, without the cost of `AUTOINCREMENT`.
fn latest(conn: &Conn, table: &'static str) -> Result<i64, Error> {
    let newest: i64 = conn
        .db
        .prepare_cached(&format!(
            "SELECT COALESCE(MAX(seq), 0) FROM \"{table}#changes\""
        ))
        .and_then(|mut s| s.query_row([], |row| row.get(0)))
        .map_err(table_error(table))?;
    Ok(newest.max(pruned_through(conn, table)?))
}

/// The last sequence number that retention removed from `table`'s outbox.
fn pruned_through(conn: &Conn, table: &'static str) -> Result<i64, Error> {
    conn.db
        .prepare_cached("SELECT pruned_through FROM blue_schema_feeds WHERE outbox = ?1")
        .and_then(|mut s| {
            s.query_row([format!("{table}#changes")], |row| row.get(0))
                .optional()
        })
        .map(Option::unwrap_or_default)
        .map_err(table_error(table))
}

/// Removes the records older than the retention: the longest run of
/// them from the oldest on (a record is never removed before an older
/// one, so a reader's cursor tells exactly whether it missed any).
fn prune(conn: &mut Conn, table: &'static str, retention_ms: u64) -> Result<(), Error> {
    let cutoff =
        i64::try_from(crate::feed::now_millis().saturating_sub(retention_ms)).unwrap_or(i64::MAX);
    let outbox = format!("\"{table}#changes\"");
    let pruned = pruned_through(conn, table)?;
    let oldest: Option<i64> = conn
        .db
        .prepare_cached(&format!(
            "SELECT at FROM {outbox} WHERE seq > ?1 ORDER BY seq LIMIT 1"
        ))
        .and_then(|mut s| s.query_row([pruned], |row| row.get(0)).optional())
        .map_err(table_error(table))?;
    if oldest.is_none_or(|at| at >= cutoff) {
        return Ok(());
    }
    immediate(conn, |conn| {
        let through: Option<i64> = conn
            .db
            .prepare_cached(&format!(
                "SELECT MAX(seq) FROM {outbox} WHERE seq < \
                 COALESCE((SELECT MIN(seq) FROM {outbox} WHERE at >= ?1), 9223372036854775807)"
            ))
            .and_then(|mut s| s.query_row([cutoff], |row| row.get(0)))
            .map_err(sqlite_error)?;
        let Some(through) = through else {
            return Ok(());
        };
        // The newest row stays (marked removed by `pruned_through`), so
        // that SQLite never hands its number out again.
        conn.db
            .prepare_cached(&format!(
                "DELETE FROM {outbox} WHERE seq <= ?1 AND seq < (SELECT MAX(seq) FROM {outbox})"
            ))
            .and_then(|mut s| s.execute([through]))
            .map_err(sqlite_error)?;
        conn.db
            .prepare_cached(
                "INSERT INTO blue_schema_feeds (outbox, pruned_through) VALUES (?1, ?2) \
                 ON CONFLICT (outbox) DO UPDATE SET pruned_through = \
                 max(pruned_through, excluded.pruned_through)",
            )
            .and_then(|mut s| s.execute((format!("{table}#changes"), through)))
            .map_err(sqlite_error)?;
        Ok(())
    })
}

/// Marks the records after `after` as the TTL sweep's: called in the
/// sweep's transaction, which holds the write lock, so they are its own.
pub(super) fn mark_ttl(conn: &mut Conn, table: &'static str, after: i64) -> Result<(), Error> {
    conn.db
        .prepare_cached(&format!(
            "UPDATE \"{table}#changes\" SET origin = 1 WHERE seq > ?1"
        ))
        .and_then(|mut s| s.execute([after]))
        .map_err(sqlite_error)?;
    Ok(())
}

/// The newest sequence number, for a sweep to mark what follows it.
pub(super) fn sequence(conn: &Conn, table: &'static str) -> Result<i64, Error> {
    latest(conn, table)
}

/// Up to `limit` records of `table`'s outbox.
pub(crate) struct Read<T> {
    pub(crate) changes: Vec<RawChange<T>>,
    /// The sequence number the next read starts after.
    pub(crate) after: i64,
}

fn read<D: Decoder>(
    conn: &mut Conn,
    table: &'static str,
    after: Option<i64>,
    limit: usize,
    retention_ms: u64,
) -> Result<Read<D::Output>, Error> {
    if !outbox_exists(conn, table)? {
        return Err(no_outbox(table));
    }
    prune(conn, table, retention_ms)?;
    let pruned = pruned_through(conn, table)?;
    let after = match after {
        Some(after) if after < pruned => {
            return Err(Error::FeedGap {
                table: table.to_owned(),
                detail: format!(
                    "records {} to {pruned} are older than the retention and gone",
                    after + 1
                ),
            })
        }
        Some(after) => after.max(pruned),
        None => pruned,
    };
    let mut stmt = conn
        .db
        .prepare_cached(&read_feed(table))
        .map_err(table_error(table))?;
    let mut rows = stmt
        .query((after, i64::try_from(limit).unwrap_or(i64::MAX)))
        .map_err(sqlite_error)?;
    let mut changes = Vec::new();
    let mut last = after;
    while let Some(row) = rows.next().map_err(sqlite_error)? {
        let get = |i: usize| row.get_ref(i).map_err(sqlite_error);
        let seq: i64 = row.get(0).map_err(sqlite_error)?;
        let kind = match get(1)?.as_i64().unwrap_or_default() {
            1 => ChangeKind::Insert,
            2 => ChangeKind::Modify,
            _ => ChangeKind::Remove,
        };
        let origin = if get(2)?.as_i64().unwrap_or_default() == 1 {
            Origin::Ttl
        } else if migrated(
            get(9)?.as_str_or_null().ok().flatten(),
            get(11)?.as_str_or_null().ok().flatten(),
        ) {
            Origin::Migration
        } else {
            Origin::Application
        };
        let at: i64 = row.get(3).map_err(sqlite_error)?;
        let partition_key: String = row.get(4).map_err(sqlite_error)?;
        let sort_key: String = row.get(5).map_err(sqlite_error)?;
        if sort_key == crate::schema::unique::MARKER_SORT_KEY {
            // A unique value's marker is the library's, not a change of
            // the application's items.
            last = seq;
            continue;
        }
        let image = |first: usize| -> Result<Option<D::Output>, Error> {
            let data: Option<String> = row.get(first).map_err(sqlite_error)?;
            let Some(data) = data else { return Ok(None) };
            let created_at: String = row.get(first + 1).map_err(sqlite_error)?;
            let updated_at: String = row.get(first + 2).map_err(sqlite_error)?;
            let keys = StoredKeys {
                table,
                partition_key: &partition_key,
                sort_key: &sort_key,
                created_at: &created_at,
                updated_at: &updated_at,
            };
            decode_str::<D>(keys, &data).map(Some)
        };
        let old = image(6)?;
        let new = image(9)?;
        changes.push(RawChange {
            kind,
            origin,
            old,
            new,
            at_millis: u64::try_from(at).unwrap_or_default(),
            position: Position {
                shard: None,
                sequence: seq.to_string(),
            },
            before: Before::Outbox(last),
            partition_key,
            sort_key,
        });
        last = seq;
    }
    Ok(Read {
        changes,
        after: last,
    })
}

fn no_outbox(table: &'static str) -> Error {
    Error::TableMismatch {
        table: table.to_owned(),
        found: "it has no change-feed outbox: run `create_table` with the table's \
                `#[table(stream)]` declaration"
            .to_owned(),
    }
}

impl SqliteBackend {
    /// The sequence number of the newest record of `table`'s outbox.
    pub(crate) async fn feed_latest(&self, table: &'static str) -> Result<i64, Error> {
        crate::backend::engine::check_table_name(table)?;
        self.run(move |conn| {
            if !outbox_exists(conn, table)? {
                return Err(no_outbox(table));
            }
            latest(conn, table)
        })
        .await
    }

    /// Up to `limit` records of `table`'s outbox after `after` (`None`:
    /// from the oldest retained), and where the next read starts.
    pub(crate) async fn read_feed<D: Decoder>(
        &self,
        table: &'static str,
        after: Option<i64>,
        limit: usize,
    ) -> Result<Read<D::Output>, Error> {
        crate::backend::engine::check_table_name(table)?;
        let retention = self.inner.pool.config().feed_retention;
        let retention_ms = u64::try_from(retention.as_millis()).unwrap_or(u64::MAX);
        self.run(move |conn| read::<D>(conn, table, after, limit, retention_ms))
            .await
    }
}

/// Whether a record's new image, `data` written at `updated_at`, is a
/// backfill's ([`crate::feed::is_migration`]). Most items carry no mark,
/// and a text search finds so without parsing them.
fn migrated(data: Option<&str>, updated_at: Option<&str>) -> bool {
    let Some(data) = data else { return false };
    let name = crate::schema::shape::BACKFILL_ATTRIBUTE;
    debug_assert_eq!(name, "_backfill");
    if !data.contains("\"_backfill\"") {
        return false;
    }
    let mark = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(data)
        .ok()
        .and_then(|mut item| match item.remove(name) {
            Some(serde_json::Value::String(mark)) => Some(mark),
            _ => None,
        });
    crate::feed::is_migration(mark.as_deref(), updated_at)
}

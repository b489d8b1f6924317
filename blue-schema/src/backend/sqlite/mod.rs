//! The embedded SQLite backend (feature `sqlite`, on by default).
//!
//! One SQLite table per domain table, as ADR 0018 gives it, plus two
//! bookkeeping columns:
//!
//! ```sql
//! CREATE TABLE IF NOT EXISTS "blue_dialogue" (
//!   pk TEXT NOT NULL,
//!   sk TEXT NOT NULL,
//!   data JSON NOT NULL,
//!   created_at TEXT NOT NULL,
//!   size INTEGER NOT NULL,
//!   updated_at TEXT NOT NULL,
//!   PRIMARY KEY (pk, sk)
//! ) WITHOUT ROWID
//! ```
//!
//! * `data` is the entity's serde JSON (`select pk, sk, data from
//!   blue_dialogue` shows readable rows);
//! * `created_at` is RFC 3339 UTC with milliseconds, set when the item is
//!   first written and kept when it is replaced;
//! * `updated_at` is the time of the item's last write, in the same format
//!   (`''` for rows written before the library kept it: they read as their
//!   `created_at`; `create_table` adds the column to such a table);
//! * `size` is the item's size as DynamoDB computes it. It lets a query page
//!   stop after 1 MB of data exactly where DynamoDB's would, without parsing
//!   every row's JSON.
//!
//! Files are opened in WAL mode with `synchronous = NORMAL` (a commit is
//! durable once the WAL is checkpointed; an application crash loses nothing,
//! a power cut may lose the last commits) and a busy timeout (5 s unless
//! configured), so concurrent writers wait for each other instead of failing.
//! Every statement is parameterised, prepared once per connection, and reads
//! by primary-key search; the test suite checks each one with
//! `EXPLAIN QUERY PLAN`.
//!
//! **Where the work runs.** Each operation runs on one of the backend's
//! worker threads (one per connection, at most
//! [`SqliteConfig::max_connections`]), never on the thread that polls the
//! store's future, so neither a statement nor a wait for another writer's
//! lock blocks an async executor. Inside [`block_on`](crate::block_on) and
//! the [`blocking`](crate::blocking) API the work runs on the calling
//! thread instead. An operation starts when its future is first polled; a
//! future dropped before a worker picks its operation up cancels it, and
//! an operation that has started runs to its end: a `put_all` is one
//! transaction, all or nothing.

mod capacity;
mod config;
mod pool;
mod write;

use std::fmt;
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::Arc;

use rusqlite::{ErrorCode, OptionalExtension, TransactionBehavior};
use serde::Serialize;

pub use config::{SqliteConfig, DEFAULT_BUSY_TIMEOUT, DEFAULT_MAX_CONNECTIONS};
/// The `rusqlite` this backend is built on, for [`SqliteConfig::on_connect`].
pub use rusqlite;

use self::pool::{Conn, Pool, Workers};
use super::mapping::sqlite::{
    add_index, add_updated_at, bounds, create_index, create_table, COLUMNS,
};
use super::{Backend, Engine, RawItem, ScanOf};
use crate::capacity::{read_units, Consumed, Meter, Usage};
use crate::error::ItemError;
use crate::limits::MAX_PAGE_BYTES;
use crate::ops::{
    CreateTable, Decoder, Delete, Get, GetMany, ItemKey, PageOf, Put, PutBatch, QueryPage,
    ScanPage, StoredKeys, TransactWrite, UpdateOp,
};
use crate::query::{Explain, Position};
use crate::write::AnyItem;
use crate::{exec, Error};

pub(crate) const NAME: &str = "sqlite";

/// The SQLite backend: a database file or an in-memory database. Cheap to
/// clone (clones share the connections); wrap it in a
/// [`Store`](crate::Store).
#[derive(Clone)]
pub struct SqliteBackend {
    inner: Arc<Inner>,
    /// The capacity units of a metered store's operations.
    meter: Option<Arc<Meter>>,
}

struct Inner {
    pool: Pool,
    workers: Workers,
    /// The tables `create_table` saw, for the projections of their indexes.
    tables: capacity::Tables,
}

impl fmt::Debug for SqliteBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteBackend")
            .field("config", self.inner.pool.config())
            .finish_non_exhaustive()
    }
}

impl Backend for SqliteBackend {
    fn name(&self) -> &'static str {
        NAME
    }
}

impl SqliteBackend {
    fn new(config: SqliteConfig, first: Conn) -> SqliteBackend {
        let workers = Workers::new(config.max_connections.get());
        SqliteBackend {
            inner: Arc::new(Inner {
                pool: Pool::new(config, first),
                workers,
                tables: capacity::Tables::default(),
            }),
            meter: None,
        }
    }

    /// The same database, with a fresh meter of capacity units.
    pub(crate) fn metered(&self) -> SqliteBackend {
        SqliteBackend {
            inner: self.inner.clone(),
            meter: Some(Arc::default()),
        }
    }

    pub(crate) fn meter(&self) -> Option<&Meter> {
        self.meter.as_deref()
    }

    /// Whether operations compute what they would consume on DynamoDB: for
    /// a metered store, or an operation whose tracing span is recorded.
    fn metering(&self) -> bool {
        self.meter.is_some() || crate::trace::wanted()
    }

    /// Adds an operation's usage to the meter and its span.
    fn account(&self, usage: Usage) {
        if let Some(meter) = &self.meter {
            meter.add(usage.consumed);
        }
        crate::trace::record(&usage);
    }

    /// Runs a write of the items `keys` and, when metering, computes its
    /// units from their images before and after; the `bool` with a key says
    /// that it is only checked (a transaction's condition check).
    /// `read_first` charges the consistent batch read of the keys that
    /// DynamoDB's `put_all` sends first (for the `created_at` it keeps).
    async fn write<T, F>(
        &self,
        keys: Vec<(ItemKey, bool)>,
        transactional: bool,
        requests: u64,
        read_first: bool,
        work: F,
    ) -> Result<T, Error>
    where
        F: FnOnce(&mut Conn) -> Result<T, Error> + Send + 'static,
        T: Send + 'static,
    {
        if !self.metering() {
            return self.run(work).await;
        }
        let inner = self.inner.clone();
        let (result, usage) = self
            .run(move |conn| {
                // One transaction for the images and the write, so that no
                // other writer comes between them; a failed write rolls it
                // back (and consumed nothing, as DynamoDB reports).
                let metered = write::immediate(conn, |conn| {
                    let before = keys
                        .iter()
                        .map(|(key, _)| capacity::image(conn, key))
                        .collect::<Result<Vec<_>, _>>()?;
                    let value = work(conn)?;
                    let mut usage = Usage {
                        requests,
                        ..Usage::default()
                    };
                    if read_first {
                        usage.requests += keys.len().div_ceil(crate::store::BATCH_GET_CHUNK) as u64;
                        for old in &before {
                            usage.consumed.read +=
                                read_units(old.as_ref().map_or(0, |i| i.size()), true);
                        }
                    }
                    for ((key, check), old) in keys.iter().zip(&before) {
                        let old_size = old.as_ref().map_or(0, |i| i.size());
                        if *check {
                            usage.consumed.write += 2.0 * crate::capacity::write_units(old_size);
                            continue;
                        }
                        let new = capacity::image(conn, key)?;
                        usage.items += 1;
                        usage.consumed.write += capacity::write_units(
                            &inner.tables,
                            key,
                            old.as_ref(),
                            new.as_ref(),
                            transactional,
                        );
                    }
                    Ok((value, usage))
                });
                Ok(match metered {
                    Ok((value, usage)) => (Ok(value), usage),
                    Err(e) => (
                        Err(e),
                        Usage {
                            requests,
                            ..Usage::default()
                        },
                    ),
                })
            })
            .await?;
        self.account(usage);
        result
    }

    /// Opens (creating if needed) a database file with the default settings,
    /// on the calling thread.
    ///
    /// # Errors
    ///
    /// [`Error::Backend`] when SQLite cannot open the file.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, Error> {
        SqliteConfig::file(path).open()
    }

    /// A private in-memory database.
    ///
    /// # Errors
    ///
    /// [`Error::Backend`] if SQLite cannot allocate it.
    pub fn memory() -> Result<Self, Error> {
        SqliteConfig::memory().open()
    }

    /// Runs `work` on a connection: on a worker thread, or on this thread
    /// inside [`block_on`](crate::block_on). Lazy, and cancelled when dropped
    /// before a worker starts it.
    async fn run<T, F>(&self, work: F) -> Result<T, Error>
    where
        F: FnOnce(&mut Conn) -> Result<T, Error> + Send + 'static,
        T: Send + 'static,
    {
        if exec::may_block() {
            return self.inner.pool.with_conn(work);
        }
        let (tx, rx) = exec::oneshot();
        let inner = self.inner.clone();
        self.inner.workers.submit(Box::new(move || {
            if tx.is_canceled() {
                return;
            }
            // A panic in the work (in an entity's `Deserialize`, say) goes
            // back to the caller, as it would have on the caller's thread.
            let result = std::panic::catch_unwind(AssertUnwindSafe(|| inner.pool.with_conn(work)));
            tx.send(result);
        }));
        match rx.await {
            Some(Ok(result)) => result,
            Some(Err(panic)) => std::panic::resume_unwind(panic),
            None => Err(Error::backend(
                NAME,
                "the worker thread stopped before it finished the operation",
            )),
        }
    }
}

/// The store's error for a failed SQLite call: [`Error::Busy`] for a lock
/// held past the busy timeout, [`Error::Backend`] for anything else.
pub(super) fn sqlite_error(e: rusqlite::Error) -> Error {
    let busy = matches!(
        &e,
        rusqlite::Error::SqliteFailure(f, _)
            if matches!(f.code, ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
    );
    if busy {
        Error::Busy {
            backend: NAME,
            source: Box::new(e),
        }
    } else {
        Error::Backend {
            backend: NAME,
            source: Box::new(e),
        }
    }
}

/// Maps SQLite's "no such table" to [`Error::TableNotFound`].
fn table_error(table: &'static str) -> impl Fn(rusqlite::Error) -> Error {
    move |e| match &e {
        rusqlite::Error::SqliteFailure(f, Some(message))
            if f.code == ErrorCode::Unknown && message.starts_with("no such table") =>
        {
            Error::TableNotFound {
                table: table.to_owned(),
            }
        }
        _ => sqlite_error(e),
    }
}

/// Decodes one item from its JSON, which must hold nothing after it.
fn decode_json<D: Decoder>(keys: StoredKeys<'_>, text: &str) -> Result<D::Output, Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value = D::decode(keys, &mut de)?;
    de.end().map_err(|e| keys.decode_error(e))?;
    Ok(value)
}

/// Decodes the row of one item read by its key: `data`, then `created_at`
/// and `updated_at` when `with_stamps` (the statement selected them).
fn decode_row<D: Decoder>(
    key: &ItemKey,
    row: &rusqlite::Row<'_>,
    with_stamps: bool,
) -> Result<D::Output, Error> {
    let (created_at, updated_at) = if with_stamps {
        (text(row, 1)?, text(row, 2)?)
    } else {
        ("", "")
    };
    let keys = StoredKeys {
        table: key.table,
        partition_key: &key.partition_key,
        sort_key: &key.sort_key,
        created_at,
        updated_at,
    };
    decode_json::<D>(keys, &data(row, 0)?)
}

/// As [`decode_json`], or `None` for an item `D` does not know.
fn decode_known_json<D: Decoder>(
    keys: StoredKeys<'_>,
    text: &str,
) -> Result<Option<D::Output>, Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value = D::decode_known(keys, &mut de)?;
    if value.is_some() {
        de.end().map_err(|e| keys.decode_error(e))?;
    }
    Ok(value)
}

/// An item as an SQLite table scan reads it.
pub(crate) struct Row {
    data: String,
    size: usize,
}

impl Engine for SqliteBackend {
    type Item = String;
    type Raw = Row;

    const NAME: &'static str = NAME;

    fn encode<T: Serialize + ?Sized>(item: &T) -> Result<String, ItemError> {
        serde_json::to_string(item).map_err(|e| ItemError::Encode(Box::new(e)))
    }

    fn raw_to_json(raw: &Row, keys: StoredKeys<'_>) -> Result<serde_json::Value, Error> {
        serde_json::from_str(&raw.data).map_err(|e| keys.decode_error(e))
    }

    fn raw_to_item(raw: Row, _keys: StoredKeys<'_>) -> Result<(String, usize), Error> {
        Ok((raw.data, raw.size))
    }

    async fn create_table_op(&self, op: CreateTable) -> Result<bool, Error> {
        let table = op.table.name;
        let slots = op.table.indexes;
        super::check_table_name(table)?;
        self.inner.tables.register(op.table);
        self.run(move |conn| {
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
            if let Some(existing) = existing.filter(|name| name != table) {
                return Err(Error::TableMismatch {
                    table: table.to_owned(),
                    found: format!(
                        "SQLite already holds table {existing:?}, the same name but for case, which \
                         it does not tell apart (DynamoDB would); rename one of the tables"
                    ),
                });
            }
            conn.db
                .execute_batch(&create_table(table, slots))
                .map_err(sqlite_error)?;
            // An existing table of another shape (the ADR's table without
            // `size`, say) would fail later with a less helpful message.
            let (db, statements) = conn.with_statements(table)?;
            let mut stmt = db
                .prepare_cached(&statements.columns)
                .map_err(sqlite_error)?;
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
            for slot in slots {
                if has(slot.pk_column) {
                    db.execute_batch(&create_index(table, slot))
                        .map_err(sqlite_error)?;
                    continue;
                }
                let tx = db.unchecked_transaction().map_err(sqlite_error)?;
                for statement in add_index(table, slot) {
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
            Ok(added)
        })
        .await
    }

    async fn get_op<D: Decoder>(&self, op: Get) -> Result<Option<D::Output>, Error> {
        let metering = self.metering();
        let consistent = op.consistent;
        let (found, size) = self
            .run(move |conn| {
                let found = get_row::<D>(conn, &op.key)?;
                let size = if metering {
                    capacity::image(conn, &op.key)?.map_or(0, |i| i.size())
                } else {
                    0
                };
                Ok((found, size))
            })
            .await?;
        if metering {
            self.account(Usage {
                requests: 1,
                items: u64::from(found.is_some()),
                consumed: Consumed::read(read_units(size, consistent)),
            });
        }
        Ok(found)
    }

    async fn put_op(&self, op: Box<Put<String>>) -> Result<(), Error> {
        if self.metering() {
            let keys = vec![(op.item.key.clone(), false)];
            return Box::pin(self.write(keys, false, 1, false, move |conn| {
                if op.is_conditional() {
                    write::put(conn, &op)
                } else {
                    put_row(conn, &op)
                }
            }))
            .await;
        }
        if op.is_conditional() {
            // Boxed: the future of an unconditional put stays small.
            return Box::pin(self.run(move |conn| write::put(conn, &op))).await;
        }
        self.run(move |conn| put_row(conn, &op)).await
    }

    async fn put_batch_op(&self, op: PutBatch<String>) -> Result<(), Error> {
        let keys = op.items.iter().map(|i| (i.key.clone(), false)).collect();
        let requests = op
            .items
            .len()
            .div_ceil(crate::limits::MAX_BATCH_WRITE_ITEMS) as u64;
        let read_first = !op.keep_stamps;
        self.write(keys, false, requests, read_first, move |conn| {
            put_rows(conn, &op)
        })
        .await
    }

    async fn update_op(&self, op: UpdateOp) -> Result<Option<AnyItem>, Error> {
        let keys = vec![(op.key.clone(), false)];
        self.write(keys, false, 1, false, move |conn| write::update(conn, &op))
            .await
    }

    async fn transact_write_op(&self, op: TransactWrite<serde_json::Value>) -> Result<(), Error> {
        let keys = op
            .actions
            .iter()
            .map(|a| (a.key().clone(), matches!(a, crate::ops::TxAction::Check(_))))
            .collect();
        self.write(keys, true, 1, false, move |conn| write::transact(conn, &op))
            .await
    }

    async fn get_many_op(&self, op: GetMany) -> Result<Vec<Option<AnyItem>>, Error> {
        if !self.metering() {
            return self.run(move |conn| write::get_many(conn, &op)).await;
        }
        let transactional = op.transactional;
        let requests = if transactional {
            1
        } else {
            op.keys.len().div_ceil(crate::store::BATCH_GET_CHUNK) as u64
        };
        let (found, units) = self
            .run(move |conn| {
                let found = write::get_many(conn, &op)?;
                let mut units = 0.0;
                for key in &op.keys {
                    let size = capacity::image(conn, key)?.map_or(0, |i| i.size());
                    units += read_units(size, true);
                }
                Ok((found, units))
            })
            .await?;
        let factor = if transactional { 2.0 } else { 1.0 };
        self.account(Usage {
            requests,
            items: found.iter().filter(|i| i.is_some()).count() as u64,
            consumed: Consumed::read(factor * units),
        });
        Ok(found)
    }

    async fn delete_op<D: Decoder>(&self, op: Delete) -> Result<Option<D::Output>, Error> {
        if self.metering() {
            let keys = vec![(op.key.clone(), false)];
            return Box::pin(self.write(keys, false, 1, false, move |conn| {
                delete_row::<D>(conn, &op)
            }))
            .await;
        }
        self.run(move |conn| delete_row::<D>(conn, &op)).await
    }

    async fn query_op<D: Decoder>(&self, op: QueryPage) -> Result<PageOf<D::Output>, Error> {
        let consistent = op.spec.consistent && op.spec.index.is_none();
        let page = self
            .run(move |conn| {
                if op.spec.index.is_some() {
                    return index_page::<D>(conn, &op);
                }
                let spec = &op.spec;
                let table = spec.table;
                let (low, high) = bounds(
                    spec.sort_key.as_ref(),
                    op.start.as_ref().map(|p| p.sort_key.as_str()),
                    spec.order,
                );
                let (db, statements) = conn.with_statements(table)?;
                let mut stmt = db
                    .prepare_cached(statements.query(spec.order, D::WITH_STAMPS))
                    .map_err(table_error(table))?;
                let mut rows = stmt
                    .query((
                        spec.partition_key.as_str(),
                        TextBytes(&low),
                        TextBytes(&high),
                    ))
                    .map_err(sqlite_error)?;
                let mut page = PageRows::new(op.limit);
                while let Some(row) = rows.next().map_err(sqlite_error)? {
                    let size = size(row, 2, table, &spec.partition_key, 0)?;
                    if !page.admits(size) {
                        return Ok(page.ended());
                    }
                    let sort_key = text(row, 0)?;
                    let (created_at, updated_at) = if D::WITH_STAMPS {
                        (text(row, 3)?, text(row, 4)?)
                    } else {
                        ("", "")
                    };
                    let keys = StoredKeys {
                        table,
                        partition_key: &spec.partition_key,
                        sort_key,
                        created_at,
                        updated_at,
                    };
                    let evaluated = evaluate::<D>(keys, &data(row, 1)?, spec.filter.as_ref())?;
                    if page.took(evaluated, sort_key) {
                        return Ok(page.ended());
                    }
                }
                Ok(page.finished())
            })
            .await?;
        if self.metering() {
            self.account(Usage {
                requests: 1,
                items: (page.items.len() + page.unknown) as u64,
                consumed: Consumed::read(read_units(page.read_bytes, consistent)),
            });
        }
        Ok(page)
    }

    async fn scan_op(&self, op: ScanPage) -> Result<ScanOf<Row>, Error> {
        let page = self
            .run(move |conn| {
                let table = op.table;
                let (after_pk, after_sk) = op
                    .resume_after
                    .as_ref()
                    .map_or(("", ""), |(pk, sk)| (pk.as_str(), sk.as_str()));
                let (db, statements) = conn.with_statements(table)?;
                let mut stmt = db
                    .prepare_cached(&statements.scan)
                    .map_err(table_error(table))?;
                let mut rows = stmt.query((after_pk, after_sk)).map_err(sqlite_error)?;
                let mut page = PageBudget::new(op.limit.map(|l| l as usize));
                let mut items: Vec<RawItem<Row>> = Vec::new();
                while let Some(row) = rows.next().map_err(sqlite_error)? {
                    let size = size(row, 3, table, text(row, 0)?, 1)?;
                    if !page.admits(size) {
                        let next = items
                            .last()
                            .map(|i| (i.partition_key.clone(), i.sort_key.clone()));
                        return Ok(ScanOf { items, next });
                    }
                    items.push(RawItem {
                        partition_key: text(row, 0)?.to_owned(),
                        sort_key: text(row, 1)?.to_owned(),
                        created_at: text(row, 4)?.to_owned(),
                        updated_at: text(row, 5)?.to_owned(),
                        data: Row {
                            data: data(row, 2)?.into_owned(),
                            size: usize::try_from(size).unwrap_or(0),
                        },
                    });
                    if page.is_full() {
                        let next = items
                            .last()
                            .map(|i| (i.partition_key.clone(), i.sort_key.clone()));
                        return Ok(ScanOf { items, next });
                    }
                }
                Ok(ScanOf { items, next: None })
            })
            .await?;
        if self.metering() {
            let bytes = page.items.iter().map(|i| i.data.size).sum();
            self.account(Usage {
                requests: 1,
                items: page.items.len() as u64,
                consumed: Consumed::read(read_units(bytes, true)),
            });
        }
        Ok(page)
    }

    fn explain(&self, op: &QueryPage) -> Explain {
        Explain::new(&op.spec, op.spec.table, op.start.as_ref(), op.limit)
    }
}

/// Runs the statement `sql` picks of `key`'s table with the key as its
/// parameters, and maps the row it finds.
pub(super) fn row_of_key<T>(
    conn: &mut Conn,
    key: &ItemKey,
    sql: fn(&super::mapping::sqlite::Statements) -> &str,
    map: impl FnOnce(&rusqlite::Row<'_>) -> Result<T, Error>,
) -> Result<Option<T>, Error> {
    let (db, statements) = conn.with_statements(key.table)?;
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

/// Reads one item by key.
fn get_row<D: Decoder>(conn: &mut Conn, key: &ItemKey) -> Result<Option<D::Output>, Error> {
    row_of_key(
        conn,
        key,
        |s| &s.get,
        |row| decode_row::<D>(key, row, D::WITH_STAMPS),
    )
}

/// An unconditional put (or a `create`): one statement.
fn put_row(conn: &mut Conn, op: &Put<String>) -> Result<(), Error> {
    let item = &op.item;
    let key = &item.key;
    let (db, statements) = conn.with_statements(key.table)?;
    let sql = if op.if_not_exists {
        &statements.insert_new
    } else {
        &statements.upsert
    };
    let mut stmt = db.prepare_cached(sql).map_err(table_error(key.table))?;
    let written = stmt
        .execute((
            &key.partition_key,
            &key.sort_key,
            &item.data,
            &item.created_at,
            item.size as i64,
            &item.updated_at,
        ))
        .map_err(sqlite_error)?;
    if written == 0 {
        return Err(Error::AlreadyExists {
            table: key.table,
            partition_key: key.partition_key.clone(),
            sort_key: key.sort_key.clone(),
        });
    }
    Ok(())
}

/// A batch of puts, in one transaction.
fn put_rows(conn: &mut Conn, op: &PutBatch<String>) -> Result<(), Error> {
    let table = op.table;
    let (db, statements) = conn.with_statements(table)?;
    let upsert = if op.keep_stamps {
        &statements.upsert_with_stamps
    } else {
        &statements.upsert
    };
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
    {
        let mut stmt = db.prepare_cached(upsert).map_err(table_error(table))?;
        for item in &op.items {
            stmt.execute((
                &item.key.partition_key,
                &item.key.sort_key,
                &item.data,
                &item.created_at,
                item.size as i64,
                &item.updated_at,
            ))
            .map_err(sqlite_error)?;
        }
    }
    // Dropping an uncommitted transaction rolls it back: an error
    // above leaves nothing written.
    match tx {
        Some(tx) => tx.commit().map_err(sqlite_error),
        None => Ok(()),
    }
}

/// A delete, conditional or not; the old item when asked.
fn delete_row<D: Decoder>(conn: &mut Conn, op: &Delete) -> Result<Option<D::Output>, Error> {
    let key = &op.key;
    if !op.checks.is_empty() {
        return match write::delete(conn, op)? {
            Some(stored) if op.return_old => {
                let keys = StoredKeys {
                    table: key.table,
                    partition_key: &key.partition_key,
                    sort_key: &key.sort_key,
                    created_at: &stored.created_at,
                    updated_at: &stored.updated_at,
                };
                decode_json::<D>(keys, &stored.data).map(Some)
            }
            _ => Ok(None),
        };
    }
    let (db, statements) = conn.with_statements(key.table)?;
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

/// What a query did with one row it evaluated.
enum Evaluated<T> {
    Item(T),
    /// An item the reader does not recognise (counted, skipped).
    Unknown,
    /// An item the query's filter leaves out.
    FilteredOut,
}

/// Decodes a row a query evaluated, after its filter if it has one (which
/// reads the item as JSON once, for both).
fn evaluate<D: Decoder>(
    keys: StoredKeys<'_>,
    text: &str,
    filter: Option<&crate::write::Cond>,
) -> Result<Evaluated<D::Output>, Error> {
    let found = match filter {
        None => decode_known_json::<D>(keys, text)?,
        Some(filter) => {
            let value: serde_json::Value =
                serde_json::from_str(text).map_err(|e| keys.decode_error(e))?;
            let serde_json::Value::Object(map) = &value else {
                return Err(keys.decode_error("the item is not a JSON object"));
            };
            if !filter.eval(Some(map)) {
                return Ok(Evaluated::FilteredOut);
            }
            D::decode_known(keys, value)?
        }
    };
    Ok(found.map_or(Evaluated::Unknown, Evaluated::Item))
}

/// A page of a secondary-index query: the same rules as a table query's,
/// on the index's keys, with the 1 MB cut on the size of the index's
/// entries.
fn index_page<D: Decoder>(conn: &mut Conn, op: &QueryPage) -> Result<PageOf<D::Output>, Error> {
    let spec = &op.spec;
    let table = spec.table;
    let index = spec.index.expect("an index query");
    let (low, high) = bounds(
        spec.sort_key.as_ref(),
        op.start.as_ref().map(|p| p.sort_key.as_str()),
        spec.order,
    );
    let sql = crate::backend::mapping::sqlite::index_query(
        table,
        &index.slot,
        spec.order,
        D::WITH_STAMPS,
    );
    let (db, _) = conn.with_statements(table)?;
    let mut stmt = db.prepare_cached(&sql).map_err(|e| match e {
        rusqlite::Error::SqliteFailure(_, Some(ref message))
        | rusqlite::Error::SqlInputError {
            msg: ref message, ..
        } if message.starts_with("no such column") => Error::TableMismatch {
            table: table.to_owned(),
            found: format!(
                "it has no index {} yet: run `store.create_table::<T>()` to add it",
                index.slot.name
            ),
        },
        e => table_error(table)(e),
    })?;
    let mut rows = stmt
        .query((
            spec.partition_key.as_str(),
            TextBytes(&low),
            TextBytes(&high),
        ))
        .map_err(sqlite_error)?;
    let mut page = PageRows::new(op.limit);
    let keys_only = index.projection == crate::schema::Projection::KeysOnly;
    while let Some(row) = rows.next().map_err(sqlite_error)? {
        let index_sort_key = text(row, 0)?;
        // The table key ends the index sort key: read when the
        // decoder or the entry's size needs it, else only named in
        // an error.
        let table_key = || {
            crate::key::table_key_of_index_sort_key(index_sort_key).ok_or_else(|| Error::Decode {
                table,
                partition_key: String::new(),
                sort_key: String::new(),
                source: format!(
                    "the index sort key {index_sort_key:?} does not end with a table key"
                )
                .into(),
            })
        };
        let (partition_key, sort_key) = if D::WITH_KEYS || keys_only {
            table_key()?
        } else {
            (String::new(), String::new())
        };
        // The index entry's size: the whole item, or its four keys.
        let entry = if keys_only {
            let key = |name: &str, value: &str| (name.len() + value.len()) as i64;
            key(crate::backend::mapping::PARTITION_KEY, &partition_key)
                + key(crate::backend::mapping::SORT_KEY, &sort_key)
                + key(index.slot.pk_attribute, &spec.partition_key)
                + key(index.slot.sk_attribute, index_sort_key)
        } else {
            size(row, 2, table, &spec.partition_key, 0)?
        };
        if !page.admits(entry) {
            return Ok(page.ended());
        }
        let (created_at, updated_at) = if D::WITH_STAMPS {
            (text(row, 3)?, text(row, 4)?)
        } else {
            ("", "")
        };
        let keys = StoredKeys {
            table,
            partition_key: &partition_key,
            sort_key: &sort_key,
            created_at,
            updated_at,
        };
        let evaluated =
            evaluate::<D>(keys, &data(row, 1)?, spec.filter.as_ref()).map_err(|e| match e {
                // Name the item in the error, as every read does.
                Error::Decode { source, .. } if !D::WITH_KEYS && !keys_only => match table_key() {
                    Ok((partition_key, sort_key)) => Error::Decode {
                        table,
                        partition_key,
                        sort_key,
                        source,
                    },
                    Err(e) => e,
                },
                e => e,
            })?;
        if page.took(evaluated, index_sort_key) {
            return Ok(page.ended());
        }
    }
    Ok(page.finished())
}

/// A query page being filled, row by row: DynamoDB's budget (items
/// evaluated, 1 MB), what the rows gave, and the key of the last row
/// evaluated, where the next page starts.
struct PageRows<T> {
    budget: PageBudget,
    items: Vec<T>,
    unknown: usize,
    /// A reused buffer.
    last: String,
}

impl<T> PageRows<T> {
    fn new(limit: Option<u32>) -> Self {
        PageRows {
            budget: PageBudget::new(limit.map(|n| n as usize)),
            items: Vec::new(),
            unknown: 0,
            last: String::new(),
        }
    }

    /// Whether a row of `size` bytes fits; if not, the 1 MB rule ends the
    /// page before it.
    fn admits(&mut self, size: i64) -> bool {
        self.budget.admits(size)
    }

    /// Counts what the row at `key` gave; whether the page is now full (as
    /// DynamoDB's `Limit`: a full page has a cursor, whether or not more
    /// items follow).
    fn took(&mut self, evaluated: Evaluated<T>, key: &str) -> bool {
        match evaluated {
            Evaluated::Item(item) => self.items.push(item),
            Evaluated::Unknown => self.unknown += 1,
            Evaluated::FilteredOut => {}
        }
        self.last.clear();
        self.last.push_str(key);
        self.budget.is_full()
    }

    /// The page, ended before the rows that follow: it has a cursor.
    fn ended(&mut self) -> PageOf<T> {
        PageOf {
            items: std::mem::take(&mut self.items),
            unknown: self.unknown,
            next: Some(Position::after(std::mem::take(&mut self.last))),
            read_bytes: self.budget.bytes,
        }
    }

    /// The page, after the last row of the query.
    fn finished(self) -> PageOf<T> {
        PageOf {
            items: self.items,
            unknown: self.unknown,
            next: None,
            read_bytes: self.budget.bytes,
        }
    }
}

/// How much of a page is used: items and bytes.
struct PageBudget {
    limit: Option<usize>,
    count: usize,
    bytes: usize,
}

impl PageBudget {
    fn new(limit: Option<usize>) -> PageBudget {
        PageBudget {
            limit,
            count: 0,
            bytes: 0,
        }
    }

    /// Takes an item of `size` bytes into the page, or says it would take
    /// the page past 1 MB (as on DynamoDB, a page always holds its first
    /// item).
    fn admits(&mut self, size: i64) -> bool {
        let size = usize::try_from(size).unwrap_or(0);
        if self.count > 0 && self.bytes + size > MAX_PAGE_BYTES {
            return false;
        }
        self.count += 1;
        self.bytes += size;
        true
    }

    /// Whether the page holds as many items as its limit.
    fn is_full(&self) -> bool {
        Some(self.count) == self.limit
    }
}

/// The `size` column of a row: a row written by another tool with
/// something else there is [`Error::Decode`] (the sort key is in column
/// `sort_key_column`).
fn size(
    row: &rusqlite::Row<'_>,
    column: usize,
    table: &'static str,
    partition_key: &str,
    sort_key_column: usize,
) -> Result<i64, Error> {
    integer(row, column).map_err(|_| Error::Decode {
        table,
        partition_key: partition_key.to_owned(),
        sort_key: text(row, sort_key_column).unwrap_or_default().to_owned(),
        source: "the size column does not hold an integer".into(),
    })
}

/// An integer column of a row.
fn integer(row: &rusqlite::Row<'_>, column: usize) -> Result<i64, Error> {
    row.get_ref(column)
        .and_then(|v| v.as_i64().map_err(rusqlite::Error::from))
        .map_err(sqlite_error)
}

/// The `data` column of a row, as JSON text. The column's declared type
/// (`JSON`) has numeric affinity, so a number written there by another
/// tool is stored as a number: it comes back as its text, a null as
/// `null`, and bytes as text, so that a row of the wrong shape fails to
/// decode ([`Error::Decode`]) like any other.
pub(super) fn data<'r>(
    row: &'r rusqlite::Row<'_>,
    column: usize,
) -> Result<std::borrow::Cow<'r, str>, Error> {
    use rusqlite::types::ValueRef;
    Ok(match row.get_ref(column).map_err(sqlite_error)? {
        // The common case first: `from_utf8` is much faster than the lossy
        // decoder on valid text.
        ValueRef::Text(bytes) | ValueRef::Blob(bytes) => match std::str::from_utf8(bytes) {
            Ok(text) => std::borrow::Cow::Borrowed(text),
            Err(_) => String::from_utf8_lossy(bytes),
        },
        ValueRef::Integer(n) => n.to_string().into(),
        ValueRef::Real(x) => x.to_string().into(),
        ValueRef::Null => "null".into(),
    })
}

/// A text column of a row, borrowed.
fn text<'r>(row: &'r rusqlite::Row<'_>, column: usize) -> Result<&'r str, Error> {
    row.get_ref(column)
        .and_then(|v| v.as_str().map_err(rusqlite::Error::from))
        .map_err(sqlite_error)
}

/// Bytes bound as SQLite text, which SQLite compares byte-wise (`BINARY`)
/// whether or not they are valid UTF-8.
struct TextBytes<'a>(&'a [u8]);

impl rusqlite::ToSql for TextBytes<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(rusqlite::types::ToSqlOutput::Borrowed(
            rusqlite::types::ValueRef::Text(self.0),
        ))
    }
}

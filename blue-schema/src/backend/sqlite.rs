//! The embedded SQLite backend (feature `sqlite`, on by default).
//!
//! One SQLite table per domain table, as ADR 0018 gives it, plus one
//! bookkeeping column ([`sqlite_ddl`](crate::docs::sqlite_ddl)):
//!
//! ```sql
//! CREATE TABLE IF NOT EXISTS "blue_dialogue" (
//!   pk TEXT NOT NULL,
//!   sk TEXT NOT NULL,
//!   data JSON NOT NULL,
//!   created_at TEXT NOT NULL,
//!   size INTEGER NOT NULL,
//!   PRIMARY KEY (pk, sk)
//! ) WITHOUT ROWID
//! ```
//!
//! * `data` is the entity's serde JSON (`select pk, sk, data from
//!   blue_dialogue` shows readable rows);
//! * `created_at` is RFC 3339 UTC with milliseconds, set when the item is
//!   first written and kept when it is replaced;
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
//! The backend does its work on the calling thread: a store's futures are
//! complete the first time they are polled, so any executor, or
//! [`block_on`](crate::block_on) from synchronous code, can drive them.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OptionalExtension, TransactionBehavior};

use super::{Backend, BoxFuture};
use crate::limits::MAX_PAGE_BYTES;
use crate::ops::{
    Delete, Get, ItemData, ItemDataRef, ItemFormat, ItemRef, ItemSink, Put, PutBatch, QueryPage,
    ScanPage, StoredItem, WriteItem,
};
use crate::query::{Order, SortKeyCondition};
use crate::schema::TableSchema;
use crate::Error;

/// The `rusqlite` version this backend is built on, for [`SqliteConfig::on_connect`].
pub use rusqlite;

const NAME: &str = "sqlite";

/// How the backend's connections stay idle at most.
const MAX_IDLE_CONNECTIONS: usize = 8;

/// The default busy timeout.
pub const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

const COLUMNS: [&str; 5] = ["pk", "sk", "data", "created_at", "size"];

// A valid name is always safe inside SQLite's double quotes.
pub use super::is_valid_table_name;

type OnConnect = Arc<dyn Fn(&Connection) -> rusqlite::Result<()> + Send + Sync>;

/// Where the database lives and how connections are set up.
#[derive(Clone)]
pub struct SqliteConfig {
    path: Option<PathBuf>,
    busy_timeout: Duration,
    on_connect: Option<OnConnect>,
}

impl fmt::Debug for SqliteConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteConfig")
            .field("path", &self.path)
            .field("busy_timeout", &self.busy_timeout)
            .field("on_connect", &self.on_connect.is_some())
            .finish()
    }
}

impl SqliteConfig {
    /// A database file, created if missing (its directory must exist).
    pub fn file(path: impl AsRef<Path>) -> Self {
        SqliteConfig {
            path: Some(path.as_ref().to_owned()),
            busy_timeout: DEFAULT_BUSY_TIMEOUT,
            on_connect: None,
        }
    }

    /// A private in-memory database that lives as long as the backend. It has
    /// one connection, so operations on it run one at a time.
    pub fn memory() -> Self {
        SqliteConfig {
            path: None,
            busy_timeout: DEFAULT_BUSY_TIMEOUT,
            on_connect: None,
        }
    }

    /// How long a write waits for another connection's write to finish
    /// before failing with [`Error::Backend`].
    pub fn busy_timeout(mut self, timeout: Duration) -> Self {
        self.busy_timeout = timeout;
        self
    }

    /// Runs `f` on every new connection after the backend's own set-up: to
    /// install a trace hook, register functions or set more pragmas.
    pub fn on_connect(
        mut self,
        f: impl Fn(&Connection) -> rusqlite::Result<()> + Send + Sync + 'static,
    ) -> Self {
        self.on_connect = Some(Arc::new(f));
        self
    }

    /// Opens the database, checking that it can be opened.
    ///
    /// # Errors
    ///
    /// [`Error::Backend`] when SQLite cannot open the file.
    pub fn open(self) -> Result<SqliteBackend, Error> {
        let first = self.connect()?;
        let connections = match self.path {
            None => Connections::Memory(Mutex::new(first)),
            Some(_) => Connections::Pool(Mutex::new(vec![first])),
        };
        Ok(SqliteBackend {
            config: self,
            connections,
        })
    }

    fn connect(&self) -> Result<Conn, Error> {
        let db = match &self.path {
            Some(path) => Connection::open(path),
            None => Connection::open_in_memory(),
        }
        .map_err(backend_error)?;
        db.busy_timeout(self.busy_timeout).map_err(backend_error)?;
        if self.path.is_some() {
            let mode: String = db
                .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
                .map_err(backend_error)?;
            if !mode.eq_ignore_ascii_case("wal") {
                return Err(Error::Backend {
                    backend: NAME,
                    source: format!("the database refused WAL mode (journal_mode is {mode})")
                        .into(),
                });
            }
            db.pragma_update(None, "synchronous", "NORMAL")
                .map_err(backend_error)?;
        }
        if let Some(f) = &self.on_connect {
            f(&db).map_err(backend_error)?;
        }
        Ok(Conn {
            db,
            sql: Vec::new(),
        })
    }
}

/// The SQLite backend. Cheap to share: wrap it in a [`Store`](crate::Store).
pub struct SqliteBackend {
    config: SqliteConfig,
    connections: Connections,
}

impl fmt::Debug for SqliteBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteBackend")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

enum Connections {
    /// An in-memory database exists only on its one connection.
    Memory(Mutex<Conn>),
    /// A file: idle connections, opened on demand. WAL lets readers run
    /// beside the one writer.
    Pool(Mutex<Vec<Conn>>),
}

/// A connection and its statements' text per table.
struct Conn {
    db: Connection,
    /// Few tables per database: a list beats hashing the name.
    sql: Vec<(&'static str, Statements)>,
}

/// Every statement the backend runs against one table.
struct Statements {
    get: String,
    upsert: String,
    insert_new: String,
    delete: String,
    delete_returning: String,
    query_ascending: String,
    query_descending: String,
    query_ascending_created: String,
    query_descending_created: String,
    scan: String,
    upsert_with_created_at: String,
}

impl Statements {
    fn new(table: &str) -> Self {
        let t = format!("\"{table}\"");
        let insert =
            format!("INSERT INTO {t} (pk, sk, data, created_at, size) VALUES (?1, ?2, ?3, ?4, ?5)");
        // Half-open sort-key ranges. The bounds are bound as text from raw
        // bytes (`TextBytes`): an upper bound may need a byte no UTF-8 text
        // holds (0xF5, above every key byte). A `CAST(? AS TEXT)` would do
        // the same but makes SQLite re-prepare the statement on every run.
        let query = |columns: &str, order: &str| {
            format!(
                "SELECT {columns} FROM {t} \
                 WHERE pk = ?1 AND sk >= ?2 AND sk < ?3 ORDER BY sk {order}"
            )
        };
        Statements {
            get: format!("SELECT data, created_at FROM {t} WHERE pk = ?1 AND sk = ?2"),
            upsert: format!(
                "{insert} ON CONFLICT (pk, sk) DO UPDATE SET data = excluded.data, size = excluded.size"
            ),
            insert_new: format!("{insert} ON CONFLICT (pk, sk) DO NOTHING"),
            delete: format!("DELETE FROM {t} WHERE pk = ?1 AND sk = ?2"),
            delete_returning: format!(
                "DELETE FROM {t} WHERE pk = ?1 AND sk = ?2 RETURNING data, created_at"
            ),
            query_ascending: query("sk, data, size", "ASC"),
            query_descending: query("sk, data, size", "DESC"),
            query_ascending_created: query("sk, data, size, created_at", "ASC"),
            query_descending_created: query("sk, data, size, created_at", "DESC"),
            scan: format!(
                "SELECT pk, sk, data, size, created_at FROM {t} \
                 WHERE (pk, sk) > (?1, ?2) ORDER BY pk, sk"
            ),
            upsert_with_created_at: format!(
                "{insert} ON CONFLICT (pk, sk) DO UPDATE SET data = excluded.data, \
                 size = excluded.size, created_at = excluded.created_at"
            ),
        }
    }
}

impl Conn {
    /// Prepares (once per connection) one of the table's statements.
    fn prepare(
        &mut self,
        table: &'static str,
        pick: impl Fn(&Statements) -> &str,
    ) -> Result<rusqlite::CachedStatement<'_>, Error> {
        let Conn { db, sql } = self;
        let statements = statements(sql, table)?;
        db.prepare_cached(pick(statements))
            .map_err(table_error(table))
    }
}

fn statements<'s>(
    sql: &'s mut Vec<(&'static str, Statements)>,
    table: &'static str,
) -> Result<&'s Statements, Error> {
    let found = sql
        .iter()
        .position(|(name, _)| std::ptr::eq(*name, table) || *name == table);
    let index = match found {
        Some(index) => index,
        None => {
            check_table_name(table)?;
            sql.push((table, Statements::new(table)));
            sql.len() - 1
        }
    };
    Ok(&sql[index].1)
}

fn check_table_name(table: &str) -> Result<(), Error> {
    super::check_table_name(NAME, table)
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock leaves the value usable: connections
    // roll back unfinished transactions when their statements are dropped.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn backend_error(e: rusqlite::Error) -> Error {
    Error::Backend {
        backend: NAME,
        source: Box::new(e),
    }
}

/// Maps SQLite's "no such table" to [`Error::TableNotFound`].
fn table_error(table: &'static str) -> impl Fn(rusqlite::Error) -> Error {
    move |e| match &e {
        rusqlite::Error::SqliteFailure(f, Some(message))
            if f.code == ErrorCode::Unknown && message.starts_with("no such table") =>
        {
            Error::TableNotFound { table }
        }
        _ => backend_error(e),
    }
}

impl SqliteBackend {
    /// Opens (creating if needed) a database file with the default settings.
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

    /// Runs `f` on a connection of the backend.
    fn with_conn<T>(&self, f: impl FnOnce(&mut Conn) -> Result<T, Error>) -> Result<T, Error> {
        match &self.connections {
            Connections::Memory(conn) => f(&mut lock(conn)),
            Connections::Pool(idle) => {
                let taken = lock(idle).pop();
                let mut conn = match taken {
                    Some(conn) => conn,
                    None => self.config.connect()?,
                };
                let result = f(&mut conn);
                let mut idle = lock(idle);
                if idle.len() < MAX_IDLE_CONNECTIONS {
                    idle.push(conn);
                }
                result
            }
        }
    }

    fn create_table_now(&self, table: &'static TableSchema) -> Result<(), Error> {
        check_table_name(table.name)?;
        self.with_conn(|conn| {
            conn.db
                .execute_batch(&crate::docs::sqlite_ddl(table.name))
                .map_err(backend_error)?;
            // An existing table of another shape (the ADR's table without
            // `size`, say) would fail later with a less helpful message.
            let mut stmt = conn
                .db
                .prepare(&format!("SELECT name FROM pragma_table_info('{}')", table.name))
                .map_err(backend_error)?;
            let columns: Vec<String> = stmt
                .query_map([], |row| row.get(0))
                .map_err(backend_error)?
                .collect::<Result<_, _>>()
                .map_err(backend_error)?;
            let missing: Vec<&str> = COLUMNS
                .iter()
                .copied()
                .filter(|c| !columns.iter().any(|have| have == c))
                .collect();
            if missing.is_empty() {
                Ok(())
            } else {
                Err(Error::Backend {
                    backend: NAME,
                    source: format!(
                        "table {} exists without the column(s) {}; it was not created by blue-schema",
                        table.name,
                        missing.join(", ")
                    )
                    .into(),
                })
            }
        })
    }

    fn get_now(&self, op: &Get<'_>, sink: &mut ItemSink<'_>) -> Result<(), Error> {
        let table = op.key.table();
        self.with_conn(|conn| {
            let mut stmt = conn.prepare(table, |s| &s.get)?;
            let mut rows = stmt
                .query((op.key.partition_key(), op.key.sort_key()))
                .map_err(backend_error)?;
            if let Some(row) = rows.next().map_err(backend_error)? {
                sink(ItemRef {
                    table,
                    partition_key: op.key.partition_key(),
                    sort_key: op.key.sort_key(),
                    data: ItemDataRef::Json(text(row, 0)?),
                    created_at: if op.with_created_at {
                        Some(text(row, 1)?)
                    } else {
                        None
                    },
                })?;
            }
            Ok(())
        })
    }

    fn put_now(&self, op: Put) -> Result<(), Error> {
        let key = op.item.key();
        let table = key.table();
        let data = json(&op.item)?;
        self.with_conn(|conn| {
            let mut stmt = if op.if_not_exists {
                conn.prepare(table, |s| &s.insert_new)?
            } else {
                conn.prepare(table, |s| &s.upsert)?
            };
            let written = stmt
                .execute((
                    key.partition_key(),
                    key.sort_key(),
                    data,
                    op.item.created_at(),
                    op.item.size() as i64,
                ))
                .map_err(backend_error)?;
            if written == 0 {
                return Err(Error::AlreadyExists {
                    table,
                    partition_key: key.partition_key().to_owned(),
                    sort_key: key.sort_key().to_owned(),
                });
            }
            Ok(())
        })
    }

    fn put_batch_now(&self, op: PutBatch) -> Result<(), Error> {
        let table = op.table;
        self.with_conn(|conn| {
            let Conn { db, sql } = conn;
            let statements = statements(sql, table)?;
            let upsert = if op.replace_created_at {
                &statements.upsert_with_created_at
            } else {
                &statements.upsert
            };
            // IMMEDIATE takes the write lock up front, so a concurrent writer
            // waits (busy timeout) instead of failing mid-batch.
            let tx = db
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(backend_error)?;
            {
                let mut stmt = tx.prepare_cached(upsert).map_err(table_error(table))?;
                for item in &op.items {
                    let key = item.key();
                    stmt.execute((
                        key.partition_key(),
                        key.sort_key(),
                        json(item)?,
                        item.created_at(),
                        item.size() as i64,
                    ))
                    .map_err(backend_error)?;
                }
            }
            // Dropping an uncommitted transaction rolls it back: an error
            // above leaves nothing written.
            tx.commit().map_err(backend_error)
        })
    }

    fn delete_now(&self, op: &Delete<'_>) -> Result<Option<StoredItem>, Error> {
        let table = op.key.table();
        let (pk, sk) = (op.key.partition_key(), op.key.sort_key());
        self.with_conn(|conn| {
            if op.return_old {
                let mut stmt = conn.prepare(table, |s| &s.delete_returning)?;
                stmt.query_row((pk, sk), |row| {
                    Ok(StoredItem {
                        table,
                        partition_key: pk.to_owned(),
                        sort_key: sk.to_owned(),
                        data: ItemData::Json(row.get(0)?),
                        created_at: row.get(1)?,
                    })
                })
                .optional()
                .map_err(backend_error)
            } else {
                let mut stmt = conn.prepare(table, |s| &s.delete)?;
                stmt.execute((pk, sk)).map_err(backend_error)?;
                Ok(None)
            }
        })
    }

    fn query_now(&self, op: &QueryPage, sink: &mut ItemSink<'_>) -> Result<Option<String>, Error> {
        let spec = &op.spec;
        let table = spec.table;
        let (low, high) = bounds(
            spec.sort_key.as_ref(),
            op.resume_after.as_deref(),
            spec.order,
        );
        let limit = spec.limit.map(|l| l as usize);
        // No LIMIT clause: rows are stepped one at a time and the loop stops
        // one row past the page, which tells whether a cursor is needed. (A
        // bound `LIMIT ?` would make SQLite re-prepare on every run.)
        self.with_conn(|conn| {
            let mut stmt = match (spec.order, op.with_created_at) {
                (Order::Ascending, false) => conn.prepare(table, |s| &s.query_ascending)?,
                (Order::Descending, false) => conn.prepare(table, |s| &s.query_descending)?,
                (Order::Ascending, true) => conn.prepare(table, |s| &s.query_ascending_created)?,
                (Order::Descending, true) => {
                    conn.prepare(table, |s| &s.query_descending_created)?
                }
            };
            let mut rows = stmt
                .query((
                    spec.partition_key.as_str(),
                    TextBytes(&low),
                    TextBytes(&high),
                ))
                .map_err(backend_error)?;
            let mut page = PageBudget::new(limit);
            // The sort key of the page's last item so far (a reused buffer).
            let mut last = String::new();
            while let Some(row) = rows.next().map_err(backend_error)? {
                if !page.admits(integer(row, 2)?) {
                    return Ok(Some(last));
                }
                let sort_key = text(row, 0)?;
                sink(ItemRef {
                    table,
                    partition_key: &spec.partition_key,
                    sort_key,
                    data: ItemDataRef::Json(text(row, 1)?),
                    created_at: if op.with_created_at {
                        Some(text(row, 3)?)
                    } else {
                        None
                    },
                })?;
                last.clear();
                last.push_str(sort_key);
            }
            Ok(None)
        })
    }
}

/// The JSON of an item to write.
fn json(item: &WriteItem) -> Result<&str, Error> {
    match item.data() {
        ItemData::Json(text) => Ok(text),
        #[allow(unreachable_patterns)]
        _ => Err(Error::Backend {
            backend: NAME,
            source: "the item is not in the JSON format this backend asked for".into(),
        }),
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

    /// Takes an item of `size` bytes into the page, or says the page is
    /// full: the limit is reached, or the item would take the page past
    /// 1 MB (as on DynamoDB, a page always holds its first item).
    fn admits(&mut self, size: i64) -> bool {
        let size = usize::try_from(size).unwrap_or(0);
        if Some(self.count) == self.limit || (self.count > 0 && self.bytes + size > MAX_PAGE_BYTES)
        {
            return false;
        }
        self.count += 1;
        self.bytes += size;
        true
    }
}

/// An integer column of a row.
fn integer(row: &rusqlite::Row<'_>, column: usize) -> Result<i64, Error> {
    row.get_ref(column)
        .and_then(|v| v.as_i64().map_err(rusqlite::Error::from))
        .map_err(backend_error)
}

/// A text column of a row, borrowed.
fn text<'r>(row: &'r rusqlite::Row<'_>, column: usize) -> Result<&'r str, Error> {
    row.get_ref(column)
        .and_then(|v| v.as_str().map_err(rusqlite::Error::from))
        .map_err(backend_error)
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

/// The half-open byte range `[low, high)` of sort keys a query page reads.
///
/// `k ++ [0]` is the smallest string after `k`, and `p ++ [0xF5]` is above
/// every string that starts with `p`, since no byte of UTF-8 text is 0xF5 or
/// more.
fn bounds(
    condition: Option<&SortKeyCondition>,
    resume_after: Option<&str>,
    order: Order,
) -> (Vec<u8>, Vec<u8>) {
    fn with(s: &str, byte: u8) -> Vec<u8> {
        let mut v = Vec::with_capacity(s.len() + 1);
        v.extend_from_slice(s.as_bytes());
        v.push(byte);
        v
    }
    let (mut low, mut high) = match condition {
        None => (Vec::new(), vec![0xF5]),
        Some(SortKeyCondition::Equals(k)) => (k.as_bytes().to_vec(), with(k, 0)),
        Some(SortKeyCondition::BeginsWith(p)) => (p.as_bytes().to_vec(), with(p, 0xF5)),
        Some(SortKeyCondition::Between(a, b)) => (a.as_bytes().to_vec(), with(b, 0)),
    };
    if let Some(r) = resume_after {
        match order {
            Order::Ascending => low = low.max(with(r, 0)),
            Order::Descending => high = high.min(r.as_bytes().to_vec()),
        }
    }
    (low, high)
}

impl SqliteBackend {
    fn scan_now(
        &self,
        op: &ScanPage,
        sink: &mut ItemSink<'_>,
    ) -> Result<Option<(String, String)>, Error> {
        let table = op.table;
        let (after_pk, after_sk) = op
            .resume_after
            .as_ref()
            .map_or(("", ""), |(pk, sk)| (pk.as_str(), sk.as_str()));
        let limit = op.limit.map(|l| l as usize);
        self.with_conn(|conn| {
            let mut stmt = conn.prepare(table, |s| &s.scan)?;
            let mut rows = stmt.query((after_pk, after_sk)).map_err(backend_error)?;
            let mut page = PageBudget::new(limit);
            let mut last = (String::new(), String::new());
            while let Some(row) = rows.next().map_err(backend_error)? {
                if !page.admits(integer(row, 3)?) {
                    return Ok(Some(last));
                }
                let (partition_key, sort_key) = (text(row, 0)?, text(row, 1)?);
                sink(ItemRef {
                    table,
                    partition_key,
                    sort_key,
                    data: ItemDataRef::Json(text(row, 2)?),
                    created_at: Some(text(row, 4)?),
                })?;
                last.0.clear();
                last.0.push_str(partition_key);
                last.1.clear();
                last.1.push_str(sort_key);
            }
            Ok(None)
        })
    }
}

impl Backend for SqliteBackend {
    fn name(&self) -> &'static str {
        NAME
    }

    fn item_format(&self) -> ItemFormat {
        ItemFormat::Json
    }

    fn create_table<'a>(&'a self, table: &'static TableSchema) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(std::future::ready(self.create_table_now(table)))
    }

    fn get<'a>(
        &'a self,
        op: &'a Get<'_>,
        sink: &'a mut ItemSink<'_>,
    ) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(std::future::ready(self.get_now(op, sink)))
    }

    fn put(&self, op: Put) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(std::future::ready(self.put_now(op)))
    }

    fn put_batch(&self, op: PutBatch) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(std::future::ready(self.put_batch_now(op)))
    }

    fn scan<'a>(
        &'a self,
        op: &'a ScanPage,
        sink: &'a mut ItemSink<'_>,
    ) -> BoxFuture<'a, Result<Option<(String, String)>, Error>> {
        Box::pin(std::future::ready(self.scan_now(op, sink)))
    }

    fn delete<'a>(
        &'a self,
        op: &'a Delete<'_>,
    ) -> BoxFuture<'a, Result<Option<StoredItem>, Error>> {
        Box::pin(std::future::ready(self.delete_now(op)))
    }

    fn query<'a>(
        &'a self,
        op: &'a QueryPage,
        sink: &'a mut ItemSink<'_>,
    ) -> BoxFuture<'a, Result<Option<String>, Error>> {
        Box::pin(std::future::ready(self.query_now(op, sink)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_are_identifiers() {
        for good in ["blue_dialogue", "_t9", "9t.v-2", &"x".repeat(255)] {
            assert!(is_valid_table_name(good), "{good:?}");
        }
        for bad in ["", "ab", "a\"bc", "a bc", "täb", "a'bc", &"x".repeat(256)] {
            assert!(!is_valid_table_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn bounds_are_half_open_and_resume_strictly_after() {
        let eq = SortKeyCondition::Equals("A#1".into());
        assert_eq!(
            bounds(Some(&eq), None, Order::Ascending),
            (b"A#1".to_vec(), b"A#1\0".to_vec())
        );
        let bw = SortKeyCondition::BeginsWith("A#".into());
        assert_eq!(
            bounds(Some(&bw), Some("A#5"), Order::Ascending),
            (b"A#5\0".to_vec(), b"A#\xF5".to_vec())
        );
        assert_eq!(
            bounds(Some(&bw), Some("A#5"), Order::Descending),
            (b"A#".to_vec(), b"A#5".to_vec())
        );
    }
}

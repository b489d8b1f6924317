//! Where the database lives and how its connections are set up.

use std::fmt;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rusqlite::Connection;

use super::error::sqlite_error;
use super::pool::Conn;
use super::{SqliteBackend, NAME};
use crate::Error;

/// The default busy timeout: how long a write waits for another
/// connection's write to finish.
pub const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The default number of connections (and worker threads) of a database
/// file; an in-memory database always has one.
pub const DEFAULT_MAX_CONNECTIONS: usize = 4;

type OnConnect = Arc<dyn Fn(&Connection) -> rusqlite::Result<()> + Send + Sync>;

/// Where the database lives and how connections are set up.
///
/// ```
/// use std::time::Duration;
/// use blue_schema::backend::sqlite::SqliteConfig;
///
/// # let dir = tempfile_dir();
/// # fn tempfile_dir() -> std::path::PathBuf { std::env::temp_dir() }
/// let backend = SqliteConfig::file(dir.join("blue-config-doc.db"))
///     .busy_timeout(Duration::from_millis(500))
///     .max_connections(2)
///     .open()?;
/// let store = blue_schema::Store::from_backend(backend);
/// # Ok::<(), blue_schema::Error>(())
/// ```
#[derive(Clone)]
pub struct SqliteConfig {
    pub(super) path: Option<PathBuf>,
    pub(super) busy_timeout: Duration,
    pub(super) max_connections: NonZeroUsize,
    pub(super) feed_retention: Duration,
    pub(super) layout: Layout,
    on_connect: Option<OnConnect>,
}

/// How a SQLite database holds a table ([`SqliteConfig::layout`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Layout {
    /// ADR 0018's single table: every item a row of `pk`, `sk` and its
    /// JSON, read through one typed view per entity.
    #[default]
    SingleTable,
    /// A table per entity with typed columns and foreign keys, beside
    /// the single table, which keeps the items of no entity
    /// (`sqlite://file.db?layout=tables`; see the guide's SQLite
    /// layouts section). Every operation behaves as on the single table.
    Tables,
}

impl fmt::Debug for SqliteConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteConfig")
            .field("path", &self.path)
            .field("busy_timeout", &self.busy_timeout)
            .field("max_connections", &self.max_connections)
            .field("feed_retention", &self.feed_retention)
            .field("layout", &self.layout)
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
            max_connections: NonZeroUsize::new(DEFAULT_MAX_CONNECTIONS)
                .unwrap_or(NonZeroUsize::MIN),
            feed_retention: crate::feed::RETENTION,
            layout: Layout::SingleTable,
            on_connect: None,
        }
    }

    /// A private in-memory database that lives as long as the backend. It has
    /// one connection, so operations on it run one at a time.
    pub fn memory() -> Self {
        SqliteConfig {
            path: None,
            busy_timeout: DEFAULT_BUSY_TIMEOUT,
            max_connections: NonZeroUsize::MIN,
            feed_retention: crate::feed::RETENTION,
            layout: Layout::SingleTable,
            on_connect: None,
        }
    }

    /// How long a write waits for another connection's write to finish
    /// before failing with [`Error::Busy`] (the waiting happens on the
    /// backend's worker thread, never on the caller's executor).
    pub fn busy_timeout(mut self, timeout: Duration) -> Self {
        self.busy_timeout = timeout;
        self
    }

    /// The most connections the backend opens to a database file, each
    /// served by a worker thread of its own (default
    /// [`DEFAULT_MAX_CONNECTIONS`]). WAL lets readers run beside the one
    /// writer; further operations wait for a free connection. An in-memory
    /// database has one connection whatever this says.
    pub fn max_connections(mut self, n: usize) -> Self {
        if self.path.is_some() {
            self.max_connections = NonZeroUsize::new(n).unwrap_or(NonZeroUsize::MIN);
        }
        self
    }

    /// How long the change feed's outbox ([`crate::feed`]) keeps a record:
    /// 24 hours, as DynamoDB Streams does, unless set shorter here (a
    /// longer time is cut to 24 hours, so that nothing can rely on a
    /// retention DynamoDB does not give). Readers remove the records
    /// older than this; one whose cursor is behind them gets
    /// [`Error::FeedGap`].
    pub fn feed_retention(mut self, retention: Duration) -> Self {
        self.feed_retention = retention.min(crate::feed::RETENTION);
        self
    }

    /// The layout `create_table` makes a new table in (default
    /// [`Layout::SingleTable`]). A table keeps the layout it was made in,
    /// and every program reads it in that one (the file records it):
    /// `create_table` in the tables layout on a table made in the single
    /// one fails, and `copy` moves a table into a file of the other
    /// layout.
    pub fn layout(mut self, layout: Layout) -> Self {
        self.layout = layout;
        self
    }

    /// Runs `f` on every new connection after the backend's own set-up: to
    /// install a trace hook, register functions or set more pragmas. The
    /// connection is of the `rusqlite` this crate links,
    /// [`blue_schema::backend::sqlite::rusqlite`](super::rusqlite).
    pub fn on_connect(
        mut self,
        f: impl Fn(&Connection) -> rusqlite::Result<()> + Send + Sync + 'static,
    ) -> Self {
        self.on_connect = Some(Arc::new(f));
        self
    }

    /// Opens the database on the calling thread, checking that it can be
    /// opened and set up. (`Store::open` does the same off the caller's
    /// executor.)
    ///
    /// # Errors
    ///
    /// [`Error::Backend`] when SQLite cannot open the file or refuses its
    /// settings.
    pub fn open(self) -> Result<SqliteBackend, Error> {
        let first = self.connect()?;
        Ok(SqliteBackend::new(self, first))
    }

    pub(super) fn connect(&self) -> Result<Conn, Error> {
        let db = match &self.path {
            Some(path) => Connection::open(path),
            None => Connection::open_in_memory(),
        }
        .map_err(sqlite_error)?;
        db.busy_timeout(self.busy_timeout).map_err(sqlite_error)?;
        // Each table has about fifteen statements, and transactions three
        // more: rusqlite's default cache of 16 would prepare some again and
        // again.
        db.set_prepared_statement_cache_capacity(64);
        super::functions::register(&db).map_err(sqlite_error)?;
        // The tables layout's foreign keys are declared, not enforced:
        // DynamoDB stores a partition's child before its parent as
        // readily as after (the bundled SQLite enforces them by default).
        db.pragma_update(None, "foreign_keys", false)
            .map_err(sqlite_error)?;
        if self.path.is_some() {
            wal(&db, self.busy_timeout)?;
            db.pragma_update(None, "synchronous", "NORMAL")
                .map_err(sqlite_error)?;
        }
        if let Some(f) = &self.on_connect {
            f(&db).map_err(sqlite_error)?;
        }
        Ok(Conn::new(db))
    }
}

/// Puts the database in WAL mode, which the file keeps: a file in it
/// already needs no lock. Turning a new file to WAL takes an exclusive
/// lock, and SQLite answers `SQLITE_BUSY` at once, without its busy
/// handler, when another connection is turning it at the same moment
/// (processes that open a new file together): that is retried until the
/// busy timeout has passed.
fn wal(db: &Connection, busy_timeout: std::time::Duration) -> Result<(), Error> {
    let deadline = std::time::Instant::now() + busy_timeout;
    loop {
        let mode: String = db
            .query_row("PRAGMA journal_mode", [], |row| row.get(0))
            .map_err(sqlite_error)?;
        if mode.eq_ignore_ascii_case("wal") {
            return Ok(());
        }
        let set =
            db.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get::<_, String>(0));
        match set {
            Ok(mode) if mode.eq_ignore_ascii_case("wal") => return Ok(()),
            Ok(mode) => {
                return Err(Error::backend(
                    NAME,
                    format!("the database refused WAL mode (journal_mode is {mode})"),
                ))
            }
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            Err(e) => return Err(sqlite_error(e)),
        }
    }
}

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

mod attribute_page;
mod capacity;
mod config;
mod entry;
mod error;
mod feed;
mod functions;
mod metered;
mod page;
mod pool;
mod read;
mod route;
mod row;
mod schema;
mod splice;
mod tables;
mod transact;
mod views;
mod write;

use std::fmt;
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::Arc;

use serde::Serialize;

pub use config::{Layout, SqliteConfig, DEFAULT_BUSY_TIMEOUT, DEFAULT_MAX_CONNECTIONS};
/// The `rusqlite` this backend is built on, for [`SqliteConfig::on_connect`].
pub use rusqlite;

use self::capacity::Image;
use self::metered::After;
use self::pool::{Conn, Pool, Workers};
use self::read::{get_row, get_row_sized};
use self::row::Row;
use self::write::{delete_row, put_row, put_rows};
use crate::backend::engine::{Engine, ScanOf};
use crate::capacity::{read_units, Consumed, Meter, Usage};
use crate::error::{AnyItem, ItemError};
use crate::ops::decode::{Decoder, StoredKeys};
use crate::ops::{
    CreateTable, Delete, Get, GetMany, PageOf, Put, PutBatch, QueryPage, ScanPage, SweepExpired,
    TransactWrite, TxAction, UpdateOp,
};
use crate::query::Explain;
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
        let stream = op.table.stream;
        crate::backend::engine::check_table_name(table)?;
        self.inner.tables.register(op.table);
        let schema = op.table;
        let layout = self.inner.pool.config().layout;
        self.run(move |conn| {
            let added = schema::create(conn, schema, layout)?;
            // In the tables layout, the entity tables are the typed views.
            let tables = route::read(&conn.db, table)?.is_some();
            views::refresh(conn, schema, !tables)?;
            feed::create(conn, table, stream)?;
            Ok(added)
        })
        .await
    }

    async fn drop_table_op(&self, op: CreateTable) -> Result<bool, Error> {
        let table = op.table.name;
        crate::backend::engine::check_table_name(table)?;
        self.run(move |conn| {
            feed::drop(conn, table)?;
            views::drop_all(conn, table)?;
            tables::drop(conn, table)?;
            schema::drop_table(conn, table)
        })
        .await
    }

    async fn sweep_expired_op(&self, op: SweepExpired) -> Result<u64, Error> {
        crate::backend::engine::check_table_name(op.table.name)?;
        self.run(move |conn| schema::sweep_expired(conn, op)).await
    }

    async fn get_op<D: Decoder>(&self, op: Get) -> Result<Option<D::Output>, Error> {
        if !self.metering() {
            return self.run(move |conn| get_row::<D>(conn, &op.key)).await;
        }
        let consistent = op.consistent;
        let found = self
            .run(move |conn| get_row_sized::<D>(conn, &op.key))
            .await?;
        let size = found.as_ref().map_or(0, |(_, size)| *size);
        self.account(Usage {
            requests: 1,
            items: u64::from(found.is_some()),
            consumed: Consumed::read(read_units(size, consistent)),
        });
        Ok(found.map(|(value, _)| value))
    }

    async fn put_op(&self, op: Box<Put<String>>) -> Result<(), Error> {
        if self.metering() {
            let item = &op.item;
            let image = Image::of(&item.data, item.size, item.updated_at());
            let keys = vec![(item.key.clone(), After::Is(Some(image)))];
            return Box::pin(self.metered_write(keys, false, 1, false, move |conn| {
                if !op.checks_only_shape_and_expiry() {
                    write::put(conn, &op)
                } else {
                    put_row(conn, &op)
                }
            }))
            .await;
        }
        if !op.checks_only_shape_and_expiry() {
            // Boxed: the future of an unconditional put stays small.
            return Box::pin(self.run(move |conn| write::put(conn, &op))).await;
        }
        self.run(move |conn| put_row(conn, &op)).await
    }

    async fn put_batch_op(&self, op: PutBatch<String>) -> Result<(), Error> {
        if !self.metering() {
            return self.run(move |conn| put_rows(conn, &op)).await;
        }
        let keys = op
            .items
            .iter()
            .map(|i| {
                let image = Image::of(&i.data, i.size, i.updated_at());
                (i.key.clone(), After::Is(Some(image)))
            })
            .collect();
        let requests = op
            .items
            .len()
            .div_ceil(crate::limits::MAX_BATCH_WRITE_ITEMS) as u64;
        let read_first = !op.keep_stamps;
        Box::pin(
            self.metered_write(keys, false, requests, read_first, move |conn| {
                put_rows(conn, &op)
            }),
        )
        .await
    }

    async fn update_op(&self, op: UpdateOp) -> Result<Option<AnyItem>, Error> {
        if self.metering() {
            // The keys only a metered write reads images of; boxed, as every
            // metered write: the plain write's future stays small.
            let keys = vec![(op.key.clone(), After::Read)];
            return Box::pin(
                self.metered_write(keys, false, 1, false, move |conn| write::update(conn, &op)),
            )
            .await;
        }
        self.run(move |conn| write::update(conn, &op)).await
    }

    async fn transact_write_op(&self, op: TransactWrite<String>) -> Result<(), Error> {
        if !self.metering() {
            return self.run(move |conn| transact::transact(conn, &op)).await;
        }
        let keys = op
            .actions
            .iter()
            .map(|a| {
                let after = match a {
                    TxAction::Check(_) => After::Checked,
                    _ => After::Read,
                };
                (a.key().clone(), after)
            })
            .collect();
        Box::pin(self.metered_write(keys, true, 1, false, move |conn| {
            transact::transact(conn, &op)
        }))
        .await
    }

    async fn get_many_op<D: Decoder>(&self, op: GetMany) -> Result<Vec<Option<D::Output>>, Error> {
        if !self.metering() {
            return self.run(move |conn| read::get_many::<D>(conn, &op)).await;
        }
        let transactional = op.transactional;
        let requests = if transactional {
            1
        } else {
            op.keys.len().div_ceil(crate::limits::MAX_BATCH_GET_KEYS) as u64
        };
        let (found, units) = self
            .run(move |conn| {
                let found = read::get_many::<D>(conn, &op)?;
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
            let keys = vec![(op.key.clone(), After::Is(None))];
            return Box::pin(self.metered_write(keys, false, 1, false, move |conn| {
                delete_row::<D>(conn, &op)
            }))
            .await;
        }
        self.run(move |conn| delete_row::<D>(conn, &op)).await
    }

    async fn count_op<C: crate::ops::decode::Counter>(
        &self,
        op: QueryPage,
    ) -> Result<PageOf<()>, Error> {
        // The page code itself, with a decoder that keeps nothing: the
        // same rows evaluated, filtered, measured and metered.
        self.query_op::<C>(op).await
    }

    async fn query_op<D: Decoder>(&self, op: QueryPage) -> Result<PageOf<D::Output>, Error> {
        let consistent = op.spec.consistent && op.spec.index.is_none();
        let page = self.run(move |conn| page::query::<D>(conn, &op)).await?;
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
        let page = self.run(move |conn| page::scan(conn, &op)).await?;
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
        let mut explain = Explain::new(&op.spec, op.spec.table, op.start.as_ref(), op.limit);
        // In the tables layout the statement is the one the routes give
        // (a connection knows them: this waits for one if all are busy).
        // A multi-attribute query's statement is shown as the single
        // table's.
        let spec = &op.spec;
        if spec.attributes.is_some() {
            return explain;
        }
        let routed = self.inner.pool.with_conn(|conn| {
            let table = spec.table;
            let (_, sql) = conn.with_table(table)?;
            if sql.routing().is_none() {
                return Ok(None);
            }
            let (low, high) = crate::layout::sqlite::bounds(
                spec.sort_key.as_ref(),
                op.start.as_ref().map(|p| p.sort_key.as_str()),
                spec.order,
            );
            let (single, routed) = match &spec.index {
                Some(index) => {
                    // A projected entry's page reads its table key's columns.
                    let columns = crate::layout::index_sql::IndexColumns::of(
                        index.projection != crate::schema::Projection::All,
                        false,
                    );
                    (
                        crate::layout::index_sql::index_query(
                            table,
                            &index.slot,
                            spec.order,
                            false,
                            columns,
                        ),
                        sql.index_query(table, &index.slot, spec.order, false, columns)
                            .to_owned(),
                    )
                }
                None => (
                    crate::layout::sqlite::Statements::new(table)
                        .query(spec.order, false)
                        .to_owned(),
                    sql.query(spec.order, false, &low, &high).to_owned(),
                ),
            };
            Ok(Some((single, routed)))
        });
        if let Ok(Some((single, routed))) = routed {
            explain.sqlite = explain.sqlite.replacen(&single, &routed, 1);
        }
        explain
    }
}

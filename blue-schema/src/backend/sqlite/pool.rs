//! Connections, and the threads that use them.
//!
//! A [`Pool`] holds at most `max_connections` open connections. [`Workers`]
//! are up to as many threads that run jobs from a queue, each job borrowing a
//! connection for as long as it runs: a statement, or a whole batch inside
//! one transaction. Threads and connections are started on demand and live as
//! long as the backend.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use rusqlite::Connection;

use super::config::SqliteConfig;
use super::route::TableSql;
use crate::layout::sqlite::Statements;
use crate::ops::ItemKey;
use crate::Error;

/// A connection and its statements' text per table.
pub(crate) struct Conn {
    pub(super) db: Connection,
    /// Few tables per database: a list beats hashing the name.
    sql: Vec<(&'static str, TableSql)>,
}

impl Conn {
    pub(super) fn new(db: Connection) -> Conn {
        Conn {
            db,
            sql: Vec::new(),
        }
    }

    /// The connection and the statements of `table` (made once per
    /// connection, and again when this process changed its routes), split
    /// so that both can be used at once.
    pub(super) fn with_table(
        &mut self,
        table: &'static str,
    ) -> Result<(&Connection, &TableSql), Error> {
        // The name a table's operations pass is its schema's constant:
        // found by address without comparing text, unless another copy
        // of the same name was passed.
        let found = self
            .sql
            .iter()
            .position(|(name, _)| std::ptr::eq(*name, table))
            .or_else(|| self.sql.iter().position(|(name, _)| *name == table));
        let index = match found {
            Some(index) if !self.sql[index].1.is_stale() => index,
            Some(index) => {
                self.sql[index].1 = TableSql::load(&self.db, table)?;
                index
            }
            None => {
                crate::backend::engine::check_table_name(table)?;
                self.sql.push((table, TableSql::load(&self.db, table)?));
                self.sql.len() - 1
            }
        };
        Ok((&self.db, &self.sql[index].1))
    }

    /// The connection and the statements of the table that holds `key`.
    pub(super) fn with_key(&mut self, key: &ItemKey) -> Result<(&Connection, &Statements), Error> {
        let (db, sql) = self.with_table(key.table)?;
        Ok((db, sql.for_key(&key.sort_key)))
    }

    /// Forgets the statements of `table`: its tables changed.
    pub(super) fn forget(&mut self, table: &str) {
        self.sql.retain(|(name, _)| *name != table);
    }
}

pub(super) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding one of these locks leaves the value usable: a
    // connection rolls back an unfinished transaction when it is dropped,
    // and the queues hold no half-made state.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The open connections of one database.
pub(super) struct Pool {
    config: SqliteConfig,
    state: Mutex<PoolState>,
    returned: Condvar,
}

struct PoolState {
    /// Boxed: a connection moves out and back for every operation, and
    /// a `Conn` is some 150 bytes (a box, 8), two `memcpy`s an operation
    /// that the lint's rule of thumb does not see.
    #[allow(clippy::vec_box)]
    idle: Vec<Box<Conn>>,
    /// Connections open, idle or in use.
    open: usize,
    /// Threads waiting in `checkout`: only then is a return worth a wake-up
    /// (a notify is a system call even when nobody waits).
    waiting: usize,
}

impl Pool {
    pub(super) fn new(config: SqliteConfig, first: Conn) -> Pool {
        Pool {
            config,
            state: Mutex::new(PoolState {
                idle: vec![Box::new(first)],
                open: 1,
                waiting: 0,
            }),
            returned: Condvar::new(),
        }
    }

    pub(super) fn config(&self) -> &SqliteConfig {
        &self.config
    }

    /// Runs `f` on a connection, on this thread; waits for one when all are
    /// in use.
    pub(super) fn with_conn<T>(
        &self,
        f: impl FnOnce(&mut Conn) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let mut conn = self.checkout()?;
        f(conn
            .0
            .as_mut()
            .expect("a checked-out connection is held until dropped"))
    }

    fn checkout(&self) -> Result<Checkout<'_>, Error> {
        let mut state = lock(&self.state);
        loop {
            if let Some(conn) = state.idle.pop() {
                return Ok(Checkout(Some(conn), self));
            }
            if state.open < self.config.max_connections.get() {
                state.open += 1;
                drop(state);
                return match self.config.connect() {
                    Ok(conn) => Ok(Checkout(Some(Box::new(conn)), self)),
                    Err(e) => {
                        let mut state = lock(&self.state);
                        state.open -= 1;
                        if state.waiting > 0 {
                            self.returned.notify_one();
                        }
                        Err(e)
                    }
                };
            }
            state.waiting += 1;
            state = self
                .returned
                .wait(state)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            state.waiting -= 1;
        }
    }
}

/// A connection out of the pool; it goes back when this is dropped, even
/// when the job using it panics.
struct Checkout<'p>(Option<Box<Conn>>, &'p Pool);

impl Drop for Checkout<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.0.take() {
            let mut state = lock(&self.1.state);
            state.idle.push(conn);
            if state.waiting > 0 {
                self.1.returned.notify_one();
            }
        }
    }
}

type Job = Box<dyn FnOnce() + Send>;

/// Threads that run jobs off the caller's thread.
pub(super) struct Workers {
    shared: Arc<Queue>,
    max: usize,
}

struct Queue {
    state: Mutex<QueueState>,
    ready: Condvar,
}

struct QueueState {
    jobs: VecDeque<Job>,
    threads: usize,
    /// Threads waiting for a job.
    idle: usize,
    closed: bool,
}

impl Workers {
    pub(super) fn new(max: usize) -> Workers {
        Workers {
            shared: Arc::new(Queue {
                state: Mutex::new(QueueState {
                    jobs: VecDeque::new(),
                    threads: 0,
                    idle: 0,
                    closed: false,
                }),
                ready: Condvar::new(),
            }),
            max,
        }
    }

    /// Queues a job, starting a thread when every running one is busy and
    /// there are fewer than `max`.
    pub(super) fn submit(&self, job: Job) {
        let mut state = lock(&self.shared.state);
        state.jobs.push_back(job);
        if state.jobs.len() > state.idle && state.threads < self.max {
            let shared = self.shared.clone();
            let spawned = std::thread::Builder::new()
                .name("blue-schema-sqlite".into())
                .spawn(move || work(&shared));
            match spawned {
                Ok(_) => state.threads += 1,
                // No thread can start: run the job here rather than leave it
                // waiting forever.
                Err(_) if state.threads == 0 => {
                    let job = state.jobs.pop_back();
                    drop(state);
                    if let Some(job) = job {
                        job();
                    }
                    return;
                }
                Err(_) => {}
            }
        }
        // A thread waiting for work counted itself idle under this lock; a
        // thread that is running will look at the queue before it waits.
        if state.idle > 0 {
            self.shared.ready.notify_one();
        }
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        lock(&self.shared.state).closed = true;
        self.shared.ready.notify_all();
    }
}

fn work(queue: &Queue) {
    loop {
        let job = {
            let mut state = lock(&queue.state);
            loop {
                if let Some(job) = state.jobs.pop_front() {
                    break job;
                }
                if state.closed {
                    state.threads -= 1;
                    return;
                }
                state.idle += 1;
                state = queue
                    .ready
                    .wait(state)
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                state.idle -= 1;
            }
        };
        job();
    }
}

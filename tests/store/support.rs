//! Fresh stores for the suite.

use std::future::Future;

use blue_schema::Store;

#[path = "../common/dynamodb.rs"]
pub mod dynamodb;
#[path = "../common/poll.rs"]
mod poll;
pub use poll::settled;

/// The backends the suite runs on.
#[derive(Debug, Clone, Copy)]
pub enum Backend {
    /// A new SQLite database file in a temporary directory.
    Sqlite,
    /// A new in-memory SQLite database.
    SqliteMemory,
    /// A new SQLite database file in the tables layout (a table per
    /// entity).
    SqliteTables,
    /// DynamoDB (the emulator, or `BLUE_DYNAMODB_ENDPOINT`), with tables
    /// of the test's own.
    DynamoDb,
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime starts")
}

/// Runs `test` on a fresh SQLite store and a fresh DynamoDB store, to
/// compare them: twice, the SQLite store first in memory (the single
/// table), then on a file in the tables layout (a table per entity).
pub fn run_pair<F, Fut>(test: F)
where
    F: Fn(Store, Store) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let runtime = runtime();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let tables = || {
        let config = blue_schema::backend::sqlite::SqliteConfig::file(dir.path().join("pair.db"))
            .layout(blue_schema::backend::sqlite::Layout::Tables);
        Store::from_backend(config.open().expect("SQLite opens"))
    };
    for sqlite in [Store::sqlite_memory().expect("SQLite opens"), tables()] {
        let backend = runtime.block_on(dynamodb::backend());
        let task = runtime.spawn(test(sqlite, Store::from_backend(backend.clone())));
        let result = runtime.block_on(task);
        runtime.block_on(dynamodb::drop_tables(&backend));
        if let Err(e) = result {
            std::panic::resume_unwind(e.into_panic());
        }
    }
}

/// Runs `test` on a fresh store of `backend`, as a task on a multi-threaded
/// runtime (which requires the test's future, and so every store future it
/// awaits, to be `Send`).
pub fn run<F, Fut>(backend: Backend, test: F)
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let runtime = runtime();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (store, dynamo) = match backend {
        Backend::Sqlite => (
            Store::sqlite(dir.path().join("suite.db")).expect("SQLite opens"),
            None,
        ),
        Backend::SqliteMemory => (Store::sqlite_memory().expect("SQLite opens"), None),
        Backend::SqliteTables => {
            let config =
                blue_schema::backend::sqlite::SqliteConfig::file(dir.path().join("suite.db"))
                    .layout(blue_schema::backend::sqlite::Layout::Tables);
            (
                Store::from_backend(config.open().expect("SQLite opens")),
                None,
            )
        }
        Backend::DynamoDb => {
            let backend = runtime.block_on(dynamodb::backend());
            (Store::from_backend(backend.clone()), Some(backend))
        }
    };
    let task = runtime.spawn(test(store));
    let result = runtime.block_on(task);
    if let Some(backend) = dynamo {
        runtime.block_on(dynamodb::drop_tables(&backend));
    }
    if let Err(e) = result {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// Polls `check` until it gives `Some`, for up to 10 s, and returns its last
/// answer: for reads that AWS serves from a replica that may lag (eventually
/// consistent reads). SQLite and the emulator answer on the first call.
pub async fn eventually<T, F, Fut>(mut check: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        if let Some(found) = check().await {
            return Some(found);
        }
        if std::time::Instant::now() > deadline {
            return None;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// What `work` consumed on a fresh metered handle of `store`.
pub async fn units<F, Fut>(store: &Store, work: F) -> blue_schema::capacity::Consumed
where
    F: FnOnce(Store) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let metered = store.metered();
    work(metered.clone()).await;
    metered.consumed().expect("a metered store counts")
}

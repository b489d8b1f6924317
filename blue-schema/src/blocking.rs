//! A synchronous API over the same stores, as `reqwest::blocking` is over
//! reqwest: for programs without an async runtime, on every backend a URL
//! can name.
//!
//! Each method blocks the calling thread until the operation is done. On
//! SQLite the work runs on the calling thread (no hand-off to a worker); on
//! DynamoDB it runs on a small tokio runtime the library starts on first use,
//! so the program creates none. Do not call these from inside an async task.
//!
//! ```
//! use blue_schema::blocking::Store;
//! # use blue_schema::{Entity, Table};
//! # #[derive(Table)]
//! # #[table(name = "blue_dialogue")]
//! # enum Dialogue { Expert(Expert) }
//! # #[derive(Entity, serde::Serialize, serde::Deserialize, Debug, PartialEq)]
//! # #[entity(table = Dialogue)]
//! # #[sk(prefix = "EXPERT")]
//! # struct Expert { #[pk] dialogue_id: String, #[sk] name: String }
//!
//! let store = Store::open("sqlite::memory:")?; // or "dynamodb://?region=eu-west-1"
//! store.create_table::<Dialogue>()?;
//! let muffin = Expert { dialogue_id: "d".into(), name: "muffin".into() };
//! store.put(&muffin)?;
//! assert_eq!(store.get(Expert::key("d", "muffin"))?, Some(muffin));
//! for expert in store.query(Expert::query("d").page_size(100)).items() {
//!     println!("{:?}", expert?);
//! }
//! # Ok::<(), blue_schema::Error>(())
//! ```

use std::fmt;
use std::future::IntoFuture;

use crate::key::Key;
use crate::query::{Explain, IntoQuery, Query};
use crate::schema::{Entity, FromItem, Table};
use crate::store::{Page, Record, StoredItem};
use crate::{block_on, Error};

/// A [`Store`](crate::Store) whose methods block instead of returning
/// futures. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    inner: crate::Store,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("blocking::Store").field(&self.inner).finish()
    }
}

impl From<crate::Store> for Store {
    fn from(inner: crate::Store) -> Self {
        Store { inner }
    }
}

impl Store {
    /// Opens a store from a URL, as [`Store::open`](crate::Store::open)
    /// does: `sqlite://path`, `sqlite::memory:`, `dynamodb://…`.
    ///
    /// # Errors
    ///
    /// As [`Store::open`](crate::Store::open).
    pub fn open(url: &str) -> Result<Store, Error> {
        block_on(crate::Store::open(url)).map(Store::from)
    }

    /// A store on an SQLite database file.
    ///
    /// # Errors
    ///
    /// [`Error::Backend`] when the file cannot be opened.
    #[cfg(feature = "sqlite")]
    pub fn sqlite(path: impl AsRef<std::path::Path>) -> Result<Store, Error> {
        crate::Store::sqlite(path).map(Store::from)
    }

    /// A store on a private in-memory SQLite database.
    ///
    /// # Errors
    ///
    /// [`Error::Backend`] if SQLite cannot allocate it.
    #[cfg(feature = "sqlite")]
    pub fn sqlite_memory() -> Result<Store, Error> {
        crate::Store::sqlite_memory().map(Store::from)
    }

    /// A handle that counts the capacity units of its operations; see
    /// [`crate::Store::metered`].
    pub fn metered(&self) -> Store {
        Store::from(self.inner.metered())
    }

    /// The capacity units this handle consumed since
    /// [`metered`](Store::metered) made it; `None` when it is not metered.
    pub fn consumed(&self) -> Option<crate::capacity::Consumed> {
        self.inner.consumed()
    }

    /// The async store underneath, for what this API does not wrap.
    pub fn as_async(&self) -> &crate::Store {
        &self.inner
    }

    /// Runs any of the async store's operations to completion, with its
    /// options: `store.run(store.as_async().get(key).eventually_consistent())`.
    pub fn run<F: IntoFuture>(&self, operation: F) -> F::Output {
        block_on(operation.into_future())
    }

    /// The backend's name: `sqlite` or `dynamodb`.
    pub fn backend_name(&self) -> &'static str {
        self.inner.backend_name()
    }

    /// See [`Store::create_table`](crate::Store::create_table).
    ///
    /// # Errors
    ///
    /// As there.
    pub fn create_table<T: Table>(&self) -> Result<(), Error> {
        block_on(self.inner.create_table::<T>())
    }

    /// See [`Store::drop_table`](crate::Store::drop_table).
    ///
    /// # Errors
    ///
    /// As there.
    pub fn drop_table<T: Table>(&self) -> Result<bool, Error> {
        block_on(self.inner.drop_table::<T>())
    }

    /// Writes every item's index keys where they differ from what its
    /// fields give; see [`Store::reindex`](crate::Store::reindex).
    ///
    /// # Errors
    ///
    /// As [`Store::reindex`](crate::Store::reindex).
    pub fn reindex<T: Table>(&self) -> Result<crate::store::Reindexed, Error> {
        crate::block_on(self.inner.reindex::<T>())
    }

    /// Deletes the table's expired items (on SQLite; DynamoDB's TTL
    /// process does there); see [`Store::sweep_expired`](crate::Store::sweep_expired).
    ///
    /// # Errors
    ///
    /// As there.
    pub fn sweep_expired<T: Table>(&self) -> Result<u64, Error> {
        block_on(self.inner.sweep_expired::<T>())
    }

    /// The same store, deciding which items are expired by `clock`; see
    /// [`Store::with_clock`](crate::Store::with_clock).
    #[must_use]
    pub fn with_clock(self, clock: impl crate::ttl::Clock + 'static) -> Store {
        Store {
            inner: self.inner.with_clock(clock),
        }
    }

    /// See [`Store::put`](crate::Store::put).
    ///
    /// # Errors
    ///
    /// As there.
    pub fn put<E: Entity>(&self, item: &E) -> Result<(), Error> {
        self.run(self.inner.put(item))
    }

    /// See [`Store::create`](crate::Store::create).
    ///
    /// # Errors
    ///
    /// As there.
    pub fn create<E: Entity>(&self, item: &E) -> Result<(), Error> {
        self.run(self.inner.create(item))
    }

    /// See [`Store::put_all`](crate::Store::put_all).
    ///
    /// # Errors
    ///
    /// As there.
    pub fn put_all<
        'e,
        E: Entity + crate::__private::BatchWritable + crate::__private::WithoutUnique,
    >(
        &self,
        items: impl IntoIterator<Item = &'e E>,
    ) -> Result<(), Error> {
        block_on(self.inner.put_all(items))
    }

    /// See [`Store::get`](crate::Store::get).
    ///
    /// # Errors
    ///
    /// As there.
    pub fn get<E: Entity + Send>(&self, key: impl Into<Key<E>>) -> Result<Option<E>, Error> {
        block_on(self.inner.get(key).unboxed())
    }

    /// See [`Store::get_record`](crate::Store::get_record).
    ///
    /// # Errors
    ///
    /// As there.
    pub fn get_record<E: Entity + Send>(
        &self,
        key: impl Into<Key<E>>,
    ) -> Result<Option<Record<E>>, Error> {
        block_on(self.inner.get_record(key).unboxed())
    }

    /// See [`Store::delete`](crate::Store::delete).
    ///
    /// # Errors
    ///
    /// As there.
    pub fn delete<E: Entity>(&self, key: impl Into<Key<E>>) -> Result<(), Error> {
        block_on(self.inner.delete(key))
    }

    /// See [`Store::update`](crate::Store::update): build the update on
    /// [`as_async`](Store::as_async) and run it here, as
    /// `store.run(store.as_async().update(key).add(a.n, 1))`.
    ///
    /// # Errors
    ///
    /// As there.
    pub fn modify<E, F>(&self, key: impl Into<Key<E>>, change: F) -> Result<Option<E>, Error>
    where
        E: Entity,
        F: FnMut(&mut E) + Send,
    {
        block_on(self.inner.modify(key, change))
    }

    /// See [`Store::get_many`](crate::Store::get_many).
    ///
    /// # Errors
    ///
    /// As there.
    pub fn get_many<E: Entity>(
        &self,
        keys: impl IntoIterator<Item = Key<E>>,
    ) -> Result<Vec<Option<E>>, Error> {
        block_on(self.inner.get_many(keys))
    }

    /// See [`Store::delete_returning`](crate::Store::delete_returning).
    ///
    /// # Errors
    ///
    /// As there.
    pub fn delete_returning<E: Entity>(&self, key: impl Into<Key<E>>) -> Result<Option<E>, Error> {
        block_on(self.inner.delete_returning(key))
    }

    /// A query about to run; see [`Store::query`](crate::Store::query).
    pub fn query<Q: IntoQuery>(&self, query: Q) -> QueryRun<'_, Q::Item> {
        QueryRun {
            store: &self.inner,
            query: query.into_query(),
        }
    }
}

/// A query about to run on a blocking store.
#[must_use = "a query does nothing until it is read"]
pub struct QueryRun<'s, R> {
    store: &'s crate::Store,
    query: Query<R>,
}

impl<R> fmt::Debug for QueryRun<'_, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("blocking::QueryRun")
            .field("query", &self.query)
            .finish()
    }
}

impl<'s, R> QueryRun<'s, R> {
    /// See [`QueryRun::include_expired`](crate::QueryRun::include_expired).
    pub fn include_expired(self) -> Self {
        QueryRun {
            store: self.store,
            query: self.query.include_expired(),
        }
    }

    /// See [`QueryRun::explain`](crate::QueryRun::explain).
    ///
    /// # Errors
    ///
    /// As there.
    pub fn explain(&self) -> Result<Explain, Error> {
        self.store.query(self.query.clone()).explain()
    }

    /// See [`QueryRun::raw_page`](crate::QueryRun::raw_page).
    ///
    /// # Errors
    ///
    /// As there.
    pub fn raw_page(self) -> Result<Page<StoredItem>, Error> {
        block_on(self.store.query(self.query).raw_page())
    }

    /// See [`QueryRun::raw`](crate::QueryRun::raw).
    ///
    /// # Errors
    ///
    /// As there.
    pub fn raw(self) -> Result<Vec<StoredItem>, Error> {
        block_on(self.store.query(self.query).raw())
    }
}

impl<'s, R: FromItem + Send + 'static> QueryRun<'s, R> {
    /// See [`QueryRun::page`](crate::QueryRun::page).
    ///
    /// # Errors
    ///
    /// As there.
    pub fn page(self) -> Result<Page<R>, Error> {
        block_on(self.store.query(self.query).page())
    }

    /// See [`QueryRun::count`](crate::QueryRun::count).
    ///
    /// # Errors
    ///
    /// As there.
    pub fn count(self) -> Result<u64, Error> {
        block_on(self.store.query(self.query).count())
    }

    /// See [`QueryRun::count_page`](crate::QueryRun::count_page).
    ///
    /// # Errors
    ///
    /// As there.
    pub fn count_page(self) -> Result<crate::Counted, Error> {
        block_on(self.store.query(self.query).count_page())
    }

    /// See [`QueryRun::all`](crate::QueryRun::all).
    ///
    /// # Errors
    ///
    /// As there.
    pub fn all(self) -> Result<Vec<R>, Error> {
        block_on(self.store.query(self.query).all())
    }

    /// See [`QueryRun::records`](crate::QueryRun::records).
    ///
    /// # Errors
    ///
    /// As there.
    pub fn records(self) -> Result<Vec<crate::Record<R>>, Error> {
        block_on(self.store.query(self.query).records())
    }

    /// The pages, one at a time, as an iterator that reads each page when
    /// asked for it.
    pub fn pages(self) -> impl Iterator<Item = Result<Page<R>, Error>> + 's {
        let mut pages = self.store.query(self.query).pages();
        std::iter::from_fn(move || block_on(pages.next()))
    }

    /// The items, one at a time, as an iterator that reads a page when the
    /// previous one is used up.
    pub fn items(self) -> impl Iterator<Item = Result<R, Error>> + 's {
        let mut items = self.store.query(self.query).items();
        std::iter::from_fn(move || block_on(items.next()))
    }
}

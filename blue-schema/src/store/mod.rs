//! The user's handle: typed operations over entities, run by a backend.
//!
//! [`Store`]'s methods return values that are awaited (`store.get(key).await`):
//! some are builders with options before the `.await`
//! (`store.get(key).eventually_consistent().await`). All of them are `Send`,
//! borrow the store but not the entity passed in, and do nothing until they
//! are first polled.

#[cfg(any(feature = "sqlite", feature = "streams"))]
mod consumer;
pub(crate) mod decode;
mod delete;
#[cfg(any(feature = "sqlite", feature = "streams"))]
mod feed;
mod get;
mod get_many;
mod modify;
pub(crate) mod moves;
mod open;
mod put;
mod reindex;
pub mod returning;
mod run;
mod sweep;
mod transaction;
mod unique;
mod update;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

#[cfg(any(feature = "sqlite", feature = "streams"))]
pub use consumer::{Checkpoint, Checkpoints, Consumer, ConsumerBuilder, DEFAULT_LEASE};
#[cfg(feature = "lambda")]
pub(crate) use decode::Typed;
pub use decode::{Record, StoredItem};
pub use delete::DeleteItem;
#[cfg(any(feature = "sqlite", feature = "streams"))]
pub use feed::{ChangeFeed, ChangeStream, OpenFeed, MAX_BATCH};
pub use get::GetItem;
pub use modify::{ModifyItem, Rewritten, DEFAULT_MODIFY_ATTEMPTS};
pub use put::PutItem;
pub use reindex::Reindexed;
pub use run::{Counted, Items, Page, Pages, QueryRun};
pub use sweep::Sweeper;
pub use transaction::Transaction;
pub use update::UpdateItem;

use crate::backend::engine::Engine;
use crate::backend::{with_engine, AnyBackend};
use crate::key::Key;
use crate::ops::cursor::CursorKey;
use crate::ops::{CreateTable, ItemKey};
use crate::query::IntoQuery;
use crate::schema::{Entity, Table};
use crate::Error;

/// A boxed, `Send` future: what the store's builders turn into.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A handle on a database holding blue-schema tables.
///
/// Cheap to clone (clones share the backend) and usable from many threads
/// and tasks at once.
///
/// ```
/// use blue_schema::{Entity, Store, Table};
///
/// #[derive(Table)]
/// #[table(name = "blue_dialogue")]
/// enum Dialogue {
///     Expert(Expert),
/// }
///
/// #[derive(Entity, serde::Serialize, serde::Deserialize, Debug, PartialEq)]
/// #[entity(table = Dialogue)]
/// #[sk(prefix = "EXPERT")]
/// struct Expert {
///     #[pk]
///     dialogue_id: String,
///     #[sk]
///     name: String,
///     role: String,
/// }
///
/// # blue_schema::block_on(async {
/// let store = Store::open("sqlite::memory:").await?;
/// store.create_table::<Dialogue>().await?;
///
/// let muffin = Expert {
///     dialogue_id: "nvidia-dec".into(),
///     name: "muffin".into(),
///     role: "skeptic".into(),
/// };
/// store.create(&muffin).await?;
/// assert!(matches!(
///     store.create(&muffin).await,
///     Err(blue_schema::Error::AlreadyExists { .. })
/// ));
///
/// let read = store.get(Expert::key("nvidia-dec", "muffin")).await?;
/// assert_eq!(read, Some(muffin));
///
/// let everything: Vec<Dialogue> = store.query(Dialogue::partition("nvidia-dec")).all().await?;
/// assert_eq!(everything.len(), 1);
/// # Ok::<(), blue_schema::Error>(())
/// # }).unwrap();
/// ```
#[derive(Clone)]
pub struct Store {
    pub(crate) backend: AnyBackend,
    pub(crate) cursor_key: Option<Arc<CursorKey>>,
    /// The clock that decides which items are expired; `None`: the
    /// system's.
    pub(crate) clock: Option<Arc<dyn crate::ttl::Clock>>,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend.name())
            .field("signs_cursors", &self.cursor_key.is_some())
            .field("clock", &self.clock)
            .finish()
    }
}

impl Store {
    /// Creates the table `T` with its secondary indexes if it does not
    /// exist yet, and adds the indexes an existing table lacks: on SQLite
    /// two generated columns and a partial index each; on DynamoDB one
    /// index at a time, each waited for until it is `ACTIVE` and
    /// backfilled. When it added an index to a table that holds items, it
    /// then writes every item's index keys ([`reindex`](Store::reindex)),
    /// so the new index holds the items written before it.
    ///
    /// # Errors
    ///
    /// [`Error::TableMismatch`] when a table of the same name has another
    /// shape (or an index another projection), [`Error::InvalidTableName`],
    /// and the backend's errors.
    // Written out (not `async fn`) to promise `Send` in the signature.
    #[allow(clippy::manual_async_fn)]
    pub fn create_table<T: Table>(&self) -> impl Future<Output = Result<(), Error>> + Send + '_ {
        async move {
            let op = CreateTable { table: &T::SCHEMA };
            let added = with_engine!(&self.backend, b => b.create_table(op).await)?;
            if added {
                self.reindex::<T>().await?;
            }
            Ok(())
        }
    }

    /// Deletes table `T` with every item and index in it: a development
    /// reset, or the end of a test. Whether the table existed (dropping a
    /// missing table is no error). On DynamoDB the deletion is waited for,
    /// so `create_table` may follow at once; on SQLite the file keeps its
    /// other tables.
    ///
    /// # Errors
    ///
    /// [`Error::Limit`] for a table name DynamoDB would refuse, and the
    /// backend's errors.
    // Written out (not `async fn`) to promise `Send` in the signature.
    #[allow(clippy::manual_async_fn)]
    pub fn drop_table<T: Table>(&self) -> impl Future<Output = Result<bool, Error>> + Send + '_ {
        async move {
            let op = CreateTable { table: &T::SCHEMA };
            with_engine!(&self.backend, b => b.drop_table(op).await)
        }
    }

    /// Runs a typed query: `.page()` reads one page, `.all()` follows the
    /// cursors to the end (or to the query's `take`), `.pages()` and
    /// `.items()` stream them.
    ///
    /// ```
    /// # use blue_schema::{Entity, Table};
    /// # #[derive(Table)]
    /// # #[table(name = "blue_dialogue")]
    /// # enum Dialogue { Perspective(Perspective) }
    /// # #[derive(Entity, serde::Serialize, serde::Deserialize)]
    /// # #[entity(table = Dialogue)]
    /// # #[sk(prefix = "PERSP")]
    /// # struct Perspective { #[pk] dialogue_id: String, #[sk] round: u32, #[sk] expert: String, #[sk] seq: u32 }
    /// # blue_schema::block_on(async {
    /// # let store = blue_schema::Store::open("sqlite::memory:").await?;
    /// # store.create_table::<Dialogue>().await?;
    /// let round0 = || Perspective::query("nvidia-dec").round(0).page_size(10);
    /// let mut page = store.query(round0()).page().await?;
    /// while let Some(cursor) = page.cursor {
    ///     page = store.query(round0().after(cursor)).page().await?;
    /// }
    /// # Ok::<(), blue_schema::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn query<Q: IntoQuery>(&self, query: Q) -> QueryRun<'_, Q::Item> {
        QueryRun::new(self, query.into_query())
    }

    pub(crate) fn cursor_key(&self) -> Option<&CursorKey> {
        self.cursor_key.as_deref()
    }

    /// How a write of `E` sees expired items: `None` for a table without a
    /// TTL attribute.
    pub(crate) fn expiry<E: Entity>(&self) -> Option<crate::ops::check::Expiry> {
        crate::ops::check::Expiry::of(E::SCHEMA.ttl, || self.epoch_now()).map(|expiry| {
            crate::ops::check::Expiry {
                feed: E::SCHEMA.stream,
                ..expiry
            }
        })
    }

    /// The current epoch second by the store's clock: an item whose TTL
    /// attribute is smaller is expired.
    pub(crate) fn epoch_now(&self) -> u64 {
        crate::ttl::epoch_second(match &self.clock {
            Some(clock) => clock.now(),
            None => std::time::SystemTime::now(),
        })
    }

    /// A handle on the same database that counts the capacity units its
    /// operations consume, from zero: on DynamoDB the units the service
    /// reports, on SQLite the units DynamoDB would charge for the same
    /// operation ([`capacity`](crate::capacity) has the rules). Read them
    /// with [`consumed`](Store::consumed). Clones of the handle share its
    /// count; the store it was made from counts nothing.
    ///
    /// On SQLite, a metered write reads its item before and after it to
    /// size it; an unmetered store does not pay for that.
    ///
    /// ```
    /// use blue_schema::capacity::Consumed;
    /// # use blue_schema::{Entity, Store, Table};
    /// # #[derive(Table)]
    /// # #[table(name = "blue_dialogue")]
    /// # enum Dialogue { Expert(Expert) }
    /// # #[derive(Entity, serde::Serialize, serde::Deserialize)]
    /// # #[entity(table = Dialogue)]
    /// # #[sk(prefix = "EXPERT")]
    /// # struct Expert { #[pk] dialogue_id: String, #[sk] name: String, role: String }
    /// # blue_schema::block_on(async {
    /// let store = Store::open("sqlite::memory:").await?;
    /// store.create_table::<Dialogue>().await?;
    /// let metered = store.metered();
    /// let muffin = Expert { dialogue_id: "d".into(), name: "muffin".into(), role: "skeptic".into() };
    /// metered.put(&muffin).await?;
    /// metered.get(Expert::key("d", "muffin")).await?;
    /// // A write of an item under 1 KB, and a strongly consistent read of it.
    /// assert_eq!(metered.consumed(), Some(Consumed::new(1.0, 1.0)));
    /// assert_eq!(store.consumed(), None);
    /// # Ok::<(), blue_schema::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn metered(&self) -> Store {
        Store {
            backend: self.backend.metered(),
            cursor_key: self.cursor_key.clone(),
            clock: self.clock.clone(),
        }
    }

    /// The capacity units this handle's operations consumed since
    /// [`metered`](Store::metered) made it; `None` for a handle that is not
    /// metered.
    pub fn consumed(&self) -> Option<crate::capacity::Consumed> {
        self.backend.meter().map(crate::capacity::Meter::total)
    }
}

/// A checked key of `E`.
/// The key an item of `E` now under `key` had before `E`'s key moved
/// ([`key_move`](crate::schema::key_move)); `None` when `E` is not moving.
fn old_item_key<E: Entity>(key: &ItemKey) -> Option<ItemKey> {
    E::__MOVED_FROM?;
    let (partition_key, sort_key) = E::SCHEMA.old_key(&key.partition_key, &key.sort_key)?;
    Some(ItemKey {
        table: key.table,
        partition_key,
        sort_key,
    })
}

fn item_key<E: Entity>(key: Key<E>) -> Result<ItemKey, Error> {
    let (partition_key, sort_key) = key.into_parts();
    Ok(ItemKey::new(E::SCHEMA.table, partition_key, sort_key)?)
}

//! The user's handle: typed operations over entities, run by a backend.
//!
//! [`Store`]'s methods return values that are awaited (`store.get(key).await`):
//! some are builders with options before the `.await`
//! (`store.get(key).eventually_consistent().await`). All of them are `Send`,
//! borrow the store but not the entity passed in, and do nothing until they
//! are first polled.

mod decode;
mod open;
mod run;

use std::collections::HashSet;
use std::fmt;
use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;

pub use decode::{Record, StoredItem};
pub use run::{Items, Page, Pages, QueryRun};

use crate::backend::{with_engine, AnyBackend, Engine};
use crate::key::Key;
use crate::limits::{self, CheckError};
use crate::ops::{CreateTable, Decoder, Delete, Get, ItemKey, Put, PutBatch, WriteItem};
use crate::query::{CursorKey, IntoQuery};
use crate::schema::{Entity, Table};
use crate::{time, Error};
use decode::{Records, Typed};

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
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend.name())
            .field("signs_cursors", &self.cursor_key.is_some())
            .finish()
    }
}

impl Store {
    /// Creates the table `T` if it does not exist yet.
    ///
    /// # Errors
    ///
    /// [`Error::TableMismatch`] when a table of the same name has another
    /// shape, [`Error::InvalidTableName`], and the backend's errors.
    // Written out (not `async fn`) to promise `Send` in the signature.
    #[allow(clippy::manual_async_fn)]
    pub fn create_table<T: Table>(&self) -> impl Future<Output = Result<(), Error>> + Send + '_ {
        async move {
            let op = CreateTable { table: &T::SCHEMA };
            with_engine!(&self.backend, b => b.create_table(op).await)
        }
    }

    /// Writes an item, replacing any item with the same key. A replaced item
    /// keeps its `created_at`. The item is checked against DynamoDB's limits
    /// now; nothing is written until the result is awaited.
    ///
    /// The write is atomic on both backends: a reader sees the old item or the
    /// new one, never a mix, and a failed write leaves the old one.
    ///
    /// # Errors
    ///
    /// [`Error::Limit`] (nothing written) when the item breaks one of
    /// DynamoDB's limits, [`Error::Serialize`] when it does not serialize as
    /// a struct, [`Error::TableNotFound`], and the backend's errors.
    pub fn put<E: Entity>(&self, item: &E) -> PutItem<'_> {
        self.write(item, false)
    }

    /// Writes an item that must not exist yet.
    ///
    /// # Errors
    ///
    /// [`Error::AlreadyExists`] (nothing written) when an item with the same
    /// key exists, and the errors of [`put`](Store::put).
    pub fn create<E: Entity>(&self, item: &E) -> PutItem<'_> {
        self.write(item, true)
    }

    fn write<E: Entity>(&self, item: &E, if_not_exists: bool) -> PutItem<'_> {
        let created_at = time::now_rfc3339();
        let future = with_engine!(&self.backend, b => {
            let op = write_item(b, item, created_at).map(|item| Put {
                item,
                if_not_exists,
                entity: &E::SCHEMA,
            });
            Box::pin(async move { b.put(op?).await }) as BoxFuture<'_, _>
        });
        PutItem { future }
    }

    /// Writes many items of one entity type, replacing items with the same
    /// keys. Every item is checked before anything is written: one item that
    /// breaks a limit, or two with the same key, fail the whole call with
    /// nothing written.
    ///
    /// On SQLite the batch is one transaction: all or nothing, also when the
    /// future is dropped. On DynamoDB it is sent in requests of 25 items, and
    /// a failure (or a dropped future) part-way leaves the earlier requests'
    /// items written, each one whole; running the same `put_all` again
    /// finishes it.
    ///
    /// # Errors
    ///
    /// [`Error::DuplicateKey`] and the errors of [`put`](Store::put);
    /// [`Error::Throttled`] when DynamoDB keeps leaving items unprocessed.
    pub fn put_all<'s, 'e, E: Entity>(
        &'s self,
        items: impl IntoIterator<Item = &'e E>,
    ) -> impl Future<Output = Result<(), Error>> + Send + 's {
        let now = time::now_rfc3339();
        let future = with_engine!(&self.backend, b => {
            let op = batch(b, items, &now);
            Box::pin(async move {
                let op = op?;
                if op.items.is_empty() {
                    return Ok(());
                }
                b.put_batch(op).await
            }) as BoxFuture<'_, _>
        });
        future
    }

    /// Reads an item by key; see [`GetItem`] for its options.
    ///
    /// # Errors
    ///
    /// [`Error::Limit`] for a key DynamoDB would reject (an empty partition
    /// key), [`Error::Decode`] when the stored item does not decode as `E`,
    /// [`Error::TableNotFound`], and the backend's errors.
    pub fn get<E: Entity, K: Into<Key<E>>>(&self, key: K) -> GetItem<'_, E> {
        GetItem::new(self, key.into())
    }

    /// Reads an item by key, with its bookkeeping attributes.
    ///
    /// # Errors
    ///
    /// As [`get`](Store::get).
    pub fn get_record<E: Entity, K: Into<Key<E>>>(&self, key: K) -> GetItem<'_, E, Record<E>> {
        GetItem::new(self, key.into())
    }

    /// Deletes an item by key; deleting a missing item is not an error.
    ///
    /// # Errors
    ///
    /// As [`get`](Store::get), without [`Error::Decode`].
    pub fn delete<E: Entity, K: Into<Key<E>>>(
        &self,
        key: K,
    ) -> impl Future<Output = Result<(), Error>> + Send + '_ {
        let key = item_key(key.into());
        async move {
            let op = Delete {
                key: key?,
                return_old: false,
            };
            // Nothing comes back to decode.
            with_engine!(&self.backend, b => b.delete::<decode::Raw>(op).await)?;
            Ok(())
        }
    }

    /// Deletes an item by key and returns it, or `None` if there was none.
    ///
    /// # Errors
    ///
    /// As [`get`](Store::get). When the old item does not decode, it is
    /// deleted all the same and [`Error::Decode`] is returned.
    pub fn delete_returning<E: Entity + Send, K: Into<Key<E>>>(
        &self,
        key: K,
    ) -> impl Future<Output = Result<Option<E>, Error>> + Send + '_ {
        let key = item_key(key.into());
        async move {
            let op = Delete {
                key: key?,
                return_old: true,
            };
            with_engine!(&self.backend, b => b.delete::<Typed<E>>(op).await)
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
}

/// A write of one item about to run; `.await` it. Made by [`Store::put`]
/// and [`Store::create`].
#[must_use = "a write does nothing until it is awaited"]
pub struct PutItem<'s> {
    future: BoxFuture<'s, Result<(), Error>>,
}

impl fmt::Debug for PutItem<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PutItem").finish_non_exhaustive()
    }
}

impl<'s> IntoFuture for PutItem<'s> {
    type Output = Result<(), Error>;
    type IntoFuture = BoxFuture<'s, Result<(), Error>>;

    fn into_future(self) -> Self::IntoFuture {
        self.future
    }
}

/// A read of one item about to run; `.await` it. Made by [`Store::get`]
/// (which gives `Option<E>`) and [`Store::get_record`] (`Option<Record<E>>`).
///
/// Reads are strongly consistent unless [`eventually_consistent`](GetItem::eventually_consistent)
/// says otherwise.
#[must_use = "a read does nothing until it is awaited"]
pub struct GetItem<'s, E, T = E> {
    store: &'s Store,
    key: Result<ItemKey, Error>,
    consistent: bool,
    output: PhantomData<fn() -> (E, T)>,
}

impl<'s, E: Entity, T> GetItem<'s, E, T> {
    fn new(store: &'s Store, key: Key<E>) -> Self {
        GetItem {
            store,
            key: item_key(key),
            consistent: true,
            output: PhantomData,
        }
    }

    /// Reads with DynamoDB's eventually consistent reads: half the read
    /// capacity, but the item may be up to about a second old. SQLite's
    /// reads are always consistent.
    pub fn eventually_consistent(mut self) -> Self {
        self.consistent = false;
        self
    }

    /// The read, unboxed: `.await` boxes it (to name its type), the
    /// blocking store polls it in place.
    fn run<D: Decoder>(self) -> impl Future<Output = Result<Option<D::Output>, Error>> + Send + 's {
        let store = self.store;
        let op = self.key.map(|key| Get {
            key,
            consistent: self.consistent,
        });
        async move {
            let op = op?;
            with_engine!(&store.backend, b => b.get::<D>(op).await)
        }
    }
}

impl<E, T> fmt::Debug for GetItem<'_, E, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GetItem")
            .field("key", &self.key)
            .field("consistent", &self.consistent)
            .finish()
    }
}

impl<'s, E: Entity + Send> GetItem<'s, E, E> {
    /// The read as a future polled in place, for the blocking store.
    pub(crate) fn unboxed(self) -> impl Future<Output = Result<Option<E>, Error>> + Send + 's {
        self.run::<Typed<E>>()
    }
}

impl<'s, E: Entity + Send> GetItem<'s, E, Record<E>> {
    /// The read as a future polled in place, for the blocking store.
    pub(crate) fn unboxed(
        self,
    ) -> impl Future<Output = Result<Option<Record<E>>, Error>> + Send + 's {
        self.run::<Records<E>>()
    }
}

impl<'s, E: Entity + Send> IntoFuture for GetItem<'s, E, E> {
    type Output = Result<Option<E>, Error>;
    type IntoFuture = BoxFuture<'s, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run::<Typed<E>>())
    }
}

impl<'s, E: Entity + Send> IntoFuture for GetItem<'s, E, Record<E>> {
    type Output = Result<Option<Record<E>>, Error>;
    type IntoFuture = BoxFuture<'s, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run::<Records<E>>())
    }
}

/// A checked key of `E`.
fn item_key<E: Entity>(key: Key<E>) -> Result<ItemKey, Error> {
    let (partition_key, sort_key) = key.into_parts();
    Ok(ItemKey::new(E::SCHEMA.table, partition_key, sort_key)?)
}

/// Checks an entity against DynamoDB's limits and encodes it for backend `B`.
fn write_item<B: Engine, E: Entity>(
    _backend: &B,
    item: &E,
    created_at: String,
) -> Result<WriteItem<B::Item>, Error> {
    let not_an_item = |source| Error::Serialize {
        entity: E::SCHEMA.name,
        source,
    };
    let (partition_key, sort_key) = item.key().into_parts();
    let size = limits::check_item(&partition_key, &sort_key, created_at.len(), item).map_err(
        |e| match e {
            CheckError::Limit(e) => Error::Limit(e),
            CheckError::NotAnItem(e) => not_an_item(e),
        },
    )?;
    Ok(WriteItem {
        key: ItemKey {
            table: E::SCHEMA.table,
            partition_key,
            sort_key,
        },
        data: B::encode(item).map_err(not_an_item)?,
        size,
        created_at,
    })
}

/// Checks and encodes every item of a `put_all`, and refuses a key given twice.
fn batch<'e, B: Engine, E: Entity>(
    backend: &B,
    items: impl IntoIterator<Item = &'e E>,
    now: &str,
) -> Result<PutBatch<B::Item>, Error> {
    let items = items
        .into_iter()
        .map(|item| write_item(backend, item, now.to_owned()))
        .collect::<Result<Vec<_>, _>>()?;
    let mut seen = HashSet::with_capacity(items.len());
    if let Some(dup) = items.iter().map(|i| &i.key).find(|k| !seen.insert(*k)) {
        return Err(Error::DuplicateKey {
            table: dup.table,
            partition_key: dup.partition_key.clone(),
            sort_key: dup.sort_key.clone(),
        });
    }
    Ok(PutBatch {
        table: E::SCHEMA.table,
        items,
        replace_created_at: false,
    })
}

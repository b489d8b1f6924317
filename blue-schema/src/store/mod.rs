//! The user's handle: typed operations over entities, run by a backend.
//!
//! [`Store`]'s methods return values that are awaited (`store.get(key).await`):
//! some are builders with options before the `.await`
//! (`store.get(key).eventually_consistent().await`). All of them are `Send`,
//! borrow the store but not the entity passed in, and do nothing until they
//! are first polled.

mod decode;
mod open;
mod reindex;
mod run;

use std::collections::HashSet;
use std::fmt;
use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;

pub use decode::{Record, StoredItem};
pub use reindex::Reindexed;
pub use run::{Items, Page, Pages, QueryRun};

use crate::backend::{with_engine, AnyBackend, Engine};
use crate::key::Key;
use crate::limits::{self, CheckError};
use crate::ops::{CreateTable, Decoder, Get, ItemKey, Put, PutBatch, WriteItem};
use crate::query::{CursorKey, IntoQuery};
use crate::schema::{Entity, Table};
use crate::write::{AnyDecoder, Checks, Cond, Condition, VersionCheck, WriteView};
use crate::{time, Error};
use decode::{Records, Typed};

mod writes;
#[cfg(feature = "dynamodb")]
pub(crate) use writes::{backoff, jitter};
pub use writes::{
    returning, DeleteItem, ModifyItem, Transaction, UpdateItem, BATCH_GET_CHUNK,
    DEFAULT_MODIFY_ATTEMPTS, MAX_TRANSACTION_ACTIONS, MAX_TRANSACTION_BYTES,
};

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

    /// Writes an item, replacing any item with the same key. A replaced item
    /// keeps its `created_at`. The item is checked against DynamoDB's limits
    /// now; nothing is written until the result is awaited.
    ///
    /// The write is atomic on both backends: a reader sees the old item or the
    /// new one, never a mix, and a failed write leaves the old one.
    /// [`when`](PutItem::when) makes it conditional. For a `#[version]`
    /// entity the put is conditioned on the stored version being the item's
    /// (no item, for version 0) and writes the version plus one.
    ///
    /// # Errors
    ///
    /// [`Error::Limit`] (nothing written) when the item breaks one of
    /// DynamoDB's limits, [`Error::Serialize`] when it does not serialize as
    /// a struct, [`Error::ConditionFailed`], [`Error::VersionConflict`],
    /// [`Error::TableNotFound`], and the backend's errors.
    pub fn put<E: Entity>(&self, item: &E) -> PutItem<'_, E> {
        self.write(item, false)
    }

    /// Writes an item that must not exist yet. A `#[version]` entity is
    /// written at version 1.
    ///
    /// # Errors
    ///
    /// [`Error::AlreadyExists`] (nothing written) when an item with the same
    /// key exists, and the errors of [`put`](Store::put).
    pub fn create<E: Entity>(&self, item: &E) -> PutItem<'_, E> {
        self.write(item, true)
    }

    fn write<E: Entity>(&self, item: &E, if_not_exists: bool) -> PutItem<'_, E> {
        let created_at = time::now_rfc3339();
        let (checks, version) = put_checks(item, if_not_exists);
        let make = with_engine!(&self.backend, b => {
            let op = write_item_at(b, item, created_at, version).map(|item| Put {
                item,
                if_not_exists,
                entity: &E::SCHEMA,
                checks: Checks::default(),
                decode: AnyDecoder::of::<E>(),
            });
            Box::new(move |checks: Checks| match op {
                Ok(mut op) => {
                    op.checks = checks;
                    Box::pin(b.put(op)) as BoxFuture<'_, _>
                }
                Err(e) => Box::pin(std::future::ready(Err(e))) as BoxFuture<'_, _>,
            }) as MakePut<'_>
        });
        PutItem {
            make,
            checks,
            _entity: PhantomData,
        }
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
    ///
    /// A batch cannot check versions, so an entity with a `#[version]`
    /// field does not compile here: write it in a [`transaction`](Store::transaction),
    /// or opt out with [`put_all_unversioned`](Store::put_all_unversioned).
    pub fn put_all<'s, 'e, E: Entity + crate::__private::BatchWritable>(
        &'s self,
        items: impl IntoIterator<Item = &'e E>,
    ) -> impl Future<Output = Result<(), Error>> + Send + 's {
        self.put_all_unversioned(items)
    }

    /// [`put_all`](Store::put_all) for any entity, `#[version]` ones
    /// included: each item is written as it is, its version unchecked and
    /// unchanged, replacing whatever version is stored. The explicit
    /// opt-out for loading data, never for concurrent writers.
    ///
    /// # Errors
    ///
    /// As [`put_all`](Store::put_all).
    pub fn put_all_unversioned<'s, 'e, E: Entity>(
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

    /// Deletes an item by key; deleting a missing item is not an error
    /// (unless a condition says the item must exist). See [`DeleteItem`]
    /// for conditions and versions: the delete of a `#[version]` entity
    /// must say which version it expects, or that any will do.
    ///
    /// # Errors
    ///
    /// As [`get`](Store::get), without [`Error::Decode`];
    /// [`Error::ConditionFailed`], [`Error::VersionConflict`] and
    /// [`Error::VersionRequired`].
    pub fn delete<E: Entity, K: Into<Key<E>>>(&self, key: K) -> DeleteItem<'_, E> {
        DeleteItem::new(self, key.into())
    }

    /// Deletes the item `item` was read as: for a `#[version]` entity,
    /// only if the stored version is still `item`'s.
    ///
    /// # Errors
    ///
    /// As [`delete`](Store::delete).
    pub fn delete_entity<E: Entity>(&self, item: &E) -> DeleteItem<'_, E> {
        let delete = DeleteItem::new(self, item.key());
        match E::SCHEMA.version {
            Some(_) => delete.expect_version(item.__version()),
            None => delete,
        }
    }

    /// Deletes an item by key and returns it, or `None` if there was none.
    /// For a `#[version]` entity, the delete is of any version.
    ///
    /// # Errors
    ///
    /// As [`get`](Store::get). When the old item does not decode, it is
    /// deleted all the same and [`Error::Decode`] is returned.
    pub fn delete_returning<E: Entity, K: Into<Key<E>>>(
        &self,
        key: K,
    ) -> impl Future<Output = Result<Option<E>, Error>> + Send + '_ {
        DeleteItem::new(self, key.into())
            .any_version()
            .returning_old()
            .into_future()
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
        }
    }

    /// The capacity units this handle's operations consumed since
    /// [`metered`](Store::metered) made it; `None` for a handle that is not
    /// metered.
    pub fn consumed(&self) -> Option<crate::capacity::Consumed> {
        self.backend.meter().map(crate::capacity::Meter::total)
    }
}

type MakePut<'s> = Box<dyn FnOnce(Checks) -> BoxFuture<'s, Result<(), Error>> + Send + 's>;

/// A write of one item about to run; `.await` it. Made by [`Store::put`]
/// and [`Store::create`].
#[must_use = "a write does nothing until it is awaited"]
pub struct PutItem<'s, E> {
    make: MakePut<'s>,
    checks: Checks,
    _entity: PhantomData<fn() -> E>,
}

impl<E> PutItem<'_, E> {
    /// Writes only if `condition` holds on the stored item (an absent
    /// item has no attributes: `Condition::not_exists()` holds, a
    /// comparison does not). Conditions given twice must both hold.
    ///
    /// # Errors
    ///
    /// [`Error::ConditionFailed`], with the stored item, when it does not
    /// hold.
    pub fn when(mut self, condition: Condition<E>) -> Self {
        Cond::and_into(&mut self.checks.user, condition.cond);
        self
    }
}

impl<E> fmt::Debug for PutItem<'_, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PutItem")
            .field("checks", &self.checks)
            .finish_non_exhaustive()
    }
}

impl<'s, E> IntoFuture for PutItem<'s, E> {
    type Output = Result<(), Error>;
    type IntoFuture = BoxFuture<'s, Result<(), Error>>;

    fn into_future(self) -> Self::IntoFuture {
        if let Some(invalid) = self.checks.user.as_ref().and_then(Cond::invalid) {
            let message = invalid.to_owned();
            return Box::pin(async move {
                Err(Error::InvalidUpdate {
                    entity: std::any::type_name::<E>(),
                    message,
                })
            });
        }
        (self.make)(self.checks)
    }
}

/// The checks of a put or create of `item`, and the version it writes.
fn put_checks<E: Entity>(item: &E, create: bool) -> (Checks, Option<(&'static str, u64)>) {
    let mut checks = Checks::default();
    if create {
        checks.exists = Some(false);
    }
    let version = E::SCHEMA.version.map(|attribute| {
        if create {
            (attribute, 1)
        } else {
            let expected = item.__version();
            checks.version = Some(VersionCheck {
                attribute,
                expected,
            });
            (attribute, expected.saturating_add(1))
        }
    });
    (checks, version)
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

/// Checks an entity against DynamoDB's limits and encodes it for backend
/// `B`, as [`write_item_at`] with the item's own version.
fn write_item<B: Engine, E: Entity>(
    backend: &B,
    item: &E,
    created_at: String,
) -> Result<WriteItem<B::Item>, Error> {
    let version = E::SCHEMA.version.map(|a| (a, item.__version()));
    write_item_at(backend, item, created_at, version)
}

/// Checks an entity against DynamoDB's limits and encodes it for backend
/// `B`: its `None` fields left out, its `#[version]` written as `version`.
pub(crate) fn write_item_at<B: Engine, E: Entity>(
    _backend: &B,
    item: &E,
    created_at: String,
    version: Option<(&'static str, u64)>,
) -> Result<WriteItem<B::Item>, Error> {
    checked_item(item, created_at, version, |view| B::encode(view))
}

/// Checks an entity (as written: `None`s left out, `version` in place)
/// against DynamoDB's limits and encodes it with `encode`.
pub(crate) fn checked_item<E: Entity, I>(
    item: &E,
    created_at: String,
    version: Option<(&'static str, u64)>,
    encode: impl FnOnce(&WriteView<'_, E>) -> Result<I, crate::ItemError>,
) -> Result<WriteItem<I>, Error> {
    let (partition_key, sort_key) = item.key().into_parts();
    // Every index key, recomputed from the fields it is made of on every
    // write of the whole item.
    let mut index_keys = Vec::new();
    item.__index_keys(&partition_key, &sort_key, &mut index_keys);
    // Measured without the index keys (which `check_item` counts itself,
    // and which an entity's own fields may not be named), written with them.
    let measured = WriteView {
        item,
        version,
        sets: E::SCHEMA.sets,
        extra: &[],
    };
    let view = WriteView {
        extra: &index_keys,
        ..measured
    };
    let not_an_item = |source| Error::Serialize {
        entity: E::SCHEMA.name,
        source,
    };
    // A write's time is the item's `updated_at`, and its `created_at` if
    // the item is new.
    let stamps = limits::Stamps {
        created_at: &created_at,
        updated_at: &created_at,
    };
    let size = limits::check_item(
        &partition_key,
        &sort_key,
        stamps,
        &measured,
        limits::IndexKeys::Added(&index_keys),
    )
    .map_err(|e| match e {
        CheckError::Limit(e) => Error::Limit(e),
        CheckError::NotAnItem(e) => not_an_item(e),
    })?;
    Ok(WriteItem {
        key: ItemKey {
            table: E::SCHEMA.table,
            partition_key,
            sort_key,
        },
        data: encode(&view).map_err(not_an_item)?,
        size,
        updated_at: created_at.clone(),
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
        keep_stamps: false,
    })
}

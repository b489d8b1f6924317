//! `Store::get`: one item by key, with or without its write times.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::marker::PhantomData;

use super::decode::{Record, Records, Typed};
use super::{item_key, BoxFuture, Store};
use crate::backend::engine::Engine;
use crate::backend::with_engine;
use crate::key::Key;
use crate::ops::decode::Decoder;
use crate::ops::{Get, ItemKey};
use crate::schema::Entity;
use crate::Error;

impl Store {
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
    include_expired: bool,
    output: PhantomData<fn() -> (E, T)>,
}

impl<'s, E: Entity, T> GetItem<'s, E, T> {
    fn new(store: &'s Store, key: Key<E>) -> Self {
        GetItem {
            store,
            key: item_key(key),
            consistent: true,
            include_expired: false,
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
    /// Returns the item even when it has expired ([`ttl`](crate::ttl)):
    /// by default an expired item reads as `None`, as if DynamoDB had
    /// already deleted it.
    pub fn include_expired(mut self) -> Self {
        self.include_expired = true;
        self
    }

    /// Reads the item; `entity` is the entity a decoded one holds.
    fn run<D: Decoder>(
        self,
        entity: fn(&D::Output) -> &E,
    ) -> impl Future<Output = Result<Option<D::Output>, Error>> + Send + 's {
        let store = self.store;
        let op = self.key.map(|key| Get {
            key,
            consistent: self.consistent,
        });
        // The clock is read before the item: an item expiring meanwhile
        // is returned, as DynamoDB would have.
        let now = match self.include_expired {
            true => None,
            false => store.expiry::<E>().map(|e| e.now),
        };
        async move {
            let op = op?;
            // A moving entity's item may still be under its old key.
            let moving = E::__MOVED_FROM.map(|_| op.clone());
            let mut found = with_engine!(&store.backend, b => b.get::<D>(op).await)?;
            if let Some(op) = moving.filter(|_| found.is_none()) {
                if let Some(key) = super::old_item_key::<E>(&op.key) {
                    let old = Get { key, ..op.clone() };
                    found = with_engine!(&store.backend, b => b.get::<D>(old).await)?
                        // Several new keys can share an old one (a field
                        // moved into the key): the item must be this key's.
                        .filter(|item| super::moves::is_at::<E>(entity(item), &op.key));
                }
            }
            Ok(found.filter(|item| crate::ttl::is_live(entity(item).__expiry(), now)))
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
        self.run::<Typed<E>>(|e| e)
    }
}

impl<'s, E: Entity + Send> GetItem<'s, E, E> {
    /// The read of the item with its attributes as stored.
    pub(crate) fn imaged(
        self,
    ) -> impl Future<Output = Result<Option<super::decode::ImagedItem<E>>, Error>> + Send + 's {
        self.run::<super::decode::Imaged<E>>(|(_, e)| e)
    }
}

impl<'s, E: Entity + Send> GetItem<'s, E, Record<E>> {
    /// The read as a future polled in place, for the blocking store.
    pub(crate) fn unboxed(
        self,
    ) -> impl Future<Output = Result<Option<Record<E>>, Error>> + Send + 's {
        self.run::<Records<E>>(|r| &r.value)
    }
}

impl<'s, E: Entity + Send> IntoFuture for GetItem<'s, E, E> {
    type Output = Result<Option<E>, Error>;
    type IntoFuture = BoxFuture<'s, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run::<Typed<E>>(|e| e))
    }
}

impl<'s, E: Entity + Send> IntoFuture for GetItem<'s, E, Record<E>> {
    type Output = Result<Option<Record<E>>, Error>;
    type IntoFuture = BoxFuture<'s, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run::<Records<E>>(|r| &r.value))
    }
}

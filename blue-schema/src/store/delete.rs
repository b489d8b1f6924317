//! `Store::delete`: an item removed by key, under an optional condition,
//! returning the removed item when asked.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::marker::PhantomData;

use super::decode::Typed;
use super::update::invalid;
use super::{item_key, returning, BoxFuture, Store};
use crate::backend::engine::Engine;
use crate::backend::with_engine;
use crate::key::Key;
use crate::ops::check::{Checks, VersionCheck};
use crate::ops::cond::Cond;
use crate::ops::decode::AnyDecoder;
use crate::ops::Delete;
use crate::schema::Entity;
use crate::write::Condition;
use crate::Error;

impl Store {
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
}

/// A delete about to run; `.await` it. Made by [`Store::delete`] and
/// [`Store::delete_entity`].
#[must_use = "a delete does nothing until it is awaited"]
pub struct DeleteItem<'s, E, R = returning::Nothing> {
    store: &'s Store,
    key: Key<E>,
    condition: Option<Cond>,
    expect_version: Option<u64>,
    any_version: bool,
    _returning: PhantomData<fn() -> R>,
}

impl<E, R> fmt::Debug for DeleteItem<'_, E, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeleteItem")
            .field("key", &self.key)
            .field("condition", &self.condition)
            .field("expect_version", &self.expect_version)
            .finish()
    }
}

impl<'s, E: Entity> DeleteItem<'s, E> {
    pub(crate) fn new(store: &'s Store, key: Key<E>) -> Self {
        DeleteItem {
            store,
            key,
            condition: None,
            expect_version: None,
            any_version: false,
            _returning: PhantomData,
        }
    }
}

impl<'s, E: Entity, R> DeleteItem<'s, E, R> {
    /// Deletes only if `condition` holds on the stored item.
    pub fn when(mut self, condition: Condition<E>) -> Self {
        Cond::and_into(&mut self.condition, condition.cond);
        self
    }

    /// For a `#[version]` entity: deletes only the item at this version.
    pub fn expect_version(mut self, version: u64) -> Self {
        self.expect_version = Some(version);
        self
    }

    /// For a `#[version]` entity: deletes whatever version is stored.
    pub fn any_version(mut self) -> Self {
        self.any_version = true;
        self
    }

    /// Returns the deleted item (`None`: there was none).
    pub fn returning_old(self) -> DeleteItem<'s, E, returning::Old> {
        DeleteItem {
            store: self.store,
            key: self.key,
            condition: self.condition,
            expect_version: self.expect_version,
            any_version: self.any_version,
            _returning: PhantomData,
        }
    }

    fn op(self, return_old: bool) -> Result<Delete, Error>
    where
        E: Send,
    {
        let mut op = delete_op::<E>(
            self.key,
            self.condition,
            self.expect_version,
            self.any_version,
            return_old,
        )?;
        op.checks.expiry = self.store.expiry::<E>();
        Ok(op)
    }
}

/// The version check of an update or delete of `E` by key: the expected
/// version, none with `any_version`, and an error when a `#[version]`
/// entity's write says neither.
pub(super) fn version_check<E: Entity>(
    expect_version: Option<u64>,
    any_version: bool,
    operation: &'static str,
) -> Result<Option<VersionCheck>, Error> {
    let Some(attribute) = E::SCHEMA.version else {
        return Ok(None);
    };
    match (expect_version, any_version) {
        (Some(expected), _) => Ok(Some(VersionCheck {
            attribute,
            expected,
        })),
        (None, true) => Ok(None),
        (None, false) => Err(Error::VersionRequired {
            entity: E::SCHEMA.name,
            operation,
        }),
    }
}

pub(super) fn delete_op<E: Entity>(
    key: Key<E>,
    condition: Option<Cond>,
    expect_version: Option<u64>,
    any_version: bool,
    return_old: bool,
) -> Result<Delete, Error> {
    if let Some(message) = condition.as_ref().and_then(Cond::invalid) {
        return Err(invalid::<E>(message));
    }
    let mut checks = Checks {
        user: condition,
        ..Checks::default()
    };
    checks.version = version_check::<E>(expect_version, any_version, "delete")?;
    Ok(Delete {
        key: item_key(key)?,
        return_old,
        checks,
        decode: Some(AnyDecoder::of::<Typed<E>>()),
    })
}

impl<'s, E: Entity> IntoFuture for DeleteItem<'s, E, returning::Nothing> {
    type Output = Result<(), Error>;
    type IntoFuture = BoxFuture<'s, Self::Output>;
    fn into_future(self) -> Self::IntoFuture {
        let store = self.store;
        let op = self.op(false);
        Box::pin(async move {
            let op = op?;
            if !E::SCHEMA.unique.is_empty() {
                // Boxed: the plain delete's future stays as small as it was.
                return Box::pin(super::unique::delete::<E>(store, op))
                    .await
                    .map(|_| ());
            }
            super::moves::settle_if_moving::<E>(store, &op.key).await?;
            with_engine!(&store.backend, b => b.delete::<super::decode::Raw>(op).await)?;
            Ok(())
        })
    }
}

impl<'s, E: Entity> IntoFuture for DeleteItem<'s, E, returning::Old> {
    type Output = Result<Option<E>, Error>;
    type IntoFuture = BoxFuture<'s, Self::Output>;
    fn into_future(self) -> Self::IntoFuture {
        let store = self.store;
        let op = self.op(true);
        Box::pin(async move {
            let op = op?;
            if !E::SCHEMA.unique.is_empty() {
                return Box::pin(super::unique::delete::<E>(store, op)).await;
            }
            super::moves::settle_if_moving::<E>(store, &op.key).await?;
            with_engine!(&store.backend, b => b.delete::<Typed<E>>(op).await)
        })
    }
}

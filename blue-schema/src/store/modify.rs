//! `Store::modify`: read, change in Rust, write back under a condition on
//! what was read, and try again when another writer came between.

use std::borrow::Cow;
use std::fmt;
use std::future::IntoFuture;

use serde_json::{Map, Value};

use super::decode::Typed;
use super::update::invalid;
use super::{item_key, BoxFuture, Store};
use crate::backend::engine::Engine;
use crate::backend::with_engine;
use crate::backoff::Backoff;
use crate::key::Key;
use crate::ops::check::{Checks, ShapeCheck, VersionCheck};
use crate::ops::cond::{CmpOp, Cond};
use crate::ops::decode::AnyDecoder;
use crate::ops::Put;
use crate::schema::{Entity, SHAPE_ATTRIBUTE};
use crate::{time, Error};

impl Store {
    /// Reads an item, lets `change` edit it, and writes it back only if
    /// nobody wrote it in between, trying again (up to
    /// [`DEFAULT_MODIFY_ATTEMPTS`] times) when someone did. Every value
    /// derived from the fields is recomputed from the whole item.
    ///
    /// A `#[version]` entity is written conditioned on the version read; any
    /// other on every attribute being as read. Returns the item as written,
    /// or `None` (and writes nothing) when no item has the key.
    ///
    /// # Errors
    ///
    /// [`Error::Conflict`] when every attempt found the item changed; the
    /// errors of [`get`](Store::get) and [`put`](Store::put).
    pub fn modify<E, F>(&self, key: impl Into<Key<E>>, change: F) -> ModifyItem<'_, E, F>
    where
        E: Entity,
        F: FnMut(&mut E) + Send,
    {
        ModifyItem {
            store: self,
            key: key.into(),
            change,
            attempts: DEFAULT_MODIFY_ATTEMPTS,
        }
    }
}

/// How many times [`Store::modify`] reads and writes before giving up, unless
/// [`ModifyItem::attempts`] says otherwise.
pub const DEFAULT_MODIFY_ATTEMPTS: u32 = 16;

/// A read-modify-write about to run; `.await` it. Made by [`Store::modify`].
#[must_use = "a modify does nothing until it is awaited"]
pub struct ModifyItem<'s, E, F> {
    store: &'s Store,
    key: Key<E>,
    change: F,
    attempts: u32,
}

impl<E, F> fmt::Debug for ModifyItem<'_, E, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ModifyItem")
            .field("key", &self.key)
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

impl<E, F> ModifyItem<'_, E, F> {
    /// How many times to read and write before giving up with
    /// [`Error::Conflict`] (at least 1).
    pub fn attempts(mut self, attempts: u32) -> Self {
        self.attempts = attempts.max(1);
        self
    }
}

impl<'s, E, F> IntoFuture for ModifyItem<'s, E, F>
where
    E: Entity,
    F: FnMut(&mut E) + Send + 's,
{
    type Output = Result<Option<E>, Error>;
    type IntoFuture = BoxFuture<'s, Self::Output>;

    fn into_future(mut self) -> Self::IntoFuture {
        Box::pin(async move {
            let key = item_key(self.key.clone())?;
            super::moves::settle_if_moving::<E>(self.store, &key).await?;
            for attempt in 0..self.attempts {
                if attempt > 0 {
                    crate::exec::sleep(Backoff::MODIFY.delay(attempt)).await;
                }
                let read = self.store.get(self.key.clone()).imaged().await?;
                let Some((image, mut item)) = read else {
                    return Ok(None);
                };
                let (mut checks, version) = modify_checks(&item, &image);
                checks.expiry = self.store.expiry::<E>();
                (self.change)(&mut item);
                if item.key() != self.key {
                    return Err(invalid::<E>(
                        "`modify` changed a key field; move an item with `rekey`",
                    ));
                }
                let created_at = time::now_rfc3339();
                let store = self.store;
                let written = with_engine!(&store.backend, b => {
                    let op = super::put::write_item_at(b, &item, created_at, version).map(|w| Put {
                        item: w,
                        if_not_exists: false,
                        entity: &E::SCHEMA,
                        checks,
                        decode: AnyDecoder::of::<Typed<E>>(),
                    })?;
                    let markers = unique_markers(&item)?;
                    put_whole::<_, E>(store, b, op, markers).await
                });
                match written {
                    Ok(()) => {
                        if let Some((_, v)) = version {
                            item.__set_version(v);
                        }
                        return Ok(Some(item));
                    }
                    Err(Error::VersionConflict(_) | Error::ConditionFailed(_)) => continue,
                    Err(e) => return Err(e),
                }
            }
            Err(Error::Conflict {
                table: key.table,
                partition_key: key.partition_key,
                sort_key: key.sort_key,
            })
        })
    }
}

/// What a backfill's write of one item did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rewritten {
    /// Written in the current shape.
    Upgraded,
    /// The item changed (or went) since it was read: nothing written.
    Raced,
    /// The item is in a newer shape than this program's: nothing written.
    Newer,
    /// A key move found the item under its old key *and* its new one, the
    /// old copy written later: an older program wrote it after the item
    /// moved ([`key_move`](crate::schema::key_move)). Both are left as they
    /// are, for the application to merge.
    Diverged,
}

impl Store {
    /// Writes `item`, decoded (and upgraded) from `image`, the item as
    /// stored, in its entity's current shape, conditioned on the stored
    /// item still being `image`: a backfill's write, marked as one.
    pub(crate) async fn rewrite<E: Entity>(
        &self,
        item: E,
        image: &Map<String, Value>,
    ) -> Result<Rewritten, Error> {
        let (mut checks, version) = modify_checks(&item, image);
        checks.expiry = self.expiry::<E>();
        let created_at = time::now_rfc3339();
        let written = with_engine!(&self.backend, b => {
            let op = super::put::backfill_item_at(b, &item, created_at, version).map(|w| Put {
                item: w,
                if_not_exists: false,
                entity: &E::SCHEMA,
                checks,
                decode: AnyDecoder::of::<Typed<E>>(),
            })?;
            // With its markers, which an item of an older shape lacks.
            let markers = unique_markers(&item)?;
            put_whole::<_, E>(self, b, op, markers).await
        });
        match written {
            Ok(()) => Ok(Rewritten::Upgraded),
            Err(Error::VersionConflict(_) | Error::ConditionFailed(_)) => Ok(Rewritten::Raced),
            Err(Error::NewerShape(_)) => Ok(Rewritten::Newer),
            Err(e) => Err(e),
        }
    }
}

/// The markers of `item`'s unique values, when `E` has `#[unique]`
/// fields ([`super::unique`]).
fn unique_markers<E: Entity>(
    item: &E,
) -> Result<Option<Vec<Option<super::unique::Marker>>>, Error> {
    (!E::SCHEMA.unique.is_empty())
        .then(|| super::unique::markers(item))
        .transpose()
}

/// Writes `op`, a put of an `E`: with `markers` when it has unique
/// values.
async fn put_whole<B: Engine, E: Entity>(
    store: &Store,
    backend: &B,
    op: Put<B::Item>,
    markers: Option<Vec<Option<super::unique::Marker>>>,
) -> Result<(), Error> {
    let Some(markers) = markers else {
        return backend.put(op).await;
    };
    let key = op.item.key.clone();
    let action = crate::ops::TxAction::Put(op);
    let after = super::unique::After::Item(markers);
    Box::pin(super::unique::write::<_, E>(
        store, backend, &key, action, after,
    ))
    .await
    .map(|_| ())
}

/// The checks that make a write-back of `item` (read as `image`) safe,
/// and the version it writes: the stored shape no newer than the entity's,
/// and the version read or, without one, every attribute as read.
pub(super) fn modify_checks<E: Entity>(
    item: &E,
    image: &Map<String, Value>,
) -> (Checks, Option<(&'static str, u64)>) {
    let shape = ShapeCheck::whole(&E::SCHEMA);
    if let Some(attribute) = E::SCHEMA.version {
        let expected = item.__version();
        let checks = Checks {
            version: Some(VersionCheck {
                attribute,
                expected,
            }),
            shape,
            ..Checks::default()
        };
        return (checks, Some((attribute, expected + 1)));
    }
    let checks = Checks {
        user: Some(as_read::<E>(image)),
        shape,
        ..Checks::default()
    };
    (checks, None)
}

/// That the item is still as read into `image`: every attribute of every
/// shape as stored (an item of an older shape holds other attributes than
/// it decodes into), the absent ones still absent, and the shape itself.
pub(super) fn as_read<E: Entity>(image: &Map<String, Value>) -> Cond {
    let current = E::SCHEMA.attributes.iter().map(|a| (a.name, a.set, true));
    let older = E::SCHEMA
        .older_shapes()
        .flat_map(|s| s.attributes.iter())
        .map(|name| (*name, None, false));
    let shape_attribute = std::iter::once((SHAPE_ATTRIBUTE, None, true));
    let mut seen = std::collections::HashSet::new();
    let mut cond = Cond::ItemExists(true);
    for (attribute, set, known) in current.chain(older).chain(shape_attribute) {
        if !seen.insert(attribute) {
            continue;
        }
        let name = Cow::Borrowed(attribute);
        let part = match (image.get(attribute), set) {
            // A set equals another whatever the order of its elements.
            (Some(Value::Array(elements)), Some(kind)) => Cond::SetEq(name, kind, elements.clone()),
            // An older shape's list or set, which JSON does not tell apart.
            (Some(Value::Array(elements)), None) if !known => {
                Cond::Size(name, CmpOp::Eq, elements.len() as u64)
            }
            (Some(v), _) => Cond::Cmp(name, CmpOp::Eq, v.clone()),
            (None, _) => Cond::Exists(name, false),
        };
        cond = Cond::And(Box::new(cond), Box::new(part));
    }
    cond
}

//! `Store::put`, `create` and `put_all`: whole items written, checked
//! against DynamoDB's limits first.

use std::collections::HashSet;
use std::fmt;
use std::future::{Future, IntoFuture};
use std::marker::PhantomData;

use super::decode::Typed;
use super::{BoxFuture, Store};
use crate::backend::engine::Engine;
use crate::backend::with_engine;
use crate::limits::check::CheckError;
use crate::ops::check::{Checks, ShapeCheck, VersionCheck};
use crate::ops::cond::Cond;
use crate::ops::decode::AnyDecoder;
use crate::ops::{ItemKey, Put, PutBatch, WriteItem};
use crate::schema::Entity;
use crate::write::{Condition, WriteView};
use crate::{limits, time, Error};

impl Store {
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
        let (mut checks, version) = put_checks(item, if_not_exists);
        checks.expiry = self.expiry::<E>();
        // An entity with `#[unique]` fields writes its markers with it.
        let markers = (!E::SCHEMA.unique.is_empty()).then(|| super::unique::markers(item));
        let make = with_engine!(&self.backend, b => {
            let op = write_item_at(b, item, created_at, version).map(|item| Put {
                item,
                if_not_exists,
                entity: &E::SCHEMA,
                checks: Checks::default(),
                decode: AnyDecoder::of::<Typed<E>>(),
            });
            Box::new(move |checks: Checks| match (op, markers) {
                (Ok(mut op), None) => {
                    op.checks = checks;
                    Box::pin(b.put(op)) as BoxFuture<'_, _>
                }
                (Ok(mut op), Some(markers)) => {
                    op.checks = checks;
                    Box::pin(async move {
                        let after = super::unique::After::Item(markers?);
                        let key = op.item.key.clone();
                        let action = crate::ops::TxAction::Put(op);
                        super::unique::write::<_, E>(self, b, &key, action, after).await?;
                        Ok(())
                    }) as BoxFuture<'_, _>
                }
                (Err(e), _) => Box::pin(std::future::ready(Err(e))) as BoxFuture<'_, _>,
            }) as MakePut<'_>
        });
        // A moving entity's item is moved to its key first.
        let make = match E::__MOVED_FROM {
            None => make,
            Some(_) => {
                let key = item.key();
                Box::new(move |checks: Checks| {
                    Box::pin(async move {
                        let key = super::item_key(key)?;
                        super::moves::settle::<E>(self, &key).await?;
                        make(checks).await
                    }) as BoxFuture<'_, _>
                }) as MakePut<'_>
            }
        };
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
    pub fn put_all<
        's,
        'e,
        E: Entity + crate::__private::BatchWritable + crate::__private::WithoutUnique,
    >(
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
    pub fn put_all_unversioned<'s, 'e, E: Entity + crate::__private::WithoutUnique>(
        &'s self,
        items: impl IntoIterator<Item = &'e E>,
    ) -> impl Future<Output = Result<(), Error>> + Send + 's {
        let now = time::now_rfc3339();
        let expiry = self.expiry::<E>();
        let future = with_engine!(&self.backend, b => {
            let op = batch(b, items, &now, expiry);
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
pub(super) fn put_checks<E: Entity>(
    item: &E,
    create: bool,
) -> (Checks, Option<(&'static str, u64)>) {
    let mut checks = Checks::default();
    if create {
        checks.exists = Some(false);
    } else {
        checks.shape = ShapeCheck::whole(&E::SCHEMA);
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
    checked_item(item, created_at, version, false, |view| B::encode(view))
}

/// [`write_item_at`] of a backfill's rewrite: the item also carries
/// [`BACKFILL_ATTRIBUTE`](crate::schema::shape::BACKFILL_ATTRIBUTE), the
/// time of the write, which tells the change feed that the write was a
/// migration's.
pub(crate) fn backfill_item_at<B: Engine, E: Entity>(
    _backend: &B,
    item: &E,
    created_at: String,
    version: Option<(&'static str, u64)>,
) -> Result<WriteItem<B::Item>, Error> {
    checked_item(item, created_at, version, true, |view| B::encode(view))
}

/// Checks an entity (as written: `None`s left out, `version` in place)
/// against DynamoDB's limits and encodes it with `encode`.
pub(crate) fn checked_item<E: Entity, I>(
    item: &E,
    created_at: String,
    version: Option<(&'static str, u64)>,
    backfill: bool,
    encode: impl FnOnce(&WriteView<'_, E>) -> Result<I, crate::ItemError>,
) -> Result<WriteItem<I>, Error> {
    let (partition_key, sort_key) = item.key().into_parts();
    // Every index key, recomputed from the fields it is made of on every
    // write of the whole item.
    let mut index_keys = Vec::new();
    item.__index_keys(&partition_key, &sort_key, &mut index_keys);
    // The strings in multi-attribute index keys: not empty, not too long.
    let mut strings = Vec::new();
    item.__attribute_key_strings(&mut strings);
    for (attribute, value, hash) in strings {
        crate::limits::check::check_string(attribute, value, hash)?;
    }
    if backfill {
        // Written and measured as an index key is: a string beside the
        // item's own attributes.
        index_keys.push((crate::schema::shape::BACKFILL_ATTRIBUTE, created_at.clone()));
    }
    // Measured without the index keys (which `check_item` counts itself,
    // and which an entity's own fields may not be named), written with them.
    let measured = WriteView {
        item,
        version,
        sets: E::SCHEMA.sets,
        extra: &[],
        shape: (E::SCHEMA.shape > 1).then_some(E::SCHEMA.shape),
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
    let stamps = limits::check::Stamps {
        created_at: &created_at,
        updated_at: &created_at,
    };
    let size = limits::check::check_item(
        &partition_key,
        &sort_key,
        stamps,
        &measured,
        limits::check::IndexKeys::Added(&index_keys),
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
        created_at,
        updated_at: None,
    })
}

/// Checks and encodes every item of a `put_all`, and refuses a key given twice.
fn batch<'e, B: Engine, E: Entity>(
    backend: &B,
    items: impl IntoIterator<Item = &'e E>,
    now: &str,
    expiry: Option<crate::ops::check::Expiry>,
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
        expiry,
    })
}

//! `Store::modify`: read, change in Rust, write back under a condition on
//! what was read, and try again when another writer came between.

use std::borrow::Cow;
use std::fmt;
use std::future::IntoFuture;

use serde_json::Value;

use super::decode::Typed;
use super::update::invalid;
use super::{item_key, BoxFuture, Store};
use crate::backend::engine::Engine;
use crate::backend::with_engine;
use crate::backoff::Backoff;
use crate::key::Key;
use crate::ops::check::{Checks, VersionCheck};
use crate::ops::cond::{CmpOp, Cond};
use crate::ops::decode::AnyDecoder;
use crate::ops::Put;
use crate::schema::Entity;
use crate::write::WriteView;
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
            for attempt in 0..self.attempts {
                if attempt > 0 {
                    crate::exec::sleep(Backoff::MODIFY.delay(attempt)).await;
                }
                let Some(mut item) = self.store.get(self.key.clone()).await? else {
                    return Ok(None);
                };
                let (mut checks, version) = modify_checks(&item)?;
                checks.expiry = self.store.expiry::<E>();
                (self.change)(&mut item);
                if item.key() != self.key {
                    return Err(invalid::<E>(
                        "`modify` changed a key field; move an item with `rekey`",
                    ));
                }
                let created_at = time::now_rfc3339();
                let written = with_engine!(&self.store.backend, b => {
                    let op = super::put::write_item_at(b, &item, created_at, version).map(|w| Put {
                        item: w,
                        if_not_exists: false,
                        entity: &E::SCHEMA,
                        checks,
                        decode: AnyDecoder::of::<Typed<E>>(),
                    });
                    b.put(op?).await
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

/// The checks that make a write-back of `item` (as read) safe, and the
/// version it writes.
#[allow(clippy::type_complexity)]
fn modify_checks<E: Entity>(item: &E) -> Result<(Checks, Option<(&'static str, u64)>), Error> {
    if let Some(attribute) = E::SCHEMA.version {
        let expected = item.__version();
        let checks = Checks {
            version: Some(VersionCheck {
                attribute,
                expected,
            }),
            ..Checks::default()
        };
        return Ok((checks, Some((attribute, expected + 1))));
    }
    // Every attribute as read, and the absent ones still absent.
    let image = serde_json::to_value(WriteView {
        item,
        version: None,
        sets: E::SCHEMA.sets,
        extra: &[],
    })
    .map_err(|e| Error::Serialize {
        entity: E::SCHEMA.name,
        source: crate::ItemError::Encode(Box::new(e)),
    })?;
    let Value::Object(image) = image else {
        return Err(invalid::<E>("the entity does not serialize as a map"));
    };
    let mut cond = Cond::ItemExists(true);
    for attribute in E::SCHEMA.attributes {
        let name = Cow::Borrowed(attribute.name);
        let part = match (image.get(attribute.name), attribute.set) {
            // A set equals another whatever the order of its elements.
            (Some(Value::Array(elements)), Some(kind)) => Cond::SetEq(name, kind, elements.clone()),
            (Some(v), _) => Cond::Cmp(name, CmpOp::Eq, v.clone()),
            (None, _) => Cond::Exists(name, false),
        };
        cond = Cond::And(Box::new(cond), Box::new(part));
    }
    Ok((
        Checks {
            user: Some(cond),
            ..Checks::default()
        },
        None,
    ))
}

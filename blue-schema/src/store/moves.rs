//! Key moves at run time: moving an item from the key its entity had to
//! the key it has now, in one transaction; see
//! [`key_move`](crate::schema::key_move).

use std::sync::Arc;

use serde_json::{Map, Value};

use super::decode::{Stamped, Typed};
use super::modify::{modify_checks, Rewritten};
use super::{old_item_key, BoxFuture, Store};
use crate::backend::engine::Engine;
use crate::backend::with_engine;
use crate::backoff::Backoff;
use crate::error::CancelReason;
use crate::ops::check::Checks;
use crate::ops::decode::AnyDecoder;
use crate::ops::{Delete, Get, ItemKey, Put, TransactWrite, TxAction};
use crate::schema::Entity;
use crate::{time, Error};

/// Attempts at moving an item that other writers keep changing.
const ATTEMPTS: u32 = 16;

/// Moves the item of `E` that `key` names now, if it is still under its
/// old key: what every write by key of a moving entity does first. Does
/// nothing (and reads nothing) for an entity that is not moving.
pub(crate) async fn settle<E: Entity>(store: &Store, key: &ItemKey) -> Result<(), Error> {
    let Some(old) = old_item_key::<E>(key) else {
        return Ok(());
    };
    for attempt in 0..ATTEMPTS {
        if attempt > 0 {
            crate::exec::sleep(Backoff::MODIFY.delay(attempt)).await;
        }
        let get = Get {
            key: old.clone(),
            consistent: true,
        };
        let read = with_engine!(&store.backend, b => b.get::<Stamped<E>>(get).await)?;
        let Some(((image, item), created_at, written_at)) = read else {
            return Ok(());
        };
        if !is_at(&item, key) {
            // The item under the old key moves to another new key.
            return Ok(());
        }
        // An expired item is absent: the TTL deletes it where it is.
        let now = store.expiry::<E>().map(|e| e.now);
        if !crate::ttl::is_live(item.__expiry(), now) {
            return Ok(());
        }
        let stamps = (created_at.as_str(), written_at.as_str());
        match move_item(store, &old, item, &image, stamps).await? {
            // A diverged item stays under both keys; the write goes to the
            // new one, which reads see (the backfill and `check` report
            // the old one).
            Rewritten::Upgraded | Rewritten::Newer | Rewritten::Diverged => return Ok(()),
            Rewritten::Raced => continue,
        }
    }
    Err(Error::Conflict {
        table: old.table,
        partition_key: old.partition_key,
        sort_key: old.sort_key,
    })
}

/// Whether `item` is the item of `key`: an item found under an old key
/// belongs to the new key its fields give, and several new keys can share
/// one old key (a field moved into the key).
pub(crate) fn is_at<E: Entity>(item: &E, key: &ItemKey) -> bool {
    let (partition_key, sort_key) = item.key().into_parts();
    partition_key == key.partition_key && sort_key == key.sort_key
}

/// [`settle`] for an entity that moves, and nothing for one that does not.
/// Boxed: `settle`'s future holds a read and a transaction, about 7 KB, which
/// inline would make every update, delete and modify future as large, and
/// copied when it is boxed.
pub(crate) async fn settle_if_moving<E: Entity>(store: &Store, key: &ItemKey) -> Result<(), Error> {
    if E::__MOVED_FROM.is_none() {
        return Ok(());
    }
    settle_boxed::<E>(store, key).await
}

/// A `settle::<E>` as a function pointer, for a transaction that holds
/// actions of several entities.
pub(crate) type Settle = for<'a> fn(&'a Store, &'a ItemKey) -> BoxFuture<'a, Result<(), Error>>;

/// [`settle`] boxed.
pub(crate) fn settle_boxed<'a, E: Entity>(
    store: &'a Store,
    key: &'a ItemKey,
) -> BoxFuture<'a, Result<(), Error>> {
    Box::pin(settle::<E>(store, key))
}

/// Moves `item`, read under `old` as `image` (created and last written at
/// `stamps`), to its key: one transaction that creates it there, in the
/// current shape with its index keys recomputed and marked as a
/// migration's write, and deletes it under `old` on condition that it is
/// still as read. When an item already has the new key, the one written
/// last wins: the old copy is deleted (on the same condition) unless it
/// was written after the new one, which an older program did after the
/// move (`Diverged`: both stay).
///
/// `Upgraded`: moved (or the old one deleted); `Raced`: the old item
/// changed or went since it was read.
pub(crate) async fn move_item<E: Entity>(
    store: &Store,
    old: &ItemKey,
    item: E,
    image: &Map<String, Value>,
    stamps: (&str, &str),
) -> Result<Rewritten, Error> {
    let (created_at, written_at) = stamps;
    let (mut checks, _) = modify_checks(&item, image);
    checks.expiry = store.expiry::<E>();
    let delete = Delete {
        key: old.clone(),
        return_old: false,
        checks,
        decode: Some(AnyDecoder::of::<Typed<E>>()),
    };
    // The item keeps its version and its creation time: a move is not a
    // change of the item.
    let version = E::SCHEMA.version.map(|a| (a, item.__version()));
    let now = time::now_rfc3339();
    let moved = with_engine!(&store.backend, b => {
        let mut written = super::put::backfill_item_at(b, &item, now, version)?;
        if !created_at.is_empty() {
            // The write's time stays its `updated_at`.
            let written_at = std::mem::replace(&mut written.created_at, created_at.to_owned());
            written.updated_at.get_or_insert(written_at);
        }
        let put = Put {
            item: written,
            if_not_exists: true,
            entity: &E::SCHEMA,
            checks: Checks {
                exists: Some(false),
                expiry: store.expiry::<E>(),
                ..Checks::default()
            },
            decode: AnyDecoder::of::<Typed<E>>(),
        };
        let op = TransactWrite {
            actions: Arc::new(vec![TxAction::Put(put), TxAction::Delete(delete.clone())]),
            token: None,
        };
        b.transact_write(op).await
    });
    let canceled = match moved {
        Ok(()) => return Ok(Rewritten::Upgraded),
        Err(Error::TransactionCanceled(canceled)) => canceled,
        Err(e) => return Err(e),
    };
    match (canceled.reasons.first(), canceled.reasons.get(1)) {
        // The new key is taken: the copy written last wins.
        (Some(CancelReason::AlreadyExists), Some(CancelReason::None) | None) => {
            let get = Get {
                key: super::item_key(item.key())?,
                consistent: true,
            };
            let current = with_engine!(&store.backend, b => {
                b.get::<super::decode::Records<E>>(get).await
            })?;
            let new_written = current.as_ref().map_or("", |r| r.updated_at.as_str());
            if !written_at.is_empty() && written_at > new_written {
                return Ok(Rewritten::Diverged);
            }
            let deleted = with_engine!(&store.backend, b => {
                b.delete::<super::decode::Raw>(delete).await
            });
            match deleted {
                Ok(_) => Ok(Rewritten::Upgraded),
                Err(Error::ConditionFailed(_) | Error::VersionConflict(_)) => Ok(Rewritten::Raced),
                Err(Error::NewerShape(_)) => Ok(Rewritten::Newer),
                Err(e) => Err(e),
            }
        }
        (
            _,
            Some(
                CancelReason::ConditionFailed(_)
                | CancelReason::VersionConflict(_)
                | CancelReason::Conflict,
            ),
        ) => Ok(Rewritten::Raced),
        (_, Some(CancelReason::Shape(_))) => Ok(Rewritten::Newer),
        (Some(CancelReason::Conflict), _) => Ok(Rewritten::Raced),
        _ => Err(Error::TransactionCanceled(canceled)),
    }
}

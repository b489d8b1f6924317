//! Writes of entities with `#[unique]` fields ([`crate::schema::unique`]):
//! the item and its markers in one transaction, conditioned on the item as
//! it was read, and tried again when another writer came between.
//!
//! One attempt reads the item (consistently), works out which markers the
//! write claims (the new values: each created unless another item holds
//! it, or rewritten when this one does) and which it releases (old values
//! the write drops: each deleted unless another item holds it), and
//! commits the write with them, the write conditioned on the item being
//! as read. Both backends run the same transaction, so a value is never
//! held twice on either: two writers racing for it both condition their
//! marker on its absence, and one of the two transactions is refused.

mod marker;
mod tx;

use std::sync::Arc;

use serde_json::{Map, Value};

use super::decode::Typed;
use super::Store;
use crate::backend::engine::Engine;
use crate::backoff::Backoff;
use crate::error::CancelReason;
use crate::key::Key;
use crate::ops::check::Checks;
use crate::ops::cond::Cond;
use crate::ops::{Delete, ItemKey, TransactWrite, TxAction};
use crate::schema::Entity;
use crate::Error;

pub(crate) use marker::{claim, markers, release, taken, Marker};
pub(crate) use tx::{TxAfter, TxUnique, UniqueTx};

/// How many times a write of a unique entity reads and commits before
/// giving up with [`Error::Conflict`] (as [`Store::modify`]).
const ATTEMPTS: u32 = super::modify::DEFAULT_MODIFY_ATTEMPTS;

/// How the values an item holds after the write are known.
pub(crate) enum After<E> {
    /// A put or create: the markers of the item written.
    Item(Vec<Option<Marker>>),
    /// A delete: none.
    Gone,
    /// An update: the item as read with `actions` applied (DynamoDB's
    /// rules, [`crate::ops::apply`]), decoded; `create` holds the key
    /// fields' attributes of an update that may create the item.
    Update {
        actions: Vec<crate::ops::action::Action>,
        create: Option<Vec<(&'static str, Value)>>,
        _entity: std::marker::PhantomData<fn() -> E>,
    },
}

/// The item before and after a write that succeeded.
pub(crate) struct Written<E> {
    pub(crate) old: Option<E>,
    /// The item an update left.
    pub(crate) new: Option<E>,
}

/// Writes `primary` (a put, update or delete of the `E` with key `key`,
/// with its own checks) with the markers it claims and releases, as the
/// module documentation says.
pub(crate) async fn write<B: Engine, E: Entity>(
    store: &Store,
    backend: &B,
    key: &ItemKey,
    primary: TxAction<B::Item>,
    after: After<E>,
) -> Result<Written<E>, Error> {
    let constraints = E::SCHEMA.unique.len();
    // Old values whose marker another item holds: not released.
    let mut foreign = vec![false; constraints];
    for attempt in 0..ATTEMPTS {
        if attempt > 0 {
            crate::exec::sleep(Backoff::MODIFY.delay(attempt)).await;
        }
        let read = read_image::<E>(store, key).await?;
        let old = match &read {
            Some((_, item)) => markers(item)?,
            None => vec![None; constraints],
        };
        let mut updated = None;
        let new = match &after {
            After::Item(markers) => markers.clone(),
            After::Gone => vec![None; constraints],
            After::Update {
                actions, create, ..
            } => {
                match updated_item::<E>(
                    key,
                    read.as_ref().map(|(image, _)| image),
                    actions,
                    create,
                )? {
                    Some(item) => {
                        let new = markers(&item)?;
                        updated = Some(item);
                        new
                    }
                    // No item to update, or one the update cannot apply to:
                    // the update fails in the transaction, with its own error.
                    None => old.clone(),
                }
            }
        };
        let mut first = primary.clone();
        let as_read = match &read {
            Some((image, _)) => super::modify::as_read::<E>(image),
            None => Cond::ItemExists(false),
        };
        Cond::and_into(&mut checks_of(&mut first).user, as_read);
        let now = crate::time::now_rfc3339();
        let mut actions = vec![first];
        // What each marker action is: (constraint, claim or release).
        let mut roles = Vec::new();
        for (i, (old, new)) in old.iter().zip(&new).enumerate() {
            if let Some(marker) = new {
                actions.push(claim::<B>(marker, key, &[], &now)?);
                roles.push((i, true));
            }
            let released = match (old, new) {
                (Some(o), Some(n)) => o.key != n.key,
                (Some(_), None) => true,
                (None, _) => false,
            };
            if released && !foreign[i] {
                let marker = old.as_ref().expect("released: it was held");
                actions.push(release::<B>(marker, key));
                roles.push((i, false));
            }
        }
        let op = TransactWrite {
            actions: Arc::new(actions),
            token: None,
        };
        let canceled = match backend.transact_write(op).await {
            Ok(()) => {
                return Ok(Written {
                    old: read.map(|(_, item)| item),
                    new: updated,
                })
            }
            Err(Error::TransactionCanceled(canceled)) => canceled,
            Err(e) => return Err(e),
        };
        let mut reasons = canceled.reasons.into_iter();
        let reason = reasons.next().unwrap_or(CancelReason::None);
        if reason.is_retryable() {
            continue;
        }
        if reason.is_failure() {
            // The write's own checks failed, or the item changed since it
            // was read: read again to tell which. The write's own failure
            // comes first: it would fail whoever held its values.
            let again = read_image::<E>(store, key).await?;
            let unchanged = match (&read, &again) {
                (Some((a, _)), Some((b, _))) => a == b,
                (None, None) => true,
                _ => false,
            };
            if unchanged {
                return Err(own_error::<E>(reason, key));
            }
            continue;
        }
        for ((i, claims), marker_reason) in roles.into_iter().zip(reasons) {
            match marker_reason {
                CancelReason::ConditionFailed(failed) if claims => {
                    let marker = new[i].as_ref().expect("claimed: it is held");
                    let holder = failed
                        .into_current::<(String, String)>()
                        .unwrap_or_default();
                    return Err(taken::<E>(marker, key, holder));
                }
                // Another item holds the marker of this item's old value:
                // the write leaves it.
                CancelReason::ConditionFailed(_) => foreign[i] = true,
                _ => {}
            }
        }
    }
    Err(Error::Conflict {
        table: key.table,
        partition_key: key.partition_key.clone(),
        sort_key: key.sort_key.clone(),
    })
}

/// A delete of an `E` with its markers; the item it deleted.
pub(crate) async fn delete<E: Entity>(store: &Store, mut op: Delete) -> Result<Option<E>, Error> {
    op.return_old = false;
    let key = op.key.clone();
    let written = crate::backend::with_engine!(&store.backend, b => {
        write::<_, E>(store, b, &key, TxAction::Delete(op), After::Gone).await
    })?;
    Ok(written.old)
}

/// An update of an `E` that sets or removes a unique field, with its
/// markers; the item before and after.
pub(crate) async fn update<E: Entity>(
    store: &Store,
    op: crate::ops::UpdateOp,
) -> Result<Written<E>, Error> {
    let key = op.key.clone();
    let after = After::Update {
        actions: op.actions.clone(),
        create: op.create.clone(),
        _entity: std::marker::PhantomData,
    };
    crate::backend::with_engine!(&store.backend, b => {
        write::<_, E>(store, b, &key, TxAction::Update(op), after).await
    })
}

/// Whether an update changes a unique field of `E` (or may create an item
/// that holds one).
pub(crate) fn touches<E: Entity>(op: &crate::ops::UpdateOp) -> bool {
    op.create.is_some()
        || op.actions.iter().any(|a| {
            E::SCHEMA
                .unique
                .iter()
                .any(|u| u.attributes.contains(&a.name()))
        })
}

/// The item with key `key` as stored and decoded, read consistently.
async fn read_image<E: Entity>(
    store: &Store,
    key: &ItemKey,
) -> Result<Option<super::decode::ImagedItem<E>>, Error> {
    let key = Key::<E>::from_encoded(key.partition_key.clone(), key.sort_key.clone());
    store.get(key).imaged().await
}

/// The item an update leaves: `read` with `actions` applied (or, when
/// there is none and the update creates, the key fields with `actions`
/// applied), decoded. `Ok(None)` when the update finds no item or cannot
/// apply its actions: the transaction then fails with the update's own
/// error.
///
/// # Errors
///
/// [`Error::InvalidUpdate`] when the item it leaves does not decode: its
/// unique values could not be known.
fn updated_item<E: Entity>(
    key: &ItemKey,
    image: Option<&Map<String, Value>>,
    actions: &[crate::ops::action::Action],
    create: &Option<Vec<(&'static str, Value)>>,
) -> Result<Option<E>, Error> {
    let mut item: Map<String, Value> = match (image, create) {
        (Some(image), _) => image.clone(),
        (None, Some(fields)) => fields
            .iter()
            .map(|(name, value)| ((*name).to_owned(), value.clone()))
            .collect(),
        (None, None) => return Ok(None),
    };
    if crate::ops::apply::apply(actions, &mut item).is_err() {
        return Ok(None);
    }
    <Typed<E> as crate::ops::decode::Decoder>::decode(key.stored(), Value::Object(item))
        .map(Some)
        .map_err(|e| Error::InvalidUpdate {
            entity: E::SCHEMA.name,
            message: format!(
                "the update would leave an item that does not decode ({e}), so its unique \
                 values cannot be known; nothing was written"
            ),
        })
}

/// The checks of a transaction's action.
fn checks_of<I>(action: &mut TxAction<I>) -> &mut Checks {
    match action {
        TxAction::Put(p) => &mut p.checks,
        TxAction::Update(u) => &mut u.checks,
        TxAction::Delete(d) => &mut d.checks,
        TxAction::Check(c) => &mut c.checks,
    }
}

/// The error a lone write gives for the reason its own checks failed in
/// the transaction.
fn own_error<E: Entity>(reason: CancelReason, key: &ItemKey) -> Error {
    let (table, partition_key, sort_key) =
        (key.table, key.partition_key.clone(), key.sort_key.clone());
    match reason {
        CancelReason::AlreadyExists => Error::AlreadyExists {
            table,
            partition_key,
            sort_key,
        },
        CancelReason::NotFound => Error::NotFound {
            table,
            partition_key,
            sort_key,
        },
        CancelReason::ConditionFailed(c) => Error::ConditionFailed(Box::new(c)),
        CancelReason::VersionConflict(c) => Error::VersionConflict(Box::new(c)),
        CancelReason::Overflow { attribute } => Error::Overflow {
            table,
            partition_key,
            sort_key,
            attribute,
        },
        CancelReason::ItemTooLarge => Error::Limit(crate::limits::LimitError::ItemTooLarge {
            bytes: crate::limits::MAX_ITEM_BYTES + 1,
        }),
        CancelReason::Shape(mismatch) => {
            if mismatch.stored > u64::from(mismatch.writer) {
                Error::NewerShape(Box::new(mismatch))
            } else {
                Error::OlderShape(Box::new(mismatch))
            }
        }
        CancelReason::Validation(message) => Error::InvalidUpdate {
            entity: E::SCHEMA.name,
            message,
        },
        other => Error::backend("store", format!("a unique write was refused: {other}")),
    }
}

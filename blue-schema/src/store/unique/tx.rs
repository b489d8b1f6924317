//! Transactions that write entities with `#[unique]` fields: at commit,
//! each such action is conditioned on its item as read then, and the
//! markers its values claim and release join the transaction after the
//! caller's actions (whose indexes stay the caller's).

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::marker::{claim, markers, release, taken, Marker};
use super::{checks_of, read_image, updated_item};
use crate::backend::engine::Engine;
use crate::error::{CancelReason, TransactionCanceled};
use crate::ops::action::Action;
use crate::ops::cond::Cond;
use crate::ops::{ItemKey, TxAction};
use crate::schema::Entity;
use crate::store::{BoxFuture, Store};
use crate::Error;

/// What a transaction's action of an entity with `#[unique]` fields leaves.
#[derive(Debug, Clone)]
pub(crate) enum TxAfter {
    /// A put or create: the markers of the item written.
    Item(Vec<Option<Marker>>),
    /// A delete.
    Gone,
    /// An update: its actions, and the key fields of one that may create.
    Update {
        actions: Vec<Action>,
        create: Option<Vec<(&'static str, Value)>>,
    },
}

/// An item as a commit read it.
struct Read {
    image: Map<String, Value>,
    /// That it is still as read.
    as_read: Cond,
    markers: Vec<Option<Marker>>,
}

type ReadFn = for<'a> fn(&'a Store, &'a ItemKey) -> BoxFuture<'a, Result<Option<Read>, Error>>;
type UpdatedFn = fn(
    &ItemKey,
    Option<&Map<String, Value>>,
    &[Action],
    &Option<Vec<(&'static str, Value)>>,
) -> Option<Result<Vec<Option<Marker>>, Error>>;
type TakenFn = fn(&Marker, &ItemKey, (String, String)) -> Error;

/// A transaction's action of an entity with `#[unique]` fields: what its
/// commit needs to add the action's markers.
pub(crate) struct TxUnique {
    /// The action's index among the caller's.
    index: usize,
    key: ItemKey,
    after: TxAfter,
    /// How many constraints the entity has.
    constraints: usize,
    read: ReadFn,
    updated: UpdatedFn,
    taken: TakenFn,
}

impl std::fmt::Debug for TxUnique {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TxUnique")
            .field("index", &self.index)
            .field("key", &self.key)
            .field("after", &self.after)
            .finish_non_exhaustive()
    }
}

impl TxUnique {
    /// Action `index` of an `E` with key `key`, which leaves `after`.
    pub(crate) fn of<E: Entity>(index: usize, key: ItemKey, after: TxAfter) -> TxUnique {
        TxUnique {
            index,
            key,
            after,
            constraints: E::SCHEMA.unique.len(),
            read: read_of::<E>,
            updated: updated_of::<E>,
            taken: taken::<E>,
        }
    }
}

fn read_of<'a, E: Entity>(
    store: &'a Store,
    key: &'a ItemKey,
) -> BoxFuture<'a, Result<Option<Read>, Error>> {
    Box::pin(async move {
        let Some((image, item)) = read_image::<E>(store, key).await? else {
            return Ok(None);
        };
        Ok(Some(Read {
            as_read: crate::store::modify::as_read::<E>(&image),
            markers: markers(&item)?,
            image,
        }))
    })
}

fn updated_of<E: Entity>(
    key: &ItemKey,
    image: Option<&Map<String, Value>>,
    actions: &[Action],
    create: &Option<Vec<(&'static str, Value)>>,
) -> Option<Result<Vec<Option<Marker>>, Error>> {
    updated_item::<E>(key, image, actions, create)
        .transpose()
        .map(|item| item.and_then(|item| markers(&item)))
}

/// What a transaction with unique entities remembers between commits.
#[derive(Default)]
pub(crate) struct UniqueTx {
    /// The actions of unique entities.
    pub(crate) actions: Vec<TxUnique>,
    /// Old values whose marker another item holds: not released.
    foreign: HashSet<String>,
    /// With a token: the transaction the first commit built (a
    /// `Prepared<I>`), which a commit again sends unchanged, as its token
    /// requires.
    sent: Option<Box<dyn std::any::Any + Send + Sync>>,
}

/// One marker action a commit added: whether it claims, its marker, and
/// the unique action it is for.
struct Role {
    claims: bool,
    marker: Marker,
    owner: usize,
}

/// The caller's actions with the markers of their unique entities added,
/// and what each added action is.
struct Prepared<I> {
    actions: std::sync::Arc<Vec<TxAction<I>>>,
    roles: std::sync::Arc<Vec<Role>>,
    images: std::sync::Arc<Vec<Option<Map<String, Value>>>>,
}

impl<I> Clone for Prepared<I> {
    fn clone(&self) -> Self {
        Prepared {
            actions: self.actions.clone(),
            roles: self.roles.clone(),
            images: self.images.clone(),
        }
    }
}

impl std::fmt::Debug for UniqueTx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UniqueTx")
            .field("actions", &self.actions)
            .field("sent", &self.sent.is_some())
            .finish_non_exhaustive()
    }
}

impl UniqueTx {
    /// Reads the items of the unique actions of `user` and adds their
    /// markers.
    async fn prepare<B: Engine>(
        &self,
        store: &Store,
        user: &[TxAction<B::Item>],
    ) -> Result<Prepared<B::Item>, Error> {
        let mut actions = user.to_vec();
        let mut images = Vec::with_capacity(self.actions.len());
        // Each marker the transaction touches, in order: (marker, claimed
        // by, released by), by unique action.
        let mut plan: Vec<(Marker, Option<usize>, Option<usize>)> = Vec::new();
        for (u, unique) in self.actions.iter().enumerate() {
            let read = (unique.read)(store, &unique.key).await?;
            let as_read = read
                .as_ref()
                .map_or(Cond::ItemExists(false), |r| r.as_read.clone());
            Cond::and_into(&mut checks_of(&mut actions[unique.index]).user, as_read);
            let old = read
                .as_ref()
                .map_or_else(|| vec![None; unique.constraints], |r| r.markers.clone());
            let new = match &unique.after {
                TxAfter::Item(markers) => markers.clone(),
                TxAfter::Gone => vec![None; unique.constraints],
                TxAfter::Update { actions, create } => {
                    let image = read.as_ref().map(|r| &r.image);
                    match (unique.updated)(&unique.key, image, actions, create) {
                        Some(new) => new?,
                        None => old.clone(),
                    }
                }
            };
            images.push(read.map(|r| r.image));
            for (old, new) in old.into_iter().zip(new) {
                if let Some(marker) = &new {
                    match plan.iter_mut().find(|(m, ..)| m.key == marker.key) {
                        Some((_, Some(other), _)) => {
                            let holder = &self.actions[*other].key;
                            let holder = (holder.partition_key.clone(), holder.sort_key.clone());
                            return Err((unique.taken)(marker, &unique.key, holder));
                        }
                        Some((_, claimer, _)) => *claimer = Some(u),
                        None => plan.push((marker.clone(), Some(u), None)),
                    }
                }
                let Some(old) = old else { continue };
                if new.as_ref().is_some_and(|n| n.key == old.key)
                    || self.foreign.contains(&old.key.partition_key)
                {
                    continue;
                }
                match plan.iter_mut().find(|(m, ..)| m.key == old.key) {
                    Some((_, _, releaser)) => *releaser = Some(u),
                    None => plan.push((old, None, Some(u))),
                }
            }
        }
        let now = crate::time::now_rfc3339();
        let mut roles = Vec::with_capacity(plan.len());
        for (marker, claimer, releaser) in plan {
            let role = match (claimer, releaser) {
                (Some(c), r) => {
                    // Claimed from the item that releases it here.
                    let from: Vec<&ItemKey> = r.map(|r| &self.actions[r].key).into_iter().collect();
                    actions.push(claim::<B>(&marker, &self.actions[c].key, &from, &now)?);
                    Role {
                        claims: true,
                        marker,
                        owner: c,
                    }
                }
                (None, Some(r)) => {
                    actions.push(release::<B>(&marker, &self.actions[r].key));
                    Role {
                        claims: false,
                        marker,
                        owner: r,
                    }
                }
                (None, None) => continue,
            };
            roles.push(role);
        }
        Ok(Prepared {
            actions: std::sync::Arc::new(actions),
            roles: std::sync::Arc::new(roles),
            images: std::sync::Arc::new(images),
        })
    }

    /// Commits `user` with the markers of its unique actions; tries again
    /// (without a token) when an item changed between its read and the
    /// commit, or a marker it would release turns out to be another's.
    pub(crate) async fn commit<B: Engine>(
        &mut self,
        store: &Store,
        backend: &B,
        user: &[TxAction<B::Item>],
        token: Option<(String, String)>,
    ) -> Result<(), Error> {
        let attempts = if token.is_some() { 1 } else { super::ATTEMPTS };
        let mut last = None;
        for attempt in 0..attempts {
            if attempt > 0 {
                crate::exec::sleep(crate::backoff::Backoff::MODIFY.delay(attempt)).await;
            }
            let sent = self
                .sent
                .as_ref()
                .and_then(|p| p.downcast_ref::<Prepared<B::Item>>())
                .cloned();
            let prepared = match sent {
                Some(prepared) => prepared,
                None => self.prepare::<B>(store, user).await?,
            };
            if token.is_some() && self.sent.is_none() {
                self.sent = Some(Box::new(prepared.clone()));
            }
            if prepared.actions.len() > crate::limits::MAX_TRANSACTION_ACTIONS {
                return Err(Error::InvalidTransaction {
                    message: format!(
                        "with the markers of its unique values the transaction holds {} actions; \
                         DynamoDB takes at most {}",
                        prepared.actions.len(),
                        crate::limits::MAX_TRANSACTION_ACTIONS
                    ),
                });
            }
            let op = crate::ops::TransactWrite {
                actions: prepared.actions.clone(),
                token: token.clone(),
            };
            let canceled = match backend.transact_write(op).await {
                Ok(()) => return Ok(()),
                Err(Error::TransactionCanceled(canceled)) => canceled,
                Err(e) => return Err(e),
            };
            let TransactionCanceled { reasons, keys } = *canceled;
            let mut reasons = reasons;
            let marker_reasons = reasons.split_off(user.len().min(reasons.len()));
            let mut keys = keys;
            keys.truncate(user.len());
            let mut again = reasons
                .iter()
                .chain(&marker_reasons)
                .any(CancelReason::is_retryable);
            if !again && reasons.iter().any(CancelReason::is_failure) {
                // An item changed since it was read (its condition failed
                // for that), or the caller's own checks failed, which come
                // first: the transaction would fail whoever held its values.
                for (unique, image) in self.actions.iter().zip(prepared.images.iter()) {
                    let now = (unique.read)(store, &unique.key).await?;
                    if now.map(|r| r.image).as_ref() != image.as_ref() {
                        again = true;
                        break;
                    }
                }
                if !again {
                    return Err(Error::TransactionCanceled(Box::new(TransactionCanceled {
                        reasons,
                        keys,
                    })));
                }
            }
            if !again {
                for (role, reason) in prepared.roles.iter().zip(marker_reasons) {
                    match reason {
                        CancelReason::ConditionFailed(failed) if role.claims => {
                            let unique = &self.actions[role.owner];
                            let holder = failed
                                .into_current::<(String, String)>()
                                .unwrap_or_default();
                            return Err((unique.taken)(&role.marker, &unique.key, holder));
                        }
                        CancelReason::ConditionFailed(_) => {
                            self.foreign.insert(role.marker.key.partition_key.clone());
                            again = true;
                        }
                        _ => {}
                    }
                }
            }
            last = Some(Error::TransactionCanceled(Box::new(TransactionCanceled {
                reasons,
                keys,
            })));
            if !again {
                break;
            }
        }
        Err(last.expect("at least one attempt"))
    }
}

//! Reading several items by key: a batch, or a transaction (one snapshot).

use std::future::Future;

use super::decode::Typed;
use super::{item_key, Store};
use crate::backend::engine::Engine;
use crate::backend::with_engine;
use crate::error::AnyItem;
use crate::key::Key;
use crate::limits::MAX_TRANSACTION_ACTIONS;
use crate::ops::{GetMany, ItemKey};
use crate::schema::Entity;
use crate::write::WriteView;
use crate::Error;

impl Store {
    /// Reads many items of one entity by key: the results in the order of
    /// `keys` (`None` for a missing item; a key given twice is read once and
    /// returned twice). On DynamoDB: `BatchGetItem` requests of 100 keys,
    /// unprocessed keys retried with backoff and full jitter, results kept
    /// across retries. Reads are strongly consistent.
    ///
    /// # Errors
    ///
    /// [`Error::Incomplete`] with the keys that stayed unprocessed;
    /// [`Error::Decode`] and the errors of [`get`](Store::get).
    pub fn get_many<E: Entity>(
        &self,
        keys: impl IntoIterator<Item = Key<E>>,
    ) -> impl Future<Output = Result<Vec<Option<E>>, Error>> + Send + '_ {
        self.read_many(keys, false)
    }

    /// Reads up to 100 items of one entity as one snapshot (DynamoDB's
    /// `TransactGetItems`; one read transaction on SQLite), in the order of
    /// `keys`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidTransaction`] for more than 100 keys or a key given
    /// twice (nothing read); the errors of [`get`](Store::get).
    pub fn transact_get<E: Entity>(
        &self,
        keys: impl IntoIterator<Item = Key<E>>,
    ) -> impl Future<Output = Result<Vec<Option<E>>, Error>> + Send + '_ {
        self.read_many(keys, true)
    }

    fn read_many<E: Entity>(
        &self,
        keys: impl IntoIterator<Item = Key<E>>,
        transactional: bool,
    ) -> impl Future<Output = Result<Vec<Option<E>>, Error>> + Send + '_ {
        let keys: Result<Vec<ItemKey>, Error> = keys.into_iter().map(item_key).collect();
        async move {
            let keys = keys?;
            // The first place of each key (a key given again maps to it),
            // or `None` when no key repeats (the common case: the keys are
            // then read as given); a read transaction names each item once.
            let first = first_places(&keys);
            if let (true, Some(first)) = (transactional, &first) {
                if let Some(again) = (0..keys.len()).find(|&i| first[i] != i) {
                    let key = &keys[again];
                    return Err(Error::InvalidTransaction {
                        message: format!(
                            "a read transaction names item {} | {} twice",
                            key.partition_key, key.sort_key
                        ),
                    });
                }
            }
            // The distinct keys, moved, in the order first given; each
            // key's slot among them (only when some key repeats).
            let (mut distinct, slot_of) = match first {
                None => (keys, None),
                Some(first) => {
                    let mut slot_of = vec![0; keys.len()];
                    let mut distinct: Vec<ItemKey> = Vec::with_capacity(keys.len());
                    for (i, key) in keys.into_iter().enumerate() {
                        if first[i] == i {
                            slot_of[i] = distinct.len();
                            distinct.push(key);
                        } else {
                            slot_of[i] = slot_of[first[i]];
                        }
                    }
                    (distinct, Some(slot_of))
                }
            };
            // A moving entity's items may still be under their old keys:
            // those are read too (in the same snapshot, for a transaction).
            // Several new keys can share an old key: each is read once.
            let wanted = distinct.len();
            let mut old: Vec<Option<usize>> = Vec::new();
            if E::__MOVED_FROM.is_some() {
                let mut index: std::collections::HashMap<ItemKey, usize> = distinct
                    .iter()
                    .cloned()
                    .enumerate()
                    .map(|(i, key)| (key, i))
                    .collect();
                for i in 0..wanted {
                    let slot = super::old_item_key::<E>(&distinct[i]).map(|key| {
                        *index.entry(key.clone()).or_insert_with(|| {
                            distinct.push(key);
                            distinct.len() - 1
                        })
                    });
                    old.push(slot);
                }
            }
            let wanted_keys = distinct[..old.len()].to_vec();
            if transactional && distinct.len() > MAX_TRANSACTION_ACTIONS {
                return Err(Error::InvalidTransaction {
                    message: format!(
                        "a read transaction reads at most {MAX_TRANSACTION_ACTIONS} items, not {}{}",
                        distinct.len(),
                        if wanted < distinct.len() {
                            " (the entity's key is moving: each key is read under its old key too)"
                        } else {
                            ""
                        }
                    ),
                });
            }
            if distinct.is_empty() {
                return Ok(Vec::new());
            }
            let op = GetMany {
                keys: distinct,
                transactional,
            };
            let now = self.expiry::<E>().map(|e| e.now);
            let mut found = with_engine!(&self.backend, b => b.get_many::<Typed<E>>(op).await)?;
            if now.is_some() {
                // Expired items read as missing ([`crate::ttl`]).
                for item in &mut found {
                    if item
                        .as_ref()
                        .is_some_and(|item| !crate::ttl::is_live(item.__expiry(), now))
                    {
                        *item = None;
                    }
                }
            }
            for (slot, old) in old.into_iter().enumerate() {
                if let (None, Some(old)) = (&found[slot], old) {
                    // Only an item whose new key is this one.
                    if found[old]
                        .as_ref()
                        .is_some_and(|item| super::moves::is_at(item, &wanted_keys[slot]))
                    {
                        found[slot] = found[old].take();
                    }
                }
            }
            found.truncate(wanted);
            let Some(slot_of) = slot_of else {
                return Ok(found);
            };
            // Each slot is moved out on its key's last use; earlier uses of
            // a repeated key get a copy.
            let mut last_use = vec![0; found.len()];
            for (i, &slot) in slot_of.iter().enumerate() {
                last_use[slot] = i;
            }
            Ok(slot_of
                .iter()
                .enumerate()
                .map(|(i, &slot)| {
                    if last_use[slot] == i {
                        found[slot].take()
                    } else {
                        found[slot].as_ref().map(copy_of)
                    }
                })
                .collect())
        }
    }
}

/// For each key, the position where it is first given: its own, or an
/// earlier one's when it repeats it; `None` when no key repeats. Found by
/// sorting the positions (no hashing, no copies of the keys; a stable sort
/// keeps the first of equal keys first), in [`ItemKey::search_order`].
fn first_places(keys: &[ItemKey]) -> Option<Vec<usize>> {
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.sort_by_key(|&i| keys[i].search_order());
    let mut first: Option<Vec<usize>> = None;
    for pair in order.windows(2) {
        if keys[pair[0]].search_order() == keys[pair[1]].search_order() {
            let first = first.get_or_insert_with(|| (0..keys.len()).collect());
            first[pair[1]] = first[pair[0]];
        }
    }
    first
}

/// A copy of an entity, through its own encoding: entities need not be
/// `Clone`, and only a key the caller gave twice needs one.
fn copy_of<E: Entity>(item: &E) -> E {
    serde_json::to_value(WriteView {
        item,
        version: None,
        sets: E::SCHEMA.sets,
        extra: &[],
        shape: None,
    })
    .and_then(serde_json::from_value)
    .expect("an entity decodes from its own encoding")
}

pub(super) fn downcast<E: 'static>(item: AnyItem) -> E {
    *item
        .downcast::<E>()
        .expect("a backend decodes with the decoder it was given")
}

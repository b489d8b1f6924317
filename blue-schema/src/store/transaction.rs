//! Write transactions: actions added one by one, checked against
//! DynamoDB's rules for transactions, then committed all or nothing.

use std::collections::HashSet;
use std::fmt;

use serde_json::Value;
use sha2::Digest;

use super::decode::{Attributes, Typed};
use super::delete::delete_op;
use super::update::{invalid, update_op};
use super::{item_key, Store};
use crate::backend::engine::Engine;
use crate::backend::with_engine;
use crate::key::Key;
use crate::limits::{MAX_TRANSACTION_ACTIONS, MAX_TRANSACTION_BYTES};
use crate::ops::action::{Action, Returning};
use crate::ops::check::Checks;
use crate::ops::cond::Cond;
use crate::ops::decode::AnyDecoder;
use crate::ops::{Check, ItemKey, Put, TransactWrite, TxAction, WriteItem};
use crate::schema::Entity;
use crate::write::{Condition, MapWithSets, Update};
use crate::{time, Error};

impl Store {
    /// Starts a write transaction: creates, puts, updates, deletes and
    /// condition checks, all applied or none. See [`Transaction`].
    pub fn transaction(&self) -> Transaction<'_> {
        Transaction {
            store: self,
            actions: Vec::new(),
            error: None,
            token: None,
            single_partition: false,
        }
    }

    /// Moves an item to another key: deletes the item at `from` (which must
    /// exist) and creates `to` (whose key must be free), in one transaction.
    ///
    /// # Errors
    ///
    /// [`Error::TransactionCanceled`] (reason 0: no item at `from`; reason 1:
    /// an item at `to`'s key), and the errors of [`Transaction::commit`].
    pub async fn rekey<E: Entity>(&self, from: impl Into<Key<E>>, to: &E) -> Result<(), Error> {
        let mut tx = self.transaction();
        tx.delete_when(from, Condition::exists());
        tx.create(to);
        tx.commit().await
    }
}

/// A write transaction being assembled: add actions, then
/// [`commit`](Transaction::commit). Every action's checks are evaluated
/// against the items as they were before the transaction; if any fails,
/// nothing is written and [`Error::TransactionCanceled`] gives a reason per
/// action, aligned with the indexes the adding methods return.
///
/// Checked before anything is sent, with the same errors on both backends
/// ([`Error::InvalidTransaction`]): at most 100 actions, no item twice, at
/// most 4 MB of items, and with [`single_partition`](Transaction::single_partition)
/// all actions in one partition.
#[must_use = "a transaction does nothing until it is committed"]
pub struct Transaction<'s> {
    store: &'s Store,
    actions: Vec<TxAction<Value>>,
    error: Option<Error>,
    token: Option<String>,
    single_partition: bool,
}

impl fmt::Debug for Transaction<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transaction")
            .field("actions", &self.actions.len())
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}

impl Transaction<'_> {
    fn push(&mut self, action: Result<TxAction<Value>, Error>) -> usize {
        match action {
            Ok(a) => self.actions.push(a),
            Err(e) => {
                self.error.get_or_insert(e);
                // Keep the indexes aligned; the commit fails anyway.
                self.actions.push(TxAction::Check(Check {
                    key: ItemKey {
                        table: "",
                        partition_key: String::new(),
                        sort_key: String::new(),
                    },
                    checks: Checks::default(),
                    decode: AnyDecoder::of::<Attributes>(),
                }));
            }
        }
        self.actions.len() - 1
    }

    fn put_action<E: Entity>(
        &mut self,
        item: &E,
        create: bool,
        condition: Option<Condition<E>>,
    ) -> usize {
        let (mut checks, version) = super::put::put_checks(item, create);
        checks.user = condition.map(|c| c.cond);
        let action = match checks.user.as_ref().and_then(Cond::invalid) {
            Some(message) => Err(invalid::<E>(message)),
            None => json_item(item, version).map(|w| {
                TxAction::Put(Put {
                    item: w,
                    if_not_exists: create,
                    entity: &E::SCHEMA,
                    checks,
                    decode: AnyDecoder::of::<Typed<E>>(),
                })
            }),
        };
        self.push(action)
    }

    /// Adds a `create`: no item may have the key. Returns the action's index.
    pub fn create<E: Entity>(&mut self, item: &E) -> usize {
        self.put_action(item, true, None)
    }

    /// Adds a `put` (version-checked for a `#[version]` entity).
    pub fn put<E: Entity>(&mut self, item: &E) -> usize {
        self.put_action(item, false, None)
    }

    /// Adds a `put` conditioned on the stored item.
    pub fn put_when<E: Entity>(&mut self, item: &E, condition: Condition<E>) -> usize {
        self.put_action(item, false, Some(condition))
    }

    /// Adds an update.
    pub fn update<E: Entity>(&mut self, update: Update<E>) -> usize {
        let action = update_op(update, Returning::Nothing).map(TxAction::Update);
        self.push(action)
    }

    /// Adds a delete by key (of any version, for a `#[version]` entity).
    pub fn delete<E: Entity>(&mut self, key: impl Into<Key<E>>) -> usize {
        let action = delete_op::<E>(key.into(), None, None, true, false).map(TxAction::Delete);
        self.push(action)
    }

    /// Adds a delete conditioned on the stored item.
    pub fn delete_when<E: Entity>(
        &mut self,
        key: impl Into<Key<E>>,
        condition: Condition<E>,
    ) -> usize {
        let action = delete_op::<E>(key.into(), Some(condition.cond), None, true, false)
            .map(TxAction::Delete);
        self.push(action)
    }

    /// Adds a delete of the item as read: for a `#[version]` entity, only
    /// at `item`'s version.
    pub fn delete_entity<E: Entity>(&mut self, item: &E) -> usize {
        let version = E::SCHEMA.version.map(|_| item.__version());
        let action = delete_op::<E>(item.key(), None, version, true, false).map(TxAction::Delete);
        self.push(action)
    }

    /// Adds a check that writes nothing: the transaction applies only if
    /// `condition` holds on the item with this key.
    pub fn check<E: Entity>(&mut self, key: impl Into<Key<E>>, condition: Condition<E>) -> usize {
        let action = match condition.cond.invalid() {
            Some(message) => Err(invalid::<E>(message)),
            None => item_key(key.into()).map(|key| {
                TxAction::Check(Check {
                    key,
                    checks: Checks {
                        user: Some(condition.cond),
                        ..Checks::default()
                    },
                    decode: AnyDecoder::of::<Typed<E>>(),
                })
            }),
        };
        self.push(action)
    }

    /// An idempotency token: committing the same transaction again with the
    /// same token within ten minutes succeeds without applying it twice (on
    /// SQLite as on DynamoDB); another transaction under the same token
    /// fails with [`Error::IdempotentParameterMismatch`]. 1 to 36
    /// characters.
    pub fn token(&mut self, token: impl Into<String>) -> &mut Self {
        self.token = Some(token.into());
        self
    }

    /// Requires every action to be in one partition (the ADR's single
    /// writer per partition): checked at commit.
    pub fn single_partition(&mut self) -> &mut Self {
        self.single_partition = true;
        self
    }

    /// How many actions the transaction holds.
    pub fn len(&self) -> usize {
        self.actions.len()
    }

    /// Whether the transaction holds no action.
    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }

    /// Checks the transaction and applies it, all or nothing. An empty
    /// transaction does nothing.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidTransaction`] and the errors of building its actions
    /// (nothing sent); [`Error::TransactionCanceled`] when a check failed
    /// (nothing written); [`Error::IdempotentParameterMismatch`]; the
    /// backend's errors.
    ///
    /// To retry a commit whose outcome is unknown ([`Error::Unavailable`]),
    /// commit the same `Transaction` again: it sends the same request, and
    /// with a [`token`](Transaction::token) it is applied at most once.
    pub async fn commit(&mut self) -> Result<(), Error> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        if self.actions.is_empty() {
            return Ok(());
        }
        let invalid = |message: String| Err(Error::InvalidTransaction { message });
        if self.actions.len() > MAX_TRANSACTION_ACTIONS {
            return invalid(format!(
                "a transaction holds at most {MAX_TRANSACTION_ACTIONS} actions, not {}",
                self.actions.len()
            ));
        }
        let mut seen = HashSet::with_capacity(self.actions.len());
        let mut bytes = 0;
        for action in self.actions.iter() {
            let key = action.key();
            if !seen.insert(key) {
                return invalid(format!(
                    "the transaction names item {} | {} of {} twice; DynamoDB allows one action per item",
                    key.partition_key, key.sort_key, key.table
                ));
            }
            bytes += action_size(action);
        }
        if bytes > MAX_TRANSACTION_BYTES {
            return invalid(format!(
                "the transaction's items take {bytes} bytes, more than DynamoDB's 4 MB"
            ));
        }
        if self.single_partition {
            let first = self.actions[0].key();
            if let Some(other) = self
                .actions
                .iter()
                .map(TxAction::key)
                .find(|k| k.table != first.table || k.partition_key != first.partition_key)
            {
                return invalid(format!(
                    "a single-partition transaction writes partition {} of {}, and also {} of {}",
                    first.partition_key, first.table, other.partition_key, other.table
                ));
            }
        }
        let token = match &self.token {
            None => None,
            Some(t) if t.is_empty() || t.len() > 36 => {
                let t = t.clone();
                return invalid(format!(
                    "an idempotency token has 1 to 36 characters: {t:?}"
                ));
            }
            Some(t) => {
                let t = t.clone();
                let digest = sha2::Sha256::digest(format!("{:?}", self.actions).as_bytes());
                let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
                Some((t, hex))
            }
        };
        with_engine!(&self.store.backend, b => {
            let op = TransactWrite {
                actions: encoded(b, &self.actions)?,
                token,
            };
            b.transact_write(op).await
        })
    }
}

/// What an action adds to a transaction's size: its item for a put, its
/// values for an update.
fn action_size(action: &TxAction<Value>) -> usize {
    match action {
        TxAction::Put(p) => p.item.size,
        TxAction::Update(u) => {
            u.key.partition_key.len()
                + u.key.sort_key.len()
                + u.actions
                    .iter()
                    .map(|a| {
                        a.name().len()
                            + match a {
                                Action::Set(_, v, _) | Action::SetIfAbsent(_, v, _) => {
                                    v.to_string().len()
                                }
                                Action::Append(_, v)
                                | Action::Prepend(_, v)
                                | Action::AddToSet(_, _, v)
                                | Action::DeleteFromSet(_, _, v) => {
                                    v.iter().map(|v| v.to_string().len()).sum()
                                }
                                _ => 8,
                            }
                    })
                    .sum::<usize>()
        }
        TxAction::Delete(d) => d.key.partition_key.len() + d.key.sort_key.len(),
        TxAction::Check(c) => c.key.partition_key.len() + c.key.sort_key.len(),
    }
}

/// An entity as a transaction writes it: checked, as JSON (each backend
/// encodes it its own way when it runs the transaction).
fn json_item<E: Entity>(
    item: &E,
    version: Option<(&'static str, u64)>,
) -> Result<WriteItem<Value>, Error> {
    super::put::checked_item(item, time::now_rfc3339(), version, |view| {
        serde_json::to_value(view).map_err(|e| crate::ItemError::Encode(Box::new(e)))
    })
}

/// The actions with each put's item in `B`'s own encoding, made by
/// `B::encode` as a single put's item is: the item was checked as JSON,
/// where a set is a list, so the entity's sets are written as sets again.
fn encoded<B: Engine>(
    _backend: &B,
    actions: &[TxAction<Value>],
) -> Result<Vec<TxAction<B::Item>>, Error> {
    actions
        .iter()
        .map(|action| {
            action.encoded(|data, entity| {
                match data {
                    Value::Object(map) => B::encode(&MapWithSets {
                        map,
                        sets: entity.sets,
                    }),
                    other => B::encode(other),
                }
                .map_err(|source| Error::Serialize {
                    entity: entity.name,
                    source,
                })
            })
        })
        .collect()
}

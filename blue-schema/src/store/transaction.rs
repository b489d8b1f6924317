//! Write transactions: actions added one by one, checked against
//! DynamoDB's rules for transactions, then committed all or nothing.

use std::convert::Infallible;
use std::fmt;
use std::sync::Arc;

use sha2::Digest;

use super::decode::{Attributes, Typed};
use super::delete::delete_op;
use super::put::write_item_at;
use super::unique::TxAfter;
use super::update::{invalid, update_op};
use super::{item_key, Store};
#[cfg(feature = "dynamodb")]
use crate::backend::dynamodb::DynamoDbBackend;
use crate::backend::engine::Engine;
#[cfg(feature = "sqlite")]
use crate::backend::sqlite::SqliteBackend;
use crate::backend::AnyBackend;
use crate::key::Key;
use crate::limits::{MAX_TRANSACTION_ACTIONS, MAX_TRANSACTION_BYTES};
use crate::ops::action::{Action, Returning};
use crate::ops::check::Checks;
use crate::ops::cond::Cond;
use crate::ops::decode::AnyDecoder;
use crate::ops::{Check, ItemKey, Put, TransactWrite, TxAction};
use crate::schema::Entity;
use crate::write::{Condition, Update};
use crate::{time, Error};

impl Store {
    /// Starts a write transaction: creates, puts, updates, deletes and
    /// condition checks, all applied or none. See [`Transaction`].
    pub fn transaction(&self) -> Transaction<'_> {
        Transaction {
            store: self,
            actions: Actions::of(&self.backend),
            error: None,
            token: None,
            single_partition: false,
            moving: Vec::new(),
            unique: super::unique::UniqueTx::default(),
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
    actions: Actions,
    error: Option<Error>,
    token: Option<String>,
    single_partition: bool,
    /// The actions' keys of moving entities, each with its entity's move.
    moving: Vec<(ItemKey, super::moves::Settle)>,
    /// The actions of entities with `#[unique]` fields, whose markers the
    /// commit adds.
    unique: super::unique::UniqueTx,
}

impl fmt::Debug for Transaction<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transaction")
            .field("actions", &self.len())
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}

/// A transaction's actions, each put's item encoded for the store's backend
/// when it was added (by `Engine::encode`, as a single put's item is).
/// Shared with the request a commit sends, so that committing again sends
/// the same actions without copying them.
enum Actions {
    #[cfg(feature = "sqlite")]
    Sqlite(Arc<Vec<TxAction<<SqliteBackend as Engine>::Item>>>),
    #[cfg(feature = "dynamodb")]
    DynamoDb(Arc<Vec<TxAction<<DynamoDbBackend as Engine>::Item>>>),
}

impl Actions {
    /// No actions yet, for a store of `backend`.
    fn of(backend: &AnyBackend) -> Actions {
        match backend {
            #[cfg(feature = "sqlite")]
            AnyBackend::Sqlite(_) => Actions::Sqlite(Arc::default()),
            #[cfg(feature = "dynamodb")]
            AnyBackend::DynamoDb(_) => Actions::DynamoDb(Arc::default()),
        }
    }
}

/// Runs `$body` with the transaction's backend as `$engine` and its actions
/// (`&mut Arc<Vec<TxAction<Item>>>` of that backend's items) as `$actions`.
macro_rules! with_actions {
    ($tx:expr, $engine:ident, $actions:ident => $body:expr) => {
        match &$tx.store.backend {
            #[cfg(feature = "sqlite")]
            AnyBackend::Sqlite($engine) => match &mut $tx.actions {
                Actions::Sqlite($actions) => $body,
                #[cfg(feature = "dynamodb")]
                Actions::DynamoDb(_) => {
                    unreachable!("a transaction holds its store's backend's items")
                }
            },
            #[cfg(feature = "dynamodb")]
            AnyBackend::DynamoDb($engine) => match &mut $tx.actions {
                Actions::DynamoDb($actions) => $body,
                #[cfg(feature = "sqlite")]
                Actions::Sqlite(_) => {
                    unreachable!("a transaction holds its store's backend's items")
                }
            },
        }
    };
}

/// Adds `action` to `actions`, or, for an action that could not be made,
/// keeps its error for the commit and a placeholder in its place (so that
/// the indexes stay aligned; the commit fails anyway). Returns its index.
fn push<I: Clone>(
    actions: &mut Arc<Vec<TxAction<I>>>,
    error: &mut Option<Error>,
    action: Result<TxAction<I>, Error>,
) -> usize {
    // A copy only if a commit that was given up on still holds them.
    let actions = Arc::make_mut(actions);
    // Pushed from where it is (no move into a local first: an action is
    // large, and each move copies it).
    match action {
        Ok(action) => actions.push(action),
        Err(e) => {
            error.get_or_insert(e);
            actions.push(TxAction::Check(Check {
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
    actions.len() - 1
}

impl Transaction<'_> {
    /// Adds a delete of an `E`.
    fn push_delete<E: Entity>(&mut self, delete: Result<crate::ops::Delete, Error>) -> usize {
        let expiry = self.store.expiry::<E>();
        let index = self.push(delete.map(|mut op| {
            op.checks.expiry = expiry;
            TxAction::Delete(op)
        }));
        self.unique::<E>(index, || Ok(TxAfter::Gone));
        self.moving::<E>(index)
    }

    /// Notes action `index` of `E` for its markers at commit, when `E` has
    /// `#[unique]` fields: `after` says what the action leaves.
    fn unique<E: Entity>(&mut self, index: usize, after: impl FnOnce() -> Result<TxAfter, Error>) {
        if E::SCHEMA.unique.is_empty() || self.error.is_some() {
            return;
        }
        match after() {
            Ok(after) => {
                let key = with_actions!(self, _engine, actions => actions[index].key().clone());
                self.unique
                    .actions
                    .push(super::unique::TxUnique::of::<E>(index, key, after));
            }
            Err(e) => self.error = Some(e),
        }
    }

    /// Notes action `index` of `E` for a move before the commit, when `E`'s
    /// key is moving ([`key_move`](crate::schema::key_move)). Returns `index`.
    fn moving<E: Entity>(&mut self, index: usize) -> usize {
        if E::__MOVED_FROM.is_some() {
            let key = with_actions!(self, _engine, actions => actions[index].key().clone());
            self.moving.push((key, super::moves::settle_boxed::<E>));
        }
        index
    }

    /// Adds an action without an item: an update, a delete or a check.
    fn push(&mut self, action: Result<TxAction<Infallible>, Error>) -> usize {
        with_actions!(self, _engine, actions => {
            push(actions, &mut self.error, action.map(TxAction::without_item))
        })
    }

    fn put_action<E: Entity>(
        &mut self,
        item: &E,
        create: bool,
        condition: Option<Condition<E>>,
    ) -> usize {
        let (mut checks, version) = super::put::put_checks(item, create);
        checks.user = condition.map(|c| c.cond);
        checks.expiry = self.store.expiry::<E>();
        let refused = checks
            .user
            .as_ref()
            .and_then(Cond::invalid)
            .map(invalid::<E>);
        let index = with_actions!(self, b, actions => {
            let action = match refused {
                Some(e) => Err(e),
                None => write_item_at(b, item, time::now_rfc3339(), version).map(|w| {
                    TxAction::Put(Put {
                        item: w,
                        if_not_exists: create,
                        entity: &E::SCHEMA,
                        checks,
                        decode: AnyDecoder::of::<Typed<E>>(),
                    })
                }),
            };
            push(actions, &mut self.error, action)
        });
        self.unique::<E>(index, || super::unique::markers(item).map(TxAfter::Item));
        self.moving::<E>(index)
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
        let mut action = update_op(update, Returning::Nothing);
        // Set in place: the operation is large, and each move copies it.
        if let Ok(op) = &mut action {
            op.checks.expiry = self.store.expiry::<E>();
        }
        let after = match &action {
            Ok(op) if super::unique::touches::<E>(op) => Some(TxAfter::Update {
                actions: op.actions.clone(),
                create: op.create.clone(),
            }),
            _ => None,
        };
        let index = with_actions!(self, _engine, actions => {
            push(actions, &mut self.error, action.map(TxAction::Update))
        });
        if let Some(after) = after {
            self.unique::<E>(index, || Ok(after));
        }
        self.moving::<E>(index)
    }

    /// Adds a delete by key (of any version, for a `#[version]` entity).
    pub fn delete<E: Entity>(&mut self, key: impl Into<Key<E>>) -> usize {
        let action = delete_op::<E>(key.into(), None, None, true, false);
        self.push_delete::<E>(action)
    }

    /// Adds a delete conditioned on the stored item.
    pub fn delete_when<E: Entity>(
        &mut self,
        key: impl Into<Key<E>>,
        condition: Condition<E>,
    ) -> usize {
        let action = delete_op::<E>(key.into(), Some(condition.cond), None, true, false);
        self.push_delete::<E>(action)
    }

    /// Adds a delete of the item as read: for a `#[version]` entity, only
    /// at `item`'s version.
    pub fn delete_entity<E: Entity>(&mut self, item: &E) -> usize {
        let version = E::SCHEMA.version.map(|_| item.__version());
        let action = delete_op::<E>(item.key(), None, version, true, false);
        self.push_delete::<E>(action)
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
                        expiry: self.store.expiry::<E>(),
                        ..Checks::default()
                    },
                    decode: AnyDecoder::of::<Typed<E>>(),
                })
            }),
        };
        let index = self.push(action);
        self.moving::<E>(index)
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
        match &self.actions {
            #[cfg(feature = "sqlite")]
            Actions::Sqlite(a) => a.len(),
            #[cfg(feature = "dynamodb")]
            Actions::DynamoDb(a) => a.len(),
        }
    }

    /// Whether the transaction holds no action.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
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
        let single_partition = self.single_partition;
        let token = self.token.clone();
        let token = with_actions!(self, _engine, actions => {
            if actions.is_empty() {
                return Ok(());
            }
            checked(actions, single_partition, token)?
        });
        // Items of moving entities still under their old keys move first,
        // once the transaction is known to be one that can be sent.
        for (key, settle) in &self.moving {
            settle(self.store, key).await?;
        }
        if !self.unique.actions.is_empty() {
            let store = self.store;
            let unique = &mut self.unique;
            // Boxed: a transaction without unique values keeps its small future.
            return with_actions!(self, b, actions => Box::pin(unique.commit(store, b, actions, token)).await);
        }
        with_actions!(self, b, actions => {
            let op = TransactWrite {
                actions: Arc::clone(actions),
                token,
            };
            b.transact_write(op).await
        })
    }
}

/// Checks a transaction's actions against DynamoDB's rules, and its token;
/// returns the token with the digest of the actions it stands for.
fn checked<I: fmt::Debug>(
    actions: &[TxAction<I>],
    single_partition: bool,
    token: Option<String>,
) -> Result<Option<(String, String)>, Error> {
    let invalid = |message: String| Err(Error::InvalidTransaction { message });
    if actions.len() > MAX_TRANSACTION_ACTIONS {
        return invalid(format!(
            "a transaction holds at most {MAX_TRANSACTION_ACTIONS} actions, not {}",
            actions.len()
        ));
    }
    // Sorted rather than hashed: a transaction's few keys sort for less
    // than hashing each one with `HashSet`'s SipHash costs.
    let mut keys: Vec<&ItemKey> = actions.iter().map(TxAction::key).collect();
    keys.sort_unstable_by(|a, b| {
        (a.table, &a.partition_key, &a.sort_key).cmp(&(b.table, &b.partition_key, &b.sort_key))
    });
    if let Some(pair) = keys.windows(2).find(|pair| pair[0] == pair[1]) {
        let key = pair[0];
        return invalid(format!(
            "the transaction names item {} | {} of {} twice; DynamoDB allows one action per item",
            key.partition_key, key.sort_key, key.table
        ));
    }
    let bytes: usize = actions.iter().map(action_size).sum();
    if bytes > MAX_TRANSACTION_BYTES {
        return invalid(format!(
            "the transaction's items take {bytes} bytes, more than DynamoDB's 4 MB"
        ));
    }
    if single_partition {
        let first = actions[0].key();
        if let Some(other) = actions
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
    match token {
        None => Ok(None),
        Some(t) if t.is_empty() || t.len() > 36 => invalid(format!(
            "an idempotency token has 1 to 36 characters: {t:?}"
        )),
        Some(t) => {
            let digest = sha2::Sha256::digest(format!("{actions:?}").as_bytes());
            let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
            Ok(Some((t, hex)))
        }
    }
}

/// What an action adds to a transaction's size: its item for a put, its
/// values for an update.
fn action_size<I>(action: &TxAction<I>) -> usize {
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

//! The write side of the store: updates, conditional deletes,
//! read-modify-write, transactions and batch reads.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;
use std::future::{Future, IntoFuture};
use std::marker::PhantomData;

use serde_json::Value;
use sha2::Digest;

use super::{item_key, BoxFuture, Store};
use crate::backend::{with_engine, Engine};
use crate::key::Key;
use crate::limits;
use crate::ops::{
    Check, Delete, GetMany, ItemKey, Put, TransactWrite, TxAction, UpdateOp, WriteItem,
};
use crate::schema::{is_index_key_attribute, Entity};
use crate::write::{
    range_guard, Action, AnyDecoder, AnyItem, Checks, CmpOp, Cond, Condition, Returning, Update,
    VersionCheck, WriteView,
};
use crate::{time, Error};

/// The most actions in one transaction, as DynamoDB.
pub const MAX_TRANSACTION_ACTIONS: usize = 100;
/// The largest transaction, as DynamoDB: 4 MB of items.
pub const MAX_TRANSACTION_BYTES: usize = 4 * 1024 * 1024;
/// The most keys one `BatchGetItem` request reads.
pub const BATCH_GET_CHUNK: usize = 100;
/// How many times [`Store::modify`] reads and writes before giving up, unless
/// [`ModifyItem::attempts`] says otherwise.
pub const DEFAULT_MODIFY_ATTEMPTS: u32 = 16;

/// What an update returns: nothing, the old item or the new one.
pub mod returning {
    /// Nothing (`()`).
    #[derive(Debug, Clone, Copy)]
    pub enum Nothing {}
    /// The item before the update, `Option<E>` (`None`: the update created it).
    #[derive(Debug, Clone, Copy)]
    pub enum Old {}
    /// The item after the update, `E`.
    #[derive(Debug, Clone, Copy)]
    pub enum New {}
}

impl Store {
    /// Changes an item in place without reading it first: set, remove, add
    /// to integers, append to lists, under an optional condition. See
    /// [`Update`] for the changes; the item must exist unless
    /// [`or_create`](UpdateItem::or_create) is given.
    ///
    /// ```
    /// # use blue_schema::{Entity, Store, Table};
    /// # #[derive(Table)]
    /// # #[table(name = "blue_bank")]
    /// # enum Bank { Account(Account) }
    /// #[derive(Entity, serde::Serialize, serde::Deserialize, Debug)]
    /// #[entity(table = Bank)]
    /// #[sk(prefix = "ACCOUNT")]
    /// struct Account { #[pk] bank: String, #[sk] id: String, balance: i64, note: Option<String> }
    /// # blue_schema::block_on(async {
    /// # let store = Store::open("sqlite::memory:").await?;
    /// # store.create_table::<Bank>().await?;
    /// # store.put(&Account { bank: "b".into(), id: "a".into(), balance: 100, note: None }).await?;
    /// let a = Account::attr();
    /// let after: Account = store
    ///     .update(Account::key("b", "a"))
    ///     .subtract(a.balance, 30)
    ///     .set(a.note, "rent")
    ///     .when(a.balance.ge(30))
    ///     .returning_new()
    ///     .await?;
    /// assert_eq!(after.balance, 70);
    /// # Ok::<(), blue_schema::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn update<E: Entity>(&self, key: impl Into<Key<E>>) -> UpdateItem<'_, E> {
        UpdateItem {
            store: self,
            update: Update::new(key),
            _returning: PhantomData,
        }
    }

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

    /// Starts a write transaction: creates, puts, updates, deletes and
    /// condition checks, all applied or none. See [`Transaction`].
    pub fn transaction(&self) -> Transaction<'_> {
        Transaction {
            store: self,
            actions: std::sync::Arc::default(),
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
            let mut distinct: Vec<ItemKey> = Vec::with_capacity(keys.len());
            let mut index = std::collections::HashMap::with_capacity(keys.len());
            for key in &keys {
                if !index.contains_key(key) {
                    index.insert(key.clone(), distinct.len());
                    distinct.push(key.clone());
                } else if transactional {
                    return Err(Error::InvalidTransaction {
                        message: format!(
                            "a read transaction names item {} | {} twice",
                            key.partition_key, key.sort_key
                        ),
                    });
                }
            }
            if transactional && distinct.len() > MAX_TRANSACTION_ACTIONS {
                return Err(Error::InvalidTransaction {
                    message: format!(
                        "a read transaction reads at most {MAX_TRANSACTION_ACTIONS} items, not {}",
                        distinct.len()
                    ),
                });
            }
            if distinct.is_empty() {
                return Ok(Vec::new());
            }
            let op = GetMany {
                decode: vec![AnyDecoder::of::<E>(); distinct.len()],
                keys: distinct,
                transactional,
            };
            let found = with_engine!(&self.backend, b => b.get_many(op).await)?;
            let mut found: Vec<Option<E>> = found.into_iter().map(|f| f.map(downcast)).collect();
            // Each slot is moved out on its key's last use; earlier uses of
            // a repeated key get a copy.
            let mut last_use = vec![0; found.len()];
            for (i, key) in keys.iter().enumerate() {
                last_use[index[key]] = i;
            }
            Ok(keys
                .iter()
                .enumerate()
                .map(|(i, key)| {
                    let slot = index[key];
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

/// A copy of an entity, through its own encoding: entities need not be
/// `Clone`, and only a key the caller gave twice needs one.
fn copy_of<E: Entity>(item: &E) -> E {
    serde_json::to_value(WriteView {
        item,
        version: None,
        sets: E::SCHEMA.sets,
        extra: &[],
    })
    .and_then(serde_json::from_value)
    .expect("an entity decodes from its own encoding")
}

fn downcast<E: 'static>(item: AnyItem) -> E {
    *item
        .downcast::<E>()
        .expect("a backend decodes with the decoder it was given")
}

/// An update about to run; `.await` it. Made by [`Store::update`]; the
/// changes and options are those of [`Update`].
#[must_use = "an update does nothing until it is awaited"]
pub struct UpdateItem<'s, E, R = returning::Nothing> {
    store: &'s Store,
    update: Update<E>,
    _returning: PhantomData<fn() -> R>,
}

impl<E, R> fmt::Debug for UpdateItem<'_, E, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.update.fmt(f)
    }
}

macro_rules! delegate {
    ($($(#[$doc:meta])* fn $name:ident$(<$($g:ident),*>)?($($arg:ident: $t:ty),*) $([$($w:tt)*])?;)*) => {$(
        $(#[$doc])*
        pub fn $name$(<$($g),*>)?(mut self, $($arg: $t),*) -> Self $(where $($w)*)? {
            self.update = self.update.$name($($arg),*);
            self
        }
    )*};
}

impl<'s, E: Entity, R> UpdateItem<'s, E, R> {
    delegate! {
        /// See [`Update::set`].
        fn set<A>(attr: A, value: impl crate::write::Operand<A::Value>) [A: crate::write::Settable<E>];
        /// See [`Update::set_if_absent`].
        fn set_if_absent<A>(attr: A, value: impl crate::write::Operand<A::Value>) [A: crate::write::Settable<E>];
        /// See [`Update::remove`].
        fn remove<A>(attr: A) [A: crate::write::Removable<E>];
        /// See [`Update::add`].
        fn add<A>(attr: A, n: impl crate::write::Operand<A::Value>) [A: crate::write::Settable<E>, A::Value: crate::write::Integer];
        /// See [`Update::subtract`].
        fn subtract<A>(attr: A, n: impl crate::write::Operand<A::Value>) [A: crate::write::Settable<E>, A::Value: crate::write::Integer];
        /// See [`Update::append`].
        fn append<A, X>(attr: A, items: impl IntoIterator<Item = impl crate::write::Operand<X>>) [A: crate::write::Settable<E, Value = Vec<X>>, X: serde::Serialize];
        /// See [`Update::prepend`].
        fn prepend<A, X>(attr: A, items: impl IntoIterator<Item = impl crate::write::Operand<X>>) [A: crate::write::Settable<E, Value = Vec<X>>, X: serde::Serialize];
        /// See [`Update::add_to`].
        fn add_to<A>(attr: A, elements: impl IntoIterator<Item = impl crate::write::Operand<A::Element>>) [A: crate::write::SetAttr<E>];
        /// See [`Update::delete_from`].
        fn delete_from<A>(attr: A, elements: impl IntoIterator<Item = impl crate::write::Operand<A::Element>>) [A: crate::write::SetAttr<E>];
        /// See [`Update::set_index`].
        fn set_index<F>(fields: F) [F: crate::write::IndexFields<E>];
        /// See [`Update::when`].
        fn when(condition: Condition<E>);
        /// See [`Update::expect_version`].
        fn expect_version(version: u64);
        /// See [`Update::any_version`].
        fn any_version();
    }

    /// See [`Update::or_create`].
    pub fn or_create(mut self) -> Self
    where
        E::PartitionKey: serde::Serialize,
        E::SortKey: serde::Serialize,
    {
        self.update = self.update.or_create();
        self
    }

    /// Returns the item as it was before the update (`None` when the update
    /// created it).
    pub fn returning_old(self) -> UpdateItem<'s, E, returning::Old> {
        UpdateItem {
            store: self.store,
            update: self.update,
            _returning: PhantomData,
        }
    }

    /// Returns the item as the update left it.
    pub fn returning_new(self) -> UpdateItem<'s, E, returning::New> {
        UpdateItem {
            store: self.store,
            update: self.update,
            _returning: PhantomData,
        }
    }

    fn run(self, returning: Returning) -> impl Future<Output = Result<Option<E>, Error>> + Send + 's
    where
        E: Send,
    {
        let op = update_op(self.update, returning);
        let store = self.store;
        async move {
            let op = op?;
            let found = with_engine!(&store.backend, b => b.update(op).await)?;
            Ok(found.map(downcast))
        }
    }
}

impl<'s, E: Entity> IntoFuture for UpdateItem<'s, E, returning::Nothing> {
    type Output = Result<(), Error>;
    type IntoFuture = BoxFuture<'s, Self::Output>;
    fn into_future(self) -> Self::IntoFuture {
        let run = self.run(Returning::Nothing);
        Box::pin(async move { run.await.map(|_| ()) })
    }
}

impl<'s, E: Entity> IntoFuture for UpdateItem<'s, E, returning::Old> {
    type Output = Result<Option<E>, Error>;
    type IntoFuture = BoxFuture<'s, Self::Output>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run(Returning::Old))
    }
}

impl<'s, E: Entity> IntoFuture for UpdateItem<'s, E, returning::New> {
    type Output = Result<E, Error>;
    type IntoFuture = BoxFuture<'s, Self::Output>;
    fn into_future(self) -> Self::IntoFuture {
        let run = self.run(Returning::New);
        Box::pin(async move {
            run.await?.ok_or_else(|| {
                Error::backend("store", "the backend returned no item after an update")
            })
        })
    }
}

fn invalid<E: Entity>(message: impl Into<String>) -> Error {
    Error::InvalidUpdate {
        entity: E::SCHEMA.name,
        message: message.into(),
    }
}

/// The backend-neutral operation of an update, checked.
fn update_op<E: Entity>(update: Update<E>, returning: Returning) -> Result<UpdateOp, Error> {
    if let Some(message) = &update.invalid {
        return Err(invalid::<E>(message.clone()));
    }
    if let Some(message) = update.condition.as_ref().and_then(Cond::invalid) {
        return Err(invalid::<E>(message));
    }
    let key = item_key(update.key)?;
    let mut actions = update.actions;
    let mut checks = Checks {
        exists: update.create.is_none().then_some(true),
        user: update.condition,
        ..Checks::default()
    };
    checks.guards = actions
        .iter()
        .filter_map(|a| range_guard(a).map(|g| (Cow::Owned(a.name().to_owned()), g)))
        .collect();
    checks.version = version_check::<E>(update.expect_version, update.any_version, "update")?;
    if let Some(attribute) = E::SCHEMA.version {
        actions.push(Action::Add {
            name: Cow::Borrowed(attribute),
            delta: 1,
            min: 0,
            max: i128::from(u64::MAX),
        });
    }
    if actions.is_empty() {
        return Err(invalid::<E>("the update changes nothing"));
    }
    // The index keys an update writes (`set_index`) are keys like any other.
    limits::check_index_keys(actions.iter().filter_map(|a| match a {
        Action::Set(name, Value::String(v), _) if is_index_key_attribute(name) => {
            Some((name.as_ref(), v.as_str()))
        }
        _ => None,
    }))?;
    let mut create = update.create;
    if let Some(fields) = &mut create {
        // The indexes made of key fields only: written when the update
        // creates the item (and rewritten, unchanged, when it does not).
        let mut fixed = Vec::new();
        E::__fixed_index_keys(&key.partition_key, &key.sort_key, &mut fixed)
            .map_err(|e| invalid::<E>(format!("the key does not decode: {e}")))?;
        limits::check_index_keys(fixed.iter().map(|(a, v)| (*a, v.as_str())))?;
        fields.extend(fixed.into_iter().map(|(n, v)| (n, Value::String(v))));
    }
    if create.is_some() {
        let written: HashSet<&str> = actions
            .iter()
            .filter(|a| !matches!(a, Action::Remove(_)))
            .map(Action::name)
            .collect();
        let missing: Vec<&str> = E::SCHEMA
            .required_attributes()
            .filter(|a| !written.contains(a))
            .collect();
        if !missing.is_empty() {
            return Err(invalid::<E>(format!(
                "`or_create` would create an item without {}, which would not decode as {}; \
                 set every required field, or drop `or_create`",
                missing.join(", "),
                E::SCHEMA.name
            )));
        }
    }
    Ok(UpdateOp {
        key,
        actions,
        checks,
        returning,
        create,
        now: time::now_rfc3339(),
        decode: AnyDecoder::of::<E>(),
        entity: &E::SCHEMA,
    })
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
        delete_op::<E>(
            self.key,
            self.condition,
            self.expect_version,
            self.any_version,
            return_old,
        )
    }
}

/// The version check of an update or delete of `E` by key: the expected
/// version, none with `any_version`, and an error when a `#[version]`
/// entity's write says neither.
fn version_check<E: Entity>(
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

fn delete_op<E: Entity>(
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
        decode: Some(AnyDecoder::of::<E>()),
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
            with_engine!(&store.backend, b => b.delete::<super::decode::Typed<E>>(op).await)
        })
    }
}

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
                    backoff(attempt).await;
                }
                let Some(mut item) = self.store.get(self.key.clone()).await? else {
                    return Ok(None);
                };
                let (checks, version) = modify_checks(&item)?;
                (self.change)(&mut item);
                if item.key() != self.key {
                    return Err(invalid::<E>(
                        "`modify` changed a key field; move an item with `rekey`",
                    ));
                }
                let created_at = time::now_rfc3339();
                let written = with_engine!(&self.store.backend, b => {
                    let op = super::write_item_at(b, &item, created_at, version).map(|w| Put {
                        item: w,
                        if_not_exists: false,
                        entity: &E::SCHEMA,
                        checks,
                        decode: AnyDecoder::of::<E>(),
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

/// Waits before attempt `attempt` (1, 2, ...): full jitter over a window
/// that doubles from 2 ms up to 256 ms.
pub(crate) async fn backoff(attempt: u32) {
    let window = 2u64 << attempt.min(7);
    let wait = jitter(window);
    crate::exec::sleep(std::time::Duration::from_millis(wait)).await;
}

/// A pseudo-random number in `0..=max`, from the clock and a counter.
pub(crate) fn jitter(max: u64) -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0x9E37_79B9_7F4A_7C15);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos() as u64);
    let mut x = COUNTER.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed) ^ nanos;
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x % (max + 1)
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
    actions: std::sync::Arc<Vec<TxAction<Value>>>,
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
            Ok(a) => std::sync::Arc::make_mut(&mut self.actions).push(a),
            Err(e) => {
                self.error.get_or_insert(e);
                // Keep the indexes aligned; the commit fails anyway.
                std::sync::Arc::make_mut(&mut self.actions).push(TxAction::Check(Check {
                    key: ItemKey {
                        table: "",
                        partition_key: String::new(),
                        sort_key: String::new(),
                    },
                    checks: Checks::default(),
                    decode: AnyDecoder::of::<()>(),
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
        let (mut checks, version) = super::put_checks(item, create);
        checks.user = condition.map(|c| c.cond);
        let action = match checks.user.as_ref().and_then(Cond::invalid) {
            Some(message) => Err(invalid::<E>(message)),
            None => json_item(item, version).map(|w| {
                TxAction::Put(Put {
                    item: w,
                    if_not_exists: create,
                    entity: &E::SCHEMA,
                    checks,
                    decode: AnyDecoder::of::<E>(),
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
                    decode: AnyDecoder::of::<E>(),
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
        let op = TransactWrite {
            actions: std::sync::Arc::clone(&self.actions),
            token,
        };
        with_engine!(&self.store.backend, b => b.transact_write(op).await)
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
    super::checked_item(item, time::now_rfc3339(), version, |view| {
        serde_json::to_value(view).map_err(|e| crate::ItemError::Encode(Box::new(e)))
    })
}

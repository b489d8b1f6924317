//! `Store::update`: an item changed in place, without reading it first.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;
use std::future::{Future, IntoFuture};
use std::marker::PhantomData;

use serde_json::Value;

use super::decode::Typed;
use super::delete::version_check;
use super::get_many::downcast;
use super::{item_key, returning, BoxFuture, Store};
use crate::backend::engine::Engine;
use crate::backend::with_engine;
use crate::key::Key;
use crate::ops::action::{range_guard, Action, Returning};
use crate::ops::check::{Checks, ShapeCheck};
use crate::ops::cond::Cond;
use crate::ops::decode::AnyDecoder;
use crate::ops::UpdateOp;
use crate::schema::{is_index_key_attribute, Entity, SHAPE_ATTRIBUTE};
use crate::write::{Condition, Update};
use crate::{limits, time, Error};

macro_rules! delegate {
    ($($(#[$doc:meta])* fn $name:ident$(<$($g:ident),*>)?($($arg:ident: $t:ty),*) $([$($w:tt)*])?;)*) => {$(
        $(#[$doc])*
        pub fn $name$(<$($g),*>)?(mut self, $($arg: $t),*) -> Self $(where $($w)*)? {
            self.update = self.update.$name($($arg),*);
            self
        }
    )*};
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

    /// The update's future, its result given to `finish`: each returning
    /// kind boxes it as it is, without a future around it (which doubled
    /// the size of what `Box::pin` copies).
    fn run<T>(
        self,
        returning: Returning,
        finish: impl FnOnce(Option<E>) -> Result<T, Error> + Send + 's,
    ) -> impl Future<Output = Result<T, Error>> + Send + 's
    where
        E: Send,
    {
        let store = self.store;
        let key = self.update.key.clone();
        let op = update_op(self.update, returning).map(|mut op| {
            op.checks.expiry = store.expiry::<E>();
            op
        });
        async move {
            let op = op?;
            if !E::SCHEMA.unique.is_empty() && super::unique::touches::<E>(&op) {
                // Boxed: a plain update's future stays as small as it was.
                let written = Box::pin(super::unique::update::<E>(store, op)).await?;
                return finish(match returning {
                    Returning::Nothing => None,
                    Returning::Old => written.old,
                    Returning::New => written.new,
                });
            }
            super::moves::settle_if_moving::<E>(store, &op.key).await?;
            // Only an entity with older shapes can meet an item in one.
            let again = (E::SCHEMA.shape > 1).then(|| op.clone());
            let found = match with_engine!(&store.backend, b => b.update(op).await) {
                Err(Error::OlderShape(_)) if again.is_some() => {
                    // The item is rewritten in the current shape first (a
                    // modify that changes nothing), then updated; a newer
                    // program's write in between is reported, not undone.
                    store.modify(key, |_: &mut E| {}).await?;
                    let op = again.expect("checked");
                    with_engine!(&store.backend, b => b.update(op).await)?
                }
                found => found?,
            };
            finish(found.map(downcast))
        }
    }
}

impl<'s, E: Entity> IntoFuture for UpdateItem<'s, E, returning::Nothing> {
    type Output = Result<(), Error>;
    type IntoFuture = BoxFuture<'s, Self::Output>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run(Returning::Nothing, |_| Ok(())))
    }
}

impl<'s, E: Entity> IntoFuture for UpdateItem<'s, E, returning::Old> {
    type Output = Result<Option<E>, Error>;
    type IntoFuture = BoxFuture<'s, Self::Output>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run(Returning::Old, Ok))
    }
}

impl<'s, E: Entity> IntoFuture for UpdateItem<'s, E, returning::New> {
    type Output = Result<E, Error>;
    type IntoFuture = BoxFuture<'s, Self::Output>;
    fn into_future(self) -> Self::IntoFuture {
        let new = |found: Option<E>| {
            found.ok_or_else(|| {
                Error::backend("store", "the backend returned no item after an update")
            })
        };
        Box::pin(self.run(Returning::New, new))
    }
}

pub(super) fn invalid<E: Entity>(message: impl Into<String>) -> Error {
    Error::InvalidUpdate {
        entity: E::SCHEMA.name,
        message: message.into(),
    }
}

/// The backend-neutral operation of an update, checked.
pub(super) fn update_op<E: Entity>(
    update: Update<E>,
    returning: Returning,
) -> Result<UpdateOp, Error> {
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
        // An update writes part of an item: the rest must be of its shape.
        shape: ShapeCheck::part(&E::SCHEMA),
        ..Checks::default()
    };
    checks.guards = actions
        .iter()
        .filter_map(|a| range_guard(a).map(|g| (a.name_cow().clone(), g)))
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
    limits::check::check_index_keys(actions.iter().filter_map(|a| match a {
        Action::Set(name, Value::String(v), _) if is_index_key_attribute(name) => {
            Some((name.as_ref(), v.as_str()))
        }
        _ => None,
    }))?;
    // So are the strings it sets in a multi-attribute index's key.
    for action in &actions {
        let Action::Set(name, Value::String(v), _) = action else {
            continue;
        };
        let key_attribute = E::SCHEMA
            .indexes
            .iter()
            .flat_map(|i| i.attributes)
            .find(|a| a.name == name.as_ref());
        if let Some(attribute) = key_attribute {
            limits::check::check_string(attribute.name, v, attribute.hash)?;
        }
    }
    let mut create = update.create;
    if let (Some(fields), shape @ 2..) = (&mut create, E::SCHEMA.shape) {
        // An item the update creates is of the entity's shape.
        fields.push((SHAPE_ATTRIBUTE, Value::from(shape)));
    }
    if let Some(fields) = &mut create {
        // The indexes made of key fields only: written when the update
        // creates the item (and rewritten, unchanged, when it does not).
        let mut fixed = Vec::new();
        E::__fixed_index_keys(&key.partition_key, &key.sort_key, &mut fixed)
            .map_err(|e| invalid::<E>(format!("the key does not decode: {e}")))?;
        limits::check::check_index_keys(fixed.iter().map(|(a, v)| (*a, v.as_str())))?;
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
        decode: AnyDecoder::of::<Typed<E>>(),
        entity: &E::SCHEMA,
        measure_whole: false,
    })
}

//! Typed updates: changes to an item written without reading it first.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::Serialize;
use serde_json::Value;

use super::attr::{Integer, Operand, Removable, SetAttr, SetKind, Settable};
use super::condition::Condition;
use crate::key::Key;
use crate::ops::action::Action;
use crate::ops::cond::{Cond, Name};
use crate::schema::Entity;

/// An update of one item of `E`, by key: the changes, an optional
/// condition, and what happens when no item has the key.
///
/// Made by [`Store::update`](crate::Store::update) (which runs it) or
/// [`Update::new`] (for a [`Transaction`](crate::store::Transaction)). Key fields
/// and the `#[version]` field have no setters; removing a required field
/// does not compile; adding to a field that is not an integer does not
/// compile.
///
/// By default the item must exist ([`Error::NotFound`](crate::Error::NotFound)
/// otherwise); [`or_create`](Update::or_create) creates it, as DynamoDB's
/// `UpdateItem` does, when the update sets every required field.
pub struct Update<E> {
    pub(crate) key: Key<E>,
    pub(crate) actions: Vec<Action>,
    pub(crate) condition: Option<Cond>,
    pub(crate) expect_version: Option<u64>,
    pub(crate) any_version: bool,
    /// The key fields' attributes, to write when the update creates the item.
    pub(crate) create: Option<Vec<(&'static str, Value)>>,
    pub(crate) invalid: Option<String>,
    _entity: PhantomData<fn() -> E>,
}

impl<E> Clone for Update<E> {
    fn clone(&self) -> Self {
        Update {
            key: self.key.clone(),
            actions: self.actions.clone(),
            condition: self.condition.clone(),
            expect_version: self.expect_version,
            any_version: self.any_version,
            create: self.create.clone(),
            invalid: self.invalid.clone(),
            _entity: PhantomData,
        }
    }
}

impl<E> fmt::Debug for Update<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Update")
            .field("key", &self.key)
            .field("actions", &self.actions)
            .field("condition", &self.condition)
            .field("expect_version", &self.expect_version)
            .field("creates", &self.create.is_some())
            .finish()
    }
}

fn value_of<T: Serialize + ?Sized>(value: &T) -> Result<Value, String> {
    match serde_json::to_value(value) {
        Ok(Value::Null) => Err("an update cannot set a value to `None`; use `remove`".into()),
        Ok(v) => Ok(v),
        Err(e) => Err(format!("an update value does not serialize: {e}")),
    }
}

/// Each of `items` as a value, or the first that does not serialize.
fn values_of<X: Serialize>(
    items: impl IntoIterator<Item = impl Operand<X>>,
) -> Result<Vec<Value>, String> {
    items
        .into_iter()
        .map(|x| value_of(&x.into_operand()))
        .collect()
}

impl<E: Entity> Update<E> {
    /// An update of the item with this key, changing nothing yet.
    pub fn new(key: impl Into<Key<E>>) -> Self {
        Update {
            key: key.into(),
            actions: Vec::new(),
            condition: None,
            expect_version: None,
            any_version: false,
            create: None,
            invalid: None,
            _entity: PhantomData,
        }
    }

    fn push(mut self, action: Result<Action, String>) -> Self {
        match action {
            Ok(action) => {
                if self.actions.iter().any(|a| a.name() == action.name()) {
                    self.invalid.get_or_insert_with(|| {
                        format!(
                            "the update changes `{}` twice; DynamoDB refuses overlapping paths",
                            action.name()
                        )
                    });
                }
                self.actions.push(action);
            }
            Err(e) => {
                self.invalid.get_or_insert(e);
            }
        }
        self
    }

    /// Sets the field to `value`. Setting a `#[set]` field to an empty set
    /// removes it.
    pub fn set<A: Settable<E>>(self, attr: A, value: impl Operand<A::Value>) -> Self {
        let name = Cow::Borrowed(attr.attribute());
        let kind = attr.set_kind();
        self.push(value_of(&value.into_operand()).map(|v| match (kind, v) {
            (Some(_), Value::Array(a)) if a.is_empty() => Action::Remove(name),
            (kind, v) => Action::Set(name, v, kind),
        }))
    }

    /// Sets the field to `value` only if the item does not have it yet
    /// (DynamoDB's `if_not_exists`). For a `#[set]` field an empty `value`
    /// changes nothing.
    pub fn set_if_absent<A: Settable<E>>(self, attr: A, value: impl Operand<A::Value>) -> Self {
        let name = Cow::Borrowed(attr.attribute());
        let kind = attr.set_kind();
        match value_of(&value.into_operand()) {
            Ok(Value::Array(a)) if kind.is_some() && a.is_empty() => self,
            v => self.push(v.map(|v| Action::SetIfAbsent(name, v, kind))),
        }
    }

    /// Adds elements to a `#[set]` field (a missing set counts as empty;
    /// elements it holds already are not added twice). No elements: no
    /// change.
    pub fn add_to<A: SetAttr<E>>(
        self,
        attr: A,
        elements: impl IntoIterator<Item = impl Operand<A::Element>>,
    ) -> Self {
        self.set_change(attr, elements, Action::AddToSet)
    }

    /// Deletes elements from a `#[set]` field; a set left empty is removed
    /// (it reads back empty). Deleting from a missing set changes nothing.
    pub fn delete_from<A: SetAttr<E>>(
        self,
        attr: A,
        elements: impl IntoIterator<Item = impl Operand<A::Element>>,
    ) -> Self {
        self.set_change(attr, elements, Action::DeleteFromSet)
    }

    fn set_change<A: SetAttr<E>>(
        self,
        attr: A,
        elements: impl IntoIterator<Item = impl Operand<A::Element>>,
        action: impl FnOnce(Name, SetKind, Vec<Value>) -> Action,
    ) -> Self {
        let name = Cow::Borrowed(attr.attribute());
        let kind = attr.set_kind().unwrap_or(SetKind::Strings);
        let mut values: Vec<Value> = Vec::new();
        for element in elements {
            match value_of(&element.into_operand()) {
                // DynamoDB refuses a set value with duplicates.
                Ok(v) => {
                    if !values.contains(&v) {
                        values.push(v);
                    }
                }
                Err(e) => return self.push(Err(e)),
            }
        }
        if values.is_empty() {
            return self;
        }
        self.push(Ok(action(name, kind, values)))
    }

    /// Sets every field of one or more secondary-index keys, and rewrites
    /// those index keys in the same request: `.set_index(ExpertByRole {
    /// role: "skeptic".into() })`, with the struct `#[derive(Entity)]`
    /// generates for the access pattern (its fields are those of the
    /// pattern's key outside the table key, and of any other pattern
    /// sharing one of them). A `None` in an `Option` field removes the
    /// item from the index. The fields of an index key have no setter of
    /// their own, so an update cannot leave an index key stale.
    pub fn set_index(self, fields: impl super::attr::IndexFields<E>) -> Self {
        match fields.__changes(self.key.partition_key(), self.key.sort_key()) {
            Ok(changes) => changes.into_iter().fold(self, |update, (name, value)| {
                let name = Cow::Borrowed(name);
                update.push(Ok(match value {
                    Some(value) => Action::Set(name, value, None),
                    None => Action::Remove(name),
                }))
            }),
            Err(e) => self.push(Err(e)),
        }
    }

    /// Removes an `Option` field (it reads back as `None`) or empties a
    /// `#[set]` field.
    pub fn remove<A: Removable<E>>(self, attr: A) -> Self {
        self.push(Ok(Action::Remove(Cow::Borrowed(attr.attribute()))))
    }

    /// Adds `n` to an integer field (a missing `Option` field counts as 0).
    /// A result outside the field's type is refused with
    /// [`Error::Overflow`](crate::Error::Overflow) and nothing changes.
    pub fn add<A>(self, attr: A, n: impl Operand<A::Value>) -> Self
    where
        A: Settable<E>,
        A::Value: Integer,
    {
        self.add_i128::<A::Value>(attr.attribute(), n.into_operand().to_i128())
    }

    /// Subtracts `n` from an integer field; see [`add`](Update::add).
    pub fn subtract<A>(self, attr: A, n: impl Operand<A::Value>) -> Self
    where
        A: Settable<E>,
        A::Value: Integer,
    {
        self.add_i128::<A::Value>(attr.attribute(), -n.into_operand().to_i128())
    }

    fn add_i128<I: Integer>(self, name: &'static str, delta: i128) -> Self {
        let action = if delta < i128::from(i64::MIN) || delta > i128::from(u64::MAX) {
            Err(format!(
                "adding {delta} to `{name}` is outside what DynamoDB adds exactly"
            ))
        } else {
            Ok(Action::Add {
                name: Cow::Borrowed(name),
                delta,
                min: I::MIN,
                max: I::MAX,
            })
        };
        self.push(action)
    }

    /// Appends elements to a list field (a missing `Option` list counts as
    /// empty).
    pub fn append<A, X>(self, attr: A, items: impl IntoIterator<Item = impl Operand<X>>) -> Self
    where
        A: Settable<E, Value = Vec<X>>,
        X: Serialize,
    {
        let name = Cow::Borrowed(attr.attribute());
        self.push(values_of(items).map(|v| Action::Append(name, v)))
    }

    /// Puts elements in front of a list field's elements.
    pub fn prepend<A, X>(self, attr: A, items: impl IntoIterator<Item = impl Operand<X>>) -> Self
    where
        A: Settable<E, Value = Vec<X>>,
        X: Serialize,
    {
        let name = Cow::Borrowed(attr.attribute());
        self.push(values_of(items).map(|v| Action::Prepend(name, v)))
    }

    /// Applies the update only if `condition` holds on the stored item
    /// (combined with any earlier `when` by AND).
    pub fn when(mut self, condition: Condition<E>) -> Self {
        Cond::and_into(&mut self.condition, condition.cond);
        self
    }

    /// For a `#[version]` entity: applies the update only if the stored
    /// version is `version` ([`Error::VersionConflict`](crate::Error::VersionConflict)
    /// otherwise). The update increments the version either way.
    pub fn expect_version(mut self, version: u64) -> Self {
        self.expect_version = Some(version);
        self
    }

    /// For a `#[version]` entity: applies the update whatever the stored
    /// version (last writer wins), still incrementing it. Without this or
    /// [`expect_version`](Update::expect_version), an update of a versioned
    /// entity is refused with [`Error::VersionRequired`](crate::Error::VersionRequired).
    pub fn any_version(mut self) -> Self {
        self.any_version = true;
        self
    }

    /// Creates the item when no item has the key, as DynamoDB's `UpdateItem`
    /// does. The update must then set every required field, so that the
    /// created item decodes as `E`; otherwise it is refused with
    /// [`Error::InvalidUpdate`](crate::Error::InvalidUpdate) before anything
    /// is sent.
    pub fn or_create(mut self) -> Self
    where
        E::PartitionKey: Serialize,
        E::SortKey: Serialize,
    {
        match key_attributes::<E>(&self.key) {
            Ok(fields) => self.create = Some(fields),
            Err(e) => {
                self.invalid.get_or_insert(e);
            }
        }
        self
    }
}

/// The key fields' attribute names and values, decoded from the key.
fn key_attributes<E: Entity>(key: &Key<E>) -> Result<Vec<(&'static str, Value)>, String>
where
    E::PartitionKey: Serialize,
    E::SortKey: Serialize,
{
    let (pk, sk) = E::decode_key(key.partition_key(), key.sort_key())
        .map_err(|e| format!("the key does not decode: {e}"))?;
    let as_list = |v: Value, n: usize| match v {
        Value::Array(items) if n != 1 || items.len() != 1 => items,
        v if n == 1 => vec![v],
        Value::Array(items) => items,
        v => vec![v],
    };
    let schema = &E::SCHEMA;
    let pk = as_list(
        serde_json::to_value(&pk).map_err(|e| e.to_string())?,
        schema.partition_key.len(),
    );
    let sk = match serde_json::to_value(&sk).map_err(|e| e.to_string())? {
        Value::Array(items) => items,
        Value::Null => Vec::new(),
        v => vec![v],
    };
    let names = |fields: &[crate::schema::KeyFieldSchema]| -> Vec<&'static str> {
        fields
            .iter()
            .map(|f| {
                schema
                    .attributes
                    .iter()
                    .find(|a| a.field == f.field)
                    .map_or(f.field, |a| a.name)
            })
            .collect()
    };
    Ok(names(schema.partition_key)
        .into_iter()
        .zip(pk)
        .chain(names(schema.sort_key).into_iter().zip(sk))
        .collect())
}

//! The state behind the derived query builders of multi-attribute index
//! patterns (`#[index(.., attributes, ..)]`): the values of the index's
//! own key attributes, fixed one by one, and a range on the next.

use super::Query;
use crate::key::{AsKeyPart, AsKeyPrefix, KeyValue, NativeKey};
use crate::ops::key_condition::{AttributeCondition, AttributeRange};
use crate::ops::query::QuerySpec;

/// The state of a derived query builder of a multi-attribute pattern; the
/// generated builder types wrap it and offer only the methods legal at
/// their position, as [`SortKeyQuery`](super::builder::SortKeyQuery)'s do.
#[doc(hidden)]
#[derive(Debug, Clone)]
pub struct AttributeKeyQuery {
    spec: QuerySpec,
    condition: AttributeCondition,
}

impl AttributeKeyQuery {
    /// A query of index `slot` of `table`, of the pattern whose key
    /// attributes are `attributes`, in the partition of `partition`'s
    /// values. Always eventually consistent.
    ///
    /// # Panics
    ///
    /// When the table does not declare `slot` (the derives check it).
    pub fn index(
        table: &'static crate::schema::TableSchema,
        slot: &'static str,
        attributes: &'static [crate::schema::KeyAttribute],
        partition: Vec<KeyValue>,
    ) -> Self {
        let condition = AttributeCondition {
            attributes,
            equal: partition,
            range: None,
        };
        let mut spec = super::builder::index_spec(table, slot, condition.partition_text());
        spec.index = spec.index.map(|mut index| {
            index.key = attributes;
            index
        });
        AttributeKeyQuery { spec, condition }
    }

    /// A partition value of type `T`.
    pub fn value<T: NativeKey>(value: &impl AsKeyPart<T>) -> KeyValue {
        KeyValue::of::<T>(value)
    }

    pub fn max_pages(mut self, n: u32) -> Self {
        self.spec.max_pages = Some(n);
        self
    }

    pub fn filter<E>(mut self, condition: crate::Condition<E>) -> Self {
        crate::ops::cond::Cond::and_into(&mut self.spec.filter, condition.cond);
        self
    }

    /// Fixes the next sort attribute to a value.
    pub fn component<T: NativeKey>(mut self, value: &impl AsKeyPart<T>) -> Self {
        self.condition.equal.push(KeyValue::of::<T>(value));
        self
    }

    pub fn page_size(mut self, n: u32) -> Self {
        self.spec.page_size = Some(n);
        self
    }

    pub fn take(mut self, n: usize) -> Self {
        self.spec.take = Some(n);
        self
    }

    pub fn reverse(mut self) -> Self {
        self.spec.order = super::Order::Descending;
        self
    }

    pub fn after(mut self, cursor: super::Cursor) -> Self {
        self.spec.cursor = Some(cursor);
        self
    }

    pub fn eventually_consistent(mut self) -> Self {
        self.spec.consistent = false;
        self
    }

    /// The query with the attributes fixed so far.
    pub fn finish<R>(self) -> Query<R> {
        self.into_query(None)
    }

    /// The next sort attribute is less than `value`.
    pub fn lt<T: NativeKey, R>(self, value: &impl AsKeyPart<T>) -> Query<R> {
        self.into_query(Some(AttributeRange::Lt(KeyValue::of::<T>(value))))
    }

    /// The next sort attribute is at most `value`.
    pub fn le<T: NativeKey, R>(self, value: &impl AsKeyPart<T>) -> Query<R> {
        self.into_query(Some(AttributeRange::Le(KeyValue::of::<T>(value))))
    }

    /// The next sort attribute is greater than `value`.
    pub fn gt<T: NativeKey, R>(self, value: &impl AsKeyPart<T>) -> Query<R> {
        self.into_query(Some(AttributeRange::Gt(KeyValue::of::<T>(value))))
    }

    /// The next sort attribute is at least `value`.
    pub fn ge<T: NativeKey, R>(self, value: &impl AsKeyPart<T>) -> Query<R> {
        self.into_query(Some(AttributeRange::Ge(KeyValue::of::<T>(value))))
    }

    /// The next sort attribute is between `low` and `high`, both included
    /// (a low end above the high end is refused when the query runs, as
    /// DynamoDB refuses it).
    pub fn between<T: NativeKey, R>(
        self,
        low: &impl AsKeyPart<T>,
        high: &impl AsKeyPart<T>,
    ) -> Query<R> {
        let range = AttributeRange::Between(KeyValue::of::<T>(low), KeyValue::of::<T>(high));
        self.into_query(Some(range))
    }

    /// The next sort attribute, a string, starts with `prefix`.
    pub fn starts_with<T: NativeKey, R>(self, prefix: &impl AsKeyPrefix<T>) -> Query<R> {
        let mut escaped = String::new();
        prefix.encode_key_prefix(&mut escaped);
        let prefix = crate::key::unescape(&escaped).unwrap_or(escaped);
        self.into_query(Some(AttributeRange::BeginsWith(prefix)))
    }

    fn into_query<R>(mut self, range: Option<AttributeRange>) -> Query<R> {
        self.condition.range = range;
        self.spec.attributes = Some(self.condition);
        Query::from_spec(self.spec)
    }
}

//! Typed conditions: what comparisons of [`Attr`]s and `&`, `|`, `!` build.
//! Each is a tree of `ops::cond` underneath, one for both
//! backends: DynamoDB gets it as a condition expression with placeholder
//! names and values only; SQLite evaluates it on the stored item with
//! DynamoDB's rules.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;
use std::ops::{BitAnd, BitOr, Not};

use serde::Serialize;
use serde_json::Value;

use super::attr::{Attr, Operand, Optional, Ordered, SetField, SetValue};
use crate::ops::cond::{CmpOp, Cond};

/// A condition on an item of entity `E`, built from [`Attr`]s
/// (`a.total.gt(100)`) and combined with `&`, `|` and `!`.
///
/// The semantics are DynamoDB's, on both backends:
///
/// * a comparison between values of different types is false (and `ne` is
///   true); any comparison with a missing attribute is false, except `ne`,
///   which is true;
/// * numbers compare as decimals, strings by their UTF-8 bytes;
/// * `size` of a string counts UTF-16 code units (`"😀"` has size 2);
/// * `None` is stored as an absent attribute, so `exists` is `is_some`.
pub struct Condition<E> {
    pub(crate) cond: Cond,
    _entity: PhantomData<fn() -> E>,
}

impl<E> Clone for Condition<E> {
    fn clone(&self) -> Self {
        Condition::wrap(self.cond.clone())
    }
}

impl<E> fmt::Debug for Condition<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.cond.fmt(f)
    }
}

impl<E> PartialEq for Condition<E> {
    fn eq(&self, other: &Self) -> bool {
        self.cond == other.cond
    }
}

impl<E> Condition<E> {
    pub(crate) fn wrap(cond: Cond) -> Self {
        Condition {
            cond,
            _entity: PhantomData,
        }
    }

    /// The item exists (DynamoDB's `attribute_exists(pk)`).
    pub fn exists() -> Self {
        Condition::wrap(Cond::ItemExists(true))
    }

    /// No item has the key (DynamoDB's `attribute_not_exists(pk)`).
    pub fn not_exists() -> Self {
        Condition::wrap(Cond::ItemExists(false))
    }

    /// Both conditions hold.
    pub fn and(self, other: Condition<E>) -> Self {
        Condition::wrap(Cond::And(Box::new(self.cond), Box::new(other.cond)))
    }

    /// Either condition holds.
    pub fn or(self, other: Condition<E>) -> Self {
        Condition::wrap(Cond::Or(Box::new(self.cond), Box::new(other.cond)))
    }
}

impl<E> BitAnd for Condition<E> {
    type Output = Condition<E>;
    fn bitand(self, rhs: Self) -> Self {
        self.and(rhs)
    }
}

impl<E> BitOr for Condition<E> {
    type Output = Condition<E>;
    fn bitor(self, rhs: Self) -> Self {
        self.or(rhs)
    }
}

impl<E> Not for Condition<E> {
    type Output = Condition<E>;
    fn not(self) -> Self {
        Condition::wrap(Cond::Not(Box::new(self.cond)))
    }
}

fn operand<T: Serialize + ?Sized>(value: &T) -> Result<Value, String> {
    match serde_json::to_value(value) {
        Ok(Value::Null) => {
            Err("a condition cannot compare with `None`; use `exists()` or `not_exists()`".into())
        }
        Ok(v) => Ok(v),
        Err(e) => Err(format!("a condition operand does not serialize: {e}")),
    }
}

impl<E, V: Serialize, P> Attr<E, V, P> {
    fn cmp(self, op: CmpOp, value: impl Operand<V>) -> Condition<E>
    where
        P: Ordered,
    {
        let name = Cow::Borrowed(self.name());
        Condition::wrap(match operand(&value.into_operand()) {
            Ok(v) => Cond::Cmp(name, op, v),
            Err(e) => Cond::Invalid(e),
        })
    }

    /// The attribute equals `value`.
    pub fn eq(self, value: impl Operand<V>) -> Condition<E>
    where
        P: Ordered,
    {
        self.cmp(CmpOp::Eq, value)
    }

    /// The attribute is missing, of another type, or not `value`.
    pub fn ne(self, value: impl Operand<V>) -> Condition<E>
    where
        P: Ordered,
    {
        self.cmp(CmpOp::Ne, value)
    }

    /// The attribute is less than `value`.
    pub fn lt(self, value: impl Operand<V>) -> Condition<E>
    where
        P: Ordered,
    {
        self.cmp(CmpOp::Lt, value)
    }

    /// The attribute is at most `value`.
    pub fn le(self, value: impl Operand<V>) -> Condition<E>
    where
        P: Ordered,
    {
        self.cmp(CmpOp::Le, value)
    }

    /// The attribute is greater than `value`.
    pub fn gt(self, value: impl Operand<V>) -> Condition<E>
    where
        P: Ordered,
    {
        self.cmp(CmpOp::Gt, value)
    }

    /// The attribute is at least `value`.
    pub fn ge(self, value: impl Operand<V>) -> Condition<E>
    where
        P: Ordered,
    {
        self.cmp(CmpOp::Ge, value)
    }

    /// `low <= attribute <= high`.
    pub fn between(self, low: impl Operand<V>, high: impl Operand<V>) -> Condition<E>
    where
        P: Ordered,
    {
        let name = Cow::Borrowed(self.name());
        Condition::wrap(
            match (operand(&low.into_operand()), operand(&high.into_operand())) {
                (Ok(l), Ok(h)) => Cond::Between(name, l, h),
                (Err(e), _) | (_, Err(e)) => Cond::Invalid(e),
            },
        )
    }

    /// The attribute equals one of `values` (1 to 100 of them).
    pub fn is_in<I>(self, values: I) -> Condition<E>
    where
        I: IntoIterator,
        I::Item: Operand<V>,
        P: Ordered,
    {
        let name = Cow::Borrowed(self.name());
        let values: Result<Vec<Value>, String> = values
            .into_iter()
            .map(|v| operand(&v.into_operand()))
            .collect();
        Condition::wrap(match values {
            Ok(v) if v.is_empty() || v.len() > 100 => {
                Cond::Invalid(format!("`is_in` takes 1 to 100 values, not {}", v.len()))
            }
            Ok(v) => Cond::In(name, v),
            Err(e) => Cond::Invalid(e),
        })
    }
}

impl<E, V: SetValue> Attr<E, V, SetField> {
    /// The set is not empty (an empty set is stored as no attribute).
    pub fn exists(self) -> Condition<E> {
        Condition::wrap(Cond::Exists(Cow::Borrowed(self.name()), true))
    }

    /// The set is empty: the attribute is absent (or the item is).
    pub fn not_exists(self) -> Condition<E> {
        Condition::wrap(Cond::Exists(Cow::Borrowed(self.name()), false))
    }

    /// The set holds `element`.
    pub fn contains(self, element: impl Operand<V::Element>) -> Condition<E> {
        let name = Cow::Borrowed(self.name());
        Condition::wrap(match operand(&element.into_operand()) {
            Ok(v) => Cond::Contains(name, v),
            Err(e) => Cond::Invalid(e),
        })
    }

    /// The number of elements of the set.
    pub fn size(self) -> Size<E> {
        Size::new(self.name())
    }
}

impl<E, V> Attr<E, V, Optional> {
    /// The field is `Some`: the attribute is present.
    pub fn exists(self) -> Condition<E> {
        Condition::wrap(Cond::Exists(Cow::Borrowed(self.name()), true))
    }

    /// The field is `None`: the attribute is absent (or the item is).
    pub fn not_exists(self) -> Condition<E> {
        Condition::wrap(Cond::Exists(Cow::Borrowed(self.name()), false))
    }
}

impl<E, V> Attr<E, V, super::attr::OptionalIndexKey> {
    /// The field is `Some`: the attribute is present.
    pub fn exists(self) -> Condition<E> {
        Condition::wrap(Cond::Exists(Cow::Borrowed(self.name()), true))
    }

    /// The field is `None`: the attribute is absent (or the item is).
    pub fn not_exists(self) -> Condition<E> {
        Condition::wrap(Cond::Exists(Cow::Borrowed(self.name()), false))
    }
}

impl<E, P> Attr<E, String, P> {
    /// The string starts with `prefix`.
    pub fn begins_with(self, prefix: impl Into<String>) -> Condition<E> {
        Condition::wrap(Cond::BeginsWith(Cow::Borrowed(self.name()), prefix.into()))
    }

    /// The string contains `part`.
    pub fn contains(self, part: impl Into<String>) -> Condition<E> {
        Condition::wrap(Cond::Contains(
            Cow::Borrowed(self.name()),
            Value::String(part.into()),
        ))
    }

    /// The string's length in UTF-16 code units, as DynamoDB counts it.
    pub fn size(self) -> Size<E> {
        Size::new(self.name())
    }
}

impl<E, X: Serialize, P> Attr<E, Vec<X>, P> {
    /// The list holds an element equal to `element`.
    pub fn contains(self, element: impl Operand<X>) -> Condition<E> {
        let name = Cow::Borrowed(self.name());
        Condition::wrap(match operand(&element.into_operand()) {
            Ok(v) => Cond::Contains(name, v),
            Err(e) => Cond::Invalid(e),
        })
    }

    /// The number of elements of the list.
    pub fn size(self) -> Size<E> {
        Size::new(self.name())
    }
}

/// The size of an attribute, to compare with a number: `a.name.size().le(64)`.
pub struct Size<E> {
    name: &'static str,
    _entity: PhantomData<fn() -> E>,
}

impl<E> Size<E> {
    fn new(name: &'static str) -> Self {
        Size {
            name,
            _entity: PhantomData,
        }
    }

    fn cmp(self, op: CmpOp, n: u64) -> Condition<E> {
        Condition::wrap(Cond::Size(Cow::Borrowed(self.name), op, n))
    }

    /// The size is `n`.
    pub fn eq(self, n: u64) -> Condition<E> {
        self.cmp(CmpOp::Eq, n)
    }
    /// The size is not `n`.
    pub fn ne(self, n: u64) -> Condition<E> {
        self.cmp(CmpOp::Ne, n)
    }
    /// The size is less than `n`.
    pub fn lt(self, n: u64) -> Condition<E> {
        self.cmp(CmpOp::Lt, n)
    }
    /// The size is at most `n`.
    pub fn le(self, n: u64) -> Condition<E> {
        self.cmp(CmpOp::Le, n)
    }
    /// The size is more than `n`.
    pub fn gt(self, n: u64) -> Condition<E> {
        self.cmp(CmpOp::Gt, n)
    }
    /// The size is at least `n`.
    pub fn ge(self, n: u64) -> Condition<E> {
        self.cmp(CmpOp::Ge, n)
    }
}

//! Typed conditions, one IR for both backends: DynamoDB gets a condition
//! expression with placeholder names and values only; SQLite evaluates the
//! same tree on the stored item with DynamoDB's rules.
// Expressions are what the DynamoDB backend sends.
#![cfg_attr(not(feature = "dynamodb"), allow(dead_code))]

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;
use std::marker::PhantomData;
use std::ops::{BitAnd, BitOr, Not};

use serde::Serialize;
use serde_json::{Map, Value};

use super::attr::{Attr, Operand, Optional, Ordered, SetField, SetKind, SetValue};

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

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "<>",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }

    fn holds(self, ordering: Ordering) -> bool {
        match self {
            CmpOp::Eq => ordering == Ordering::Equal,
            CmpOp::Ne => ordering != Ordering::Equal,
            CmpOp::Lt => ordering == Ordering::Less,
            CmpOp::Le => ordering != Ordering::Greater,
            CmpOp::Gt => ordering == Ordering::Greater,
            CmpOp::Ge => ordering != Ordering::Less,
        }
    }
}

/// An attribute name in a condition.
pub(crate) type Name = Cow<'static, str>;

/// The backend-neutral condition tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Cond {
    ItemExists(bool),
    Exists(Name, bool),
    Cmp(Name, CmpOp, Value),
    Between(Name, Value, Value),
    In(Name, Vec<Value>),
    BeginsWith(Name, String),
    Contains(Name, Value),
    /// The attribute is this set: the same elements, in any order.
    SetEq(Name, SetKind, Vec<Value>),
    Size(Name, CmpOp, u64),
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
    Not(Box<Cond>),
    /// An operand that did not serialize: the write fails with this message.
    Invalid(String),
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

impl Cond {
    /// Adds `cond` to the condition in `slot` by AND: what each builder's
    /// `when` does.
    pub(crate) fn and_into(slot: &mut Option<Cond>, cond: Cond) {
        *slot = Some(match slot.take() {
            None => cond,
            Some(c) => Cond::And(Box::new(c), Box::new(cond)),
        });
    }

    /// The first invalid operand, if any.
    pub(crate) fn invalid(&self) -> Option<&str> {
        match self {
            Cond::Invalid(e) => Some(e),
            Cond::And(a, b) | Cond::Or(a, b) => a.invalid().or_else(|| b.invalid()),
            Cond::Not(a) => a.invalid(),
            _ => None,
        }
    }

    /// Evaluates the condition on an item (`None`: no item has the key)
    /// with DynamoDB's rules.
    pub(crate) fn eval(&self, item: Option<&Map<String, Value>>) -> bool {
        let get = |name: &str| item.and_then(|i| i.get(name));
        match self {
            Cond::ItemExists(want) => item.is_some() == *want,
            Cond::Exists(name, want) => get(name).is_some() == *want,
            Cond::Cmp(name, op, v) => match get(name) {
                None => *op == CmpOp::Ne,
                Some(a) => compare(a, *op, v),
            },
            Cond::Between(name, lo, hi) => {
                get(name).is_some_and(|a| compare(a, CmpOp::Ge, lo) && compare(a, CmpOp::Le, hi))
            }
            Cond::In(name, values) => {
                get(name).is_some_and(|a| values.iter().any(|v| compare(a, CmpOp::Eq, v)))
            }
            Cond::BeginsWith(name, prefix) => {
                matches!(get(name), Some(Value::String(s)) if s.as_bytes().starts_with(prefix.as_bytes()))
            }
            Cond::Contains(name, v) => match (get(name), v) {
                (Some(Value::String(s)), Value::String(part)) => s.contains(part.as_str()),
                (Some(Value::Array(items)), v) => items.iter().any(|i| compare(i, CmpOp::Eq, v)),
                _ => false,
            },
            Cond::SetEq(name, _, elements) => match get(name) {
                Some(Value::Array(stored)) => {
                    stored.len() == elements.len()
                        && elements
                            .iter()
                            .all(|e| stored.iter().any(|s| compare(s, CmpOp::Eq, e)))
                }
                _ => false,
            },
            Cond::Size(name, op, n) => match get(name).and_then(size) {
                Some(s) => op.holds(s.cmp(n)),
                None => false,
            },
            Cond::And(a, b) => a.eval(item) && b.eval(item),
            Cond::Or(a, b) => a.eval(item) || b.eval(item),
            Cond::Not(a) => !a.eval(item),
            Cond::Invalid(_) => false,
        }
    }
}

/// DynamoDB's `size()`: UTF-16 code units of a string, elements of a list
/// or map.
fn size(value: &Value) -> Option<u64> {
    match value {
        Value::String(s) => Some(s.encode_utf16().count() as u64),
        Value::Array(a) => Some(a.len() as u64),
        Value::Object(m) => Some(m.len() as u64),
        _ => None,
    }
}

/// `a op b` with DynamoDB's rules: values of different types are not equal
/// and not ordered; lists, maps, booleans and nulls are only equal or not.
pub(crate) fn compare(a: &Value, op: CmpOp, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => op.holds(number_cmp(x, y)),
        (Value::String(x), Value::String(y)) => op.holds(x.as_bytes().cmp(y.as_bytes())),
        _ if std::mem::discriminant(a) == std::mem::discriminant(b) => match op {
            CmpOp::Eq => equal(a, b),
            CmpOp::Ne => !equal(a, b),
            _ => false,
        },
        _ => op == CmpOp::Ne,
    }
}

/// Two JSON numbers by value: integers directly, anything else as decimal
/// text (exactly, as DynamoDB's 38-digit decimals compare).
fn number_cmp(x: &serde_json::Number, y: &serde_json::Number) -> Ordering {
    let int = |n: &serde_json::Number| {
        n.as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from))
    };
    match (int(x), int(y)) {
        (Some(a), Some(b)) => a.cmp(&b),
        _ => decimal_cmp(&x.to_string(), &y.to_string()),
    }
}

/// Deep equality, numbers as decimals.
fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => number_cmp(x, y) == Ordering::Equal,
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| equal(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| equal(v, w)))
        }
        _ => a == b,
    }
}

/// Compares two numbers written in decimal (`-12.5`, `1e20`, `3E-7`) by
/// value, exactly, as DynamoDB's 38-digit decimals do.
pub(crate) fn decimal_cmp(a: &str, b: &str) -> Ordering {
    let (x, y) = (Decimal::parse(a), Decimal::parse(b));
    match (x.negative, y.negative) {
        (false, true) => Ordering::Greater,
        (true, false) => Ordering::Less,
        (false, false) => x.magnitude_cmp(&y),
        (true, true) => y.magnitude_cmp(&x),
    }
}

/// A decimal as sign, significant digits and the exponent of the first
/// digit: `12.5` is `+, [1, 2, 5], 2`, meaning 0.125 × 10².
struct Decimal {
    negative: bool,
    digits: Vec<u8>,
    exponent: i64,
}

impl Decimal {
    fn parse(text: &str) -> Decimal {
        let (negative, rest) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.strip_prefix('+').unwrap_or(text)),
        };
        let (mantissa, exp) = match rest.find(['e', 'E']) {
            Some(i) => (&rest[..i], rest[i + 1..].parse::<i64>().unwrap_or(0)),
            None => (rest, 0),
        };
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let mut digits: Vec<u8> = int.bytes().chain(frac.bytes()).map(|b| b - b'0').collect();
        let leading = digits.iter().take_while(|&&d| d == 0).count();
        digits.drain(..leading);
        while digits.last() == Some(&0) {
            digits.pop();
        }
        let exponent = int.len() as i64 - leading as i64 + exp;
        Decimal {
            negative: negative && !digits.is_empty(),
            digits,
            exponent,
        }
    }

    fn magnitude_cmp(&self, other: &Decimal) -> Ordering {
        match (self.digits.is_empty(), other.digits.is_empty()) {
            (true, true) => return Ordering::Equal,
            (true, false) => return Ordering::Less,
            (false, true) => return Ordering::Greater,
            _ => {}
        }
        self.exponent
            .cmp(&other.exponent)
            .then_with(|| self.digits.cmp(&other.digits))
    }
}

/// A condition as DynamoDB's expression language writes it, with the
/// names and values in place: `(#n0 >= :v0)` becomes `score >= 3`.
pub(crate) fn describe(cond: &Cond) -> String {
    let mut expr = Expression::default();
    let mut text = expr.condition(cond, "pk");
    // Later placeholders first, so that `#n1` does not eat into `#n10`.
    for (placeholder, name) in expr.names.iter().rev() {
        text = text.replace(placeholder.as_str(), name);
    }
    for (placeholder, value) in expr.values.iter().rev() {
        let shown = match value {
            ExprValue::Json(v) => v.to_string(),
            ExprValue::Set(_, elements) => Value::Array(elements.clone()).to_string(),
        };
        text = text.replace(placeholder.as_str(), &shown);
    }
    text
}

/// A condition compiled for DynamoDB: the expression and its placeholders.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Expression {
    pub(crate) names: Vec<(String, String)>,
    pub(crate) values: Vec<(String, ExprValue)>,
}

/// A value of an expression: any JSON value, or a DynamoDB set.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ExprValue {
    Json(Value),
    Set(SetKind, Vec<Value>),
}

impl Expression {
    /// A placeholder for an attribute name, reused when the name repeats.
    pub(crate) fn name(&mut self, name: &str) -> String {
        if let Some((p, _)) = self.names.iter().find(|(_, n)| n == name) {
            return p.clone();
        }
        let p = format!("#n{}", self.names.len());
        self.names.push((p.clone(), name.to_owned()));
        p
    }

    /// A placeholder for a value.
    pub(crate) fn value(&mut self, value: Value) -> String {
        let p = format!(":v{}", self.values.len());
        self.values.push((p.clone(), ExprValue::Json(value)));
        p
    }

    /// A placeholder for a set of `kind` holding `elements` (not empty).
    pub(crate) fn set(&mut self, kind: SetKind, elements: Vec<Value>) -> String {
        let p = format!(":v{}", self.values.len());
        self.values
            .push((p.clone(), ExprValue::Set(kind, elements)));
        p
    }

    /// The condition as DynamoDB's condition expression; `pk` is the name
    /// of the partition-key attribute (for item existence).
    pub(crate) fn condition(&mut self, cond: &Cond, pk: &str) -> String {
        match cond {
            Cond::ItemExists(true) => format!("attribute_exists({})", self.name(pk)),
            Cond::ItemExists(false) => format!("attribute_not_exists({})", self.name(pk)),
            Cond::Exists(n, true) => format!("attribute_exists({})", self.name(n)),
            Cond::Exists(n, false) => format!("attribute_not_exists({})", self.name(n)),
            Cond::Cmp(n, op, v) => {
                let n = self.name(n);
                format!("{n} {} {}", op.symbol(), self.value(v.clone()))
            }
            Cond::Between(n, lo, hi) => {
                let n = self.name(n);
                let lo = self.value(lo.clone());
                format!("{n} BETWEEN {lo} AND {}", self.value(hi.clone()))
            }
            Cond::In(n, values) => {
                let n = self.name(n);
                let list: Vec<String> = values.iter().map(|v| self.value(v.clone())).collect();
                format!("{n} IN ({})", list.join(", "))
            }
            Cond::BeginsWith(n, p) => {
                let n = self.name(n);
                format!("begins_with({n}, {})", self.value(Value::String(p.clone())))
            }
            Cond::Contains(n, v) => {
                let n = self.name(n);
                format!("contains({n}, {})", self.value(v.clone()))
            }
            Cond::Size(n, op, s) => {
                let n = self.name(n);
                format!("size({n}) {} {}", op.symbol(), self.value(Value::from(*s)))
            }
            Cond::SetEq(n, kind, elements) => {
                let n = self.name(n);
                format!("{n} = {}", self.set(*kind, elements.clone()))
            }
            Cond::And(a, b) => {
                let a = self.condition(a, pk);
                format!("({a}) AND ({})", self.condition(b, pk))
            }
            Cond::Or(a, b) => {
                let a = self.condition(a, pk);
                format!("({a}) OR ({})", self.condition(b, pk))
            }
            Cond::Not(a) => format!("NOT ({})", self.condition(a, pk)),
            // Refused before any request is made.
            Cond::Invalid(_) => "attribute_not_exists(invalid)".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decimals_compare_by_value() {
        for (a, b, o) in [
            ("1", "1.0", Ordering::Equal),
            ("10", "9", Ordering::Greater),
            ("-10", "-9", Ordering::Less),
            ("1e2", "100", Ordering::Equal),
            ("0.1", "0.10000000000000001", Ordering::Less),
            ("0", "-0", Ordering::Equal),
            ("-0.5", "0", Ordering::Less),
            (
                "18446744073709551615",
                "18446744073709551614",
                Ordering::Greater,
            ),
            ("1.5E-7", "0.00000015", Ordering::Equal),
        ] {
            assert_eq!(decimal_cmp(a, b), o, "{a} vs {b}");
        }
    }

    #[test]
    fn comparisons_follow_dynamodb() {
        let item = json!({"n": 5, "s": "abc", "l": [1, "x"], "e": "😀"});
        let item = item.as_object();
        let c = |cond: Cond| cond.eval(item);
        assert!(c(Cond::Cmp("n".into(), CmpOp::Gt, json!(4.5))));
        assert!(!c(Cond::Cmp("n".into(), CmpOp::Eq, json!("5"))));
        assert!(c(Cond::Cmp("n".into(), CmpOp::Ne, json!("5"))));
        assert!(c(Cond::Cmp("missing".into(), CmpOp::Ne, json!(1))));
        assert!(!c(Cond::Cmp("missing".into(), CmpOp::Lt, json!(1))));
        assert!(c(Cond::Size("e".into(), CmpOp::Eq, 2)));
        assert!(c(Cond::Contains("l".into(), json!("x"))));
        assert!(c(Cond::Contains("s".into(), json!("bc"))));
        assert!(c(Cond::Between("s".into(), json!("abc"), json!("abd"))));
        assert!(!Cond::ItemExists(true).eval(None));
        assert!(Cond::Cmp("n".into(), CmpOp::Ne, json!(1)).eval(None));
    }
}

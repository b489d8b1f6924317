//! The backend-neutral condition tree, and DynamoDB's rules for evaluating
//! it: what SQLite runs on the stored item inside a write's transaction and
//! on each item of a filtered page, with the results DynamoDB gives.

use std::borrow::Cow;
use std::cmp::Ordering;

use serde_json::{Map, Value};

use crate::schema::SetKind;

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
    /// `lo <= attribute <= hi`, or a missing attribute when `or_missing`:
    /// the range guard of an integer addition ([`super::action::range_guard`]),
    /// one node instead of a tree of four boxes, as every update with an
    /// `add` has one. Written as two comparisons rather than `BETWEEN`.
    Within {
        name: Name,
        lo: Value,
        hi: Value,
        or_missing: bool,
    },
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
    Not(Box<Cond>),
    /// An operand that did not serialize: the write fails with this message.
    Invalid(String),
}

impl Cond {
    /// That an item has expired at epoch second `now`: its TTL `attribute`
    /// is a number smaller than `now` (DynamoDB's TTL ignores any other
    /// value, and so does the comparison).
    pub(crate) fn expired(attribute: &'static str, now: u64) -> Cond {
        Cond::Cmp(Cow::Borrowed(attribute), CmpOp::Lt, Value::from(now))
    }

    /// That an item has not expired at epoch second `now`.
    pub(crate) fn live(attribute: &'static str, now: u64) -> Cond {
        Cond::Not(Box::new(Cond::expired(attribute, now)))
    }

    /// Adds `cond` to the condition in `slot` by AND: what each builder's
    /// `when` does.
    pub(crate) fn and_into(slot: &mut Option<Cond>, cond: Cond) {
        *slot = Some(match slot.take() {
            None => cond,
            Some(c) => Cond::And(Box::new(c), Box::new(cond)),
        });
    }

    /// Adds the names of the attributes the condition reads to `out`
    /// (top-level attributes: a condition reads no other).
    pub(crate) fn attributes<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            Cond::ItemExists(_) | Cond::Invalid(_) => {}
            Cond::Exists(name, _)
            | Cond::Cmp(name, ..)
            | Cond::Between(name, ..)
            | Cond::In(name, _)
            | Cond::BeginsWith(name, _)
            | Cond::Contains(name, _)
            | Cond::SetEq(name, ..)
            | Cond::Size(name, ..)
            | Cond::Within { name, .. } => out.push(name),
            Cond::And(a, b) | Cond::Or(a, b) => {
                a.attributes(out);
                b.attributes(out);
            }
            Cond::Not(a) => a.attributes(out),
        }
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
            Cond::Between(name, lo, hi) => get(name).is_some_and(|a| within(a, lo, hi)),
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
            Cond::Within {
                name,
                lo,
                hi,
                or_missing,
            } => get(name).map_or(*or_missing, |a| within(a, lo, hi)),
            Cond::And(a, b) => a.eval(item) && b.eval(item),
            Cond::Or(a, b) => a.eval(item) || b.eval(item),
            Cond::Not(a) => !a.eval(item),
            Cond::Invalid(_) => false,
        }
    }
}

/// `lo <= a <= hi` with DynamoDB's comparisons: `BETWEEN`'s and a range
/// guard's.
fn within(a: &Value, lo: &Value, hi: &Value) -> bool {
    compare(a, CmpOp::Ge, lo) && compare(a, CmpOp::Le, hi)
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
        let within = |name: &'static str, or_missing| Cond::Within {
            name: name.into(),
            lo: json!(0),
            hi: json!(5),
            or_missing,
        };
        assert!(c(within("n", false)));
        assert!(!c(within("missing", false)));
        assert!(c(within("missing", true)));
        assert!(!c(within("s", true)));
        assert!(!c(Cond::Within {
            name: "n".into(),
            lo: json!(6),
            hi: json!(9),
            or_missing: true,
        }));
        assert!(!Cond::ItemExists(true).eval(None));
        assert!(Cond::Cmp("n".into(), CmpOp::Ne, json!(1)).eval(None));
    }
}

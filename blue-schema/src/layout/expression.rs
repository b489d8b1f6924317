//! DynamoDB's expression language: conditions, filters and update clauses
//! written with placeholder names and values only, as every request of the
//! DynamoDB backend and every `explain()` prints them.

use serde_json::Value;

use crate::ops::cond::Cond;
use crate::schema::SetKind;

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

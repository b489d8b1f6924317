//! An update's actions as the clauses of DynamoDB's update expression.

use serde_json::Value;

use crate::layout::expression::Expression;
use crate::ops::action::Action;
use crate::schema::SetKind;

/// The update clauses of an update expression, in DynamoDB's syntax.
#[derive(Debug, Default)]
pub(crate) struct Clauses {
    pub(crate) sets: Vec<String>,
    pub(crate) removes: Vec<String>,
    pub(crate) adds: Vec<String>,
    pub(crate) deletes: Vec<String>,
}

impl Clauses {
    /// `SET … REMOVE … ADD … DELETE …`, each clause only when it has parts.
    pub(crate) fn expression(&self) -> String {
        let mut out = String::new();
        for (word, parts) in [
            ("SET", &self.sets),
            ("REMOVE", &self.removes),
            ("ADD", &self.adds),
            ("DELETE", &self.deletes),
        ] {
            if !parts.is_empty() {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(word);
                out.push(' ');
                out.push_str(&parts.join(", "));
            }
        }
        out
    }
}

/// A placeholder for `v`: a set when `kind` says so.
fn typed_value(expr: &mut Expression, v: &Value, kind: Option<SetKind>) -> String {
    match (kind, v) {
        (Some(kind), Value::Array(elements)) => expr.set(kind, elements.clone()),
        _ => expr.value(v.clone()),
    }
}

/// Writes the actions as DynamoDB update clauses (`SET`, `REMOVE`, `ADD`,
/// `DELETE`).
pub(crate) fn compile(actions: &[Action], expr: &mut Expression, clauses: &mut Clauses) {
    let Clauses {
        sets,
        removes,
        adds,
        deletes,
    } = clauses;
    for action in actions {
        match action {
            Action::Set(n, v, kind) => {
                let n = expr.name(n);
                sets.push(format!("{n} = {}", typed_value(expr, v, *kind)));
            }
            Action::SetIfAbsent(n, v, kind) => {
                let n = expr.name(n);
                sets.push(format!(
                    "{n} = if_not_exists({n}, {})",
                    typed_value(expr, v, *kind)
                ));
            }
            Action::AddToSet(n, kind, elements) => {
                let n = expr.name(n);
                adds.push(format!("{n} {}", expr.set(*kind, elements.clone())));
            }
            Action::DeleteFromSet(n, kind, elements) => {
                let n = expr.name(n);
                deletes.push(format!("{n} {}", expr.set(*kind, elements.clone())));
            }
            Action::Remove(n) => removes.push(expr.name(n)),
            Action::Add { name, delta, .. } => {
                let n = expr.name(name);
                let d = match i64::try_from(*delta) {
                    Ok(d) => Value::from(d),
                    Err(_) => Value::from(*delta as u64),
                };
                adds.push(format!("{n} {}", expr.value(d)));
            }
            Action::Append(n, v) => {
                let n = expr.name(n);
                let empty = expr.value(Value::Array(Vec::new()));
                let v = expr.value(Value::Array(v.clone()));
                sets.push(format!(
                    "{n} = list_append(if_not_exists({n}, {empty}), {v})"
                ));
            }
            Action::Prepend(n, v) => {
                let n = expr.name(n);
                let empty = expr.value(Value::Array(Vec::new()));
                let v = expr.value(Value::Array(v.clone()));
                sets.push(format!(
                    "{n} = list_append({v}, if_not_exists({n}, {empty}))"
                ));
            }
        }
    }
}

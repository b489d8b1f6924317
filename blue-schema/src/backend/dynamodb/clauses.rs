//! An update's actions as the clauses of DynamoDB's update expression.
use serde_json::Value;

use crate::layout::expression::{push, push_pieces, Expression, Piece, Placeholder};
use crate::ops::action::Action;
use crate::schema::SetKind;

/// The update clauses of an update expression, in DynamoDB's syntax: each
/// its parts joined by `, `.
#[derive(Debug, Default)]
pub(crate) struct Clauses {
    sets: String,
    removes: String,
    adds: String,
    deletes: String,
}

/// Starts one more part of `clause`.
fn part(clause: &mut String) -> &mut String {
    if clause.is_empty() {
        // Room for a few parts: a clause grown from empty reallocates as
        // often as it doubles.
        clause.reserve(96);
    } else {
        clause.push_str(", ");
    }
    clause
}

impl Clauses {
    /// Adds a part made of `pieces` to the `SET` clause.
    pub(crate) fn set(&mut self, pieces: &[Piece<'_>]) {
        push_pieces(part(&mut self.sets), pieces);
    }

    /// `SET … REMOVE … ADD … DELETE …`, each clause only when it has parts.
    pub(crate) fn expression(self) -> String {
        let Clauses {
            sets,
            removes,
            adds,
            deletes,
        } = self;
        // The `SET` clause's own string, which nearly every update has,
        // becomes the expression: no string of its own to fill.
        let mut out = sets;
        if !out.is_empty() {
            out.insert_str(0, "SET ");
        }
        for (word, parts) in [("REMOVE ", removes), ("ADD ", adds), ("DELETE ", deletes)] {
            if !parts.is_empty() {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(word);
                out.push_str(&parts);
            }
        }
        out
    }
}

/// A placeholder for `v`: a set when `kind` says so.
fn typed_value(expr: &mut Expression, v: &Value, kind: Option<SetKind>) -> Placeholder {
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
                let v = typed_value(expr, v, *kind);
                push!(part(sets), n, " = ", v);
            }
            Action::SetIfAbsent(n, v, kind) => {
                let n = expr.name(n);
                let v = typed_value(expr, v, *kind);
                push!(part(sets), n, " = if_not_exists(", n, ", ", v, ")");
            }
            Action::AddToSet(n, kind, elements) => {
                let n = expr.name(n);
                let v = expr.set(*kind, elements.clone());
                push!(part(adds), n, " ", v);
            }
            Action::DeleteFromSet(n, kind, elements) => {
                let n = expr.name(n);
                let v = expr.set(*kind, elements.clone());
                push!(part(deletes), n, " ", v);
            }
            Action::Remove(n) => expr.name(n).push_to(part(removes)),
            Action::Add { name, delta, .. } => {
                let n = expr.name(name);
                let d = match i64::try_from(*delta) {
                    Ok(d) => Value::from(d),
                    Err(_) => Value::from(*delta as u64),
                };
                let d = expr.value(d);
                push!(part(adds), n, " ", d);
            }
            Action::Append(n, v) => {
                let n = expr.name(n);
                let empty = expr.value(Value::Array(Vec::new()));
                let v = expr.value(Value::Array(v.clone()));
                push!(
                    part(sets),
                    n,
                    " = list_append(if_not_exists(",
                    n,
                    ", ",
                    empty,
                    "), ",
                    v,
                    ")"
                );
            }
            Action::Prepend(n, v) => {
                let n = expr.name(n);
                let empty = expr.value(Value::Array(Vec::new()));
                let v = expr.value(Value::Array(v.clone()));
                push!(
                    part(sets),
                    n,
                    " = list_append(",
                    v,
                    ", if_not_exists(",
                    n,
                    ", ",
                    empty,
                    "))"
                );
            }
        }
    }
}

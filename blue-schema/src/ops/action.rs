//! The changes of an update, and DynamoDB's rules for applying them to a
//! stored item (what SQLite runs inside the write's transaction).

use serde_json::{Map, Value};

use super::cond::{compare, CmpOp, Cond, Name};
use crate::schema::SetKind;

/// One change of an update.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Action {
    /// Set the attribute; to a set of this kind when it is a `#[set]`.
    Set(Name, Value, Option<SetKind>),
    SetIfAbsent(Name, Value, Option<SetKind>),
    Remove(Name),
    /// Add `delta` to an integer attribute (a missing one counts as 0); the
    /// result must stay within `min..=max`, the Rust type's range.
    Add {
        name: Name,
        delta: i128,
        min: i128,
        max: i128,
    },
    Append(Name, Vec<Value>),
    Prepend(Name, Vec<Value>),
    /// Add elements (distinct, at least one) to a set.
    AddToSet(Name, SetKind, Vec<Value>),
    /// Delete elements (distinct, at least one) from a set; an emptied set
    /// is removed.
    DeleteFromSet(Name, SetKind, Vec<Value>),
}

impl Action {
    pub(crate) fn name(&self) -> &str {
        match self {
            Action::Set(n, ..)
            | Action::SetIfAbsent(n, ..)
            | Action::Remove(n)
            | Action::Add { name: n, .. }
            | Action::Append(n, _)
            | Action::Prepend(n, _)
            | Action::AddToSet(n, ..)
            | Action::DeleteFromSet(n, ..) => n,
        }
    }
}

/// What the caller wants back from an update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Returning {
    Nothing,
    Old,
    New,
}

/// Why an update could not be applied to the stored item.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
pub(crate) enum ApplyError {
    /// An operand of the wrong type (adding to a string...): DynamoDB's
    /// validation error.
    Type(String),
    /// An integer left its Rust type's range.
    Overflow(String),
}

/// Applies the actions to an item's attributes, with DynamoDB's rules.
#[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
pub(crate) fn apply(actions: &[Action], item: &mut Map<String, Value>) -> Result<(), ApplyError> {
    for action in actions {
        match action {
            Action::Set(n, v, _) => {
                item.insert(n.to_string(), v.clone());
            }
            Action::SetIfAbsent(n, v, _) => {
                item.entry(n.to_string()).or_insert_with(|| v.clone());
            }
            Action::AddToSet(n, _, elements) => {
                let set = item
                    .entry(n.to_string())
                    .or_insert_with(|| Value::Array(Vec::new()));
                let Value::Array(set) = set else {
                    return Err(not_a_set(n));
                };
                for e in elements {
                    if !set.iter().any(|s| compare(s, CmpOp::Eq, e)) {
                        set.push(e.clone());
                    }
                }
            }
            Action::DeleteFromSet(n, _, elements) => match item.get_mut(n.as_ref()) {
                None => {}
                Some(Value::Array(set)) => {
                    set.retain(|s| !elements.iter().any(|e| compare(s, CmpOp::Eq, e)));
                    if set.is_empty() {
                        item.remove(n.as_ref());
                    }
                }
                Some(_) => return Err(not_a_set(n)),
            },
            Action::Remove(n) => {
                item.remove(n.as_ref());
            }
            Action::Add {
                name,
                delta,
                min,
                max,
            } => {
                let current = match item.get(name.as_ref()) {
                    None => 0,
                    Some(Value::Number(n)) => n
                        .as_i64()
                        .map(i128::from)
                        .or_else(|| n.as_u64().map(i128::from))
                        .ok_or_else(|| {
                            ApplyError::Type(format!("`{name}` holds {n}, which is not an integer"))
                        })?,
                    Some(other) => {
                        return Err(ApplyError::Type(format!(
                            "an operand in the update expression has an incorrect data type: `{name}` holds {other}"
                        )))
                    }
                };
                let result = current + delta;
                if result < *min || result > *max {
                    return Err(ApplyError::Overflow(name.to_string()));
                }
                let value = match u64::try_from(result) {
                    Ok(u) => Value::from(u),
                    Err(_) => Value::from(result as i64),
                };
                item.insert(name.to_string(), value);
            }
            Action::Append(n, v) | Action::Prepend(n, v) => {
                let list = item
                    .entry(n.to_string())
                    .or_insert_with(|| Value::Array(Vec::new()));
                let Value::Array(list) = list else {
                    return Err(ApplyError::Type(format!(
                        "an operand in the update expression has an incorrect data type: `{n}` is not a list"
                    )));
                };
                if matches!(action, Action::Append(..)) {
                    list.extend(v.iter().cloned());
                } else {
                    list.splice(0..0, v.iter().cloned());
                }
            }
        }
    }
    Ok(())
}

/// The condition that keeps an `Add` within its type's range: the stored
/// value must lie in `min - delta ..= max - delta` (clamped to what a
/// stored integer can be), or be missing when `delta` itself is in range.
pub(crate) fn range_guard(action: &Action) -> Option<Cond> {
    let Action::Add {
        name,
        delta,
        min,
        max,
    } = action
    else {
        return None;
    };
    let lo = (min - delta).max(i128::from(i64::MIN));
    let hi = (max - delta).min(i128::from(u64::MAX));
    let number = |n: i128| match u64::try_from(n) {
        Ok(u) => Value::from(u),
        Err(_) => Value::from(n as i64),
    };
    // Two comparisons rather than `BETWEEN`: the same on DynamoDB, and moto
    // (whose `BETWEEN` is false for every item) then runs updates too.
    let within = Cond::And(
        Box::new(Cond::Cmp(name.clone(), CmpOp::Ge, number(lo))),
        Box::new(Cond::Cmp(name.clone(), CmpOp::Le, number(hi))),
    );
    Some(if (*min..=*max).contains(delta) {
        Cond::Or(
            Box::new(Cond::Exists(name.clone(), false)),
            Box::new(within),
        )
    } else {
        within
    })
}

fn not_a_set(name: &str) -> ApplyError {
    ApplyError::Type(format!(
        "an operand in the update expression has an incorrect data type: `{name}` is not a set"
    ))
}

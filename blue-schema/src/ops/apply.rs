//! Applying an update's actions to the stored item, with DynamoDB's rules:
//! what SQLite runs inside the write's transaction, and what the store
//! computes itself for a write that must know the item it leaves (a write
//! of an entity with `#[unique]` fields).

use serde_json::{Map, Value};

use super::action::Action;
use super::cond::{compare, CmpOp};

/// Why an update could not be applied to the stored item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ApplyError {
    /// An operand of the wrong type (adding to a string...): DynamoDB's
    /// validation error.
    Type(String),
    /// An integer left its Rust type's range.
    Overflow(String),
}

/// Applies the actions to an item's attributes, with DynamoDB's rules.
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

fn not_a_set(name: &str) -> ApplyError {
    ApplyError::Type(format!(
        "an operand in the update expression has an incorrect data type: `{name}` is not a set"
    ))
}

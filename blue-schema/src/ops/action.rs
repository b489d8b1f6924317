//! The changes of an update, and DynamoDB's rules for applying them to a
//! stored item (what SQLite runs inside the write's transaction).

use serde_json::Value;

use super::cond::{Cond, Name};
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
        self.name_cow()
    }

    /// The attribute's name as the action holds it: borrowed, for the
    /// names a derive wrote, when cloned.
    pub(crate) fn name_cow(&self) -> &Name {
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
    Some(Cond::Within {
        name: name.clone(),
        lo: number(lo),
        hi: number(hi),
        or_missing: (*min..=*max).contains(delta),
    })
}

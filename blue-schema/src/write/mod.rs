//! The write side: [conditions](Condition), [updates](Update),
//! `#[version]` checks and [transactions](crate::store::Transaction), defined once
//! for both backends.
//!
//! Every conditional write carries its checks. DynamoDB receives them
//! as one condition expression; SQLite evaluates them on the stored item
//! inside the write's transaction. When a check fails, both backends have
//! the current item (DynamoDB returns it with
//! `ReturnValuesOnConditionCheckFailure`, no extra read) and explain the
//! failure with the same function, so the error is the same on both.

pub(crate) mod attr;
mod condition;
mod update;
mod view;

pub use crate::error::{
    ActionKey, CancelReason, ConditionFailed, ShapeMismatch, TransactionCanceled,
};
pub use attr::{
    Attr, IndexFields, IndexKey, Integer, KeyField, Operand, Optional, OptionalIndexKey, Ordered,
    Presence, Removable, Required, SetAttr, SetElement, SetField, SetKind, SetValue, Settable,
    VersionField,
};
pub use condition::{Condition, Size};
pub use update::Update;

pub(crate) use view::{MapWithSets, WriteView};

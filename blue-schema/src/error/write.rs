//! What a refused conditional write and a cancelled transaction report.

use std::fmt;

use std::any::Any;

/// A decoded item of some entity type, behind `Any`.
pub(crate) type AnyItem = Box<dyn Any + Send>;

/// A write that found the item stored in another shape than the writer's
/// ([`crate::schema::shape`]): nothing was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShapeMismatch {
    /// The table.
    pub table: &'static str,
    /// The item's partition key.
    pub partition_key: String,
    /// The item's sort key.
    pub sort_key: String,
    /// The entity the write was for.
    pub entity: &'static str,
    /// The shape the item is stored in.
    pub stored: u64,
    /// The shape the writer writes.
    pub writer: u32,
}

impl fmt::Display for ShapeMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ShapeMismatch {
            table,
            partition_key,
            sort_key,
            entity,
            stored,
            writer,
        } = self;
        if u64::from(*writer) < *stored {
            write!(
                f,
                "{table} holds {partition_key} | {sort_key} in shape {stored} of {entity}, newer \
                 than this program's shape {writer}: a newer version of the program wrote it, and \
                 writing it here would drop its new fields; nothing was written (deploy the newer \
                 program here too)"
            )
        } else {
            write!(
                f,
                "{table} holds {partition_key} | {sort_key} in shape {stored} of {entity}, older \
                 than shape {writer}: a transaction's update does not upgrade items; nothing was \
                 written (upgrade the item with `modify` or a backfill, then run it again)"
            )
        }
    }
}

/// A conditional write whose condition (or version check) did not hold:
/// nothing was written. It carries the item as stored when the check
/// failed, decoded (DynamoDB returns it with the failure; SQLite read it in
/// the same transaction).
pub struct ConditionFailed {
    /// The table.
    pub table: &'static str,
    /// The item's partition key.
    pub partition_key: String,
    /// The item's sort key.
    pub sort_key: String,
    /// For a version conflict: the version the write expected (0: no item).
    pub expected_version: Option<u64>,
    /// For a version conflict: the stored version (`None`: no item).
    pub found_version: Option<u64>,
    pub(crate) current: Option<Current>,
}

/// The stored item of a failed check, of the entity type the write was
/// for.
pub(crate) struct Current(pub(crate) AnyItem);

// SAFETY: the boxed value is only reached through `ConditionFailed::current`,
// which hands out `&E` only for `E: Sync` (after checking the value is an
// `E`), and through `into_current`, which moves it out of an owned value. No
// `&` to a non-`Sync` value can be made from a shared `Current`.
unsafe impl Sync for Current {}

impl ConditionFailed {
    /// The stored item, decoded as `E` (the entity the write was for), or
    /// `None` when no item has the key.
    pub fn current<E: Sync + 'static>(&self) -> Option<&E> {
        self.current.as_ref().and_then(|c| c.0.downcast_ref())
    }

    /// The stored item, taken.
    pub fn into_current<E: 'static>(self) -> Option<E> {
        self.current
            .and_then(|c| c.0.downcast().ok())
            .map(|boxed| *boxed)
    }
}

impl fmt::Debug for ConditionFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConditionFailed")
            .field("table", &self.table)
            .field("partition_key", &self.partition_key)
            .field("sort_key", &self.sort_key)
            .field("expected_version", &self.expected_version)
            .field("found_version", &self.found_version)
            .field("has_current", &self.current.is_some())
            .finish()
    }
}

/// Why one action of a cancelled transaction failed, aligned with the
/// actions in the order they were added.
#[derive(Debug)]
#[non_exhaustive]
pub enum CancelReason {
    /// This action's checks held; it was cancelled because another failed.
    None,
    /// `create` found an item with the key.
    AlreadyExists,
    /// An update that does not create found no item.
    NotFound,
    /// The action's condition did not hold.
    ConditionFailed(ConditionFailed),
    /// The stored version was not the expected one.
    VersionConflict(ConditionFailed),
    /// An integer addition would leave the field's type.
    Overflow {
        /// The attribute.
        attribute: String,
    },
    /// The item after this action would pass DynamoDB's 400 KB.
    ItemTooLarge,
    /// The item is stored in another shape than the action's entity writes
    /// ([`Error::NewerShape`](crate::Error::NewerShape),
    /// [`Error::OlderShape`](crate::Error::OlderShape)).
    Shape(ShapeMismatch),
    /// Another transaction was writing the same item (DynamoDB's
    /// `TransactionConflict`). Retryable.
    Conflict,
    /// DynamoDB was throttled. Retryable.
    Throttled,
    /// DynamoDB refused the action as invalid for the stored item (an
    /// operand of the wrong type, say).
    Validation(String),
    /// Another reason DynamoDB gave: its code and message.
    Other {
        /// DynamoDB's code.
        code: String,
        /// DynamoDB's message.
        message: String,
    },
}

impl CancelReason {
    /// Whether the transaction may succeed if tried again as it is.
    pub fn is_retryable(&self) -> bool {
        matches!(self, CancelReason::Conflict | CancelReason::Throttled)
    }

    /// Whether the action failed (rather than being cancelled with the others).
    pub fn is_failure(&self) -> bool {
        !matches!(self, CancelReason::None)
    }
}

/// The key of one action of a transaction: what its failure is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionKey {
    /// The table.
    pub table: &'static str,
    /// The item's partition key.
    pub partition_key: String,
    /// The item's sort key.
    pub sort_key: String,
}

impl fmt::Display for ActionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{} | {}` of `{}`",
            self.partition_key, self.sort_key, self.table
        )
    }
}

/// A transaction that wrote nothing: one reason per action, in order.
#[derive(Debug)]
pub struct TransactionCanceled {
    /// Why each action failed, or [`CancelReason::None`].
    pub reasons: Vec<CancelReason>,
    /// The key of each action, in the same order.
    pub keys: Vec<ActionKey>,
}

impl TransactionCanceled {
    /// The indexes and reasons of the actions that failed.
    pub fn failures(&self) -> impl Iterator<Item = (usize, &CancelReason)> {
        self.reasons
            .iter()
            .enumerate()
            .filter(|(_, r)| r.is_failure())
    }

    /// Whether every failure is retryable (a conflict or throttling).
    pub fn is_retryable(&self) -> bool {
        self.failures().all(|(_, r)| r.is_retryable()) && self.failures().next().is_some()
    }
}

/// What went wrong, as a phrase: `its condition failed`, `the item already
/// exists`. The key is the action's ([`TransactionCanceled::keys`]), which
/// the transaction's own message names.
impl fmt::Display for CancelReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CancelReason::None => f.write_str("cancelled with the others"),
            CancelReason::AlreadyExists => f.write_str("the item already exists"),
            CancelReason::NotFound => f.write_str("no item has the key"),
            CancelReason::ConditionFailed(_) => f.write_str("its condition failed"),
            CancelReason::VersionConflict(c) => match (c.expected_version, c.found_version) {
                (Some(expected), found) => write!(
                    f,
                    "the stored version is {}, not {expected}",
                    found.map_or_else(|| "none".to_owned(), |v| v.to_string())
                ),
                _ => f.write_str("the stored version is another"),
            },
            CancelReason::Overflow { attribute } => {
                write!(f, "`{attribute}` would overflow its integer type")
            }
            CancelReason::ItemTooLarge => f.write_str("the item would pass 400 KB"),
            CancelReason::Shape(m) => write!(
                f,
                "the item is stored in shape {} of {}, not this program's {}",
                m.stored, m.entity, m.writer
            ),
            CancelReason::Conflict => f.write_str("another transaction was writing the item"),
            CancelReason::Throttled => f.write_str("DynamoDB throttled it"),
            CancelReason::Validation(message) => write!(f, "refused: {message}"),
            CancelReason::Other { code, message } => write!(f, "{code}: {message}"),
        }
    }
}

impl fmt::Display for TransactionCanceled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the transaction was cancelled, nothing written:")?;
        for (n, (i, reason)) in self.failures().enumerate() {
            let separator = if n == 0 { " " } else { "; " };
            write!(f, "{separator}action {i}")?;
            if let Some(key) = self.keys.get(i) {
                write!(f, " ({key})")?;
            }
            write!(f, ": {reason}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_read_as_phrases_and_name_versions() {
        let conflict = ConditionFailed {
            table: "t",
            partition_key: "p".into(),
            sort_key: "DOC#1".into(),
            expected_version: Some(3),
            found_version: Some(4),
            current: None,
        };
        assert_eq!(
            CancelReason::VersionConflict(conflict).to_string(),
            "the stored version is 4, not 3"
        );
        let overflow = CancelReason::Overflow {
            attribute: "count".into(),
        };
        assert_eq!(
            overflow.to_string(),
            "`count` would overflow its integer type"
        );
        let cancelled = TransactionCanceled {
            reasons: vec![CancelReason::None, overflow],
            keys: vec![],
        };
        // Without keys (an older caller's value), the actions are numbered.
        assert_eq!(
            cancelled.to_string(),
            "the transaction was cancelled, nothing written: action 1: `count` would overflow its integer type"
        );
    }
}

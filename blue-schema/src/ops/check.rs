//! What a conditional write checks before it applies, and how a failed
//! check is explained: both backends explain a failure with the same
//! function, from the stored item, so the error is the same on both.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::cond::CmpOp;
use super::cond::Cond;
use super::decode::AnyDecoder;
use super::ItemKey;
use crate::error::{CancelReason, ConditionFailed, Current, ShapeMismatch};
use crate::schema::shape::stored_shape;
use crate::schema::SHAPE_ATTRIBUTE;

/// The version check of a write of a `#[version]` entity.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct VersionCheck {
    /// The version attribute.
    pub(crate) attribute: &'static str,
    /// The version the stored item must have; 0: no item may exist.
    pub(crate) expected: u64,
}

/// When items of a table with a TTL attribute count as gone: the checks of
/// a write see an item that expired before `now` as absent, and a write
/// over one replaces it as if it were not there ([`crate::ttl`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Expiry {
    /// The table's TTL attribute.
    pub(crate) attribute: &'static str,
    /// The epoch second of the write.
    pub(crate) now: u64,
    /// Whether the table records its changes ([`crate::feed`]): an
    /// unconditional put over an expired item then removes it first, as
    /// DynamoDB's must (a `Remove` and an `Insert` in the feed, never a
    /// `Modify`), where SQLite could replace it in one statement.
    pub(crate) feed: bool,
}

impl Expiry {
    /// The expiry of a write to a table whose TTL attribute is `ttl`, at
    /// the second `now` gives (asked only for a table that has one).
    pub(crate) fn of(ttl: Option<&'static str>, now: impl FnOnce() -> u64) -> Option<Expiry> {
        ttl.map(|attribute| Expiry {
            attribute,
            now: now(),
            feed: false,
        })
    }

    /// That the item has expired, as a condition.
    #[cfg_attr(not(feature = "dynamodb"), allow(dead_code))]
    pub(crate) fn cond(&self) -> Cond {
        Cond::expired(self.attribute, self.now)
    }

    /// Whether `item` has expired: its TTL attribute is a number below
    /// `now` (DynamoDB's TTL ignores any other value).
    pub(crate) fn has_expired(&self, item: &Map<String, Value>) -> bool {
        ttl_value_expired(item.get(self.attribute), self.now as f64)
    }

    /// Whether a TTL attribute holding the number `at` has expired.
    #[cfg_attr(not(feature = "dynamodb"), allow(dead_code))]
    pub(crate) fn is_past(&self, at: f64) -> bool {
        at < self.now as f64
    }
}

/// DynamoDB's TTL rule for the value of an item's TTL attribute: a number
/// below `now` (epoch seconds) has expired; no value, or any other, never
/// does.
pub(crate) fn ttl_value_expired(value: Option<&Value>, now: f64) -> bool {
    value.and_then(Value::as_f64).is_some_and(|at| at < now)
}

/// The shape check of a write ([`crate::schema::shape`]): the stored item
/// (when there is one) must be in the writer's shape or an older one, or,
/// for an update, which writes only part of an item, exactly the writer's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ShapeCheck {
    /// The entity written.
    pub(crate) entity: &'static str,
    /// The shape it writes.
    pub(crate) writer: u32,
    /// Whether an older stored shape fails too.
    pub(crate) exact: bool,
}

impl ShapeCheck {
    /// The check of a write of a whole item of `entity`.
    pub(crate) const fn whole(entity: &crate::EntitySchema) -> Option<ShapeCheck> {
        Some(ShapeCheck {
            entity: entity.name,
            writer: entity.shape,
            exact: false,
        })
    }

    /// The check of an update of part of an item of `entity`.
    pub(crate) fn part(entity: &crate::EntitySchema) -> Option<ShapeCheck> {
        Some(ShapeCheck {
            entity: entity.name,
            writer: entity.shape,
            exact: true,
        })
    }

    /// Whether an item stored in shape `stored` passes.
    pub(crate) fn passes(&self, stored: u64) -> bool {
        let writer = u64::from(self.writer);
        stored <= writer && (!self.exact || stored == writer)
    }

    /// The check as a condition on the stored item (an absent item passes).
    #[cfg_attr(not(feature = "dynamodb"), allow(dead_code))]
    pub(crate) fn cond(&self) -> Cond {
        let name = || std::borrow::Cow::Borrowed(SHAPE_ATTRIBUTE);
        let writer = Value::from(self.writer);
        if !self.exact || self.writer == 1 {
            // Not newer: a comparison with a missing attribute (shape 1, or
            // no item) is false, so its negation holds, as the TTL's
            // `NOT #t < :now` relies on too. The shortest form: every
            // write carries it.
            return Cond::Not(Box::new(Cond::Cmp(name(), CmpOp::Gt, writer)));
        }
        let stored = Cond::Cmp(name(), CmpOp::Eq, writer);
        Cond::Or(Box::new(Cond::ItemExists(false)), Box::new(stored))
    }

    /// Whether a write's checks are this one's alone: its refusal can only
    /// be a shape, which a read after it explains (DynamoDB need not send
    /// the old item back with every write).
    #[cfg_attr(not(feature = "dynamodb"), allow(dead_code))]
    pub(crate) fn alone_in(checks: &Checks) -> bool {
        checks.shape.is_some()
            && checks.exists.is_none()
            && checks.version.is_none()
            && checks.user.is_none()
            && checks.guards.is_empty()
            && checks.expiry.is_none()
    }
}

/// Everything a conditional write checks before it applies.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Checks {
    /// `Some(false)`: no item may have the key (`create`);
    /// `Some(true)`: an item must (an update that does not create).
    pub(crate) exists: Option<bool>,
    pub(crate) version: Option<VersionCheck>,
    /// The caller's condition.
    pub(crate) user: Option<Cond>,
    /// Range guards of integer additions: `(attribute, condition)`.
    pub(crate) guards: Vec<(Cow<'static, str>, Cond)>,
    /// In a table with a TTL attribute: what is expired, and so absent.
    pub(crate) expiry: Option<Expiry>,
    /// The stored item's shape, for a write of an entity.
    pub(crate) shape: Option<ShapeCheck>,
}

/// Why a write's checks failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    AlreadyExists,
    NotFound,
    Version { expected: u64, found: Option<u64> },
    Condition,
    Overflow(String),
    Shape { check: ShapeCheck, stored: u64 },
}

impl Checks {
    /// Whether there is anything to check.
    pub(crate) fn is_empty(&self) -> bool {
        self.exists.is_none()
            && self.version.is_none()
            && self.user.is_none()
            && self.guards.is_empty()
            && self.expiry.is_none()
            && self.shape.is_none()
    }

    /// Whether the checks hold when no item has the key: a write they
    /// allow over an expired item replaces it.
    #[cfg_attr(not(feature = "dynamodb"), allow(dead_code))]
    pub(crate) fn pass_on_absent(&self) -> bool {
        self.failure(None).is_none()
    }

    /// Whether `item` is one the checks see as absent because it expired.
    pub(crate) fn finds_expired(&self, item: Option<&Map<String, Value>>) -> bool {
        matches!((self.expiry, item), (Some(e), Some(i)) if e.has_expired(i))
    }

    /// The attributes of the item the checks read: [`failure`](Checks::failure)
    /// gives the same answer on an item holding only these.
    #[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
    pub(crate) fn attributes(&self) -> Vec<&str> {
        let mut out = Vec::new();
        if let Some(e) = &self.expiry {
            out.push(e.attribute);
        }
        if let Some(v) = &self.version {
            out.push(v.attribute);
        }
        if self.shape.is_some() {
            out.push(SHAPE_ATTRIBUTE);
        }
        if let Some(user) = &self.user {
            user.attributes(&mut out);
        }
        for (_, guard) in &self.guards {
            guard.attributes(&mut out);
        }
        out
    }

    /// The first check that fails on `item` (`None`: no item has the key),
    /// in a fixed order: existence, version, the caller's condition, range
    /// guards.
    pub(crate) fn failure(&self, item: Option<&Map<String, Value>>) -> Option<Failure> {
        let item = item.filter(|i| !self.finds_expired(Some(i)));
        match (self.exists, item) {
            (Some(false), Some(_)) => return Some(Failure::AlreadyExists),
            (Some(true), None) => return Some(Failure::NotFound),
            _ => {}
        }
        // Before the version: an older program's write of a newer item is
        // told why, whatever else fails.
        if let (Some(check), Some(item)) = (self.shape, item) {
            let stored = stored_shape(item);
            if !check.passes(stored) {
                return Some(Failure::Shape { check, stored });
            }
        }
        if let Some(v) = &self.version {
            let found = item.map(|i| i.get(v.attribute).and_then(Value::as_u64).unwrap_or(0));
            let ok = match (v.expected, found) {
                (0, None) => true,
                (expected, Some(found)) => expected != 0 && expected == found,
                _ => false,
            };
            if !ok {
                return Some(Failure::Version {
                    expected: v.expected,
                    found,
                });
            }
        }
        if let Some(user) = &self.user {
            if !user.eval(item) {
                return Some(Failure::Condition);
            }
        }
        self.guards
            .iter()
            .find(|(_, g)| !g.eval(item))
            .map(|(name, _)| Failure::Overflow(name.to_string()))
    }
}

impl Failure {
    /// The store's error for this failure of a write to `key`, with the
    /// stored item (decoded when there is one).
    pub(crate) fn into_error(self, key: &ItemKey, current: Option<Current>) -> crate::Error {
        use crate::Error;
        match self {
            Failure::AlreadyExists => Error::AlreadyExists {
                table: key.table,
                partition_key: key.partition_key.clone(),
                sort_key: key.sort_key.clone(),
            },
            Failure::NotFound => Error::NotFound {
                table: key.table,
                partition_key: key.partition_key.clone(),
                sort_key: key.sort_key.clone(),
            },
            Failure::Version { expected, found } => Error::VersionConflict(Box::new(
                condition_failed(key, Some(expected), found, current),
            )),
            Failure::Condition => {
                Error::ConditionFailed(Box::new(condition_failed(key, None, None, current)))
            }
            Failure::Overflow(attribute) => Error::Overflow {
                table: key.table,
                partition_key: key.partition_key.clone(),
                sort_key: key.sort_key.clone(),
                attribute,
            },
            Failure::Shape { check, stored } => {
                let mismatch = Box::new(shape_mismatch(key, check, stored));
                if stored > u64::from(check.writer) {
                    Error::NewerShape(mismatch)
                } else {
                    Error::OlderShape(mismatch)
                }
            }
        }
    }

    /// The same failure as one action's reason in a cancelled transaction.
    pub(crate) fn into_reason(self, key: &ItemKey, current: Option<Current>) -> CancelReason {
        match self {
            Failure::AlreadyExists => CancelReason::AlreadyExists,
            Failure::NotFound => CancelReason::NotFound,
            Failure::Version { expected, found } => {
                CancelReason::VersionConflict(condition_failed(key, Some(expected), found, current))
            }
            Failure::Condition => {
                CancelReason::ConditionFailed(condition_failed(key, None, None, current))
            }
            Failure::Overflow(attribute) => CancelReason::Overflow { attribute },
            Failure::Shape { check, stored } => {
                CancelReason::Shape(shape_mismatch(key, check, stored))
            }
        }
    }
}

/// What a write of `key` that `check` refused reports.
pub(crate) fn shape_mismatch(key: &ItemKey, check: ShapeCheck, stored: u64) -> ShapeMismatch {
    ShapeMismatch {
        table: key.table,
        partition_key: key.partition_key.clone(),
        sort_key: key.sort_key.clone(),
        entity: check.entity,
        stored,
        writer: check.writer,
    }
}

/// What a refused write of `key` carries: the versions a version check
/// compared, and the stored item.
fn condition_failed(
    key: &ItemKey,
    expected_version: Option<u64>,
    found_version: Option<u64>,
    current: Option<Current>,
) -> ConditionFailed {
    ConditionFailed {
        table: key.table,
        partition_key: key.partition_key.clone(),
        sort_key: key.sort_key.clone(),
        expected_version,
        found_version,
        current,
    }
}

/// Explains a failed check from the stored item: its failure (or a plain
/// condition failure, when the backend refused but nothing here fails,
/// which only rounding in another client's numbers can cause) and the item
/// decoded. An item that does not decode is reported without it.
pub(crate) fn explain(
    key: &ItemKey,
    checks: &Checks,
    item: Option<Map<String, Value>>,
    decode: Option<AnyDecoder>,
) -> (Failure, Option<Current>) {
    // An expired item is reported as none.
    let item = item.filter(|i| !checks.finds_expired(Some(i)));
    let failure = checks.failure(item.as_ref()).unwrap_or(Failure::Condition);
    let current = match (item, decode) {
        (Some(map), Some(d)) => d
            .decode_value(key.stored(), Value::Object(map))
            .ok()
            .map(Current),
        _ => None,
    };
    (failure, current)
}

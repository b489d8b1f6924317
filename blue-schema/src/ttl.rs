//! Time to Live: items that expire, hidden the same way on both backends.
//!
//! A table declares the one attribute DynamoDB's TTL reads, and each entity
//! whose items expire marks the field stored under it:
//!
//! ```
//! use std::time::SystemTime;
//! use blue_schema::{Entity, Table};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Table)]
//! #[table(name = "blue_auth", ttl = "expires_at")]
//! enum Auth {
//!     Session(Session),
//! }
//!
//! #[derive(Entity, Serialize, Deserialize)]
//! #[entity(table = Auth)]
//! #[sk(prefix = "SESSION")]
//! struct Session {
//!     #[pk]
//!     user: String,
//!     #[sk]
//!     id: String,
//!     /// Stored as epoch seconds, which is what DynamoDB's TTL reads.
//!     #[ttl]
//!     #[serde(with = "blue_schema::ttl", default)]
//!     expires_at: Option<SystemTime>,
//! }
//! ```
//!
//! The field is a `u64` of epoch seconds, a [`SystemTime`], or (feature
//! `chrono`) a `chrono::DateTime<Utc>`, each optionally in an `Option` (`None`:
//! the item never expires). The last two are stored through
//! `#[serde(with = "blue_schema::ttl")]` as whole epoch seconds (the fraction
//! is dropped, so an item expires at most a second late, never early).
//!
//! # The portable contract
//!
//! DynamoDB deletes an expired item when its background process gets to
//! it, often days later, and until then the item is returned by reads and
//! seen by conditions. The library hides that difference on both backends:
//!
//! * an item is **expired** when its TTL attribute is a number smaller than
//!   the current epoch second, as DynamoDB decides;
//! * reads (`get`, queries of the table and its indexes, batch and
//!   transactional gets) leave expired items out; a query counts them as
//!   evaluated, as a filter does, so its pages end where DynamoDB's do.
//!   [`QueryRun::include_expired`](crate::QueryRun::include_expired),
//!   [`Query::include_expired`](crate::Query::include_expired) and
//!   [`GetItem::include_expired`](crate::store::GetItem::include_expired)
//!   show them;
//! * conditions see an expired item as absent: a `create` over one
//!   succeeds, an update of one fails with
//!   [`Error::NotFound`](crate::Error::NotFound), a condition on absence
//!   holds (on DynamoDB the condition expression says so);
//! * SQLite removes expired rows when asked,
//!   [`Store::sweep_expired`](crate::Store::sweep_expired), or in the
//!   background with [`Store::spawn_sweeper`](crate::Store::spawn_sweeper).
//!
//! "Now" is the store's [`Clock`]: the system's, or one a test sets
//! ([`Store::with_clock`](crate::Store::with_clock), [`ManualClock`]).

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A type a `#[ttl]` field can have: what it means as an expiry time.
#[diagnostic::on_unimplemented(
    message = "a `#[ttl]` field is a `u64` of epoch seconds, a `SystemTime` or a `chrono::DateTime<Utc>` (or an `Option` of one), not `{Self}`",
    label = "DynamoDB's TTL reads a number of epoch seconds",
    note = "store a `SystemTime` or `DateTime<Utc>` with `#[serde(with = \"blue_schema::ttl\")]`"
)]
pub trait Expiry {
    /// When the item expires, in whole epoch seconds; `None` for never.
    fn epoch_seconds(&self) -> Option<u64>;
}

impl Expiry for u64 {
    fn epoch_seconds(&self) -> Option<u64> {
        Some(*self)
    }
}

impl Expiry for SystemTime {
    fn epoch_seconds(&self) -> Option<u64> {
        Some(self.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()))
    }
}

// Left out of the compiler's list of implementations, which would then
// differ with the feature (the message names it anyway).
#[cfg(feature = "chrono")]
#[diagnostic::do_not_recommend]
impl Expiry for chrono::DateTime<chrono::Utc> {
    fn epoch_seconds(&self) -> Option<u64> {
        Some(u64::try_from(self.timestamp()).unwrap_or(0))
    }
}

impl<T: Expiry> Expiry for Option<T> {
    fn epoch_seconds(&self) -> Option<u64> {
        self.as_ref().and_then(Expiry::epoch_seconds)
    }
}

/// An expiry time that is stored as epoch seconds: what
/// `#[serde(with = "blue_schema::ttl")]` serializes and deserializes.
#[diagnostic::on_unimplemented(
    message = "`#[serde(with = \"blue_schema::ttl\")]` stores a `SystemTime` or a `chrono::DateTime<Utc>` (or an `Option` of one) as epoch seconds, not `{Self}`",
    label = "not a time",
    note = "a `u64` of epoch seconds needs no `with`"
)]
pub trait EpochSeconds: Sized {
    /// The time as whole epoch seconds (`None` is stored as no attribute).
    fn to_epoch_seconds(&self) -> Option<u64>;
    /// The time `seconds` after the epoch (`None`: the attribute is absent
    /// or null).
    fn from_epoch_seconds(seconds: Option<u64>) -> Option<Self>;
}

impl EpochSeconds for SystemTime {
    fn to_epoch_seconds(&self) -> Option<u64> {
        Expiry::epoch_seconds(self)
    }
    fn from_epoch_seconds(seconds: Option<u64>) -> Option<Self> {
        seconds.map(|s| UNIX_EPOCH + Duration::from_secs(s))
    }
}

#[cfg(feature = "chrono")]
#[diagnostic::do_not_recommend]
impl EpochSeconds for chrono::DateTime<chrono::Utc> {
    fn to_epoch_seconds(&self) -> Option<u64> {
        Expiry::epoch_seconds(self)
    }
    fn from_epoch_seconds(seconds: Option<u64>) -> Option<Self> {
        seconds.and_then(|s| chrono::DateTime::from_timestamp(i64::try_from(s).ok()?, 0))
    }
}

impl<T: EpochSeconds> EpochSeconds for Option<T> {
    fn to_epoch_seconds(&self) -> Option<u64> {
        self.as_ref().and_then(T::to_epoch_seconds)
    }
    fn from_epoch_seconds(seconds: Option<u64>) -> Option<Self> {
        Some(T::from_epoch_seconds(seconds))
    }
}

/// Serializes an expiry time as whole epoch seconds: for
/// `#[serde(with = "blue_schema::ttl")]`.
///
/// # Errors
///
/// The serializer's.
pub fn serialize<T: EpochSeconds, S: Serializer>(
    value: &T,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    value.to_epoch_seconds().serialize(serializer)
}

/// Deserializes an expiry time from epoch seconds: for
/// `#[serde(with = "blue_schema::ttl")]`.
///
/// # Errors
///
/// When the value is not a whole number of seconds, or is absent for a
/// type that is not an `Option`.
pub fn deserialize<'de, T: EpochSeconds, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<T, D::Error> {
    let seconds = Option::<u64>::deserialize(deserializer)?;
    T::from_epoch_seconds(seconds).ok_or_else(|| {
        <D::Error as serde::de::Error>::custom("an expiry time of epoch seconds is required here")
    })
}

/// Where a store reads the current time that decides which items are
/// expired.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current time.
    fn now(&self) -> SystemTime;
}

/// The system's clock: what a store uses unless given another.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock that stands still until a test moves it: shared by clones, so
/// a test keeps one and gives the store another.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use blue_schema::ttl::{Clock, ManualClock};
///
/// let clock = ManualClock::at(UNIX_EPOCH + Duration::from_secs(1_000));
/// let store_side = clock.clone();
/// clock.advance(Duration::from_secs(60));
/// assert_eq!(store_side.now(), UNIX_EPOCH + Duration::from_secs(1_060));
/// ```
#[derive(Debug, Clone)]
pub struct ManualClock {
    /// Milliseconds since the epoch.
    millis: Arc<AtomicU64>,
}

impl ManualClock {
    /// A clock showing `time` (times before the epoch show the epoch).
    pub fn at(time: SystemTime) -> Self {
        ManualClock {
            millis: Arc::new(AtomicU64::new(millis(time))),
        }
    }

    /// Shows `time` from now on.
    pub fn set(&self, time: SystemTime) {
        self.millis.store(millis(time), Ordering::SeqCst);
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let by = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        self.millis.fetch_add(by, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(self.millis.load(Ordering::SeqCst))
    }
}

fn millis(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Whether an item that expires at `expiry` is live at `now` (`None`: the
/// read shows expired items, or the table has no TTL attribute): DynamoDB
/// deletes an item whose TTL is below the current second.
pub(crate) fn is_live(expiry: Option<u64>, now: Option<u64>) -> bool {
    match (expiry, now) {
        (Some(at), Some(now)) => at >= now,
        _ => true,
    }
}

/// The whole epoch second of `time`: an item whose TTL is smaller is
/// expired.
pub(crate) fn epoch_second(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_stored_as_whole_epoch_seconds() {
        let time = UNIX_EPOCH + Duration::from_millis(1_700_000_000_900);
        let json = serde_json::to_string(&SerdeWith { at: Some(time) }).unwrap();
        assert_eq!(json, r#"{"at":1700000000}"#);
        let back: SerdeWith = serde_json::from_str(&json).unwrap();
        assert_eq!(
            back.at,
            Some(UNIX_EPOCH + Duration::from_secs(1_700_000_000))
        );
        let none: SerdeWith = serde_json::from_str(r#"{"at":null}"#).unwrap();
        assert_eq!(none.at, None);
        assert_eq!(
            serde_json::to_string(&SerdeWith { at: None }).unwrap(),
            r#"{"at":null}"#
        );
    }

    #[derive(Serialize, Deserialize)]
    struct SerdeWith {
        #[serde(with = "super")]
        at: Option<SystemTime>,
    }

    #[cfg(feature = "chrono")]
    #[test]
    fn a_chrono_instant_is_stored_as_its_epoch_second() {
        #[derive(Serialize, Deserialize, PartialEq, Debug)]
        struct At {
            #[serde(with = "super", default)]
            at: Option<chrono::DateTime<chrono::Utc>>,
        }
        let at = chrono::DateTime::from_timestamp(1_700_000_000, 999_000_000).unwrap();
        assert_eq!(at.epoch_seconds(), Some(1_700_000_000));
        let json = serde_json::to_string(&At { at: Some(at) }).unwrap();
        assert_eq!(json, r#"{"at":1700000000}"#);
        let back: At = serde_json::from_str(&json).unwrap();
        assert_eq!(back.at, chrono::DateTime::from_timestamp(1_700_000_000, 0));
        let absent: At = serde_json::from_str("{}").unwrap();
        assert_eq!(absent, At { at: None });
    }

    #[test]
    fn an_expiry_is_its_epoch_second() {
        assert_eq!(5_u64.epoch_seconds(), Some(5));
        assert_eq!(None::<u64>.epoch_seconds(), None);
        let before_epoch = UNIX_EPOCH - Duration::from_secs(10);
        assert_eq!(before_epoch.epoch_seconds(), Some(0));
        assert_eq!(epoch_second(UNIX_EPOCH + Duration::from_millis(2_999)), 2);
    }
}

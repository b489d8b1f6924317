//! Capacity units: what an operation costs on DynamoDB, on both backends.
//!
//! DynamoDB bills (or throttles) reads and writes in capacity units. A store
//! made with [`Store::metered`](crate::Store::metered) adds up the units of
//! every operation it runs, and [`Store::consumed`](crate::Store::consumed)
//! reads the total:
//!
//! * on DynamoDB, the units the service reports (every request asks for
//!   `ReturnConsumedCapacity: INDEXES`);
//! * on SQLite, the same units computed from the items with DynamoDB's
//!   rules, so that a developer sees on the laptop what the cloud will
//!   charge.
//!
//! The rules (AWS's documentation, and what DynamoDB reports for each case):
//!
//! | operation | units |
//! |---|---|
//! | `get` | ⌈item size / 4 KB⌉ read units, at least 1 (a missing item too); half when eventually consistent |
//! | query page, scan page | ⌈sum of the sizes of the items the page evaluated / 4 KB⌉, at least 1; half when eventually consistent (every index read); a filter does not lower it |
//! | `get_many` | each key as a `get`; a transactional read (`transact_get`) twice that |
//! | `put`, `update`, `delete` | ⌈larger of the item before and after / 1 KB⌉ write units, at least 1 |
//! | write transaction | twice each action's table units (a condition check is sized on the item it reads) |
//! | each secondary index | nothing when the index entry does not change; ⌈entry / 1 KB⌉ when one is added, removed or rewritten in place (the larger of the two); both when its key moves. The entry is the whole item for an `ALL` index, its four keys for `KEYS_ONLY`; never doubled by a transaction |
//!
//! A write refused by its condition is charged by DynamoDB but not
//! reported (its error carries no units); both backends count nothing for
//! it.

use std::fmt;
use std::ops::{Add, AddAssign};
use std::sync::atomic::{AtomicU64, Ordering};

/// Capacity units consumed by one or more operations.
#[derive(Debug, Clone, Copy, Default, PartialEq, PartialOrd)]
#[non_exhaustive]
pub struct Consumed {
    /// Read capacity units (RCU): 4 KB of a strongly consistent read, or
    /// 8 KB of an eventually consistent one.
    pub read: f64,
    /// Write capacity units (WCU): 1 KB written, secondary indexes included.
    pub write: f64,
}

impl Consumed {
    /// No units.
    pub const ZERO: Consumed = Consumed {
        read: 0.0,
        write: 0.0,
    };

    /// `read` read units and `write` write units.
    pub const fn new(read: f64, write: f64) -> Consumed {
        Consumed { read, write }
    }

    /// Read units only.
    pub const fn read(read: f64) -> Consumed {
        Consumed { read, write: 0.0 }
    }

    /// Write units only.
    pub const fn write(write: f64) -> Consumed {
        Consumed { read: 0.0, write }
    }

    /// Whether nothing was consumed.
    pub fn is_zero(&self) -> bool {
        self.read == 0.0 && self.write == 0.0
    }
}

impl Add for Consumed {
    type Output = Consumed;

    fn add(self, other: Consumed) -> Consumed {
        Consumed {
            read: self.read + other.read,
            write: self.write + other.write,
        }
    }
}

impl AddAssign for Consumed {
    fn add_assign(&mut self, other: Consumed) {
        *self = *self + other;
    }
}

impl fmt::Display for Consumed {
    /// `1.5 RCU, 2 WCU`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} RCU, {} WCU", self.read, self.write)
    }
}

/// Read units for reading `bytes` of items at once (one item, or a page).
pub fn read_units(bytes: usize, consistent: bool) -> f64 {
    let units = bytes.div_ceil(4096).max(1) as f64;
    if consistent {
        units
    } else {
        units / 2.0
    }
}

/// Write units for writing an item of `bytes`.
pub fn write_units(bytes: usize) -> f64 {
    bytes.div_ceil(1024).max(1) as f64
}

/// What one store operation did, for its tracing span and the store's meter.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Usage {
    /// Requests sent (DynamoDB, retries included) or that DynamoDB would
    /// receive for the same operation (SQLite). Read by the tracing span
    /// and SQLite's metering.
    #[cfg_attr(not(any(feature = "tracing", feature = "sqlite")), allow(dead_code))]
    pub(crate) requests: u64,
    /// Items read or written.
    #[cfg_attr(not(any(feature = "tracing", feature = "sqlite")), allow(dead_code))]
    pub(crate) items: u64,
    pub(crate) consumed: Consumed,
}

/// The running total of a metered store. Units are multiples of ½, kept as
/// counts of halves so that concurrent operations add up exactly.
#[derive(Debug, Default)]
pub(crate) struct Meter {
    read_halves: AtomicU64,
    write_halves: AtomicU64,
}

impl Meter {
    pub(crate) fn add(&self, consumed: Consumed) {
        self.read_halves
            .fetch_add(halves(consumed.read), Ordering::Relaxed);
        self.write_halves
            .fetch_add(halves(consumed.write), Ordering::Relaxed);
    }

    pub(crate) fn total(&self) -> Consumed {
        Consumed {
            read: self.read_halves.load(Ordering::Relaxed) as f64 / 2.0,
            write: self.write_halves.load(Ordering::Relaxed) as f64 / 2.0,
        }
    }
}

fn halves(units: f64) -> u64 {
    if units.is_finite() && units > 0.0 {
        (units * 2.0).round() as u64
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_round_up_to_4_kb_and_halve_when_eventually_consistent() {
        assert_eq!(read_units(0, true), 1.0);
        assert_eq!(read_units(4096, true), 1.0);
        assert_eq!(read_units(4097, true), 2.0);
        assert_eq!(read_units(4097, false), 1.0);
        assert_eq!(read_units(1, false), 0.5);
    }

    #[test]
    fn writes_round_up_to_1_kb_on_the_larger_image() {
        assert_eq!(write_units(0), 1.0);
        assert_eq!(write_units(1025), 2.0);
    }

    #[test]
    fn the_meter_adds_halves_exactly() {
        let meter = Meter::default();
        for _ in 0..3 {
            meter.add(Consumed::new(0.5, 1.0));
        }
        assert_eq!(meter.total(), Consumed::new(1.5, 3.0));
    }
}

//! The checker itself: histories with a known anomaly are refused, and
//! their harmless neighbours (the same operations overlapping in time) are
//! accepted. Without these, a checker that accepts everything would pass
//! every run of [`super::runs`].

use super::check::{check, with_index_reads};
use super::{Entry, Op, Ret, State, KEYS};

fn init() -> State {
    State {
        cells: [Some(100); KEYS as usize],
        doc: Some((0, 1)),
    }
}

/// An entry of client `client` from `call` to `end` (microseconds).
fn e(client: u32, call: u64, end: Option<u64>, op: Op, out: Ret) -> Entry {
    Entry {
        client,
        op,
        out,
        call: call * 1000,
        end: end.map_or(u64::MAX, |t| t * 1000),
    }
}

fn linearizable(history: &[Entry]) -> bool {
    check(history, &init()).is_ok()
}

#[test]
fn a_read_older_than_an_acknowledged_write_is_refused() {
    let stale = [
        e(1, 0, Some(10), Op::Put(0, 7), Ret::Ok),
        e(2, 20, Some(30), Op::Get(0), Ret::Value(Some(100))),
    ];
    assert!(!linearizable(&stale));
    // The same read, overlapping the write: it may come first.
    let overlapping = [
        e(1, 0, Some(10), Op::Put(0, 7), Ret::Ok),
        e(2, 5, Some(30), Op::Get(0), Ret::Value(Some(100))),
    ];
    assert!(linearizable(&overlapping));
    // A read that goes back after another read saw the write.
    let back = [
        e(1, 0, Some(100), Op::Put(0, 7), Ret::Ok),
        e(2, 5, Some(10), Op::Get(0), Ret::Value(Some(7))),
        e(3, 20, Some(30), Op::Get(0), Ret::Value(Some(100))),
    ];
    assert!(!linearizable(&back));
}

#[test]
fn a_lost_update_is_refused() {
    let lost = [
        e(1, 0, Some(50), Op::Add(1, 1), Ret::Value(Some(101))),
        e(2, 10, Some(60), Op::Add(1, 1), Ret::Value(Some(101))),
    ];
    assert!(!linearizable(&lost));
    let both = [
        e(1, 0, Some(50), Op::Add(1, 1), Ret::Value(Some(101))),
        e(2, 10, Some(60), Op::Add(1, 1), Ret::Value(Some(102))),
    ];
    assert!(linearizable(&both));
}

#[test]
fn a_versioned_write_that_saw_a_stale_version_is_refused() {
    let stale = [
        e(1, 0, Some(10), Op::PutDoc(5, 1), Ret::Ok),
        e(2, 20, Some(30), Op::PutDoc(6, 1), Ret::Ok),
    ];
    assert!(!linearizable(&stale));
    let refused = [
        e(1, 0, Some(10), Op::PutDoc(5, 1), Ret::Ok),
        e(2, 20, Some(30), Op::PutDoc(6, 1), Ret::Version),
        e(2, 40, Some(50), Op::GetDoc, Ret::Doc(Some((5, 2)))),
    ];
    assert!(linearizable(&refused));
}

#[test]
fn a_transaction_seen_half_applied_is_refused() {
    let half = [
        e(1, 0, Some(100), Op::Transfer(0, 1, 10), Ret::Ok),
        e(
            2,
            10,
            Some(20),
            Op::Snapshot,
            Ret::Snapshot(vec![Some(90), Some(100), Some(100)]),
        ),
    ];
    assert!(!linearizable(&half));
    let whole = [
        e(1, 0, Some(100), Op::Transfer(0, 1, 10), Ret::Ok),
        e(
            2,
            10,
            Some(20),
            Op::Snapshot,
            Ret::Snapshot(vec![Some(90), Some(110), Some(100)]),
        ),
    ];
    assert!(linearizable(&whole));
    // A transfer cancelled although the money was there, with nothing
    // concurrent to explain it.
    let wrongly_cancelled = [e(1, 0, Some(10), Op::Transfer(0, 1, 10), Ret::Cancelled)];
    assert!(!linearizable(&wrongly_cancelled));
}

#[test]
fn an_unknown_outcome_applies_once_or_never() {
    let applied_later = [
        e(1, 0, None, Op::Put(2, 7), Ret::Unknown),
        e(2, 10, Some(20), Op::Get(2), Ret::Value(Some(100))),
        e(2, 30, Some(40), Op::Get(2), Ret::Value(Some(7))),
    ];
    assert!(linearizable(&applied_later));
    let undone = [
        e(1, 0, None, Op::Put(2, 7), Ret::Unknown),
        e(2, 10, Some(20), Op::Get(2), Ret::Value(Some(7))),
        e(2, 30, Some(40), Op::Get(2), Ret::Value(Some(100))),
    ];
    assert!(!linearizable(&undone));
    let twice = [
        e(1, 0, None, Op::Add(2, 1), Ret::Unknown),
        e(2, 10, Some(20), Op::Get(2), Ret::Value(Some(102))),
    ];
    assert!(!linearizable(&twice));
    // A write that says it wrote nothing, seen.
    let failed = [
        e(1, 0, Some(10), Op::Put(2, 7), Ret::Failed),
        e(2, 20, Some(30), Op::Get(2), Ret::Value(Some(7))),
    ];
    assert!(!linearizable(&failed));
}

#[test]
fn an_index_read_answers_to_its_lag_bound() {
    let ms = 1_000_000;
    let history = |shown: Vec<(u8, i64)>| {
        vec![
            e(1, 0, Some(10), Op::Put(0, 7), Ret::Ok),
            e(2, 2_000_000, Some(2_000_010), Op::Index, Ret::Index(shown)),
        ]
    };
    let run = |h: &[Entry], lag: u64| check(&with_index_reads(h, lag), &init()).is_ok();
    // Two seconds after the write, an index that still shows the old item.
    let stale = history(vec![(0, 100), (1, 100), (2, 100)]);
    assert!(!run(&stale, 1000 * ms));
    assert!(run(&stale, 3000 * ms));
    // Up to date, or an item missing that no write removed.
    let fresh = history(vec![(0, 7), (1, 100), (2, 100)]);
    assert!(run(&fresh, 1000 * ms));
    let missing = history(vec![(0, 7), (2, 100)]);
    assert!(!run(&missing, 1000 * ms));
    // A count no write produced (half an item).
    let invented = history(vec![(0, 55), (1, 100), (2, 100)]);
    assert!(!run(&invented, 3000 * ms));
}

//! Differential random testing: random operation sequences on the model
//! ([`crate::model`]), SQLite (file and memory) and DynamoDB, compared
//! step by step. A divergence shrinks to a minimal sequence, printed as a
//! test to paste below.
//!
//! `BLUE_LONG=1` runs 3 000 sequences of up to 60 operations instead of
//! 200 of up to 40 (`BLUE_MODEL_CASES=n` runs n).
//! `BLUE_MODEL_SKIP=Tx,TransactGet` leaves operations out
//! by name, for an endpoint with documented gaps (see the README's
//! emulator section for moto's: `QueryCells,QueryPartition,QueryTake`).

use proptest::strategy::Strategy as _;
use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};

use crate::model::{as_rust_test, old_pins, op, Engines, Op};

/// The operations left out by `BLUE_MODEL_SKIP`.
fn skipped(op: &Op) -> bool {
    let Ok(names) = std::env::var("BLUE_MODEL_SKIP") else {
        return false;
    };
    let debug = format!("{op:?}");
    let name = debug
        .split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or_default();
    names.split(',').any(|n| n.trim() == name)
}

/// Runs one fixed sequence on every engine; panics at a divergence. The
/// regression tests below call it.
pub fn replay(ops: &[Op]) {
    let runtime = crate::runtime();
    runtime.block_on(async {
        let engines = Engines::new().await;
        let result = engines.check(ops).await;
        engines.drop_tables().await;
        if let Err(divergence) = result {
            panic!("{divergence}");
        }
    });
}

#[test]
fn the_model_and_every_backend_agree_on_random_sequences() {
    let (cases, longest) = if crate::long_mode() {
        (3000, 60)
    } else {
        (200, 40)
    };
    // `BLUE_MODEL_CASES` runs another number of sequences.
    let cases = std::env::var("BLUE_MODEL_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(cases);
    let runtime = crate::runtime();
    let engines = runtime.block_on(Engines::new());
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    // The older program's pins first, then anything.
    let sequences = (
        old_pins(),
        proptest::collection::vec(
            op().prop_filter("left out by BLUE_MODEL_SKIP", |o| !skipped(o)),
            1..longest,
        ),
    )
        .prop_map(|(mut first, then)| {
            first.extend(then);
            first
        });
    let started = std::time::Instant::now();
    let outcome = runner.run(&sequences, |ops| {
        runtime
            .block_on(engines.check(&ops))
            .map_err(TestCaseError::fail)
    });
    runtime.block_on(engines.drop_tables());
    match outcome {
        Ok(()) => println!(
            "differential: {cases} sequences, {} operations over the model and {} backends \
             in {:.1} s, no divergence; {} feed records rebuilt every table",
            engines
                .operations
                .load(std::sync::atomic::Ordering::Relaxed),
            engines.stores.len(),
            started.elapsed().as_secs_f64(),
            engines.records.load(std::sync::atomic::Ordering::Relaxed)
        ),
        Err(TestError::Fail(reason, ops)) => panic!(
            "the backends diverge from the model: {reason}\n\nminimal sequence, as a test:\n\n{}",
            as_rust_test(&ops)
        ),
        Err(e) => panic!("{e}"),
    }
}

/// Found by the test above: on dynoxide, an update that created its item
/// returned the key alone as the "old" item, which did not decode.
#[test]
fn an_update_that_creates_returns_no_old_item() {
    use crate::model::{Change::*, Op::*, Returning::*};
    replay(&[UpdateCell {
        part: 0,
        id: 0,
        changes: vec![Add(0)],
        when: None,
        or_create: true,
        returning: Old,
    }]);
}

/// Marks nested under cells 0 to 3: a cell query at page size 1 evaluates
/// (and skips) exactly the marks its key range encloses, for every kind of
/// range, in both directions, so its pages and cursors match the model's;
/// a cell with its marks and a cell's marks read as the model says.
#[test]
fn cell_ranges_evaluate_the_marks_they_enclose() {
    use crate::model::{Op::*, Range, C};
    let mut ops = Vec::new();
    for id in 0..4 {
        ops.push(PutCell(C {
            part: 0,
            id,
            count: 1,
            note: None,
            tags: 0,
            log: 0,
        }));
        ops.push(PutMark(0, id, 0, 0));
        ops.push(PutMark(0, id, 1, 1));
    }
    ops.extend([
        PutTallyV1(0, 3),
        GetTally(0),
        AddTally(0, 1, false),
        AddTally(0, 2, true),
    ]);
    ops.extend([
        PutTallyV1(0, 5),
        AddTally(0, 1, false),
        PutTally(1, 2, 1),
        PutTallyV1(1, 4),
    ]);
    let ranges = [
        None,
        Some(Range::Lt(2)),
        Some(Range::Le(2)),
        Some(Range::Gt(1)),
        Some(Range::Ge(1)),
        Some(Range::Between(1, 2)),
        Some(Range::Between(2, 1)),
    ];
    for range in ranges {
        for reverse in [false, true] {
            ops.push(QueryCells {
                part: 0,
                range,
                reverse,
                page_size: Some(1),
            });
        }
    }
    for reverse in [false, true] {
        ops.push(QueryCellWithMarks {
            part: 0,
            id: 2,
            reverse,
            page_size: Some(2),
        });
    }
    ops.extend([
        QueryMarks(0, 1, Some(1)),
        DeleteCell(0, 1),
        QueryMarks(0, 1, None),
    ]);
    ops.extend([QueryPartition(0, Some(3)), GetTally(0), GetTally(1)]);
    replay(&ops);
}

/// Leases expire as the clock moves: written expired, expiring after a
/// tick or two, renewed, created over, deleted and swept, and read as the
/// model says at every step, on every backend.
#[test]
fn leases_expire_as_the_clock_moves() {
    use crate::expiry::LeaseOp::*;
    use crate::model::Op::Lease;
    replay(&[
        Lease(Put(0, 0, 1, 1)),
        Lease(Put(0, 1, 2, 2)),
        Lease(Put(0, 2, 0, 3)),
        Lease(Create(1, 0, 1, 0)),
        Lease(Get(0, 0)),
        Lease(Query(0, Some(1), false)),
        Lease(Create(0, 0, 2, 2)),
        Lease(Renew(0, 0, 0, false)),
        Lease(Tick),
        Lease(Query(0, Some(2), true)),
        Lease(Renew(0, 1, 1, false)),
        Lease(Renew(0, 1, 1, true)),
        Lease(Get(0, 1)),
        Lease(Tick),
        Lease(DeleteReturning(0, 2)),
        Lease(Sweep),
        Lease(Create(0, 0, 1, 3)),
        Lease(Query(0, None, false)),
        Lease(Query(1, Some(1), false)),
    ]);
}

/// Unique names: taken ones refused, swapped in one transaction (each
/// marker taken from the other handle in the same commit), freed by a
/// rename and a delete, a missing handle cancelling a swap; the markers
/// checked after the sequence on every backend.
#[test]
fn unique_names_are_held_once() {
    use crate::handles::HandleOp::*;
    use crate::model::Op::Handle;
    replay(&[
        Handle(CreateHandle(0, 0, 0)),
        Handle(CreateHandle(0, 1, 1)),
        Handle(CreateHandle(1, 0, 0)),
        Handle(PutHandle(1, 0, 1)),
        Handle(SwapHandles((0, 0), (0, 1))),
        Handle(QueryHandles(0)),
        Handle(RenameHandle(0, 1, 1)),
        Handle(RenameHandle(0, 1, 2)),
        Handle(CreateHandle(1, 0, 0)),
        Handle(CreateHandle(1, 1, 0)),
        Handle(DeleteHandle(0, 0)),
        Handle(SwapHandles((0, 0), (0, 1))),
        Handle(CreateHandle(1, 1, 1)),
        Handle(PutHandle(1, 2, 2)),
        Handle(QueryHandles(1)),
        Handle(SwapHandles((0, 1), (0, 1))),
    ]);
}

/// Found by the long run of the test above: a `create` of a key that
/// exists, with a name another handle holds, was `UniqueTaken`; the
/// write's own failure (`AlreadyExists`) comes first, as the model says:
/// the write would fail whoever held the name.
#[test]
fn a_writes_own_failure_comes_before_a_taken_value() {
    use crate::handles::HandleOp::*;
    use crate::model::Op::Handle;
    replay(&[
        Handle(CreateHandle(1, 2, 0)),
        Handle(CreateHandle(0, 0, 2)),
        Handle(CreateHandle(1, 2, 2)),
        Handle(RenameHandle(0, 1, 2)),
    ]);
}

//! Load: 32 concurrent tasks doing a mix of reads, updates, transfers in
//! transactions, versioned read-modify-writes and paged queries for a
//! bounded time, on an SQLite file and on DynamoDB. At the end the total
//! of the accounts is what it was, every acknowledged update is counted,
//! and the only errors were typed conflicts, refused conditions or
//! throttling. Throughput and p50 / p99 latency are printed (a reported
//! run, not a timed assertion); `BLUE_LONG=1` runs 60 s per backend
//! instead of 3.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use blue_schema::write::CancelReason;
use blue_schema::{Error, Store, Update};

use crate::entities::*;

const TASKS: u32 = 32;
const ACCOUNTS: u32 = 16;
const OPENING: i64 = 1000;

#[derive(Debug, Default)]
struct Tally {
    /// Latencies by operation, in microseconds.
    latencies: BTreeMap<&'static str, Vec<u64>>,
    /// Typed refusals by kind.
    refused: BTreeMap<&'static str, u64>,
    /// Acknowledged `add`s to this task's counter.
    adds: i64,
    /// Acknowledged modifications of the shared document.
    modifies: u64,
}

/// Whether an error is one the load may cause: a conflict, a refused
/// condition (not enough money), throttling, a busy database.
fn expected(e: &Error) -> Option<&'static str> {
    match e {
        Error::TransactionCanceled(t)
            if t.failures().all(|(_, r)| {
                matches!(
                    r,
                    CancelReason::Conflict
                        | CancelReason::ConditionFailed(_)
                        | CancelReason::Throttled
                )
            }) =>
        {
            Some("transaction cancelled")
        }
        Error::Conflict { .. } => Some("conflict"),
        Error::Throttled { .. } => Some("throttled"),
        Error::Busy { .. } => Some("busy"),
        _ => None,
    }
}

async fn worker(store: Arc<Store>, task: u32, until: Instant) -> Tally {
    let c = Cell::attr();
    let mut rng = crate::Rng(u64::from(task) * 7919 + 13);
    let mut tally = Tally::default();
    while Instant::now() < until {
        let started = Instant::now();
        let (name, outcome): (&'static str, Result<(), Error>) = match rng.below(10) {
            0..=2 => {
                let id = rng.below(u64::from(ACCOUNTS)) as u32;
                ("get", store.get(Cell::key("bank", id)).await.map(|_| ()))
            }
            3..=5 => {
                let from = rng.below(u64::from(ACCOUNTS)) as u32;
                let to = (from + 1 + rng.below(u64::from(ACCOUNTS) - 1) as u32) % ACCOUNTS;
                let amount = 1 + rng.below(50) as i64;
                let mut tx = store.transaction();
                tx.update(
                    Update::new(Cell::key("bank", from))
                        .subtract(c.count, amount)
                        .when(c.count.ge(amount)),
                );
                tx.update(Update::new(Cell::key("bank", to)).add(c.count, amount));
                ("transfer", tx.commit().await)
            }
            6 | 7 => {
                let r = store
                    .update(Cell::key("counter", task))
                    .add(c.count, 1)
                    .await;
                if r.is_ok() {
                    tally.adds += 1;
                }
                ("update", r)
            }
            8 => {
                let r = store
                    .modify(Doc::key("shared", 0u32), |doc| {
                        doc.body = format!("task {task}");
                    })
                    .await
                    .map(|_| ());
                if r.is_ok() {
                    tally.modifies += 1;
                }
                ("modify", r)
            }
            _ => {
                let mut pages = store.query(Cell::query("bank").page_size(5)).pages();
                let mut seen = 0;
                let mut result = Ok(());
                while let Some(page) = pages.next().await {
                    match page {
                        Ok(page) => seen += page.items.len(),
                        Err(e) => {
                            result = Err(e);
                            break;
                        }
                    }
                }
                if result.is_ok() {
                    assert_eq!(seen, ACCOUNTS as usize, "a paged query sees every account");
                }
                ("paged query", result)
            }
        };
        let took = started.elapsed().as_micros() as u64;
        match outcome {
            Ok(()) => tally.latencies.entry(name).or_default().push(took),
            Err(e) => match expected(&e) {
                Some(kind) => *tally.refused.entry(kind).or_default() += 1,
                None => panic!("task {task}, {name}: an unexpected error: {e} ({e:?})"),
            },
        }
    }
    tally
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

async fn load(name: &str, store: Store) {
    store.create_table::<Reliable>().await.unwrap();
    let accounts: Vec<Cell> = (0..ACCOUNTS).map(|i| cell("bank", i, OPENING)).collect();
    store.put_all(&accounts).await.unwrap();
    let counters: Vec<Cell> = (0..TASKS).map(|i| cell("counter", i, 0)).collect();
    store.put_all(&counters).await.unwrap();
    store
        .create(&Doc {
            part: "shared".into(),
            id: 0,
            body: String::new(),
            version: 0,
        })
        .await
        .unwrap();

    let seconds = if crate::long_mode() { 60 } else { 3 };
    let store = Arc::new(store);
    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let tasks: Vec<_> = (0..TASKS)
        .map(|task| tokio::spawn(worker(store.clone(), task, until)))
        .collect();
    let mut tallies = Vec::new();
    for t in tasks {
        tallies.push(t.await.unwrap());
    }
    let elapsed = started.elapsed().as_secs_f64();

    // The invariants.
    let total = total(&store, "bank").await;
    assert_eq!(
        total,
        i64::from(ACCOUNTS) * OPENING,
        "{name}: money is conserved"
    );
    for (task, tally) in tallies.iter().enumerate() {
        let counter = store
            .get(Cell::key("counter", task as u32))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            counter.count, tally.adds,
            "{name}: task {task} lost no update"
        );
    }
    let doc = store.get(Doc::key("shared", 0u32)).await.unwrap().unwrap();
    let modifies: u64 = tallies.iter().map(|t| t.modifies).sum();
    assert_eq!(doc.version, modifies + 1, "{name}: no modification lost");

    // The figures.
    let mut all: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    let mut refused: BTreeMap<&str, u64> = BTreeMap::new();
    for tally in tallies {
        for (op, l) in tally.latencies {
            all.entry(op).or_default().extend(l);
        }
        for (kind, n) in tally.refused {
            *refused.entry(kind).or_default() += n;
        }
    }
    let done: usize = all.values().map(Vec::len).sum();
    println!(
        "load on {name}: {TASKS} tasks, {elapsed:.1} s, {done} operations, {:.0} ops/s; refused: {refused:?}",
        done as f64 / elapsed
    );
    for (op, mut l) in all {
        l.sort_unstable();
        println!(
            "  {op:<12} {:>7} done, p50 {:>7.2} ms, p99 {:>7.2} ms",
            l.len(),
            percentile(&l, 0.5),
            percentile(&l, 0.99)
        );
    }
}

#[test]
fn thirty_two_tasks_on_an_sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::sqlite(dir.path().join("load.db")).unwrap();
    crate::runtime_with(4).block_on(load("sqlite file", store));
}

#[test]
fn thirty_two_tasks_on_dynamodb() {
    let runtime = crate::runtime_with(4);
    runtime.block_on(async {
        let backend = crate::dynamodb::backend().await;
        load("dynamodb", Store::from_backend(backend.clone())).await;
        crate::dynamodb::drop_tables(&backend).await;
    });
}

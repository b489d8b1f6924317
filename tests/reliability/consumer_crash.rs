//! A change-feed consumer killed with SIGKILL, again and again, while a
//! writer goes on: each restart resumes from the checkpoint the killed one
//! committed, so over the whole run no record is missed and the records
//! of each item are first seen in commit order (re-delivery after a kill
//! is allowed: the feed is at least once).
//!
//! The consumer is this test binary, run again with `BLUE_CONSUMER_CHILD`
//! set to the database file: [`the_consumer_reports_what_it_applied`] then
//! reads, printing each record it applied and each commit, until killed.
//! Each child's clock is ahead of the one before by more than the lease,
//! so that it takes the name over from the killed one at once (as a
//! process would once the lease ran out).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::time::{Duration, SystemTime};

use blue_schema::feed::Start;
use blue_schema::ttl::ManualClock;
use blue_schema::Store;

use crate::entities::{cell, Cell, Reliable};

const CHILD_VAR: &str = "BLUE_CONSUMER_CHILD";
const ROUND_VAR: &str = "BLUE_CONSUMER_ROUND";
const LEASE: Duration = Duration::from_secs(30);

/// A store whose clock is `round` leases ahead of the real one.
fn store_at(path: &std::path::Path, round: u32) -> Store {
    let ahead = LEASE * 2 * round;
    Store::sqlite(path)
        .unwrap()
        .with_clock(ManualClock::at(SystemTime::now() + ahead))
}

/// Reads until killed (or caught up, when `until_caught_up`), printing
/// `rec <position> <pk> <sk>` for each record applied and `commit` after
/// each commit; applying a batch takes `work` (so that kills land between
/// applying and committing too).
async fn consume(store: &Store, until_caught_up: bool, work: Duration, out: &mut impl Write) {
    let mut consumer = store
        .consumer::<Reliable>("crashy")
        .lease(LEASE)
        .start(Start::Oldest)
        .open()
        .await
        .unwrap();
    writeln!(out, "\nready").unwrap();
    out.flush().unwrap();
    loop {
        let batch = consumer.next_batch().await.unwrap();
        if batch.is_empty() && until_caught_up {
            return;
        }
        for change in &batch {
            writeln!(
                out,
                "rec {} {} {}",
                change.position, change.partition_key, change.sort_key
            )
            .unwrap();
        }
        out.flush().unwrap();
        if !batch.is_empty() {
            tokio::time::sleep(work).await;
        }
        consumer.commit().await.unwrap();
        writeln!(out, "commit").unwrap();
        out.flush().unwrap();
        if batch.is_empty() {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
}

/// The writes of one round: puts, updates and deletes over a few cells.
async fn write(store: &Store, round: u32, rng: &mut crate::Rng) {
    let c = Cell::attr();
    for _ in 0..20 {
        let id = rng.below(12) as u32;
        match rng.below(3) {
            0 => store
                .put(&cell("feed", id, i64::from(round)))
                .await
                .unwrap(),
            1 => {
                let _ = store
                    .update(Cell::key("feed", id))
                    .add(c.count, 1)
                    .when(blue_schema::Condition::exists())
                    .await;
            }
            _ => store.delete(Cell::key("feed", id)).await.unwrap(),
        }
    }
}

/// `rec` lines as (position, item key).
fn records(lines: &[String]) -> Vec<(u64, String)> {
    lines
        .iter()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            (w.next()? == "rec").then_some(())?;
            let position = w.next()?.parse().ok()?;
            Some((position, format!("{} {}", w.next()?, w.next()?)))
        })
        .collect()
}

/// The child consumer when `BLUE_CONSUMER_CHILD` is set; otherwise a
/// consumer run in this process over a small workload, checked like the
/// killed ones.
#[test]
fn the_consumer_reports_what_it_applied() {
    let runtime = crate::runtime();
    if let Ok(path) = std::env::var(CHILD_VAR) {
        let round: u32 = std::env::var(ROUND_VAR).unwrap().parse().unwrap();
        runtime.block_on(async {
            let store = store_at(path.as_ref(), round);
            let mut out = std::io::stdout().lock();
            consume(&store, false, Duration::from_millis(3), &mut out).await;
        });
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("consumer.db");
    runtime.block_on(async {
        let store = store_at(&path, 0);
        store.create_table::<Reliable>().await.unwrap();
        write(&store, 0, &mut crate::Rng(1)).await;
        let mut out = Vec::new();
        consume(&store, true, Duration::ZERO, &mut out).await;
        let lines: Vec<String> = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(String::from)
            .collect();
        let all = every_position(&store).await;
        assert_eq!(check(&records(&lines), &all), Ok(all.len()));
    });
}

/// Every record the outbox holds, in order, as (position, item key).
async fn every_position(store: &Store) -> Vec<(u64, String)> {
    let mut feed = store.changes::<Reliable>(Start::Oldest).await.unwrap();
    feed.catch_up()
        .await
        .unwrap()
        .iter()
        .map(|c| {
            let position = c.position.to_string().parse().unwrap();
            (position, format!("{} {}", c.partition_key, c.sort_key))
        })
        .collect()
}

/// That `seen` (everything the consumers applied, duplicates included)
/// covers `all`, and that each item's records were first seen in commit
/// order; how many distinct records.
fn check(seen: &[(u64, String)], all: &[(u64, String)]) -> Result<usize, String> {
    let distinct: BTreeSet<&(u64, String)> = seen.iter().collect();
    let missing: Vec<_> = all.iter().filter(|r| !distinct.contains(r)).collect();
    if !missing.is_empty() {
        return Err(format!(
            "{} records never applied: {missing:?}",
            missing.len()
        ));
    }
    let mut first = BTreeSet::new();
    let mut last_of: BTreeMap<&str, u64> = BTreeMap::new();
    for (position, key) in seen {
        if !first.insert(*position) {
            continue;
        }
        if let Some(before) = last_of.insert(key, *position) {
            if before > *position {
                return Err(format!(
                    "{key}: record {position} first seen after {before}"
                ));
            }
        }
    }
    Ok(distinct.len())
}

/// Kills a consuming child at random moments while the writer goes on:
/// 40 rounds (400 in the long mode); then a last consumer reads to the end.
#[test]
fn a_killed_consumer_misses_nothing_and_keeps_each_items_order() {
    let rounds: u32 = if crate::long_mode() { 400 } else { 40 };
    let runtime = crate::runtime();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("feed.db");
    let mut rng = crate::Rng(0xFEED);
    let writer = store_at(&path, 0);
    runtime.block_on(writer.create_table::<Reliable>()).unwrap();
    let mut seen = Vec::new();
    let mut commits = 0usize;
    for round in 1..=rounds {
        runtime.block_on(write(&writer, round, &mut rng));
        let child = crate::child::spawn(
            "consumer_crash::the_consumer_reports_what_it_applied",
            &[
                (CHILD_VAR, path.display().to_string()),
                (ROUND_VAR, round.to_string()),
            ],
        );
        child.wait_ready();
        // The writer goes on while the consumer reads; then the kill.
        runtime.block_on(write(&writer, round, &mut rng));
        std::thread::sleep(Duration::from_micros(rng.below(20_000)));
        let (_, lines) = child.kill();
        commits += lines.iter().filter(|l| *l == "commit").count();
        seen.extend(records(&lines));
    }
    runtime.block_on(async {
        let last = store_at(&path, rounds + 1);
        let mut out = Vec::new();
        consume(&last, true, Duration::ZERO, &mut out).await;
        let lines: Vec<String> = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(String::from)
            .collect();
        seen.extend(records(&lines));
        let all = every_position(&last).await;
        let distinct = check(&seen, &all).unwrap_or_else(|e| panic!("{e}"));
        println!(
            "consumer crashes: {rounds} SIGKILLs, {} records ({} deliveries, {commits} commits); \
             0 missing, 0 out of order per item",
            distinct,
            seen.len()
        );
        assert_eq!(distinct, all.len());
        assert!(
            seen.len() > distinct,
            "some kills land between applying and committing: records come again"
        );
    });
}

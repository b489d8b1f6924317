//! TTL sweeps killed: a child process writes leases to an SQLite file
//! (half of them already expired, half expiring in a day) and sweeps the
//! table every few writes, and is killed with SIGKILL at a random moment,
//! again and again on the same file. After each kill the file passes
//! `PRAGMA integrity_check`; every lease the child saw written that has
//! not expired is there; and the change feed, read from its oldest
//! record, rebuilds exactly the table: each expired lease a sweep deleted
//! has its one `Remove` record of origin `Ttl`, and none else has.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use blue_schema::backend::sqlite::{Layout, SqliteConfig};
use blue_schema::feed::{ChangeKind, Origin, Start};
use blue_schema::Store;

use crate::expiry::{Lease, Leases};

const CHILD_VAR: &str = "BLUE_SWEEP_CHILD";
const ROUND_VAR: &str = "BLUE_SWEEP_ROUND";

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Writes leases and sweeps until killed (or `limit` writes), printing
/// each write and sweep once the store acknowledged it.
async fn write(store: &Store, round: u32, limit: Option<u32>, out: &mut impl Write) {
    for n in 0..limit.unwrap_or(u32::MAX) {
        let expired = n % 2 == 0;
        let lease = Lease {
            part: format!("s{round}"),
            id: n,
            holder: Some("sweeper".to_owned()),
            n: 0,
            expires_at: Some(if expired { now() - 10 } else { now() + 86_400 }),
        };
        store.put(&lease).await.unwrap();
        writeln!(out, "put {n} {expired}").unwrap();
        if n % 5 == 4 {
            let swept = store.sweep_expired::<Leases>().await.unwrap();
            writeln!(out, "swept {swept}").unwrap();
        }
    }
}

/// The leases a child saw written: id → expired when written.
fn written(lines: &[String]) -> BTreeMap<u32, bool> {
    lines
        .iter()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            (words.next()? == "put").then_some(())?;
            let n = words.next()?.parse().ok()?;
            let expired = words.next()? == "true";
            Some((n, expired))
        })
        .collect()
}

/// Checks the file after round `round`'s child ended: how many leases a
/// sweep had removed.
async fn verify(path: &std::path::Path, round: u32, acked: &BTreeMap<u32, bool>) -> usize {
    let conn = rusqlite::Connection::open(path).unwrap();
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok", "round {round}: the file is whole");
    drop(conn);
    let store = Store::sqlite(path).unwrap();
    let part = format!("s{round}");
    let stored: BTreeMap<u32, Lease> = store
        .query(Lease::query(part.as_str()))
        .include_expired()
        .all()
        .await
        .unwrap()
        .into_iter()
        .map(|l| (l.id, l))
        .collect();
    for (id, expired) in acked {
        if !expired {
            assert!(
                stored.contains_key(id),
                "round {round}: lease {id}, written and not expired, is gone"
            );
        }
    }
    // The feed from its oldest record rebuilds the partition.
    let mut feed = store.changes::<Leases>(Start::Oldest).await.unwrap();
    let mut copy: BTreeMap<u32, Lease> = BTreeMap::new();
    let mut swept = 0;
    loop {
        let batch = feed.next_batch().await.unwrap();
        if batch.is_empty() {
            break;
        }
        for change in batch {
            let Some(Leases::Lease(lease)) = change.new.or(change.old) else {
                panic!("round {round}: a record without an image");
            };
            if lease.part != part {
                continue;
            }
            match change.kind {
                ChangeKind::Remove => {
                    assert_eq!(
                        change.origin,
                        Origin::Ttl,
                        "round {round}: only sweeps delete here"
                    );
                    assert!(
                        lease.expires_at.is_some_and(|at| at < now()),
                        "round {round}: a sweep removed lease {} before it expired",
                        lease.id
                    );
                    assert!(
                        copy.remove(&lease.id).is_some(),
                        "round {round}: lease {} removed twice, or never written",
                        lease.id
                    );
                    swept += 1;
                }
                _ => {
                    copy.insert(lease.id, lease);
                }
            }
        }
    }
    assert_eq!(
        copy, stored,
        "round {round}: the feed rebuilds the partition, sweeps included"
    );
    swept
}

/// The child when `BLUE_SWEEP_CHILD` is set; otherwise a run of 100 writes
/// (20 sweeps) in this process, checked like a killed one.
#[test]
fn the_sweeper_acknowledges_only_what_it_did() {
    let runtime = crate::runtime();
    if let Ok(path) = std::env::var(CHILD_VAR) {
        let round: u32 = std::env::var(ROUND_VAR).unwrap().parse().unwrap();
        runtime.block_on(async {
            let store = Store::sqlite(&path).unwrap();
            let mut out = std::io::stdout().lock();
            writeln!(out, "\nready").unwrap();
            out.flush().unwrap();
            write(&store, round, None, &mut out).await;
        });
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sweeper.db");
    runtime.block_on(async {
        let store = Store::sqlite(&path).unwrap();
        store.create_table::<Leases>().await.unwrap();
        let mut out = Vec::new();
        write(&store, 0, Some(100), &mut out).await;
        drop(store);
        let lines: Vec<String> = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect();
        let acked = written(&lines);
        assert_eq!(acked.len(), 100);
        assert_eq!(
            verify(&path, 0, &acked).await,
            50,
            "every expired lease swept"
        );
    });
}

/// Kills a sweeping child at random moments: 60 times (600 in the long
/// mode), a new file every 30, every other one in the tables layout.
#[test]
fn a_killed_sweep_loses_nothing_and_records_each_removal_once() {
    let rounds: u32 = if crate::long_mode() { 600 } else { 60 };
    let runtime = crate::runtime();
    let dir = tempfile::tempdir().unwrap();
    let mut path = dir.path().join("sweep-0.db");
    let mut rng = crate::Rng(0x5EE9);
    let (mut writes, mut swept) = (0, 0);
    for round in 1..=rounds {
        if round % 30 == 1 {
            path = dir.path().join(format!("sweep-{round}.db"));
            // Every other file in the tables layout (a sweep deletes from
            // each of its tables in one transaction).
            let layout = match (round / 30) % 2 {
                0 => Layout::SingleTable,
                _ => Layout::Tables,
            };
            runtime.block_on(async {
                let backend = SqliteConfig::file(&path).layout(layout).open().unwrap();
                let store = Store::from_backend(backend);
                store.create_table::<Leases>().await.unwrap();
            });
        }
        let lines = crate::child::killed_after(
            "sweep_crash::the_sweeper_acknowledges_only_what_it_did",
            &[
                (CHILD_VAR, path.display().to_string()),
                (ROUND_VAR, round.to_string()),
            ],
            Duration::from_micros(rng.below(40_000)),
        );
        let acked = written(&lines);
        writes += acked.len();
        swept += runtime.block_on(verify(&path, round, &acked));
    }
    println!(
        "sweeps killed: {rounds} SIGKILLs, {writes} acknowledged writes, {swept} leases swept \
         and each recorded once; 0 lost"
    );
    assert!(swept > 0, "some sweeps ran before a kill");
}

//! Crashes on SQLite: a child process writes (puts, batches, transactions,
//! updates, puts of a handle whose name is `#[unique]`) and is killed with
//! SIGKILL at a random moment, again and again on the same database file.
//! After each kill the database passes `PRAGMA integrity_check`, every
//! transaction and batch is all or nothing, every write the child saw
//! acknowledged is there, and every unique name has its marker and every
//! marker its handle.
//!
//! The child is this test binary, run again with `BLUE_CRASH_CHILD` set:
//! [`the_writer_acknowledges_only_what_it_wrote`] is then the writer, and
//! otherwise a short run of the same writer checked in-process.

use std::io::Write;
use std::time::Duration;

use blue_schema::backend::sqlite::{Layout, SqliteConfig};
use blue_schema::{Store, Update};

use crate::entities::*;

/// The database file of a child writer.
const CHILD_VAR: &str = "BLUE_CRASH_CHILD";
/// The child's number: its partitions, and its random choices.
const ROUND_VAR: &str = "BLUE_CRASH_ROUND";

/// Accounts whose balances transactions move between: their sum never
/// changes.
const ACCOUNTS: u32 = 8;
const OPENING: i64 = 100;

/// One acknowledged write, as the child reports it on stdout.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Ack {
    /// `put <round> <n>`: the cell `c<round>`/n with count n.
    Put(u32),
    /// `batch <round> <k>`: cells `b<round>`/10k..10k+10.
    Batch(u32),
    /// `tx <round> <k>`: a transfer, and its marker cell `m<round>`/k.
    Tx(u32),
    /// `add <n>`: the shared counter is now at least n.
    Add(i64),
    /// `name <round> <n>`: the handle `h<round>`/0 was put with a name.
    Name(u32),
}

fn parse(line: &str) -> Option<Ack> {
    let mut words = line.split_whitespace();
    let kind = words.next()?;
    let _round = words.next();
    let n = words.next()?;
    match kind {
        "put" => n.parse().ok().map(Ack::Put),
        "batch" => n.parse().ok().map(Ack::Batch),
        "tx" => n.parse().ok().map(Ack::Tx),
        "add" => n.parse().ok().map(Ack::Add),
        "name" => n.parse().ok().map(Ack::Name),
        _ => None,
    }
}

/// The accounts and the counter every child writes to.
async fn prepare(store: &Store) {
    store.create_table::<Reliable>().await.unwrap();
    store
        .create_table::<crate::handles::Handles>()
        .await
        .unwrap();
    let mut accounts: Vec<Cell> = (0..ACCOUNTS).map(|i| cell("bank", i, OPENING)).collect();
    accounts.push(cell("counter", 0, 0));
    store.put_all(&accounts).await.unwrap();
}

/// Writes until killed (or `limit` writes), printing each write once the
/// store acknowledged it.
async fn write(store: &Store, round: u32, limit: Option<u32>, out: &mut impl Write) {
    let c = Cell::attr();
    let mut rng = crate::Rng(u64::from(round) * 0x9E37_79B9 + 7);
    for n in 0..limit.unwrap_or(u32::MAX) {
        match rng.below(5) {
            0 => {
                store
                    .put(&cell(&format!("c{round}"), n, i64::from(n)))
                    .await
                    .unwrap();
                writeln!(out, "put {round} {n}").unwrap();
            }
            1 => {
                let cells: Vec<Cell> = (0..10)
                    .map(|i| cell(&format!("b{round}"), n * 10 + i, 1))
                    .collect();
                store.put_all(&cells).await.unwrap();
                writeln!(out, "batch {round} {n}").unwrap();
            }
            2 => {
                let from = rng.below(u64::from(ACCOUNTS)) as u32;
                let to = (from + 1 + rng.below(u64::from(ACCOUNTS) - 1) as u32) % ACCOUNTS;
                let mut tx = store.transaction();
                tx.update(Update::new(Cell::key("bank", from)).subtract(c.count, 1));
                tx.update(Update::new(Cell::key("bank", to)).add(c.count, 1));
                tx.put(&cell(&format!("m{round}"), n, 1));
                tx.commit().await.unwrap();
                writeln!(out, "tx {round} {n}").unwrap();
            }
            3 => {
                // A read, then a transaction: the handle, the marker of its
                // new name, the release of its old one.
                let handle = crate::handles::Handle {
                    part: format!("h{round}"),
                    id: 0,
                    name: format!("r{round}-{}", n % 3),
                    uses: 0,
                };
                store.put(&handle).await.unwrap();
                writeln!(out, "name {round} {n}").unwrap();
            }
            _ => {
                let now = store
                    .update(Cell::key("counter", 0u32))
                    .add(c.count, 1)
                    .returning_new()
                    .await
                    .unwrap();
                writeln!(out, "add {round} {}", now.count).unwrap();
            }
        }
        out.flush().unwrap();
    }
}

/// Checks the database after a kill against the acknowledgements.
async fn verify(path: &std::path::Path, round: u32, acks: &[Ack]) {
    let db = rusqlite::Connection::open(path).unwrap();
    let integrity: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok", "round {round}: integrity_check");
    drop(db);

    let store = Store::sqlite(path).unwrap();
    let total = total(&store, "bank").await;
    assert_eq!(
        total,
        i64::from(ACCOUNTS) * OPENING,
        "round {round}: transfers are all or nothing"
    );
    let markers = store
        .query(Cell::query(format!("m{round}")))
        .all()
        .await
        .unwrap();
    let batches = store
        .query(Cell::query(format!("b{round}")))
        .all()
        .await
        .unwrap();
    let mut per_batch = std::collections::BTreeMap::<u32, u32>::new();
    for c in &batches {
        *per_batch.entry(c.id / 10).or_default() += 1;
    }
    assert!(
        per_batch.values().all(|&n| n == 10),
        "round {round}: a batch is all or nothing: {per_batch:?}"
    );
    let counter = store
        .get(Cell::key("counter", 0u32))
        .await
        .unwrap()
        .unwrap()
        .count;
    for ack in acks {
        match *ack {
            Ack::Put(n) => assert_eq!(
                store
                    .get(Cell::key(format!("c{round}"), n))
                    .await
                    .unwrap()
                    .map(|c| c.count),
                Some(i64::from(n)),
                "round {round}: acknowledged put {n}"
            ),
            Ack::Batch(k) => assert_eq!(
                per_batch.get(&k),
                Some(&10),
                "round {round}: acknowledged batch {k}"
            ),
            Ack::Tx(k) => assert!(
                markers.iter().any(|m| m.id == k),
                "round {round}: acknowledged transaction {k}"
            ),
            Ack::Add(n) => assert!(
                counter >= n,
                "round {round}: the counter is {counter}, {n} was acknowledged"
            ),
            Ack::Name(n) => assert!(
                store
                    .get(crate::handles::Handle::key(format!("h{round}"), 0u32))
                    .await
                    .unwrap()
                    .is_some(),
                "round {round}: acknowledged name {n}"
            ),
        }
    }
    crate::handles::markers_check(&store)
        .await
        .unwrap_or_else(|e| panic!("round {round}: {e}"));
}

/// The child writer when `BLUE_CRASH_CHILD` is set; otherwise a writer run
/// of 200 writes in this process, checked like a killed one.
#[test]
fn the_writer_acknowledges_only_what_it_wrote() {
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
    let path = dir.path().join("writer.db");
    runtime.block_on(async {
        let store = Store::sqlite(&path).unwrap();
        prepare(&store).await;
        let mut out = Vec::new();
        write(&store, 0, Some(200), &mut out).await;
        drop(store);
        let acks: Vec<Ack> = String::from_utf8(out)
            .unwrap()
            .lines()
            .filter_map(parse)
            .collect();
        assert_eq!(acks.len(), 200);
        verify(&path, 0, &acks).await;
    });
}

/// Kills a writing child with SIGKILL at random moments: 200 times (2 000
/// in the long mode), each time checking the database. Every 100 kills
/// start on a new file (an integrity check reads the whole file, so one
/// file for all would make the run quadratic), every other one in the
/// tables layout.
#[test]
fn sigkill_loses_no_acknowledged_write() {
    let rounds: u32 = if crate::long_mode() { 2000 } else { 200 };
    let runtime = crate::runtime();
    let dir = tempfile::tempdir().unwrap();
    let mut path = dir.path().join("crash-0.db");
    let mut rng = crate::Rng(0xC0FFEE);
    let mut acknowledged = 0usize;
    let mut killed_mid_write = 0u32;
    for round in 1..=rounds {
        if round % 100 == 1 {
            path = dir.path().join(format!("crash-{round}.db"));
            // Every other file in the tables layout (a table per entity):
            // the child and the checks open it as it is, whatever layout.
            let layout = match (round / 100) % 2 {
                0 => Layout::SingleTable,
                _ => Layout::Tables,
            };
            runtime.block_on(async {
                let backend = SqliteConfig::file(&path).layout(layout).open().unwrap();
                prepare(&Store::from_backend(backend)).await;
            });
            let db = rusqlite::Connection::open(&path).unwrap();
            let routed = db
                .query_row("SELECT count(*) FROM blue_schema_layouts", [], |r| {
                    r.get::<_, i64>(0)
                })
                .unwrap_or(0);
            assert_eq!(routed > 0, layout == Layout::Tables, "{}", path.display());
        }
        // Once the child writes, let it write for 0–40 ms.
        let lines = crate::child::killed_after(
            "crash::the_writer_acknowledges_only_what_it_wrote",
            &[
                (CHILD_VAR, path.display().to_string()),
                (ROUND_VAR, round.to_string()),
            ],
            Duration::from_micros(rng.below(40_000)),
        );
        let acks: Vec<Ack> = lines.iter().filter_map(|l| parse(l)).collect();
        acknowledged += acks.len();
        if !acks.is_empty() {
            killed_mid_write += 1;
        }
        runtime.block_on(verify(&path, round, &acks));
    }
    println!(
        "crashes: {rounds} SIGKILLs, {acknowledged} acknowledged writes checked, \
         {killed_mid_write} kills after the first write; 0 lost"
    );
    assert!(
        killed_mid_write >= rounds / 2,
        "most kills land while the child writes ({killed_mid_write} of {rounds})"
    );
}

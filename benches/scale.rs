//! How a get and a page of 20 grow with the size of one partition, on an
//! SQLite file, for the store and for hand-written rusqlite on the same
//! file (issue 22, point 4).
//!
//! ```text
//! cargo bench -p blue-schema-benches --bench scale -- 10000 100000 1000000
//! ```
//!
//! For each size: loads that many experts into one partition (with
//! `put_all`, in chunks of 10 000), closes and reopens the file (so that
//! both sides read a checkpointed database), then times 20 000 gets of
//! random keys and 2 000 pages of 20 from random starting points, each
//! side in turn, three rounds, and prints the median latency of each
//! side in each round. Wall clock, not criterion: one call is a few
//! microseconds and the interest is in the growth between sizes.
//! `BLUE_SCALE_STREAM=1` then also reads the whole partition through the
//! store, item by item, and prints how long it took.

#[allow(dead_code)] // what the other benchmarks write
mod fixtures;

use std::path::Path;
use std::time::{Duration, Instant};

use blue_schema::blocking::Store;
use blue_schema_examples::dialogue::*;
use fixtures::{expert, D};
use rusqlite::{params, Connection, OpenFlags};

const GETS: usize = 20_000;
const PAGES: usize = 2_000;
const ROUNDS: usize = 3;

/// A small, fast, seeded generator: the same keys for both sides.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn load(path: &Path, n: usize) {
    let store = Store::sqlite(path).unwrap();
    store.create_table::<Dialogue>().unwrap();
    let started = Instant::now();
    let mut i = 0;
    while i < n {
        let chunk: Vec<Expert> = (i..n.min(i + 10_000)).map(|j| expert(D, j)).collect();
        store.put_all(&chunk).unwrap();
        i += chunk.len();
    }
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "  loaded {n} items in {secs:.1} s ({:.0} items/s)",
        n as f64 / secs
    );
}

fn name(i: usize) -> String {
    format!("expert-{i:05}")
}

fn store_gets(store: &Store, keys: &[usize]) -> Duration {
    let mut samples = Vec::with_capacity(keys.len());
    for &k in keys {
        let t = Instant::now();
        let found = store.get(Expert::key(D, name(k))).unwrap();
        samples.push(t.elapsed());
        assert!(found.is_some());
    }
    median(samples)
}

fn raw_gets(db: &Connection, keys: &[usize]) -> Duration {
    let mut samples = Vec::with_capacity(keys.len());
    for &k in keys {
        let t = Instant::now();
        let mut stmt = db
            .prepare_cached("SELECT data FROM blue_dialogue WHERE pk = ?1 AND sk = ?2")
            .unwrap();
        let mut rows = stmt
            .query(params![D, format!("EXPERT#{}", name(k))])
            .unwrap();
        let found: Option<Expert> = rows
            .next()
            .unwrap()
            .map(|row| serde_json::from_str(row.get_ref(0).unwrap().as_str().unwrap()).unwrap());
        samples.push(t.elapsed());
        assert!(found.is_some());
    }
    median(samples)
}

fn store_pages(store: &Store, starts: &[usize]) -> Duration {
    let mut samples = Vec::with_capacity(starts.len());
    for &s in starts {
        let t = Instant::now();
        let page = store
            .query(Expert::query(D).name_ge(name(s).as_str()).take(20))
            .all()
            .unwrap();
        samples.push(t.elapsed());
        assert!(!page.is_empty());
    }
    median(samples)
}

fn raw_pages(db: &Connection, starts: &[usize]) -> Duration {
    let mut samples = Vec::with_capacity(starts.len());
    for &s in starts {
        let t = Instant::now();
        let mut stmt = db
            .prepare_cached(
                "SELECT data FROM blue_dialogue WHERE pk = ?1 AND sk >= ?2 AND sk < ?3 \
                 ORDER BY sk LIMIT 20",
            )
            .unwrap();
        let mut rows = stmt
            .query(params![D, format!("EXPERT#{}", name(s)), "EXPERT$"])
            .unwrap();
        let mut page: Vec<Expert> = Vec::with_capacity(20);
        while let Some(row) = rows.next().unwrap() {
            page.push(serde_json::from_str(row.get_ref(0).unwrap().as_str().unwrap()).unwrap());
        }
        samples.push(t.elapsed());
        assert!(!page.is_empty());
    }
    median(samples)
}

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![10_000, 100_000]
    } else {
        sizes
    };
    println!(
        "| items | round | get: store | get: rusqlite | page of 20: store | page of 20: rusqlite |"
    );
    println!("|---|---|---|---|---|---|");
    for n in sizes {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("scale.db");
        load(&path, n);
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let keys: Vec<usize> = (0..GETS).map(|_| rng.below(n)).collect();
        let starts: Vec<usize> = (0..PAGES).map(|_| rng.below(n)).collect();
        // `BLUE_SCALE_PRAGMAS="mmap_size = 0; cache_size = -2000"` runs
        // these on both sides' connections, to compare settings.
        let pragmas = std::env::var("BLUE_SCALE_PRAGMAS").unwrap_or_default();
        let store_pragmas = pragmas.clone();
        let store: Store = blue_schema::Store::from_backend(
            blue_schema::backend::sqlite::SqliteConfig::file(&path)
                .on_connect(move |db| db.execute_batch(&store_pragmas))
                .open()
                .unwrap(),
        )
        .into();
        let raw = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
        raw.execute_batch(&pragmas).unwrap();
        // `BLUE_SCALE_SIDE=store` (or `rusqlite`) runs one side only, to
        // profile it.
        let side = std::env::var("BLUE_SCALE_SIDE").unwrap_or_default();
        let (ours, theirs) = (side != "rusqlite", side != "store");
        let zero = Duration::ZERO;
        for round in 1..=ROUNDS {
            let sg = if ours {
                store_gets(&store, &keys)
            } else {
                zero
            };
            let rg = if theirs { raw_gets(&raw, &keys) } else { zero };
            let sp = if ours {
                store_pages(&store, &starts)
            } else {
                zero
            };
            let rp = if theirs {
                raw_pages(&raw, &starts)
            } else {
                zero
            };
            println!("| {n} | {round} | {sg:.2?} | {rg:.2?} | {sp:.2?} | {rp:.2?} |");
        }
        if ours && std::env::var_os("BLUE_SCALE_STREAM").is_some() {
            // The whole partition, item by item, page after page: the
            // process's peak memory (`/usr/bin/time -f %M`) must not grow
            // with it.
            let t = Instant::now();
            let mut count = 0;
            for item in store.query(Expert::query(D)).items() {
                item.unwrap();
                count += 1;
            }
            assert_eq!(count, n);
            eprintln!("  streamed {n} items in {:.1?}", t.elapsed());
        }
    }
}

//! The SQLite backend against hand-written rusqlite doing the same work: the
//! same table and statements' shape, serde_json for the data, a timestamp
//! for created_at, in the same run on the same kind of database file (WAL,
//! `synchronous = NORMAL`). Report medians and throughput ratios:
//!
//! ```text
//! cargo bench -p blue-schema-benches --bench sqlite
//! python3 benches/ratios.py target/criterion sqlite_
//! ```
//!
//! Two ways of driving each side:
//!
//! * `sqlite_<op>`: synchronously on the calling thread, the
//!   `blocking::Store` against rusqlite called directly;
//! * `sqlite_async_<op>`: from async code (a tokio current-thread runtime),
//!   the async `Store`, which hands each operation to its worker thread,
//!   against rusqlite behind the same kind of hand-off written by hand (a
//!   thread owning the connection, fed closures over a channel and
//!   answering on a oneshot, as tokio-rusqlite does).
//!
//! The difference between a side's async and sync medians is the cost of
//! its hand-off.

#[path = "fixtures.rs"]
mod fixtures;

#[path = "sqlite_raw.rs"]
mod raw;

#[path = "sqlite_count.rs"]
mod count;

use std::future::IntoFuture;
use std::hint::black_box;
use std::path::Path;

use blue_schema::backend::sqlite::{Layout, SqliteConfig};
use blue_schema::blocking::Store;
use blue_schema_examples::dialogue::*;
use criterion::{criterion_group, BatchSize, Criterion};
use fixtures::{cards, expert, perspective, D};
use raw::*;
use rusqlite::Connection;

/// The partition every read benchmark reads: 20 experts and 80 perspectives.
fn partition(d: &str) -> (Vec<Expert>, Vec<Perspective>) {
    (
        (0..20).map(|i| expert(d, i)).collect(),
        (0..80).map(|i| perspective(d, i)).collect(),
    )
}

// ---- the benchmarks ----

/// A store on the file `path`, its tables made in `layout`.
fn layout_store(path: &Path, layout: Layout) -> Store {
    let backend = SqliteConfig::file(path).layout(layout).open().unwrap();
    Store::from(blue_schema::Store::from_backend(backend))
}

/// The store (in `layout`) and the hand-written side's database, each
/// with the same partition.
fn stores(dir: &Path, layout: Layout) -> (Store, Connection) {
    let store = layout_store(&dir.join("ours.db"), layout);
    store.create_table::<Dialogue>().unwrap();
    let raw = raw_open(&dir.join("raw.db"));
    let (experts, perspectives) = partition(D);
    store.put_all(&experts).unwrap();
    store.put_all(&perspectives).unwrap();
    for e in &experts {
        raw_put_expert(&raw, RAW_UPSERT, e);
    }
    for p in &perspectives {
        raw_put_perspective(&raw, p);
    }
    (store, raw)
}

fn bench(c: &mut Criterion) {
    // Reads run first, on two databases written the same way; the write
    // benchmarks then add rows (a different number to each side).
    let dir = tempfile::tempdir().unwrap();
    let (store, raw) = stores(dir.path(), Layout::SingleTable);
    // The same partition in the tables layout (a table per entity): its
    // side of each group is `blue_schema_tables`.
    let tables_dir = tempfile::tempdir().unwrap();
    let (tables, _) = stores(tables_dir.path(), Layout::Tables);

    // Both sides return the same answers.
    let ours = store.get(Expert::key(D, "expert-00007")).unwrap();
    assert_eq!(ours, raw_get_expert(&raw, D, "expert-00007"));
    assert_eq!(
        store.query(Expert::query(D)).all().unwrap(),
        raw_experts(&raw, D)
    );
    assert_eq!(
        store.query(Dialogue::partition(D)).all().unwrap(),
        raw_partition(&raw, D)
    );
    assert_eq!(raw_partition(&raw, D).len(), 100);
    assert_eq!(
        tables.query(Dialogue::partition(D)).all().unwrap(),
        raw_partition(&raw, D)
    );
    let role = expert(D, 0).role;
    assert_eq!(
        store.query(Expert::by_role(role.as_str())).all().unwrap(),
        raw_by_role(&raw, &role)
    );
    assert_eq!(raw_by_role(&raw, &role).len(), 20);
    let positive = Expert::query(D).filter(Expert::attr().score.gt(0));
    assert_eq!(
        store.query(positive.clone()).all().unwrap(),
        raw_filtered(&raw, D)
    );
    assert!(!raw_filtered(&raw, D).is_empty() && raw_filtered(&raw, D).len() < 20);

    async_benches(c, store.as_async(), dir.path());

    let mut g = c.benchmark_group("sqlite_get");
    g.bench_function("blue_schema", |b| {
        b.iter(|| {
            store
                .get(Expert::key(D, black_box("expert-00007")))
                .unwrap()
        })
    });
    g.bench_function("rusqlite", |b| {
        b.iter(|| raw_get_expert(&raw, D, black_box("expert-00007")))
    });
    g.bench_function("blue_schema_tables", |b| {
        b.iter(|| {
            tables
                .get(Expert::key(D, black_box("expert-00007")))
                .unwrap()
        })
    });
    g.finish();

    let mut g = c.benchmark_group("sqlite_query_entity");
    g.bench_function("blue_schema", |b| {
        b.iter(|| store.query(Expert::query(black_box(D))).all().unwrap())
    });
    g.bench_function("rusqlite", |b| b.iter(|| raw_experts(&raw, black_box(D))));
    g.bench_function("blue_schema_tables", |b| {
        b.iter(|| tables.query(Expert::query(black_box(D))).all().unwrap())
    });
    g.finish();

    let mut g = c.benchmark_group("sqlite_partition");
    g.bench_function("blue_schema", |b| {
        b.iter(|| {
            store
                .query(Dialogue::partition(black_box(D)))
                .all()
                .unwrap()
        })
    });
    g.bench_function("rusqlite", |b| b.iter(|| raw_partition(&raw, black_box(D))));
    g.bench_function("blue_schema_tables", |b| {
        b.iter(|| {
            tables
                .query(Dialogue::partition(black_box(D)))
                .all()
                .unwrap()
        })
    });
    g.finish();

    let mut g = c.benchmark_group("sqlite_index_query");
    g.bench_function("blue_schema", |b| {
        b.iter(|| {
            store
                .query(Expert::by_role(black_box(role.as_str())))
                .all()
                .unwrap()
        })
    });
    g.bench_function("rusqlite", |b| {
        b.iter(|| raw_by_role(&raw, black_box(&role)))
    });
    g.bench_function("blue_schema_tables", |b| {
        b.iter(|| {
            tables
                .query(Expert::by_role(black_box(role.as_str())))
                .all()
                .unwrap()
        })
    });
    g.finish();

    // A projected pattern's view: 20 cards of 2 KB, their titles; the
    // hand-written side reads the same rows of the same file.
    store.create_table::<cards::Viewed>().unwrap();
    store.create_table::<cards::Ranked>().unwrap();
    for i in 0..1000 {
        store.put(&cards::viewed(i)).unwrap();
        store.put(&cards::ranked(i)).unwrap();
    }
    // A ranked card whose rank alternates: each put moves its entry.
    let mut moved = cards::ranked(7);
    let viewed_db = Connection::open(dir.path().join("ours.db")).unwrap();
    register_raw_shape(&viewed_db);
    let mut g = c.benchmark_group("sqlite_view_query");
    g.bench_function("blue_schema", |b| {
        b.iter(|| {
            store
                .query(cards::ViewedCard::by_owner(black_box("owner-7")))
                .all()
                .unwrap()
        })
    });
    g.bench_function("rusqlite", |b| {
        b.iter(|| raw_lines_by_owner(&viewed_db, black_box("owner-7")))
    });
    g.finish();

    // A multi-attribute index: owner-7's 20 cards by rank, and a put that
    // moves card 7's entry; the hand-written side reads and writes the
    // same rows of the same file, through the same composite index.
    let mut g = c.benchmark_group("sqlite_attribute_index_query");
    g.bench_function("blue_schema", |b| {
        b.iter(|| {
            store
                .query(cards::RankedCard::by_owner(black_box("owner-7")).rank_ge(0u32))
                .all()
                .unwrap()
        })
    });
    g.bench_function("rusqlite", |b| {
        b.iter(|| raw_ranked_by_owner(&viewed_db, black_box("owner-7")))
    });
    g.finish();
    let mut g = c.benchmark_group("sqlite_attribute_index_put");
    g.bench_function("blue_schema", |b| {
        b.iter(|| {
            moved.rank ^= 1;
            store.put(black_box(&moved)).unwrap()
        })
    });
    g.bench_function("rusqlite", |b| {
        b.iter(|| {
            moved.rank ^= 1;
            raw_put_ranked(&viewed_db, black_box(&moved))
        })
    });
    g.finish();

    let mut g = c.benchmark_group("sqlite_filtered_query");
    g.bench_function("blue_schema", |b| {
        b.iter(|| store.query(black_box(positive.clone())).all().unwrap())
    });
    g.bench_function("rusqlite", |b| b.iter(|| raw_filtered(&raw, black_box(D))));
    g.bench_function("blue_schema_tables", |b| {
        b.iter(|| tables.query(black_box(positive.clone())).all().unwrap())
    });
    g.finish();

    index_write_overhead(c, dir.path());
    feed_overhead(c, dir.path());
    metering_overhead(c, &store);

    let mut g = c.benchmark_group("sqlite_put");
    let item = expert(D, 7);
    g.bench_function("blue_schema", |b| {
        b.iter(|| store.put(black_box(&item)).unwrap())
    });
    g.bench_function("rusqlite", |b| {
        b.iter(|| raw_put_expert(&raw, RAW_PUT_UPSERT, black_box(&item)))
    });
    g.bench_function("blue_schema_tables", |b| {
        b.iter(|| tables.put(black_box(&item)).unwrap())
    });
    g.finish();

    let mut g = c.benchmark_group("sqlite_create");
    let mut n = 1_000_000;
    g.bench_function("blue_schema", |b| {
        b.iter(|| {
            n += 1;
            store.create(&expert("created", n)).unwrap()
        })
    });
    let mut n = 1_000_000;
    g.bench_function("rusqlite", |b| {
        b.iter(|| {
            n += 1;
            assert_eq!(
                raw_put_expert(&raw, RAW_INSERT_NEW, &expert("created", n)),
                1
            )
        })
    });
    g.finish();

    // The write side: the store's update, conditional put and transaction
    // against the hand-written read-check-write each of them does.
    let a = Expert::attr();
    let mut raw = raw;
    let mut g = c.benchmark_group("sqlite_update");
    g.bench_function("blue_schema", |b| {
        b.iter(|| {
            store
                .run(
                    store
                        .as_async()
                        .update(Expert::key(D, black_box("expert-00007")))
                        .add(a.score, 1),
                )
                .unwrap()
        })
    });
    g.bench_function("rusqlite", |b| {
        b.iter(|| raw_update(&mut raw, black_box("expert-00007")))
    });
    g.bench_function("blue_schema_tables", |b| {
        b.iter(|| {
            tables
                .run(
                    tables
                        .as_async()
                        .update(Expert::key(D, black_box("expert-00007")))
                        .add(a.score, 1),
                )
                .unwrap()
        })
    });
    g.finish();

    let mut g = c.benchmark_group("sqlite_put_when");
    g.bench_function("blue_schema", |b| {
        b.iter(|| {
            store
                .run(
                    store
                        .as_async()
                        .put(black_box(&item))
                        .when(a.score.ge(-1000)),
                )
                .unwrap()
        })
    });
    g.bench_function("rusqlite", |b| {
        b.iter(|| raw_put_when(&mut raw, black_box(&item)))
    });
    g.bench_function("blue_schema_tables", |b| {
        b.iter(|| {
            tables
                .run(
                    tables
                        .as_async()
                        .put(black_box(&item))
                        .when(a.score.ge(-1000)),
                )
                .unwrap()
        })
    });
    g.finish();

    let names: Vec<String> = (0..10).map(|i| format!("expert-{i:05}")).collect();
    let mut g = c.benchmark_group("sqlite_transaction_10");
    g.bench_function("blue_schema", |b| {
        b.iter(|| {
            let mut tx = store.as_async().transaction();
            for name in &names {
                tx.update(blue_schema::Update::new(Expert::key(D, name)).add(a.score, 1));
            }
            store.run(tx.commit()).unwrap()
        })
    });
    g.bench_function("rusqlite", |b| {
        b.iter(|| raw_transaction(&mut raw, black_box(&names)))
    });
    g.bench_function("blue_schema_tables", |b| {
        b.iter(|| {
            let mut tx = tables.as_async().transaction();
            for name in &names {
                tx.update(blue_schema::Update::new(Expert::key(D, name)).add(a.score, 1));
            }
            tables.run(tx.commit()).unwrap()
        })
    });
    g.finish();

    let mut g = c.benchmark_group("sqlite_bulk_100k");
    g.sample_size(10);
    let experts: Vec<Expert> = (0..100_000).map(|i| expert("bulk", i)).collect();
    g.bench_function("blue_schema", |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().unwrap();
                let store = Store::sqlite(dir.path().join("bulk.db")).unwrap();
                store.create_table::<Dialogue>().unwrap();
                (dir, store)
            },
            |(dir, store)| {
                store.put_all(&experts).unwrap();
                (dir, store)
            },
            BatchSize::PerIteration,
        )
    });
    g.bench_function("rusqlite", |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().unwrap();
                let db = raw_open(&dir.path().join("bulk.db"));
                (dir, db)
            },
            |(dir, mut db)| {
                raw_bulk(&mut db, &experts);
                (dir, db)
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

/// The same operations from async code: the store's hand-off to its worker
/// against rusqlite behind a hand-written one.
fn async_benches(c: &mut Criterion, store: &blue_schema::Store, dir: &Path) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let raw = std::sync::Arc::new(RawWorker::new(&dir.join("raw.db")));
    let ours = rt
        .block_on(store.get(Expert::key(D, "expert-00007")).into_future())
        .unwrap();
    let theirs = rt.block_on(raw.call(|db| raw_get_expert(db, D, "expert-00007")));
    assert_eq!(ours, theirs);

    let mut g = c.benchmark_group("sqlite_async_get");
    g.bench_function("blue_schema", |b| {
        b.iter(|| {
            rt.block_on(
                store
                    .get(Expert::key(D, black_box("expert-00007")))
                    .into_future(),
            )
            .unwrap()
        })
    });
    g.bench_function("rusqlite", |b| {
        b.iter(|| rt.block_on(raw.call(|db| raw_get_expert(db, D, black_box("expert-00007")))))
    });
    g.finish();

    let mut g = c.benchmark_group("sqlite_async_query_entity");
    g.bench_function("blue_schema", |b| {
        b.iter(|| {
            rt.block_on(store.query(Expert::query(black_box(D))).all())
                .unwrap()
        })
    });
    g.bench_function("rusqlite", |b| {
        b.iter(|| rt.block_on(raw.call(|db| raw_experts(db, black_box(D)))))
    });
    g.finish();

    let mut g = c.benchmark_group("sqlite_async_put");
    let item = expert(D, 7);
    g.bench_function("blue_schema", |b| {
        b.iter(|| {
            rt.block_on(store.put(black_box(&item)).into_future())
                .unwrap()
        })
    });
    let shared = std::sync::Arc::new(item.clone());
    g.bench_function("rusqlite", |b| {
        b.iter(|| {
            let item = shared.clone();
            rt.block_on(raw.call(move |db| raw_put_expert(db, RAW_PUT_UPSERT, &item)))
        })
    });
    g.finish();
}

/// What maintaining two indexes costs a put: the same item into a table
/// without indexes and into one with two (both through blue-schema).
fn index_write_overhead(c: &mut Criterion, dir: &Path) {
    let store = Store::sqlite(dir.join("cards.db")).unwrap();
    store.create_table::<cards::Plain>().unwrap();
    store.create_table::<cards::Indexed>().unwrap();
    let mut g = c.benchmark_group("sqlite_put_two_indexes");
    let mut n = 0u32;
    g.bench_function("no_index", |b| {
        b.iter(|| {
            n = (n + 1) % 1000;
            store.put(&cards::plain(n)).unwrap()
        })
    });
    let mut n = 0u32;
    g.bench_function("two_indexes", |b| {
        b.iter(|| {
            n = (n + 1) % 1000;
            store.put(&cards::indexed(n)).unwrap()
        })
    });
    g.finish();
}

/// What the change feed costs a put (the same card into a table without a
/// feed and into one with), and how fast a reader reads 1 000 records
/// (records/s: 1 000 over the median).
fn feed_overhead(c: &mut Criterion, dir: &Path) {
    let store = Store::sqlite(dir.join("feed.db")).unwrap();
    store.create_table::<cards::Plain>().unwrap();
    store.create_table::<cards::Streamed>().unwrap();
    let mut g = c.benchmark_group("sqlite_feed_put");
    let mut n = 0u32;
    g.bench_function("no_feed", |b| {
        b.iter(|| {
            n = (n + 1) % 1000;
            store.put(&cards::plain(n)).unwrap()
        })
    });
    let mut n = 0u32;
    g.bench_function("feed", |b| {
        b.iter(|| {
            n = (n + 1) % 1000;
            store.put(&cards::streamed(n)).unwrap()
        })
    });
    g.finish();

    let reader = Store::sqlite(dir.join("feed_read.db")).unwrap();
    reader.create_table::<cards::Streamed>().unwrap();
    reader
        .put_all(&(0..1000).map(cards::streamed).collect::<Vec<_>>())
        .unwrap();
    let mut g = c.benchmark_group("sqlite_feed_read_1000");
    g.bench_function("blue_schema", |b| {
        b.iter(|| {
            let changes = reader.run(async {
                let mut feed = reader
                    .as_async()
                    .changes::<cards::Streamed>(blue_schema::feed::Start::Oldest)
                    .await?;
                feed.catch_up().await
            });
            assert_eq!(changes.unwrap().len(), 1000);
        })
    });
    g.finish();
}

/// What counting capacity units costs on SQLite: the same get and put on
/// the store and on a metered handle of it (which reads a written item's
/// images before and after the write, and a read item's size).
fn metering_overhead(c: &mut Criterion, store: &Store) {
    let metered = store.metered();
    let item = expert(D, 7);
    // Whether the metered put ran: a filter may leave the group out.
    let put_ran = std::cell::Cell::new(false);
    let mut g = c.benchmark_group("sqlite_metered_put");
    g.bench_function("metered", |b| {
        put_ran.set(true);
        b.iter(|| metered.put(black_box(&item)).unwrap())
    });
    g.bench_function("unmetered", |b| {
        b.iter(|| store.put(black_box(&item)).unwrap())
    });
    g.finish();
    let mut g = c.benchmark_group("sqlite_metered_get");
    g.bench_function("metered", |b| {
        b.iter(|| {
            metered
                .get(Expert::key(D, black_box("expert-00007")))
                .unwrap()
        })
    });
    g.bench_function("unmetered", |b| {
        b.iter(|| {
            store
                .get(Expert::key(D, black_box("expert-00007")))
                .unwrap()
        })
    });
    g.finish();
    assert!(!put_ran.get() || metered.consumed().unwrap().write > 0.0);
}

criterion_group!(benches, bench);

fn main() {
    match std::env::var("BLUE_BENCH_COUNT") {
        Ok(spec) => count::count(&spec),
        Err(_) => {
            benches();
            Criterion::default().configure_from_args().final_summary();
        }
    }
}

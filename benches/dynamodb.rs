//! The DynamoDB backend against hand-written aws-sdk-dynamodb calls doing the
//! same work, in the same run, on the same emulator (dynoxide, started in
//! this process on 127.0.0.1, each side with a table of its own). The
//! baseline is what a careful hand-written application sends for the same
//! semantics: consistent reads, `created_at` kept by an `UpdateItem` with
//! `if_not_exists`, `attribute_not_exists` for create, serde_dynamo for the
//! items. Report medians and throughput ratios:
//!
//! ```text
//! cargo bench -p blue-schema-benches --bench dynamodb
//! python3 benches/ratios.py target/criterion dynamodb_
//! ```
//!
//! `BLUE_DYNAMODB_ENDPOINT` points it at another DynamoDB instead.
//!
//! The same operations also have a count mode with no server at all (see
//! [`count::count`]): `python3 benches/ratios.py --instructions` records one call
//! of each side on the emulator, replays the answers, and prints each
//! side's instructions per call, requests and request bytes.

#[path = "../tests/common/dynamodb.rs"]
mod dynamodb;

#[path = "fixtures.rs"]
mod fixtures;

#[path = "replay.rs"]
mod replay;

#[path = "dynamodb_raw.rs"]
mod raw;

#[path = "dynamodb_count.rs"]
mod count;

use std::hint::black_box;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::Client;
use blue_schema::backend::dynamodb::DynamoDbBackend;
use blue_schema::{Entity, Store, Table};
use blue_schema_examples::dialogue::*;
use count::{Calls, OPS};
use criterion::Criterion;
use fixtures::{cards, expert, now, perspective, D};
use raw::{s, Raw};
use replay::{Exchange, Recorder, Replay};
use tokio::runtime::Runtime;

// ---- the benchmarks ----

/// Times `timed` with `other` run, untimed, before each call. Each side of a
/// group is measured this way with the other as `other`, so both see the
/// same interleaved load on the emulator (measured one after the other,
/// whichever ran first came out up to 25% faster).
fn paired<'r, A, B, FA, FB>(
    rt: &'r Runtime,
    mut timed: A,
    mut other: B,
) -> impl FnMut(u64) -> Duration + 'r
where
    A: 'r,
    B: 'r,
    A: FnMut() -> FA,
    B: FnMut() -> FB,
    FA: std::future::Future,
    FB: std::future::Future,
{
    move |iters| {
        let mut total = Duration::ZERO;
        for _ in 0..iters {
            rt.block_on(other());
            let future = timed();
            let start = Instant::now();
            black_box(rt.block_on(future));
            total += start.elapsed();
        }
        total
    }
}

/// The store and the baseline on the test endpoint, each with a table of
/// its own holding the same items (20 experts and 80 perspectives of
/// partition `D`), and with `recorder` on both clients if given.
fn setup(rt: &Runtime, recorder: Option<&Recorder>) -> (Store, Raw) {
    let with_recorder = |client: Client| match recorder {
        Some(r) => Client::from_conf(client.config().to_builder().interceptor(r.clone()).build()),
        None => client,
    };
    let backend = |client: &Client| {
        DynamoDbBackend::new(client)
            .with_table_prefix(&dynamodb::unique_prefix())
            .unwrap()
    };
    let client = with_recorder(rt.block_on(dynamodb::client()));
    let ours_backend = backend(&client);
    let viewed = ours_backend.table_name(cards::Viewed::NAME);
    let ranked = ours_backend.table_name(cards::Ranked::NAME);
    let store = Store::from_backend(ours_backend);
    let raw_backend = backend(&client);
    let mut raw = Raw::new(&client, raw_backend.table_name(Dialogue::NAME));
    raw.viewed = viewed;
    raw.ranked = ranked;
    // The raw side's table, created by the library (same key schema).
    rt.block_on(Store::from_backend(raw_backend).create_table::<Dialogue>())
        .unwrap();
    rt.block_on(store.create_table::<Dialogue>()).unwrap();
    // What TTL costs: the same cards in a table with TTL and one without.
    rt.block_on(async {
        store.create_table::<cards::Timed>().await.unwrap();
        store.create_table::<cards::Expiring>().await.unwrap();
        for i in 0..20 {
            store.put(&cards::timed(i)).await.unwrap();
            store.put(&cards::expiring(i)).await.unwrap();
        }
    });
    // What a unique field costs: the same cards, their handles unique or not.
    rt.block_on(async {
        store.create_table::<cards::Handled>().await.unwrap();
        store.create_table::<cards::Unique>().await.unwrap();
        for i in 0..20 {
            store.put(&cards::handled(i)).await.unwrap();
            store.put(&cards::unique(i)).await.unwrap();
        }
    });
    // A projected pattern's view: owner-7's 20 cards of 2 KB, which both
    // sides read through the same `INCLUDE` index.
    rt.block_on(async {
        store.create_table::<cards::Viewed>().await.unwrap();
        for k in 0..20 {
            store.put(&cards::viewed(7 + 50 * k)).await.unwrap();
        }
    });
    // A multi-attribute index: owner-7's 20 cards, which both sides query
    // through the same index (and whose card 7 both sides write).
    rt.block_on(async {
        store.create_table::<cards::Ranked>().await.unwrap();
        for k in 0..20 {
            store.put(&cards::ranked(7 + 50 * k)).await.unwrap();
        }
        // Both sides read the same 20 cards.
        let ours = store
            .query(cards::RankedCard::by_owner("owner-7").rank_ge(0u32))
            .all()
            .await
            .unwrap();
        assert_eq!(ours.len(), 20);
        assert_eq!(raw.ranked_by_owner("owner-7").await.len(), 20);
    });
    // What a key move costs: cards 0-9 moved, 10-19 under their old keys.
    rt.block_on(async {
        store.create_table::<cards::Reshaped>().await.unwrap();
        store.create_table::<cards::Moving>().await.unwrap();
        for i in 0..20 {
            store.put(&cards::reshaped(i)).await.unwrap();
            store.put(&cards::moving_before(i)).await.unwrap();
            if i < 10 {
                store.put(&cards::moving(i)).await.unwrap();
            }
        }
    });

    let experts: Vec<Expert> = (0..20).map(|i| expert(D, i)).collect();
    let perspectives: Vec<Perspective> = (0..80).map(|i| perspective(D, i)).collect();
    rt.block_on(async {
        store.put_all(&experts).await.unwrap();
        store.put_all(&perspectives).await.unwrap();
        for e in &experts {
            raw.put_expert(e).await;
        }
        let created_at = now();
        for p in &perspectives {
            // The library's key codec, so both sides hold the same keys.
            let (pk, sk) = p.key().into_parts();
            let mut item = Raw::item(&pk, &sk, p);
            item.insert("created_at".into(), s(&created_at));
            item.insert("updated_at".into(), s(&created_at));
            raw.client
                .put_item()
                .table_name(&raw.table)
                .set_item(Some(item))
                .send()
                .await
                .unwrap();
        }
    });

    // Both sides return the same answers.
    rt.block_on(async {
        assert_eq!(
            store.get(Expert::key(D, "expert-00007")).await.unwrap(),
            raw.get_expert(D, "expert-00007").await
        );
        assert_eq!(
            store.query(Expert::query(D)).all().await.unwrap(),
            raw.experts(D).await
        );
        let ours = store.query(Dialogue::partition(D)).all().await.unwrap();
        assert_eq!(ours.len(), 100);
        assert_eq!(format!("{ours:?}"), format!("{:?}", raw.partition(D).await));
        let role = expert(D, 0).role;
        let ours = store
            .query(Expert::by_role(role.as_str()))
            .all()
            .await
            .unwrap();
        assert_eq!(ours.len(), 20);
        assert_eq!(ours, raw.by_role(&role).await);
        let positive = Expert::query(D).filter(Expert::attr().score.gt(0));
        let ours = store.query(positive).all().await.unwrap();
        assert!(!ours.is_empty() && ours.len() < 20);
        assert_eq!(ours, raw.filtered(D).await);
    });
    (store, raw)
}

fn bench(c: &mut Criterion) {
    let rt = Runtime::new().unwrap();
    let (store, raw) = setup(&rt, None);

    // The single operations, each side made by the count mode's `Calls`
    // (the write side against the request a careful hand-written
    // application sends for the same guarantees; `create` makes a new item
    // in a partition of each side's own on every call).
    let calls = Calls::new(&store, &raw);
    for op in OPS.iter().filter(|op| **op != "bulk_100") {
        let mut g = c.benchmark_group(format!("dynamodb_{op}"));
        g.measurement_time(Duration::from_secs(5));
        let ours = || calls.once(op, true);
        let theirs = || calls.once(op, false);
        g.bench_function("blue_schema", |b| b.iter_custom(paired(&rt, ours, theirs)));
        g.bench_function("aws_sdk", |b| b.iter_custom(paired(&rt, theirs, ours)));
        g.finish();
    }

    // What maintaining two indexes costs a put: the same item shape into a
    // table without indexes and into one with two.
    rt.block_on(async {
        store.create_table::<cards::Plain>().await.unwrap();
        store.create_table::<cards::Indexed>().await.unwrap();
    });
    let mut g = c.benchmark_group("dynamodb_put_two_indexes");
    g.measurement_time(Duration::from_secs(5));
    let n = std::cell::Cell::new(0u32);
    let plain = || {
        n.set((n.get() + 1) % 1000);
        let card = cards::plain(n.get());
        let store = &store;
        async move { store.put(&card).await.unwrap() }
    };
    let m = std::cell::Cell::new(0u32);
    let indexed = || {
        m.set((m.get() + 1) % 1000);
        let card = cards::indexed(m.get());
        let store = &store;
        async move { store.put(&card).await.unwrap() }
    };
    g.bench_function("no_index", |b| b.iter_custom(paired(&rt, plain, indexed)));
    g.bench_function("two_indexes", |b| {
        b.iter_custom(paired(&rt, indexed, plain))
    });
    g.finish();

    // How fast a reader reads the stream: 1 000 records from the oldest
    // (records/s: 1 000 over the median).
    let feed_store = rt.block_on(async {
        let backend = dynamodb::backend().await;
        let store = Store::from_backend(backend);
        store.create_table::<cards::Streamed>().await.unwrap();
        let cards: Vec<_> = (0..1000).map(cards::streamed).collect();
        store.put_all(&cards).await.unwrap();
        store
    });
    let mut g = c.benchmark_group("dynamodb_feed_read_1000");
    g.sample_size(10);
    g.bench_function("blue_schema", |b| {
        b.iter(|| {
            let read = rt.block_on(async {
                let mut feed = feed_store
                    .changes::<cards::Streamed>(blue_schema::feed::Start::Oldest)
                    .await?;
                feed.catch_up().await
            });
            assert_eq!(read.unwrap().len(), 1000);
        })
    });
    g.finish();

    let (store, raw) = (&store, &raw);
    // 2 000 items (80 batches): the emulator answers each request in
    // milliseconds, so 100 000 would take minutes per sample.
    let mut g = c.benchmark_group("dynamodb_bulk_2k");
    g.sample_size(10);
    let bulk: Vec<Expert> = (0..2_000).map(|i| expert("bulk", i)).collect();
    let round = std::cell::Cell::new(0);
    let fresh = |side: &str| {
        round.set(round.get() + 1);
        let d = format!("bulk-{side}-{}", round.get());
        bulk.iter()
            .map(|e| Expert {
                dialogue_id: d.clone(),
                ..e.clone()
            })
            .collect::<Vec<_>>()
    };
    let ours = || {
        let items = fresh("ours");
        async move { store.put_all(&items).await.unwrap() }
    };
    let theirs = || {
        let items = fresh("raw");
        async move { raw.bulk(&items).await }
    };
    g.bench_function("blue_schema", |b| b.iter_custom(paired(&rt, ours, theirs)));
    g.bench_function("aws_sdk", |b| b.iter_custom(paired(&rt, theirs, ours)));
    g.finish();
}

fn main() {
    if let Ok(path) = std::env::var("BLUE_BENCH_RECORD") {
        return count::record(&path);
    }
    if let Ok(spec) = std::env::var("BLUE_BENCH_COUNT") {
        return count::count(&spec);
    }
    bench(&mut Criterion::default().configure_from_args());
    Criterion::default().configure_from_args().final_summary();
}

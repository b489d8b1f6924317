//! The SQLite benchmark's count mode: one side of one synchronous
//! operation, run `n` times after the set-up and nothing else, for
//! callgrind to count (`benches/ratios.py --instructions` drives it).

use std::hint::black_box;

use super::*;

/// Instruction counts, which repeat where this machine's clock does not:
/// `BLUE_BENCH_COUNT="<op> <side> <n>"` runs the set-up and then `n` calls
/// of one side of one synchronous benchmark, and nothing else. Run it under
/// callgrind with `n + 1` and with 1; the difference over `n` is one warm
/// call (a side's first call also prepares its statements and fills its
/// caches, which no later call repeats):
///
/// ```text
/// B=$(cargo bench -p blue-schema-benches --bench sqlite --no-run 2>&1 | grep -o "target/[^)]*")
/// BLUE_BENCH_COUNT="get blue_schema 2001" valgrind --tool=callgrind \
///     --callgrind-out-file=/dev/null $B 2>&1 | grep refs
/// BLUE_BENCH_COUNT="get blue_schema 1" valgrind --tool=callgrind \
///     --callgrind-out-file=/dev/null $B 2>&1 | grep refs
/// ```
///
/// `<op>` is `get`, `put`, `query_entity`, `index_query`, `query_view`
/// (and `query_view_paged`, against code that also sizes each entry as
/// DynamoDB does and keeps the cursor),
/// `attr_query` and `attr_put` (a multi-attribute index's query, and a put
/// that moves the card in it; their `rusqlite` side is SQL over the same
/// index's columns; `attr_query_paged` the query against SQL that keeps
/// DynamoDB's page rules too),
/// `filtered_query`, `partition` (and `query_entity_paged`,
/// `index_query_paged` and `partition_paged`: the same store reads against
/// hand-written code that also keeps DynamoDB's page rules), `update`, `put_when`, `transaction_10`,
/// `put_card` (its `rusqlite` side is the card without indexes, its
/// `blue_schema` side the card with two), or `get_metered` and
/// `put_metered` (their `rusqlite` side is the store unmetered, their
/// `blue_schema` side a metered handle of it), or `put_ttl`, `get_ttl`
/// and `query_ttl` (their `rusqlite` side is a card in a table without
/// TTL, their `blue_schema` side the same card in a table with it), or
/// `put_feed`, `update_feed`, `delete_feed` (a put, then its delete),
/// `transaction_feed` (10 updates) and `put_all_feed` (10 cards): their
/// `rusqlite` side is the plain card's table, their `blue_schema` side the
/// same card's in a table with a change feed (the outbox's cost); or
/// `put_moving`, `update_moving`, `get_moving` (a moved card) and
/// `get_unmoved` (a card still under its old key): their `rusqlite` side
/// is a shape-2 card whose key does not move, their `blue_schema` side
/// the same card's whose key moves (a key move's cost); or `put_unique`
/// and `rename_unique` (an update that changes the handle): their
/// `rusqlite` side is a card with a handle, their `blue_schema` side the
/// same card whose handle is `#[unique]` (a unique field's cost); or
/// `get_many_10` (ten experts by key, one read transaction) and
/// `put_all_100` (a hundred experts written again, one write
/// transaction, `created_at` kept);
/// `<side>` is `blue_schema` or `rusqlite`.
pub(crate) fn count(spec: &str) {
    let words: Vec<&str> = spec.split_whitespace().collect();
    let [op, side, n] = words[..] else {
        panic!("BLUE_BENCH_COUNT is \"<op> <side> <n>\", not {spec:?}");
    };
    let n: u32 = n.parse().expect("a count of calls");
    let dir = tempfile::tempdir().unwrap();
    // `blue_schema_tables`: the store in the tables layout (a table per
    // entity), against the same baseline.
    let layout = match side {
        "blue_schema_tables" => Layout::Tables,
        _ => Layout::SingleTable,
    };
    let (store, mut raw) = stores(dir.path(), layout);
    store.create_table::<cards::Plain>().unwrap();
    store.create_table::<cards::Indexed>().unwrap();
    store.create_table::<cards::Timed>().unwrap();
    store.create_table::<cards::Expiring>().unwrap();
    store.create_table::<cards::Streamed>().unwrap();
    store.create_table::<cards::Reshaped>().unwrap();
    store.create_table::<cards::Moving>().unwrap();
    store.create_table::<cards::Handled>().unwrap();
    store.create_table::<cards::Unique>().unwrap();
    store.create_table::<cards::Viewed>().unwrap();
    store.create_table::<cards::Ranked>().unwrap();
    for i in 0..1000 {
        store.put(&cards::viewed(i)).unwrap();
        store.put(&cards::ranked(i)).unwrap();
    }
    // A ranked card whose rank alternates: each put moves its entry.
    let mut moved = cards::ranked(7);
    // The hand-written reader reads the same rows, through the same index.
    let viewed_db = Connection::open(dir.path().join("ours.db")).unwrap();
    register_raw_shape(&viewed_db);
    for i in 0..20 {
        store.put(&cards::handled(i)).unwrap();
        store.put(&cards::unique(i)).unwrap();
        store.put(&cards::reshaped(i)).unwrap();
        // Cards 0-9 moved, 10-19 still under their old keys.
        store.put(&cards::moving_before(i)).unwrap();
        if i < 10 {
            store.put(&cards::moving(i)).unwrap();
        }
        store.put(&cards::timed(i)).unwrap();
        store.put(&cards::expiring(i)).unwrap();
        store.put(&cards::plain(i)).unwrap();
        store.put(&cards::streamed(i)).unwrap();
    }
    let (moving_rank, reshaped_rank) = (
        cards::MovingCard::attr().rank,
        cards::ReshapedCard::attr().rank,
    );
    let (plain_rank, streamed_rank) = (
        cards::PlainCard::attr().rank,
        cards::StreamedCard::attr().rank,
    );
    let item = expert(D, 7);
    let a = Expert::attr();
    let names: Vec<String> = (0..10).map(|i| format!("expert-{i:05}")).collect();
    // The partition's first hundred experts, as they are stored.
    let hundred: Vec<Expert> = (0..100).map(|i| expert(D, i)).collect();
    let metered = store.metered();
    // The handles a rename alternates between.
    let mut renames = 0u32;
    let handle = |n: &mut u32| {
        *n += 1;
        format!("renamed-{}", *n % 2)
    };
    let ours = side == "blue_schema" || side == "blue_schema_tables";
    assert!(ours || side == "rusqlite", "unknown side {side:?}");
    for _ in 0..n {
        match (op, ours) {
            ("get", true) => drop(black_box(
                store
                    .get(Expert::key(D, black_box("expert-00007")))
                    .unwrap(),
            )),
            ("get", false) => drop(black_box(raw_get_expert(
                &raw,
                D,
                black_box("expert-00007"),
            ))),
            ("put", true) => store.put(black_box(&item)).unwrap(),
            ("put", false) => drop(black_box(raw_put_expert(
                &raw,
                RAW_PUT_UPSERT,
                black_box(&item),
            ))),
            // A `_paged` operation is the same store read as its bare one,
            // against a baseline that also keeps DynamoDB's page rules.
            ("query_entity" | "query_entity_paged", true) => drop(black_box(
                store.query(Expert::query(black_box(D))).all().unwrap(),
            )),
            ("query_entity", false) => drop(black_box(raw_experts(&raw, black_box(D)))),
            ("query_entity_paged", false) => drop(black_box(raw_experts_paged(&raw, black_box(D)))),
            ("index_query_paged", false) => {
                drop(black_box(raw_by_role_paged(&raw, black_box(&item.role))))
            }
            ("index_query" | "index_query_paged", true) => drop(black_box(
                store
                    .query(Expert::by_role(black_box(item.role.as_str())))
                    .all()
                    .unwrap(),
            )),
            ("index_query", false) => drop(black_box(raw_by_role(&raw, black_box(&item.role)))),
            // A projected pattern's view (20 cards of 2 KB, their titles).
            ("query_view" | "query_view_paged", true) => drop(black_box(
                store
                    .query(cards::ViewedCard::by_owner(black_box("owner-7")))
                    .all()
                    .unwrap(),
            )),
            ("query_view", false) => drop(black_box(raw_lines_by_owner(
                &viewed_db,
                black_box("owner-7"),
            ))),
            ("query_view_paged", false) => drop(black_box(raw_lines_by_owner_paged(
                &viewed_db,
                black_box("owner-7"),
            ))),
            // A multi-attribute index's query (owner-7's 20 cards, rank
            // from 0), and a put that moves the card's entry in it.
            ("attr_query" | "attr_query_paged", true) => drop(black_box(
                store
                    .query(cards::RankedCard::by_owner(black_box("owner-7")).rank_ge(0u32))
                    .all()
                    .unwrap(),
            )),
            ("attr_query", false) => drop(black_box(raw_ranked_by_owner(
                &viewed_db,
                black_box("owner-7"),
            ))),
            ("attr_query_paged", false) => drop(black_box(raw_ranked_by_owner_paged(
                &viewed_db,
                black_box("owner-7"),
            ))),
            ("attr_put", true) => {
                moved.rank ^= 1;
                store.put(black_box(&moved)).unwrap();
            }
            ("attr_put", false) => {
                moved.rank ^= 1;
                raw_put_ranked(&viewed_db, black_box(&moved));
            }
            ("filtered_query", true) => drop(black_box(
                store
                    .query(Expert::query(black_box(D)).filter(a.score.gt(0)))
                    .all()
                    .unwrap(),
            )),
            ("filtered_query", false) => drop(black_box(raw_filtered(&raw, black_box(D)))),
            // What metering costs a get: the same get, metered and not.
            ("get_metered", true) => drop(black_box(
                metered
                    .get(Expert::key(D, black_box("expert-00007")))
                    .unwrap(),
            )),
            ("get_metered", false) => drop(black_box(
                store
                    .get(Expert::key(D, black_box("expert-00007")))
                    .unwrap(),
            )),
            ("put_metered", true) => metered.put(black_box(&item)).unwrap(),
            ("put_metered", false) => store.put(black_box(&item)).unwrap(),
            // The write cost of two indexes: the same card, without and with.
            ("put_card", true) => store.put(&cards::indexed(7)).unwrap(),
            ("put_card", false) => store.put(&cards::plain(7)).unwrap(),
            // What TTL costs: the same card into a table with TTL and
            // into one without (the expiry is a field of both).
            ("put_ttl", true) => store.put(&cards::expiring(7)).unwrap(),
            ("put_ttl", false) => store.put(&cards::timed(7)).unwrap(),
            // What a unique field costs: the same card, its handle unique
            // or not; a put that keeps the handle, and an update that
            // changes it (to another free value and back).
            ("put_unique", true) => store.put(&cards::unique(7)).unwrap(),
            ("put_unique", false) => store.put(&cards::handled(7)).unwrap(),
            ("rename_unique", true) => store
                .run(
                    store
                        .as_async()
                        .update(cards::UniqueCard::key("deck-01", 7u32))
                        .set(cards::UniqueCard::attr().handle, handle(&mut renames)),
                )
                .unwrap(),
            ("rename_unique", false) => store
                .run(
                    store
                        .as_async()
                        .update(cards::HandledCard::key("deck-01", 7u32))
                        .set(cards::HandledCard::attr().handle, handle(&mut renames)),
                )
                .unwrap(),
            ("get_ttl", true) => drop(black_box(
                store
                    .get(cards::ExpiringCard::key("deck-01", black_box(7u32)))
                    .unwrap(),
            )),
            ("get_ttl", false) => drop(black_box(
                store
                    .get(cards::TimedCard::key("deck-01", black_box(7u32)))
                    .unwrap(),
            )),
            ("query_ttl", true) => drop(black_box(
                store
                    .query(cards::ExpiringCard::query(black_box("deck-01")))
                    .all()
                    .unwrap(),
            )),
            ("query_ttl", false) => drop(black_box(
                store
                    .query(cards::TimedCard::query(black_box("deck-01")))
                    .all()
                    .unwrap(),
            )),
            // What a key move costs while it lasts: the same shape-2 card
            // in a table whose key moves and in one whose key does not.
            // A put and an update of a moved card read its old key first;
            // a get of one still under its old key reads both keys.
            ("put_moving", true) => store.put(&cards::moving(7)).unwrap(),
            ("put_moving", false) => store.put(&cards::reshaped(7)).unwrap(),
            ("update_moving", true) => store
                .run(
                    store
                        .as_async()
                        .update(cards::MovingCard::key("deck-01", 7u32))
                        .add(moving_rank, 1),
                )
                .unwrap(),
            ("update_moving", false) => store
                .run(
                    store
                        .as_async()
                        .update(cards::ReshapedCard::key("deck-01", 7u32))
                        .add(reshaped_rank, 1),
                )
                .unwrap(),
            ("get_moving", true) => drop(black_box(
                store
                    .get(cards::MovingCard::key("deck-01", black_box(7u32)))
                    .unwrap(),
            )),
            ("get_moving", false) => drop(black_box(
                store
                    .get(cards::ReshapedCard::key("deck-01", black_box(7u32)))
                    .unwrap(),
            )),
            ("get_unmoved", true) => drop(black_box(
                store
                    .get(cards::MovingCard::key("deck-01", black_box(17u32)))
                    .unwrap(),
            )),
            ("get_unmoved", false) => drop(black_box(
                store
                    .get(cards::ReshapedCard::key("deck-01", black_box(17u32)))
                    .unwrap(),
            )),
            // What the change feed's outbox costs each write path: the
            // same card into a table with a feed and into one without.
            ("put_feed", true) => store.put(&cards::streamed(7)).unwrap(),
            ("put_feed", false) => store.put(&cards::plain(7)).unwrap(),
            ("update_feed", true) => store
                .run(
                    store
                        .as_async()
                        .update(cards::StreamedCard::key("deck-01", 7u32))
                        .add(streamed_rank, 1),
                )
                .unwrap(),
            ("update_feed", false) => store
                .run(
                    store
                        .as_async()
                        .update(cards::PlainCard::key("deck-01", 7u32))
                        .add(plain_rank, 1),
                )
                .unwrap(),
            ("delete_feed", true) => {
                store.put(&cards::streamed(99)).unwrap();
                store
                    .delete(cards::StreamedCard::key("deck-01", 99u32))
                    .unwrap()
            }
            ("delete_feed", false) => {
                store.put(&cards::plain(99)).unwrap();
                store
                    .delete(cards::PlainCard::key("deck-01", 99u32))
                    .unwrap()
            }
            ("transaction_feed", true) => {
                let mut tx = store.as_async().transaction();
                for i in 0..10u32 {
                    tx.update(
                        blue_schema::Update::new(cards::StreamedCard::key("deck-01", i))
                            .add(streamed_rank, 1),
                    );
                }
                store.run(tx.commit()).unwrap()
            }
            ("transaction_feed", false) => {
                let mut tx = store.as_async().transaction();
                for i in 0..10u32 {
                    tx.update(
                        blue_schema::Update::new(cards::PlainCard::key("deck-01", i))
                            .add(plain_rank, 1),
                    );
                }
                store.run(tx.commit()).unwrap()
            }
            ("put_all_feed", true) => store
                .put_all(&(0..10).map(cards::streamed).collect::<Vec<_>>())
                .unwrap(),
            ("put_all_feed", false) => store
                .put_all(&(0..10).map(cards::plain).collect::<Vec<_>>())
                .unwrap(),
            ("partition" | "partition_paged", true) => drop(black_box(
                store
                    .query(Dialogue::partition(black_box(D)))
                    .all()
                    .unwrap(),
            )),
            ("partition", false) => drop(black_box(raw_partition(&raw, black_box(D)))),
            ("partition_paged", false) => drop(black_box(raw_partition_paged(&raw, black_box(D)))),
            ("update", true) => store
                .run(
                    store
                        .as_async()
                        .update(Expert::key(D, "expert-00007"))
                        .add(a.score, 1),
                )
                .unwrap(),
            ("update", false) => raw_update(&mut raw, "expert-00007"),
            ("put_when", true) => store
                .run(store.as_async().put(&item).when(a.score.ge(-1000)))
                .unwrap(),
            ("put_when", false) => raw_put_when(&mut raw, &item),
            ("transaction_10", true) => {
                let mut tx = store.as_async().transaction();
                for name in &names {
                    tx.update(blue_schema::Update::new(Expert::key(D, name)).add(a.score, 1));
                }
                store.run(tx.commit()).unwrap()
            }
            ("transaction_10", false) => raw_transaction(&mut raw, &names),
            // Batch reads and writes: ten experts by key in one snapshot,
            // and a hundred experts written again in one transaction.
            ("get_many_10", true) => drop(black_box(
                store
                    .get_many(names.iter().map(|name| Expert::key(D, name.as_str())))
                    .unwrap(),
            )),
            ("get_many_10", false) => drop(black_box(raw_get_many(&mut raw, D, &names))),
            ("put_all_100", true) => store.put_all(black_box(&hundred)).unwrap(),
            ("put_all_100", false) => raw_bulk(&mut raw, black_box(&hundred)),
            _ => panic!("unknown operation {op:?}"),
        }
    }
}

//! The DynamoDB benchmark's count mode: the client side's work with no
//! server, each side of each operation of [`OPS`] answered from a
//! recording (`benches/ratios.py --instructions` drives it).

use super::*;

/// The operations of the count mode, in the order `ratios.py` prints them.
pub(crate) const OPS: [&str; 20] = [
    "get",
    "put",
    "query_entity",
    "index_query",
    "filtered_query",
    "partition",
    "update",
    "put_when",
    "transaction_10",
    "create",
    "bulk_100",
    "put_ttl",
    "query_ttl",
    "put_moving",
    "get_unmoved",
    "put_unique",
    "query_view",
    "attr_query",
    "attr_put",
    "get_many_10",
];

/// One call of one side of an operation of [`OPS`], as the criterion
/// groups above make it.
pub(crate) struct Calls<'a> {
    store: &'a Store,
    raw: &'a Raw,
    item: Expert,
    role: String,
    names: Vec<String>,
    bulk: Vec<Expert>,
    n: std::cell::Cell<u32>,
}

impl Calls<'_> {
    pub(crate) fn new<'a>(store: &'a Store, raw: &'a Raw) -> Calls<'a> {
        Calls {
            store,
            raw,
            item: expert(D, 7),
            role: expert(D, 0).role,
            names: (0..10).map(|i| format!("expert-{i:05}")).collect(),
            bulk: (0..100).map(|i| expert("bulk", i)).collect(),
            n: std::cell::Cell::new(1_000_000),
        }
    }

    /// Card 7 of the ranked cards, its rank alternating from call to call:
    /// each put moves its entry in the multi-attribute index.
    fn moved(&self) -> cards::RankedCard {
        let n = self.n.get() + 1;
        self.n.set(n);
        let mut card = cards::ranked(7);
        card.rank = n % 2;
        card
    }

    pub(crate) async fn once(&self, op: &str, ours: bool) {
        let (store, raw, a) = (self.store, self.raw, Expert::attr());
        let key = "expert-00007";
        match (op, ours) {
            ("get", true) => drop(black_box(store.get(Expert::key(D, key)).await.unwrap())),
            ("get", false) => drop(black_box(raw.get_expert(D, key).await)),
            ("put", true) => store.put(&self.item).await.unwrap(),
            ("put", false) => raw.put_expert(&self.item).await,
            ("query_entity", true) => drop(black_box(
                store.query(Expert::query(D)).all().await.unwrap(),
            )),
            ("query_entity", false) => drop(black_box(raw.experts(D).await)),
            ("index_query", true) => drop(black_box(
                store
                    .query(Expert::by_role(self.role.as_str()))
                    .all()
                    .await
                    .unwrap(),
            )),
            ("index_query", false) => drop(black_box(raw.by_role(&self.role).await)),
            ("filtered_query", true) => drop(black_box(
                store
                    .query(Expert::query(D).filter(a.score.gt(0)))
                    .all()
                    .await
                    .unwrap(),
            )),
            ("filtered_query", false) => drop(black_box(raw.filtered(D).await)),
            ("partition", true) => drop(black_box(
                store.query(Dialogue::partition(D)).all().await.unwrap(),
            )),
            ("partition", false) => drop(black_box(raw.partition(D).await)),
            ("update", true) => store
                .update(Expert::key(D, key))
                .add(a.score, 1)
                .await
                .unwrap(),
            ("update", false) => raw.update_expert(key).await,
            ("put_when", true) => store.put(&self.item).when(a.score.ge(-1000)).await.unwrap(),
            ("put_when", false) => raw.put_expert_when(&self.item).await,
            ("transaction_10", true) => {
                let mut tx = store.transaction();
                for name in &self.names {
                    tx.update(blue_schema::Update::new(Expert::key(D, name)).add(a.score, 1));
                }
                tx.commit().await.unwrap()
            }
            ("transaction_10", false) => raw.transaction(&self.names).await,
            ("get_many_10", true) => drop(black_box(
                store
                    .get_many(self.names.iter().map(|name| Expert::key(D, name.as_str())))
                    .await
                    .unwrap(),
            )),
            ("get_many_10", false) => drop(black_box(raw.get_many(D, &self.names).await)),
            // The baseline is the store itself, on a table without TTL.
            ("put_ttl", true) => store.put(&cards::expiring(7)).await.unwrap(),
            ("put_ttl", false) => store.put(&cards::timed(7)).await.unwrap(),
            // What a key move costs while it lasts: the same shape-2 card in
            // a table whose key moves (a put reads the old key first; a get
            // of a card still under it reads both keys) and in one whose key
            // does not.
            // A unique field: the put reads the card and writes it with its
            // marker in one transaction.
            ("query_view", true) => drop(black_box(
                store
                    .query(cards::ViewedCard::by_owner("owner-7"))
                    .all()
                    .await
                    .unwrap(),
            )),
            ("query_view", false) => drop(black_box(raw.lines_by_owner("owner-7").await)),
            ("attr_query", true) => drop(black_box(
                store
                    .query(cards::RankedCard::by_owner("owner-7").rank_ge(0u32))
                    .all()
                    .await
                    .unwrap(),
            )),
            ("attr_query", false) => drop(black_box(raw.ranked_by_owner("owner-7").await)),
            ("attr_put", true) => store.put(&self.moved()).await.unwrap(),
            ("attr_put", false) => raw.put_ranked(&self.moved()).await,
            ("put_unique", true) => store.put(&cards::unique(7)).await.unwrap(),
            ("put_unique", false) => store.put(&cards::handled(7)).await.unwrap(),
            ("put_moving", true) => store.put(&cards::moving(7)).await.unwrap(),
            ("put_moving", false) => store.put(&cards::reshaped(7)).await.unwrap(),
            ("get_unmoved", true) => drop(black_box(
                store
                    .get(cards::MovingCard::key("deck-01", 17u32))
                    .await
                    .unwrap(),
            )),
            ("get_unmoved", false) => drop(black_box(
                store
                    .get(cards::ReshapedCard::key("deck-01", 17u32))
                    .await
                    .unwrap(),
            )),
            ("query_ttl", true) => drop(black_box(
                store
                    .query(cards::ExpiringCard::query("deck-01"))
                    .all()
                    .await
                    .unwrap(),
            )),
            ("query_ttl", false) => drop(black_box(
                store
                    .query(cards::TimedCard::query("deck-01"))
                    .all()
                    .await
                    .unwrap(),
            )),
            ("create" | "bulk_100", _) => {
                self.n.set(self.n.get() + 1);
                let d = format!("{op}-{}-{}", ours, self.n.get());
                let fresh = |e: &Expert| Expert {
                    dialogue_id: d.clone(),
                    ..e.clone()
                };
                match (op, ours) {
                    ("create", true) => store.create(&fresh(&self.item)).await.unwrap(),
                    ("create", false) => raw.create_expert(&fresh(&self.item)).await,
                    (_, true) => {
                        let items: Vec<Expert> = self.bulk.iter().map(fresh).collect();
                        store.put_all(&items).await.unwrap()
                    }
                    (_, false) => {
                        let items: Vec<Expert> = self.bulk.iter().map(fresh).collect();
                        raw.bulk(&items).await
                    }
                }
            }
            _ => panic!("unknown operation {op:?}; one of {OPS:?}"),
        }
    }
}

const SIDES: [(&str, bool); 2] = [("blue_schema", true), ("aws_sdk", false)];

/// `BLUE_BENCH_RECORD=<file>`: one call of each side of each operation of
/// [`OPS`] on the emulator, every request and answer written to `file` as
/// JSON (`{op: {side: [exchange]}}`) for the count mode to replay.
pub(crate) fn record(path: &str) {
    let rt = Runtime::new().unwrap();
    let recorder = Recorder::default();
    let (store, raw) = setup(&rt, Some(&recorder));
    let calls = Calls::new(&store, &raw);
    let mut out = serde_json::Map::new();
    for op in OPS {
        let mut sides = serde_json::Map::new();
        for (side, ours) in SIDES {
            recorder.take();
            rt.block_on(calls.once(op, ours));
            let exchanges = recorder.take();
            assert!(
                exchanges.iter().all(|e| e.status == 200),
                "{op} {side}: {exchanges:?}"
            );
            sides.insert(side.into(), serde_json::to_value(exchanges).unwrap());
        }
        out.insert(op.into(), sides.into());
    }
    std::fs::write(path, serde_json::to_string_pretty(&out).unwrap()).unwrap();
}

/// `BLUE_BENCH_COUNT="<op> <side> <n>"` with `BLUE_BENCH_REPLAY=<file>`
/// (written by [`record`]): one warm-up call and then `n` calls of one side
/// of one operation of [`OPS`], every answer replayed from the recording by
/// an HTTP client in this thread; no emulator, no socket. Under callgrind
/// with `n` and with 0, the difference over `n` is the client side's work
/// for one call (`<side>` is `blue_schema` or `aws_sdk`):
///
/// ```text
/// B=$(cargo bench -p blue-schema-benches --bench dynamodb --no-run 2>&1 | grep -o "target/[^)]*")
/// BLUE_BENCH_RECORD=target/replay.json $B
/// BLUE_BENCH_REPLAY=target/replay.json BLUE_BENCH_COUNT="get blue_schema 50" \
///     valgrind --tool=callgrind --callgrind-out-file=/dev/null $B 2>&1 | grep refs
/// ```
///
/// `benches/ratios.py --instructions` does all of it for both backends.
pub(crate) fn count(spec: &str) {
    let words: Vec<&str> = spec.split_whitespace().collect();
    let [op, side, n] = words[..] else {
        panic!("BLUE_BENCH_COUNT is \"<op> <side> <n>\", not {spec:?}");
    };
    let n: u32 = n.parse().expect("a count of calls");
    let ours = SIDES
        .iter()
        .find(|(name, _)| *name == side)
        .unwrap_or_else(|| panic!("unknown side {side:?}"))
        .1;
    let path = std::env::var("BLUE_BENCH_REPLAY").expect("BLUE_BENCH_REPLAY names a recording");
    let recording: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let script: Vec<Exchange> =
        serde_json::from_value(recording[op][side].clone()).expect("the operation was recorded");
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
        .region(aws_sdk_dynamodb::config::Region::new("us-east-1"))
        .endpoint_url("http://127.0.0.1:8000")
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "bench", "bench", None, None, "bench",
        ))
        .http_client(Replay::new(script))
        .build();
    let client = Client::from_conf(config);
    let store = Store::from_backend(
        DynamoDbBackend::new(&client)
            .with_table_prefix("bench_")
            .unwrap(),
    );
    let mut raw = Raw::new(&client, "bench_blue_dialogue".into());
    raw.viewed = format!("bench_{}", cards::Viewed::NAME);
    raw.ranked = format!("bench_{}", cards::Ranked::NAME);
    let calls = Calls::new(&store, &raw);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        calls.once(op, ours).await;
        for _ in 0..n {
            calls.once(op, ours).await;
        }
    });
}

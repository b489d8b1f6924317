//! The `tracing` feature: every store operation is a span with its table,
//! operation, partition, requests, items and capacity units, and no
//! attribute values.

#[path = "common/dynamodb.rs"]
mod dynamodb;
#[path = "common/proxy.rs"]
mod proxy;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use blue_schema::Store;
use blue_schema_examples::dialogue::{Dialogue, Expert};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// The metadata of the library's spans (all alike).
static METADATA: std::sync::OnceLock<&'static Metadata<'static>> = std::sync::OnceLock::new();

type Spans = Arc<Mutex<Vec<BTreeMap<String, String>>>>;

/// Keeps every span's fields.
struct Collect {
    spans: Spans,
    next: AtomicU64,
    /// The entered spans (the test runs on one thread).
    entered: Mutex<Vec<Id>>,
}

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(
            field.name().to_owned(),
            format!("{value:?}").trim_matches('"').to_owned(),
        );
    }
}

impl Subscriber for Collect {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let _ = METADATA.set(span.metadata());
        let mut fields = BTreeMap::new();
        fields.insert("name".to_owned(), span.metadata().name().to_owned());
        span.record(&mut Fields(&mut fields));
        let mut spans = self.spans.lock().unwrap();
        spans.push(fields);
        self.next.store(spans.len() as u64, Ordering::Relaxed);
        Id::from_u64(spans.len() as u64)
    }
    fn record(&self, span: &Id, values: &Record<'_>) {
        let mut spans = self.spans.lock().unwrap();
        let fields = &mut spans[span.into_u64() as usize - 1];
        values.record(&mut Fields(fields));
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, _: &Event<'_>) {}
    fn enter(&self, span: &Id) {
        self.entered.lock().unwrap().push(span.clone());
    }
    fn exit(&self, _: &Id) {
        self.entered.lock().unwrap().pop();
    }
    fn current_span(&self) -> tracing_core::span::Current {
        match self.entered.lock().unwrap().last() {
            Some(id) => {
                let spans = self.spans.lock().unwrap();
                let _ = &spans;
                tracing_core::span::Current::new(id.clone(), METADATA.get().unwrap())
            }
            None => tracing_core::span::Current::none(),
        }
    }
}

#[test]
fn every_operation_is_a_span_with_its_usage_and_no_values_on_sqlite() {
    every_operation_is_a_span_with_its_usage_and_no_values("sqlite::memory:".to_owned());
}

#[test]
fn every_operation_is_a_span_with_its_usage_and_no_values_on_dynamodb() {
    // The emulator takes any credentials.
    std::env::set_var("AWS_ACCESS_KEY_ID", "blue-schema-test");
    std::env::set_var("AWS_SECRET_ACCESS_KEY", "blue-schema-test");
    let (endpoint, _) = dynamodb::endpoint_url();
    every_operation_is_a_span_with_its_usage_and_no_values(format!(
        "dynamodb://?endpoint={endpoint}&region=us-east-1&table_prefix={}",
        dynamodb::unique_prefix()
    ));
}

/// A subscriber that keeps every span's fields in `spans`.
fn collect(spans: &Spans) -> Collect {
    Collect {
        spans: spans.clone(),
        next: AtomicU64::new(0),
        entered: Mutex::new(Vec::new()),
    }
}

/// A put that DynamoDB throttled once, for a hot partition key, and that
/// succeeded when sent again: its span says why it was throttled, so a hot
/// key shows in traces before it fails anything.
#[test]
fn a_throttled_attempt_leaves_its_reasons_on_the_span() {
    std::env::set_var("AWS_ACCESS_KEY_ID", "blue-schema-test");
    std::env::set_var("AWS_SECRET_ACCESS_KEY", "blue-schema-test");
    let (endpoint, _) = dynamodb::endpoint_url();
    // The proxy runs on a runtime of its own while the test thread waits.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let proxy = runtime.block_on(proxy::Proxy::start(&endpoint, None));
    let url = format!(
        "dynamodb://?endpoint={}&region=us-east-1&table_prefix={}",
        proxy.url(),
        dynamodb::unique_prefix()
    );
    let spans: Spans = Arc::default();
    tracing::subscriber::with_default(collect(&spans), || {
        blue_schema::block_on(async {
            let store = Store::open(&url).await.unwrap();
            store.create_table::<Dialogue>().await.unwrap();
            proxy.inject("UpdateItem", proxy::Fault::HOT_KEY);
            let expert = Expert {
                dialogue_id: "d1".into(),
                name: "muffin".into(),
                role: "skeptic".into(),
                tier: 1,
                score: 7,
            };
            store.put(&expert).await.unwrap();
            store.get(Expert::key("d1", "muffin")).await.unwrap();
            store.drop_table::<Dialogue>().await.unwrap();
        });
    });
    assert_eq!(proxy.injected().len(), 1);
    let spans = spans.lock().unwrap();
    let op = |op: &str| {
        spans
            .iter()
            .find(|s| s.get("op").map(String::as_str) == Some(op))
            .unwrap_or_else(|| panic!("no {op} span in {spans:?}"))
            .clone()
    };
    let put = op("put");
    assert_eq!(
        put.get("throttled").map(String::as_str),
        Some(
            "TableWriteKeyRangeThroughputExceeded on \
             arn:aws:dynamodb:us-east-1:123456789012:table/blue_reliable, \
             IndexWriteProvisionedThroughputExceeded on \
             arn:aws:dynamodb:us-east-1:123456789012:table/blue_reliable/index/gsi1"
        ),
        "{put:?}"
    );
    assert_eq!(put["requests"], "2");
    // A get that was not throttled records nothing.
    assert_eq!(op("get").get("throttled"), None);
}

fn every_operation_is_a_span_with_its_usage_and_no_values(url: String) {
    let spans: Spans = Arc::default();
    tracing::subscriber::with_default(collect(&spans), || {
        blue_schema::block_on(async {
            let store = Store::open(&url).await.unwrap();
            store.create_table::<Dialogue>().await.unwrap();
            let secret = Expert {
                dialogue_id: "d1".into(),
                name: "muffin".into(),
                role: "very-secret-role".into(),
                tier: 1,
                score: 7,
            };
            store.put(&secret).await.unwrap();
            store
                .get(Expert::key("d1", "muffin"))
                .await
                .unwrap()
                .unwrap();
            store.query(Expert::query("d1")).all().await.unwrap();
        });
    });
    let spans = spans.lock().unwrap();
    let by_op = |op: &str| {
        spans
            .iter()
            .find(|s| s.get("op").map(String::as_str) == Some(op))
            .unwrap_or_else(|| panic!("no {op} span in {spans:?}"))
            .clone()
    };
    let put = by_op("put");
    assert_eq!(put["name"], "blue_schema");
    assert_eq!(put["table"], "blue_dialogue");
    assert_eq!(put["partition"], "d1");
    assert_eq!(put["requests"], "1");
    assert_eq!(put["items"], "1");
    // 1 unit for the table, 1 for its entry in the by_role index.
    assert_eq!(put["write_units"], "2.0");
    let get = by_op("get");
    assert_eq!(
        (get["read_units"].as_str(), get["items"].as_str()),
        ("1.0", "1")
    );
    let query = by_op("query");
    assert_eq!(
        (query["read_units"].as_str(), query["items"].as_str()),
        ("1.0", "1")
    );
    assert!(by_op("create_table")["table"] == "blue_dialogue");
    for span in spans.iter() {
        for value in span.values() {
            assert!(!value.contains("very-secret-role"), "a value in {span:?}");
        }
    }
}

//! What only the DynamoDB backend has: the requests it sends, the items as
//! other DynamoDB clients see them, its handling of unprocessed batch items
//! and of a same-named table of another shape. Its behaviour is tested with
//! every other backend's by the store suite (`tests/store`).

#[path = "store/catalog.rs"]
mod catalog;
#[path = "common/dynamodb.rs"]
mod dynamodb;
#[allow(dead_code)]
#[path = "store/entities.rs"]
mod entities;
#[allow(dead_code)]
#[path = "store/helpdesk.rs"]
mod helpdesk;
#[path = "common/poll.rs"]
mod poll;

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::config::interceptors::{
    BeforeDeserializationInterceptorContextMut, BeforeTransmitInterceptorContextMut,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, GlobalSecondaryIndex, KeySchemaElement,
    KeyType, Projection, ProjectionType, ScalarAttributeType,
};
use aws_smithy_types::body::SdkBody;
use blue_schema::backend::dynamodb::DynamoDbBackend;
use blue_schema::migrate::copy_table;
use blue_schema::{Error, Store, Table};
use blue_schema_examples::dialogue::*;

fn run<Fut: Future<Output = ()> + Send + 'static>(test: impl FnOnce(DynamoDbBackend) -> Fut) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let backend = runtime.block_on(dynamodb::backend());
    let result = runtime.block_on(runtime.spawn(test(backend.clone())));
    runtime.block_on(dynamodb::drop_tables(&backend));
    if let Err(e) = result {
        std::panic::resume_unwind(e.into_panic());
    }
}

fn expert(name: &str, score: i32) -> Expert {
    Expert {
        dialogue_id: "nvidia-dec".into(),
        name: name.into(),
        role: "skeptic".into(),
        tier: 1,
        score,
    }
}

/// The requests `work` sent, by operation.
async fn requests<F: Future>(backend: &DynamoDbBackend, work: F) -> BTreeMap<String, u64> {
    let before = backend.requests_by_operation();
    work.await;
    let mut sent = backend.requests_by_operation();
    for (operation, n) in before {
        *sent.get_mut(&operation).unwrap() -= n;
    }
    sent.retain(|_, n| *n > 0);
    sent
}

fn just(operation: &str, n: u64) -> BTreeMap<String, u64> {
    BTreeMap::from([(operation.to_owned(), n)])
}

#[test]
fn one_request_per_operation_and_page() {
    run(|backend| async move {
        let store = Store::from_backend(backend.clone());
        store.create_table::<Dialogue>().await.unwrap();
        let key = || Expert::key("nvidia-dec", "muffin");

        let put = requests(&backend, async {
            store.put(&expert("muffin", 1)).await.unwrap()
        });
        assert_eq!(put.await, just("UpdateItem", 1), "put of a new item");
        let replace = requests(&backend, async {
            store.put(&expert("muffin", 2)).await.unwrap()
        });
        assert_eq!(replace.await, just("UpdateItem", 1), "put replacing one");
        let create = requests(&backend, async {
            store.create(&expert("muf", 1)).await.unwrap()
        });
        assert_eq!(create.await, just("PutItem", 1), "create");
        let taken = requests(&backend, async {
            assert!(matches!(
                store.create(&expert("muf", 1)).await,
                Err(Error::AlreadyExists { .. })
            ));
        });
        assert_eq!(taken.await, just("PutItem", 1), "create of a taken key");
        let get = requests(&backend, async {
            store.get(key()).await.unwrap().unwrap();
        });
        assert_eq!(get.await, just("GetItem", 1), "get");
        let record = requests(&backend, async {
            store.get_record(key()).await.unwrap().unwrap();
        });
        assert_eq!(record.await, just("GetItem", 1), "get_record");
        let missing = requests(&backend, async {
            assert_eq!(
                store
                    .get(Expert::key("nvidia-dec", "nobody"))
                    .await
                    .unwrap(),
                None
            );
        });
        assert_eq!(missing.await, just("GetItem", 1), "get of a missing item");

        // Five experts in pages of two: three pages, one request each, and
        // no fourth request for an empty page.
        for name in ["a", "b", "c"] {
            store.put(&expert(name, 0)).await.unwrap();
        }
        let page = requests(&backend, async {
            let page = store
                .query(Expert::query("nvidia-dec").page_size(2))
                .page()
                .await
                .unwrap();
            assert!(page.cursor.is_some());
        });
        assert_eq!(page.await, just("Query", 1), "one page");
        let all = requests(&backend, async {
            let all = store
                .query(Expert::query("nvidia-dec").page_size(2))
                .all()
                .await
                .unwrap();
            assert_eq!(all.len(), 5);
        });
        assert_eq!(all.await, just("Query", 3), "three pages");
        // A page that is exactly full has a cursor, as DynamoDB gives a
        // `LastEvaluatedKey` whenever a page reaches its `Limit`: reading to
        // the end then takes one more request, for an empty page.
        let exact = requests(&backend, async {
            let page = store
                .query(Expert::query("nvidia-dec").page_size(5))
                .page()
                .await
                .unwrap();
            assert_eq!(page.items.len(), 5);
            assert!(page.cursor.is_some());
        });
        assert_eq!(exact.await, just("Query", 1), "a page that is exactly full");
        let to_the_end = requests(&backend, async {
            let all = store
                .query(Expert::query("nvidia-dec").page_size(5))
                .all()
                .await
                .unwrap();
            assert_eq!(all.len(), 5);
        });
        assert_eq!(
            to_the_end.await,
            just("Query", 2),
            "and the empty page after it"
        );
        // `take` asks for no more than it still needs.
        let taken = requests(&backend, async {
            let two = store
                .query(Expert::query("nvidia-dec").page_size(5).take(2))
                .all()
                .await
                .unwrap();
            assert_eq!(two.len(), 2);
        });
        assert_eq!(taken.await, just("Query", 1), "take(2) reads one page of 2");

        let delete = requests(&backend, async { store.delete(key()).await.unwrap() });
        assert_eq!(delete.await, just("DeleteItem", 1), "delete");
        let returning = requests(&backend, async {
            assert!(store
                .delete_returning(Expert::key("nvidia-dec", "muf"))
                .await
                .unwrap()
                .is_some());
        });
        assert_eq!(returning.await, just("DeleteItem", 1), "delete_returning");

        // put_all: ⌈n/100⌉ reads of the existing created_at, ⌈n/25⌉ writes.
        let many: Vec<Expert> = (0..130).map(|i| expert(&format!("e{i:03}"), i)).collect();
        let batch = requests(&backend, async { store.put_all(&many).await.unwrap() });
        assert_eq!(
            batch.await,
            BTreeMap::from([
                ("BatchGetItem".to_owned(), 2),
                ("BatchWriteItem".to_owned(), 6)
            ])
        );
    });
}

#[test]
fn a_copy_of_n_items_sends_n_over_25_writes() {
    run(|backend| async move {
        let store = Store::from_backend(backend.clone());
        let source = Store::sqlite_memory().unwrap();
        source.create_table::<Dialogue>().await.unwrap();
        let items: Vec<Expert> = (0..103).map(|i| expert(&format!("e{i:03}"), i)).collect();
        source.put_all(&items).await.unwrap();
        let copy = requests(&backend, async {
            let report = copy_table::<Dialogue>(&source, &store).await.unwrap();
            assert_eq!((report.copied, report.batches), (103, 5));
        });
        let sent = copy.await;
        assert_eq!(sent.get("BatchWriteItem"), Some(&5), "{sent:?}");
        assert_eq!(
            store
                .query(Expert::query("nvidia-dec"))
                .all()
                .await
                .unwrap(),
            items
        );
    });
}

#[test]
fn items_are_plain_dynamodb_items() {
    run(|backend| async move {
        let store = Store::from_backend(backend.clone());
        store.create_table::<Dialogue>().await.unwrap();
        store.put(&expert("muffin", 42)).await.unwrap();
        let item = backend
            .client()
            .get_item()
            .table_name(backend.table_name(Dialogue::NAME))
            .key("pk", AttributeValue::S("nvidia-dec".into()))
            .key("sk", AttributeValue::S("EXPERT#muffin".into()))
            .send()
            .await
            .unwrap()
            .item
            .unwrap();
        let created_at = item["created_at"].as_s().unwrap().clone();
        assert_eq!(created_at.len(), 24, "{created_at}");
        assert_eq!(item["updated_at"].as_s().unwrap(), &created_at);
        let s = |v: &str| AttributeValue::S(v.into());
        let n = |v: &str| AttributeValue::N(v.into());
        assert_eq!(
            item,
            HashMap::from([
                ("pk".to_owned(), s("nvidia-dec")),
                ("sk".to_owned(), s("EXPERT#muffin")),
                ("created_at".to_owned(), s(&created_at)),
                ("updated_at".to_owned(), s(&created_at)),
                ("dialogue_id".to_owned(), s("nvidia-dec")),
                ("name".to_owned(), s("muffin")),
                ("role".to_owned(), s("skeptic")),
                ("tier".to_owned(), n("1")),
                ("score".to_owned(), n("42")),
                // Experts by role (index gsi1): the role, then the tier and
                // the item's own key, escaped.
                ("gsi1pk".to_owned(), s("ROLE#skeptic")),
                (
                    "gsi1sk".to_owned(),
                    s("EXPERT#001#nvidia-dec#EXPERT%23muffin")
                ),
            ])
        );
        // The table's key schema and billing mode.
        let table = backend
            .client()
            .describe_table()
            .table_name(backend.table_name(Dialogue::NAME))
            .send()
            .await
            .unwrap()
            .table
            .unwrap();
        let keys: Vec<(String, KeyType)> = table
            .key_schema()
            .iter()
            .map(|k| (k.attribute_name().to_owned(), k.key_type().clone()))
            .collect();
        assert_eq!(
            keys,
            [
                ("pk".to_owned(), KeyType::Hash),
                ("sk".to_owned(), KeyType::Range)
            ]
        );
        assert_eq!(
            table.billing_mode_summary().and_then(|b| b.billing_mode()),
            Some(&BillingMode::PayPerRequest)
        );
        // Its indexes: experts by role, tensions by status; whole items.
        let mut indexes: Vec<(String, Vec<String>, String)> = table
            .global_secondary_indexes()
            .iter()
            .map(|g| {
                (
                    g.index_name().unwrap().to_owned(),
                    g.key_schema()
                        .iter()
                        .map(|k| format!("{} {}", k.attribute_name(), k.key_type().as_str()))
                        .collect(),
                    g.projection()
                        .and_then(|p| p.projection_type())
                        .unwrap()
                        .as_str()
                        .to_owned(),
                )
            })
            .collect();
        indexes.sort();
        let index = |n: u8| {
            (
                format!("gsi{n}"),
                vec![format!("gsi{n}pk HASH"), format!("gsi{n}sk RANGE")],
                "ALL".to_owned(),
            )
        };
        assert_eq!(indexes, [index(1), index(2)]);
    });
}

#[test]
/// An item written by another client without `updated_at` (or by a
/// version of the library before it) reads its `created_at` as
/// `updated_at`; the next write adds it.
fn an_item_without_updated_at_reads_its_created_at() {
    run(|backend| async move {
        let store = Store::from_backend(backend.clone());
        store.create_table::<Dialogue>().await.unwrap();
        let s = |v: &str| AttributeValue::S(v.into());
        let n = |v: &str| AttributeValue::N(v.into());
        backend
            .client()
            .put_item()
            .table_name(backend.table_name(Dialogue::NAME))
            .item("pk", s("nvidia-dec"))
            .item("sk", s("EXPERT#old"))
            .item("created_at", s("2025-01-02T03:04:05.678Z"))
            .item("dialogue_id", s("nvidia-dec"))
            .item("name", s("old"))
            .item("role", s("skeptic"))
            .item("tier", n("1"))
            .item("score", n("7"))
            .send()
            .await
            .unwrap();
        let key = Expert::key("nvidia-dec", "old");
        let old = store.get_record(&key).await.unwrap().unwrap();
        assert_eq!(old.value.score, 7);
        assert_eq!(old.updated_at, "2025-01-02T03:04:05.678Z");
        assert_eq!(old.updated_at, old.created_at);
        let t = Expert::attr();
        store.update(&key).add(t.score, 1).await.unwrap();
        let new = store.get_record(&key).await.unwrap().unwrap();
        assert_eq!(new.created_at, old.created_at);
        assert!(new.updated_at > old.updated_at, "{new:?}");
    });
}

#[test]
fn a_table_of_another_shape_is_refused() {
    run(|backend| async move {
        backend
            .client()
            .create_table()
            .table_name(backend.table_name(Dialogue::NAME))
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name("id")
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .unwrap(),
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name("id")
                    .key_type(KeyType::Hash)
                    .build()
                    .unwrap(),
            )
            .billing_mode(BillingMode::PayPerRequest)
            .send()
            .await
            .unwrap();
        let store = Store::from_backend(backend);
        let err = store.create_table::<Dialogue>().await.unwrap_err();
        assert!(matches!(err, Error::TableMismatch { .. }), "{err:?}");
        assert_eq!(
            err.to_string(),
            "table blue_dialogue exists but was not created by blue-schema: \
             its key schema is id (HASH), not pk (S, HASH), sk (S, RANGE)"
        );
    });
}

/// Replaces DynamoDB's answer with `status` and the JSON `body`.
fn answer(
    context: &mut BeforeDeserializationInterceptorContextMut<'_>,
    status: u16,
    body: serde_json::Value,
) {
    let body = serde_json::to_vec(&body).unwrap();
    let response = context.response_mut();
    *response.status_mut() = status.try_into().unwrap();
    // The SDK checks this checksum of the body when it is present.
    response.headers_mut().remove("x-amz-crc32");
    response
        .headers_mut()
        .insert("content-length", body.len().to_string());
    *response.body_mut() = SdkBody::from(body);
}

/// Makes DynamoDB leave the last `hold_back` items of the first
/// `BatchWriteItem` unprocessed: they are taken out of the request before
/// it is sent and put into the response's `UnprocessedItems`. With
/// `always`, every answer claims them unprocessed.
#[derive(Debug, Default)]
struct LeaveUnprocessed {
    hold_back: usize,
    /// Hold items back from every request, not only the first.
    always: bool,
    held: Mutex<Option<serde_json::Value>>,
    done: Mutex<bool>,
    bodies: Arc<Mutex<Vec<serde_json::Value>>>,
}

impl Intercept for LeaveUnprocessed {
    fn name(&self) -> &'static str {
        "LeaveUnprocessed"
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        let request = context.request_mut();
        if request.headers().get("x-amz-target") != Some("DynamoDB_20120810.BatchWriteItem") {
            return Ok(());
        }
        let mut body: serde_json::Value =
            serde_json::from_slice(request.body().bytes().unwrap()).unwrap();
        self.bodies.lock().unwrap().push(body.clone());
        let mut done = self.done.lock().unwrap();
        if *done && !self.always {
            return Ok(());
        }
        *done = true;
        let tables = body["RequestItems"].as_object_mut().unwrap();
        let (table, requests) = tables.iter_mut().next().unwrap();
        let requests = requests.as_array_mut().unwrap();
        let keep = requests.len().saturating_sub(self.hold_back);
        if self.always {
            // Claim the last items unprocessed without taking them out (a
            // request of none would be invalid): they are written, but the
            // answer says otherwise every time.
            let held = requests[keep..].to_vec();
            *self.held.lock().unwrap() = Some(serde_json::json!({ table.clone(): held }));
            return Ok(());
        }
        let held: Vec<_> = requests.split_off(keep);
        *self.held.lock().unwrap() = Some(serde_json::json!({ table.clone(): held }));
        let bytes = serde_json::to_vec(&body).unwrap();
        request
            .headers_mut()
            .insert("content-length", bytes.len().to_string());
        *request.body_mut() = SdkBody::from(bytes);
        Ok(())
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        if let Some(held) = self.held.lock().unwrap().take() {
            answer(
                context,
                200,
                serde_json::json!({ "UnprocessedItems": held }),
            );
        }
        Ok(())
    }
}

#[test]
fn unprocessed_batch_items_are_sent_again() {
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let interceptor = LeaveUnprocessed {
        hold_back: 7,
        bodies: bodies.clone(),
        ..LeaveUnprocessed::default()
    };
    run(move |plain| async move {
        let client = plain.client();
        let config = client
            .config()
            .to_builder()
            .interceptor(interceptor)
            .build();
        let prefix = plain.table_name("");
        let backend = DynamoDbBackend::new(&aws_sdk_dynamodb::Client::from_conf(config))
            .with_table_prefix(&prefix)
            .unwrap();
        let store = Store::from_backend(backend.clone());
        store.create_table::<Dialogue>().await.unwrap();
        let items: Vec<Expert> = (0..20).map(|i| expert(&format!("e{i:02}"), i)).collect();
        let sent = requests(&backend, async { store.put_all(&items).await.unwrap() });
        assert_eq!(sent.await.get("BatchWriteItem"), Some(&2));
        assert_eq!(
            store
                .query(Expert::query("nvidia-dec"))
                .all()
                .await
                .unwrap(),
            items
        );
        // The second request held exactly the 7 items left over.
        let bodies = bodies.lock().unwrap();
        let count = |body: &serde_json::Value| {
            body["RequestItems"]
                .as_object()
                .unwrap()
                .values()
                .next()
                .unwrap()
                .as_array()
                .unwrap()
                .len()
        };
        assert_eq!(bodies.iter().map(count).collect::<Vec<_>>(), [20, 7]);
    });
}

#[test]
fn the_documented_table_definition_is_the_one_the_store_uses() {
    run(|backend| async move {
        // Create the table by hand from the generated docs' JSON...
        let json: serde_json::Value =
            serde_json::from_str(&blue_schema::docs::dynamodb_table_json(&Dialogue::SCHEMA))
                .unwrap();
        assert_eq!(json["TableName"], Dialogue::NAME);
        let mut create = backend
            .client()
            .create_table()
            .table_name(backend.table_name(Dialogue::NAME))
            .billing_mode(BillingMode::from(json["BillingMode"].as_str().unwrap()));
        for a in json["AttributeDefinitions"].as_array().unwrap() {
            create = create.attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name(a["AttributeName"].as_str().unwrap())
                    .attribute_type(ScalarAttributeType::from(
                        a["AttributeType"].as_str().unwrap(),
                    ))
                    .build()
                    .unwrap(),
            );
        }
        for k in json["KeySchema"].as_array().unwrap() {
            create = create.key_schema(
                KeySchemaElement::builder()
                    .attribute_name(k["AttributeName"].as_str().unwrap())
                    .key_type(KeyType::from(k["KeyType"].as_str().unwrap()))
                    .build()
                    .unwrap(),
            );
        }
        let key_schema = |keys: &serde_json::Value| {
            keys.as_array()
                .unwrap()
                .iter()
                .map(|k| {
                    KeySchemaElement::builder()
                        .attribute_name(k["AttributeName"].as_str().unwrap())
                        .key_type(KeyType::from(k["KeyType"].as_str().unwrap()))
                        .build()
                        .unwrap()
                })
                .collect::<Vec<_>>()
        };
        for g in json["GlobalSecondaryIndexes"].as_array().unwrap() {
            create = create.global_secondary_indexes(
                GlobalSecondaryIndex::builder()
                    .index_name(g["IndexName"].as_str().unwrap())
                    .set_key_schema(Some(key_schema(&g["KeySchema"])))
                    .projection(
                        Projection::builder()
                            .projection_type(ProjectionType::from(
                                g["Projection"]["ProjectionType"].as_str().unwrap(),
                            ))
                            .build(),
                    )
                    .build()
                    .unwrap(),
            );
        }
        create.send().await.unwrap();
        // ...and the store takes it as its own and works on it.
        let store = Store::from_backend(backend);
        store.create_table::<Dialogue>().await.unwrap();
        store.put(&expert("muffin", 42)).await.unwrap();
        assert_eq!(
            store
                .get(Expert::key("nvidia-dec", "muffin"))
                .await
                .unwrap(),
            Some(expert("muffin", 42))
        );
        // Its indexes too: the store added none (it would have reindexed).
        let found = poll::settled(
            || async { store.query(Expert::by_role("skeptic")).all().await.unwrap() },
            |found| *found == [expert("muffin", 42)],
        )
        .await;
        assert_eq!(found, [expert("muffin", 42)]);
    });
}

/// Answers the `nth` and later requests of `operation` (counting from 1)
/// with a DynamoDB error instead of the server's answer, for `times`
/// requests.
#[derive(Debug)]
struct FailRequests {
    operation: &'static str,
    nth: u32,
    times: u32,
    status: u16,
    code: &'static str,
    /// Fail the request before it is sent, instead of replacing the answer
    /// of a request the server applied.
    before_send: bool,
    seen: Mutex<u32>,
    /// The operation of the request in flight (the tests send one at a time).
    last: Mutex<String>,
}

impl FailRequests {
    fn new(operation: &'static str, nth: u32, times: u32, code: &'static str) -> Self {
        FailRequests {
            operation,
            nth,
            times,
            status: 400,
            code,
            before_send: false,
            seen: Mutex::new(0),
            last: Mutex::new(String::new()),
        }
    }

    /// Whether this request of `target` is one to fail.
    fn fails(&self, target: &str) -> bool {
        if !target.ends_with(&format!(".{}", self.operation)) {
            return false;
        }
        let mut seen = self.seen.lock().unwrap();
        *seen += 1;
        *seen >= self.nth && *seen < self.nth.saturating_add(self.times)
    }
}

impl Intercept for FailRequests {
    fn name(&self) -> &'static str {
        "FailRequests"
    }

    fn read_before_transmit(
        &self,
        context: &aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        let target = context
            .request()
            .headers()
            .get("x-amz-target")
            .unwrap_or_default();
        *self.last.lock().unwrap() = target.to_owned();
        if self.before_send && self.fails(target) {
            return Err("the connection dropped before the request went out (injected)".into());
        }
        Ok(())
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        let target = self.last.lock().unwrap().clone();
        if self.before_send || !self.fails(&target) {
            return Ok(());
        }
        answer(
            context,
            self.status,
            serde_json::json!({
                "__type": format!("com.amazonaws.dynamodb.v20120810#{}", self.code),
                "message": "injected by the test",
            }),
        );
        Ok(())
    }
}

/// A backend whose client fails requests as `fail` says.
fn failing(plain: &DynamoDbBackend, fail: FailRequests) -> DynamoDbBackend {
    let config = plain
        .client()
        .config()
        .to_builder()
        .interceptor(fail)
        .build();
    DynamoDbBackend::new(&aws_sdk_dynamodb::Client::from_conf(config))
        .with_table_prefix(&plain.table_name(""))
        .unwrap()
}

#[test]
fn throttling_is_retried_then_reported_with_its_code() {
    run(|plain| async move {
        Store::from_backend(plain.clone())
            .create_table::<Dialogue>()
            .await
            .unwrap();
        let backend = failing(
            &plain,
            FailRequests::new("GetItem", 1, u32::MAX, "ThrottlingException"),
        );
        let store = Store::from_backend(backend.clone());
        let sent = requests(&backend, async {
            match store.get(Expert::key("nvidia-dec", "muffin")).await {
                Err(error @ Error::Throttled { .. }) => {
                    assert!(error.is_retryable());
                    let Error::Throttled {
                        backend, source, ..
                    } = error
                    else {
                        unreachable!()
                    };
                    assert_eq!(backend, "dynamodb");
                    let request = source
                        .downcast_ref::<blue_schema::backend::dynamodb::RequestError>()
                        .expect("a RequestError");
                    assert_eq!(request.operation(), "GetItem");
                    assert_eq!(request.code(), Some("ThrottlingException"));
                    assert!(request.is_throttling());
                    assert_eq!(
                        request.to_string(),
                        "GetItem: ThrottlingException: injected by the test"
                    );
                }
                other => panic!("expected a throttling error, got {other:?}"),
            }
        });
        // The client's max_attempts (3 by default), retried by the backend.
        assert_eq!(sent.await, just("GetItem", 3));
    });
}

#[test]
fn a_batch_that_fails_part_way_leaves_earlier_batches_and_can_be_rerun() {
    run(|plain| async move {
        Store::from_backend(plain.clone())
            .create_table::<Dialogue>()
            .await
            .unwrap();
        // The second BatchWriteItem fails with an error the SDK does not retry.
        let backend = failing(
            &plain,
            FailRequests::new("BatchWriteItem", 2, 1, "ValidationException"),
        );
        let store = Store::from_backend(backend);
        let items: Vec<Expert> = (0..60).map(|i| expert(&format!("e{i:02}"), i)).collect();
        match store.put_all(&items).await {
            Err(Error::Backend { source, .. }) => {
                assert!(
                    source.to_string().starts_with("BatchWriteItem: "),
                    "{source}"
                )
            }
            other => panic!("expected the injected failure, got {other:?}"),
        }
        // The first batch of 25 is written; the second failed (the emulator
        // wrote it, but its answer was replaced); the third was never sent.
        let written = store
            .query(Expert::query("nvidia-dec"))
            .all()
            .await
            .unwrap();
        assert_eq!(written, items[..50]);
        // Running it again finishes the job.
        store.put_all(&items).await.unwrap();
        assert_eq!(
            store
                .query(Expert::query("nvidia-dec"))
                .all()
                .await
                .unwrap(),
            items
        );
    });
}

#[test]
fn items_left_unprocessed_past_the_attempts_are_an_error() {
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let interceptor = LeaveUnprocessed {
        hold_back: 3,
        always: true,
        bodies: bodies.clone(),
        ..LeaveUnprocessed::default()
    };
    run(move |plain| async move {
        let client = plain.client();
        let config = client
            .config()
            .to_builder()
            .interceptor(interceptor)
            .build();
        let backend = DynamoDbBackend::new(&aws_sdk_dynamodb::Client::from_conf(config))
            .with_table_prefix(&plain.table_name(""))
            .unwrap()
            .with_batch_attempts(std::num::NonZeroU32::new(4).unwrap());
        let store = Store::from_backend(backend.clone());
        store.create_table::<Dialogue>().await.unwrap();
        let items: Vec<Expert> = (0..10).map(|i| expert(&format!("e{i:02}"), i)).collect();
        match store.put_all(&items).await {
            Err(Error::Throttled {
                backend, source, ..
            }) => {
                assert_eq!(backend, "dynamodb");
                let left = source
                    .downcast_ref::<blue_schema::backend::dynamodb::UnprocessedItems>()
                    .expect("an UnprocessedItems");
                assert_eq!((left.operation(), left.items()), ("BatchWriteItem", 3));
                assert_eq!(
                    left.to_string(),
                    "BatchWriteItem on blue_dialogue left 3 items unprocessed after 4 attempts"
                );
            }
            other => panic!("expected unprocessed items to be an error, got {other:?}"),
        }
        // Four requests, each holding back three more items.
        let count = |body: &serde_json::Value| {
            body["RequestItems"]
                .as_object()
                .unwrap()
                .values()
                .next()
                .unwrap()
                .as_array()
                .unwrap()
                .len()
        };
        let sizes: Vec<usize> = bodies.lock().unwrap().iter().map(count).collect();
        assert_eq!(sizes, [10, 3, 3, 3]);
    });
}

fn toggle(seq: u32, left: bool) -> entities::Toggle {
    entities::Toggle {
        id: "t".into(),
        n: 1,
        left: left.then(|| format!("left {seq}")),
        right: (!left).then(|| format!("right {seq}")),
        seq,
    }
}

/// The attribute names of an item as DynamoDB holds it, read with the SDK.
async fn stored_names(backend: &DynamoDbBackend, pk: &str, sk: &str) -> Vec<String> {
    let out = backend
        .client()
        .get_item()
        .table_name(backend.table_name(entities::Probe::NAME))
        .key("pk", AttributeValue::S(pk.into()))
        .key("sk", AttributeValue::S(sk.into()))
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    let mut names: Vec<String> = out.item.unwrap_or_default().into_keys().collect();
    names.sort();
    names
}

/// `#[set]` fields are DynamoDB sets (`SS`, `NS`) whichever way they are
/// written, absent when empty, and a copy from SQLite writes them as sets.
#[test]
fn set_fields_are_dynamodb_sets() {
    run(|backend| async move {
        let store = Store::from_backend(backend.clone());
        store.create_table::<entities::Probe>().await.unwrap();
        let item = |names: &[&str], sizes: &[i64]| entities::Labels {
            id: "l".into(),
            names: names.iter().map(|n| n.to_string()).collect(),
            sizes: sizes.iter().copied().collect(),
        };
        let stored = || async {
            backend
                .client()
                .get_item()
                .table_name(backend.table_name(entities::Probe::NAME))
                .key("pk", AttributeValue::S("l".into()))
                .key("sk", AttributeValue::S("LABELS".into()))
                .consistent_read(true)
                .send()
                .await
                .unwrap()
                .item
                .unwrap()
        };
        store.put(&item(&["b", "a"], &[-5, 20])).await.unwrap();
        let got = stored().await;
        let mut names = got["names"].as_ss().unwrap().clone();
        names.sort();
        assert_eq!(names, ["a", "b"]);
        let mut sizes = got["sizes"].as_ns().unwrap().clone();
        sizes.sort();
        assert_eq!(sizes, ["-5", "20"]);
        let l = entities::Labels::attr();
        store
            .update(entities::Labels::key("l"))
            .add_to(l.names, ["c"])
            .delete_from(l.sizes, [-5, 20])
            .await
            .unwrap();
        let got = stored().await;
        assert_eq!(got["names"].as_ss().unwrap().len(), 3);
        assert!(!got.contains_key("sizes"), "an emptied set is removed");
        store.put(&item(&[], &[1])).await.unwrap();
        assert!(
            !stored().await.contains_key("names"),
            "an empty set is not written"
        );

        // From SQLite, where sets are JSON lists, a copy writes sets again.
        let source = Store::sqlite_memory().unwrap();
        source.create_table::<entities::Probe>().await.unwrap();
        source.put(&item(&["x", "y"], &[3])).await.unwrap();
        copy_table::<entities::Probe>(&source, &store)
            .await
            .unwrap();
        let got = stored().await;
        assert_eq!(got["names"].as_ss().unwrap().len(), 2);
        assert_eq!(got["sizes"].as_ns().unwrap(), &["3".to_owned()]);
        assert_eq!(
            store.get(entities::Labels::key("l")).await.unwrap(),
            Some(item(&["x", "y"], &[3]))
        );
    });
}

/// A batch read past DynamoDB's 16 MB per response: the keys it leaves
/// unprocessed are asked again until every item is read, in the caller's
/// order.
#[test]
fn a_batch_read_past_16_mb_is_finished_by_retries() {
    run(|backend| async move {
        let store = Store::from_backend(backend.clone());
        store.create_table::<entities::Probe>().await.unwrap();
        let item = |n: u32| entities::Sized {
            id: "big".into(),
            n,
            payload: format!("{n:06}").repeat(60_000),
        };
        let items: Vec<_> = (0..50).map(item).collect();
        store.put_all(&items).await.unwrap();
        let keys: Vec<_> = (0..50)
            .rev()
            .map(|n| entities::Sized::key("big", n))
            .collect();
        let mut read = Vec::new();
        let sent = requests(&backend, async {
            read = store.get_many(keys).await.unwrap();
        })
        .await;
        // 50 items of 360 KB: 18 MB, more than one response holds.
        assert!(sent["BatchGetItem"] >= 2, "{sent:?}");
        let ns: Vec<u32> = read.iter().map(|i| i.as_ref().unwrap().n).collect();
        assert_eq!(ns, (0..50).rev().collect::<Vec<_>>());
        assert!(read
            .iter()
            .all(|i| i.as_ref().unwrap().payload.len() == 360_000));
    });
}

#[test]
fn a_put_is_one_update_that_removes_what_the_new_item_lacks() {
    run(|backend| async move {
        let store = Store::from_backend(backend.clone());
        store.create_table::<entities::Probe>().await.unwrap();
        store.put(&toggle(1, true)).await.unwrap();
        let replace = requests(&backend, async {
            store.put(&toggle(2, false)).await.unwrap();
        });
        assert_eq!(replace.await, just("UpdateItem", 1));
        assert_eq!(
            stored_names(&backend, "t", "TOGGLE#0000000001").await,
            [
                "created_at",
                "id",
                "n",
                "pk",
                "right",
                "seq",
                "sk",
                "updated_at"
            ]
        );
        // An item too large for an update: a consistent read of its
        // created_at, then a conditional PutItem of the whole item.
        let big = |payload: usize| entities::Sized {
            id: "big".into(),
            n: 1,
            payload: "x".repeat(payload),
        };
        store.put(&big(100)).await.unwrap();
        let first = store
            .get_record(entities::Sized::key("big", 1))
            .await
            .unwrap()
            .unwrap();
        let large = requests(&backend, async {
            store.put(&big(409_000)).await.unwrap();
        });
        assert_eq!(
            large.await,
            BTreeMap::from([("GetItem".to_owned(), 1), ("PutItem".to_owned(), 1)])
        );
        let after = store
            .get_record(entities::Sized::key("big", 1))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(after.value, big(409_000));
        assert_eq!(after.created_at, first.created_at);
    });
}

/// A put whose request fails leaves the old item or the new one, whole:
/// failed before it was sent (the old one, and an error), or applied and
/// its answer a server error (the new one, and `Ok`: the put reads the
/// item back and finds its own write).
#[test]
fn a_failed_put_leaves_the_old_item_or_the_new_one() {
    run(|plain| async move {
        let store = Store::from_backend(plain.clone());
        store.create_table::<entities::Probe>().await.unwrap();
        let key = || entities::Toggle::key("t", 1u32);
        let cases = [
            ("UpdateItem", true, 2, false),
            ("UpdateItem", false, 3, true),
            ("PutItem", true, 4, false),
            ("PutItem", false, 5, true),
        ];
        for (operation, before_send, seq, lands) in cases {
            store.put(&toggle(seq - 1, true)).await.unwrap();
            let mut fail = FailRequests::new(operation, 1, u32::MAX, "InternalServerError");
            fail.status = 500;
            fail.before_send = before_send;
            let failing_store = Store::from_backend(failing(&plain, fail));
            // A large item takes the PutItem path.
            let new = if operation == "PutItem" {
                entities::Toggle {
                    left: None,
                    right: Some("r".repeat(409_000)),
                    ..toggle(seq, false)
                }
            } else {
                toggle(seq, false)
            };
            let result = failing_store.put(&new).await;
            if before_send {
                // Dropped before it went out: an error, nothing applied.
                assert!(result.is_err(), "{operation}: {result:?}");
            } else {
                // Applied, but the answer was a server error: the read back
                // finds the put's own item.
                assert!(result.is_ok(), "{operation}: {result:?}");
            }
            let stored = store.get(key()).await.unwrap().unwrap();
            let expected = if lands { new } else { toggle(seq - 1, true) };
            assert_eq!(
                stored, expected,
                "{operation}, failed before sending: {before_send}"
            );
        }
    });
}

/// Each request's operation and JSON body, in the order sent.
type Bodies = Arc<Mutex<Vec<(String, serde_json::Value)>>>;

/// Captures the body of every request the client sends.
#[derive(Debug, Default)]
struct CaptureBodies(Bodies);

impl Intercept for CaptureBodies {
    fn name(&self) -> &'static str {
        "CaptureBodies"
    }

    fn read_before_transmit(
        &self,
        context: &aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        let request = context.request();
        let target = request
            .headers()
            .get("x-amz-target")
            .unwrap_or_default()
            .rsplit('.')
            .next()
            .unwrap_or_default()
            .to_owned();
        let body =
            serde_json::from_slice(request.body().bytes().unwrap_or_default()).unwrap_or_default();
        self.0.lock().unwrap().push((target, body));
        Ok(())
    }
}

fn capturing(plain: &DynamoDbBackend) -> (DynamoDbBackend, Bodies) {
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let config = plain
        .client()
        .config()
        .to_builder()
        .interceptor(CaptureBodies(bodies.clone()))
        .build();
    let backend = DynamoDbBackend::new(&aws_sdk_dynamodb::Client::from_conf(config))
        .with_table_prefix(&plain.table_name(""))
        .unwrap();
    (backend, bodies)
}

/// `explain()` shows the request a query's page sends, `Limit` included, and
/// reads are strongly consistent unless asked otherwise.
#[test]
fn explain_shows_the_request_that_is_sent() {
    run(|plain| async move {
        let (backend, bodies) = capturing(&plain);
        let store = Store::from_backend(backend);
        store.create_table::<Dialogue>().await.unwrap();
        for name in ["a", "b", "c"] {
            store.put(&expert(name, 1)).await.unwrap();
        }
        let query = Expert::query("nvidia-dec")
            .name_ge("b")
            .reverse()
            .page_size(2);
        let first = store.query(query.clone()).page().await.unwrap();
        let second = query.clone().after(first.cursor.unwrap());
        let plan = store.query(second.clone()).explain().unwrap();
        bodies.lock().unwrap().clear();
        store.query(second).page().await.unwrap();
        let sent = bodies.lock().unwrap().clone();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].0, "Query");
        let shown: serde_json::Value = serde_json::from_str(&plan.dynamodb).unwrap();
        assert_eq!(shown, sent[0].1, "explain() is the request");
        assert_eq!(shown["Limit"], 2);
        assert_eq!(shown["ConsistentRead"], true);
        // Descending from the top: c, b on the first page.
        assert_eq!(shown["ExclusiveStartKey"]["sk"]["S"], "EXPERT#b");

        bodies.lock().unwrap().clear();
        store
            .query(Expert::query("nvidia-dec").eventually_consistent())
            .all()
            .await
            .unwrap();
        store
            .get(Expert::key("nvidia-dec", "a"))
            .eventually_consistent()
            .await
            .unwrap();
        store.get(Expert::key("nvidia-dec", "a")).await.unwrap();
        let consistent: Vec<(String, serde_json::Value)> = bodies
            .lock()
            .unwrap()
            .iter()
            .map(|(op, body)| (op.clone(), body["ConsistentRead"].clone()))
            .collect();
        assert_eq!(
            consistent,
            [
                ("Query".to_owned(), serde_json::json!(false)),
                ("GetItem".to_owned(), serde_json::json!(false)),
                ("GetItem".to_owned(), serde_json::json!(true)),
            ]
        );
    });
}

/// A count sends the query's own request with `Select = COUNT`, one per
/// page, so no item comes back over the wire.
#[test]
fn a_count_is_the_query_with_select_count() {
    run(|plain| async move {
        let (backend, bodies) = capturing(&plain);
        let store = Store::from_backend(backend.clone());
        store.create_table::<Dialogue>().await.unwrap();
        for name in ["a", "b", "c", "d", "e"] {
            store.put(&expert(name, 1)).await.unwrap();
        }
        let query = Expert::query("nvidia-dec").name_ge("b").page_size(2);
        bodies.lock().unwrap().clear();
        store.query(query.clone()).page().await.unwrap();
        let read = bodies.lock().unwrap().pop().unwrap().1;
        let sent = requests(&backend, async {
            assert_eq!(store.query(query.clone()).count().await.unwrap(), 4);
        })
        .await;
        // b c | d e | (empty): three pages.
        assert_eq!(sent, just("Query", 3));
        let counted = bodies.lock().unwrap()[0].1.clone();
        let mut expected = read;
        expected["Select"] = serde_json::json!("COUNT");
        assert_eq!(counted, expected);
    });
}

#[test]
fn bad_settings_are_errors_not_panics() {
    run(|plain| async move {
        for prefix in ["a b", "dev/", &"p".repeat(253)] {
            match plain.clone().with_table_prefix(prefix) {
                Err(Error::InvalidTableName { name }) => {
                    assert!(name.starts_with(&prefix[..1]), "{name}")
                }
                other => panic!("{prefix:?}: expected InvalidTableName, got {other:?}"),
            }
        }
        assert!(plain.clone().with_table_prefix(&"p".repeat(252)).is_ok());
    });
}

/// One table as two versions of a program see it: without indexes, and
/// with two.
mod twice {
    use blue_schema::{Entity, Table};
    use serde::{Deserialize, Serialize};

    #[derive(Table, Debug)]
    #[table(name = "blue_twice")]
    pub enum Plain {
        Item(Item),
    }

    #[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
    #[entity(table = Plain)]
    #[sk(prefix = "ITEM")]
    pub struct Item {
        #[pk]
        pub p: String,
        #[sk]
        pub id: u32,
        pub a: String,
        pub b: String,
    }

    #[derive(Table, Debug)]
    #[table(name = "blue_twice", indexes(gsi1, gsi2))]
    pub enum Indexed {
        Item(IndexedItem),
    }

    #[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
    #[entity(table = Indexed)]
    #[sk(prefix = "ITEM")]
    #[index(gsi1, name = by_a, pk(fields(a)))]
    #[index(gsi2, name = by_b, pk(fields(b)), project = keys_only)]
    pub struct IndexedItem {
        #[pk]
        pub p: String,
        #[sk]
        pub id: u32,
        pub a: String,
        pub b: String,
    }
}

#[test]
/// Indexes are added to a table that has data one `UpdateTable` at a time
/// (DynamoDB allows one index creation in flight), each waited for, then
/// the items get their keys; a second `create_table` changes nothing.
fn indexes_are_added_one_at_a_time_and_once() {
    run(|backend| async move {
        use twice::*;
        let store = Store::from_backend(backend.clone());
        store.create_table::<Plain>().await.unwrap();
        for id in 0..3 {
            let item = Item {
                p: "p".into(),
                id,
                a: "x".into(),
                b: format!("b{id}"),
            };
            store.put(&item).await.unwrap();
        }
        let added = requests(&backend, async {
            store.create_table::<Indexed>().await.unwrap();
        })
        .await;
        assert_eq!(added.get("UpdateTable"), Some(&2), "{added:?}");
        assert_eq!(added.get("CreateTable"), None, "{added:?}");
        // The reindex: one scan page, one update per item.
        assert_eq!(added.get("UpdateItem"), Some(&3), "{added:?}");
        let found = poll::settled(
            || async { store.query(IndexedItem::by_a("x")).all().await.unwrap() },
            |found| found.len() == 3,
        )
        .await;
        assert_eq!(found.len(), 3);
        let again = requests(&backend, async {
            store.create_table::<Indexed>().await.unwrap();
        })
        .await;
        assert_eq!(again.get("UpdateTable"), None, "{again:?}");
        assert_eq!(again.get("UpdateItem"), None, "{again:?}");
    });
}

/// A table with Time to Live on `expires_at`, and the same table as
/// another version of the program declares it, on `ttl`.
mod expiring {
    use blue_schema::{Entity, Table};

    #[derive(Table)]
    #[table(name = "blue_expiring", ttl = "expires_at")]
    pub enum Expiring {
        Lease(Lease),
    }

    #[derive(Entity, serde::Serialize, serde::Deserialize)]
    #[entity(table = Expiring)]
    #[sk(prefix = "LEASE")]
    pub struct Lease {
        #[pk]
        pub name: String,
        #[ttl]
        pub expires_at: u64,
    }

    #[derive(Table)]
    #[table(name = "blue_expiring", ttl = "ttl")]
    pub enum Renamed {
        Lease(Lease2),
    }

    #[derive(Entity, serde::Serialize, serde::Deserialize)]
    #[entity(table = Renamed)]
    #[sk(prefix = "LEASE")]
    pub struct Lease2 {
        #[pk]
        pub name: String,
        #[ttl]
        pub ttl: u64,
    }
}

#[test]
fn time_to_live_is_turned_on_once() {
    use expiring::{Expiring, Renamed};
    run(|backend| async move {
        let store = Store::from_backend(backend.clone());
        let first = requests(&backend, async {
            store.create_table::<Expiring>().await.unwrap()
        })
        .await;
        assert_eq!(first.get("UpdateTimeToLive"), Some(&1), "{first:?}");
        // AWS refuses a second `UpdateTimeToLive` within the hour: a
        // second create_table reads the state and sends none.
        let second = requests(&backend, async {
            store.create_table::<Expiring>().await.unwrap()
        })
        .await;
        assert_eq!(second.get("UpdateTimeToLive"), None, "{second:?}");
        assert_eq!(second.get("DescribeTimeToLive"), Some(&1), "{second:?}");

        let described = backend
            .client()
            .describe_time_to_live()
            .table_name(backend.table_name(Expiring::NAME))
            .send()
            .await
            .unwrap();
        let ttl = described.time_to_live_description().unwrap();
        assert_eq!(ttl.attribute_name(), Some("expires_at"));
        assert_eq!(
            ttl.time_to_live_status().map(|s| s.as_str()),
            Some("ENABLED")
        );

        // The same table, its TTL on another attribute: refused, naming both.
        match store.create_table::<Renamed>().await {
            Err(Error::TableMismatch { found, .. }) => {
                assert!(
                    found.contains("`expires_at`") && found.contains("`ttl`"),
                    "{found}"
                );
            }
            other => panic!("{other:?}"),
        }
    });
}

#[test]
fn every_table_definition_carries_the_time_to_live() {
    let schema = &<expiring::Expiring as Table>::SCHEMA;
    let cloudformation: serde_json::Value =
        serde_json::from_str(&blue_schema::docs::cloudformation_json(schema)).unwrap();
    assert_eq!(
        cloudformation["Resources"]["BlueExpiring"]["Properties"]["TimeToLiveSpecification"],
        serde_json::json!({ "AttributeName": "expires_at", "Enabled": true })
    );
    let terraform = blue_schema::docs::terraform_hcl(schema);
    assert!(
        terraform.contains(
            "  ttl {\n    attribute_name = \"expires_at\"\n    enabled        = true\n  }"
        ),
        "{terraform}"
    );
    let update: serde_json::Value =
        serde_json::from_str(&blue_schema::docs::dynamodb_ttl_json(schema).unwrap()).unwrap();
    assert_eq!(update["TableName"], "blue_expiring");
    assert_eq!(
        update["TimeToLiveSpecification"]["AttributeName"],
        "expires_at"
    );
    let markdown = blue_schema::docs::markdown(schema);
    assert!(markdown.contains("## Time to Live"), "{markdown}");
    assert!(markdown.contains("update-time-to-live"), "{markdown}");
    // A table without one has none.
    assert_eq!(
        blue_schema::docs::dynamodb_ttl_json(&Dialogue::SCHEMA),
        None
    );
    assert!(!blue_schema::docs::terraform_hcl(&Dialogue::SCHEMA).contains("ttl {"));
}

/// A `project(..)` pattern's index is `INCLUDE` of the union of its
/// patterns' attributes: the table DynamoDB holds says so, and its entries
/// hold those attributes and the keys, nothing else. An index created
/// with another projection is refused with both named.
#[test]
fn an_include_index_holds_only_the_projected_attributes() {
    use catalog::{book, Book, Catalog};
    run(|backend| async move {
        let store = Store::from_backend(backend.clone());
        store.create_table::<Catalog>().await.unwrap();
        let described = backend
            .client()
            .describe_table()
            .table_name(backend.table_name(Catalog::NAME))
            .send()
            .await
            .unwrap();
        let mut indexes: Vec<(String, String, Vec<String>)> = described
            .table()
            .unwrap()
            .global_secondary_indexes()
            .iter()
            .map(|g| {
                let p = g.projection().unwrap();
                let mut attributes = p.non_key_attributes().to_vec();
                attributes.sort();
                (
                    g.index_name().unwrap().to_owned(),
                    p.projection_type().unwrap().as_str().to_owned(),
                    attributes,
                )
            })
            .collect();
        indexes.sort();
        let strings = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            indexes,
            vec![
                (
                    "gsi1".to_owned(),
                    "INCLUDE".to_owned(),
                    strings(&["author", "curator", "label", "tags", "title", "year"])
                ),
                (
                    "gsi2".to_owned(),
                    "INCLUDE".to_owned(),
                    strings(&["genre", "pages"])
                ),
            ]
        );
        let mut b = book("s1", 7, "ann", 1999);
        b.blurb = "not in any index".into();
        store.put(&b).await.unwrap();
        let entries = poll::settled(
            || async {
                backend
                    .client()
                    .query()
                    .table_name(backend.table_name(Catalog::NAME))
                    .index_name("gsi1")
                    .key_condition_expression("gsi1pk = :p")
                    .expression_attribute_values(":p", AttributeValue::S("AUTHOR#ann".into()))
                    .send()
                    .await
                    .unwrap()
                    .items
                    .unwrap_or_default()
            },
            |items| items.len() == 1,
        )
        .await;
        let mut names: Vec<&str> = entries[0].keys().map(String::as_str).collect();
        names.sort_unstable();
        assert_eq!(
            names,
            ["author", "gsi1pk", "gsi1sk", "pk", "sk", "tags", "title", "year"]
        );
        let _ = Book::key("s1", "0007");
    });
}

#[test]
fn an_index_of_another_projection_is_refused() {
    use catalog::Catalog;
    run(|backend| async move {
        // The table as documented, but with every index projecting ALL.
        let json: serde_json::Value =
            serde_json::from_str(&blue_schema::docs::dynamodb_table_json(&Catalog::SCHEMA))
                .unwrap();
        let client = backend.client();
        let mut create = client
            .create_table()
            .table_name(backend.table_name(Catalog::NAME))
            .billing_mode(BillingMode::PayPerRequest);
        for a in json["AttributeDefinitions"].as_array().unwrap() {
            create = create.attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name(a["AttributeName"].as_str().unwrap())
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .unwrap(),
            );
        }
        let key = |name: &str, kind: KeyType| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(kind)
                .build()
                .unwrap()
        };
        create = create
            .key_schema(key("pk", KeyType::Hash))
            .key_schema(key("sk", KeyType::Range));
        for slot in ["gsi1", "gsi2"] {
            create = create.global_secondary_indexes(
                GlobalSecondaryIndex::builder()
                    .index_name(slot)
                    .key_schema(key(&format!("{slot}pk"), KeyType::Hash))
                    .key_schema(key(&format!("{slot}sk"), KeyType::Range))
                    .projection(
                        Projection::builder()
                            .projection_type(ProjectionType::All)
                            .build(),
                    )
                    .build()
                    .unwrap(),
            );
        }
        create.send().await.unwrap();
        let store = Store::from_backend(backend);
        let err = store.create_table::<Catalog>().await.unwrap_err();
        assert!(matches!(err, Error::TableMismatch { .. }), "{err:?}");
        let message = err.to_string();
        assert!(
            message.contains(
                "its index gsi1 holds ALL, the schema's access patterns need \
                 INCLUDE (author, curator, label, tags, title, year)"
            ),
            "{message}"
        );
    });
}

/// A multi-attribute index is keyed by the item's own attributes, typed
/// (`N` for numbers), with the table key as its last sort attributes;
/// the item holds no composed index key; and a raw query of it reads the
/// entries in the order the store's queries promise.
#[test]
fn a_multi_attribute_index_is_keyed_by_the_items_own_attributes() {
    use helpdesk::{ticket, Helpdesk};
    run(|backend| async move {
        let store = Store::from_backend(backend.clone());
        store.create_table::<Helpdesk>().await.unwrap();
        let table = backend
            .client()
            .describe_table()
            .table_name(backend.table_name(Helpdesk::NAME))
            .send()
            .await
            .unwrap()
            .table
            .unwrap();
        let gsi1 = table
            .global_secondary_indexes()
            .iter()
            .find(|g| g.index_name() == Some("gsi1"))
            .unwrap();
        let key: Vec<(String, String)> = gsi1
            .key_schema()
            .iter()
            .map(|k| {
                (
                    k.attribute_name().to_owned(),
                    k.key_type().as_str().to_owned(),
                )
            })
            .collect();
        let pairs = |v: &[(&str, &str)]| {
            v.iter()
                .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            key,
            pairs(&[
                ("queue", "HASH"),
                ("priority", "RANGE"),
                ("openedAt", "RANGE"),
                ("pk", "RANGE"),
                ("sk", "RANGE"),
            ])
        );
        let mut types: Vec<(String, String)> = table
            .attribute_definitions()
            .iter()
            .map(|a| {
                (
                    a.attribute_name().to_owned(),
                    a.attribute_type().as_str().to_owned(),
                )
            })
            .collect();
        types.sort();
        assert_eq!(
            types,
            pairs(&[
                ("assignee", "S"),
                ("openedAt", "N"),
                ("pk", "S"),
                ("priority", "N"),
                ("queue", "S"),
                ("site", "N"),
                ("sk", "S"),
                ("team", "S"),
            ])
        );
        store.put(&ticket("c1", 1, "web", 10, 5)).await.unwrap();
        store.put(&ticket("c1", 2, "web", 9, 5)).await.unwrap();
        let stored = backend
            .client()
            .get_item()
            .table_name(backend.table_name(Helpdesk::NAME))
            .key("pk", AttributeValue::S("c1".into()))
            .key("sk", AttributeValue::S("TICKET#0000000001".into()))
            .send()
            .await
            .unwrap()
            .item
            .unwrap();
        assert_eq!(
            stored.get("priority"),
            Some(&AttributeValue::N("10".into()))
        );
        assert!(!stored.keys().any(|k| k.starts_with("gsi")), "{stored:?}");
        // 9 before 10: numbers, as the store's queries read them.
        let entries = poll::settled(
            || async {
                backend
                    .client()
                    .query()
                    .table_name(backend.table_name(Helpdesk::NAME))
                    .index_name("gsi1")
                    .key_condition_expression("queue = :q AND priority >= :p")
                    .expression_attribute_values(":q", AttributeValue::S("web".into()))
                    .expression_attribute_values(":p", AttributeValue::N("9".into()))
                    .send()
                    .await
                    .unwrap()
                    .items
                    .unwrap_or_default()
            },
            |items| items.len() == 2,
        )
        .await;
        let sks: Vec<&AttributeValue> = entries.iter().map(|e| &e["sk"]).collect();
        assert_eq!(
            sks,
            [
                &AttributeValue::S("TICKET#0000000002".into()),
                &AttributeValue::S("TICKET#0000000001".into())
            ]
        );
    });
}

/// A same-named index keyed by `gsi1pk` and `gsi1sk` where the schema
/// wants a multi-attribute key is refused, naming both keys.
#[test]
fn an_index_of_another_key_is_refused() {
    use helpdesk::Helpdesk;
    run(|backend| async move {
        let client = backend.client();
        let key = |name: &str, kind: KeyType| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(kind)
                .build()
                .unwrap()
        };
        let string = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap()
        };
        let mut create = client
            .create_table()
            .table_name(backend.table_name(Helpdesk::NAME))
            .billing_mode(BillingMode::PayPerRequest)
            .key_schema(key("pk", KeyType::Hash))
            .key_schema(key("sk", KeyType::Range));
        for name in ["pk", "sk", "gsi1pk", "gsi1sk"] {
            create = create.attribute_definitions(string(name));
        }
        create = create.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("gsi1")
                .key_schema(key("gsi1pk", KeyType::Hash))
                .key_schema(key("gsi1sk", KeyType::Range))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()
                .unwrap(),
        );
        create.send().await.unwrap();
        let store = Store::from_backend(backend);
        let err = store.create_table::<Helpdesk>().await.unwrap_err();
        assert!(matches!(err, Error::TableMismatch { .. }), "{err:?}");
        let message = err.to_string();
        assert!(
            message.contains(
                "its index gsi1 is keyed by gsi1pk (HASH), gsi1sk (RANGE), the schema's access \
                 patterns need queue (HASH), priority (RANGE), openedAt (RANGE), pk (RANGE), sk (RANGE)"
            ),
            "{message}"
        );
    });
}

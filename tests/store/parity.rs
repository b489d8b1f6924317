//! The same operations on SQLite and on DynamoDB, compared with each other
//! (the rest of the suite compares each backend with the reference).

use blue_schema::query::QueryError;
use blue_schema::StoredItem;
use blue_schema::{Cursor, Error, FromItem, Query, Store};
use blue_schema_examples::dialogue::*;
use serde::Serialize;
use serde_json::Value;

use crate::crud::expert;
use crate::entities::{Probe, Sized};
use crate::random::{event_query, expert_query, fill, perspective_query, Rng};

/// JSON with every number as an f64: SQLite keeps `2.0` where DynamoDB's
/// number is `2`, the same value.
pub fn numbers_as_f64(v: Value) -> Value {
    match v {
        Value::Number(n) => serde_json::json!(n.as_f64()),
        Value::Array(a) => Value::Array(a.into_iter().map(numbers_as_f64).collect()),
        Value::Object(o) => {
            Value::Object(o.into_iter().map(|(k, v)| (k, numbers_as_f64(v))).collect())
        }
        v => v,
    }
}

/// A stored item's keys and attributes, numbers as f64.
fn normalized(item: &StoredItem) -> (String, String, Value) {
    (
        item.partition_key.clone(),
        item.sort_key.clone(),
        numbers_as_f64(item.attributes.clone()),
    )
}

/// Every page of `query` at `limit`, as JSON, with the cursors.
async fn pages<R>(store: &Store, query: &Query<R>, limit: u32) -> Vec<(Vec<Value>, Option<Cursor>)>
where
    R: FromItem + Serialize + Send + 'static,
{
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let mut q = query.clone().page_size(limit);
        if let Some(c) = cursor.take() {
            q = q.after(c);
        }
        let page = store.query(q).page().await.unwrap();
        let items = page
            .items
            .iter()
            .map(|i| serde_json::to_value(i).unwrap())
            .collect();
        out.push((items, page.cursor.clone()));
        match page.cursor {
            Some(c) => cursor = Some(c),
            None => return out,
        }
    }
}

/// Pages on both backends: the same items on each page, the same cursors,
/// and each backend resumes the other's cursors where it would its own.
pub(crate) async fn same_pages<R>(
    sqlite: &Store,
    dynamo: &Store,
    query: Query<R>,
    limit: u32,
    case: u64,
) where
    R: FromItem + Serialize + Send + 'static,
{
    let on_sqlite = pages(sqlite, &query, limit).await;
    let on_dynamo = pages(dynamo, &query, limit).await;
    assert_eq!(on_sqlite, on_dynamo, "case {case}: {}", query.spec());
    for (i, (_, cursor)) in on_sqlite.iter().enumerate() {
        let Some(cursor) = cursor else { continue };
        let next = query.clone().page_size(limit).after(cursor.clone());
        let resumed = dynamo.query(next).page().await.unwrap();
        let items: Vec<Value> = resumed
            .items
            .iter()
            .map(|i| serde_json::to_value(i).unwrap())
            .collect();
        assert_eq!(
            items,
            on_sqlite[i + 1].0,
            "case {case}: a SQLite cursor on DynamoDB"
        );
    }
}

pub async fn same_queries_same_pages(sqlite: Store, dynamo: Store) {
    for store in [&sqlite, &dynamo] {
        store.create_table::<Dialogue>().await.unwrap();
    }
    // The same random data on each (same seed).
    for store in [&sqlite, &dynamo] {
        let mut rng = Rng(0xB1E5_C0DE);
        fill(store, &mut rng, "d").await;
    }
    let mut rng = Rng(0x9A41_7E57);
    for case in 0..60 {
        let limit = rng.below(5) as u32 + 1;
        let reverse = rng.below(2) == 0;
        macro_rules! compare {
            ($query:expr) => {{
                let q = $query;
                let q = if reverse { q.reverse() } else { q };
                same_pages(&sqlite, &dynamo, q, limit, case).await
            }};
        }
        match rng.below(3) {
            0 => compare!(expert_query(&mut rng, "d")),
            1 => compare!(perspective_query(&mut rng, "d")),
            _ => compare!(event_query(&mut rng, "d")),
        }
    }
}

pub async fn stored_items_hold_the_same_attributes(sqlite: Store, dynamo: Store) {
    for store in [&sqlite, &dynamo] {
        store.create_table::<Dialogue>().await.unwrap();
        crate::queries::load(store, "nvidia-dec").await;
    }
    let on_sqlite = sqlite
        .query(Dialogue::partition("nvidia-dec"))
        .raw()
        .await
        .unwrap();
    let on_dynamo = dynamo
        .query(Dialogue::partition("nvidia-dec"))
        .raw()
        .await
        .unwrap();
    assert!(!on_sqlite.is_empty());
    let a: Vec<_> = on_sqlite.iter().map(normalized).collect();
    let b: Vec<_> = on_dynamo.iter().map(normalized).collect();
    assert_eq!(a, b);
    for item in on_sqlite.iter().chain(&on_dynamo) {
        assert_eq!(item.created_at.len(), 24, "{}", item.created_at);
    }
}

/// The errors of the same bad operations, compared as text and variant.
pub async fn same_errors(sqlite: Store, dynamo: Store) {
    async fn errors(store: &Store) -> Vec<String> {
        let mut out = Vec::new();
        let mut record = |r: Result<(), Error>| {
            out.push(format!("{:?}", r.map_err(|e| (e.to_string(), variant(&e)))))
        };
        record(store.put(&expert("d", "m", 1)).await);
        record(store.get(Expert::key("d", "m")).await.map(drop));
        store.create_table::<Dialogue>().await.unwrap();
        store.create_table::<Probe>().await.unwrap();
        record(store.create(&expert("d", "m", 1)).await);
        record(store.create(&expert("d", "m", 2)).await);
        record(
            store
                .put_all([&expert("d", "x", 1), &expert("d", "x", 2)])
                .await,
        );
        record(store.put(&expert("", "m", 1)).await);
        record(
            store
                .put(&Sized {
                    id: "s".into(),
                    n: 1,
                    payload: "x".repeat(500_000),
                })
                .await,
        );
        record(
            store
                .query(Expert::query("d").page_size(0))
                .all()
                .await
                .map(drop),
        );
        record(store.put(&expert("d", "n", 1)).await);
        let bad_cursor = match store
            .query(Expert::query("d").page_size(1))
            .page()
            .await
            .unwrap()
            .cursor
        {
            Some(c) => c,
            None => panic!("two experts, one per page"),
        };
        let wrong = store
            .query(Perspective::query("d").after(bad_cursor))
            .page()
            .await;
        record(wrong.map(drop).map_err(|e| {
            assert!(matches!(e, Error::Query(QueryError::Cursor(_))), "{e:?}");
            e
        }));
        out
    }
    fn variant(e: &Error) -> &'static str {
        match e {
            Error::AlreadyExists { .. } => "AlreadyExists",
            Error::Limit(_) => "Limit",
            Error::Query(_) => "Query",
            Error::DuplicateKey { .. } => "DuplicateKey",
            Error::TableNotFound { .. } => "TableNotFound",
            _ => "other",
        }
    }
    let a = errors(&sqlite).await;
    let b = errors(&dynamo).await;
    assert_eq!(a, b);
    assert!(
        a.iter().filter(|e| e.starts_with("Err")).count() >= 8,
        "{a:#?}"
    );
}

/// Stores that share a cursor key accept each other's signed cursors, across
/// backends, and resume at the same item.
pub async fn signed_cursors_cross_backends(sqlite: Store, dynamo: Store) {
    let key = || blue_schema::query::CursorKey::new(b"one key for every store of the service");
    let (sqlite, dynamo) = (sqlite.with_cursor_key(key()), dynamo.with_cursor_key(key()));
    for store in [&sqlite, &dynamo] {
        store.create_table::<Dialogue>().await.unwrap();
        crate::queries::load(store, "d").await;
    }
    let q = || Perspective::query("d").round_ge(1).page_size(4);
    let first = sqlite.query(q()).page().await.unwrap();
    let cursor = first.cursor.unwrap();
    let on_sqlite = sqlite
        .query(q().after(cursor.clone()))
        .page()
        .await
        .unwrap();
    let on_dynamo = dynamo.query(q().after(cursor)).page().await.unwrap();
    assert_eq!(on_sqlite.items, on_dynamo.items);
    assert_eq!(on_sqlite.cursor, on_dynamo.cursor);
    assert_eq!(on_sqlite.items.len(), 4);
}

/// The one known difference in what reads return: a number DynamoDB stores
/// is only digits, so a float with no fraction read back through
/// `deserialize_any` (a `serde_json::Value` field, `raw()`) is the integer
/// on DynamoDB and the float on SQLite. Typed fields read back equal.
pub async fn whole_floats_read_back_by_type_only(sqlite: Store, dynamo: Store) {
    use crate::entities::{Measure, Nested};
    let nested = Nested {
        id: "f".into(),
        n: 1,
        tree: serde_json::json!({"whole": 2.0, "half": 2.5}),
    };
    let measure = Measure {
        id: "f".into(),
        n: 1,
        float: 2.0,
        wide: 2,
        signed: -2,
    };
    let mut read = Vec::new();
    for store in [&sqlite, &dynamo] {
        store.create_table::<Probe>().await.unwrap();
        store.put(&nested).await.unwrap();
        store.put(&measure).await.unwrap();
        let typed = store.get(Measure::key("f", 1)).await.unwrap();
        assert_eq!(typed.as_ref(), Some(&measure), "{}", store.backend_name());
        let tree = store.get(Nested::key("f", 1)).await.unwrap().unwrap().tree;
        read.push(tree);
    }
    assert_eq!(read[0], serde_json::json!({"whole": 2.0, "half": 2.5}));
    assert_eq!(read[1], serde_json::json!({"whole": 2, "half": 2.5}));
    assert_ne!(read[0], read[1]);
    assert_eq!(
        numbers_as_f64(read[0].clone()),
        numbers_as_f64(read[1].clone())
    );
}

/// Index queries across partitions, with ties on the index fields, ranges,
/// filters, both orders and every page size: the same pages, cursors and
/// order on both backends (an index sort key ends with the table key, so
/// ties have one order everywhere).
pub async fn same_index_pages(sqlite: Store, dynamo: Store) {
    for store in [&sqlite, &dynamo] {
        store.create_table::<Dialogue>().await.unwrap();
        let mut rng = Rng(0x1DE7_5EED);
        for i in 0..60 {
            let e = Expert {
                dialogue_id: format!("d{}", rng.below(4)),
                name: format!("e{i:02}"),
                role: ["a", "b"][rng.below(2) as usize].into(),
                tier: rng.below(3) as u8,
                score: rng.below(100) as i32,
            };
            store.put(&e).await.unwrap();
        }
    }
    // DynamoDB's index may lag the writes: wait until it holds them all.
    for store in [&sqlite, &dynamo] {
        let settled = crate::support::eventually(|| async {
            let a = store.query(Expert::by_role("a")).all().await.unwrap().len();
            let b = store.query(Expert::by_role("b")).all().await.unwrap().len();
            (a + b == 60).then_some(())
        })
        .await;
        assert!(settled.is_some(), "the index holds every expert");
    }
    let mut rng = Rng(0x7A6E_5A6E);
    for case in 0..60 {
        let limit = rng.below(5) as u32 + 1;
        let role = ["a", "b"][rng.below(2) as usize];
        let q = Expert::by_role(role);
        let tier = rng.below(3) as u8;
        let q: Query<Expert> = match rng.below(4) {
            0 => q.into(),
            1 => q.tier(tier).into(),
            2 => q.tier_ge(tier),
            _ => q.tier_lt(tier),
        };
        let q = if rng.below(2) == 0 { q.reverse() } else { q };
        let q = if rng.below(2) == 0 {
            q.filter(Expert::attr().score.ge(rng.below(100) as i32))
        } else {
            q
        };
        // Each read of DynamoDB's index may lag (AWS serves it from
        // replicas): wait for one that agrees before comparing in detail.
        let _ = crate::support::eventually(|| async {
            (pages(&dynamo, &q, limit).await == pages(&sqlite, &q, limit).await).then_some(())
        })
        .await;
        same_pages(&sqlite, &dynamo, q, limit, case).await;
    }
}

//! Every access pattern of the dialogue domain, against the reference
//! semantics (`QuerySpec::selects`, byte order of sort keys).

use blue_schema::limits::LimitError;
use blue_schema::query::{CursorError, Order, QueryError};
use blue_schema::{Entity, Error, FromItem, IntoQuery, Query, Store, Table};
use blue_schema_examples::dialogue::*;
use serde::Serialize;

/// Items of two dialogues, with the names that trip naive prefix matching
/// (`muf`/`muffin`), delimiter and escape characters, and numbers whose
/// decimal text sorts differently from their value.
pub fn dialogue(d: &str) -> Vec<Dialogue> {
    let mut items = vec![Dialogue::Meta(DialogueMeta {
        dialogue_id: d.into(),
        title: format!("dialogue {d}"),
        status: Status::Open,
    })];
    let names = ["muf", "muffin", "mu", "a#b", "z%1", "ü", "", "muf$"];
    for (i, name) in names.iter().enumerate() {
        items.push(Dialogue::Expert(Expert {
            dialogue_id: d.into(),
            name: (*name).into(),
            role: format!("role {i}"),
            tier: (i % 3) as u8 + 1,
            score: i as i32 * 7 - 20,
        }));
    }
    for round in [0u32, 1, 2, 10] {
        for expert in ["muf", "muffin", "a#b"] {
            for seq in [1u32, 2, 10] {
                items.push(Dialogue::Perspective(Perspective {
                    dialogue_id: d.into(),
                    round,
                    expert: expert.into(),
                    seq,
                    label: format!("{round}/{expert}/{seq}"),
                    content: "…".into(),
                    status: Status::Converging,
                }));
            }
        }
    }
    for t in ["T01", "T02", "T1"] {
        items.push(Dialogue::Tension(Tension {
            dialogue_id: d.into(),
            tension_id: t.into(),
            description: format!("tension {t}"),
            status: Status::Open,
        }));
        for at in [9u64, 10, 1_706_900_000, 1_706_918_400, u64::MAX] {
            items.push(Dialogue::TensionEvent(TensionEvent {
                dialogue_id: d.into(),
                tension_id: t.into(),
                at,
                event_type: "raised".into(),
                actor: "muffin".into(),
                reason: format!("{t}@{at}"),
            }));
        }
    }
    items
}

/// Writes the items of a dialogue and returns them as (pk, sk, JSON) rows.
pub async fn load(store: &Store, d: &str) -> Vec<Row> {
    let mut rows = Vec::new();
    for item in dialogue(d) {
        rows.push(match item {
            Dialogue::Meta(v) => put(store, v).await,
            Dialogue::Expert(v) => put(store, v).await,
            Dialogue::Perspective(v) => put(store, v).await,
            Dialogue::Tension(v) => put(store, v).await,
            Dialogue::TensionEvent(v) => put(store, v).await,
        });
    }
    rows
}

/// One stored item of the reference model.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub pk: String,
    pub sk: String,
    pub json: serde_json::Value,
}

async fn put<E: Entity>(store: &Store, item: E) -> Row {
    store.put(&item).await.unwrap();
    let (pk, sk) = item.key().into_parts();
    Row {
        pk,
        sk,
        json: serde_json::to_value(&item).unwrap(),
    }
}

/// What a query must return: its partition's rows it selects, by sort key
/// (bytes), reversed for a descending query.
pub fn reference<'a>(rows: &'a [Row], query: &blue_schema::query::QuerySpec) -> Vec<&'a Row> {
    let mut hits: Vec<&Row> = rows
        .iter()
        .filter(|r| r.pk == query.partition_key && query.selects(&r.sk))
        .collect();
    hits.sort_by(|a, b| a.sk.as_bytes().cmp(b.sk.as_bytes()));
    if query.order == Order::Descending {
        hits.reverse();
    }
    hits
}

/// Runs a query with `all()` and compares keys and items with the reference.
pub async fn check<R>(store: &Store, rows: &[Row], query: impl IntoQuery<Item = R>) -> usize
where
    R: FromItem + Serialize + Send + 'static,
{
    let query: Query<R> = query.into_query();
    let expected = reference(rows, query.spec());
    let stored = store.query(query.clone()).raw().await.unwrap();
    let keys: Vec<(&str, &str)> = stored
        .iter()
        .map(|s| (s.partition_key.as_str(), s.sort_key.as_str()))
        .collect();
    let expected_keys: Vec<(&str, &str)> = expected
        .iter()
        .map(|r| (r.pk.as_str(), r.sk.as_str()))
        .collect();
    assert_eq!(keys, expected_keys, "{}", query.spec());

    let items = store.query(query.clone()).all().await.unwrap();
    let json: Vec<serde_json::Value> = items
        .iter()
        .map(|i| serde_json::to_value(i).unwrap())
        .collect();
    let expected_json: Vec<serde_json::Value> = expected.iter().map(|r| r.json.clone()).collect();
    assert_eq!(json, expected_json, "{}", query.spec());
    expected.len()
}

pub async fn every_access_pattern_matches_the_reference(store: Store) {
    store.create_table::<Dialogue>().await.unwrap();
    let mut rows = load(&store, "nvidia-dec").await;
    rows.extend(load(&store, "nvidia-de").await);
    let d = "nvidia-dec";

    // Experts: exact names never match longer ones; ranges stay in EXPERT.
    assert_eq!(check(&store, &rows, Expert::query(d)).await, 8);
    assert_eq!(check(&store, &rows, Expert::query(d).name("muf")).await, 1);
    assert_eq!(check(&store, &rows, Expert::query(d).name("")).await, 1);
    assert_eq!(
        check(&store, &rows, Expert::query(d).name("muf").reverse()).await,
        1
    );
    assert_eq!(
        check(&store, &rows, Expert::query(d).name("nobody")).await,
        0
    );
    assert_eq!(
        check(&store, &rows, Expert::query(d).name_starts_with("muf")).await,
        3
    );
    assert_eq!(
        check(&store, &rows, Expert::query(d).name_starts_with("")).await,
        8
    );
    assert_eq!(
        check(&store, &rows, Expert::query(d).name_lt("muffin")).await,
        5
    );
    assert_eq!(
        check(&store, &rows, Expert::query(d).name_le("muffin")).await,
        6
    );
    assert_eq!(
        check(&store, &rows, Expert::query(d).name_gt("muf")).await,
        4
    );
    assert_eq!(
        check(&store, &rows, Expert::query(d).name_ge("muf").reverse()).await,
        5
    );
    assert_eq!(
        check(&store, &rows, Expert::query(d).name_between("a", "muf")).await,
        3
    );

    // Perspectives: numbers sort by value (10 after 2), at every depth.
    assert_eq!(check(&store, &rows, Perspective::query(d)).await, 36);
    assert_eq!(
        check(&store, &rows, Perspective::query(d).reverse()).await,
        36
    );
    assert_eq!(
        check(&store, &rows, Perspective::query(d).round(0)).await,
        9
    );
    assert_eq!(
        check(&store, &rows, Perspective::query(d).round(3)).await,
        0
    );
    let muffin0 = || Perspective::query(d).round(0).expert("muffin");
    assert_eq!(check(&store, &rows, muffin0()).await, 3);
    assert_eq!(check(&store, &rows, muffin0().reverse()).await, 3);
    assert_eq!(check(&store, &rows, muffin0().seq(2)).await, 1);
    assert_eq!(check(&store, &rows, muffin0().seq_gt(1)).await, 2);
    assert_eq!(check(&store, &rows, muffin0().seq_lt(10)).await, 2);
    assert_eq!(check(&store, &rows, muffin0().seq_between(2, 10)).await, 2);
    assert_eq!(
        check(&store, &rows, Perspective::query(d).round_ge(2)).await,
        18
    );
    assert_eq!(
        check(&store, &rows, Perspective::query(d).round_gt(2)).await,
        9
    );
    assert_eq!(
        check(&store, &rows, Perspective::query(d).round_lt(2)).await,
        18
    );
    assert_eq!(
        check(&store, &rows, Perspective::query(d).round_le(2).reverse()).await,
        27
    );
    assert_eq!(
        check(&store, &rows, Perspective::query(d).round_between(1, 2)).await,
        18
    );
    let round1 = || Perspective::query(d).round(1);
    assert_eq!(
        check(&store, &rows, round1().expert_starts_with("mu")).await,
        6
    );
    assert_eq!(check(&store, &rows, round1().expert_lt("muf")).await, 3);
    assert_eq!(
        check(&store, &rows, round1().expert_ge("muf").reverse()).await,
        6
    );

    // Tensions and their events: TENSION never matches TEVENT.
    assert_eq!(check(&store, &rows, Tension::query(d)).await, 3);
    assert_eq!(
        check(&store, &rows, Tension::query(d).tension_id("T01")).await,
        1
    );
    let t01 = || TensionEvent::query(d).tension_id("T01");
    assert_eq!(check(&store, &rows, TensionEvent::query(d)).await, 15);
    assert_eq!(check(&store, &rows, t01()).await, 5);
    assert_eq!(check(&store, &rows, t01().at_lt(1_706_918_400u64)).await, 3);
    assert_eq!(check(&store, &rows, t01().at_ge(10u64).reverse()).await, 4);
    assert_eq!(
        check(&store, &rows, t01().at_between(10u64, 1_706_918_400u64)).await,
        3
    );
    assert_eq!(check(&store, &rows, t01().at(u64::MAX)).await, 1);
    assert_eq!(
        check(
            &store,
            &rows,
            TensionEvent::query(d).tension_id_starts_with("T0")
        )
        .await,
        10
    );

    // The other dialogue's partition ("nvidia-de") is never read.
    assert_eq!(check(&store, &rows, Expert::query("nvidia-de")).await, 8);
    assert_eq!(check(&store, &rows, Expert::query("nvidia")).await, 0);
}

pub async fn whole_partition_yields_table_values(store: Store) {
    store.create_table::<Dialogue>().await.unwrap();
    let rows = load(&store, "nvidia-dec").await;
    load(&store, "other").await;

    for reverse in [false, true] {
        let query = if reverse {
            Dialogue::partition("nvidia-dec").reverse()
        } else {
            Dialogue::partition("nvidia-dec")
        };
        let expected = reference(&rows, query.spec());
        let items: Vec<Dialogue> = store.query(query).all().await.unwrap();
        assert_eq!(items.len(), expected.len());
        assert_eq!(items.len(), dialogue("nvidia-dec").len());
        for (item, row) in items.iter().zip(&expected) {
            let (sk, json) = match item {
                Dialogue::Meta(v) => (v.key().sort_key().to_owned(), serde_json::to_value(v)),
                Dialogue::Expert(v) => (v.key().sort_key().to_owned(), serde_json::to_value(v)),
                Dialogue::Perspective(v) => {
                    (v.key().sort_key().to_owned(), serde_json::to_value(v))
                }
                Dialogue::Tension(v) => (v.key().sort_key().to_owned(), serde_json::to_value(v)),
                Dialogue::TensionEvent(v) => {
                    (v.key().sort_key().to_owned(), serde_json::to_value(v))
                }
            };
            assert_eq!(sk, row.sk);
            assert_eq!(json.unwrap(), row.json);
        }
    }
    assert_eq!(Dialogue::NAME, "blue_dialogue");
}

pub async fn invalid_queries_are_rejected(store: Store) {
    store.create_table::<Dialogue>().await.unwrap();
    let err = store
        .query(Expert::query("d").page_size(0))
        .page()
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Query(QueryError::ZeroPageSize)),
        "{err:?}"
    );
    assert_eq!(err.to_string(), "a query's page size must be at least 1");

    // One cause, one error: an empty partition key is the same limit error
    // whether a query, a read or a write meets it.
    let empty = [
        store.query(Expert::query("")).all().await.map(drop),
        store.get(Expert::key("", "m")).await.map(drop),
        store.delete(Expert::key("", "m")).await,
        store.put(&crate::crud::expert("", "m", 1)).await,
    ];
    for err in empty {
        match err {
            Err(Error::Limit(LimitError::EmptyPartitionKey)) => {}
            other => panic!("expected EmptyPartitionKey, got {other:?}"),
        }
    }
    let long = "x".repeat(2049);
    let err = store
        .query(Dialogue::partition(long.as_str()))
        .all()
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Limit(LimitError::PartitionKeyTooLong { bytes: 2049 })
        ),
        "{err:?}"
    );
    let err = store
        .query(Expert::query("d").name("n".repeat(1100).as_str()))
        .all()
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Limit(LimitError::SortKeyTooLong { bytes: 1107 })
        ),
        "{err:?}"
    );
    let garbage: blue_schema::Cursor = "A".repeat(40).parse().unwrap();
    let err = store
        .query(Expert::query("d").after(garbage))
        .page()
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Query(QueryError::Cursor(CursorError::Malformed))
        ),
        "{err:?}"
    );
}

/// Ranges on an enum key part follow the order the enum is declared in, which
/// is not the order of its names (`high` < `low` < `medium`).
pub async fn enum_ranges_follow_declaration_order(store: Store) {
    use crate::entities::{Priority, Probe, Task};
    store.create_table::<Probe>().await.unwrap();
    let mut tasks = Vec::new();
    for priority in [Priority::High, Priority::Low, Priority::Medium] {
        for n in 0..2 {
            let task = Task {
                id: "t".into(),
                priority,
                n,
            };
            store.put(&task).await.unwrap();
            tasks.push(task);
        }
    }
    tasks.sort_by_key(|t| (t.priority, t.n));
    let at = |p: &[Priority]| -> Vec<Task> {
        tasks
            .iter()
            .filter(|t| p.contains(&t.priority))
            .cloned()
            .collect()
    };
    let read = |q: Query<Task>| {
        let store = store.clone();
        async move { store.query(q).all().await.unwrap() }
    };
    assert_eq!(read(Task::query("t").into_query()).await, tasks);
    assert_eq!(
        read(Task::query("t").priority_ge(Priority::Medium)).await,
        at(&[Priority::Medium, Priority::High])
    );
    assert_eq!(
        read(Task::query("t").priority_gt(Priority::Low)).await,
        at(&[Priority::Medium, Priority::High])
    );
    assert_eq!(
        read(Task::query("t").priority_lt(Priority::High)).await,
        at(&[Priority::Low, Priority::Medium])
    );
    assert_eq!(
        read(Task::query("t").priority_le(Priority::Low)).await,
        at(&[Priority::Low])
    );
    assert_eq!(
        read(Task::query("t").priority_between(Priority::Low, Priority::Medium)).await,
        at(&[Priority::Low, Priority::Medium])
    );
    let mut descending = at(&[Priority::Medium, Priority::High]);
    descending.reverse();
    assert_eq!(
        read(Task::query("t").reverse().priority_ge(Priority::Medium)).await,
        descending
    );
    assert_eq!(
        Task::key("t", Priority::High, 1u32).sort_key(),
        "TASK#02-high#0000000001"
    );
}

/// Every range method reaches a key of the full 1 024 bytes: the bound of a
/// range is never longer than a storable key.
pub async fn ranges_reach_keys_of_the_full_length(store: Store) {
    use crate::entities::{Named, Probe};
    store.create_table::<Probe>().await.unwrap();
    // `NAMED#` and 1 018 bytes: a sort key of exactly 1 024 bytes.
    let long = format!("m{}", "x".repeat(1017));
    assert_eq!(Named::key("n", long.as_str()).sort_key().len(), 1024);
    let names = ["a", "m", long.as_str(), "mz", "z"];
    for name in names {
        store
            .put(&Named {
                id: "n".into(),
                name: name.into(),
            })
            .await
            .unwrap();
    }
    let read = |q: Query<Named>| {
        let store = store.clone();
        async move {
            let items = store.query(q).all().await.unwrap();
            items.into_iter().map(|n| n.name).collect::<Vec<_>>()
        }
    };
    let q = || Named::query("n");
    let l = long.as_str();
    assert_eq!(read(q().name_le(l)).await, ["a", "m", l]);
    assert_eq!(read(q().name_lt(l)).await, ["a", "m"]);
    assert_eq!(read(q().name_ge(l)).await, [l, "mz", "z"]);
    assert_eq!(read(q().name_gt(l)).await, ["mz", "z"]);
    assert_eq!(read(q().name_between("a", l)).await, ["a", "m", l]);
    assert_eq!(read(q().name_between(l, "z")).await, [l, "mz", "z"]);
    assert_eq!(read(q().name(l).into_query()).await, [l]);
}

/// Eventually consistent reads find an item once it has settled. (On
/// DynamoDB they may miss the last second's writes, so the test polls; the
/// request sent is checked in `tests/dynamodb_backend.rs`.)
pub async fn eventually_consistent_reads_find_settled_items(store: Store) {
    store.create_table::<Dialogue>().await.unwrap();
    let muffin = crate::crud::expert("d", "muffin", 1);
    store.put(&muffin).await.unwrap();
    let found = crate::support::eventually(|| async {
        store
            .get(Expert::key("d", "muffin"))
            .eventually_consistent()
            .await
            .unwrap()
    })
    .await;
    assert_eq!(found, Some(muffin.clone()));
    let all = crate::support::eventually(|| async {
        let all = store
            .query(Expert::query("d").eventually_consistent())
            .all()
            .await
            .unwrap();
        (!all.is_empty()).then_some(all)
    })
    .await;
    assert_eq!(all, Some(vec![muffin]));
}

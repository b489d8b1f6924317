//! Copying a table between stores (`blue_schema::migrate`): from SQLite into
//! the backend under test, and back out of it.

use blue_schema::migrate::copy_table;
use blue_schema::StoredItem;
use blue_schema::{Error, Store};
use blue_schema_examples::dialogue::*;
use serde_json::Value;

use crate::crud::expert;
use crate::parity::numbers_as_f64;
use crate::queries::load;

/// Every stored item of the dialogues `a` and `b`, as (pk, sk, created_at,
/// updated_at, attributes with numbers as f64).
async fn contents(store: &Store) -> Vec<(String, String, String, String, Value)> {
    let mut out = Vec::new();
    for d in ["a", "b"] {
        let items: Vec<StoredItem> = store.query(Dialogue::partition(d)).raw().await.unwrap();
        out.extend(items.into_iter().map(|i| {
            let json = numbers_as_f64(i.attributes);
            (
                i.partition_key,
                i.sort_key,
                i.created_at,
                i.updated_at,
                json,
            )
        }));
    }
    out
}

pub async fn copy_table_moves_everything_and_verifies(store: Store) {
    let source = Store::sqlite_memory().unwrap();
    source.create_table::<Dialogue>().await.unwrap();
    let n = load(&source, "a").await.len() + load(&source, "b").await.len();

    // The copy creates the table, keeps every attribute, created_at and
    // updated_at.
    let report = copy_table::<Dialogue>(&source, &store).await.unwrap();
    assert_eq!(report.copied as usize, n);
    assert_eq!(report.batches as usize, n.div_ceil(25));
    assert_eq!(report.target_items as usize, n);
    let copied = contents(&store).await;
    assert_eq!(copied.len(), n);
    assert_eq!(copied, contents(&source).await);

    // Typed reads work on the copy.
    assert_eq!(
        store.query(Expert::query("a")).all().await.unwrap(),
        source.query(Expert::query("a")).all().await.unwrap()
    );

    // And index queries: each copied item has its index keys.
    let role_1 = |s: &Store| {
        let s = s.clone();
        async move { s.query(Expert::by_role("role 1")).all().await.unwrap() }
    };
    let expected = role_1(&source).await;
    assert!(!expected.is_empty());
    let found = crate::support::eventually(|| async {
        let found = role_1(&store).await;
        (found == expected).then_some(found)
    })
    .await;
    assert_eq!(found, Some(expected));

    // Running it again changes nothing.
    let again = copy_table::<Dialogue>(&source, &store).await.unwrap();
    assert_eq!(again, report);
    assert_eq!(contents(&store).await, copied);

    // And back out, into a new SQLite database.
    let back = Store::sqlite_memory().unwrap();
    let report = copy_table::<Dialogue>(&store, &back).await.unwrap();
    assert_eq!(report.copied as usize, n);
    assert_eq!(contents(&back).await, copied);

    // A target holding an item the source lacks fails the count.
    store.put(&expert("c", "extra", 1)).await.unwrap();
    match copy_table::<Dialogue>(&source, &store).await {
        Err(Error::CountMismatch {
            table,
            copied,
            found,
        }) => {
            assert_eq!(table, "blue_dialogue");
            assert_eq!((copied as usize, found as usize), (n, n + 1));
        }
        other => panic!("expected CountMismatch, got {other:?}"),
    }
}

pub async fn copy_table_of_nothing(store: Store) {
    let source = Store::sqlite_memory().unwrap();
    source.create_table::<Dialogue>().await.unwrap();
    let report = copy_table::<Dialogue>(&source, &store).await.unwrap();
    assert_eq!(
        (report.copied, report.batches, report.target_items),
        (0, 0, 0)
    );
    // The table exists now.
    assert_eq!(store.get(Expert::key("a", "m")).await.unwrap(), None);
}

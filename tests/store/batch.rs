//! put_all: many items at once, all or nothing.

use blue_schema::limits::LimitError;
use blue_schema::{Error, Store};
use blue_schema_examples::dialogue::*;

use crate::crud::expert;

pub async fn put_all_writes_everything(store: Store) {
    store.create_table::<Dialogue>().await.unwrap();
    store.put(&expert("d", "e0000", -1)).await.unwrap();
    let before = store
        .get_record(Expert::key("d", "e0000"))
        .await
        .unwrap()
        .unwrap();

    let items: Vec<Expert> = (0..1000)
        .map(|i| expert("d", &format!("e{i:04}"), i))
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    store.put_all(&items).await.unwrap();
    assert_eq!(store.query(Expert::query("d")).all().await.unwrap(), items);

    // Replaced items keep their created_at; new ones share the batch's.
    let replaced = store
        .get_record(Expert::key("d", "e0000"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(replaced.value.score, 0);
    assert_eq!(replaced.created_at, before.created_at);
    let new = store
        .get_record(Expert::key("d", "e0001"))
        .await
        .unwrap()
        .unwrap();
    assert!(new.created_at > before.created_at);

    // An empty batch is nothing to do.
    store.put_all(std::iter::empty::<&Expert>()).await.unwrap();
}

pub async fn put_all_is_all_or_nothing(store: Store) {
    store.create_table::<Dialogue>().await.unwrap();
    let mut items: Vec<Expert> = (0..100)
        .map(|i| expert("d", &format!("e{i:03}"), i))
        .collect();

    // One item past a limit: nothing written.
    items[57].dialogue_id = String::new();
    assert!(matches!(
        store.put_all(&items).await,
        Err(Error::Limit(LimitError::EmptyPartitionKey))
    ));
    items[57].dialogue_id = "d".into();

    // The same key twice: nothing written.
    items[80].name = items[20].name.clone();
    let err = store.put_all(&items).await.unwrap_err();
    match &err {
        Error::DuplicateKey {
            table,
            partition_key,
            sort_key,
        } => {
            assert_eq!(*table, "blue_dialogue");
            assert_eq!(partition_key, "d");
            assert_eq!(sort_key, "EXPERT#e020");
        }
        other => panic!("expected DuplicateKey, got {other:?}"),
    }
    assert_eq!(
        err.to_string(),
        "the batch for blue_dialogue holds key d | EXPERT#e020 more than once"
    );
    assert!(store
        .query(Expert::query("d"))
        .all()
        .await
        .unwrap()
        .is_empty());
}

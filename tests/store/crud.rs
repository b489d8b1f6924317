//! get, put, create, delete and their errors.

use blue_schema::{Entity, Error, Store};
use blue_schema_examples::dialogue::*;

use crate::entities::{self, Opaque, Probe, Sized, Sparse};

pub fn expert(d: &str, name: &str, score: i32) -> Expert {
    Expert {
        dialogue_id: d.into(),
        name: name.into(),
        role: "skeptic".into(),
        tier: 1,
        score,
    }
}

pub async fn tables_are_created_once(store: Store) {
    store.create_table::<Dialogue>().await.unwrap();
    store.put(&expert("d", "muffin", 1)).await.unwrap();
    // Idempotent, and it does not empty the table.
    store.create_table::<Dialogue>().await.unwrap();
    let read = store.get(Expert::key("d", "muffin")).await.unwrap();
    assert_eq!(read, Some(expert("d", "muffin", 1)));
}

/// `drop_table` deletes a table with its items and indexes; the table can
/// be created again at once, empty; dropping a missing table says so.
pub async fn tables_are_dropped_and_created_again(store: Store) {
    store.create_table::<Dialogue>().await.unwrap();
    store.put(&expert("d", "muffin", 1)).await.unwrap();
    assert!(store.drop_table::<Dialogue>().await.unwrap());
    match store.get(Expert::key("d", "muffin")).await {
        Err(Error::TableNotFound { table }) => assert_eq!(table, "blue_dialogue"),
        other => panic!("expected TableNotFound, got {other:?}"),
    }
    assert!(!store.drop_table::<Dialogue>().await.unwrap());
    store.create_table::<Dialogue>().await.unwrap();
    assert_eq!(store.get(Expert::key("d", "muffin")).await.unwrap(), None);
    store.put(&expert("d", "muffin", 2)).await.unwrap();
    assert_eq!(
        store.query(Expert::query("d")).all().await.unwrap(),
        [expert("d", "muffin", 2)]
    );
}

/// Typed queries read each item's write times too, as `get_record` does.
pub async fn queries_read_write_times(store: Store) {
    store.create_table::<Dialogue>().await.unwrap();
    store.put(&expert("d", "a", 1)).await.unwrap();
    store.put(&expert("d", "b", 1)).await.unwrap();
    store.put(&expert("d", "a", 2)).await.unwrap();
    let records = store.query(Expert::query("d")).records().await.unwrap();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0].value, expert("d", "a", 2));
    for record in &records {
        let single = store
            .get_record(record.value.key())
            .await
            .unwrap()
            .expect("stored");
        assert_eq!(single.created_at, record.created_at);
        assert_eq!(single.updated_at, record.updated_at);
        assert!(record.created_at.ends_with('Z') && record.created_at.len() == 24);
        assert!(record.updated_at >= record.created_at);
    }
    let page = store
        .query(Expert::query("d").page_size(1))
        .records_page()
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    assert!(page.cursor.is_some());
    assert_eq!(page.items[0], records[0]);
}

pub async fn missing_tables_are_reported(store: Store) {
    let missing = |r: Result<(), Error>| match r {
        Err(Error::TableNotFound { table }) => assert_eq!(table, "blue_dialogue"),
        other => panic!("expected TableNotFound, got {other:?}"),
    };
    missing(store.put(&expert("d", "m", 1)).await);
    missing(store.create(&expert("d", "m", 1)).await);
    missing(store.get(Expert::key("d", "m")).await.map(drop));
    missing(store.delete(Expert::key("d", "m")).await);
    missing(store.query(Expert::query("d")).all().await.map(drop));
    missing(store.put_all([&expert("d", "m", 1)]).await);
    let err = store.get(Expert::key("d", "m")).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "table blue_dialogue does not exist; create it with `store.create_table::<T>()`"
    );
}

pub async fn put_then_get_round_trips_every_entity(store: Store) {
    store.create_table::<Dialogue>().await.unwrap();
    for item in crate::queries::dialogue("nvidia-dec") {
        match item {
            Dialogue::Meta(v) => round_trip(&store, v).await,
            Dialogue::Expert(v) => round_trip(&store, v).await,
            Dialogue::Perspective(v) => round_trip(&store, v).await,
            Dialogue::Tension(v) => round_trip(&store, v).await,
            Dialogue::TensionEvent(v) => round_trip(&store, v).await,
        }
    }
    assert_eq!(
        store
            .get(Expert::key("nvidia-dec", "nobody"))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store.get(Expert::key("other", "muffin")).await.unwrap(),
        None
    );
}

async fn round_trip<E: Entity + PartialEq + std::fmt::Debug + Send>(store: &Store, item: E) {
    store.put(&item).await.unwrap();
    assert_eq!(store.get(item.key()).await.unwrap().as_ref(), Some(&item));
}

fn is_rfc3339_millis(t: &str) -> bool {
    let b = t.as_bytes();
    b.len() == 24
        && b.iter().enumerate().all(|(i, &c)| match i {
            4 | 7 => c == b'-',
            10 => c == b'T',
            13 | 16 => c == b':',
            19 => c == b'.',
            23 => c == b'Z',
            _ => c.is_ascii_digit(),
        })
}

pub async fn put_replaces_and_keeps_created_at(store: Store) {
    store.create_table::<Dialogue>().await.unwrap();
    store.put(&expert("d", "muffin", 1)).await.unwrap();
    let first = store
        .get_record(Expert::key("d", "muffin"))
        .await
        .unwrap()
        .unwrap();
    assert!(is_rfc3339_millis(&first.created_at), "{}", first.created_at);

    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    store.put(&expert("d", "muffin", 2)).await.unwrap();
    let second = store
        .get_record(Expert::key("d", "muffin"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(second.value.score, 2, "put replaces the item");
    assert_eq!(second.created_at, first.created_at, "and keeps created_at");

    // A new item after a delete is new again.
    store.delete(Expert::key("d", "muffin")).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    store.put(&expert("d", "muffin", 3)).await.unwrap();
    let third = store
        .get_record(Expert::key("d", "muffin"))
        .await
        .unwrap()
        .unwrap();
    assert!(third.created_at > first.created_at);
}

pub async fn create_never_overwrites(store: Store) {
    store.create_table::<Dialogue>().await.unwrap();
    store.create(&expert("d", "muffin", 1)).await.unwrap();
    let before = store.get_record(Expert::key("d", "muffin")).await.unwrap();

    let err = store.create(&expert("d", "muffin", 99)).await.unwrap_err();
    match &err {
        Error::AlreadyExists {
            table,
            partition_key,
            sort_key,
        } => {
            assert_eq!(*table, "blue_dialogue");
            assert_eq!(partition_key, "d");
            assert_eq!(sort_key, "EXPERT#muffin");
        }
        other => panic!("expected AlreadyExists, got {other:?}"),
    }
    assert_eq!(
        err.to_string(),
        "blue_dialogue already holds an item with key d | EXPERT#muffin"
    );
    let after = store.get_record(Expert::key("d", "muffin")).await.unwrap();
    assert_eq!(after, before, "nothing was overwritten");

    // The same key in another partition, or another entity, is free.
    store.create(&expert("e", "muffin", 1)).await.unwrap();
    store.create(&expert("d", "muf", 1)).await.unwrap();
}

pub async fn delete_and_delete_returning(store: Store) {
    store.create_table::<Dialogue>().await.unwrap();
    store.put(&expert("d", "muffin", 1)).await.unwrap();
    store.put(&expert("d", "muf", 2)).await.unwrap();

    store.delete(Expert::key("d", "muffin")).await.unwrap();
    assert_eq!(store.get(Expert::key("d", "muffin")).await.unwrap(), None);
    // Deleting what is not there is not an error.
    store.delete(Expert::key("d", "muffin")).await.unwrap();

    let old = store
        .delete_returning(Expert::key("d", "muf"))
        .await
        .unwrap();
    assert_eq!(old, Some(expert("d", "muf", 2)));
    assert_eq!(store.get(Expert::key("d", "muf")).await.unwrap(), None);
    let none = store
        .delete_returning(Expert::key("d", "muf"))
        .await
        .unwrap();
    assert_eq!(none, None);
}

pub async fn items_that_no_longer_decode_are_reported(store: Store) {
    store.create_table::<Probe>().await.unwrap();
    let old = Sized {
        id: "p".into(),
        n: 1,
        payload: "text".into(),
    };
    store.put(&old).await.unwrap();
    // The same key read as the changed struct (`payload: u64`).
    let err = store
        .get(entities::v2::Sized::key("p", 1))
        .await
        .unwrap_err();
    match &err {
        Error::Decode {
            table,
            partition_key,
            sort_key,
            ..
        } => {
            assert_eq!(*table, "blue_probe");
            assert_eq!(partition_key, "p");
            assert_eq!(sort_key, "SIZED#0000000001");
        }
        other => panic!("expected Decode, got {other:?}"),
    }
    // The message says what, its source why, once each.
    assert_eq!(
        err.to_string(),
        "the item p | SIZED#0000000001 of blue_probe does not decode"
    );
    let cause = std::error::Error::source(&err).expect("the deserializer's error");
    assert!(
        !err.to_string().contains(&cause.to_string()),
        "the message does not repeat its source: {err} / {cause}"
    );
    let whole = store
        .query(entities::v2::Probe::partition("p"))
        .all()
        .await
        .unwrap_err();
    assert!(matches!(whole, Error::Decode { .. }), "{whole:?}");
}

pub async fn serialize_errors_are_typed(store: Store) {
    store.create_table::<Probe>().await.unwrap();
    let item = Opaque {
        id: "p".into(),
        n: 1,
        by_bytes: [(vec![1u8], 1u8)].into(),
    };
    let err = store.put(&item).await.unwrap_err();
    match &err {
        Error::Serialize { entity, .. } => assert_eq!(*entity, "Opaque"),
        other => panic!("expected Serialize, got {other:?}"),
    }
    assert_eq!(
        blue_schema::error_chain(&err),
        "Opaque cannot be stored: a map key must be a string, a number, a char or a unit enum variant"
    );
    assert_eq!(store.get(Opaque::key("p", 1)).await.unwrap(), None);
}

pub async fn any_dynamodb_table_name_works(store: Store) {
    use entities::{Odd, Thing};
    store.create_table::<Odd>().await.unwrap();
    let thing = Thing {
        id: "t".into(),
        n: 1,
    };
    store.put(&thing).await.unwrap();
    assert_eq!(
        store.get(Thing::key("t", 1)).await.unwrap().as_ref(),
        Some(&thing)
    );
    assert_eq!(
        store.query(Odd::partition("t")).all().await.unwrap(),
        vec![Odd::Thing(thing)]
    );
}

pub async fn put_drops_attributes_the_new_item_lacks(store: Store) {
    store.create_table::<Probe>().await.unwrap();
    let noted = Sparse {
        id: "s".into(),
        n: 1,
        note: Some("first".into()),
    };
    store.put(&noted).await.unwrap();
    let first = store
        .get_record(Sparse::key("s", 1))
        .await
        .unwrap()
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;

    // The new value has no `note` attribute at all: the stored item must
    // not keep the old one (on DynamoDB, an update would).
    let bare = Sparse {
        note: None,
        ..noted
    };
    store.put(&bare).await.unwrap();
    let stored = store.query(Sparse::query("s")).raw().await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(
        stored[0].attributes,
        serde_json::json!({ "id": "s", "n": 1 }),
        "the replaced item holds exactly the new attributes"
    );
    assert_eq!(
        stored[0].created_at, first.created_at,
        "and keeps created_at"
    );
    let second = store
        .get_record(Sparse::key("s", 1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(second.value, bare);
    assert_eq!(second.created_at, first.created_at);

    // The same through put_all.
    store
        .put(&Sparse {
            note: Some("again".into()),
            ..bare.clone()
        })
        .await
        .unwrap();
    store.put_all([&bare]).await.unwrap();
    let stored = store.query(Sparse::query("s")).raw().await.unwrap();
    assert_eq!(
        stored[0].attributes,
        serde_json::json!({ "id": "s", "n": 1 })
    );
    assert_eq!(stored[0].created_at, first.created_at);
}

/// Each error says what went wrong once: a message never repeats the
/// message of its source, so a reporter that prints the chain (anyhow,
/// eyre) prints each part once.
pub async fn errors_say_each_message_once(store: Store) {
    fn check(err: &Error) {
        let mut error: &(dyn std::error::Error + 'static) = err;
        while let Some(source) = error.source() {
            assert!(
                !error.to_string().contains(&source.to_string()),
                "{err:?}: {error} repeats {source}"
            );
            error = source;
        }
    }
    let mut errors = vec![
        store.get(Expert::key("d", "m")).await.unwrap_err(),
        store.put(&expert("", "m", 1)).await.unwrap_err(),
    ];
    store.create_table::<Dialogue>().await.unwrap();
    store.create_table::<Probe>().await.unwrap();
    store.create(&expert("d", "m", 1)).await.unwrap();
    errors.push(store.create(&expert("d", "m", 1)).await.unwrap_err());
    errors.push(
        store
            .put_all([&expert("d", "x", 1), &expert("d", "x", 2)])
            .await
            .unwrap_err(),
    );
    errors.push(
        store
            .put(&Opaque {
                id: "p".into(),
                n: 1,
                by_bytes: [(vec![1u8], 1u8)].into(),
            })
            .await
            .unwrap_err(),
    );
    store
        .put(&Sized {
            id: "p".into(),
            n: 1,
            payload: "text".into(),
        })
        .await
        .unwrap();
    errors.push(
        store
            .get(entities::v2::Sized::key("p", 1))
            .await
            .unwrap_err(),
    );
    errors.push(
        store
            .query(Expert::query("d").page_size(0))
            .all()
            .await
            .unwrap_err(),
    );
    for err in &errors {
        check(err);
    }
    assert_eq!(errors.len(), 7);
}

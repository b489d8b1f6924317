//! Many tasks on one store.

use std::cell::Cell;

use blue_schema::{Error, Store};
use blue_schema_examples::dialogue::*;

use crate::crud::expert;
use crate::entities::{Probe, Unshared};

pub async fn concurrent_creates_have_one_winner(store: Store) {
    store.create_table::<Dialogue>().await.unwrap();
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move { store.create(&expert("d", "contested", i)).await })
        })
        .collect();
    let mut won = Vec::new();
    for (i, task) in tasks.into_iter().enumerate() {
        match task.await.unwrap() {
            Ok(()) => won.push(i as i32),
            Err(Error::AlreadyExists { .. }) => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(won.len(), 1, "exactly one create wins");
    let stored = store
        .get(Expert::key("d", "contested"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.score, won[0], "and its item is the one stored");
}

pub async fn concurrent_writers_all_land(store: Store) {
    store.create_table::<Dialogue>().await.unwrap();
    let tasks: Vec<_> = (0..8)
        .map(|t| {
            let store = store.clone();
            tokio::spawn(async move {
                for i in 0..25 {
                    store
                        .put(&expert("d", &format!("t{t}-{i:02}"), i))
                        .await
                        .unwrap();
                }
                let batch: Vec<Expert> = (0..25)
                    .map(|i| expert("b", &format!("t{t}-{i:02}"), i))
                    .collect();
                store.put_all(&batch).await.unwrap();
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(
        store.query(Expert::query("d")).all().await.unwrap().len(),
        200
    );
    assert_eq!(
        store.query(Expert::query("b")).all().await.unwrap().len(),
        200
    );
}

pub async fn futures_do_not_need_sync_entities(store: Store) {
    store.create_table::<Probe>().await.unwrap();
    let item = Unshared {
        id: "u".into(),
        n: 1,
        hits: Cell::new(3),
    };
    // Spawned tasks must be Send; the entity is not Sync.
    let task = tokio::spawn({
        let store = store.clone();
        async move {
            store.put(&item).await.unwrap();
            store.create(&item).await.unwrap_err();
            store.put_all([&item]).await.unwrap();
            let read = store.get(Unshared::key("u", 1)).await.unwrap();
            assert_eq!(read, Some(item));
            store.delete_returning(Unshared::key("u", 1)).await.unwrap()
        }
    });
    assert_eq!(task.await.unwrap().map(|u| u.hits.get()), Some(3));
}

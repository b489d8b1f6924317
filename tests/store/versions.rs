//! `#[version]` checks on every write path, and read-modify-write.

use blue_schema::write::CancelReason;
use blue_schema::{Error, Store};

use crate::write_entities::{account, setup, Account, Counter};

pub async fn versions_guard_every_write_path(store: Store) {
    setup(&store).await;
    let c = Counter::attr();
    let key = || Counter::key("v");
    let counter = Counter {
        name: "v".into(),
        value: 0,
        version: 0,
    };
    store.create(&counter).await.unwrap();
    let read = store.get(key()).await.unwrap().unwrap();
    assert_eq!(read.version, 1, "create writes version 1");

    // A put at the read version writes the next one; a stale put conflicts.
    store
        .put(&Counter {
            value: 1,
            ..read.clone()
        })
        .await
        .unwrap();
    match store
        .put(&Counter {
            value: 2,
            ..read.clone()
        })
        .await
    {
        Err(Error::VersionConflict(f)) => {
            assert_eq!((f.expected_version, f.found_version), (Some(1), Some(2)));
            assert_eq!(f.current::<Counter>().map(|c| c.value), Some(1));
        }
        other => panic!("expected VersionConflict, got {other:?}"),
    }
    // Version 0 means "no item yet".
    assert!(matches!(
        store
            .put(&Counter {
                version: 0,
                ..read.clone()
            })
            .await,
        Err(Error::VersionConflict(_))
    ));
    // Updates and deletes must say which version they expect.
    assert!(matches!(
        store.update(key()).add(c.value, 1).await,
        Err(Error::VersionRequired { .. })
    ));
    assert!(matches!(
        store.delete(key()).await,
        Err(Error::VersionRequired { .. })
    ));
    assert!(matches!(
        store.update(key()).add(c.value, 1).expect_version(1).await,
        Err(Error::VersionConflict(_))
    ));
    let now = store
        .update(key())
        .add(c.value, 1)
        .expect_version(2)
        .returning_new()
        .await
        .unwrap();
    assert_eq!((now.value, now.version), (2, 3));
    let now = store
        .update(key())
        .add(c.value, 1)
        .any_version()
        .returning_new()
        .await
        .unwrap();
    assert_eq!(now.version, 4, "an unchecked update still increments");
    assert!(matches!(
        store.delete_entity(&read).await,
        Err(Error::VersionConflict(_))
    ));
    // In a transaction too.
    let mut tx = store.transaction();
    tx.put(&read);
    match tx.commit().await {
        Err(Error::TransactionCanceled(t)) => {
            assert!(matches!(t.reasons[0], CancelReason::VersionConflict(_)))
        }
        other => panic!("expected TransactionCanceled, got {other:?}"),
    }
    store.delete_entity(&now).await.unwrap();
    assert!(store.get(key()).await.unwrap().is_none());
}

pub async fn modify_reads_changes_and_writes_back(store: Store) {
    setup(&store).await;
    store.put(&account("m", 1)).await.unwrap();
    let after = store
        .modify(Account::key("b", "m"), |a: &mut Account| {
            a.balance *= 10;
            a.note = Some("x10".into());
        })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.balance, 10);
    assert_eq!(
        store.get(Account::key("b", "m")).await.unwrap(),
        Some(after)
    );
    assert!(store
        .modify(Account::key("b", "nobody"), |a: &mut Account| a.balance +=
            1)
        .await
        .unwrap()
        .is_none());
    store
        .create(&Counter {
            name: "mv".into(),
            value: 0,
            version: 0,
        })
        .await
        .unwrap();
    let c = store
        .modify(Counter::key("mv"), |c: &mut Counter| c.value += 1)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((c.value, c.version), (1, 2));
    assert_eq!(store.get(Counter::key("mv")).await.unwrap(), Some(c));
}

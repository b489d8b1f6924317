//! Updates in place, and the write times every write path keeps.

use blue_schema::{Error, Store, Update};

use crate::write_entities::{account, setup, Account, Ledger, Tally};

pub async fn updates_change_items_in_place(store: Store) {
    setup(&store).await;
    let a = Account::attr();
    store.put(&account("u", 100)).await.unwrap();

    let old = store
        .update(Account::key("b", "u"))
        .subtract(a.balance, 30)
        .set(a.note, "rent")
        .append(a.tags, ["late"])
        .returning_old()
        .await
        .unwrap();
    assert_eq!(old, Some(account("u", 100)));
    let new = store
        .update(Account::key("b", "u"))
        .prepend(a.tags, ["first"])
        .add(a.opened, 1)
        .set_if_absent(a.note, "ignored")
        .returning_new()
        .await
        .unwrap();
    assert_eq!(new.balance, 70);
    assert_eq!(new.note.as_deref(), Some("rent"));
    assert_eq!(new.tags, vec!["first".to_owned(), "late".to_owned()]);
    assert_eq!(new.opened, 2021);
    store
        .update(Account::key("b", "u"))
        .remove(a.note)
        .await
        .unwrap();
    let read = store.get(Account::key("b", "u")).await.unwrap().unwrap();
    assert_eq!(read.note, None);
    assert_eq!(
        read,
        Account {
            note: None,
            ..new.clone()
        }
    );

    // A failed condition writes nothing and carries the item.
    match store
        .update(Account::key("b", "u"))
        .subtract(a.balance, 1000)
        .when(a.balance.ge(1000))
        .await
    {
        Err(Error::ConditionFailed(c)) => assert_eq!(c.current::<Account>(), Some(&read)),
        other => panic!("expected ConditionFailed, got {other:?}"),
    }
    // Leaving the Rust type's range is refused on both backends.
    match store
        .update(Account::key("b", "u"))
        .subtract(a.opened, 3000)
        .await
    {
        Err(Error::Overflow { attribute, .. }) => assert_eq!(attribute, "opened"),
        other => panic!("expected Overflow, got {other:?}"),
    }
    assert_eq!(store.get(Account::key("b", "u")).await.unwrap(), Some(read));

    // Missing items: refused unless `or_create`, which needs every required field.
    assert!(matches!(
        store
            .update(Account::key("b", "none"))
            .add(a.balance, 1)
            .await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        store
            .update(Account::key("b", "none"))
            .add(a.balance, 1)
            .or_create()
            .await,
        Err(Error::InvalidUpdate { .. })
    ));
    assert!(store
        .get(Account::key("b", "none"))
        .await
        .unwrap()
        .is_none());
    let t = Tally::attr();
    store
        .update(Tally::key("t"))
        .add(t.n, 2)
        .or_create()
        .await
        .unwrap();
    let created = store
        .update(Tally::key("t"))
        .add(t.n, 3)
        .or_create()
        .returning_new()
        .await
        .unwrap();
    assert_eq!(
        created,
        Tally {
            name: "t".into(),
            n: 5,
            label: None
        }
    );
    // The same field twice is refused before anything is sent.
    assert!(matches!(
        store
            .update(Tally::key("t"))
            .add(t.n, 1)
            .subtract(t.n, 1)
            .await,
        Err(Error::InvalidUpdate { .. })
    ));
    // A value that would leave the item over 400 KB is refused.
    let big = "x".repeat(300 * 1024);
    store
        .update(Tally::key("t"))
        .set(t.label, big.clone())
        .await
        .unwrap();
    assert!(matches!(
        store
            .update(Account::key("b", "u"))
            .set(a.owner, big.clone())
            .append(a.tags, [big])
            .await,
        Err(Error::Limit(_))
    ));
}

/// `updated_at` follows every write path; `created_at` stays.
pub async fn updated_at_follows_every_write(store: Store) {
    setup(&store).await;
    let t = Tally::attr();
    let key = || Tally::key("stamp");
    let tally = |n: u32| Tally {
        name: "stamp".into(),
        n,
        label: None,
    };
    let record = || async { store.get_record(key()).await.unwrap().unwrap() };
    // Milliseconds apart, so each write's time is later than the last.
    let tick = || tokio::time::sleep(std::time::Duration::from_millis(3));

    store.create(&tally(0)).await.unwrap();
    let first = record().await;
    assert_eq!(first.updated_at, first.created_at, "a new item");
    let mut last = first.updated_at.clone();
    let mut written = |path: &str, r: blue_schema::Record<Tally>, n: u32| {
        assert_eq!(r.value.n, n, "{path} wrote");
        assert_eq!(r.created_at, first.created_at, "{path} keeps created_at");
        assert!(r.updated_at > last, "{path}: {} after {last}", r.updated_at);
        last = r.updated_at;
    };

    tick().await;
    store.put(&tally(1)).await.unwrap();
    written("put", record().await, 1);
    tick().await;
    store.put(&tally(2)).when(t.n.eq(1u32)).await.unwrap();
    written("conditional put", record().await, 2);
    tick().await;
    store.update(key()).add(t.n, 1).await.unwrap();
    written("update", record().await, 3);
    tick().await;
    store.modify(key(), |x: &mut Tally| x.n += 1).await.unwrap();
    written("modify", record().await, 4);
    tick().await;
    let mut tx = store.transaction();
    tx.update(Update::new(key()).add(t.n, 1));
    tx.commit().await.unwrap();
    written("transaction update", record().await, 5);
    tick().await;
    let mut tx = store.transaction();
    tx.put(&tally(6));
    tx.commit().await.unwrap();
    written("transaction put", record().await, 6);
    tick().await;
    store.put_all(&[tally(7)]).await.unwrap();
    written("put_all", record().await, 7);

    // A failed write changes neither.
    let before = record().await;
    tick().await;
    assert!(store.put(&tally(8)).when(t.n.eq(0u32)).await.is_err());
    assert_eq!(record().await, before);
    // An update that creates the item sets both to the write's time.
    store
        .update(Tally::key("fresh"))
        .set(t.n, 1)
        .or_create()
        .await
        .unwrap();
    let fresh = store
        .get_record(Tally::key("fresh"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(fresh.updated_at, fresh.created_at);
    assert!(fresh.created_at > first.created_at);
}

/// An update that creates its item has no old item to return, on every
/// backend (the differential test found dynoxide answering with the key
/// alone, which the DynamoDB backend failed to decode).
pub async fn an_update_that_creates_returns_no_old_item(store: Store) {
    setup(&store).await;
    let t = Tally::attr();
    let old = store
        .update(Tally::key("fresh"))
        .add(t.n, 1)
        .or_create()
        .returning_old()
        .await
        .unwrap();
    assert_eq!(old, None);
    let old = store
        .update(Tally::key("fresh"))
        .add(t.n, 1)
        .returning_old()
        .await
        .unwrap();
    assert_eq!(old.map(|t| t.n), Some(1));
    assert_eq!(
        store.delete_returning(Tally::key("none")).await.unwrap(),
        None
    );
}

/// An update that creates its item needs every required field, and a
/// `#[serde(default)]` field is not required: the item reads back with the
/// default (found by the differential test: such an update was refused).
pub async fn an_update_may_create_without_defaulted_fields(store: Store) {
    setup(&store).await;
    let l = Ledger::attr();
    let created = store
        .update(Ledger::key("l"))
        .add(l.n, 1)
        .or_create()
        .returning_new()
        .await
        .unwrap();
    assert_eq!(
        created,
        Ledger {
            name: "l".into(),
            n: 1,
            lines: Vec::new(),
        }
    );
    store
        .update(Ledger::key("l"))
        .append(l.lines, ["one"])
        .await
        .unwrap();
    assert_eq!(
        store.get(Ledger::key("l")).await.unwrap().unwrap().lines,
        vec!["one".to_owned()]
    );
    // A required field still has to be set.
    assert!(matches!(
        store
            .update(Ledger::key("m"))
            .append(l.lines, ["x"])
            .or_create()
            .await,
        Err(Error::InvalidUpdate { .. })
    ));
}

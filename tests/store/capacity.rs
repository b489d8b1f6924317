//! Capacity units: the same operations report the same units on SQLite
//! (computed with DynamoDB's rules) and on DynamoDB (as the service reports
//! them). Each expectation below is written from the rules in
//! `blue_schema::capacity`, and the same expectations run on every backend.

use blue_schema::capacity::Consumed;
use blue_schema::{Store, Update};

use crate::indexes::{task, Board, Task};
use crate::support::units;

/// A task whose note makes it about `bytes` large.
fn big(id: u32, owner: Option<&str>, bytes: usize) -> Task {
    let mut t = task("cap", id, owner, 1);
    t.note = "x".repeat(bytes);
    t
}

pub async fn reads_and_writes_cost_the_same_units_everywhere(store: Store) {
    store.create_table::<Board>().await.unwrap();
    assert_eq!(store.consumed(), None, "an unmetered store counts nothing");

    // A small item in both indexes: 1 (table) + 1 (gsi1, ALL) + 1 (gsi2,
    // KEYS_ONLY).
    let small = task("cap", 1, Some("ann"), 1);
    let put = units(&store, |s| async move { s.put(&small).await.unwrap() }).await;
    assert_eq!(put, Consumed::write(3.0), "put of a new small item");

    // Rewritten with another owner: its gsi1 entry moves (a delete and a
    // put), its keys-only gsi2 entry stays.
    let moved = task("cap", 1, Some("bob"), 1);
    let put = units(&store, |s| async move { s.put(&moved).await.unwrap() }).await;
    assert_eq!(put, Consumed::write(3.0), "put moving an index key");

    // Out of gsi1 (no owner): its old entry is deleted.
    let unowned = task("cap", 1, None, 1);
    let put = units(&store, |s| async move { s.put(&unowned).await.unwrap() }).await;
    assert_eq!(put, Consumed::write(2.0), "put leaving an index");

    // 2 500 bytes: 3 units for the table, 3 for the ALL index, 1 for the
    // keys-only one.
    let large = big(2, Some("ann"), 2500);
    let put = units(&store, |s| async move { s.put(&large).await.unwrap() }).await;
    assert_eq!(put, Consumed::write(7.0), "put of a 2.5 KB item");

    // Reads: 4 KB per unit, half when eventually consistent; a missing
    // item costs the minimum.
    let get = units(&store, |s| async move {
        s.get(Task::key("cap", 2)).await.unwrap().unwrap();
    })
    .await;
    assert_eq!(get, Consumed::read(1.0), "strongly consistent get");
    let get = units(&store, |s| async move {
        s.get(Task::key("cap", 2))
            .eventually_consistent()
            .await
            .unwrap()
            .unwrap();
    })
    .await;
    assert_eq!(get, Consumed::read(0.5), "eventually consistent get");
    let get = units(&store, |s| async move {
        assert!(s.get(Task::key("cap", 99)).await.unwrap().is_none());
    })
    .await;
    assert_eq!(get, Consumed::read(1.0), "get of a missing item");

    // A query page is charged on the sum of the items it read, rounded
    // once: 5 items of ~1.25 KB = 2 units, not 5.
    for id in 10..15 {
        store.put(&big(id, None, 1000)).await.unwrap();
    }
    let query = units(&store, |s| async move {
        let q = Task::query("cap").id_between(10, 14);
        assert_eq!(s.query(q).all().await.unwrap().len(), 5);
    })
    .await;
    assert_eq!(query, Consumed::read(2.0), "a query page of 6.25 KB");

    // Batch reads: each key on its own; a transactional read twice that.
    let keys = [
        Task::key("cap", 10),
        Task::key("cap", 11),
        Task::key("cap", 98),
    ];
    let batch = units(&store, |s| async move {
        s.get_many(keys).await.unwrap();
    })
    .await;
    assert_eq!(batch, Consumed::read(3.0), "get_many of three keys");
    let keys = [Task::key("cap", 10), Task::key("cap", 11)];
    let tx = units(&store, |s| async move {
        s.transact_get(keys).await.unwrap();
    })
    .await;
    assert_eq!(tx, Consumed::read(4.0), "transact_get of two keys");

    // An update is sized on the larger image; a change that moves no index
    // key still rewrites the ALL entry (gsi1) but not the keys-only one.
    let update = units(&store, |s| async move {
        let a = Task::attr();
        s.update(Task::key("cap", 2))
            .set(a.points, 7)
            .await
            .unwrap();
    })
    .await;
    assert_eq!(update, Consumed::write(6.0), "update of a 2.5 KB item");

    // A transaction doubles each action's table units, not its index units.
    let tx = units(&store, |s| async move {
        let mut tx = s.transaction();
        tx.put(&task("cap", 20, Some("cy"), 1));
        tx.update(Update::new(Task::key("cap", 10)).set(Task::attr().points, 1));
        tx.commit().await.unwrap();
    })
    .await;
    // put: 2 × 1 + gsi1 1 + gsi2 1; update: 2 × 2 (1.25 KB),
    // in gsi2 only, whose keys-only entry stays.
    assert_eq!(
        tx,
        Consumed::write(8.0),
        "a transaction of a put and an update"
    );

    // A delete is sized on the item it deletes, and removes its entries.
    let delete = units(&store, |s| async move {
        s.delete(Task::key("cap", 2)).await.unwrap();
    })
    .await;
    assert_eq!(delete, Consumed::write(7.0), "delete of a 2.5 KB item");

    // A batch write: each item as a put.
    let items: Vec<Task> = (30..33).map(|id| task("cap", id, None, 1)).collect();
    let batch = units(&store, |s| async move {
        s.put_all(&items).await.unwrap();
    })
    .await;
    // DynamoDB's `put_all` first reads the keys (consistently) for the
    // `created_at` of those that exist: 1 unit each.
    assert_eq!(
        batch,
        Consumed::new(3.0, 6.0),
        "put_all of three small items"
    );

    // Clones of a metered handle share its count.
    let metered = store.metered();
    let clone = metered.clone();
    clone.get(Task::key("cap", 30)).await.unwrap();
    metered.get(Task::key("cap", 30)).await.unwrap();
    assert_eq!(metered.consumed(), Some(Consumed::read(2.0)));
}

pub async fn an_index_query_is_an_eventually_consistent_read(store: Store) {
    store.create_table::<Board>().await.unwrap();
    for id in 0..3 {
        store.put(&task("capi", id, Some("dee"), id)).await.unwrap();
    }
    // Polled: the index may lag; every attempt is charged, so the units of
    // the last one are compared.
    let (_, last) = crate::support::settled(
        || async {
            let metered = store.metered();
            let found = metered.query(Task::by_owner("dee")).all().await.unwrap();
            (found.len(), metered.consumed().unwrap())
        },
        |(found, _)| *found == 3,
    )
    .await;
    assert_eq!(last, Consumed::read(0.5));
}

pub async fn refused_writes_consume_nothing_and_write_nothing(store: Store) {
    use blue_schema::Error;
    store.create_table::<Board>().await.unwrap();
    let first = task("capf", 1, Some("ann"), 1);
    store.put(&first).await.unwrap();
    store.put(&task("capf", 3, None, 1)).await.unwrap();
    let a = Task::attr();

    // `create` of an existing item, a put whose condition fails, and a
    // transaction cancelled by its check: DynamoDB reports no units for a
    // refused write (it charges for it; its error carries none), and none
    // of them writes anything.
    let metered = store.metered();
    let mut again = first.clone();
    again.due = 9;
    assert!(matches!(
        metered.create(&again).await,
        Err(Error::AlreadyExists { .. })
    ));
    assert!(matches!(
        metered.put(&again).when(a.due.eq(5)).await,
        Err(Error::ConditionFailed(_))
    ));
    let mut tx = metered.transaction();
    tx.put(&task("capf", 2, Some("bob"), 1));
    tx.update(Update::new(Task::key("capf", 1)).set(a.points, 99));
    tx.check(Task::key("capf", 3), a.due.eq(5));
    assert!(matches!(
        tx.commit().await,
        Err(Error::TransactionCanceled(_))
    ));
    assert_eq!(metered.consumed(), Some(Consumed::ZERO));
    assert_eq!(store.get(Task::key("capf", 1)).await.unwrap(), Some(first));
    assert_eq!(store.get(Task::key("capf", 2)).await.unwrap(), None);

    // The same handle goes on counting what succeeds.
    let mut tx = metered.transaction();
    tx.update(Update::new(Task::key("capf", 1)).set(a.points, 99));
    tx.check(Task::key("capf", 3), a.due.eq(1));
    tx.commit().await.unwrap();
    // Update: 2 × 1 (table) + 1 (its gsi1 entry, ALL, rewritten); check: 2 × 1.
    assert_eq!(metered.consumed(), Some(Consumed::write(5.0)));
}

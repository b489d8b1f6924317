//! Many tasks on one store.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use blue_schema::{Entity, Error, Store, Update};
use blue_schema_examples::dialogue::*;

use crate::crud::expert;
use crate::entities::{Probe, Toggle, Unshared};
use crate::write_entities::{account, setup, Account, Counter, Tally};

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

fn toggle(seq: u32) -> Toggle {
    let (left, right) = if seq.is_multiple_of(2) {
        (Some(format!("left {seq}")), None)
    } else {
        (None, Some(format!("right {seq}")))
    };
    Toggle {
        id: "t".into(),
        n: 1,
        left,
        right,
        seq,
    }
}

/// Whether `item` is one that a writer wrote: `toggle(seq)` exactly.
fn written(item: &Toggle) -> bool {
    *item == toggle(item.seq)
}

/// Readers beside 1 000 replacing puts that alternate two optional
/// attributes see the old item or the new one, never one holding both
/// (which nobody wrote).
pub async fn readers_never_see_a_mixed_item(store: Store) {
    store.create_table::<Probe>().await.unwrap();
    store.put(&toggle(0)).await.unwrap();
    let writing = Arc::new(AtomicBool::new(true));
    let readers: Vec<_> = (0..3)
        .map(|_| {
            let (store, writing) = (store.clone(), writing.clone());
            tokio::spawn(async move {
                let (mut reads, mut mixed) = (0u32, 0u32);
                while writing.load(Ordering::Relaxed) {
                    let item = store.get(Toggle::key("t", 1)).await.unwrap().unwrap();
                    reads += 1;
                    mixed += u32::from(!written(&item));
                }
                (reads, mixed)
            })
        })
        .collect();
    for seq in 1..=1000 {
        store.put(&toggle(seq)).await.unwrap();
    }
    writing.store(false, Ordering::Relaxed);
    let (mut reads, mut mixed) = (0, 0);
    for reader in readers {
        let (r, m) = reader.await.unwrap();
        reads += r;
        mixed += m;
    }
    eprintln!(
        "{}: {mixed} mixed items in {reads} reads beside 1000 puts",
        store.backend_name()
    );
    assert_eq!(
        mixed, 0,
        "{mixed} of {reads} reads saw an item nobody wrote"
    );
    assert!(reads >= 3, "the readers read while the writer wrote");
    let last = store.get(Toggle::key("t", 1)).await.unwrap();
    assert_eq!(last, Some(toggle(1000)));
}

/// Writers that replace one item with different attribute sets leave one of
/// their items, whole.
pub async fn racing_writers_leave_one_whole_item(store: Store) {
    store.create_table::<Probe>().await.unwrap();
    let writers: Vec<_> = (0..4u32)
        .map(|w| {
            let store = store.clone();
            tokio::spawn(async move {
                for i in 0..50 {
                    store.put(&toggle(w * 1000 + i)).await.unwrap();
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.unwrap();
    }
    let item = store.get(Toggle::key("t", 1)).await.unwrap().unwrap();
    assert!(written(&item), "{item:?}");
    assert!([49, 1049, 2049, 3049].contains(&item.seq), "{item:?}");
}

/// A put whose future is dropped part-way (a timeout) leaves the item it
/// replaced or the new one, whole.
pub async fn a_put_cut_short_leaves_the_old_item_or_the_new_one(store: Store) {
    store.create_table::<Probe>().await.unwrap();
    let mut outcomes = [0u32; 2];
    for seq in 1..=60u32 {
        store.put(&toggle(seq - 1)).await.unwrap();
        // From nothing at all to about a whole request, on either backend.
        let budget = Duration::from_micros(u64::from(seq % 20) * 40);
        let cut = tokio::time::timeout(budget, store.put(&toggle(seq))).await;
        // A write that was under way may still land after the timeout.
        tokio::time::sleep(Duration::from_millis(5)).await;
        let item = store.get(Toggle::key("t", 1)).await.unwrap().unwrap();
        assert!(
            item == toggle(seq - 1) || item == toggle(seq),
            "after a put cut short at {budget:?}: {item:?}"
        );
        if cut.is_ok() {
            assert_eq!(item, toggle(seq), "a put that returned Ok is there");
        }
        outcomes[usize::from(item.seq == seq)] += 1;
    }
    eprintln!(
        "{}: puts cut short left the old item {} times, the new one {} times",
        store.backend_name(),
        outcomes[0],
        outcomes[1]
    );
}

/// Nothing happens until a store's future is polled: dropping one unpolled
/// writes nothing, not even a table.
pub async fn futures_do_nothing_until_polled(store: Store) {
    drop(store.create_table::<Probe>());
    assert!(matches!(
        store.get(Toggle::key("t", 1)).await,
        Err(Error::TableNotFound { .. })
    ));
    store.create_table::<Probe>().await.unwrap();
    drop(store.put(&toggle(1)));
    drop(store.create(&toggle(2)));
    drop(store.put_all([&toggle(3)]));
    drop(store.delete(Toggle::key("t", 1)));
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(store.get(Toggle::key("t", 1)).await.unwrap(), None);
    store.put(&toggle(4)).await.unwrap();
    drop(store.delete(Toggle::key("t", 1)));
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(
        store.get(Toggle::key("t", 1)).await.unwrap(),
        Some(toggle(4))
    );
}

/// A `put_all` dropped part-way: on SQLite one transaction, so all items or
/// none; on DynamoDB the batches already sent stay, each item whole.
pub async fn a_put_all_cut_short_leaves_whole_items(store: Store) {
    store.create_table::<Dialogue>().await.unwrap();
    let items: Vec<Expert> = (0..500)
        .map(|i| expert("cut", &format!("e{i:04}"), i))
        .collect();
    let mut seen = std::collections::BTreeSet::new();
    for attempt in 0..8u64 {
        let budget = Duration::from_micros(200 + attempt * attempt * 2_000);
        let _ = tokio::time::timeout(budget, store.put_all(&items)).await;
        tokio::time::sleep(Duration::from_millis(20)).await;
        let stored = store.query(Expert::query("cut")).all().await.unwrap();
        for item in &stored {
            assert!(items.contains(item), "not an item of the batch: {item:?}");
        }
        if store.backend_name() == "sqlite" {
            assert!(
                stored.is_empty() || stored.len() == items.len(),
                "a cancelled batch on SQLite left {} of {} items",
                stored.len(),
                items.len()
            );
        }
        seen.insert(stored.len());
        for item in &stored {
            store.delete(item.key()).await.unwrap();
        }
    }
    eprintln!(
        "{}: put_all cut short left these item counts: {seen:?}",
        store.backend_name()
    );
}

/// 16 writers × 200 read-modify-write increments of one versioned counter,
/// and the same with `update` add: the counter ends at exactly 3 200.
pub async fn no_update_is_lost(store: Store) {
    setup(&store).await;
    const WRITERS: u64 = 16;
    const EACH: u64 = 200;
    store
        .create(&Counter {
            name: "race".into(),
            value: 0,
            version: 0,
        })
        .await
        .unwrap();
    let start = Instant::now();
    // The closure runs once per attempt: every run past the first of a
    // write is a conflict retried.
    let runs = Arc::new(AtomicU64::new(0));
    let tasks: Vec<_> = (0..WRITERS)
        .map(|_| {
            let store = store.clone();
            let runs = runs.clone();
            tokio::spawn(async move {
                for _ in 0..EACH {
                    store
                        .modify(Counter::key("race"), |c: &mut Counter| {
                            runs.fetch_add(1, Ordering::Relaxed);
                            c.value += 1;
                        })
                        .attempts(1000)
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let rmw = start.elapsed();
    let c = store.get(Counter::key("race")).await.unwrap().unwrap();
    assert_eq!(c.value, WRITERS * EACH, "read-modify-write lost updates");
    assert_eq!(c.version, 1 + WRITERS * EACH, "each write is one version");
    let retried = runs.load(Ordering::Relaxed) - WRITERS * EACH;

    let t = Tally::attr();
    store
        .put(&Tally {
            name: "race".into(),
            n: 0,
            label: None,
        })
        .await
        .unwrap();
    let start = Instant::now();
    let tasks: Vec<_> = (0..WRITERS)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                for _ in 0..EACH {
                    store.update(Tally::key("race")).add(t.n, 1).await.unwrap();
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let add = start.elapsed();
    let n = store.get(Tally::key("race")).await.unwrap().unwrap().n;
    assert_eq!(u64::from(n), WRITERS * EACH, "update add lost updates");
    eprintln!(
        "lost updates ({}): modify {:?} ({} conflicts retried), update add {:?}, 0 lost",
        store.backend_name(),
        rmw,
        retried,
        add
    );
}

/// Concurrent transfers between 20 accounts, none allowed below zero.
pub async fn transfers_keep_the_total(store: Store) {
    setup(&store).await;
    let a = Account::attr();
    let accounts: Vec<Account> = (0..20)
        .map(|i| account(&format!("acc{i:02}"), 100))
        .collect();
    store.put_all(&accounts).await.unwrap();
    let seed = Arc::new(AtomicU64::new(7));
    let next = move |seed: &AtomicU64| {
        let x = seed.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed);
        (x ^ (x >> 31)).wrapping_mul(0xBF58_476D_1CE4_E5B9) >> 33
    };
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            let seed = seed.clone();
            tokio::spawn(async move {
                let (mut done, mut refused) = (0, 0);
                for _ in 0..40 {
                    let from = next(&seed) % 20;
                    let to = (from + 1 + next(&seed) % 19) % 20;
                    let amount = (next(&seed) % 80) as i64 + 1;
                    let mut tx = store.transaction();
                    tx.update(
                        Update::new(Account::key("b", format!("acc{from:02}")))
                            .subtract(a.balance, amount)
                            .when(a.balance.ge(amount)),
                    );
                    tx.update(
                        Update::new(Account::key("b", format!("acc{to:02}")))
                            .add(a.balance, amount),
                    );
                    match tx.commit().await {
                        Ok(()) => done += 1,
                        Err(Error::TransactionCanceled(_)) => refused += 1,
                        Err(e) if e.is_retryable() => refused += 1,
                        Err(e) => panic!("{e}"),
                    }
                }
                (done, refused)
            })
        })
        .collect();
    let mut done = 0;
    for t in tasks {
        done += t.await.unwrap().0;
    }
    let keys: Vec<_> = (0..20)
        .map(|i| Account::key("b", format!("acc{i:02}")))
        .collect();
    let all = store.get_many(keys).await.unwrap();
    let balances: Vec<i64> = all.into_iter().map(|a| a.unwrap().balance).collect();
    assert_eq!(balances.iter().sum::<i64>(), 2000, "money was made or lost");
    assert!(
        balances.iter().all(|b| *b >= 0),
        "a balance went negative: {balances:?}"
    );
    assert!(done > 0, "some transfers went through");
}

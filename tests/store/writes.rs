//! The write side: conditions, updates, versions, transactions and batch
//! reads, the same on every backend.

use std::collections::{BTreeSet, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use blue_schema::write::CancelReason;
use blue_schema::{Condition, Entity, Error, Store, Table, Update};
use serde::{Deserialize, Serialize};

#[derive(Table, Debug)]
#[table(name = "blue_bank")]
pub enum Bank {
    Account(Account),
    Counter(Counter),
    Tally(Tally),
    Tagged(Tagged),
    Ledger(Ledger),
}

/// An entity with a `#[serde(default)]` field that is not an `Option`.
#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[entity(table = Bank)]
#[sk(prefix = "LEDGER")]
pub struct Ledger {
    #[pk]
    pub name: String,
    pub n: u32,
    #[serde(default)]
    pub lines: Vec<String>,
}

/// An entity with DynamoDB sets.
#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[entity(table = Bank)]
#[sk(prefix = "TAGGED")]
pub struct Tagged {
    #[pk]
    pub name: String,
    #[set]
    #[serde(default)]
    pub tags: BTreeSet<String>,
    #[set]
    #[serde(default)]
    pub codes: HashSet<u32>,
    pub note: Option<String>,
}

pub fn tagged(name: &str, tags: &[&str], codes: &[u32]) -> Tagged {
    Tagged {
        name: name.into(),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        codes: codes.iter().copied().collect(),
        note: None,
    }
}

/// A bank account.
#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[entity(table = Bank)]
#[sk(prefix = "ACCOUNT")]
pub struct Account {
    #[pk]
    pub bank: String,
    #[sk]
    pub id: String,
    pub owner: String,
    pub balance: i64,
    pub opened: u32,
    pub note: Option<String>,
    pub tags: Vec<String>,
}

/// A versioned counter.
#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[entity(table = Bank)]
#[sk(prefix = "COUNTER")]
pub struct Counter {
    #[pk]
    pub name: String,
    pub value: u64,
    #[version]
    pub version: u64,
}

/// An unversioned counter.
#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[entity(table = Bank)]
#[sk(prefix = "TALLY")]
pub struct Tally {
    #[pk]
    pub name: String,
    pub n: u32,
    pub label: Option<String>,
}

pub fn account(id: &str, balance: i64) -> Account {
    Account {
        bank: "b".into(),
        id: id.into(),
        owner: format!("owner-{id}"),
        balance,
        opened: 2020,
        note: None,
        tags: Vec::new(),
    }
}

async fn setup(store: &Store) {
    store.create_table::<Bank>().await.unwrap();
}

pub async fn failed_conditions_write_nothing_and_carry_the_item(store: Store) {
    setup(&store).await;
    let a = Account::attr();
    store.put(&account("x", 10)).await.unwrap();

    let mut changed = account("x", 99);
    changed.note = Some("changed".into());
    match store.put(&changed).when(a.balance.ge(50)).await {
        Err(Error::ConditionFailed(c)) => {
            assert_eq!(c.current::<Account>(), Some(&account("x", 10)));
            assert_eq!(
                (c.partition_key.as_str(), c.sort_key.as_str()),
                ("b", "ACCOUNT#x")
            );
        }
        other => panic!("expected ConditionFailed, got {other:?}"),
    }
    let stored = store.get(Account::key("b", "x")).await.unwrap().unwrap();
    assert_eq!(stored, account("x", 10), "nothing was written");

    store.put(&changed).when(a.balance.lt(50)).await.unwrap();
    assert_eq!(
        store.get(Account::key("b", "x")).await.unwrap(),
        Some(changed.clone())
    );

    // A condition on a missing item: comparisons fail, not_exists holds.
    match store.put(&account("y", 1)).when(a.balance.eq(0)).await {
        Err(Error::ConditionFailed(c)) => assert!(c.current::<Account>().is_none()),
        other => panic!("expected ConditionFailed, got {other:?}"),
    }
    store
        .put(&account("y", 1))
        .when(Condition::not_exists())
        .await
        .unwrap();

    // Delete under a condition.
    match store
        .delete(Account::key("b", "x"))
        .when(a.owner.eq("nobody"))
        .await
    {
        Err(Error::ConditionFailed(c)) => assert_eq!(c.into_current::<Account>(), Some(changed)),
        other => panic!("expected ConditionFailed, got {other:?}"),
    }
    assert!(store.get(Account::key("b", "x")).await.unwrap().is_some());
    let old = store
        .delete(Account::key("b", "x"))
        .when(a.owner.eq("owner-x"))
        .returning_old()
        .await
        .unwrap();
    assert_eq!(old.map(|o| o.balance), Some(99));
    assert!(store.get(Account::key("b", "x")).await.unwrap().is_none());

    // Create keeps its own error.
    assert!(matches!(
        store.create(&account("y", 5)).await,
        Err(Error::AlreadyExists { .. })
    ));
}

pub async fn conditions_follow_dynamodb_rules(store: Store) {
    setup(&store).await;
    let a = Account::attr();
    let mut item = account("c", 5);
    item.owner = "😀".into();
    item.tags = vec!["red".into(), "blue".into()];
    store.put(&item).await.unwrap();
    let holds = |c: Condition<Account>| {
        let store = store.clone();
        let item = item.clone();
        async move {
            match store.put(&item).when(c.clone()).await {
                Ok(()) => true,
                Err(Error::ConditionFailed(_)) => false,
                Err(e) => panic!("{c:?}: {e:?}"),
            }
        }
    };
    // `None` is an absent attribute: `ne` on it holds, comparisons do not.
    assert!(holds(a.note.not_exists()).await);
    assert!(!holds(a.note.exists()).await);
    assert!(holds(a.note.ne("x")).await);
    assert!(!holds(a.note.eq("x")).await);
    // UTF-16 code units.
    assert!(holds(a.owner.size().eq(2)).await);
    assert!(holds(a.tags.size().eq(2)).await);
    assert!(holds(a.tags.contains("blue")).await);
    assert!(!holds(a.tags.contains("green")).await);
    assert!(holds(a.balance.between(5, 6)).await);
    assert!(holds(a.balance.is_in([1, 5, 9])).await);
    assert!(!holds(a.balance.is_in([1, 9])).await);
    assert!(holds(a.id.begins_with("c")).await);
    assert!(holds(a.bank.eq("b") & !a.balance.gt(5)).await);
    assert!(holds(a.balance.gt(100) | a.opened.ge(2020)).await);
    assert!(holds(Condition::exists()).await);
    assert!(!holds(Condition::not_exists()).await);
    // Strings compare by UTF-8 bytes: "Z" < "a" < "é".
    let mut s = item.clone();
    s.note = Some("a".into());
    store.put(&s).await.unwrap();
    let item = s;
    let holds = |c: Condition<Account>| {
        let store = store.clone();
        let item = item.clone();
        async move { store.put(&item).when(c).await.is_ok() }
    };
    assert!(holds(a.note.gt("Z")).await);
    assert!(holds(a.note.lt("é")).await);
    assert!(holds(a.note.contains("a")).await);
}

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

async fn cancelled(result: Result<(), Error>) -> Vec<CancelReason> {
    match result {
        Err(Error::TransactionCanceled(t)) => t.reasons,
        other => panic!("expected TransactionCanceled, got {other:?}"),
    }
}

pub async fn transactions_are_all_or_nothing(store: Store) {
    setup(&store).await;
    let a = Account::attr();
    store.put(&account("t1", 50)).await.unwrap();
    store.put(&account("t2", 0)).await.unwrap();
    store.put(&account("t4", 0)).await.unwrap();

    let mut tx = store.transaction();
    tx.update(
        Update::new(Account::key("b", "t1"))
            .subtract(a.balance, 80)
            .when(a.balance.ge(80)),
    );
    tx.update(Update::new(Account::key("b", "t2")).add(a.balance, 80));
    tx.create(&account("t3", 0));
    tx.check(Account::key("b", "t4"), a.owner.eq("someone else"));
    let reasons = cancelled(tx.commit().await).await;
    assert_eq!(reasons.len(), 4);
    match &reasons[0] {
        CancelReason::ConditionFailed(c) => {
            assert_eq!(c.current::<Account>(), Some(&account("t1", 50)))
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(reasons[1], CancelReason::None), "{:?}", reasons[1]);
    assert!(matches!(reasons[2], CancelReason::None));
    assert!(
        matches!(reasons[3], CancelReason::ConditionFailed(_)),
        "every failure is listed"
    );
    assert_eq!(
        store.get(Account::key("b", "t1")).await.unwrap(),
        Some(account("t1", 50))
    );
    assert_eq!(
        store.get(Account::key("b", "t2")).await.unwrap(),
        Some(account("t2", 0))
    );
    assert!(store.get(Account::key("b", "t3")).await.unwrap().is_none());

    let mut tx = store.transaction();
    tx.update(
        Update::new(Account::key("b", "t1"))
            .subtract(a.balance, 30)
            .when(a.balance.ge(30)),
    );
    tx.update(Update::new(Account::key("b", "t2")).add(a.balance, 30));
    tx.create(&account("t3", 0));
    tx.delete_when(Account::key("b", "t3x"), Condition::not_exists());
    tx.commit().await.unwrap();
    assert_eq!(
        store
            .get(Account::key("b", "t1"))
            .await
            .unwrap()
            .unwrap()
            .balance,
        20
    );
    assert_eq!(
        store
            .get(Account::key("b", "t2"))
            .await
            .unwrap()
            .unwrap()
            .balance,
        30
    );
    assert!(store.get(Account::key("b", "t3")).await.unwrap().is_some());

    // Checked before anything is sent.
    let mut tx = store.transaction();
    for i in 0..101 {
        tx.put(&account(&format!("many{i}"), 0));
    }
    assert!(matches!(
        tx.commit().await,
        Err(Error::InvalidTransaction { .. })
    ));
    let mut tx = store.transaction();
    tx.put(&account("dup", 0));
    tx.check(Account::key("b", "dup"), Condition::not_exists());
    assert!(matches!(
        tx.commit().await,
        Err(Error::InvalidTransaction { .. })
    ));
    let big = "x".repeat(390 * 1024);
    let mut tx = store.transaction();
    for i in 0..11 {
        tx.put(&Account {
            owner: big.clone(),
            ..account(&format!("big{i}"), 0)
        });
    }
    assert!(matches!(
        tx.commit().await,
        Err(Error::InvalidTransaction { .. })
    ));
    let mut tx = store.transaction();
    tx.single_partition();
    tx.put(&account("p", 0));
    tx.put(&Tally {
        name: "elsewhere".into(),
        n: 0,
        label: None,
    });
    assert!(matches!(
        tx.commit().await,
        Err(Error::InvalidTransaction { .. })
    ));
    assert!(store.get(Account::key("b", "p")).await.unwrap().is_none());
    assert!(store
        .get(Account::key("b", "many0"))
        .await
        .unwrap()
        .is_none());

    // An update that would take an item past 400 KB cancels the
    // transaction, with the reason at its action.
    store
        .put(&Account {
            owner: "y".repeat(395 * 1024),
            ..account("fat", 0)
        })
        .await
        .unwrap();
    let mut tx = store.transaction();
    tx.update(Update::new(Account::key("b", "t1")).add(a.balance, 1));
    tx.update(Update::new(Account::key("b", "fat")).append(a.tags, ["z".repeat(8 * 1024)]));
    let reasons = cancelled(tx.commit().await).await;
    assert!(matches!(reasons[0], CancelReason::None), "{reasons:?}");
    assert!(
        matches!(reasons[1], CancelReason::ItemTooLarge),
        "{reasons:?}"
    );
    assert_eq!(
        store
            .get(Account::key("b", "t1"))
            .await
            .unwrap()
            .unwrap()
            .balance,
        20,
        "nothing was written"
    );

    // Rekey: a delete and a create in one transaction.
    let moved = account("t9", 30);
    store.rekey(Account::key("b", "t2"), &moved).await.unwrap();
    assert!(store.get(Account::key("b", "t2")).await.unwrap().is_none());
    assert_eq!(
        store.get(Account::key("b", "t9")).await.unwrap(),
        Some(moved.clone())
    );
    let reasons = cancelled(store.rekey(Account::key("b", "t2"), &moved).await).await;
    assert!(matches!(reasons[0], CancelReason::ConditionFailed(_)));
    assert!(matches!(reasons[1], CancelReason::AlreadyExists));
}

pub async fn a_token_applies_a_transaction_once(store: Store) {
    setup(&store).await;
    let t = Tally::attr();
    store
        .put(&Tally {
            name: "tok".into(),
            n: 0,
            label: None,
        })
        .await
        .unwrap();
    let token = format!("tok-{}", std::process::id());
    // A retry after an unknown outcome commits the same transaction again.
    let mut tx = store.transaction();
    tx.update(Update::new(Tally::key("tok")).add(t.n, 1));
    tx.token(token.clone());
    for _ in 0..3 {
        tx.commit().await.unwrap();
    }
    assert_eq!(store.get(Tally::key("tok")).await.unwrap().unwrap().n, 1);
    let mut tx = store.transaction();
    tx.update(Update::new(Tally::key("tok")).add(t.n, 5));
    tx.token(token);
    assert!(matches!(
        tx.commit().await,
        Err(Error::IdempotentParameterMismatch { .. })
    ));
    assert_eq!(store.get(Tally::key("tok")).await.unwrap().unwrap().n, 1);
}

pub async fn batch_and_transactional_reads_keep_the_callers_order(store: Store) {
    setup(&store).await;
    let accounts: Vec<Account> = (0..250).map(|i| account(&format!("g{i:03}"), i)).collect();
    store.put_all(&accounts).await.unwrap();
    let mut keys: Vec<_> = (0..260)
        .rev()
        .map(|i| Account::key("b", format!("g{i:03}")))
        .collect();
    keys.push(Account::key("b", "g007"));
    let read = store.get_many(keys).await.unwrap();
    assert_eq!(read.len(), 261);
    for (slot, i) in read.iter().zip((0..260).rev()) {
        assert_eq!(
            slot.as_ref().map(|a| a.balance),
            (i < 250).then_some(i as i64)
        );
    }
    assert_eq!(
        read[260].as_ref().map(|a| a.balance),
        Some(7),
        "a repeated key is returned again"
    );
    let snapshot = store
        .transact_get([
            Account::key("b", "g002"),
            Account::key("b", "zz"),
            Account::key("b", "g001"),
        ])
        .await
        .unwrap();
    let balances: Vec<Option<i64>> = snapshot
        .iter()
        .map(|a| a.as_ref().map(|a| a.balance))
        .collect();
    assert_eq!(balances, vec![Some(2), None, Some(1)]);
    assert!(matches!(
        store
            .transact_get([Account::key("b", "g002"), Account::key("b", "g002")])
            .await,
        Err(Error::InvalidTransaction { .. })
    ));
}

/// `#[set]` fields: stored as DynamoDB sets, absent when empty, changed by
/// `add_to` / `delete_from`, asked about with `contains`, `size` and
/// `exists`.
pub async fn sets_add_delete_and_vanish_when_empty(store: Store) {
    setup(&store).await;
    let t = Tagged::attr();
    let key = || Tagged::key("s");
    let get = || async { store.get(key()).await.unwrap().unwrap() };
    let stored_names = || async {
        let raw = store.query(Bank::partition("s")).raw().await.unwrap();
        let mut names: Vec<String> = raw[0]
            .attributes
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        names.sort();
        names
    };

    // An empty set is no attribute, and reads back empty.
    store.create(&tagged("s", &[], &[])).await.unwrap();
    assert_eq!(get().await, tagged("s", &[], &[]));
    assert_eq!(stored_names().await, ["name"]);
    store
        .put(&tagged("s", &[], &[]))
        .when(t.tags.not_exists() & t.codes.not_exists())
        .await
        .unwrap();

    // add_to creates the set, then adds only what it lacks.
    store
        .update(key())
        .add_to(t.tags, ["a", "b", "a"])
        .add_to(t.codes, [3, 1])
        .await
        .unwrap();
    assert_eq!(get().await, tagged("s", &["a", "b"], &[1, 3]));
    store
        .update(key())
        .add_to(t.tags, ["b", "c"])
        .await
        .unwrap();
    assert_eq!(get().await.tags, tagged("s", &["a", "b", "c"], &[]).tags);

    // Conditions on the set.
    let holds =
        |c: Condition<Tagged>| async { store.update(key()).set(t.note, "x").when(c).await.is_ok() };
    assert!(holds(t.tags.contains("c")).await);
    assert!(!holds(t.tags.contains("z")).await);
    assert!(holds(t.codes.contains(3u32)).await);
    assert!(holds(t.tags.size().eq(3)).await);
    assert!(holds(t.tags.exists()).await);
    assert!(!holds(t.tags.not_exists()).await);
    match store
        .update(key())
        .add_to(t.tags, ["q"])
        .when(t.codes.contains(9u32))
        .await
    {
        Err(Error::ConditionFailed(c)) => {
            assert_eq!(
                c.current::<Tagged>().map(|x| x.tags.len()),
                Some(3),
                "the current item decodes, sets included"
            )
        }
        other => panic!("{other:?}"),
    }

    // delete_from; an emptied set is removed.
    store
        .update(key())
        .delete_from(t.tags, ["a", "zz"])
        .await
        .unwrap();
    assert_eq!(get().await.tags, tagged("s", &["b", "c"], &[]).tags);
    store
        .update(key())
        .delete_from(t.tags, ["b", "c"])
        .delete_from(t.codes, [1, 3])
        .await
        .unwrap();
    assert_eq!(
        get().await,
        Tagged {
            note: Some("x".into()),
            ..tagged("s", &[], &[])
        }
    );
    assert_eq!(stored_names().await, ["name", "note"]);
    // Deleting from a missing set changes nothing.
    store
        .update(key())
        .delete_from(t.tags, ["a"])
        .await
        .unwrap();

    // set replaces the set; an empty set removes it; remove empties it.
    store
        .update(key())
        .set(t.codes, HashSet::from([7, 8]))
        .await
        .unwrap();
    assert_eq!(get().await.codes, HashSet::from([7, 8]));
    store
        .update(key())
        .set(t.codes, HashSet::new())
        .await
        .unwrap();
    assert!(get().await.codes.is_empty());
    store.update(key()).add_to(t.tags, ["k"]).await.unwrap();
    store.update(key()).remove(t.tags).await.unwrap();
    assert_eq!(stored_names().await, ["name", "note"]);

    // put, modify (which conditions on every attribute as read, sets as
    // sets whatever their order) and transactions keep sets.
    let full = tagged("s", &["m", "n", "o"], &[5, 10, 200]);
    store.put(&full).await.unwrap();
    assert_eq!(get().await, full);
    let changed = store
        .modify(key(), |x: &mut Tagged| {
            x.tags.insert("p".into());
        })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(changed.tags.len(), 4);
    let mut tx = store.transaction();
    tx.update(
        Update::new(key())
            .delete_from(t.tags, ["m"])
            .add_to(t.codes, [6]),
    );
    tx.commit().await.unwrap();
    let after = get().await;
    assert_eq!(after.tags, tagged("s", &["n", "o", "p"], &[]).tags);
    assert_eq!(after.codes, HashSet::from([5, 6, 10, 200]));
    // A set written by a transaction's put (and a rekey's create) is a set:
    // elements can be added to it; set_if_absent leaves a set alone.
    let mut tx = store.transaction();
    tx.put(&tagged("s", &["q"], &[1]));
    tx.commit().await.unwrap();
    store
        .update(key())
        .add_to(t.tags, ["r"])
        .set_if_absent(t.codes, HashSet::from([9]))
        .await
        .unwrap();
    let after = get().await;
    assert_eq!(after.tags, tagged("s", &["q", "r"], &[]).tags);
    assert_eq!(after.codes, HashSet::from([1]));
    store
        .rekey(key(), &tagged("s2", &["q", "r"], &[1]))
        .await
        .unwrap();
    store
        .update(Tagged::key("s2"))
        .add_to(t.codes, [2])
        .delete_from(t.tags, ["q"])
        .set_if_absent(t.note, "n")
        .await
        .unwrap();
    assert_eq!(
        store.get(Tagged::key("s2")).await.unwrap().unwrap(),
        Tagged {
            note: Some("n".into()),
            ..tagged("s2", &["r"], &[1, 2])
        }
    );
    store
        .update(Tagged::key("s2"))
        .remove(t.tags)
        .set_if_absent(t.tags, BTreeSet::from(["new".to_owned()]))
        .await
        .unwrap_err();
    // An update that creates an item need not set its sets.
    store
        .update(Tagged::key("fresh"))
        .add_to(t.tags, ["new"])
        .or_create()
        .await
        .unwrap();
    assert_eq!(
        store.get(Tagged::key("fresh")).await.unwrap(),
        Some(tagged("fresh", &["new"], &[]))
    );
}

/// A set counts the sum of its elements in the item size (no list
/// overhead), as DynamoDB counts it: an item of exactly 400 KB is stored on
/// every backend, one byte more is refused on every backend.
pub async fn sets_count_their_elements_in_the_item_size(store: Store) {
    setup(&store).await;
    let t = Tagged::attr();
    let overhead = "pk".len()
        + 1
        + "sk".len()
        + "TAGGED".len()
        + 2 * ("created_at".len() + 24)
        + "name".len()
        + 1
        + "tags".len();
    let room = blue_schema::limits::MAX_ITEM_BYTES - overhead;
    let element = |i: usize, len: usize| format!("{i:04}{}", "x".repeat(len - 4));
    let mut tags: BTreeSet<String> = (0..room / 1000).map(|i| element(i, 1000)).collect();
    tags.insert(element(9999, room % 1000 + 1000));
    tags.remove(&element(0, 1000));
    let mut item = Tagged {
        name: "z".into(),
        tags,
        codes: HashSet::new(),
        note: None,
    };
    assert_eq!(item.tags.iter().map(String::len).sum::<usize>(), room);
    store.put(&item).await.unwrap();
    assert_eq!(
        store.get(Tagged::key("z")).await.unwrap().as_ref(),
        Some(&item)
    );
    // One byte more: refused before it is sent, on every backend.
    item.tags.insert("+".into());
    assert!(matches!(store.put(&item).await, Err(Error::Limit(_))));
    // An update that would pass the limit is refused too, and changes nothing.
    let refused = store.update(Tagged::key("z")).add_to(t.tags, ["+"]).await;
    assert!(matches!(refused, Err(Error::Limit(_))), "{refused:?}");
    assert_eq!(
        store
            .get(Tagged::key("z"))
            .await
            .unwrap()
            .unwrap()
            .tags
            .len(),
        item.tags.len() - 1
    );
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

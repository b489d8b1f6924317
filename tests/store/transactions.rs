//! Write transactions (all or nothing, once per token) and batch and
//! transactional reads.

use blue_schema::write::CancelReason;
use blue_schema::{Condition, Error, Store, Update};

use crate::write_entities::{account, cancelled, setup, Account, Tally};

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
    let result = tx.commit().await;
    // The message names each failed action by its key, and only those.
    assert_eq!(
        result.as_ref().unwrap_err().to_string(),
        "the transaction was cancelled, nothing written: \
         action 0 (`b | ACCOUNT#t1` of `blue_bank`): its condition failed; \
         action 3 (`b | ACCOUNT#t4` of `blue_bank`): its condition failed"
    );
    if let Err(Error::TransactionCanceled(t)) = &result {
        assert_eq!(t.keys.len(), 4);
        assert_eq!(t.keys[2].sort_key, "ACCOUNT#t3");
        assert_eq!(t.reasons[1].to_string(), "cancelled with the others");
    }
    let reasons = cancelled(result).await;
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

//! Conditional writes: what a refused condition writes (nothing) and
//! carries (the stored item), and DynamoDB's comparison rules.

use blue_schema::{Condition, Error, Store};

use crate::write_entities::{account, setup, Account};

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
    // Grouping is kept: NOT binds before AND before OR, and a request
    // writes only the parentheses that needs.
    let (yes, also, no) = (|| a.balance.eq(5), || a.bank.eq("b"), || a.balance.gt(100));
    assert!(!holds((yes() | also()) & no()).await);
    assert!(holds(no() & also() | yes()).await);
    assert!(holds(!(yes() & no())).await);
    assert!(!holds(!(no() | yes())).await);
    assert!(holds(!!yes()).await);
    assert!(!holds(!(yes() & also()) | no()).await);
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

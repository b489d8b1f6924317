//! `#[set]` fields: DynamoDB sets on every backend.

use std::collections::{BTreeSet, HashSet};

use blue_schema::{Condition, Error, Store, Update};

use crate::write_entities::{setup, tagged, Bank, Tagged};

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

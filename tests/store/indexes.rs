//! Secondary indexes: membership (sparse), index keys kept in step with
//! their fields on every write path, typed index queries, filters with
//! DynamoDB's page rules, keys-only projections, limits, and adding an
//! index to a table that holds items.
//!
//! DynamoDB's indexes are eventually consistent: a write may show in an
//! index only after a while, and an index may still show an entry a write
//! removed. Every assertion about an index's contents after a write goes
//! through [`settled`], which polls (SQLite and the emulator answer at
//! once), so the suite holds against a real endpoint too.

use blue_schema::limits::LimitError;
use blue_schema::{Entity, Error, IntoQuery, Key, Query, Store, Table, Update};
use blue_schema_examples::dialogue::*;
use serde::{Deserialize, Serialize};

use crate::support::settled;

/// A table of tasks: one partition per board, and two indexes across
/// boards: tasks by owner (sparse: a task without an owner is in no
/// owner's list), by due date, and their keys by title.
#[derive(Table, Debug, Clone, PartialEq)]
#[table(name = "blue_board", indexes(gsi1, gsi2))]
pub enum Board {
    Task(Task),
}

#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[entity(table = Board)]
#[sk(prefix = "TASK")]
#[index(gsi1, name = by_owner, pk(prefix = "OWNER", fields(owner)), sk(fields(due)))]
#[index(gsi2, name = by_title, pk(fields(title)), project = keys_only)]
pub struct Task {
    #[pk]
    pub board: String,
    #[sk]
    pub id: u32,
    pub owner: Option<String>,
    pub due: u32,
    pub title: String,
    pub points: i64,
    #[serde(default)]
    pub note: String,
}

pub fn task(board: &str, id: u32, owner: Option<&str>, due: u32) -> Task {
    Task {
        board: board.into(),
        id,
        owner: owner.map(Into::into),
        due,
        title: format!("t{id}"),
        points: i64::from(id),
        note: String::new(),
    }
}

async fn all<R: blue_schema::FromItem + Send + 'static>(store: &Store, q: Query<R>) -> Vec<R> {
    store.query(q).all().await.unwrap()
}

/// Every page of `q`, resumed by cursor: each page's items, and whether
/// it had a cursor.
pub(crate) async fn pages<R: blue_schema::FromItem + Send + 'static>(
    store: &Store,
    q: Query<R>,
) -> Vec<(Vec<R>, bool)> {
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let mut next = q.clone();
        if let Some(c) = cursor.take() {
            next = next.after(c);
        }
        let page = store.query(next).page().await.unwrap();
        let more = page.cursor.is_some();
        out.push((page.items, more));
        match page.cursor {
            Some(c) => cursor = Some(c),
            None => return out,
        }
        assert!(out.len() < 50, "the read does not end");
    }
}

fn ids(tasks: &[Task]) -> Vec<(String, u32)> {
    tasks.iter().map(|t| (t.board.clone(), t.id)).collect()
}

async fn owned_by(store: &Store, owner: &str) -> Vec<(String, u32)> {
    ids(&all(store, Task::by_owner(owner).into()).await)
}

/// Settles on the owner's list being `want`, and asserts it is.
async fn assert_owned(store: &Store, owner: &str, want: &[(&str, u32)]) {
    let want: Vec<(String, u32)> = want.iter().map(|(b, i)| ((*b).into(), *i)).collect();
    let found = settled(|| owned_by(store, owner), |got| *got == want).await;
    assert_eq!(found, want, "tasks of {owner}");
}

pub async fn index_queries_read_across_partitions(store: Store) {
    store.create_table::<Dialogue>().await.unwrap();
    let expert = |d: &str, name: &str, role: &str, tier: u8| Expert {
        dialogue_id: d.into(),
        name: name.into(),
        role: role.into(),
        tier,
        score: 0,
    };
    for e in [
        expert("d1", "muffin", "skeptic", 2),
        expert("d2", "muffin", "skeptic", 1),
        expert("d2", "apple", "skeptic", 2),
        expert("d1", "zed", "optimist", 1),
        expert("d3", "kiwi", "skeptic", 3),
    ] {
        store.put(&e).await.unwrap();
    }
    let names = |found: &[Expert]| {
        found
            .iter()
            .map(|e| format!("{}/{}", e.dialogue_id, e.name))
            .collect::<Vec<_>>()
    };
    // By tier, then by table key (`d1` before `d2` at tier 2).
    let skeptics = settled(
        || async { all(&store, Expert::by_role("skeptic").into()).await },
        |found| found.len() == 4,
    )
    .await;
    assert_eq!(
        names(&skeptics),
        ["d2/muffin", "d1/muffin", "d2/apple", "d3/kiwi"]
    );
    // Each read polls too: an eventually consistent read after another
    // may still come from a replica that lags.
    let read = |q: Query<Expert>, want: &'static [&'static str]| {
        let store = &store;
        async move {
            settled(
                || all(store, q.clone()),
                |found: &Vec<Expert>| names(found) == want,
            )
            .await
        }
    };
    let reversed = read(
        Expert::by_role("skeptic").reverse().into(),
        &["d3/kiwi", "d2/apple", "d1/muffin", "d2/muffin"],
    )
    .await;
    assert_eq!(
        names(&reversed),
        ["d3/kiwi", "d2/apple", "d1/muffin", "d2/muffin"]
    );
    let tier_2 = read(
        Expert::by_role("skeptic").tier(2u8).into(),
        &["d1/muffin", "d2/apple"],
    )
    .await;
    assert_eq!(names(&tier_2), ["d1/muffin", "d2/apple"]);
    let below_3 = read(
        Expert::by_role("skeptic").tier_lt(3u8),
        &["d2/muffin", "d1/muffin", "d2/apple"],
    )
    .await;
    assert_eq!(below_3.len(), 3);
    let from_2 = read(
        Expert::by_role("skeptic").tier_ge(2u8),
        &["d1/muffin", "d2/apple", "d3/kiwi"],
    )
    .await;
    assert_eq!(names(&from_2), ["d1/muffin", "d2/apple", "d3/kiwi"]);
    let between = read(
        Expert::by_role("skeptic").tier_between(1u8, 2u8),
        &["d2/muffin", "d1/muffin", "d2/apple"],
    )
    .await;
    assert_eq!(between.len(), 3);
    assert!(read(Expert::by_role("nobody").into(), &[]).await.is_empty());
    // Other entities of the table are not in this index partition.
    assert_eq!(
        read(Expert::by_role("optimist").into(), &["d1/zed"])
            .await
            .len(),
        1
    );
    // The spec says where it reads.
    let spec = Expert::by_role("skeptic").tier(2u8).spec();
    assert!(!spec.consistent, "index reads are eventually consistent");
    assert_eq!(spec.index.unwrap().slot.name, "gsi1");
    assert_eq!(
        spec.to_string(),
        r#"Query blue_dialogue index gsi1: gsi1pk = "ROLE#skeptic" AND begins_with(gsi1sk, "EXPERT#002#"), ascending, eventually consistent"#
    );
}

pub async fn sparse_membership_follows_the_fields(store: Store) {
    store.create_table::<Board>().await.unwrap();
    store.put(&task("b1", 1, Some("ann"), 5)).await.unwrap();
    store.put(&task("b1", 2, None, 5)).await.unwrap();
    store.put(&task("b2", 3, Some("ann"), 1)).await.unwrap();
    assert_owned(&store, "ann", &[("b2", 3), ("b1", 1)]).await;
    // No empty, null or prefix-only key is ever stored for a `None`.
    let raw = store.query(Board::partition("b1")).raw().await.unwrap();
    let attributes = |id: &str| {
        raw.iter()
            .find(|i| i.sort_key.ends_with(id))
            .unwrap()
            .attributes
            .clone()
    };
    let without = attributes("0000000002");
    assert!(without.get("gsi1pk").is_none() && without.get("gsi1sk").is_none());
    assert_eq!(without["gsi2pk"], "t2", "the other index still holds it");
    let with = attributes("0000000001");
    assert_eq!(with["gsi1pk"], "OWNER#ann");
    assert_eq!(with["gsi1sk"], "TASK#0000000005#b1#TASK%230000000001");

    // An update gives task 2 an owner: it joins the index.
    store
        .update(Task::key("b1", 2u32))
        .set_index(TaskByOwner {
            owner: Some("ann".into()),
            due: 0,
        })
        .await
        .unwrap();
    assert_owned(&store, "ann", &[("b1", 2), ("b2", 3), ("b1", 1)]).await;
    // An update takes task 1's owner away: it leaves the index.
    store
        .update(Task::key("b1", 1u32))
        .set_index(TaskByOwner {
            owner: None,
            due: 9,
        })
        .await
        .unwrap();
    assert_owned(&store, "ann", &[("b1", 2), ("b2", 3)]).await;
    let one = store.get(Task::key("b1", 1u32)).await.unwrap().unwrap();
    assert_eq!((one.owner, one.due), (None, 9));
    // A put that replaces the item with `None` takes it out too.
    store.put(&task("b2", 3, None, 1)).await.unwrap();
    assert_owned(&store, "ann", &[("b1", 2)]).await;
    // And a delete.
    store.delete(Task::key("b1", 2u32)).await.unwrap();
    assert_owned(&store, "ann", &[]).await;
}

pub async fn every_write_path_keeps_index_keys(store: Store) {
    store.create_table::<Board>().await.unwrap();
    // create, put_all
    store.create(&task("b", 1, Some("a"), 1)).await.unwrap();
    store
        .put_all(&[task("b", 2, Some("a"), 2), task("b", 3, Some("c"), 3)])
        .await
        .unwrap();
    assert_owned(&store, "a", &[("b", 1), ("b", 2)]).await;
    // An update that creates the item (with every field of the key).
    store
        .update(Task::key("b", 4u32))
        .set_index(TaskByOwner {
            owner: Some("a".into()),
            due: 4,
        })
        .set_index(TaskByTitle { title: "t4".into() })
        .set(Task::attr().points, 4)
        .or_create()
        .await
        .unwrap();
    assert_owned(&store, "a", &[("b", 1), ("b", 2), ("b", 4)]).await;
    // `modify` rewrites the whole item: the keys follow the fields.
    store
        .modify(Task::key("b", 1u32), |t: &mut Task| {
            t.owner = Some("c".into())
        })
        .await
        .unwrap();
    assert_owned(&store, "a", &[("b", 2), ("b", 4)]).await;
    assert_owned(&store, "c", &[("b", 1), ("b", 3)]).await;
    // A transaction: an update and a put.
    let mut tx = store.transaction();
    tx.update(Update::new(Task::key("b", 2u32)).set_index(TaskByOwner {
        owner: Some("c".into()),
        due: 0,
    }));
    tx.put(&task("b", 5, Some("a"), 5));
    tx.commit().await.unwrap();
    assert_owned(&store, "a", &[("b", 4), ("b", 5)]).await;
    assert_owned(&store, "c", &[("b", 2), ("b", 1), ("b", 3)]).await;
    // `rekey` moves the item: the index follows its new key.
    store
        .rekey(Task::key("b", 5u32), &task("z", 5, Some("a"), 5))
        .await
        .unwrap();
    assert_owned(&store, "a", &[("b", 4), ("z", 5)]).await;
    // A refused update changes no index key.
    let refused = store
        .update(Task::key("b", 4u32))
        .set_index(TaskByOwner {
            owner: Some("c".into()),
            due: 4,
        })
        .when(Task::attr().points.gt(100))
        .await;
    assert!(
        matches!(refused, Err(Error::ConditionFailed(_))),
        "{refused:?}"
    );
    assert_owned(&store, "a", &[("b", 4), ("z", 5)]).await;
    // The keys-only index follows the title, which no update can set alone.
    let keys: Vec<Key<Task>> = settled(
        || async { all(&store, Task::by_title("t4").into()).await },
        |k: &Vec<Key<Task>>| k.len() == 1,
    )
    .await;
    assert_eq!(keys, vec![Task::key("b", 4u32)]);
}

pub async fn keys_only_patterns_return_keys(store: Store) {
    store.create_table::<Board>().await.unwrap();
    for id in 0..5 {
        let mut t = task(&format!("b{}", id % 2), id, None, id);
        t.title = "same".into();
        store.put(&t).await.unwrap();
    }
    let keys: Vec<Key<Task>> = settled(
        || async { all(&store, Task::by_title("same").into()).await },
        |k: &Vec<Key<Task>>| k.len() == 5,
    )
    .await;
    // Ties on the index key come in table-key order.
    let expected: Vec<Key<Task>> = [(0, 0), (0, 2), (0, 4), (1, 1), (1, 3)]
        .iter()
        .map(|(b, id)| Task::key(format!("b{b}"), *id as u32))
        .collect();
    assert_eq!(keys, expected);
    // The items, fetched by key.
    let items = store.get_many(keys).await.unwrap();
    assert!(items
        .iter()
        .all(|i| i.as_ref().is_some_and(|t| t.title == "same")));
    // Pages of two, resumed by cursor.
    let paged: Vec<Key<Task>> = settled(
        || async {
            pages(&store, Task::by_title("same").page_size(2).into())
                .await
                .into_iter()
                .flat_map(|(items, _)| items)
                .collect::<Vec<_>>()
        },
        |paged| *paged == expected,
    )
    .await;
    assert_eq!(paged, expected);
}

pub async fn filters_count_evaluated_items(store: Store) {
    store.create_table::<Board>().await.unwrap();
    // Ten tasks of one owner; the even ones are worth points.
    for id in 0..10u32 {
        let mut t = task("b", id, Some("f"), id);
        t.points = if id % 2 == 0 { 10 } else { 0 };
        store.put(&t).await.unwrap();
    }
    let rich = || Task::attr().points.gt(5);
    settled(|| owned_by(&store, "f"), |got| got.len() == 10).await;
    // Pages of 3 evaluated items: 3+3+3+1 evaluated, matches 2,1,2,0.
    let read = settled(
        || {
            pages(
                &store,
                Task::by_owner("f").filter(rich()).page_size(3).into(),
            )
        },
        |read| {
            read.iter()
                .map(|(items, more)| (items.len(), *more))
                .collect::<Vec<_>>()
                == [(2, true), (1, true), (2, true), (0, false)]
        },
    )
    .await;
    let shapes: Vec<(usize, bool)> = read
        .iter()
        .map(|(items, more)| (items.len(), *more))
        .collect();
    let matched: Vec<u32> = read
        .iter()
        .flat_map(|(items, _)| items.iter().map(|t| t.id))
        .collect();
    assert_eq!(shapes, [(2, true), (1, true), (2, true), (0, false)]);
    assert_eq!(matched, [0, 2, 4, 6, 8]);
    // A page can be empty and still have a cursor.
    let none = settled(
        || async {
            store
                .query(
                    Task::by_owner("f")
                        .filter(Task::attr().points.gt(1000))
                        .page_size(4),
                )
                .page()
                .await
                .unwrap()
        },
        |none| none.items.is_empty() && none.cursor.is_some(),
    )
    .await;
    assert!(none.items.is_empty() && none.cursor.is_some());
    // "n matches": take(2) reads until two match.
    let two: Vec<u32> = settled(
        || async {
            all(
                &store,
                Task::by_owner("f").filter(rich()).into_query().take(2),
            )
            .await
            .iter()
            .map(|t| t.id)
            .collect::<Vec<u32>>()
        },
        |two| *two == [0, 2],
    )
    .await;
    assert_eq!(two, [0, 2]);
    // With a bound on the pages: two pages of 2 evaluated items, 2 matches.
    let bounded = settled(
        || {
            all(
                &store,
                Task::by_owner("f")
                    .filter(rich())
                    .page_size(2)
                    .max_pages(2)
                    .into_query()
                    .take(5),
            )
        },
        |bounded| bounded.iter().map(|t| t.id).collect::<Vec<_>>() == [0, 2],
    )
    .await;
    assert_eq!(bounded.iter().map(|t| t.id).collect::<Vec<_>>(), [0, 2]);
    // Filters on a table query too, with the same rules.
    let table = store
        .query(Task::query("b").filter(rich()).page_size(5))
        .page()
        .await
        .unwrap();
    assert_eq!(
        table.items.iter().map(|t| t.id).collect::<Vec<_>>(),
        [0, 2, 4]
    );
    assert!(table.cursor.is_some());
    // An invalid filter is refused before anything is read.
    let bad = store
        .query(Task::by_owner("f").filter(Task::attr().points.is_in(Vec::<i64>::new())))
        .page()
        .await;
    assert!(matches!(bad, Err(Error::Query(_))), "{bad:?}");
    let zero = store.query(Task::by_owner("f").max_pages(0)).all().await;
    assert!(matches!(zero, Err(Error::Query(_))), "{zero:?}");
}

pub async fn index_keys_obey_the_key_limits(store: Store) {
    store.create_table::<Board>().await.unwrap();
    // The index sort key holds the table key: a long board name and a long
    // owner fit the table's keys but not the index's 1 024 bytes.
    let mut long = task(&"b".repeat(1000), 1, Some("o"), 1);
    long.title = "x".into();
    let refused = store.put(&long).await;
    assert!(
        matches!(
            refused,
            Err(Error::Limit(LimitError::IndexKeyTooLong { ref attribute, max: 1024, .. }))
                if attribute == "gsi1sk"
        ),
        "{refused:?}"
    );
    assert!(
        store.get(long.key()).await.unwrap().is_none(),
        "nothing written"
    );
    // The same through an update that sets the index fields.
    store
        .put(&task(&"b".repeat(1000), 2, None, 1))
        .await
        .unwrap();
    let refused = store
        .update(Task::key("b".repeat(1000), 2u32))
        .set_index(TaskByOwner {
            owner: Some("o".into()),
            due: 1,
        })
        .await;
    assert!(
        matches!(
            refused,
            Err(Error::Limit(LimitError::IndexKeyTooLong { .. }))
        ),
        "{refused:?}"
    );
    // An index partition key of one empty string is refused, not written
    // empty (a title is the whole key of `by_title`).
    let mut empty = task("b", 3, None, 1);
    empty.title = String::new();
    let refused = store.put(&empty).await;
    assert!(
        matches!(refused, Err(Error::Limit(LimitError::EmptyIndexKey { ref attribute })) if attribute == "gsi2pk"),
        "{refused:?}"
    );
}

pub async fn index_items_count_their_keys_in_the_size(store: Store) {
    store.create_table::<Board>().await.unwrap();
    // The longest note an item without an owner can hold...
    let with_note = |owner: Option<&str>, n: usize| {
        let mut t = task("b", 1, owner, 1);
        t.note = "n".repeat(n);
        t
    };
    let (mut fits, mut too_long) = (400 * 1024 - 400, 400 * 1024);
    while too_long - fits > 1 {
        let mid = (fits + too_long) / 2;
        match store.put(&with_note(None, mid)).await {
            Ok(()) => fits = mid,
            Err(Error::Limit(LimitError::ItemTooLarge { .. })) => too_long = mid,
            Err(e) => panic!("{e}"),
        }
    }
    // ...is too long with one: its index keys count in the item's size, on
    // every backend alike (DynamoDB counts them).
    let refused = store.put(&with_note(Some("owner"), fits)).await;
    assert!(
        matches!(refused, Err(Error::Limit(LimitError::ItemTooLarge { .. }))),
        "{refused:?}"
    );
    let shorter = fits - ("gsi1pkOWNER#owner".len() + "gsi1sk".len() + 45);
    store.put(&with_note(Some("owner"), shorter)).await.unwrap();
}

/// One table, `blue_later`, as three versions of a program see it: without
/// an index, with notes by tag, and with that pattern's key changed.
pub mod later {
    use blue_schema::{Entity, Table};
    use serde::{Deserialize, Serialize};

    #[derive(Table, Debug)]
    #[table(name = "blue_later")]
    pub enum Before {
        Note(Note),
    }

    #[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
    #[entity(table = Before)]
    #[sk(prefix = "NOTE")]
    pub struct Note {
        #[pk]
        pub book: String,
        #[sk]
        pub id: u32,
        pub tag: String,
    }

    #[derive(Table, Debug)]
    #[table(name = "blue_later", indexes(gsi1))]
    pub enum After {
        Note(TaggedNote),
    }

    #[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
    #[entity(table = After)]
    #[sk(prefix = "NOTE")]
    #[index(gsi1, name = by_tag, pk(fields(tag)))]
    pub struct TaggedNote {
        #[pk]
        pub book: String,
        #[sk]
        pub id: u32,
        pub tag: String,
    }

    #[derive(Table, Debug)]
    #[table(name = "blue_later", indexes(gsi1))]
    pub enum Changed {
        Note(PrefixedNote),
    }

    #[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
    #[entity(table = Changed)]
    #[sk(prefix = "NOTE")]
    #[index(gsi1, name = by_tag, pk(prefix = "TAG", fields(tag)), sk(fields(id)))]
    pub struct PrefixedNote {
        #[pk]
        pub book: String,
        #[sk]
        pub id: u32,
        pub tag: String,
    }
}

pub async fn an_index_added_later_holds_the_items_written_before(store: Store) {
    use later::*;
    store.create_table::<Before>().await.unwrap();
    let notes: Vec<Note> = (0..30)
        .map(|id| Note {
            book: format!("b{}", id % 3),
            id,
            tag: if id % 2 == 0 { "even" } else { "odd" }.into(),
        })
        .collect();
    store.put_all(&notes).await.unwrap();
    // The program that declares the index: the table gets it (on DynamoDB
    // an `UpdateTable`, waited for until active) and every item its keys.
    store.create_table::<After>().await.unwrap();
    let even = settled(
        || async { all(&store, TaggedNote::by_tag("even").into()).await },
        |found: &Vec<TaggedNote>| found.len() == 15,
    )
    .await;
    let mut expected: Vec<(String, u32)> = notes
        .iter()
        .filter(|n| n.tag == "even")
        .map(|n| (n.book.clone(), n.id))
        .collect();
    expected.sort();
    assert_eq!(
        even.iter()
            .map(|n| (n.book.clone(), n.id))
            .collect::<Vec<_>>(),
        expected,
        "in table-key order"
    );
    // Nothing left to do: every key is in place.
    let again = store.reindex::<After>().await.unwrap();
    assert_eq!((again.scanned, again.rewritten), (30, 0), "{again:?}");
    store.create_table::<After>().await.unwrap();
    // A changed access pattern on the same index: no table change, and a
    // reindex writes the new keys.
    store.create_table::<Changed>().await.unwrap();
    let changed = store.reindex::<Changed>().await.unwrap();
    assert_eq!(
        (changed.scanned, changed.rewritten),
        (30, 30),
        "{changed:?}"
    );
    let odd = settled(
        || async { all(&store, PrefixedNote::by_tag("odd").into()).await },
        |found: &Vec<PrefixedNote>| found.len() == 15,
    )
    .await;
    let ids: Vec<u32> = odd.iter().map(|n| n.id).collect();
    assert_eq!(
        ids,
        (0..30).filter(|i| i % 2 == 1).collect::<Vec<u32>>(),
        "by id"
    );
    // The old keys are gone: the old pattern's partition is empty.
    let stale = settled(
        || async { all(&store, TaggedNote::by_tag("odd").into()).await },
        |found: &Vec<TaggedNote>| found.is_empty(),
    )
    .await;
    assert!(stale.is_empty(), "stale index entries: {stale:?}");
}

pub async fn index_pages_stop_at_one_megabyte_before_the_filter(store: Store) {
    store.create_table::<Board>().await.unwrap();
    // Twelve items of about 200 KB, in one index partition each way.
    for id in 0..12u32 {
        let mut t = task("b", id, Some("big"), id);
        t.title = "same".into();
        t.note = "n".repeat(200 * 1024);
        store.put(&t).await.unwrap();
    }
    settled(|| owned_by(&store, "big"), |got| got.len() == 12).await;
    // A filter that matches nothing: every page is cut at 1 MB of index
    // entries read (whole items: the index holds them all), before the
    // filter, so the read takes several pages, each empty with a cursor.
    let read = settled(
        || {
            pages(
                &store,
                Task::by_owner("big")
                    .filter(Task::attr().points.gt(1000))
                    .into(),
            )
        },
        |read| read.len() >= 3,
    )
    .await;
    assert!(read.iter().all(|(items, _)| items.is_empty()));
    let pages = read.len();
    assert!(pages >= 3, "12 items of 200 KB in {pages} pages");
    // `max_pages` bounds such a read.
    let bounded = store
        .query(
            Task::by_owner("big")
                .filter(Task::attr().points.gt(1000))
                .max_pages(2),
        )
        .all()
        .await
        .unwrap();
    assert!(bounded.is_empty());
    // A keys-only index's entries are the keys alone: one page holds all.
    let keys = settled(
        || async { store.query(Task::by_title("same")).page().await.unwrap() },
        |keys| keys.items.len() == 12,
    )
    .await;
    assert_eq!(keys.items.len(), 12);
    assert!(keys.cursor.is_none());
}

pub async fn querying_an_index_the_table_lacks_is_a_typed_error(store: Store) {
    use later::*;
    store.create_table::<Before>().await.unwrap();
    // The program that declares the index, before its `create_table`.
    let refused = store.query(TaggedNote::by_tag("even")).all().await;
    match refused {
        Err(Error::TableMismatch { table, found }) => {
            assert_eq!(table, "blue_later");
            assert!(found.contains("no index gsi1"), "{found}");
        }
        other => panic!("expected TableMismatch, got {other:?}"),
    }
}

//! Multi-attribute index keys: access patterns declared `attributes` read
//! an index keyed by the entity's own fields (DynamoDB's multi-attribute
//! keys; generated columns and a composite SQL index on SQLite), in the
//! order of their values with ties in table-key order, with exact
//! cursors, the same errors and the same limits on every backend.
//!
//! Index contents are polled ([`settled`]): DynamoDB's indexes are
//! eventually consistent.

use blue_schema::limits::LimitError;
use blue_schema::query::QueryError;
use blue_schema::{Entity, Error, IntoQuery, Key, Query, Store};

use crate::helpdesk::*;
use crate::support::settled;

/// The tickets of the queue test, written in no particular order.
fn tickets() -> Vec<Ticket> {
    vec![
        ticket("c2", 1, "web", 2, 100),
        ticket("c1", 2, "web", 10, -50),
        ticket("c1", 3, "web", 2, -7),
        ticket("c3", 4, "web", 1, 500),
        // Ties on (priority, opened_at): by table key, `pk` then `sk`.
        ticket("c2", 5, "web", 2, 100),
        ticket("c1", 6, "web", 2, 100),
        ticket("c1", 7, "mail", 2, 100),
        ticket("c9", 8, "web", 3, 0),
    ]
}

/// `tickets` of queue `queue` in the index's order: priority, opening
/// time (as numbers), then table key.
fn in_index_order(all: &[Ticket], queue: &str) -> Vec<Ticket> {
    let mut out: Vec<Ticket> = all.iter().filter(|t| t.queue == queue).cloned().collect();
    out.sort_by(|a, b| {
        let key = |t: &Ticket| {
            let (pk, sk) = t.key().into_parts();
            (t.priority, t.opened_at, pk, sk)
        };
        key(a).cmp(&key(b))
    });
    out
}

async fn all<R: blue_schema::FromItem + Send + 'static>(store: &Store, q: Query<R>) -> Vec<R> {
    store.query(q).all().await.unwrap()
}

/// The query, read until `want` holds (an index read may lag on AWS).
async fn read<R: blue_schema::FromItem + Send + 'static>(
    store: &Store,
    q: impl IntoQuery<Item = R>,
    want: impl Fn(&Vec<R>) -> bool,
) -> Vec<R> {
    let q = q.into_query();
    settled(|| all(store, q.clone()), want).await
}

pub async fn queries_read_the_fields_as_the_index_keys(store: Store) {
    store.create_table::<Helpdesk>().await.unwrap();
    let written = tickets();
    for t in &written {
        store.put(t).await.unwrap();
    }
    let web = in_index_order(&written, "web");
    assert_eq!(web.len(), 7);
    let got = read(&store, Ticket::by_queue("web"), |got| got.len() == 7).await;
    assert_eq!(
        got, web,
        "by priority, then opened_at as a number, then table key"
    );
    // Equality on the first sort attribute, a range on the next.
    let two = |t: &&Ticket| t.priority == 2;
    let expected: Vec<Ticket> = web.iter().filter(two).cloned().collect();
    let got = read(&store, Ticket::by_queue("web").priority(2), |g| {
        g.len() == 4
    })
    .await;
    assert_eq!(got, expected);
    let expected: Vec<Ticket> = web
        .iter()
        .filter(two)
        .filter(|t| t.opened_at > -7)
        .cloned()
        .collect();
    let got = read(
        &store,
        Ticket::by_queue("web").priority(2).opened_at_gt(-7),
        |g| g.len() == expected.len(),
    )
    .await;
    assert_eq!(got, expected);
    let expected: Vec<Ticket> = web
        .iter()
        .filter(|t| (-50..=0).contains(&t.opened_at) && t.priority == 2)
        .cloned()
        .collect();
    let got = read(
        &store,
        Ticket::by_queue("web")
            .priority(2)
            .opened_at_between(-50, 0),
        |g| g.len() == expected.len(),
    )
    .await;
    assert_eq!(got, expected);
    // Ranges on the first sort attribute: numbers, not text (10 > 3).
    let expected: Vec<Ticket> = web.iter().filter(|t| t.priority < 3).cloned().collect();
    let got = read(&store, Ticket::by_queue("web").priority_lt(3), |g| {
        g.len() == expected.len()
    })
    .await;
    assert_eq!(got, expected);
    let expected: Vec<Ticket> = web.iter().filter(|t| t.priority >= 3).cloned().collect();
    let got = read(&store, Ticket::by_queue("web").priority_ge(3), |g| {
        g.len() == expected.len()
    })
    .await;
    assert_eq!(got, expected);
    let got = read(&store, Ticket::by_queue("web").priority_le(1), |g| {
        g.len() == 1
    })
    .await;
    assert_eq!(got, web[..1].to_vec());
    // Descending: the exact reverse, ties included.
    let mut reversed = web.clone();
    reversed.reverse();
    let got = read(&store, Ticket::by_queue("web").reverse(), |g| g.len() == 7).await;
    assert_eq!(got, reversed);
    // Another queue is another partition.
    let got = read(&store, Ticket::by_queue("mail"), |g| g.len() == 1).await;
    assert_eq!(got, in_index_order(&written, "mail"));
    assert!(all(&store, Ticket::by_queue("nobody").into_query())
        .await
        .is_empty());
    // Counts, filtered or not.
    let count = settled(
        || async { store.query(Ticket::by_queue("web")).count().await.unwrap() },
        |n| *n == 7,
    )
    .await;
    assert_eq!(count, 7);
    let expected: Vec<Ticket> = web.iter().filter(|t| t.customer == "c1").cloned().collect();
    assert_eq!(expected.len(), 3);
    let filtered = read(
        &store,
        Ticket::by_queue("web").filter(Ticket::attr().customer.eq("c1".to_owned())),
        |g| g.len() == expected.len(),
    )
    .await;
    assert_eq!(filtered, expected);
}

/// Pages of every size, both ways, resumed by cursor: the entries of
/// one read, each once, ties included.
pub async fn cursors_resume_exactly_after_each_entry(store: Store) {
    store.create_table::<Helpdesk>().await.unwrap();
    let mut written = Vec::new();
    // Many ties: 3 priorities × 2 times, 4 customers each.
    for id in 0..24u32 {
        let t = ticket(
            &format!("c{}", id % 4),
            id,
            "web",
            (id % 3) as u8,
            i64::from(id % 2) * 1000 - 500,
        );
        store.put(&t).await.unwrap();
        written.push(t);
    }
    let web = in_index_order(&written, "web");
    read(&store, Ticket::by_queue("web"), |g| g.len() == 24).await;
    for size in [1u32, 2, 5, 7, 24, 30] {
        for reverse in [false, true] {
            let mut q = Ticket::by_queue("web").page_size(size).into_query();
            let mut expected = web.clone();
            if reverse {
                q = q.reverse();
                expected.reverse();
            }
            let read_pages = settled(
                || crate::indexes::pages(&store, q.clone()),
                |p| p.iter().map(|(items, _)| items.len()).sum::<usize>() == 24,
            )
            .await;
            let items: Vec<Ticket> = read_pages.iter().flat_map(|(i, _)| i.clone()).collect();
            assert_eq!(items, expected, "pages of {size}, reverse {reverse}");
            // Every page but the last is full.
            let pages = read_pages.len();
            for (i, (page, more)) in read_pages.iter().enumerate() {
                if i + 1 < pages {
                    assert_eq!(page.len(), size as usize);
                    assert!(more);
                }
            }
        }
    }
    // A cursor of a range resumes inside it.
    let q = Ticket::by_queue("web")
        .priority(1)
        .opened_at_ge(0)
        .page_size(2);
    let expected: Vec<Ticket> = web
        .iter()
        .filter(|t| t.priority == 1 && t.opened_at >= 0)
        .cloned()
        .collect();
    let got: Vec<Ticket> = settled(
        || crate::indexes::pages(&store, q.clone().into_query()),
        |p| p.iter().map(|(i, _)| i.len()).sum::<usize>() == expected.len(),
    )
    .await
    .into_iter()
    .flat_map(|(i, _)| i)
    .collect();
    assert_eq!(got, expected);
    // A cursor belongs to its query.
    // (Polled: a full page, which an index read that lags may not be.)
    let page = settled(
        || async {
            store
                .query(Ticket::by_queue("web").page_size(3))
                .page()
                .await
                .unwrap()
        },
        |p| p.items.len() == 3,
    )
    .await;
    let cursor = page.cursor.expect("a full page has a cursor");
    let err = store
        .query(Ticket::by_queue("mail").after(cursor.clone()))
        .page()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Query(QueryError::Cursor(_))), "{err}");
    let err = store
        .query(Ticket::by_queue("web").priority(0).after(cursor))
        .page()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Query(QueryError::Cursor(_))), "{err}");
}

/// The index keys are the fields: every write path moves the entry, with
/// no `set_index`; an absent optional field leaves the index.
pub async fn writes_move_entries_in_the_index(store: Store) {
    store.create_table::<Helpdesk>().await.unwrap();
    let mut t = ticket("c1", 1, "web", 2, 10);
    store.put(&t).await.unwrap();
    store.put(&ticket("c1", 2, "web", 2, 20)).await.unwrap();
    let keys = |ts: &[Ticket]| ts.iter().map(|t| t.id).collect::<Vec<_>>();
    let got = read(&store, Ticket::by_queue("web").priority(2), |g| {
        g.len() == 2
    })
    .await;
    assert_eq!(keys(&got), [1, 2]);
    // An update sets an index key field like any other.
    store
        .update(Ticket::key("c1", 1u32))
        .set(Ticket::attr().opened_at, 30)
        .await
        .unwrap();
    let got = read(&store, Ticket::by_queue("web").priority(2), |g| {
        keys(g) == [2, 1]
    })
    .await;
    assert_eq!(keys(&got), [2, 1]);
    // And moves it to another partition.
    store
        .update(Ticket::key("c1", 1u32))
        .set(Ticket::attr().queue, "mail".to_owned())
        .await
        .unwrap();
    let got = read(&store, Ticket::by_queue("mail"), |g| g.len() == 1).await;
    assert_eq!(keys(&got), [1]);
    let got = read(&store, Ticket::by_queue("web"), |g| g.len() == 1).await;
    assert_eq!(keys(&got), [2]);
    // The sparse index: in it once assigned, out of it once not.
    let by = |who: &str| Ticket::by_assignee(who);
    assert!(all(&store, by("ann").into_query()).await.is_empty());
    store
        .update(Ticket::key("c1", 2u32))
        .set(Ticket::attr().assignee, "ann".to_owned())
        .await
        .unwrap();
    t.assignee = Some("ann".into());
    t.queue = "mail".into();
    t.opened_at = 5;
    store.put(&t).await.unwrap();
    let got: Vec<Key<Ticket>> = read(&store, by("ann"), |g| g.len() == 2).await;
    assert_eq!(got, vec![Ticket::key("c1", 1u32), Ticket::key("c1", 2u32)]);
    let got: Vec<Key<Ticket>> = read(&store, by("ann").opened_at_lt(10), |g| g.len() == 1).await;
    assert_eq!(got, vec![Ticket::key("c1", 1u32)]);
    store
        .update(Ticket::key("c1", 2u32))
        .remove(Ticket::attr().assignee)
        .await
        .unwrap();
    store
        .modify(Ticket::key("c1", 1u32), |t: &mut Ticket| {
            t.assignee = Some("bob".into())
        })
        .await
        .unwrap();
    let got: Vec<Key<Ticket>> = read(&store, by("ann"), |g| g.is_empty()).await;
    assert!(got.is_empty());
    let got: Vec<Key<Ticket>> = read(&store, by("bob"), |g| g.len() == 1).await;
    assert_eq!(got, vec![Ticket::key("c1", 1u32)]);
    // A transaction, and a delete.
    let mut tx = store.transaction();
    tx.put(&ticket("c2", 3, "web", 0, 0));
    tx.delete(Ticket::key("c1", 2u32));
    tx.commit().await.unwrap();
    let got = read(&store, Ticket::by_queue("web"), |g| keys(g) == [3]).await;
    assert_eq!(keys(&got), [3]);
    // Two partition attributes: both fixed by the query.
    let agent = |login: &str, team: &str, site: u16| Agent {
        customer: "c1".into(),
        login: login.into(),
        team: team.into(),
        site,
    };
    store.put(&agent("a", "ops", 1)).await.unwrap();
    store.put(&agent("b", "ops", 2)).await.unwrap();
    store.put(&agent("c", "ops", 1)).await.unwrap();
    let got = read(&store, Agent::by_team("ops", 1u16), |g| g.len() == 2).await;
    assert_eq!(got, vec![agent("a", "ops", 1), agent("c", "ops", 1)]);
}

/// DynamoDB refuses an empty string in a key attribute, and one longer
/// than a key may be: every backend refuses them, before writing, with
/// the same error; and a `BETWEEN` whose ends are reversed.
pub async fn key_attribute_strings_follow_dynamodb_rules(store: Store) {
    store.create_table::<Helpdesk>().await.unwrap();
    let empty = |e: Error| match e {
        Error::Limit(LimitError::EmptyIndexKey { attribute }) => attribute,
        other => panic!("expected an empty index key, got {other}"),
    };
    let err = store.put(&ticket("c1", 1, "", 1, 1)).await.unwrap_err();
    assert_eq!(empty(err), "queue");
    assert!(store.get(Ticket::key("c1", 1u32)).await.unwrap().is_none());
    let mut t = ticket("c1", 1, "web", 1, 1);
    t.assignee = Some(String::new());
    assert_eq!(empty(store.put(&t).await.unwrap_err()), "assignee");
    let mut tx = store.transaction();
    tx.put(&t);
    let err = tx.commit().await.unwrap_err();
    assert_eq!(empty(err), "assignee");
    t.assignee = None;
    store.put(&t).await.unwrap();
    let err = store
        .update(Ticket::key("c1", 1u32))
        .set(Ticket::attr().queue, String::new())
        .await
        .unwrap_err();
    assert_eq!(empty(err), "queue");
    let err = store
        .modify(Ticket::key("c1", 1u32), |t: &mut Ticket| t.queue.clear())
        .await
        .unwrap_err();
    assert_eq!(empty(err), "queue");
    let mut tx = store.transaction();
    tx.update(
        blue_schema::Update::new(Ticket::key("c1", 1u32))
            .set(Ticket::attr().assignee, String::new()),
    );
    assert_eq!(empty(tx.commit().await.unwrap_err()), "assignee");
    assert_eq!(
        store.get(Ticket::key("c1", 1u32)).await.unwrap(),
        Some(t.clone())
    );
    let long = "q".repeat(2049);
    let err = store.put(&ticket("c1", 2, &long, 1, 1)).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Limit(LimitError::IndexKeyTooLong { ref attribute, bytes: 2049, max: 2048 })
                if attribute == "queue"
        ),
        "{err}"
    );
    let mut long_sort = ticket("c1", 2, "web", 1, 1);
    long_sort.assignee = Some("a".repeat(2048));
    store.put(&long_sort).await.unwrap();
    // Queries: the same rules, before anything is sent.
    let err = store.query(Ticket::by_queue("")).all().await.unwrap_err();
    assert_eq!(empty(err), "queue");
    let err = store
        .query(Ticket::by_queue("web").priority_between(5, 1))
        .all()
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Query(QueryError::InvalidRange(_))),
        "{err}"
    );
}

/// Writes are charged for the index entries they write, as DynamoDB
/// charges them: a whole item in an `ALL` index, keys in a keys-only one,
/// an entry moved when its key attributes change; reads for the entries.
pub async fn entries_are_charged_as_on_dynamodb(store: Store) {
    use crate::support::units;
    use blue_schema::capacity::Consumed;

    store.create_table::<Helpdesk>().await.unwrap();
    let mut t = ticket("cap", 1, "web", 1, 10);
    t.subject = "x".repeat(5000);
    t.assignee = Some("ann".into());
    let put = |t: Ticket| move |s: Store| async move { s.put(&t).await.unwrap() };
    // Table 6 units (5 KB), gsi1 6 (the whole item), gsi2 1 (its keys).
    assert_eq!(
        units(&store, put(t.clone())).await,
        Consumed::write(6.0 + 6.0 + 1.0)
    );
    // The subject changes: gsi1's entry is rewritten, gsi2's is the same.
    t.subject = "y".repeat(5000);
    assert_eq!(
        units(&store, put(t.clone())).await,
        Consumed::write(6.0 + 6.0)
    );
    // The priority moves gsi1's entry: one deleted, one written.
    let moved = units(&store, |s| async move {
        s.update(Ticket::key("cap", 1u32))
            .set(Ticket::attr().priority, 2)
            .await
            .unwrap()
    })
    .await;
    assert_eq!(moved, Consumed::write(6.0 + 12.0));
    // Leaving the sparse index deletes its entry.
    let left = units(&store, |s| async move {
        s.update(Ticket::key("cap", 1u32))
            .remove(Ticket::attr().assignee)
            .await
            .unwrap()
    })
    .await;
    assert_eq!(left, Consumed::write(6.0 + 6.0 + 1.0));
    // Reading the whole 5 KB item from the index: two 4 KB blocks,
    // eventually consistent.
    let (_, read) = settled(
        || async {
            let metered = store.metered();
            let found = metered.query(Ticket::by_queue("web")).all().await.unwrap();
            (found, metered.consumed().unwrap())
        },
        |(found, _): &(Vec<Ticket>, Consumed)| found.len() == 1 && found[0].priority == 2,
    )
    .await;
    assert_eq!(read, Consumed::read(1.0));
}

/// The same tickets on SQLite and DynamoDB: every multi-attribute query,
/// paged, gives the same items, pages and cursors on both, and a SQLite
/// cursor resumes the same query on DynamoDB.
pub async fn same_attribute_index_pages(sqlite: Store, dynamo: Store) {
    use crate::random::Rng;

    for store in [&sqlite, &dynamo] {
        store.create_table::<Helpdesk>().await.unwrap();
        let mut rng = Rng(0xA77_1B5);
        for id in 0..60u32 {
            let mut t = ticket(
                &format!("c{}", rng.below(4)),
                id,
                ["a", "b"][rng.below(2) as usize],
                rng.below(3) as u8,
                rng.below(5) as i64 - 2,
            );
            t.subject = format!("s{}", rng.below(10));
            store.put(&t).await.unwrap();
        }
    }
    for store in [&sqlite, &dynamo] {
        let settled = crate::support::eventually(|| async {
            let a = all(store, Ticket::by_queue("a").into_query()).await.len();
            let b = all(store, Ticket::by_queue("b").into_query()).await.len();
            (a + b == 60).then_some(())
        })
        .await;
        assert!(settled.is_some(), "the index holds every ticket");
    }
    let mut rng = Rng(0x5A3E_0A6E);
    for case in 0..60 {
        let limit = rng.below(5) as u32 + 1;
        let q = Ticket::by_queue(["a", "b"][rng.below(2) as usize]);
        let (priority, at) = (rng.below(3) as u8, rng.below(5) as i64 - 2);
        let q: Query<Ticket> = match rng.below(6) {
            0 => q.into(),
            1 => q.priority(priority).into(),
            2 => q.priority_ge(priority),
            3 => q.priority_lt(priority),
            4 => q.priority(priority).opened_at_le(at),
            _ => q.priority(priority).opened_at_between(at, at + 1),
        };
        let q = if rng.below(2) == 0 { q.reverse() } else { q };
        let q = if rng.below(3) == 0 {
            q.filter(Ticket::attr().subject.lt(format!("s{}", rng.below(10))))
        } else {
            q
        };
        // Each read of DynamoDB's index may lag: wait for one that agrees
        // before comparing in detail.
        let _ = crate::support::eventually(|| async {
            let (a, b) = (all(&sqlite, q.clone()).await, all(&dynamo, q.clone()).await);
            (a == b).then_some(())
        })
        .await;
        crate::parity::same_pages(&sqlite, &dynamo, q, limit, case).await;
    }
}

//! Counts (`QueryRun::count`, `count_page`): DynamoDB's `Select = COUNT`
//! on every backend, with the items, pages, cursors, filters, expiry and
//! capacity of the read they count.

use blue_schema::capacity::Consumed;
use blue_schema::limits::MAX_PAGE_BYTES;
use blue_schema::{Cursor, FromItem, IntoQuery, Query, Store};
use blue_schema_examples::dialogue::*;

use crate::entities::{Probe, Sized};
use crate::indexes::{task, Board, Task};
use crate::limits::sized_bytes;
use crate::queries::{dialogue, load};
use crate::support::settled;

/// One page read and the same page counted: (items returned, count,
/// cursor of each).
async fn both_pages<R: FromItem + Send + 'static>(
    store: &Store,
    query: Query<R>,
) -> (u64, u64, Option<Cursor>, Option<Cursor>) {
    let page = store.query(query.clone()).page().await.unwrap();
    let counted = store.query(query).count_page().await.unwrap();
    (
        page.items.len() as u64,
        counted.count,
        page.cursor,
        counted.cursor,
    )
}

/// Counts `query` whole and page by page (several page sizes), checks
/// each against the items its read returns, and returns the count.
async fn check_count<R: FromItem + Send + 'static>(
    store: &Store,
    query: impl IntoQuery<Item = R>,
) -> u64 {
    check_count_in(store, query, true).await
}

/// [`check_count`]; `all_kept` says that the query keeps every item it
/// evaluates (no filter), so that its pages are as many as a full read's.
async fn check_count_in<R: FromItem + Send + 'static>(
    store: &Store,
    query: impl IntoQuery<Item = R>,
    all_kept: bool,
) -> u64 {
    let query = query.into_query();
    let items = store.query(query.clone()).all().await.unwrap();
    let count = store.query(query.clone()).count().await.unwrap();
    assert_eq!(count, items.len() as u64, "{}", query.spec());
    for size in [1u32, 3, 100] {
        let mut total = 0;
        let mut cursor: Option<Cursor> = None;
        let mut pages = 0;
        loop {
            let mut q = query.clone().page_size(size);
            if let Some(c) = cursor.take() {
                q = q.after(c);
            }
            let (read, counted, read_cursor, counted_cursor) = both_pages(store, q).await;
            assert_eq!(counted, read, "{} page size {size}", query.spec());
            assert_eq!(
                counted_cursor,
                read_cursor,
                "{} page size {size}",
                query.spec()
            );
            total += counted;
            pages += 1;
            match counted_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        assert_eq!(total, count, "{} page size {size}", query.spec());
        if all_kept {
            // Every full page has a cursor, as when reading.
            assert_eq!(pages, count / u64::from(size) + 1, "{}", query.spec());
        }
    }
    count
}

/// Every kind of query counts the items its read returns, and a counted
/// page ends where the read page ends, with the same cursor.
pub async fn counts_are_the_items_a_read_returns(store: Store) {
    store.create_table::<Dialogue>().await.unwrap();
    load(&store, "nvidia-dec").await;
    load(&store, "nvidia-de").await;
    let d = "nvidia-dec";
    assert_eq!(check_count(&store, Expert::query(d)).await, 8);
    assert_eq!(check_count(&store, Expert::query(d).reverse()).await, 8);
    assert_eq!(check_count(&store, Expert::query(d).name("muf")).await, 1);
    assert_eq!(
        check_count(&store, Expert::query(d).name("nobody")).await,
        0
    );
    assert_eq!(
        check_count(&store, Expert::query(d).name_starts_with("muf")).await,
        3
    );
    assert_eq!(
        check_count(&store, Expert::query(d).name_between("a", "muf")).await,
        3
    );
    assert_eq!(
        check_count(&store, Expert::query(d).name_ge("muf").reverse()).await,
        5
    );
    assert_eq!(check_count(&store, Perspective::query(d)).await, 36);
    assert_eq!(check_count(&store, Perspective::query(d).round(0)).await, 9);
    let partition = dialogue(d).len() as u64;
    assert_eq!(check_count(&store, Dialogue::partition(d)).await, partition);
    assert_eq!(
        check_count(&store, Dialogue::partition(d).reverse()).await,
        partition
    );
    assert_eq!(check_count(&store, Expert::query("nobody")).await, 0);

    // A filter counts what it keeps; pages still end after their page
    // size of evaluated items.
    let high = || Expert::query(d).filter(Expert::attr().score.gt(10));
    let kept = store.query(high()).all().await.unwrap().len() as u64;
    assert_eq!(kept, 3, "scores 15, 22 and 29");
    assert_eq!(check_count_in(&store, high(), false).await, kept);

    // `take` bounds a count as it bounds a read.
    assert_eq!(
        store
            .query(Expert::query(d).page_size(2).take(5))
            .count()
            .await
            .unwrap(),
        5
    );

    // A counted page's cursor continues a read, and the other way round.
    let first = store
        .query(Expert::query(d).page_size(3))
        .count_page()
        .await
        .unwrap();
    assert_eq!(first.count, 3);
    let rest = store
        .query(Expert::query(d).after(first.cursor.unwrap()))
        .all()
        .await
        .unwrap();
    assert_eq!(rest.len(), 5);
    let read = store
        .query(Expert::query(d).page_size(5))
        .page()
        .await
        .unwrap();
    let counted = store
        .query(Expert::query(d).after(read.cursor.unwrap()))
        .count()
        .await
        .unwrap();
    assert_eq!(counted, 3);
}

/// A counted page stops at 1 MB of evaluated items, as a read page does.
pub async fn counted_pages_stop_after_one_megabyte(store: Store) {
    store.create_table::<Probe>().await.unwrap();
    let quarter = MAX_PAGE_BYTES / 4;
    let items: Vec<Sized> = (0..5)
        .map(|n| {
            let mut item = Sized {
                id: "big".into(),
                n,
                payload: String::new(),
            };
            let size = if n == 3 { quarter + 1 } else { quarter };
            item.payload = "x".repeat(size - sized_bytes(&item));
            item
        })
        .collect();
    store.put_all(&items).await.unwrap();
    // Three quarters and a quarter and a byte: the fourth item starts the
    // next page.
    let (read, counted, read_cursor, counted_cursor) =
        both_pages(&store, Sized::query("big").into_query()).await;
    assert_eq!((read, counted), (3, 3));
    assert!(counted_cursor.is_some());
    assert_eq!(counted_cursor, read_cursor);
    let rest = store
        .query(Sized::query("big").after(counted_cursor.unwrap()))
        .count_page()
        .await
        .unwrap();
    assert_eq!((rest.count, rest.cursor), (2, None));
    assert_eq!(store.query(Sized::query("big")).count().await.unwrap(), 5);
}

/// An index query counts its entries, filtered, with its pages.
pub async fn index_queries_count_their_entries(store: Store) {
    store.create_table::<Board>().await.unwrap();
    for id in 0..10u32 {
        let mut t = task("b", id, Some("f"), id);
        t.points = if id % 2 == 0 { 10 } else { 0 };
        store.put(&t).await.unwrap();
    }
    let count = |q: Query<Task>| {
        let store = store.clone();
        async move { store.query(q).count().await.unwrap() }
    };
    assert_eq!(
        settled(|| count(Task::by_owner("f").into()), |n| *n == 10).await,
        10
    );
    let rich = || Task::by_owner("f").filter(Task::attr().points.gt(5));
    assert_eq!(settled(|| count(rich().into()), |n| *n == 5).await, 5);
    assert_eq!(count(Task::by_owner("nobody").into()).await, 0);
    // Keys-only entries count the same.
    let titled = || async { store.query(Task::by_title("t3")).count().await.unwrap() };
    assert_eq!(settled(titled, |n| *n == 1).await, 1);
    // Pages of 3 evaluated entries keep 2, 1, 2 and 0 of them.
    let mut counts = Vec::new();
    let mut cursor: Option<Cursor> = None;
    loop {
        let mut q = rich().page_size(3);
        if let Some(c) = cursor.take() {
            q = q.after(c);
        }
        let page = store.query(q).count_page().await.unwrap();
        counts.push(page.count);
        match page.cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(counts, [2, 1, 2, 0]);
}

/// A count consumes the capacity of the read it counts: DynamoDB charges
/// the items evaluated, whether or not they are returned.
pub async fn a_count_costs_what_its_read_costs(store: Store) {
    store.create_table::<Board>().await.unwrap();
    for id in 0..6u32 {
        let mut t = task("cap", id, None, 1);
        t.note = "x".repeat(3_000);
        store.put(&t).await.unwrap();
    }
    let units = |count: bool| {
        let metered = store.metered();
        async move {
            let q = Task::query("cap").filter(Task::attr().points.gt(2));
            if count {
                assert_eq!(metered.query(q).count().await.unwrap(), 3);
            } else {
                assert_eq!(metered.query(q).all().await.unwrap().len(), 3);
            }
            metered.consumed().unwrap()
        }
    };
    let read = units(false).await;
    let counted = units(true).await;
    // Six items of about 3 KB: 18 KB in one page, strongly consistent,
    // 5 units (one per 4 KB).
    assert_eq!(read, Consumed::read(5.0));
    assert_eq!(counted, read);
}

/// A count skips what the read skips: the children nested under an
/// entity's keys, and the items of entities a newer program added.
pub async fn counts_skip_what_the_read_skips(store: Store) {
    use blue_schema_examples::shop::{CustomerItems, Order, OrderLine, Shop};
    store.create_table::<Shop>().await.unwrap();
    crate::collections::fill(&store, "c").await;
    // Three orders, with their lines nested under them.
    assert_eq!(check_count_in(&store, Order::query("c"), false).await, 3);
    assert_eq!(
        check_count_in(&store, OrderLine::query("c"), false).await,
        store
            .query(OrderLine::query("c"))
            .all()
            .await
            .unwrap()
            .len() as u64
    );
    let whole = store.query(CustomerItems::query("c")).all().await.unwrap();
    assert!(whole.len() > 9, "the customer, orders, lines, shipments");
    assert_eq!(
        check_count(&store, CustomerItems::query("c")).await,
        whole.len() as u64
    );

    // An older program's table enum does not know `Toggle`.
    use crate::entities::{older, Toggle};
    store.create_table::<Probe>().await.unwrap();
    for n in 0..5 {
        let payload = format!("item {n}");
        let id = "evo".into();
        store.put(&Sized { id, n, payload }).await.unwrap();
    }
    for n in 0..3 {
        let toggle = Toggle {
            id: "evo".into(),
            n,
            left: None,
            right: None,
            seq: n,
        };
        store.put(&toggle).await.unwrap();
    }
    assert_eq!(
        check_count_in(&store, older::Probe::partition("evo"), false).await,
        5
    );
    assert_eq!(check_count(&store, Probe::partition("evo")).await, 8);
}

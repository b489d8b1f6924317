//! Pages, limits and cursors.

use blue_schema::query::{CursorError, QueryError};
use blue_schema::{Cursor, Error, FromItem, IntoQuery, Query, Store};
use blue_schema_examples::dialogue::*;
use serde::Serialize;

use blue_schema::limits::MAX_PAGE_BYTES;

use crate::entities::{Probe, Sized};
use crate::limits::sized_bytes;
use crate::queries::{load, reference, Row};

/// Reads a query page by page with `page_size(limit)`, checking every page,
/// and returns the items (as JSON) in the order read, and the number of
/// pages.
async fn read_pages<R: FromItem + Serialize + Send + 'static>(
    store: &Store,
    query: &Query<R>,
    limit: u32,
) -> (Vec<serde_json::Value>, usize) {
    let mut keys = Vec::new();
    let mut pages = 0;
    let mut cursor: Option<Cursor> = None;
    loop {
        let mut q = query.clone().page_size(limit);
        if let Some(c) = cursor.take() {
            q = q.after(c);
        }
        let page = store.query(q).page().await.unwrap();
        pages += 1;
        assert!(page.items.len() <= limit as usize);
        for item in &page.items {
            keys.push(serde_json::to_value(item).unwrap());
        }
        match page.cursor {
            Some(c) => {
                assert_eq!(
                    page.items.len(),
                    limit as usize,
                    "only a full page has a cursor"
                );
                cursor = Some(c);
            }
            None => return (keys, pages),
        }
        assert!(pages < 1000, "pagination does not end");
    }
}

async fn check_pages<R: FromItem + Serialize + Send + 'static>(
    store: &Store,
    rows: &[Row],
    query: impl IntoQuery<Item = R>,
) {
    let query = query.into_query();
    let expected: Vec<serde_json::Value> = reference(rows, query.spec())
        .iter()
        .map(|r| r.json.clone())
        .collect();
    for limit in [1u32, 2, 3, 5, 8, 100] {
        let (got, pages) = read_pages(store, &query, limit).await;
        assert_eq!(got, expected, "{} limit {limit}", query.spec());
        let n = expected.len();
        // As on DynamoDB, every full page has a cursor and the first page
        // that is not full ends the query: n / limit + 1 pages, the last
        // empty when n is a multiple of the page size.
        assert_eq!(
            pages,
            n / limit as usize + 1,
            "{} page size {limit}",
            query.spec()
        );
    }
}

pub async fn pages_resume_exactly_forward_and_reverse(store: Store) {
    store.create_table::<Dialogue>().await.unwrap();
    let rows = load(&store, "d").await;
    check_pages(&store, &rows, Expert::query("d")).await;
    check_pages(&store, &rows, Expert::query("d").reverse()).await;
    check_pages(&store, &rows, Perspective::query("d").round_ge(1)).await;
    check_pages(&store, &rows, Perspective::query("d").round_ge(1).reverse()).await;
    check_pages(
        &store,
        &rows,
        Perspective::query("d").round(0).expert("muffin"),
    )
    .await;
    check_pages(
        &store,
        &rows,
        Expert::query("d").name_starts_with("muf").reverse(),
    )
    .await;
    check_pages(&store, &rows, Expert::query("d").name("nobody")).await;
    check_pages(
        &store,
        &rows,
        TensionEvent::query("d")
            .tension_id("T01")
            .at_lt(1_706_918_400u64),
    )
    .await;

    // Whole partitions, as table values.
    let whole = Dialogue::partition("d");
    let n = reference(&rows, whole.spec()).len();
    for limit in [1u32, 7, 64] {
        for q in [whole.clone(), whole.clone().reverse()] {
            let mut seen = 0;
            let mut cursor = None;
            loop {
                let mut page_query = q.clone().page_size(limit);
                if let Some(c) = cursor.take() {
                    page_query = page_query.after(c);
                }
                let page = store.query(page_query).page().await.unwrap();
                seen += page.items.len();
                match page.cursor {
                    Some(c) => cursor = Some(c),
                    None => break,
                }
            }
            assert_eq!(seen, n);
        }
    }
}

pub async fn cursors_belong_to_their_query(store: Store) {
    store.create_table::<Dialogue>().await.unwrap();
    load(&store, "d").await;
    load(&store, "e").await;
    let page = store
        .query(Perspective::query("d").round(0).page_size(2))
        .page()
        .await
        .unwrap();
    let cursor = page.cursor.expect("more than 2 perspectives in round 0");

    let wrong = |r: Result<blue_schema::Page<Perspective>, Error>| match r {
        Err(Error::Query(QueryError::Cursor(CursorError::WrongQuery))) => {}
        other => panic!("expected WrongQuery, got {other:?}"),
    };
    // Another condition, order or partition: rejected.
    wrong(
        store
            .query(Perspective::query("d").round(1).after(cursor.clone()))
            .page()
            .await,
    );
    wrong(
        store
            .query(
                Perspective::query("d")
                    .round(0)
                    .reverse()
                    .after(cursor.clone()),
            )
            .page()
            .await,
    );
    wrong(
        store
            .query(Perspective::query("e").round(0).after(cursor.clone()))
            .page()
            .await,
    );
    wrong(
        store
            .query(Perspective::query("d").after(cursor.clone()))
            .page()
            .await,
    );
    let other_entity = store
        .query(Expert::query("d").after(cursor.clone()))
        .page()
        .await
        .unwrap_err();
    assert!(matches!(
        other_entity,
        Error::Query(QueryError::Cursor(CursorError::WrongQuery))
    ));
    // A different limit is the same query.
    let next = store
        .query(
            Perspective::query("d")
                .round(0)
                .page_size(5)
                .after(cursor.clone()),
        )
        .page()
        .await
        .unwrap();
    assert_eq!(next.items.len(), 5);

    // Any altered character is caught.
    let text = cursor.to_string();
    for i in 1..text.len() {
        let mut bytes = text.clone().into_bytes();
        bytes[i] = if bytes[i] == b'0' { b'1' } else { b'0' };
        let tampered: Cursor = match String::from_utf8(bytes).unwrap().parse() {
            Ok(c) => c,
            Err(_) => continue,
        };
        let err = store
            .query(Perspective::query("d").round(0).after(tampered))
            .page()
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::Query(QueryError::Cursor(_))),
            "position {i}: {err:?}"
        );
    }
    assert!("not a cursor".parse::<Cursor>().is_err());
}

pub async fn cursor_survives_deleting_its_item(store: Store) {
    store.create_table::<Dialogue>().await.unwrap();
    load(&store, "d").await;
    let first = store
        .query(Expert::query("d").page_size(3))
        .page()
        .await
        .unwrap();
    let last = first.items.last().unwrap().clone();
    store.delete(blue_schema::Entity::key(&last)).await.unwrap();
    let rest = store
        .query(Expert::query("d").after(first.cursor.unwrap()))
        .all()
        .await
        .unwrap();
    let all = store.query(Expert::query("d")).all().await.unwrap();
    assert_eq!(rest.len(), 5);
    assert_eq!(rest, all[2..].to_vec());
}

pub async fn pages_stop_after_one_megabyte(store: Store) {
    store.create_table::<Probe>().await.unwrap();
    // A page holds items while their sizes add up to at most 1 MB, and
    // always at least one item. Four items of exactly 1 MB / 4 fill a page;
    // one byte more in the fourth pushes it to the next page.
    let quarter = MAX_PAGE_BYTES / 4;
    let item = |n: u32, size: usize| {
        let mut item = Sized {
            id: "big".into(),
            n,
            payload: String::new(),
        };
        item.payload = "x".repeat(size - sized_bytes(&item));
        assert_eq!(sized_bytes(&item), size);
        item
    };
    for extra in [0, 1] {
        let items: Vec<Sized> = (0..5)
            .map(|n| item(n, if n == 3 { quarter + extra } else { quarter }))
            .collect();
        store.put_all(&items).await.unwrap();
        let page = store.query(Sized::query("big")).page().await.unwrap();
        let full = if extra == 0 { 4 } else { 3 };
        assert_eq!(page.items, items[..full].to_vec(), "extra byte: {extra}");
        let rest = store
            .query(Sized::query("big").after(page.cursor.expect("more follows")))
            .page()
            .await
            .unwrap();
        assert_eq!(rest.items, items[full..].to_vec());
        assert_eq!(rest.cursor, None);
        // `all()` follows the pages.
        assert_eq!(store.query(Sized::query("big")).all().await.unwrap(), items);
    }
}

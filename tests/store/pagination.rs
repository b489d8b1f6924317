//! Pages, limits and cursors.

use blue_schema::query::{CursorError, CursorKey, QueryError};
use blue_schema::{Cursor, Entity, Error, FromItem, IntoQuery, Query, Store};
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

/// `take(n)` bounds a whole read; `pages()` and `items()` read one page at a
/// time.
pub async fn take_bounds_a_read_and_streams_read_page_by_page(store: Store) {
    store.create_table::<Dialogue>().await.unwrap();
    load(&store, "d").await;
    let all = store.query(Expert::query("d")).all().await.unwrap();
    assert_eq!(all.len(), 8);

    let five = store
        .query(Expert::query("d").page_size(2).take(5))
        .all()
        .await
        .unwrap();
    assert_eq!(five, all[..5]);

    let mut pages = store.query(Expert::query("d").page_size(2).take(5)).pages();
    let mut sizes = Vec::new();
    let mut streamed = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.unwrap();
        sizes.push(page.items.len());
        streamed.extend(page.items);
    }
    assert_eq!(sizes, [2, 2, 1], "the last page asks only for what is left");
    assert_eq!(streamed, five);

    let mut items = store.query(Expert::query("d").page_size(3)).items();
    let mut one_by_one = Vec::new();
    while let Some(item) = items.next().await {
        one_by_one.push(item.unwrap());
    }
    assert_eq!(one_by_one, all);

    let none = store.query(Expert::query("d").take(0)).all().await.unwrap();
    assert!(none.is_empty());
    // A query that cannot run fails on the first page of a stream.
    let mut bad = store.query(Expert::query("d").page_size(0)).pages();
    assert!(matches!(
        bad.next().await,
        Some(Err(Error::Query(QueryError::ZeroPageSize)))
    ));
    assert!(bad.next().await.is_none());
}

/// The bytes of a cursor, to forge one from: URL-safe base64 without
/// padding.
fn cursor_bytes(cursor: &Cursor) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for c in cursor.as_str().bytes() {
        bits = bits << 6 | ALPHABET.iter().position(|&a| a == c).unwrap() as u32;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
        }
    }
    out
}

/// A cursor of the documented format, checksum included: what anyone can
/// mint without a key.
fn forge(fingerprint: &[u8], position: &str) -> Cursor {
    let mut bytes = vec![2u8, 0];
    bytes.extend_from_slice(fingerprint);
    bytes.push(1);
    bytes.extend_from_slice(&(position.len() as u16).to_be_bytes());
    bytes.extend_from_slice(position.as_bytes());
    // FNV-1a over a tag, the length and the bytes.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut write = |b: &[u8]| {
        for &x in b {
            h ^= u64::from(x);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    write(b"c");
    write(&(bytes.len() as u64).to_be_bytes());
    write(&bytes);
    bytes.extend_from_slice(&h.to_be_bytes());
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut text = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            text.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    text.parse().unwrap()
}

/// A forged cursor, checksum and all, can only skip ahead inside its query;
/// a position outside it, or longer than any sort key, is refused with the
/// same typed error on every backend, before anything is sent.
pub async fn forged_cursors_get_one_typed_error(store: Store) {
    store.create_table::<Dialogue>().await.unwrap();
    load(&store, "d").await;
    let genuine = store
        .query(Expert::query("d").page_size(2))
        .page()
        .await
        .unwrap()
        .cursor
        .unwrap();
    let fingerprint = cursor_bytes(&genuine)[2..10].to_vec();
    let run = |cursor: Cursor| {
        let store = store.clone();
        async move {
            store
                .query(Expert::query("d").page_size(2).after(cursor))
                .page()
                .await
        }
    };
    // The same format, re-made, is accepted: it is the genuine cursor.
    let first = store
        .query(Expert::query("d").page_size(2))
        .page()
        .await
        .unwrap();
    let last = first.items.last().unwrap().key().sort_key().to_owned();
    assert_eq!(forge(&fingerprint, &last), genuine);
    // A forged position inside the query skips ahead: allowed.
    let skipped = run(forge(&fingerprint, "EXPERT#mz")).await.unwrap();
    assert!(skipped.items.iter().all(|e| e.name.as_str() > "mz"));
    let malformed = |r: Result<blue_schema::Page<Expert>, Error>| match r {
        Err(Error::Query(QueryError::Cursor(CursorError::Malformed))) => {}
        other => panic!("expected a malformed cursor, got {other:?}"),
    };
    // Longer than a sort key may be: DynamoDB would refuse the request.
    malformed(run(forge(&fingerprint, &format!("EXPERT#{}", "z".repeat(1100)))).await);
    // Outside the query's condition.
    malformed(run(forge(&fingerprint, "PERSP#0000000000#muf#0000000001")).await);
    // Not a cursor of this format at all.
    malformed(run("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".parse().unwrap()).await);
    assert_eq!(
        "A".repeat(blue_schema::query::MAX_CURSOR_LEN + 4)
            .parse::<Cursor>(),
        Err(CursorError::Malformed)
    );
}

/// A store with a cursor key signs its cursors and accepts only those.
pub async fn signed_cursors_are_accepted_by_their_key_only(store: Store) {
    store.create_table::<Dialogue>().await.unwrap();
    load(&store, "d").await;
    let key = || CursorKey::new(b"a secret of at least 32 bytes, from a vault");
    let signing = store.clone().with_cursor_key(key());
    let q = || Expert::query("d").page_size(3);
    let page = signing.query(q()).page().await.unwrap();
    let signed = page.cursor.clone().unwrap();
    let next = signing
        .query(q().after(signed.clone()))
        .page()
        .await
        .unwrap();
    assert_eq!(next.items.len(), 3);
    // The same key in another store instance accepts it too.
    let again = store.clone().with_cursor_key(key());
    assert_eq!(
        again.query(q().after(signed.clone())).page().await.unwrap(),
        next
    );

    let unauthenticated = |r: Result<blue_schema::Page<Expert>, Error>| match r {
        Err(Error::Query(QueryError::Cursor(CursorError::Unauthenticated))) => {}
        other => panic!("expected an unauthenticated cursor, got {other:?}"),
    };
    // Another key, or none, refuses it.
    let other = store
        .clone()
        .with_cursor_key(CursorKey::new(b"another secret entirely, 32 bytes"));
    unauthenticated(other.query(q().after(signed.clone())).page().await);
    unauthenticated(store.query(q().after(signed.clone())).page().await);
    // An unsigned cursor is refused by a signing store.
    let unsigned = store.query(q()).page().await.unwrap().cursor.unwrap();
    unauthenticated(signing.query(q().after(unsigned)).page().await);
    // Any altered character is caught.
    let text = signed.to_string();
    for i in 0..text.len() {
        let mut bytes = text.clone().into_bytes();
        bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
        let Ok(altered) = String::from_utf8(bytes).unwrap().parse::<Cursor>() else {
            continue;
        };
        assert!(
            signing.query(q().after(altered)).page().await.is_err(),
            "altered at {i}"
        );
    }
    // Cursors serialize as their text.
    let json = serde_json::to_string(&signed).unwrap();
    assert_eq!(json, format!("\"{signed}\""));
    assert_eq!(serde_json::from_str::<Cursor>(&json).unwrap(), signed);
    assert!(serde_json::from_str::<Cursor>("\"not a cursor!\"").is_err());
}

/// A whole-partition read by a version of the table that does not know an
/// entity skips that entity's items and counts them, page by page.
pub async fn unknown_items_are_skipped_and_counted(store: Store) {
    use crate::entities::{older, Toggle};
    store.create_table::<Probe>().await.unwrap();
    for n in 0..5 {
        store
            .put(&Sized {
                id: "evo".into(),
                n,
                payload: format!("item {n}"),
            })
            .await
            .unwrap();
    }
    for n in 0..3 {
        store
            .put(&Toggle {
                id: "evo".into(),
                n,
                left: None,
                right: None,
                seq: n,
            })
            .await
            .unwrap();
    }
    let known: Vec<older::Sized> = (0..5)
        .map(|n| older::Sized {
            id: "evo".into(),
            n,
            payload: format!("item {n}"),
        })
        .collect();
    let all = store
        .query(older::Probe::partition("evo"))
        .all()
        .await
        .unwrap();
    assert_eq!(
        all,
        known
            .iter()
            .cloned()
            .map(older::Probe::Sized)
            .collect::<Vec<_>>()
    );
    // Page by page, in pages of 3 evaluated items: the unknown items take
    // their place in a page and are counted there.
    let mut pages = store
        .query(older::Probe::partition("evo").page_size(3))
        .pages();
    let (mut items, mut unknown, mut shapes) = (0, 0, Vec::new());
    while let Some(page) = pages.next().await {
        let page = page.unwrap();
        items += page.items.len();
        unknown += page.unknown;
        shapes.push((page.items.len(), page.unknown));
    }
    assert_eq!((items, unknown), (5, 3));
    assert_eq!(shapes, [(3, 0), (2, 1), (0, 2)]);
}

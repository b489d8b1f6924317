//! Hostile input: decoding keys, cursors, URLs and stored items never
//! panics and always gives a typed error; items written by other tools are
//! read back as typed errors; table prefixes cannot reach SQL or DynamoDB
//! unchecked; credentials never appear in `Debug` or `Display`; no cursor
//! or page size makes the process allocate without bound.
//!
//! The decoders run 20 000 inputs each here and 1 000 000 each with
//! `BLUE_LONG=1` (property tests; the stable toolchain has no
//! coverage-guided fuzzer).

use blue_schema::query::{CursorError, CursorKey, QueryError};
use blue_schema::{Cursor, Entity, Error, Store};
use blue_schema_examples::dialogue::{Perspective, TensionEvent};
use std::sync::atomic::{AtomicU64, Ordering};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use crate::entities::*;

/// Inputs per decoder.
fn cases() -> u32 {
    if crate::long_mode() {
        1_000_000
    } else {
        20_000
    }
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    })
}

/// URL-safe base64 without padding, as cursors are written.
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

fn base64url_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'-' => 62,
        _ => 63,
    };
    let mut out = Vec::new();
    for chunk in text.as_bytes().chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, c)| n | (u32::from(value(*c)) << (18 - 6 * i)));
        for i in 0..chunk.len().saturating_sub(1) {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    out
}

/// Text that looks like a cursor, a mutated real one, or anything.
fn cursor_text(real: Vec<u8>) -> impl Strategy<Value = String> {
    let mutated = (
        any::<prop::sample::Index>(),
        any::<u8>(),
        0usize..4,
        prop::collection::vec(any::<u8>(), 0..8),
    )
        .prop_map(move |(at, byte, how, extra)| {
            let mut bytes = real.clone();
            let i = at.index(bytes.len());
            match how {
                0 => bytes[i] ^= byte | 1,
                1 => bytes.truncate(i),
                2 => bytes.extend_from_slice(&extra),
                _ => {
                    bytes.splice(i..i, extra);
                }
            };
            base64url(&bytes)
        });
    prop_oneof![
        3 => mutated,
        1 => any::<String>(),
        1 => "[A-Za-z0-9_-]{0,80}",
        1 => prop::collection::vec(any::<u8>(), 0..120).prop_map(|b| base64url(&b)),
    ]
}

/// A store with six cells in partition "p" and two in "q", and the cursor
/// of the first page of two.
async fn cursor_store(key: Option<&[u8]>) -> (Store, Cursor) {
    let mut store = Store::sqlite_memory().unwrap();
    if let Some(key) = key {
        store = store.with_cursor_key(CursorKey::new(key));
    }
    store.create_table::<Reliable>().await.unwrap();
    for id in 0..6 {
        store.put(&cell("p", id, 1)).await.unwrap();
    }
    store.put(&cell("q", 0, 1)).await.unwrap();
    store.put(&cell("q", 1, 1)).await.unwrap();
    let page = store
        .query(Cell::query("p").page_size(2))
        .page()
        .await
        .unwrap();
    (store, page.cursor.unwrap())
}

/// A cursor from anywhere: parsing never panics, and a query given it
/// either reads inside its own range or refuses it with a typed error.
fn cursors_are_checked(key: Option<&'static [u8]>) {
    let runtime = crate::runtime();
    let (store, real) = runtime.block_on(cursor_store(key));
    let real_text = real.to_string();
    let real = base64url_decode(real.as_str());
    let accepted = AtomicU64::new(0);
    runner(cases())
        .run(&cursor_text(real), |text| {
            let Ok(cursor) = text.parse::<Cursor>() else {
                return Ok(());
            };
            let page = runtime.block_on(
                store
                    .query(Cell::query("p").page_size(2).after(cursor))
                    .page(),
            );
            match page {
                Ok(page) => {
                    accepted.fetch_add(1, Ordering::Relaxed);
                    if key.is_some() {
                        prop_assert_eq!(&text, &real_text, "a forged cursor was accepted");
                    }
                    prop_assert!(page.items.len() <= 2);
                    prop_assert!(page.items.iter().all(|c| c.part == "p"));
                }
                Err(Error::Query(QueryError::Cursor(
                    CursorError::Malformed | CursorError::WrongQuery | CursorError::Unauthenticated,
                ))) => {}
                Err(other) => prop_assert!(false, "{text:?}: {other:?}"),
            }
            Ok(())
        })
        .unwrap();
    println!(
        "cursors ({}): {} inputs, {} accepted",
        if key.is_some() { "signed" } else { "unsigned" },
        cases(),
        accepted.into_inner()
    );
}

#[test]
fn cursors_from_anywhere_are_read_in_range_or_refused() {
    cursors_are_checked(None);
}

#[test]
fn a_signing_store_refuses_every_forged_cursor() {
    cursors_are_checked(Some(b"a key of the reliability tests, 32 bytes or more"));
}

/// Key text built from the pieces keys are made of.
fn key_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("CELL".to_owned()),
        Just("PERSP".to_owned()),
        Just("TEVENT".to_owned()),
        Just("#".to_owned()),
        Just("%".to_owned()),
        Just("%23".to_owned()),
        Just("%25".to_owned()),
        Just("%2".to_owned()),
        "[0-9]{1,21}",
        "-?[0-9]{1,3}",
        "\\PC{0,3}",
    ];
    prop_oneof![
        3 => prop::collection::vec(piece, 0..8).prop_map(|p| p.concat()),
        1 => any::<String>(),
    ]
}

/// One character of `text` replaced, removed or inserted (or none).
fn mutate(text: String) -> impl Strategy<Value = String> {
    let len = text.chars().count();
    (
        0..4usize,
        0..=len,
        any::<char>(),
        prop_oneof![Just('#'), Just('%'), Just('0'), Just('9'), any::<char>()],
    )
        .prop_map(move |(how, at, c, d)| {
            let mut chars: Vec<char> = text.chars().collect();
            let c = if c.is_alphanumeric() { d } else { c };
            match how {
                0 => {}
                1 if at < chars.len() => chars[at] = c,
                2 if at < chars.len() => {
                    chars.remove(at);
                }
                _ => chars.insert(at, c),
            }
            chars.into_iter().collect()
        })
}

/// Real keys, mutated, and anything.
fn near_keys() -> impl Strategy<Value = (String, String)> {
    let cell = (any::<String>(), any::<u32>()).prop_map(|(p, id)| Cell::key(p, id).into_parts());
    let persp = (any::<String>(), any::<u32>(), any::<String>(), any::<u32>())
        .prop_map(|(d, r, e, s)| Perspective::key(d, r, e, s).into_parts());
    let event = (any::<String>(), any::<String>(), any::<u64>())
        .prop_map(|(d, t, at)| TensionEvent::key(d, t, at).into_parts());
    prop_oneof![
        3 => prop_oneof![cell, persp, event]
            .prop_flat_map(|(pk, sk)| (mutate(pk), mutate(sk))),
        1 => (key_text(), key_text()),
    ]
}

/// Decoding a key from anywhere never panics, and a key it accepts is the
/// one encoding of its values: encoded again, it is the same text.
#[test]
fn keys_from_anywhere_decode_canonically_or_not_at_all() {
    let decoded = AtomicU64::new(0);
    runner(cases())
        .run(&near_keys(), |(pk, sk)| {
            if let Ok((part, (id,))) = Cell::decode_key(&pk, &sk) {
                decoded.fetch_add(1, Ordering::Relaxed);
                let again = Cell::key(part, id).into_parts();
                prop_assert_eq!(again, (pk.clone(), sk.clone()));
            }
            if let Ok((dialogue, (round, expert, seq))) = Perspective::decode_key(&pk, &sk) {
                decoded.fetch_add(1, Ordering::Relaxed);
                let again = Perspective::key(dialogue, round, expert, seq).into_parts();
                prop_assert_eq!(again, (pk.clone(), sk.clone()));
            }
            if let Ok((dialogue, (tension, at))) = TensionEvent::decode_key(&pk, &sk) {
                decoded.fetch_add(1, Ordering::Relaxed);
                let again = TensionEvent::key(dialogue, tension, at).into_parts();
                prop_assert_eq!(again, (pk, sk));
            }
            Ok(())
        })
        .unwrap();
    println!("keys: {} inputs, {} decoded", cases(), decoded.into_inner());
}

/// URL text built from the pieces store URLs are made of.
fn url_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("sqlite:".to_owned()),
        Just("dynamodb:".to_owned()),
        Just("//".to_owned()),
        Just(":memory:".to_owned()),
        Just("?".to_owned()),
        Just("&".to_owned()),
        Just("=".to_owned()),
        Just("region".to_owned()),
        Just("endpoint".to_owned()),
        Just("table_prefix".to_owned()),
        Just("%".to_owned()),
        "%[0-9a-fA-F]{0,2}",
        "\\PC{0,4}",
    ];
    prop_oneof![
        3 => prop::collection::vec(piece, 0..8).prop_map(|p| p.concat()),
        1 => any::<String>(),
    ]
}

#[test]
fn urls_from_anywhere_are_understood_or_refused() {
    runner(cases())
        .run(&url_text(), |url| {
            match Store::check_url(&url) {
                Ok(()) => prop_assert!(
                    url.starts_with("sqlite:") || url.starts_with("dynamodb:"),
                    "{url:?}"
                ),
                Err(Error::InvalidUrl { .. }) => {}
                Err(other) => prop_assert!(false, "{url:?}: {other:?}"),
            }
            Ok(())
        })
        .unwrap();
}

/// A table prefix reaches DynamoDB only if every character is one it
/// allows in table names; anything else is refused before any request.
#[test]
fn hostile_table_prefixes_are_refused() {
    let runtime = crate::runtime();
    let backend = runtime.block_on(crate::dynamodb::backend());
    runner(cases() / 10)
        .run(&url_text(), |prefix| {
            let allowed = prefix.len() <= 252
                && prefix
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
            match backend.clone().with_table_prefix(&prefix) {
                Ok(_) => prop_assert!(allowed, "{prefix:?} was accepted"),
                Err(Error::InvalidTableName { .. }) => prop_assert!(!allowed, "{prefix:?}"),
                Err(other) => prop_assert!(false, "{other:?}"),
            }
            Ok(())
        })
        .unwrap();
    for hostile in [
        "x\"; DROP TABLE blue_reliable; --",
        "a b",
        "ü",
        "a/b",
        "a'b",
    ] {
        assert!(matches!(
            backend.clone().with_table_prefix(hostile),
            Err(Error::InvalidTableName { .. })
        ));
    }
}

/// Rows written into an SQLite table by another tool, each read through
/// every read path: a typed error (or, for a row of an entity the reader
/// does not know, a skip), never a panic.
#[test]
fn rows_written_by_other_tools_are_typed_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hostile.db");
    let runtime = crate::runtime();
    runtime.block_on(async {
        let store = Store::sqlite(&path).unwrap();
        store.create_table::<Reliable>().await.unwrap();
        store.put(&cell("p", 0, 1)).await.unwrap();
    });
    let (pk, sk0) = Cell::key("p", 0u32).into_parts();
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let rows: Vec<(String, String)> = vec![
        (Cell::key("p", 1u32).into_parts().1, "not json".into()),
        (Cell::key("p", 2u32).into_parts().1, "[]".into()),
        (Cell::key("p", 3u32).into_parts().1, "{}".into()),
        (
            Cell::key("p", 4u32).into_parts().1,
            r#"{"part":"p","id":4,"count":"seven"}"#.into(),
        ),
        (
            Cell::key("p", 5u32).into_parts().1,
            r#"{"part":"p","id":5,"count":1e400}"#.into(),
        ),
        (Cell::key("p", 6u32).into_parts().1, "null".into()),
        (Cell::key("p", 7u32).into_parts().1, deep),
        (
            Cell::key("p", 8u32).into_parts().1,
            r#"{"part":"p","id":8,"count":1,"tags":"a"}"#.into(),
        ),
        // The data column has numeric affinity: SQLite stores these as
        // numbers (found by the long mode: they were `Error::Backend`).
        (Cell::key("p", 9u32).into_parts().1, "0".into()),
        (Cell::key("p", 10u32).into_parts().1, "2.5".into()),
        (
            "CELL#not-a-number".into(),
            r#"{"part":"p","count":1}"#.into(),
        ),
    ];
    {
        let db = rusqlite::Connection::open(&path).unwrap();
        for (sk, data) in &rows {
            db.execute(
                "INSERT OR REPLACE INTO blue_reliable (pk, sk, data, created_at, size, updated_at) \
                 VALUES (?1, ?2, ?3, '2026-11-30T00:00:00.000Z', 10, '2026-11-30T00:00:00.000Z')",
                rusqlite::params![pk, sk, data],
            )
            .unwrap();
        }
        // A good item whose size column another tool filled with text.
        let (spk, ssk) = Cell::key("s", 1u32).into_parts();
        db.execute(
            "INSERT INTO blue_reliable (pk, sk, data, created_at, size, updated_at) \
             VALUES (?1, ?2, ?3, '2026-11-30T00:00:00.000Z', 'big', '2026-11-30T00:00:00.000Z')",
            rusqlite::params![spk, ssk, serde_json::to_string(&cell("s", 1, 1)).unwrap()],
        )
        .unwrap();
    }
    runtime.block_on(async {
        let store = Store::sqlite(&path).unwrap();
        assert_eq!(
            store.get(Cell::key("s", 1u32)).await.unwrap(),
            Some(cell("s", 1, 1))
        );
        let query = store.query(Cell::query("s")).all().await;
        assert!(matches!(query, Err(Error::Decode { .. })), "{query:?}");
        // The good row still reads.
        assert_eq!(
            store.get(Cell::key("p", 0u32)).await.unwrap(),
            Some(cell("p", 0, 1))
        );
        let c = Cell::attr();
        for id in 1..=10u32 {
            // An update applies to whatever is stored, as on DynamoDB; data
            // that is not an object cannot be updated.
            let updated = store.update(Cell::key("p", id)).add(c.count, 1).await;
            let not_an_object = [1, 2, 6, 7, 9, 10].contains(&id);
            assert!(
                match &updated {
                    Err(Error::Decode { .. }) => true,
                    Ok(()) | Err(Error::InvalidUpdate { .. } | Error::Overflow { .. }) => {
                        !not_an_object
                    }
                    _ => false,
                },
                "row {id}: {updated:?}"
            );
            let got = store.get(Cell::key("p", id)).await;
            assert!(
                matches!(got, Err(Error::Decode { .. })),
                "row {id}: {got:?}"
            );
            let many = store.get_many([Cell::key("p", id)]).await;
            assert!(
                matches!(many, Err(Error::Decode { .. })),
                "row {id}: {many:?}"
            );
            // A filtered query parses the attributes its filter reads
            // alone, then decodes the rows it keeps: a row that is not an
            // object, or whose filtered attribute does not parse, is as
            // much a decode error as on the unfiltered path; one the filter
            // leaves out is not decoded at all (row 4, whose `count` is
            // still "seven": the update above refused it; row 3's update
            // gave it a count, and it is kept, and fails to decode).
            let filtered = store
                .query(Cell::query("p").id_between(id, id).filter(c.count.ge(0)))
                .all()
                .await;
            let left_out = id == 4;
            assert!(
                match &filtered {
                    Ok(items) => left_out && items.is_empty(),
                    Err(Error::Decode { .. }) => !left_out,
                    _ => false,
                },
                "row {id}: {filtered:?}"
            );
        }
        let query = store.query(Cell::query("p")).all().await;
        assert!(matches!(query, Err(Error::Decode { .. })), "{query:?}");
        let whole = store.query(PartItems::query("p")).all().await;
        assert!(matches!(whole, Err(Error::Decode { .. })), "{whole:?}");
        let _ = sk0;
    });
    // Random JSON in the data column: never a panic.
    let json = prop::collection::vec(any::<u8>(), 0..64)
        .prop_map(|b| String::from_utf8_lossy(&b).into_owned());
    let db = rusqlite::Connection::open(&path).unwrap();
    let store = Store::sqlite(&path).unwrap();
    runner(cases() / 20)
        .run(&json, |data| {
            db.execute(
                "UPDATE blue_reliable SET data = ?1 WHERE pk = ?2 AND sk = ?3",
                rusqlite::params![data, pk, Cell::key("p", 1u32).into_parts().1],
            )
            .unwrap();
            match runtime.block_on(async { store.get(Cell::key("p", 1u32)).await }) {
                Ok(_) | Err(Error::Decode { .. }) => {}
                Err(other) => prop_assert!(false, "{data:?}: {other:?}"),
            }
            Ok(())
        })
        .unwrap();
}

/// Items written into a DynamoDB table by another tool (as the `aws` CLI
/// would, through the SDK here), with wrong attribute types or missing
/// fields: typed errors, never a panic.
#[test]
fn dynamodb_items_written_by_other_tools_are_typed_errors() {
    use aws_sdk_dynamodb::types::AttributeValue as A;
    let runtime = crate::runtime();
    runtime.block_on(async {
        let backend = crate::dynamodb::backend().await;
        let store = Store::from_backend(backend.clone());
        store.create_table::<Reliable>().await.unwrap();
        let (pk, _) = Cell::key("p", 0u32).into_parts();
        let s = |v: &str| A::S(v.to_owned());
        let n = |v: &str| A::N(v.to_owned());
        // `count` is a key attribute of the multi-attribute index `gsi3`
        // (`N`): DynamoDB itself refuses another type there, so the wrong
        // types go into `log` (a list of strings) instead.
        let one = n("1");
        let items: Vec<(u32, Vec<(&str, A)>)> = vec![
            (1, vec![("count", one.clone()), ("log", s("seven"))]),
            (2, vec![]),
            (3, vec![("count", one.clone()), ("log", n("3"))]),
            (4, vec![("count", one.clone()), ("note", n("5"))]),
            (5, vec![("count", n("1e100"))]),
            (6, vec![("count", one.clone()), ("log", A::Null(true))]),
            (7, vec![("count", one.clone()), ("created_at", n("5"))]),
            (8, vec![("count", one), ("log", A::M(Default::default()))]),
        ];
        let (_, sk) = Cell::key("p", 9u32).into_parts();
        let refused = backend
            .client()
            .put_item()
            .table_name(backend.table_name("blue_reliable"))
            .item("pk", s(&pk))
            .item("sk", s(&sk))
            .item("count", s("seven"))
            .send()
            .await
            .unwrap_err();
        let refused = format!(
            "{:?}",
            aws_sdk_dynamodb::error::DisplayErrorContext(refused)
        );
        assert!(refused.contains("ValidationException"), "{refused}");
        for (id, attributes) in &items {
            let (_, sk) = Cell::key("p", *id).into_parts();
            let mut request = backend
                .client()
                .put_item()
                .table_name(backend.table_name("blue_reliable"))
                .item("pk", s(&pk))
                .item("sk", s(&sk))
                .item("part", s("p"))
                .item("id", n(&id.to_string()));
            for (name, value) in attributes {
                request = request.item(*name, value.clone());
            }
            request.send().await.unwrap();
        }
        // A bookkeeping attribute of the wrong type does not stop the
        // entity from reading; the record reads it as absent or refuses it.
        assert!(store.get(Cell::key("p", 7u32)).await.unwrap().is_some());
        let record = store.get_record(Cell::key("p", 7u32)).await;
        assert!(
            matches!(record, Ok(Some(_)) | Err(Error::Decode { .. })),
            "{record:?}"
        );
        for (id, _) in items.iter().filter(|(id, _)| *id != 7) {
            let got = store.get(Cell::key("p", *id)).await;
            assert!(
                matches!(got, Err(Error::Decode { .. })),
                "item {id}: {got:?}"
            );
        }
        let query = store.query(Cell::query("p")).all().await;
        assert!(matches!(query, Err(Error::Decode { .. })), "{query:?}");
        crate::dynamodb::drop_tables(&backend).await;
    });
}

/// The secret key and session token of the SDK configuration appear in no
/// `Debug` or `Display` of the store, the backend, or an error from a
/// failed request (the library writes no logs).
#[test]
fn credentials_never_appear_in_debug_or_display() {
    use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
    use blue_schema::backend::dynamodb::DynamoDbBackend;
    const SECRET: &str = "hostileSECRETkey0123456789";
    const TOKEN: &str = "hostileSESSIONtoken0123456789";
    let runtime = crate::runtime();
    runtime.block_on(async {
        // A port nothing listens on: every request fails.
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", closed.local_addr().unwrap());
        drop(closed);
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(url)
            .credentials_provider(Credentials::new(
                "AKIDHOSTILE",
                SECRET,
                Some(TOKEN.to_owned()),
                None,
                "test",
            ))
            .build();
        let backend = DynamoDbBackend::new(&aws_sdk_dynamodb::Client::from_conf(config));
        let store = Store::from_backend(backend.clone());
        let error = store.get(Cell::key("p", 0u32)).await.unwrap_err();
        let mut texts = vec![
            format!("{store:?}"),
            format!("{backend:?}"),
            format!("{error}"),
            format!("{error:?}"),
            blue_schema::error_chain(&error),
        ];
        let mut source = std::error::Error::source(&error);
        while let Some(e) = source {
            texts.push(format!("{e} {e:?}"));
            source = e.source();
        }
        for text in texts {
            assert!(!text.contains(SECRET), "the secret key in {text}");
            assert!(!text.contains(TOKEN), "the session token in {text}");
        }
    });
}

/// Neither a page size nor a cursor from a client sizes an allocation: a
/// page stops at 1 MB of items whatever its size says, and a cursor longer
/// than any the library writes is refused before it is decoded.
#[test]
fn page_sizes_and_cursors_cannot_ask_for_unbounded_memory() {
    let runtime = crate::runtime();
    runtime.block_on(async {
        let store = Store::sqlite_memory().unwrap();
        store.create_table::<Reliable>().await.unwrap();
        let mut big = cell("p", 0, 0);
        big.log = vec!["x".repeat(300_000)];
        for id in 0..5 {
            big.id = id;
            store.put(&big).await.unwrap();
        }
        let page = store
            .query(Cell::query("p").page_size(u32::MAX))
            .page()
            .await
            .unwrap();
        assert_eq!(page.items.len(), 3, "1 MB holds three 300 KB items");
        assert!(page.cursor.is_some());
    });
    let long = "A".repeat(blue_schema::query::MAX_CURSOR_LEN + 1);
    assert_eq!(long.parse::<Cursor>(), Err(CursorError::Malformed));
    let huge = "A".repeat(64 << 20);
    assert_eq!(huge.parse::<Cursor>(), Err(CursorError::Malformed));
}

/// Random attribute values, nested a little.
fn attribute_value() -> impl Strategy<Value = aws_sdk_dynamodb::types::AttributeValue> {
    use aws_sdk_dynamodb::primitives::Blob;
    use aws_sdk_dynamodb::types::AttributeValue as A;
    let number = prop_oneof![
        "-?[0-9]{1,40}",
        "-?[0-9]{1,5}\\.[0-9]{1,5}",
        "[0-9]\\.[0-9]E[+-]?[0-9]{1,3}",
    ];
    let leaf = prop_oneof![
        "\\PC{0,12}".prop_map(A::S),
        number.clone().prop_map(A::N),
        any::<bool>().prop_map(A::Bool),
        Just(A::Null(true)),
        prop::collection::vec(any::<u8>(), 1..8).prop_map(|b| A::B(Blob::new(b))),
        prop::collection::btree_set("[a-z#]{0,4}", 1..4)
            .prop_map(|s| A::Ss(s.into_iter().collect())),
        prop::collection::btree_set("[0-9]{1,3}", 1..4)
            .prop_map(|s| A::Ns(s.into_iter().collect())),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(A::L),
            prop::collection::hash_map("[a-z_]{1,6}", inner, 0..4).prop_map(A::M),
        ]
    })
}

/// Random DynamoDB items under a cell's key, as another tool could write
/// them: each field missing, of its type, or of any other; read back, an
/// item is a cell or `Error::Decode`, never a panic.
#[test]
fn random_dynamodb_items_decode_or_are_typed_errors() {
    let runtime = crate::runtime();
    let backend = runtime.block_on(async {
        let backend = crate::dynamodb::backend().await;
        Store::from_backend(backend.clone())
            .create_table::<Reliable>()
            .await
            .unwrap();
        backend
    });
    let store = Store::from_backend(backend.clone());
    use aws_sdk_dynamodb::types::AttributeValue as V;
    // Each field: of its own type (most often), missing, or anything.
    let field = |good: BoxedStrategy<V>| {
        prop_oneof![
            3 => good.prop_map(Some),
            1 => Just(None),
            1 => attribute_value().prop_map(Some),
        ]
    };
    let item = (
        field(Just(V::S("p".into())).boxed()),
        field(Just(V::N("1".into())).boxed()),
        field("-?[0-9]{1,20}".prop_map(V::N).boxed()),
        field("\\PC{0,8}".prop_map(V::S).boxed()),
        field(
            prop::collection::btree_set("[a-c#]{1,2}", 1..3)
                .prop_map(|s| V::Ss(s.into_iter().collect()))
                .boxed(),
        ),
        field(
            prop::collection::vec("[a-c]{0,2}".prop_map(V::S), 0..3)
                .prop_map(V::L)
                .boxed(),
        ),
    );
    let cases = if crate::long_mode() { 20_000 } else { 500 };
    let decoded = AtomicU64::new(0);
    runner(cases)
        .run(&item, |(part, id, count, note, tags, log)| {
            use aws_sdk_dynamodb::types::AttributeValue as A;
            let (pk, sk) = Cell::key("p", 1u32).into_parts();
            let mut request = backend
                .client()
                .put_item()
                .table_name(backend.table_name("blue_reliable"))
                .item("pk", A::S(pk))
                .item("sk", A::S(sk));
            for (name, value) in [
                ("part", part),
                ("id", id),
                ("count", count),
                ("note", note),
                ("tags", tags),
                ("log", log),
            ] {
                if let Some(value) = value {
                    request = request.item(name, value);
                }
            }
            // DynamoDB refuses some shapes itself (an empty set...).
            if runtime.block_on(request.send()).is_err() {
                return Ok(());
            }
            match runtime.block_on(async { store.get(Cell::key("p", 1u32)).await }) {
                Ok(Some(_)) => {
                    decoded.fetch_add(1, Ordering::Relaxed);
                }
                Err(Error::Decode { .. }) => {}
                other => prop_assert!(false, "{other:?}"),
            }
            Ok(())
        })
        .unwrap();
    println!(
        "random DynamoDB items: {cases} written, {} decoded as cells",
        decoded.into_inner()
    );
    runtime.block_on(crate::dynamodb::drop_tables(&backend));
}

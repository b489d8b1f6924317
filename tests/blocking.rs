//! The synchronous API on each backend, from code that creates no async
//! runtime: `blocking::Store`, and `block_on` on a store's futures. (The
//! DynamoDB emulator runs in a thread of its own.) One test per backend, in
//! a binary of its own, since the DynamoDB one sets credential variables.

#[path = "common/dynamodb.rs"]
mod dynamodb;

use blue_schema::blocking::Store;
use blue_schema::{block_on, Error};
use blue_schema_examples::dialogue::*;

fn expert(name: &str, score: i32) -> Expert {
    Expert {
        dialogue_id: "d".into(),
        name: name.into(),
        role: "skeptic".into(),
        tier: 1,
        score,
    }
}

/// Everything a sync program does, on one store.
fn exercise(store: &Store) {
    assert!(
        tokio::runtime::Handle::try_current().is_err(),
        "no runtime here"
    );
    store.create_table::<Dialogue>().unwrap();
    let experts: Vec<Expert> = (0..7).map(|i| expert(&format!("e{i}"), i)).collect();
    store.put_all(&experts).unwrap();
    store.put(&expert("e0", 100)).unwrap();
    assert!(matches!(
        store.create(&expert("e1", 1)),
        Err(Error::AlreadyExists { .. })
    ));
    assert_eq!(
        store.get(Expert::key("d", "e0")).unwrap().unwrap().score,
        100
    );
    let record = store.get_record(Expert::key("d", "e1")).unwrap().unwrap();
    assert_eq!(record.value, experts[1]);

    let pages: Vec<usize> = store
        .query(Expert::query("d").page_size(3))
        .pages()
        .map(|page| page.unwrap().items.len())
        .collect();
    assert_eq!(pages, [3, 3, 1]);
    let items: Vec<Expert> = store
        .query(Expert::query("d").take(4))
        .items()
        .map(Result::unwrap)
        .collect();
    assert_eq!(items.len(), 4);
    assert_eq!(store.query(Expert::query("d")).all().unwrap().len(), 7);
    let page = store.query(Expert::query("d").page_size(2)).page().unwrap();
    assert_eq!(page.items.len(), 2);
    let raw = store.query(Dialogue::partition("d")).raw().unwrap();
    assert_eq!(raw.len(), 7);

    // Any async operation, with its options, through `run`, and the async
    // store's futures through `block_on`.
    let eventually = store.run(
        store
            .as_async()
            .get(Expert::key("d", "e2"))
            .eventually_consistent(),
    );
    assert!(matches!(eventually, Ok(Some(_)) | Ok(None)));
    let read = block_on(store.as_async().get(Expert::key("d", "e3"))).unwrap();
    assert_eq!(read, Some(experts[3].clone()));

    assert_eq!(
        store.delete_returning(Expert::key("d", "e6")).unwrap(),
        Some(experts[6].clone())
    );
    store.delete(Expert::key("d", "e5")).unwrap();
    assert_eq!(store.query(Expert::query("d")).all().unwrap().len(), 5);
}

#[test]
fn sqlite_from_sync_code() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("sync.db").display());
    exercise(&Store::open(&url).unwrap());
    exercise(&Store::open("sqlite::memory:").unwrap());
}

#[test]
fn dynamodb_from_sync_code() {
    let (endpoint, local) = dynamodb::endpoint_url();
    if local {
        // The emulator takes any credentials; the chain finds these.
        std::env::set_var("AWS_ACCESS_KEY_ID", "blue-schema-test");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "blue-schema-test");
    }
    let prefix = dynamodb::unique_prefix();
    let url = format!("dynamodb://?region=us-east-1&endpoint={endpoint}&table_prefix={prefix}");
    let store = Store::open(&url).unwrap();
    assert_eq!(store.backend_name(), "dynamodb");
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| exercise(&store)));
    // Leave a shared endpoint as it was found: the test harness uses a
    // runtime of its own for that, after the sync code is done.
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let backend =
                blue_schema::backend::dynamodb::DynamoDbBackend::new(&dynamodb::client().await)
                    .with_table_prefix(&prefix)
                    .unwrap();
            dynamodb::drop_tables(&backend).await;
        });
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}

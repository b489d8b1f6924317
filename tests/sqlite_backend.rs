//! What only the SQLite backend has: the ADR's table as stored, its query
//! plans, WAL, busy writers, URLs, and use without an async runtime.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use blue_schema::backend::sqlite::{Layout, SqliteConfig};
use blue_schema::docs::sqlite_ddl;
use blue_schema::{block_on, Error, Store, Table};
use blue_schema_examples::dialogue::*;
use rusqlite::trace::{TraceEvent, TraceEventCodes};
use rusqlite::Connection;

fn expert(d: &str, name: &str, score: i32) -> Expert {
    Expert {
        dialogue_id: d.into(),
        name: name.into(),
        role: "skeptic".into(),
        tier: 1,
        score,
    }
}

fn raw(path: &Path) -> Connection {
    Connection::open(path).unwrap()
}

#[test]
fn rows_are_the_adrs_table() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("blue.db");
    let store = Store::sqlite(&path).unwrap();
    block_on(store.create_table::<Dialogue>()).unwrap();
    let muffin = expert("nvidia-dec", "muffin", 42);
    block_on(store.put(&muffin)).unwrap();

    let db = raw(&path);
    let (pk, sk, data, created_at, size, updated_at): (
        String,
        String,
        String,
        String,
        i64,
        String,
    ) = db
        .query_row(
            "select pk, sk, data, created_at, size, updated_at from blue_dialogue",
            [],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            },
        )
        .unwrap();
    assert_eq!((pk.as_str(), sk.as_str()), ("nvidia-dec", "EXPERT#muffin"));
    // `data` is the entity's serde JSON, byte for byte, and then the keys
    // of the indexes the item is in (experts by role: `gsi1`).
    let json = serde_json::to_string(&muffin).unwrap();
    assert_eq!(
        data,
        format!(
            "{},\"gsi1pk\":\"ROLE#skeptic\",\"gsi1sk\":\"EXPERT#001#nvidia-dec#EXPERT%23muffin\"}}",
            &json[..json.len() - 1]
        )
    );
    // Each index: two generated columns that read its keys from `data`,
    // and a partial index over the rows that have them.
    let (gsi1_pk, gsi1_sk, gsi2_pk): (String, String, Option<String>) = db
        .query_row(
            "select gsi1_pk, gsi1_sk, gsi2_pk from blue_dialogue",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(
        (gsi1_pk.as_str(), gsi1_sk.as_str(), gsi2_pk),
        (
            "ROLE#skeptic",
            "EXPERT#001#nvidia-dec#EXPERT%23muffin",
            None
        )
    );
    let index_sql: Vec<String> = db
        .prepare("select sql from sqlite_master where type = 'index' and tbl_name = 'blue_dialogue' order by name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        index_sql,
        [1, 2].map(|n| format!(
            "CREATE INDEX \"blue_dialogue#gsi{n}\" ON \"blue_dialogue\" (gsi{n}_pk, gsi{n}_sk) \
             WHERE gsi{n}_pk IS NOT NULL AND gsi{n}_sk IS NOT NULL"
        ))
    );
    let record = block_on(store.get_record(Expert::key("nvidia-dec", "muffin")))
        .unwrap()
        .unwrap();
    assert_eq!(created_at, record.created_at);
    assert_eq!(updated_at, record.updated_at);
    assert_eq!(
        updated_at, created_at,
        "a new item's two times are the write's"
    );
    // pk, sk, created_at, updated_at, then dialogue_id, name, role, tier
    // (1 → 2 bytes), score (42 → 2 bytes), and the index keys gsi1pk,
    // gsi1sk, counted as DynamoDB counts any attribute.
    let expected = 2
        + 10
        + 2
        + 13
        + 10
        + 24
        + 10
        + 24
        + 11
        + 10
        + 4
        + 6
        + 4
        + 7
        + 4
        + 2
        + 5
        + 2
        + (6 + "ROLE#skeptic".len())
        + (6 + "EXPERT#001#nvidia-dec#EXPERT%23muffin".len());
    assert_eq!(size as usize, expected);

    let ddl: String = db
        .query_row(
            "select sql from sqlite_master where name = 'blue_dialogue'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        ddl,
        sqlite_ddl(&Dialogue::SCHEMA)
            .split(";\n")
            .next()
            .unwrap()
            .replace("IF NOT EXISTS ", "")
    );
    assert!(ddl.contains("PRIMARY KEY (pk, sk)") && ddl.ends_with("WITHOUT ROWID"));
    let mode: String = db
        .query_row("pragma journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

static STATEMENTS: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());

fn record_statement(event: TraceEvent<'_>) {
    if let TraceEvent::Stmt(stmt, _) = event {
        STATEMENTS.lock().unwrap().insert(stmt.sql().into_owned());
    }
}

/// Runs every operation of the store, recording each statement the backend
/// sends, then asks SQLite how it runs each one: a full scan of the table
/// fails the test.
///
/// In the tables layout the same: every statement searches a key of each
/// table it reads (a read of several tables merges them: no sort), and a
/// whole-partition read merges one search per table.
#[test]
fn every_statement_searches_the_primary_key() {
    // One layout after the other: the statements are recorded in one
    // place.
    every_statement_searches(Layout::SingleTable);
    every_statement_searches(Layout::Tables);
}

fn every_statement_searches(layout: Layout) {
    STATEMENTS.lock().unwrap().clear();
    let tables = layout == Layout::Tables;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plans.db");
    let backend = SqliteConfig::file(&path)
        .layout(layout)
        .on_connect(|conn| {
            conn.trace_v2(TraceEventCodes::SQLITE_TRACE_STMT, Some(record_statement));
            Ok(())
        })
        .open()
        .unwrap();
    let store = Store::from_backend(backend);
    block_on(async {
        store.create_table::<Dialogue>().await?;
        let items: Vec<Expert> = (0..50)
            .map(|i| expert("d", &format!("e{i:02}"), i))
            .collect();
        store.put_all(&items).await?;
        store.put(&expert("d", "muffin", 1)).await?;
        store.create(&expert("d", "muf", 1)).await?;
        store.create(&expert("d", "muf", 1)).await.unwrap_err();
        store.get(Expert::key("d", "muffin")).await?;
        store.get_record(Expert::key("d", "nobody")).await?;
        store.delete(Expert::key("d", "muf")).await?;
        store.delete_returning(Expert::key("d", "muffin")).await?;
        store.query(Expert::query("d").page_size(7)).all().await?;
        store
            .query(Expert::query("d").reverse().page_size(7))
            .all()
            .await?;
        store.query(Expert::query("d").name("e01")).all().await?;
        store
            .query(Expert::query("d").name_between("e10", "e20"))
            .all()
            .await?;
        store
            .query(Perspective::query("d").round_ge(1).reverse())
            .all()
            .await?;
        // Index queries, both orders, and a filter.
        store
            .query(Expert::by_role("skeptic").tier_ge(1u8).page_size(7))
            .all()
            .await?;
        store
            .query(
                Tension::by_status(Status::Open)
                    .reverse()
                    .filter(Tension::attr().description.begins_with("x")),
            )
            .all()
            .await?;
        store
            .query(Dialogue::partition("d").page_size(3))
            .all()
            .await?;
        // The write side: conditional writes, updates, transactions with a
        // token, batch and transactional reads.
        let a = Expert::attr();
        store
            .put(&expert("d", "e01", 5))
            .when(a.score.ge(0))
            .await?;
        store
            .update(Expert::key("d", "e02"))
            .add(a.score, 1)
            .await?;
        store
            .update(Expert::key("d", "new"))
            .set_index(ExpertByRole {
                role: "x".into(),
                tier: 1,
            })
            .set(a.score, 1)
            .or_create()
            .await?;
        store
            .delete(Expert::key("d", "e03"))
            .when(a.score.ge(0))
            .await?;
        let mut tx = store.transaction();
        tx.update(blue_schema::Update::new(Expert::key("d", "e04")).add(a.score, 1));
        tx.create(&expert("d", "tx", 1));
        tx.check(Expert::key("d", "e05"), a.score.ge(0));
        tx.token("plans");
        tx.commit().await?;
        store
            .get_many([Expert::key("d", "e06"), Expert::key("d", "e07")])
            .await?;
        store
            .transact_get([Expert::key("d", "e08"), Expert::key("d", "e09")])
            .await?;
        Ok::<(), Error>(())
    })
    .unwrap();

    let statements = STATEMENTS.lock().unwrap().clone();
    let db = raw(&path);
    // The function the store registers on its own connections (the shape
    // of a stored item); its result does not change a plan.
    db.create_scalar_function(
        "blue_shape",
        1,
        rusqlite::functions::FunctionFlags::SQLITE_UTF8,
        |_| Ok(1),
    )
    .unwrap();
    let mut searched = 0;
    let mut index_searches = 0;
    let mut merged = 0;
    for sql in &statements {
        // Schema changes have no plan (and cannot run twice); nor does
        // the routes' record. The rows a route takes are moved when it is
        // added (`GLOB`, in `create_table`), never on a read or write.
        let head = sql.trim_start();
        if head.starts_with("ALTER TABLE")
            || head.starts_with("CREATE")
            || head.starts_with("DROP")
            || head.starts_with("INSERT OR REPLACE INTO blue_schema_layouts")
            || sql.contains(" GLOB ")
        {
            continue;
        }
        // Parameters stay unbound (NULL): the plan does not depend on them.
        let mut explain = db.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let mut rows = explain.raw_query();
        let mut plan = Vec::new();
        while let Some(row) = rows.next().unwrap() {
            plan.push(row.get::<_, String>(3).unwrap());
        }
        for step in &plan {
            // create_table reads the schema once (the table's column list,
            // and whether a name differing only in case exists): scans of
            // the schema, not of any data.
            // Whether the table holds a row, before an index is added:
            // the first row, not a scan.
            let schema_lookup = step.starts_with("SCAN pragma_table_xinfo VIRTUAL TABLE")
                || step.starts_with("SCAN sqlite_master")
                || sql.starts_with("SELECT EXISTS (SELECT 1 FROM");
            assert!(
                !step.starts_with("SCAN") || schema_lookup,
                "a full scan: {step}\n  in: {sql}"
            );
            assert!(!step.contains("TEMP B-TREE"), "a sort: {step}\n  in: {sql}");
            if step.starts_with("SEARCH blue_dialogue")
                && step.contains(" USING PRIMARY KEY (pk=? AND sk")
            {
                searched += 1;
            }
            for n in 1..=2 {
                if step.starts_with("SEARCH blue_dialogue")
                    && step.contains(&format!(
                        "#gsi{n} (gsi{n}_pk=? AND gsi{n}_sk>? AND gsi{n}_sk<?)"
                    ))
                {
                    index_searches += 1;
                }
            }
        }
        if plan.iter().any(|s| s.starts_with("MERGE (UNION ALL)")) {
            merged += 1;
        }
        let reads_rows = (sql.starts_with("SELECT") && !sql.starts_with("SELECT EXISTS"))
            || sql.starts_with("DELETE")
            || sql.starts_with("UPDATE");
        if reads_rows && sql.contains("FROM \"blue_dialogue") {
            assert!(
                plan.iter().any(|s| s.starts_with("SEARCH")),
                "no primary-key search: {plan:?}\n  in: {sql}"
            );
        }
    }
    // get, delete, delete returning, both query orders (insert has no plan).
    assert!(searched >= 5, "{statements:#?}");
    // Every index query, in either order, searches its partial index (of
    // each table, in the tables layout: the table itself and each
    // entity's).
    let tables_read = if tables {
        1 + Dialogue::SCHEMA.entities.len()
    } else {
        1
    };
    assert_eq!(index_searches, 2 * tables_read, "{statements:#?}");
    // A whole-partition read, an index query and a scan merge the tables
    // (each statement once, whatever its order); a query of one entity
    // reads its table alone.
    assert_eq!(merged > 0, tables, "{statements:#?}");
    if tables {
        assert!(
            statements
                .iter()
                .any(|s| s.contains("FROM \"blue_dialogue_expert\"") && !s.contains("UNION")),
            "{statements:#?}"
        );
    }
    let kinds = [
        "SELECT data",
        "INSERT",
        "ON CONFLICT (pk, sk) DO NOTHING",
        "DELETE",
        "RETURNING",
        "ASC",
        "DESC",
    ];
    for kind in kinds {
        assert!(
            statements.iter().any(|s| s.contains(kind)),
            "no statement with {kind:?} was traced: {statements:#?}"
        );
    }
}

#[test]
fn a_busy_database_fails_with_a_typed_error_after_the_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("busy.db");
    let store = Store::from_backend(
        SqliteConfig::file(&path)
            .busy_timeout(Duration::from_millis(100))
            .open()
            .unwrap(),
    );
    block_on(store.create_table::<Dialogue>()).unwrap();

    let mut other = raw(&path);
    let tx = other
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .unwrap();
    let err = block_on(store.put(&expert("d", "m", 1))).unwrap_err();
    match &err {
        Error::Busy { backend, source } => {
            assert_eq!(*backend, "sqlite");
            let sqlite = source
                .downcast_ref::<rusqlite::Error>()
                .and_then(rusqlite::Error::sqlite_error_code);
            assert_eq!(sqlite, Some(rusqlite::ErrorCode::DatabaseBusy));
        }
        other => panic!("expected Busy, got {other:?}"),
    }
    assert!(err.is_retryable());
    let batch = [expert("d", "a", 1), expert("d", "b", 2)];
    assert!(matches!(
        block_on(store.put_all(&batch)),
        Err(Error::Busy { .. })
    ));
    // Readers are not blocked by a writer (WAL).
    assert_eq!(block_on(store.get(Expert::key("d", "m"))).unwrap(), None);
    tx.rollback().unwrap();

    block_on(store.put(&expert("d", "m", 1))).unwrap();
    assert!(block_on(store.get(Expert::key("d", "m")))
        .unwrap()
        .is_some());
}

#[test]
fn a_batch_that_fails_midway_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("batch.db");
    let store = Store::sqlite(&path).unwrap();
    block_on(store.create_table::<Dialogue>()).unwrap();
    // Make the 50th insert fail inside SQLite, after 49 have been written.
    raw(&path)
        .execute_batch(
            "CREATE TRIGGER boom BEFORE INSERT ON blue_dialogue \
             WHEN NEW.sk = 'EXPERT#e49' BEGIN SELECT RAISE(ABORT, 'boom'); END",
        )
        .unwrap();
    let items: Vec<Expert> = (0..100)
        .map(|i| expert("d", &format!("e{i:02}"), i))
        .collect();
    let err = block_on(store.put_all(&items)).unwrap_err();
    assert!(blue_schema::error_chain(&err).contains("boom"), "{err:?}");
    assert!(block_on(store.query(Expert::query("d")).all())
        .unwrap()
        .is_empty());
}

#[test]
fn urls_open_files_and_private_memory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("url.db");
    let url = format!("sqlite://{}", path.display());
    let store = block_on(Store::open(&url)).unwrap();
    block_on(store.create_table::<Dialogue>()).unwrap();
    block_on(store.put(&expert("d", "m", 1))).unwrap();
    assert!(path.exists());
    // A second store on the same file sees the item.
    let again = block_on(Store::open(&format!("sqlite:{}", path.display()))).unwrap();
    assert!(block_on(again.get(Expert::key("d", "m")))
        .unwrap()
        .is_some());

    // Each in-memory store is its own database.
    let a = block_on(Store::open("sqlite::memory:")).unwrap();
    let b = block_on(Store::open("sqlite::memory:")).unwrap();
    block_on(a.create_table::<Dialogue>()).unwrap();
    block_on(a.put(&expert("d", "m", 1))).unwrap();
    assert!(matches!(
        block_on(b.get(Expert::key("d", "m"))),
        Err(Error::TableNotFound { .. })
    ));

    for (url, reason) in [
        (
            "postgres://x",
            "unknown scheme; expected sqlite://path/to/file.db, sqlite::memory: or dynamodb://",
        ),
        (
            "sqlite://",
            "no database path; use sqlite://path/to/file.db or sqlite::memory:",
        ),
    ] {
        let err = block_on(Store::open(url)).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("cannot open store {url:?}: {reason}")
        );
    }
    let missing_dir = dir.path().join("no/such/dir/x.db");
    let err = block_on(Store::open(&format!("sqlite://{}", missing_dir.display()))).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Backend {
                backend: "sqlite",
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn a_foreign_table_of_the_same_name_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("adr.db");
    // The ADR's table, created by hand, has no `size` column.
    raw(&path)
        .execute_batch(
            "CREATE TABLE blue_dialogue (pk TEXT NOT NULL, sk TEXT NOT NULL, data JSON NOT NULL, \
             created_at TEXT NOT NULL, PRIMARY KEY (pk, sk))",
        )
        .unwrap();
    let store = Store::sqlite(&path).unwrap();
    let err = block_on(store.create_table::<Dialogue>()).unwrap_err();
    assert!(matches!(err, Error::TableMismatch { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "table blue_dialogue exists but was not created by blue-schema: it has no column size"
    );
}

/// A table written before the library kept `updated_at` gains the column
/// on `create_table`; its old rows read their `created_at` as `updated_at`
/// until they are written again.
#[test]
fn a_table_from_before_updated_at_is_upgraded_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let db = raw(&path);
    db.execute_batch(
        "CREATE TABLE blue_dialogue (pk TEXT NOT NULL, sk TEXT NOT NULL, data JSON NOT NULL, \
         created_at TEXT NOT NULL, size INTEGER NOT NULL, PRIMARY KEY (pk, sk)) WITHOUT ROWID",
    )
    .unwrap();
    let muffin = expert("nvidia-dec", "muffin", 42);
    db.execute(
        "INSERT INTO blue_dialogue VALUES ('nvidia-dec', 'EXPERT#muffin', ?1, \
         '2025-01-02T03:04:05.678Z', 99)",
        [serde_json::to_string(&muffin).unwrap()],
    )
    .unwrap();
    let store = Store::sqlite(&path).unwrap();
    block_on(store.create_table::<Dialogue>()).unwrap();
    let key = Expert::key("nvidia-dec", "muffin");
    let old = block_on(store.get_record(&key)).unwrap().unwrap();
    assert_eq!(old.value, muffin);
    assert_eq!(old.created_at, "2025-01-02T03:04:05.678Z");
    assert_eq!(old.updated_at, old.created_at);
    // Written again, the row has its own updated_at and keeps created_at.
    block_on(store.put(&expert("nvidia-dec", "muffin", 43))).unwrap();
    let new = block_on(store.get_record(&key)).unwrap().unwrap();
    assert_eq!(new.created_at, old.created_at);
    assert!(new.updated_at > old.updated_at, "{new:?}");
    // Creating the table again changes nothing.
    block_on(store.create_table::<Dialogue>()).unwrap();
    assert_eq!(block_on(store.get_record(&key)).unwrap().unwrap(), new);
}

mod sized {
    use std::collections::BTreeSet;

    use blue_schema::{Entity, Table};
    use serde::{Deserialize, Serialize};

    #[derive(Table, Debug)]
    #[table(name = "blue_sized")]
    pub enum Sized {
        Doc(Doc),
    }

    #[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
    #[entity(table = Sized)]
    #[sk(prefix = "DOC")]
    pub struct Doc {
        #[pk]
        pub id: String,
        pub n: i64,
        pub title: String,
        pub note: Option<String>,
        pub lines: Vec<String>,
        #[set]
        #[serde(default)]
        pub tags: BTreeSet<String>,
    }
}

/// After each kind of update (in a transaction, the path a single update
/// shares), the `size` column is what a whole put of the same item writes:
/// the 1 MB page cut and the 400 KB check depend on it.
#[test]
fn an_update_keeps_the_stored_size_exact() {
    use sized::{Doc, Sized};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sized.db");
    let store = Store::sqlite(&path).unwrap();
    block_on(store.create_table::<Sized>()).unwrap();
    let db = raw(&path);
    let size = || -> i64 {
        db.query_row("select size from blue_sized where pk = 'd'", [], |r| {
            r.get(0)
        })
        .unwrap()
    };
    block_on(store.put(&Doc {
        id: "d".into(),
        n: 5,
        title: "a title".into(),
        note: None,
        lines: vec!["one".into()],
        tags: ["x".to_owned()].into(),
    }))
    .unwrap();
    let a = Doc::attr();
    let updates: Vec<blue_schema::Update<Doc>> = vec![
        blue_schema::Update::new(Doc::key("d")).add(a.n, 123_456_789),
        blue_schema::Update::new(Doc::key("d")).subtract(a.n, 999_999_999_999),
        blue_schema::Update::new(Doc::key("d")).set(a.title, "a much longer title ü"),
        blue_schema::Update::new(Doc::key("d")).set_if_absent(a.note, "first"),
        blue_schema::Update::new(Doc::key("d")).set_if_absent(a.note, "ignored"),
        blue_schema::Update::new(Doc::key("d")).append(a.lines, ["two", "three"]),
        blue_schema::Update::new(Doc::key("d")).prepend(a.lines, ["zero"]),
        blue_schema::Update::new(Doc::key("d")).add_to(a.tags, ["y", "zz"]),
        blue_schema::Update::new(Doc::key("d")).delete_from(a.tags, ["x", "y", "zz"]),
        blue_schema::Update::new(Doc::key("d")).remove(a.note),
        blue_schema::Update::new(Doc::key("d")).set(a.lines, Vec::<String>::new()),
    ];
    for update in updates {
        let what = format!("{update:?}");
        block_on(async {
            let mut tx = store.transaction();
            tx.update(update);
            tx.commit().await
        })
        .unwrap();
        let after_update = size();
        let doc = block_on(store.get(Doc::key("d"))).unwrap().unwrap();
        block_on(store.put(&doc)).unwrap();
        assert_eq!(after_update, size(), "after {what}");
    }
}

#[test]
fn sync_code_needs_no_runtime() {
    // No tokio here: block_on drives the futures on this thread.
    let store = Store::sqlite_memory().unwrap();
    block_on(store.create_table::<Dialogue>()).unwrap();
    block_on(store.put(&expert("d", "m", 1))).unwrap();
    let all = block_on(store.query(Dialogue::partition("d")).all()).unwrap();
    assert_eq!(all, vec![Dialogue::Expert(expert("d", "m", 1))]);
    assert_eq!(Dialogue::NAME, "blue_dialogue");
}

/// A writer waiting for SQLite's lock waits on the backend's thread: other
/// tasks of the same single-threaded runtime run meanwhile. (Were the wait on
/// the executor, the put would hold the only thread until its busy timeout
/// and fail before the other task could finish.)
#[test]
fn a_busy_writer_does_not_block_other_tasks() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("executor.db");
    let store = Store::from_backend(
        SqliteConfig::file(&path)
            .busy_timeout(Duration::from_secs(5))
            .open()
            .unwrap(),
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        store.create_table::<Dialogue>().await.unwrap();
        let mut other = raw(&path);
        let lock = other
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .unwrap();
        let put = tokio::spawn({
            let store = store.clone();
            async move { store.put(&expert("d", "waits", 1)).await }
        });
        // Let the put start and meet the lock.
        tokio::time::sleep(Duration::from_millis(50)).await;
        let elsewhere = tokio::spawn(async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            "done"
        });
        assert_eq!(elsewhere.await.unwrap(), "done");
        // Reads are not blocked by the writer either (WAL).
        assert_eq!(store.get(Expert::key("d", "waits")).await.unwrap(), None);
        assert!(!put.is_finished(), "the put still waits for the lock");
        lock.rollback().unwrap();
        put.await.unwrap().unwrap();
        assert!(store
            .get(Expert::key("d", "waits"))
            .await
            .unwrap()
            .is_some());
    });
}

static EXPLAINED: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());

fn record_query(event: TraceEvent<'_>) {
    if let TraceEvent::Stmt(stmt, _) = event {
        let sql = stmt.sql();
        if sql.starts_with("SELECT sk") {
            let expanded = stmt.expanded_sql().unwrap_or_default();
            EXPLAINED.lock().unwrap().push((sql.into_owned(), expanded));
        }
    }
}

/// `explain()` shows the statement the backend runs, with the parameters it
/// binds.
#[test]
fn explain_shows_the_statement_and_parameters_that_run() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::from_backend(
        SqliteConfig::file(dir.path().join("explain.db"))
            .on_connect(|conn| {
                conn.trace_v2(TraceEventCodes::SQLITE_TRACE_STMT, Some(record_query));
                Ok(())
            })
            .open()
            .unwrap(),
    );
    block_on(store.create_table::<Dialogue>()).unwrap();
    let query = Expert::query("d").name_ge("m").reverse().page_size(3);
    let plan = store.query(query.clone()).explain().unwrap();
    block_on(store.query(query).page()).unwrap();
    let ran = EXPLAINED.lock().unwrap().clone();
    assert_eq!(ran.len(), 1, "{ran:?}");
    let (sql, expanded) = &ran[0];
    let lines: Vec<&str> = plan.sqlite.lines().collect();
    assert_eq!(
        lines[0], sql,
        "the statement explain() shows is the one that ran"
    );
    assert_eq!(
        lines[1..4],
        ["?1 = 'd'", "?2 = 'EXPERT#m'", "?3 = 'EXPERT$' || X'00'"]
    );
    assert!(
        expanded.contains("WHERE pk = 'd' AND sk >= 'EXPERT#m' AND sk < 'EXPERT$"),
        "{expanded}"
    );
    assert!(lines[4].contains("until 3 are evaluated"), "{}", lines[4]);
}

/// SQLite does not tell table names apart by case and DynamoDB does: two
/// tables that differ only in case are refused on SQLite rather than share
/// one SQLite table.
#[test]
fn table_names_that_differ_only_in_case_are_refused() {
    use blue_schema::{Entity, Table};
    #[derive(Table, Debug)]
    #[table(name = "blue_case")]
    #[allow(dead_code)]
    enum Lower {
        Item(LowerItem),
    }
    #[derive(Entity, serde::Serialize, serde::Deserialize, Debug)]
    #[entity(table = Lower)]
    #[sk(prefix = "ITEM")]
    struct LowerItem {
        #[pk]
        id: String,
    }
    #[derive(Table, Debug)]
    #[table(name = "Blue_Case")]
    #[allow(dead_code)]
    enum Upper {
        Item(UpperItem),
    }
    #[derive(Entity, serde::Serialize, serde::Deserialize, Debug)]
    #[entity(table = Upper)]
    #[sk(prefix = "ITEM")]
    struct UpperItem {
        #[pk]
        id: String,
    }
    let store = Store::sqlite_memory().unwrap();
    block_on(store.create_table::<Lower>()).unwrap();
    match block_on(store.create_table::<Upper>()) {
        Err(Error::TableMismatch { table, found }) => {
            assert_eq!(table, "Blue_Case");
            assert!(found.contains("\"blue_case\""), "{found}");
        }
        other => panic!("expected TableMismatch, got {other:?}"),
    }
    // Creating the first again is fine.
    block_on(store.create_table::<Lower>()).unwrap();
}

#[test]
fn copies_and_reindex_write_index_keys_from_the_fields() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stale.db");
    let store = Store::sqlite(&path).unwrap();
    block_on(store.create_table::<Dialogue>()).unwrap();
    let muffin = expert("d", "muffin", 1);
    block_on(store.put(&muffin)).unwrap();
    // Another tool changes the index key behind the library's back.
    raw(&path)
        .execute(
            "UPDATE blue_dialogue SET data = json_set(data, '$.gsi1pk', 'ROLE#wrong')",
            [],
        )
        .unwrap();
    let by_role = |s: &Store, role: &str| block_on(s.query(Expert::by_role(role)).all()).unwrap();
    assert_eq!(
        by_role(&store, "wrong"),
        std::slice::from_ref(&muffin),
        "the stale entry"
    );
    // A copy computes the keys from the fields...
    let copy = Store::sqlite_memory().unwrap();
    block_on(blue_schema::migrate::copy_table::<Dialogue>(&store, &copy)).unwrap();
    assert_eq!(by_role(&copy, "skeptic"), std::slice::from_ref(&muffin));
    assert!(by_role(&copy, "wrong").is_empty());
    // ...and so does a reindex, in place, leaving `updated_at` alone.
    let before = block_on(store.get_record(Expert::key("d", "muffin")))
        .unwrap()
        .unwrap();
    let report = block_on(store.reindex::<Dialogue>()).unwrap();
    assert_eq!((report.scanned, report.rewritten), (1, 1), "{report:?}");
    assert_eq!(by_role(&store, "skeptic"), std::slice::from_ref(&muffin));
    assert!(by_role(&store, "wrong").is_empty());
    let after = block_on(store.get_record(Expert::key("d", "muffin")))
        .unwrap()
        .unwrap();
    assert_eq!(after, before);
}

#[path = "sqlite_views.rs"]
mod views;

#[path = "sqlite_tables.rs"]
mod tables;

#[path = "store/helpdesk.rs"]
#[allow(dead_code)]
mod helpdesk;

/// A multi-attribute index is a composite SQL index over generated
/// columns: every query of it, whatever its condition, order or cursor,
/// is a search of that index, never a scan or a sort; and its rows are
/// the item's own values, typed.
#[test]
fn multi_attribute_index_queries_search_their_index() {
    use blue_schema::IntoQuery;
    use helpdesk::*;

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("blue.db");
    let store = Store::sqlite(&path).unwrap();
    block_on(store.create_table::<Helpdesk>()).unwrap();
    for id in 0..6u32 {
        let mut t = ticket("c1", id, "web", (id % 2) as u8, i64::from(id) - 3);
        t.assignee = (id % 3 == 0).then(|| "ann".to_owned());
        block_on(store.put(&t)).unwrap();
    }
    let db = raw(&path);
    let (queue, priority, opened_at): (String, i64, i64) = db
        .query_row(
            "SELECT gsi1_queue, gsi1_priority, gsi1_openedAt FROM blue_helpdesk \
             WHERE sk = 'TICKET#0000000004'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!((queue.as_str(), priority, opened_at), ("web", 0, 1));
    let page = block_on(store.query(Ticket::by_queue("web").page_size(2)).page()).unwrap();
    let cursor = page.cursor.unwrap();
    let queries: Vec<blue_schema::query::Explain> = vec![
        Ticket::by_queue("web").explain(),
        Ticket::by_queue("web").reverse().explain(),
        Ticket::by_queue("web").priority(1).explain(),
        Ticket::by_queue("web").priority_lt(1).explain(),
        Ticket::by_queue("web")
            .priority(1)
            .opened_at_between(-2, 2)
            .explain(),
        Ticket::by_queue("web")
            .into_query()
            .after(cursor.clone())
            .explain(),
        Ticket::by_queue("web").into_query().reverse().explain(),
        Ticket::by_assignee("ann").opened_at_ge(0).explain(),
        Agent::by_team("ops", 1u16).explain(),
    ];
    for explain in queries {
        let sql = explain.sqlite.lines().next().unwrap();
        let mut plan = db.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let mut rows = plan.raw_query();
        let mut steps = Vec::new();
        while let Some(row) = rows.next().unwrap() {
            steps.push(row.get::<_, String>(3).unwrap());
        }
        assert!(
            steps.len() == 1
                && steps[0].starts_with("SEARCH blue_helpdesk USING INDEX blue_helpdesk#gsi"),
            "not one search of the index: {steps:?}\n  in: {sql}"
        );
    }
    // The cursor's query resumes after its position, in the same index.
    let after = Ticket::by_queue("web").into_query().after(cursor).explain();
    assert!(
        after
            .sqlite
            .contains("(gsi1_priority, gsi1_openedAt, pk, sk) > (?2, ?3, ?4, ?5)"),
        "{}",
        after.sqlite
    );
    assert!(
        after.dynamodb.contains("\"ExclusiveStartKey\""),
        "{}",
        after.dynamodb
    );
}

/// Processes that open a new file at the same moment all get a store:
/// turning a new file to WAL takes an exclusive lock, and SQLite refuses
/// the others at once (no busy handler) rather than make them wait.
#[test]
fn a_new_file_opened_by_many_at_once_opens_for_all() {
    let dir = tempfile::tempdir().unwrap();
    for round in 0..20 {
        let path = dir.path().join(format!("new-{round}.db"));
        let barrier = std::sync::Barrier::new(6);
        let opened: Vec<Result<(), Error>> = std::thread::scope(|scope| {
            let threads: Vec<_> = (0..6)
                .map(|_| {
                    scope.spawn(|| {
                        barrier.wait();
                        Store::sqlite(&path).map(drop)
                    })
                })
                .collect();
            threads.into_iter().map(|t| t.join().unwrap()).collect()
        });
        for result in opened {
            result.unwrap_or_else(|e| panic!("round {round}: {e}"));
        }
        let mode: String = raw(&path)
            .query_row("PRAGMA journal_mode", [], |row| row.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }
}

//! SQLite's tables layout (`Layout::Tables`, ADR 0018's "separate tables
//! with foreign keys"): what a plain connection finds in the file (a
//! table per entity, typed columns, the foreign key to the partition's
//! parent), the rows an entity added later takes, the single table's
//! guard, and a table keeping its layout. The store suite runs every
//! operation on this layout (`sqlite_tables::*`); this file looks at the
//! file itself.

use std::path::Path;

use blue_schema::backend::sqlite::{Layout, SqliteConfig};
use blue_schema::{block_on, Entity, Error, Store, Table};
use rusqlite::types::Value;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

// A plain connection (what a `sqlite3` shell has), its rows as SQLite's own
// values: the views' tests read the file the same way.
use crate::views::{plain, rows, text};

fn count(db: &Connection, table: &str) -> i64 {
    db.query_row(&format!("SELECT count(*) FROM \"{table}\""), [], |r| {
        r.get(0)
    })
    .unwrap()
}

fn tables_store(path: &Path) -> Store {
    Store::from_backend(
        SqliteConfig::file(path)
            .layout(Layout::Tables)
            .open()
            .unwrap(),
    )
}

/// The ADR's expert as an ordinary row of its own table: `nvidia-dec |
/// muffin | skeptic | 1 | 42`, each value in its SQL type; the single
/// table holds none of the entities' items; a child whose parent is gone
/// is an orphan to `PRAGMA foreign_key_check`, and nothing refused it.
#[test]
fn the_adrs_rows_are_ordinary_rows() {
    use blue_schema_examples::dialogue::*;

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("blue.db");
    let store = tables_store(&path);
    block_on(store.create_table::<Dialogue>()).unwrap();
    block_on(store.put(&Expert {
        dialogue_id: "nvidia-dec".into(),
        name: "muffin".into(),
        role: "skeptic".into(),
        tier: 1,
        score: 42,
    }))
    .unwrap();
    block_on(store.put(&DialogueMeta {
        dialogue_id: "nvidia-dec".into(),
        title: "NVIDIA in December".into(),
        status: Status::Open,
    }))
    .unwrap();
    block_on(store.put(&Perspective {
        dialogue_id: "nvidia-dec".into(),
        round: 1,
        expert: "muffin".into(),
        seq: 1,
        label: "demand".into(),
        content: "Demand outruns supply.".into(),
        status: Status::Open,
    }))
    .unwrap();

    let db = plain(&path);
    assert_eq!(
        rows(
            &db,
            "SELECT dialogue_id, name, role, tier, score FROM blue_dialogue_expert"
        ),
        [vec![
            text("nvidia-dec"),
            text("muffin"),
            text("skeptic"),
            Value::Integer(1),
            Value::Integer(42)
        ]]
    );
    assert_eq!(
        rows(
            &db,
            "SELECT round, expert, seq, label FROM blue_dialogue_perspective"
        ),
        [vec![
            Value::Integer(1),
            text("muffin"),
            Value::Integer(1),
            text("demand")
        ]]
    );
    assert_eq!(
        rows(&db, "SELECT title, status FROM blue_dialogue_dialogue_meta"),
        [vec![text("NVIDIA in December"), text("open")]]
    );
    assert_eq!(count(&db, "blue_dialogue"), 0, "the single table");
    // Every child has its parent.
    assert!(rows(&db, "PRAGMA foreign_key_check").is_empty());

    // The store reads what the file holds, as on every layout.
    let found = block_on(store.query(Dialogue::partition("nvidia-dec")).all()).unwrap();
    assert_eq!(found.len(), 3);

    // The parent goes: its children stay (as on DynamoDB), and are
    // orphans.
    block_on(store.delete(DialogueMeta::key("nvidia-dec"))).unwrap();
    let mut orphans: Vec<Value> = rows(&db, "PRAGMA foreign_key_check")
        .into_iter()
        .map(|row| row[0].clone())
        .collect();
    orphans.sort_by_key(|v| format!("{v:?}"));
    assert_eq!(
        orphans,
        [
            text("blue_dialogue_expert"),
            text("blue_dialogue_perspective")
        ]
    );
}

/// Two versions of a program: the second declares an entity whose items
/// the first wrote already (into the single table, as items of no
/// entity).
mod later {
    use super::*;

    #[derive(Table, Debug)]
    #[table(name = "blue_shelf")]
    pub enum Before {
        Book(Book),
    }

    #[derive(Table, Debug)]
    #[table(name = "blue_shelf", stream)]
    pub enum After {
        Book(ShelvedBook),
        Loan(Loan),
    }

    #[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
    #[entity(table = Before)]
    #[sk(prefix = "BOOK")]
    pub struct Book {
        #[pk]
        pub shelf: String,
        #[sk]
        pub isbn: String,
        pub title: String,
    }

    /// `Book` as the second version names it: the same key, so the same
    /// table (`blue_shelf_book`).
    #[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
    #[entity(table = After)]
    #[sk(prefix = "BOOK")]
    pub struct ShelvedBook {
        #[pk]
        pub shelf: String,
        #[sk]
        pub isbn: String,
        pub title: String,
    }

    #[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
    #[entity(table = After)]
    #[sk(prefix = "LOAN")]
    pub struct Loan {
        #[pk]
        pub shelf: String,
        #[sk]
        pub n: u32,
        pub to: String,
    }
}

/// An entity added later takes its items out of the single table, in
/// `create_table`'s transaction, with their write times; the feed records
/// no change for the move; every read finds them before and after.
#[test]
fn an_entity_added_later_takes_its_rows() {
    use later::*;

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("blue.db");
    let store = tables_store(&path);
    block_on(store.create_table::<Before>()).unwrap();
    let books: Vec<Book> = (0..3)
        .map(|i| Book {
            shelf: "s".into(),
            isbn: format!("isbn-{i}"),
            title: format!("title {i}"),
        })
        .collect();
    block_on(store.put_all(&books)).unwrap();
    let loans: Vec<Loan> = (0..5)
        .map(|n| Loan {
            shelf: "s".into(),
            n,
            to: format!("reader {n}"),
        })
        .collect();
    // Written by a program that knows `Loan`, before the table has it.
    block_on(store.put_all(&loans)).unwrap();
    let before = block_on(store.get_record(Loan::key("s", 3)))
        .unwrap()
        .unwrap();
    {
        let db = plain(&path);
        assert_eq!(count(&db, "blue_shelf"), 5);
        assert_eq!(count(&db, "blue_shelf_book"), 3);
    }

    block_on(store.create_table::<After>()).unwrap();
    let db = plain(&path);
    assert_eq!(count(&db, "blue_shelf"), 0);
    assert_eq!(
        count(&db, "blue_shelf_book"),
        3,
        "the renamed entity's table"
    );
    assert_eq!(
        block_on(store.query(ShelvedBook::query("s")).all())
            .unwrap()
            .len(),
        3
    );
    assert_eq!(count(&db, "blue_shelf_loan"), 5);
    assert_eq!(
        rows(&db, "SELECT n, \"to\" FROM blue_shelf_loan WHERE n = 4"),
        [vec![Value::Integer(4), text("reader 4")]]
    );
    let after = block_on(store.get_record(Loan::key("s", 3)))
        .unwrap()
        .unwrap();
    assert_eq!(after, before, "the same item, the same write times");
    assert_eq!(
        block_on(store.query(Loan::query("s")).all()).unwrap(),
        loans
    );
    // The feed begins with the table's; the move is not a change.
    assert_eq!(count(&db, "blue_shelf#changes"), 0);
    block_on(store.put(&Loan {
        shelf: "s".into(),
        n: 9,
        to: "x".into(),
    }))
    .unwrap();
    assert_eq!(count(&db, "blue_shelf#changes"), 1);
    assert_eq!(count(&db, "blue_shelf_loan"), 6);

    // Nothing left to move: making the table again changes nothing in
    // the file.
    let version = |db: &Connection| -> i64 {
        db.query_row("PRAGMA schema_version", [], |r| r.get(0))
            .unwrap()
    };
    let schema = version(&db);
    block_on(store.create_table::<After>()).unwrap();
    assert_eq!(version(&db), schema);
}

/// A writer that read the routes before another process added one would
/// put a key an entity table takes into the single table: the single
/// table refuses it. A key of no entity's prefix goes there.
#[test]
fn the_single_table_refuses_a_key_an_entity_table_takes() {
    use blue_schema_examples::dialogue::*;

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("blue.db");
    let store = tables_store(&path);
    block_on(store.create_table::<Dialogue>()).unwrap();
    drop(store);
    let db = Connection::open(&path).unwrap();
    let insert = |sk: &str| {
        db.execute(
            "INSERT INTO blue_dialogue (pk, sk, data, created_at, size, updated_at) \
             VALUES ('d', ?1, '{}', '', 0, '')",
            [sk],
        )
    };
    let refused = insert("EXPERT#muffin").unwrap_err().to_string();
    assert!(
        refused.contains("blue-schema: the routes of this table changed"),
        "{refused}"
    );
    insert("META").unwrap_err();
    insert("OTHER#x").unwrap();
    insert("EXPERTS#x").unwrap();
}

/// A table keeps the layout it was made in: the tables layout is refused
/// on a table made in the single one, and a program that asks for no
/// layout reads and writes a tables-layout table in its tables.
#[test]
fn a_table_keeps_its_layout() {
    use blue_schema_examples::dialogue::*;

    let dir = tempfile::tempdir().unwrap();
    let single = dir.path().join("single.db");
    block_on(Store::sqlite(&single).unwrap().create_table::<Dialogue>()).unwrap();
    let refused = block_on(tables_store(&single).create_table::<Dialogue>()).unwrap_err();
    assert!(
        matches!(&refused, Error::TableMismatch { found, .. } if found.contains("single-table layout")),
        "{refused}"
    );

    let tables = dir.path().join("tables.db");
    block_on(tables_store(&tables).create_table::<Dialogue>()).unwrap();
    let default = Store::sqlite(&tables).unwrap();
    block_on(default.create_table::<Dialogue>()).unwrap();
    block_on(default.put(&Expert {
        dialogue_id: "d".into(),
        name: "n".into(),
        role: "r".into(),
        tier: 1,
        score: 2,
    }))
    .unwrap();
    let db = plain(&tables);
    assert_eq!(count(&db, "blue_dialogue_expert"), 1);
    assert_eq!(count(&db, "blue_dialogue"), 0);
}

/// A table copied from a single-table file into a tables-layout file (the
/// way to switch layouts) reads the same, and its rows are in their
/// entities' tables.
#[test]
fn a_copy_moves_a_table_between_layouts() {
    use blue_schema::migrate::copy_table;
    use blue_schema_examples::dialogue::*;

    let dir = tempfile::tempdir().unwrap();
    let source = Store::sqlite(dir.path().join("single.db")).unwrap();
    block_on(source.create_table::<Dialogue>()).unwrap();
    let experts: Vec<Expert> = (0..40)
        .map(|i| Expert {
            dialogue_id: format!("d{}", i % 2),
            name: format!("e{i:02}"),
            role: "r".into(),
            tier: 1,
            score: i,
        })
        .collect();
    block_on(source.put_all(&experts)).unwrap();
    let path = dir.path().join("tables.db");
    let url = format!("sqlite://{}?layout=tables", path.display());
    let target = block_on(Store::open(&url)).unwrap();
    let report = block_on(copy_table::<Dialogue>(&source, &target)).unwrap();
    assert_eq!(report.copied, 40);
    let db = plain(&path);
    assert_eq!(count(&db, "blue_dialogue_expert"), 40);
    for d in ["d0", "d1"] {
        assert_eq!(
            block_on(target.query(Expert::query(d)).all()).unwrap(),
            block_on(source.query(Expert::query(d)).all()).unwrap()
        );
    }
}

/// What the store says it sends is what it sends: the entity's table for
/// a query of one entity, every table merged for a whole partition.
#[test]
fn explain_names_the_tables_a_query_reads() {
    use blue_schema_examples::dialogue::*;

    let dir = tempfile::tempdir().unwrap();
    let store = tables_store(&dir.path().join("blue.db"));
    block_on(store.create_table::<Dialogue>()).unwrap();
    let one = store.query(Expert::query("d")).explain().unwrap().sqlite;
    assert!(
        one.starts_with("SELECT sk, data, size FROM \"blue_dialogue_expert\" WHERE pk = ?1"),
        "{one}"
    );
    let all = store
        .query(Dialogue::partition("d"))
        .explain()
        .unwrap()
        .sqlite;
    assert_eq!(
        all.matches(" UNION ALL ").count(),
        Dialogue::SCHEMA.entities.len(),
        "{all}"
    );
    assert!(all.contains("FROM \"blue_dialogue\" WHERE"), "{all}");
    let index = store
        .query(Expert::by_role("skeptic"))
        .explain()
        .unwrap()
        .sqlite;
    assert!(
        index.contains("FROM \"blue_dialogue_expert\" WHERE gsi1_pk = ?1"),
        "{index}"
    );
    // The single table's store says the single table.
    let single = Store::sqlite(dir.path().join("single.db")).unwrap();
    block_on(single.create_table::<Dialogue>()).unwrap();
    let plain = single.query(Expert::query("d")).explain().unwrap().sqlite;
    assert!(plain.contains("FROM \"blue_dialogue\" WHERE"), "{plain}");
}

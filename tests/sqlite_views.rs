//! The typed views over a SQLite table (`blue_schema::layout::views`, the
//! ADR's "more idiomatic SQL" for looking at data): read here by a plain
//! connection that registers none of the library's functions, as the
//! `sqlite3` shell would, and opened read-only.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use blue_schema::{block_on, Entity, Error, Store, Table};
use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags};
use serde::{Deserialize, Serialize};

/// The first version of a table: one entity of every kind of value.
mod v1 {
    use super::*;

    #[derive(Table, Debug, PartialEq)]
    #[table(name = "blue_viewed", ttl = "expires_at")]
    pub enum Viewed {
        Gadget(Gadget),
    }

    #[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
    pub struct Dims {
        pub w: u32,
        pub h: u32,
    }

    #[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
    #[entity(table = Viewed)]
    #[sk(prefix = "GADGET")]
    pub struct Gadget {
        #[pk]
        pub shop: String,
        #[sk]
        pub serial: u32,
        pub name: String,
        #[serde(rename = "display name")]
        pub display: String,
        pub weight: f64,
        pub on_sale: bool,
        pub note: Option<String>,
        pub dims: Dims,
        pub parts: Vec<String>,
        #[set]
        #[serde(default)]
        pub tags: BTreeSet<String>,
        #[ttl]
        pub expires_at: Option<u64>,
    }
}

/// The same table, later: the gadget has one more attribute, and a widget
/// is nested under each gadget.
mod v2 {
    use super::*;

    #[derive(Table, Debug, PartialEq)]
    #[table(name = "blue_viewed", ttl = "expires_at")]
    pub enum Viewed {
        Gadget(Gadget),
        Widget(Widget),
    }

    #[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
    #[entity(table = Viewed)]
    #[sk(prefix = "GADGET")]
    pub struct Gadget {
        #[pk]
        pub shop: String,
        #[sk]
        pub serial: u32,
        pub name: String,
        pub colour: Option<String>,
    }

    #[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
    #[entity(table = Viewed, parent = Gadget)]
    #[sk(prefix = "WIDGET")]
    pub struct Widget {
        #[pk]
        pub shop: String,
        #[sk]
        pub serial: u32,
        #[sk]
        pub label: String,
        pub count: i64,
    }
}

/// A connection with nothing of the library's: what a `sqlite3` shell has.
pub(crate) fn plain(path: &Path) -> Connection {
    Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap()
}

/// Every row of `sql`, as SQLite's own values.
pub(crate) fn rows(db: &Connection, sql: &str) -> Vec<Vec<Value>> {
    let mut statement = db.prepare(sql).unwrap();
    let width = statement.column_count();
    statement
        .query_map([], |row| (0..width).map(|i| row.get(i)).collect())
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn columns(db: &Connection, view: &str) -> Vec<String> {
    let sql = format!("SELECT name FROM pragma_table_info('{view}')");
    rows(db, &sql)
        .into_iter()
        .map(|row| match &row[0] {
            Value::Text(name) => name.clone(),
            other => panic!("a column name that is {other:?}"),
        })
        .collect()
}

/// A store in a new file, with the first version of the table.
fn viewed_store() -> (tempfile::TempDir, PathBuf, Store) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("blue.db");
    let store = Store::sqlite(&path).unwrap();
    block_on(store.create_table::<v1::Viewed>()).unwrap();
    (dir, path, store)
}

/// The names of the file's views.
fn view_names(db: &Connection) -> Vec<Vec<Value>> {
    rows(
        db,
        "SELECT name FROM sqlite_master WHERE type = 'view' ORDER BY name",
    )
}

pub(crate) fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}

fn gadget(serial: u32) -> v1::Gadget {
    v1::Gadget {
        shop: "north#1".into(),
        serial,
        name: format!("gadget {serial}"),
        display: "It's \"big\"".into(),
        weight: 1.5,
        on_sale: true,
        note: None,
        dims: v1::Dims { w: 3, h: 4 },
        parts: vec!["a".into(), "b".into()],
        tags: ["new".to_owned(), "red".to_owned()].into(),
        expires_at: None,
    }
}

/// The ADR's expert as an ordinary row: `nvidia-dec | muffin | skeptic |
/// 1 | 42`, then when it was written.
#[test]
fn a_view_holds_the_adrs_row() {
    use blue_schema_examples::dialogue::*;

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("blue.db");
    let store = Store::sqlite(&path).unwrap();
    block_on(store.create_table::<Dialogue>()).unwrap();
    let muffin = Expert {
        dialogue_id: "nvidia-dec".into(),
        name: "muffin".into(),
        role: "skeptic".into(),
        tier: 1,
        score: 42,
    };
    block_on(store.put(&muffin)).unwrap();
    block_on(store.put(&DialogueMeta {
        dialogue_id: "nvidia-dec".into(),
        title: "NVIDIA in December".into(),
        status: Status::Open,
    }))
    .unwrap();

    let db = plain(&path);
    assert_eq!(
        columns(&db, "blue_dialogue_expert"),
        [
            "dialogue_id",
            "name",
            "role",
            "tier",
            "score",
            "created_at",
            "updated_at"
        ]
    );
    let stamps: Vec<Vec<Value>> = rows(
        &db,
        "SELECT created_at, updated_at FROM blue_dialogue WHERE sk = 'EXPERT#muffin'",
    );
    let expected = [
        text("nvidia-dec"),
        text("muffin"),
        text("skeptic"),
        Value::Integer(1),
        Value::Integer(42),
    ];
    let row = rows(&db, "SELECT * FROM blue_dialogue_expert");
    assert_eq!(row.len(), 1, "{row:?}");
    assert_eq!(row[0][..5], expected);
    assert_eq!(row[0][5..], stamps[0][..], "the write times, as stored");
    assert_eq!(
        rows(&db, "SELECT * FROM blue_dialogue_dialogue_meta")[0][..3],
        [text("nvidia-dec"), text("NVIDIA in December"), text("open")]
    );
    // An update shows at once; the view is not a copy.
    block_on(
        store
            .update(Expert::key("nvidia-dec", "muffin"))
            .add(Expert::attr().score, 1),
    )
    .unwrap();
    let after = rows(&db, "SELECT score, updated_at FROM blue_dialogue_expert");
    let stored = rows(
        &db,
        "SELECT updated_at FROM blue_dialogue WHERE sk = 'EXPERT#muffin'",
    );
    assert_eq!(after, [vec![Value::Integer(43), stored[0][0].clone()]]);
}

/// Each value in the SQL type it has: text, integers (a bool is 0 or 1),
/// reals, `NULL` for an absent `Option`, JSON text for lists, sets and
/// nested values; an attribute name that needs quoting is read too.
/// Index keys and bookkeeping attributes are not columns.
#[test]
fn a_view_reads_every_value_in_its_sql_type() {
    let (_dir, path, store) = viewed_store();
    block_on(store.put(&gadget(7))).unwrap();

    let db = plain(&path);
    assert_eq!(
        columns(&db, "blue_viewed_gadget"),
        [
            "shop",
            "serial",
            "name",
            "display name",
            "weight",
            "on_sale",
            "note",
            "dims",
            "parts",
            "tags",
            "expires_at",
            "created_at",
            "updated_at"
        ]
    );
    let row = rows(
        &db,
        "SELECT shop, serial, name, \"display name\", weight, on_sale, note, dims, parts, \
         tags, expires_at, typeof(serial), typeof(weight), dims ->> '$.w' \
         FROM blue_viewed_gadget",
    );
    assert_eq!(
        row,
        [vec![
            text("north#1"),
            Value::Integer(7),
            text("gadget 7"),
            text("It's \"big\""),
            Value::Real(1.5),
            Value::Integer(1),
            Value::Null,
            text(r#"{"w":3,"h":4}"#),
            text(r#"["a","b"]"#),
            text(r#"["new","red"]"#),
            Value::Null,
            text("integer"),
            text("real"),
            Value::Integer(3),
        ]]
    );
}

/// Items whose TTL has passed are left out, as reads leave them out; one
/// that expires later, or never, is a row with its expiry.
#[test]
fn a_view_leaves_out_expired_items() {
    let (_dir, path, store) = viewed_store();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    for (serial, expires_at) in [(1, None), (2, Some(now - 60)), (3, Some(now + 3600))] {
        block_on(store.put(&v1::Gadget {
            expires_at,
            ..gadget(serial)
        }))
        .unwrap();
    }
    let db = plain(&path);
    assert_eq!(
        rows(
            &db,
            "SELECT serial, expires_at FROM blue_viewed_gadget ORDER BY serial"
        ),
        [
            vec![Value::Integer(1), Value::Null],
            vec![Value::Integer(3), Value::Integer((now + 3600) as i64)]
        ]
    );
    assert_eq!(
        rows(&db, "SELECT count(*) FROM blue_viewed")[0],
        [Value::Integer(3)],
        "the expired item is stored until a sweep"
    );
}

/// Views follow the schema that last created the table: a new attribute
/// is a new column, a new entity a new view, an entity gone takes its view
/// with it; an unchanged schema changes nothing in the file. A nested
/// entity's view holds its own items only, whatever `#` its keys hold.
#[test]
fn views_follow_the_schema() {
    let (_dir, path, store) = viewed_store();
    block_on(store.put(&gadget(1))).unwrap();
    let schema_version = |db: &Connection| rows(db, "PRAGMA schema_version")[0][0].clone();
    let db = plain(&path);
    assert_eq!(view_names(&db), [vec![text("blue_viewed_gadget")]]);
    let before = schema_version(&db);
    block_on(store.create_table::<v1::Viewed>()).unwrap();
    assert_eq!(schema_version(&db), before, "the same schema again");

    block_on(store.create_table::<v2::Viewed>()).unwrap();
    assert_eq!(
        view_names(&db),
        [
            vec![text("blue_viewed_gadget")],
            vec![text("blue_viewed_widget")]
        ]
    );
    assert_eq!(
        columns(&db, "blue_viewed_gadget"),
        [
            "shop",
            "serial",
            "name",
            "colour",
            "created_at",
            "updated_at"
        ]
    );
    for label in ["a#b", "c", "%23"] {
        block_on(store.put(&v2::Widget {
            shop: "north#1".into(),
            serial: 1,
            label: label.into(),
            count: 5,
        }))
        .unwrap();
    }
    assert_eq!(
        rows(&db, "SELECT serial, name, colour FROM blue_viewed_gadget"),
        [vec![Value::Integer(1), text("gadget 1"), Value::Null]],
        "the gadget alone, not the widgets under it"
    );
    assert_eq!(
        rows(&db, "SELECT label FROM blue_viewed_widget ORDER BY label"),
        [vec![text("%23")], vec![text("a#b")], vec![text("c")]]
    );

    block_on(store.create_table::<v1::Viewed>()).unwrap();
    assert_eq!(view_names(&db), [vec![text("blue_viewed_gadget")]]);
    assert_eq!(columns(&db, "blue_viewed_gadget").len(), 13);

    assert!(block_on(store.drop_table::<v1::Viewed>()).unwrap());
    assert_eq!(
        view_names(&db),
        Vec::<Vec<Value>>::new(),
        "dropped with the table"
    );
}

/// A view reads the rows it can: one another tool wrote that is not JSON
/// is not an item of the entity, and does not make the view fail.
#[test]
fn a_row_that_is_not_json_is_left_out() {
    let (_dir, path, store) = viewed_store();
    block_on(store.put(&gadget(1))).unwrap();
    Connection::open(&path)
        .unwrap()
        .execute(
            "INSERT INTO blue_viewed (pk, sk, data, created_at, size, updated_at) \
             VALUES ('south', 'GADGET#0000000002', 'not json', '', 0, '')",
            [],
        )
        .unwrap();
    assert_eq!(
        rows(&plain(&path), "SELECT serial FROM blue_viewed_gadget"),
        [vec![Value::Integer(1)]]
    );
}

/// The library never replaces what it did not make: a table where a view
/// goes is refused, by name, and nothing else is created over it.
#[test]
fn a_table_where_a_view_goes_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("blue.db");
    Connection::open(&path)
        .unwrap()
        .execute("CREATE TABLE Blue_Viewed_Gadget (x)", [])
        .unwrap();
    let store = Store::sqlite(&path).unwrap();
    let error = block_on(store.create_table::<v1::Viewed>()).unwrap_err();
    let Error::TableMismatch { table, found } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(table, "Blue_Viewed_Gadget");
    assert!(found.contains("blue_viewed_gadget"), "{error}");
    assert_eq!(
        rows(&plain(&path), "SELECT x FROM Blue_Viewed_Gadget"),
        Vec::<Vec<Value>>::new()
    );
}

/// Processes that create the table at once, with the schema changing
/// between rounds, each succeed, and the views are the last schema's.
#[test]
fn stores_that_create_the_table_at_once_all_succeed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("blue.db");
    for round in 0..6 {
        let barrier = std::sync::Barrier::new(4);
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| {
                    let store = Store::sqlite(&path);
                    // Every thread reaches the barrier, so that one that
                    // fails does not leave the others waiting.
                    barrier.wait();
                    let store = store.unwrap();
                    let created = match round % 2 {
                        0 => block_on(store.create_table::<v1::Viewed>()),
                        _ => block_on(store.create_table::<v2::Viewed>()),
                    };
                    created.unwrap();
                });
            }
        });
        let names = view_names(&plain(&path));
        assert_eq!(names.len(), 1 + round % 2, "round {round}: {names:?}");
    }
}

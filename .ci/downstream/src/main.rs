//! An application with rusqlite 0.43 of its own, using blue-schema beside
//! it on the same database file.

use blue_schema::{Entity, Table};
use serde::{Deserialize, Serialize};

#[derive(Table)]
#[table(name = "blue_notes")]
#[allow(dead_code)] // the variant is read by whole-partition queries only
enum Notes {
    Note(Note),
}

#[derive(Entity, Serialize, Deserialize, Debug, PartialEq)]
#[entity(table = Notes)]
#[sk(prefix = "NOTE")]
struct Note {
    #[pk]
    book: String,
    #[sk]
    n: u32,
    text: String,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("blue-downstream-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("app.db");

    let store = blue_schema::blocking::Store::sqlite(&path)?;
    store.create_table::<Notes>()?;
    let note = Note {
        book: "b".into(),
        n: 1,
        text: "hello".into(),
    };
    store.put(&note)?;
    assert_eq!(store.get(Note::key("b", 1u32))?, Some(note));

    // The application's own rusqlite reads what blue-schema wrote.
    let db = rusqlite::Connection::open(&path)?;
    let sk: String = db.query_row("SELECT sk FROM blue_notes WHERE pk = 'b'", [], |r| r.get(0))?;
    assert_eq!(sk, "NOTE#0000000001");
    println!(
        "blue-schema and the application's rusqlite share SQLite {}",
        rusqlite::version()
    );
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

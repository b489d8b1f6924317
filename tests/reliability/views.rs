//! The typed SQL views of the SQLite file (`blue_reliable_cell`, …, see
//! `blue_schema::layout::views`) after every sequence: read by a plain
//! connection, with none of the library's functions, they hold exactly the
//! model's items, each value in its SQL type, older shapes and items under
//! a key not moved yet included.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;

use rusqlite::types::Value;

/// A row of a view, as the model and the file both render it.
pub type CellRow = (
    String,
    i64,
    i64,
    Option<String>,
    BTreeSet<String>,
    Vec<String>,
);
pub type DocRow = (String, i64, String, i64);
pub type MarkRow = (String, i64, i64, String);
/// A tally: its value, its unit (`None` in shape 1, which had none), its shape.
pub type TallyRow = (String, i64, Option<String>, i64);
/// A pin: kind, id, label, hits (`None` in shape 1), shape.
pub type PinRow = (String, i64, i64, String, Option<i64>, i64);

/// The rows, sorted, one line per view.
#[derive(Default)]
pub struct Rows {
    pub cells: Vec<CellRow>,
    pub docs: Vec<DocRow>,
    pub marks: Vec<MarkRow>,
    pub tallies: Vec<TallyRow>,
    pub pins: Vec<PinRow>,
}

impl Rows {
    pub fn render(mut self) -> String {
        self.cells.sort();
        self.docs.sort();
        self.marks.sort();
        self.tallies.sort();
        self.pins.sort();
        let mut out = String::new();
        let _ = writeln!(out, "cell: {:?}", self.cells);
        let _ = writeln!(out, "doc: {:?}", self.docs);
        let _ = writeln!(out, "mark: {:?}", self.marks);
        let _ = writeln!(out, "tally: {:?}", self.tallies);
        let _ = writeln!(out, "pin: {:?}", self.pins);
        out
    }
}

/// The rows of the views of `path` whose `part` starts with `ns`.
pub fn read(path: &Path, ns: &str) -> Result<String, String> {
    let db =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(|e| e.to_string())?;
    let select = |view: &str, columns: &str| -> Result<Vec<Vec<Value>>, String> {
        let sql = format!("SELECT {columns} FROM {view} WHERE substr(part, 1, length(?1)) = ?1");
        let mut statement = db.prepare(&sql).map_err(|e| format!("{view}: {e}"))?;
        let width = statement.column_count();
        let rows = statement
            .query_map([ns], |row| (0..width).map(|i| row.get(i)).collect())
            .map_err(|e| format!("{view}: {e}"))?;
        rows.collect::<Result<_, _>>()
            .map_err(|e| format!("{view}: {e}"))
    };
    let mut rows = Rows::default();
    for r in select("blue_reliable_cell", "part, id, count, note, tags, log")? {
        rows.cells.push((
            text(&r[0])?,
            int(&r[1])?,
            int(&r[2])?,
            optional(&r[3], text)?,
            // Absent is empty, as `#[serde(default)]` reads it.
            optional(&r[4], json)?.unwrap_or_default(),
            optional(&r[5], json)?.unwrap_or_default(),
        ));
    }
    for r in select("blue_reliable_doc", "part, id, body, version")? {
        rows.docs
            .push((text(&r[0])?, int(&r[1])?, text(&r[2])?, int(&r[3])?));
    }
    for r in select("blue_reliable_mark", "part, id, n, text")? {
        rows.marks
            .push((text(&r[0])?, int(&r[1])?, int(&r[2])?, text(&r[3])?));
    }
    for r in select("blue_reliable_tally", "part, value, unit, _shape")? {
        rows.tallies.push((
            text(&r[0])?,
            int(&r[1])?,
            optional(&r[2], text)?,
            int(&r[3])?,
        ));
    }
    for r in select("blue_reliable_pin", "part, kind, id, label, hits, _shape")? {
        rows.pins.push((
            text(&r[0])?,
            int(&r[1])?,
            int(&r[2])?,
            text(&r[3])?,
            optional(&r[4], int)?,
            int(&r[5])?,
        ));
    }
    Ok(rows.render())
}

fn text(value: &Value) -> Result<String, String> {
    match value {
        Value::Text(s) => Ok(s.clone()),
        other => Err(format!("{other:?} where text belongs")),
    }
}

fn int(value: &Value) -> Result<i64, String> {
    match value {
        Value::Integer(n) => Ok(*n),
        other => Err(format!("{other:?} where an integer belongs")),
    }
}

fn json<T: serde::de::DeserializeOwned>(value: &Value) -> Result<T, String> {
    serde_json::from_str(&text(value)?).map_err(|e| e.to_string())
}

fn optional<T>(
    value: &Value,
    read: impl Fn(&Value) -> Result<T, String>,
) -> Result<Option<T>, String> {
    match value {
        Value::Null => Ok(None),
        value => read(value).map(Some),
    }
}

//! The SQL functions the backend's statements call, registered on each
//! connection it opens.

use std::sync::LazyLock;

use memchr::memmem::Finder;
use rusqlite::functions::FunctionFlags;
use rusqlite::types::ValueRef;
use rusqlite::Connection;

#[cfg(test)]
use crate::schema::SHAPE_ATTRIBUTE;

/// What an item's JSON holds when it has a shape: its name, quoted
/// ([`SHAPE_ATTRIBUTE`]).
const QUOTED_SHAPE: &[u8] = b"\"_shape\"";

static SHAPE_NAME: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(QUOTED_SHAPE));

/// Registers `blue_shape(data)`: the shape an item's JSON was written in
/// ([`crate::schema::shape`]), 1 when it has none. A put's conflict clause
/// calls it on the stored row, for every put; most items have no shape,
/// and a vectorised search finds so in a few dozen instructions, where
/// SQLite's `instr` walks the text a character at a time.
pub(super) fn register(db: &Connection) -> rusqlite::Result<()> {
    db.create_scalar_function(
        "blue_shape",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| Ok(shape_of(ctx.get_raw(0))),
    )
}

fn shape_of(data: ValueRef<'_>) -> i64 {
    let ValueRef::Text(text) = data else {
        return 1;
    };
    i64::try_from(shape_of_text(text)).unwrap_or(i64::MAX)
}

/// The shape an item's JSON text was written in, 1 when it has none.
pub(super) fn shape_of_text(text: &[u8]) -> u64 {
    if SHAPE_NAME.find(text).is_none() {
        return 1;
    }
    // Rare: parse it, so that the name inside a string value is not taken
    // for the attribute.
    serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(text)
        .ok()
        .map_or(1, |item| crate::schema::shape::stored_shape(&item))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quoted_name_is_the_attribute() {
        assert_eq!(QUOTED_SHAPE, format!("\"{SHAPE_ATTRIBUTE}\"").as_bytes());
    }

    #[test]
    fn the_shape_is_found_only_as_an_attribute() {
        let shape = |s: &str| shape_of(ValueRef::Text(s.as_bytes()));
        assert_eq!(shape(r#"{"a":1}"#), 1);
        assert_eq!(shape(r#"{"a":1,"_shape":3}"#), 3);
        assert_eq!(shape(r#"{"a":"\"_shape\":7"}"#), 1);
        assert_eq!(shape(r#"{"a":"_shape"}"#), 1);
        assert_eq!(shape("not json \"_shape\""), 1);
        assert_eq!(shape_of(ValueRef::Null), 1);
    }
}

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
///
/// Registers `blue_expired(data, attribute, now)` too: whether the item's
/// TTL `attribute` holds a number below `now` ([`crate::ttl`]), the rule
/// a read applies ([`Expiry::has_expired`](crate::ops::check::Expiry::has_expired))
/// and DynamoDB's TTL follows (any other value never expires). A put in
/// a table with a TTL asks it of the row it replaces; SQLite's
/// `json_valid` and `json_extract` translated the whole item to read one
/// attribute, where this reads the item's top-level names and parses one
/// value.
pub(super) fn register(db: &Connection) -> rusqlite::Result<()> {
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    db.create_scalar_function("blue_shape", 1, flags, |ctx| Ok(shape_of(ctx.get_raw(0))))?;
    db.create_scalar_function("blue_expired", 3, flags, |ctx| {
        let (ValueRef::Text(data), ValueRef::Text(attribute)) = (ctx.get_raw(0), ctx.get_raw(1))
        else {
            return Ok(false);
        };
        let now = match ctx.get_raw(2) {
            ValueRef::Integer(now) => now as f64,
            ValueRef::Real(now) => now,
            _ => return Ok(false),
        };
        Ok(expired(data, attribute, now))
    })
}

/// Whether the JSON object `data` has a top-level `attribute` holding a
/// number below `now`.
fn expired(data: &[u8], attribute: &[u8], now: f64) -> bool {
    // Most rows without the attribute are told so without parsing (the
    // searcher for the name is made once per thread and name).
    thread_local! {
        static FINDER: std::cell::RefCell<Option<Finder<'static>>> =
            const { std::cell::RefCell::new(None) };
    }
    let absent = FINDER.with_borrow_mut(|finder| {
        let finder = match finder {
            Some(f) if f.needle() == attribute => f,
            _ => finder.insert(Finder::new(attribute).into_owned()),
        };
        finder.find(data).is_none()
    });
    if absent {
        return false;
    }
    let (Ok(data), Ok(attribute)) = (std::str::from_utf8(data), std::str::from_utf8(attribute))
    else {
        return false;
    };
    super::row::raw_attributes(data, &[attribute])
        .and_then(|kept| kept.last().map(|(_, value)| value.get()))
        .filter(|raw| raw.starts_with(|c: char| c == '-' || c.is_ascii_digit()))
        .and_then(|raw| raw.parse::<f64>().ok())
        .is_some_and(|at| at < now)
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

    /// `blue_expired` against `Expiry::has_expired` on the same items: a
    /// number below the time expires, nothing else does.
    #[test]
    fn expired_is_the_reads_rule() {
        let expiry = crate::ops::check::Expiry {
            attribute: "ttl",
            now: 1000,
            feed: false,
        };
        let items = [
            r#"{"a":1,"ttl":999}"#,
            r#"{"ttl":1000}"#,
            r#"{"ttl":1001}"#,
            r#"{"ttl":999.5}"#,
            r#"{"ttl":-5}"#,
            r#"{"ttl":1e2}"#,
            r#"{"ttl":"5"}"#,
            r#"{"ttl":true}"#,
            r#"{"ttl":null}"#,
            r#"{"ttl":[1]}"#,
            r#"{"ttl":{"ttl":1}}"#,
            r#"{"a":{"ttl":1}}"#,
            r#"{"a":"\"ttl\":1"}"#,
            r#"{"ttl2":1}"#,
            r#"{"a":1}"#,
            r#"{"ttl":5,"ttl":2000}"#,
        ];
        for item in items {
            let parsed: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(item).unwrap();
            assert_eq!(
                expired(item.as_bytes(), b"ttl", 1000.0),
                expiry.has_expired(&parsed),
                "{item}"
            );
        }
        assert!(!expired(b"not json ttl 1", b"ttl", 1000.0));
        assert!(!expired(br#"{"ttl":1"#, b"ttl", 1000.0));
    }
}

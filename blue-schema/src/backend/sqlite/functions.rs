//! The SQL functions the backend's statements call, registered on each
//! connection it opens.

use std::sync::LazyLock;

use memchr::memmem::Finder;
use rusqlite::functions::FunctionFlags;
use rusqlite::types::ValueRef;
use rusqlite::Connection;

use crate::ops::check::ttl_value_expired;

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
/// attribute, where this scans the item's top level for the name and
/// parses one value.
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
    // (A name can also be written with escapes, `"t\u0074l"`: not in
    // text without a backslash.)
    if absent && memchr::memchr(b'\\', data).is_none() {
        return false;
    }
    // The quick scan's "not expired" is final: on valid JSON it reads
    // what the parser reads, and an invalid item never expires either.
    // An expiry, or what it cannot read, is asked of the parser.
    match top_level_number(data, attribute) {
        Some(TopLevel::Absent | TopLevel::Other) => return false,
        Some(TopLevel::Number(at)) if at >= now => return false,
        Some(TopLevel::Number(_)) | None => {}
    }
    let (Ok(data), Ok(attribute)) = (std::str::from_utf8(data), std::str::from_utf8(attribute))
    else {
        return false;
    };
    super::row::parse_attributes(data, &[attribute])
        .is_some_and(|item| ttl_value_expired(item.get(attribute), now))
}

/// What an object's last top-level value of a name is, as
/// [`top_level_number`] reads it.
#[derive(Debug, PartialEq)]
enum TopLevel {
    Absent,
    Number(f64),
    /// A string, a boolean, `null`, an object or an array.
    Other,
}

/// The last top-level value named `name` (ASCII without `"` or `\`) in
/// the JSON object `data`, read by skipping strings and counting
/// brackets, without validating the rest: for valid JSON it is what a
/// parser reads. `None` when it cannot tell (a top-level name with an
/// escape, a value it does not know, text after the object), which the
/// caller asks of the parser.
fn top_level_number(data: &[u8], name: &[u8]) -> Option<TopLevel> {
    let ws = |b: u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r');
    let skip_ws = |mut i: usize| {
        while i < data.len() && ws(data[i]) {
            i += 1;
        }
        i
    };
    let mut i = skip_ws(0);
    if data.get(i) != Some(&b'{') {
        return None;
    }
    i += 1;
    let mut depth = 1usize;
    let mut key_next = true;
    let mut found = TopLevel::Absent;
    while i < data.len() {
        match data[i] {
            b'"' => {
                // The string's end: its closing quote, escapes skipped.
                let start = i + 1;
                let mut end = start;
                let mut escaped = false;
                loop {
                    end += memchr::memchr2(b'"', b'\\', data.get(end..)?)?;
                    if data[end] == b'"' {
                        break;
                    }
                    escaped = true;
                    end += 2;
                }
                i = end + 1;
                if depth == 1 && key_next {
                    key_next = false;
                    if escaped {
                        return None;
                    }
                    if &data[start..end] != name {
                        continue;
                    }
                    i = skip_ws(i);
                    if data.get(i) != Some(&b':') {
                        return None;
                    }
                    i = skip_ws(i + 1);
                    let value = data.get(i)?;
                    if *value == b'-' || value.is_ascii_digit() {
                        let end = data[i..]
                            .iter()
                            .position(|b| {
                                !matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
                            })
                            .map_or(data.len(), |n| i + n);
                        let number = std::str::from_utf8(&data[i..end]).ok()?.parse().ok()?;
                        found = TopLevel::Number(number);
                        i = end;
                    } else {
                        found = TopLevel::Other;
                    }
                }
            }
            b'{' | b'[' => {
                depth += 1;
                i += 1;
            }
            b'}' | b']' => {
                depth -= 1;
                i += 1;
                if depth == 0 {
                    return (skip_ws(i) == data.len()).then_some(found);
                }
            }
            b',' => {
                key_next = depth == 1;
                i += 1;
            }
            _ => i += 1,
        }
    }
    None
}

fn shape_of(data: ValueRef<'_>) -> i64 {
    let ValueRef::Text(text) = data else {
        return 1;
    };
    i64::try_from(shape_of_text(text)).unwrap_or(i64::MAX)
}

/// The shape an item's JSON text was written in, 1 when it has none.
pub(super) fn shape_of_text(text: &[u8]) -> u64 {
    // The backend writes every item with serde_json, which escapes no
    // letter of a name: an item without the text `"_shape"` has none.
    // (A row written by other code as `"_sh\u0061pe"` is read as shape
    // 1; guarding against it would parse every item with a backslash,
    // a newline in a text, at every put.)
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
        assert_eq!(shape(r#"{"a":"\n","_shape":2}"#), 2);
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
            r#"{"ttl":2000,"ttl":5}"#,
            r#" { "a" : "}{][,\\\"ttl\":1" , "ttl" : 7 } "#,
            r#"{"a":[{"ttl":1},"ttl",{"b":{"ttl":2}}],"c":{}}"#,
            r#"{"t\u0074l":5}"#,
            r#"{"ttl":-1.5e1,"z":[]}"#,
            r#"{"ttl":12345678901234567890}"#,
            r#"{"ttl":{"a":1},"b":2}"#,
            r#"{"x":"ttl","ttl":false}"#,
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
        // Invalid items the quick scan would read as expired: the parser
        // has the last word.
        assert!(!expired(br#"{"ttl":1,}"#, b"ttl", 1000.0));
        assert!(!expired(br#"{"ttl":1} x"#, b"ttl", 1000.0));
        assert!(!expired(br#"{"a" "b","ttl":1}"#, b"ttl", 1000.0));
    }

    /// The quick scan reads the last top-level value of the name, and
    /// gives up where it cannot tell.
    #[test]
    fn the_quick_scan_reads_top_level_values() {
        let scan = |s: &str| top_level_number(s.as_bytes(), b"ttl");
        assert_eq!(
            scan(r#"{"a":{"ttl":1},"ttl":2}"#),
            Some(TopLevel::Number(2.0))
        );
        assert_eq!(scan(r#"{"a":"\"ttl\":1"}"#), Some(TopLevel::Absent));
        assert_eq!(scan(r#"{"ttl":"5"}"#), Some(TopLevel::Other));
        assert_eq!(scan(r#"{"ttl":1,"ttl":null}"#), Some(TopLevel::Other));
        assert_eq!(scan(r#"{"t\u0074l":1}"#), None);
        assert_eq!(scan(r#"{"ttl":1"#), None);
        assert_eq!(scan(r#"[1]"#), None);
    }
}

//! The order-preserving escape used for every text component.

use super::KeyDecodeError;

/// The largest byte that is escaped; `%` itself is the escape character.
const LAST_ESCAPED: u8 = b'%';

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Appends `value` to `out` with bytes `0x00..=0x25` written as `%XX`
/// (upper-case hex). The result contains no `#`, `$` or `%` except as the start
/// of an escape, and sorts exactly as `value` does.
///
/// ```
/// let mut out = String::new();
/// blue_schema::key::escape_into("a#b", &mut out);
/// assert_eq!(out, "a%23b");
/// ```
pub fn escape_into(value: &str, out: &mut String) {
    let bytes = value.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b <= LAST_ESCAPED {
            // Slicing at `i` is on a char boundary: escaped bytes are ASCII.
            out.push_str(&value[start..i]);
            out.push('%');
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 0x0F)] as char);
            start = i + 1;
        }
    }
    out.push_str(&value[start..]);
}

/// Reverses [`escape_into`], accepting only its canonical output.
///
/// # Errors
///
/// [`KeyDecodeError::BadEscape`] for a raw byte `<= 0x25`, a `%` without two
/// upper-case hex digits, or an escape of a byte above `0x25`.
///
/// ```
/// assert_eq!(blue_schema::key::unescape("a%23b").unwrap(), "a#b");
/// assert!(blue_schema::key::unescape("a%41").is_err()); // 'A' is never escaped
/// ```
pub fn unescape(encoded: &str) -> Result<String, KeyDecodeError> {
    let bad = || KeyDecodeError::BadEscape {
        component: encoded.to_owned(),
    };
    if !encoded.bytes().any(|b| b <= LAST_ESCAPED) {
        return Ok(encoded.to_owned());
    }
    let bytes = encoded.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let hi = bytes
                .get(i + 1)
                .and_then(|&h| hex_value(h))
                .ok_or_else(bad)?;
            let lo = bytes
                .get(i + 2)
                .and_then(|&h| hex_value(h))
                .ok_or_else(bad)?;
            let decoded = hi << 4 | lo;
            if decoded > LAST_ESCAPED {
                return Err(bad());
            }
            out.push(decoded);
            i += 3;
        } else if b < LAST_ESCAPED {
            return Err(bad());
        } else {
            out.push(b);
            i += 1;
        }
    }
    // Only ASCII bytes were replaced by ASCII bytes, so the UTF-8 of `encoded`
    // is intact.
    String::from_utf8(out).map_err(|_| bad())
}

fn hex_value(h: u8) -> Option<u8> {
    match h {
        b'0'..=b'9' => Some(h - b'0'),
        b'A'..=b'F' => Some(h - b'A' + 10),
        _ => None,
    }
}

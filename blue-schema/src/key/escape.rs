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
    // Most key parts escape nothing: one look, eight bytes at a time.
    if !has_escaped(bytes) {
        out.push_str(value);
        return;
    }
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

/// Whether a byte of `bytes` is one [`escape_into`] escapes (`<= 0x25`),
/// read eight at a time: a word has a byte below `n` (`n <= 128`) exactly
/// when `(x - n * 0x01…01) & !x & 0x80…80` is not zero.
fn has_escaped(bytes: &[u8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const BELOW: u64 = ONES * (LAST_ESCAPED as u64 + 1);
    const HIGH_BITS: u64 = ONES * 0x80;
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        let mut eight = [0u8; 8];
        eight.copy_from_slice(word);
        let x = u64::from_ne_bytes(eight);
        if x.wrapping_sub(BELOW) & !x & HIGH_BITS != 0 {
            return true;
        }
    }
    words.remainder().iter().any(|&b| b <= LAST_ESCAPED)
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
    if !has_escaped(encoded.as_bytes()) {
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

#[cfg(test)]
mod word_tests {
    use super::{has_escaped, LAST_ESCAPED};

    #[test]
    fn a_word_at_a_time_finds_what_a_byte_at_a_time_finds() {
        // Every byte value at every position of strings of 0 to 20 bytes,
        // among bytes on both sides of the limit.
        for len in 0..=20 {
            for at in 0..len.max(1) {
                for b in 0..=255u8 {
                    let mut bytes = vec![b'a'; len];
                    if len > 0 {
                        bytes[at] = b;
                        bytes[len - 1 - at] = 0x80 | b;
                    }
                    let expected = bytes.iter().any(|&c| c <= LAST_ESCAPED);
                    assert_eq!(has_escaped(&bytes), expected, "{bytes:?}");
                }
            }
        }
        assert!(!has_escaped(b"expert-00007&'()*+,-./0123456789"));
        assert!(has_escaped(b"expert-0000%"));
        assert!(has_escaped(b"\0"));
    }
}

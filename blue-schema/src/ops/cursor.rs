//! Cursors: where a query's next page starts, as a string a client can
//! hold.
//!
//! A cursor is URL-safe base64 (no padding) of:
//!
//! ```text
//! version (1 byte, 2) | flags (1 byte: bit 0 = signed)
//! | fingerprint of the query (8 bytes)
//! | number of key values (1 byte) | per value: length (2 bytes) and bytes
//! | tag: an FNV-1a checksum (8 bytes), or HMAC-SHA-256 truncated to 16 bytes
//! ```
//!
//! The key values are the position the next page starts after: the last
//! sort key a page evaluated, for a query of the table. The list leaves room
//! for the four key attributes of a secondary-index position, and since it
//! is the last *evaluated* key rather than the last returned item, it can
//! resume a filtered query whose page ended on an item the filter dropped.
//!
//! Without a key a cursor only detects accidents: anyone can mint one. A
//! store given a [`CursorKey`] signs its cursors and accepts only cursors it
//! signed. Either way a decoded position must lie inside the query and be a
//! storable sort key, so a forged cursor can at most skip ahead within the
//! query's own range, and gets the same [`CursorError`] on every backend.
//! Cursors are not encrypted: the sort key inside can be read by decoding
//! the base64.

use std::fmt;
use std::str::FromStr;

use hmac::{KeyInit, Mac};

use crate::error::CursorError;

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

const VERSION: u8 = 2;
const SIGNED: u8 = 1;
const CHECKSUM_BYTES: usize = 8;
const MAC_BYTES: usize = 16;
/// No cursor the library writes is longer; a longer text is refused before
/// it is decoded.
pub const MAX_CURSOR_LEN: usize = 4096;
/// The most key values a position holds (an index position: the index's
/// partition and sort key and the table's).
const MAX_VALUES: usize = 4;

/// Where a page ended: the key of the last item it evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Position {
    /// The sort key to resume after (before, when descending).
    pub(crate) sort_key: String,
}

impl Position {
    pub(crate) fn after(sort_key: impl Into<String>) -> Self {
        Position {
            sort_key: sort_key.into(),
        }
    }
}

/// An opaque position in a query's results, handed out with a page and given
/// back with [`Query::after`](crate::Query::after) to read the next one.
///
/// A cursor is tied to its query (table, partition, condition and order, but
/// not its page size) and is the same on every backend: a cursor from an
/// SQLite store resumes the same query on a DynamoDB store. It serializes
/// (serde) as its text, which is URL-safe.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Cursor(String);

impl Cursor {
    pub(crate) fn new(fingerprint: u64, position: &Position, key: Option<&CursorKey>) -> Self {
        let values = [position.sort_key.as_bytes()];
        let mut bytes = Vec::with_capacity(16 + MAC_BYTES + position.sort_key.len());
        bytes.push(VERSION);
        bytes.push(if key.is_some() { SIGNED } else { 0 });
        bytes.extend_from_slice(&fingerprint.to_be_bytes());
        bytes.push(values.len() as u8);
        for value in values {
            // Sort keys are at most 1 024 bytes, so the length fits.
            bytes.extend_from_slice(&(value.len() as u16).to_be_bytes());
            bytes.extend_from_slice(value);
        }
        match key {
            Some(key) => bytes.extend_from_slice(&key.tag(&bytes)),
            None => bytes.extend_from_slice(&checksum(&bytes).to_be_bytes()),
        }
        Cursor(base64url::encode(&bytes))
    }

    /// The cursor's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The position inside, read without checking the tag or the query, for
    /// showing it.
    pub(crate) fn peek(&self) -> Option<Position> {
        let bytes = base64url::decode(&self.0)?;
        let mut reader = Reader(bytes.get(10..)?);
        reader.u8().filter(|&n| n >= 1)?;
        let len = reader.u16()?;
        let value = reader.take(usize::from(len))?;
        String::from_utf8(value.to_vec()).ok().map(Position::after)
    }

    /// The position this cursor holds, if it belongs to the query with
    /// `fingerprint` and carries the tag a store with `key` writes.
    pub(crate) fn position(
        &self,
        fingerprint: u64,
        key: Option<&CursorKey>,
    ) -> Result<Position, CursorError> {
        let bytes = base64url::decode(&self.0).ok_or(CursorError::Malformed)?;
        let (&version, rest) = bytes.split_first().ok_or(CursorError::Malformed)?;
        let (&flags, _) = rest.split_first().ok_or(CursorError::Malformed)?;
        if version != VERSION || flags & !SIGNED != 0 {
            return Err(CursorError::Malformed);
        }
        let signed = flags & SIGNED != 0;
        let tag_len = if signed { MAC_BYTES } else { CHECKSUM_BYTES };
        let body_len = bytes
            .len()
            .checked_sub(tag_len)
            .ok_or(CursorError::Malformed)?;
        let (body, tag) = bytes.split_at(body_len);
        match (signed, key) {
            (true, Some(key)) if key.verify(body, tag) => {}
            (false, None) if checksum(body).to_be_bytes() == tag => {}
            (false, None) => return Err(CursorError::Malformed),
            _ => return Err(CursorError::Unauthenticated),
        }
        let mut reader = Reader(&body[2..]);
        let found = reader.u64().ok_or(CursorError::Malformed)?;
        let count = reader.u8().ok_or(CursorError::Malformed)?;
        if count == 0 || usize::from(count) > MAX_VALUES {
            return Err(CursorError::Malformed);
        }
        let mut values = Vec::with_capacity(usize::from(count));
        for _ in 0..count {
            let len = reader.u16().ok_or(CursorError::Malformed)?;
            let value = reader
                .take(usize::from(len))
                .ok_or(CursorError::Malformed)?;
            values.push(String::from_utf8(value.to_vec()).map_err(|_| CursorError::Malformed)?);
        }
        if !reader.0.is_empty() {
            return Err(CursorError::Malformed);
        }
        if found != fingerprint {
            return Err(CursorError::WrongQuery);
        }
        // A table query's position is one sort key.
        match <[String; 1]>::try_from(values) {
            Ok([sort_key]) => Ok(Position { sort_key }),
            Err(_) => Err(CursorError::WrongQuery),
        }
    }
}

impl fmt::Debug for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Cursor").field(&self.0).finish()
    }
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Cursor {
    type Err = CursorError;

    /// Accepts any text that has a cursor's shape (URL-safe base64, at most
    /// [`MAX_CURSOR_LEN`] characters); whether it fits a query, and its
    /// tag, are checked when the query runs.
    fn from_str(s: &str) -> Result<Self, CursorError> {
        let shaped = (1..=MAX_CURSOR_LEN).contains(&s.len()) && base64url::decode(s).is_some();
        if shaped {
            Ok(Cursor(s.to_owned()))
        } else {
            Err(CursorError::Malformed)
        }
    }
}

impl serde::Serialize for Cursor {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Cursor {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Text;
        impl serde::de::Visitor<'_> for Text {
            type Value = Cursor;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a blue-schema cursor")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Cursor, E> {
                v.parse().map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Text)
    }
}

/// A secret that a store signs its cursors with (HMAC-SHA-256), so that it
/// accepts only cursors it handed out: give every store that serves the
/// same clients the same key ([`Store::with_cursor_key`](crate::Store::with_cursor_key)).
///
/// ```
/// let key = blue_schema::query::CursorKey::new(b"32 or more random bytes from your secret store");
/// let store = blue_schema::Store::sqlite_memory()?.with_cursor_key(key);
/// # Ok::<(), blue_schema::Error>(())
/// ```
#[derive(Clone)]
pub struct CursorKey(HmacSha256);

impl CursorKey {
    /// A key from secret bytes; use at least 32 random bytes.
    pub fn new(secret: &[u8]) -> CursorKey {
        // HMAC takes keys of any length.
        CursorKey(HmacSha256::new_from_slice(secret).expect("HMAC accepts any key length"))
    }

    fn tag(&self, body: &[u8]) -> [u8; MAC_BYTES] {
        let mut mac = self.0.clone();
        mac.update(body);
        let full = mac.finalize().into_bytes();
        let mut tag = [0; MAC_BYTES];
        tag.copy_from_slice(&full[..MAC_BYTES]);
        tag
    }

    fn verify(&self, body: &[u8], tag: &[u8]) -> bool {
        let mut mac = self.0.clone();
        mac.update(body);
        // Constant-time comparison of the truncated tag.
        mac.verify_truncated_left(tag).is_ok()
    }
}

impl fmt::Debug for CursorKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CursorKey(..)")
    }
}

fn checksum(body: &[u8]) -> u64 {
    let mut h = Fnv::new();
    h.tagged(b'c', body);
    h.finish()
}

/// Reads the fixed-width fields of a cursor's body.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }

    fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_be_bytes([b[0], b[1]]))
    }

    fn u64(&mut self) -> Option<u64> {
        let b = self.take(8)?;
        Some(u64::from_be_bytes(b.try_into().ok()?))
    }
}

/// URL-safe base64 without padding (RFC 4648 §5), strict: only canonical
/// text decodes.
/// FNV-1a, 64 bits: a stable hash (unlike `std`'s), so cursors survive
/// restarts and cross between backends and builds.
pub(crate) struct Fnv(u64);

impl Fnv {
    pub(crate) fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    pub(crate) fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }

    /// Writes a tag and a length before the bytes, so that fields cannot run
    /// into each other.
    pub(crate) fn tagged(&mut self, tag: u8, bytes: &[u8]) {
        self.write(&[tag]);
        self.write(&(bytes.len() as u64).to_be_bytes());
        self.write(bytes);
    }

    pub(crate) fn finish(&self) -> u64 {
        self.0
    }
}

mod base64url {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    pub(super) fn encode(bytes: &[u8]) -> String {
        let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
        for chunk in bytes.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
            for i in 0..=chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            }
        }
        out
    }

    pub(super) fn decode(text: &str) -> Option<Vec<u8>> {
        fn sextet(c: u8) -> Option<u32> {
            ALPHABET.iter().position(|&a| a == c).map(|i| i as u32)
        }
        if text.len() % 4 == 1 {
            return None;
        }
        let mut out = Vec::with_capacity(text.len() * 3 / 4);
        for chunk in text.as_bytes().chunks(4) {
            let mut n = 0u32;
            for (i, &c) in chunk.iter().enumerate() {
                n |= sextet(c)? << (18 - 6 * i);
            }
            let bytes = chunk.len() - 1;
            // Bits below the last whole byte must be zero in canonical text.
            if n & ((1 << (24 - 8 * bytes)) - 1) != 0 {
                return None;
            }
            for i in 0..bytes {
                out.push((n >> (16 - 8 * i)) as u8);
            }
        }
        Some(out)
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn round_trips_and_refuses_non_canonical_text() {
            for len in 0..40 {
                let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
                let text = encode(&bytes);
                assert!(!text.contains('='));
                assert_eq!(decode(&text), Some(bytes));
            }
            assert_eq!(encode(b"\xfb\xff"), "-_8");
            assert_eq!(decode("-_8"), Some(b"\xfb\xff".to_vec()));
            assert_eq!(decode("-_9"), None, "stray low bits");
            assert_eq!(decode("abcde"), None, "a lone sextet");
            assert_eq!(decode("ab+/"), None, "the standard alphabet");
        }
    }
}

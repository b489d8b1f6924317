//! The key codec: how typed values become partition and sort key strings.
//!
//! A key is a string of *components* joined by [`DELIMITER`] (`#`). A sort key
//! starts with the entity's prefix (`PERSP#0000000000#muffin#0000000001`); a
//! partition key is its `#[pk]` fields, optionally behind a `pk_prefix`.
//!
//! Every encoding here keeps three promises, proven by property tests:
//!
//! * **Order**: for values `a` and `b` of one key-part type, `a < b` exactly when
//!   `enc(a) < enc(b)` comparing bytes, as DynamoDB and SQLite's `BINARY`
//!   collation do; for composite keys the order is the lexicographic order of the
//!   component tuples.
//! * **Injectivity and round trip**: different values give different strings, and
//!   [`KeyPart::decode_key_part`] gives the value back. Decoding is strict: only
//!   the canonical encoding of a value is accepted.
//! * **Containment**: an encoded component never holds a byte `<= 0x25`, so never
//!   `#` (0x23), `$` (0x24) or `%` (0x25) unescaped. A value can therefore never
//!   forge a delimiter, escape its entity's prefix, or make a prefix query match
//!   a longer value (`expert("muf")` does not select `muffin`).
//!
//! # Strings
//!
//! Bytes `0x00..=0x25` (control characters, space, `!`, `"`, `#`, `$`, `%`) are
//! written as `%XX` with upper-case hex digits; every other byte, including all
//! of multi-byte UTF-8, is kept. Because the escape character `%` is the
//! largest escaped byte and its hex digits sort like the bytes they stand for,
//! the escaping preserves order, which plain percent-encoding of `#` alone would
//! not (`'#' < '$'`, but `"%23" > "$"`).
//!
//! ```
//! use blue_schema::key::KeyPart;
//!
//! let mut out = String::new();
//! "50% #1".to_string().encode_key_part(&mut out);
//! assert_eq!(out, "50%25%20%231");
//! assert_eq!(String::decode_key_part(&out).unwrap(), "50% #1");
//! ```
//!
//! # Integers
//!
//! Unsigned integers are zero-padded to a fixed width (u8: 3 digits, u16: 5,
//! u32: 10, u64 and usize: 20, u128: 39), so that `2` sorts before `10`. Signed
//! integers are biased by 2^(bits-1) (the minimum becomes zero) and then padded
//! like their unsigned twin: `-1i32` is `2147483647`, `0i32` is `2147483648`.
//! The ADR writes `PERSP#0#muffin#1`; this crate writes
//! `PERSP#0000000000#muffin#0000000001` on purpose, because unpadded numbers
//! sort `10` before `2`.
//!
//! # Other key parts
//!
//! `bool` is `false` / `true`; `char` is a one-character string; newtypes get
//! [`KeyPart`] from `#[derive(KeyPart)]` and are written as the value they
//! wrap; `uuid::Uuid` (feature `uuid`) is hyphenated lower-case hex.
//!
//! Dates and times (features `chrono` and `time`) share one spelling per
//! kind, so the two crates' values of the same day are the same key:
//!
//! | kind | `chrono` | `time` | spelling |
//! |---|---|---|---|
//! | date | `NaiveDate` | `Date` | `2024-02-02` |
//! | date and time | `NaiveDateTime` | `PrimitiveDateTime` | `2024-02-02T19:33:20.000000000` |
//! | instant | `DateTime<Utc>` | `OffsetDateTime` (as UTC) | `2024-02-02T19:33:20.000000000Z` |
//!
//! Years outside 0..=9999 are written behind `-` (before) or `:` (after)
//! with six digits so that they still sort; a chrono leap second is second
//! 60. An `OffsetDateTime` is written as its UTC time and decodes with
//! offset UTC: keys sort by instant, as its `Ord` does.
//!
//! # Enums
//!
//! A unit-only enum with `#[derive(KeyPart)]` sorts in the order its variants
//! are declared (the order a derived `Ord` gives), so that
//! `priority_ge(Priority::Medium)` selects `Medium` and `High` for
//! `enum Priority { Low, Medium, High }`. Two encodings keep that promise:
//!
//! * by name (the default): each variant is written as its serde name
//!   (`rfc`), which reads like the JSON of the value. The derive checks that
//!   the names, as written, sort in declaration order, and refuses the enum
//!   otherwise;
//! * by position, `#[key_part(order = "declaration")]`: the variant's
//!   two-digit position, a `-`, and its name (`00-low`, `01-medium`,
//!   `02-high`). Appending variants keeps stored keys valid; reordering or
//!   inserting variants changes them.
//!
//! `#[key_part(order = "name")]` keeps the name encoding for an enum whose
//! declaration order differs, for keys written before the check existed: its
//! ranges then follow the names' order, which the generated documentation
//! says.

#[cfg(any(feature = "chrono", feature = "time"))]
mod calendar;
#[cfg(any(feature = "chrono", feature = "time"))]
mod dates;
mod escape;
mod impls;
pub mod native;
mod path;

pub(crate) mod codec;

use std::fmt;
use std::marker::PhantomData;

pub use codec::table_key_of_index_sort_key;
pub use escape::{escape_into, unescape};
pub use native::{KeyValue, NativeKey, ScalarType};
pub(crate) use path::const_str_eq;
pub use path::{Segment, SortKeyPath, MAX_NESTING};

/// The byte that joins the components of a key.
pub const DELIMITER: char = '#';

/// A byte that no encoded key contains: `$` (0x24) is always escaped inside
/// components and is not allowed in prefixes. `{prefix}$` is therefore the
/// exclusive upper fence of every key that starts with `{prefix}#`, because
/// `'#' < '$'`.
pub const FENCE: char = '$';

/// A type whose values can be one component of a partition or sort key.
///
/// Implemented for `String`, `bool`, `char`, every integer type, and (behind
/// features) `uuid::Uuid`, chrono's `NaiveDate`, `NaiveDateTime` and
/// `DateTime<Utc>`, and time's `Date`, `PrimitiveDateTime` and
/// `OffsetDateTime`. Unit-only enums and
/// newtype structs get it from `#[derive(KeyPart)]`:
///
/// ```
/// use blue_schema::KeyPart;
///
/// #[derive(KeyPart, Debug, PartialEq)]
/// struct TensionId(String);
///
/// // Declared in the order of the names it is stored under: `adr` < `rfc`.
/// #[derive(KeyPart, Debug, PartialEq)]
/// #[serde(rename_all = "lowercase")]
/// enum DocKind { Adr, Rfc }
///
/// // Stored by position: `00-low` < `01-medium` < `02-high`.
/// #[derive(KeyPart, Debug, PartialEq, PartialOrd)]
/// #[key_part(order = "declaration")]
/// #[serde(rename_all = "lowercase")]
/// enum Priority { Low, Medium, High }
///
/// let mut out = String::new();
/// DocKind::Rfc.encode_key_part(&mut out);
/// assert_eq!(out, "rfc");
/// out.clear();
/// Priority::High.encode_key_part(&mut out);
/// assert_eq!(out, "02-high");
/// assert_eq!(Priority::decode_key_part("02-high"), Ok(Priority::High));
/// ```
///
/// An implementation outside this crate must keep the promises listed in the
/// [module documentation](self): order-preserving, injective, strictly
/// decodable, and no byte `<= 0x25` in the output (use [`escape_into`] for text).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be part of a DynamoDB key",
    label = "not a key part",
    note = "a key part needs an encoding whose byte order is the order of its values: \
            use a String, an integer, bool, char, a unit-only enum or a newtype with \
            `#[derive(KeyPart)]`, or with their features uuid::Uuid, chrono's NaiveDate / \
            NaiveDateTime / DateTime<Utc>, time's Date / PrimitiveDateTime / OffsetDateTime",
    note = "floats have no exact order-preserving encoding (use an integer, e.g. cents or \
            a fixed-point value); Option, Vec, sets and maps are not single values \
            (a key part is always present and scalar)"
)]
pub trait KeyPart: Sized {
    /// How this type is encoded, for documentation and schema metadata.
    const ENCODING: KeyEncoding;

    /// Appends the encoding of `self` to `out`. The output holds no delimiter.
    fn encode_key_part(&self, out: &mut String);

    /// Parses one encoded component back into a value.
    ///
    /// # Errors
    ///
    /// [`KeyDecodeError`] when `encoded` is not the canonical encoding of any
    /// value of this type.
    fn decode_key_part(encoded: &str) -> Result<Self, KeyDecodeError>;
}

/// Values accepted where a key part of type `T` is expected: `T` itself, `&T`,
/// and for `String` also `&str`. This is what lets key functions take
/// `Expert::key("nvidia-dec", "muffin")` without allocating.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be used where a `{T}` key part is expected",
    label = "expected a value of the key field's type `{T}`",
    note = "pass a value of the field's type `{T}` or a reference to one; a `String` key part also takes a `&str`"
)]
pub trait AsKeyPart<T> {
    /// Appends the encoding of the value, as `T` would encode it.
    fn encode_as_key_part(&self, out: &mut String);
}

impl<T: KeyPart> AsKeyPart<T> for T {
    fn encode_as_key_part(&self, out: &mut String) {
        self.encode_key_part(out);
    }
}

impl<T: KeyPart> AsKeyPart<T> for &T {
    fn encode_as_key_part(&self, out: &mut String) {
        (*self).encode_key_part(out);
    }
}

impl AsKeyPart<String> for &str {
    fn encode_as_key_part(&self, out: &mut String) {
        escape_into(self, out);
    }
}

impl AsKeyPart<String> for &mut str {
    fn encode_as_key_part(&self, out: &mut String) {
        escape_into(self, out);
    }
}

macro_rules! tuple_as_key_part {
    ($($t:ident $v:ident $i:tt),+) => {
        /// A composite partition key, given as a tuple in `#[pk]` field order.
        impl<$($t: KeyPart,)+ $($v: AsKeyPart<$t>,)+> AsKeyPart<($($t,)+)> for ($($v,)+) {
            fn encode_as_key_part(&self, out: &mut String) {
                let mut first = true;
                $(
                    if !std::mem::take(&mut first) {
                        out.push(DELIMITER);
                    }
                    self.$i.encode_as_key_part(out);
                )+
            }
        }
    };
}

tuple_as_key_part!(A X 0, B Y 1);
tuple_as_key_part!(A X 0, B Y 1, C Z 2);
tuple_as_key_part!(A X 0, B Y 1, C Z 2, D W 3);

/// Values accepted by `starts_with` on a string sort-key component: `&str`,
/// `String` and `&String`, for `String` key parts (and newtypes over them).
#[diagnostic::on_unimplemented(
    message = "`starts_with` needs a string key part, and this component is a `{T}`",
    label = "`starts_with` is only offered on `String` components",
    note = "a prefix of an encoded number or enum is not a meaningful range; \
            use `_between`, `_ge` or `_lt` on non-string components"
)]
pub trait AsKeyPrefix<T> {
    /// Appends the escaped prefix, with no delimiter after it.
    fn encode_key_prefix(&self, out: &mut String);
}

impl AsKeyPrefix<String> for &str {
    fn encode_key_prefix(&self, out: &mut String) {
        escape_into(self, out);
    }
}

impl AsKeyPrefix<String> for String {
    fn encode_key_prefix(&self, out: &mut String) {
        escape_into(self, out);
    }
}

impl AsKeyPrefix<String> for &String {
    fn encode_key_prefix(&self, out: &mut String) {
        escape_into(self, out);
    }
}

/// How a key-part type is written into a key; the schema metadata and the
/// generated documentation describe keys with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyEncoding {
    /// Text with bytes `0x00..=0x25` escaped as `%XX`.
    String,
    /// An unsigned integer zero-padded to `digits` decimal digits.
    Unsigned {
        /// The fixed width.
        digits: u8,
    },
    /// A signed integer of `bits` bits, biased by 2^(bits-1) and zero-padded to `digits`.
    Signed {
        /// The integer's width in bits.
        bits: u16,
        /// The fixed width in decimal digits.
        digits: u8,
    },
    /// `false` or `true`.
    Bool,
    /// One character, escaped like a string.
    Char,
    /// A unit-only enum, written as its variant's serde name (escaped), or
    /// as its position and name.
    Enum {
        /// The enum's Rust name.
        name: &'static str,
        /// The serde names of its variants, in declaration order.
        variants: &'static [&'static str],
        /// How the variants are ordered in keys.
        order: EnumOrder,
    },
    /// A newtype written as its inner value.
    Newtype {
        /// The newtype's Rust name.
        name: &'static str,
        /// The encoding of the wrapped type.
        inner: &'static KeyEncoding,
    },
    /// A UUID in hyphenated lower-case hex (36 characters).
    Uuid,
    /// A UTC timestamp, RFC 3339 with nine fractional digits and `Z`:
    /// `chrono::DateTime<Utc>`, `time::OffsetDateTime` (as its UTC time).
    Timestamp,
    /// A calendar date, `YYYY-MM-DD`: `chrono::NaiveDate`, `time::Date`.
    Date,
    /// A date and wall-clock time without offset,
    /// `YYYY-MM-DDTHH:MM:SS.nnnnnnnnn`: `chrono::NaiveDateTime`,
    /// `time::PrimitiveDateTime`.
    DateTime,
}

impl KeyEncoding {
    /// Whether the builders offer `starts_with` on this key part: `String` only.
    pub const fn is_string(&self) -> bool {
        // Newtypes over String are not included: `starts_with` takes `&str`,
        // and a newtype cannot accept `&str` without breaking coherence.
        matches!(self, KeyEncoding::String)
    }

    /// One line describing the encoding, as the generated docs print it.
    pub fn describe(&self) -> String {
        match self {
            KeyEncoding::String => "string, bytes 0x00-0x25 escaped as `%XX`".to_string(),
            KeyEncoding::Unsigned { digits } => {
                format!("unsigned integer, zero-padded to {digits} digits")
            }
            KeyEncoding::Signed { bits, digits } => format!(
                "signed integer, biased by 2^{} and zero-padded to {digits} digits",
                bits - 1
            ),
            KeyEncoding::Bool => "`false` or `true`".to_string(),
            KeyEncoding::Char => "one character, escaped like a string".to_string(),
            KeyEncoding::Enum {
                variants, order, ..
            } => {
                let names: Vec<String> = variants
                    .iter()
                    .enumerate()
                    .map(|(i, v)| match order {
                        EnumOrder::Declaration => format!("`{i:02}-{v}`"),
                        EnumOrder::Name | EnumOrder::NameByChoice => format!("`{v}`"),
                    })
                    .collect();
                let how = match order {
                    EnumOrder::Name => "enum by serde name, in declaration order",
                    EnumOrder::Declaration => "enum by position and serde name",
                    EnumOrder::NameByChoice => {
                        "enum by serde name; ranges follow the names' order, not the declaration's"
                    }
                };
                format!("{how}: {}", names.join(", "))
            }
            KeyEncoding::Newtype { name, inner } => {
                format!("newtype `{name}` of: {}", inner.describe())
            }
            KeyEncoding::Uuid => "UUID, hyphenated lower-case hex".to_string(),
            KeyEncoding::Timestamp => "UTC timestamp, `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`".to_string(),
            KeyEncoding::Date => "date, `YYYY-MM-DD`".to_string(),
            KeyEncoding::DateTime => {
                "date and time without offset, `YYYY-MM-DDTHH:MM:SS.nnnnnnnnn`".to_string()
            }
        }
    }
}

/// How a key-part enum's variants are ordered in keys; see the
/// [module documentation](self#enums).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EnumOrder {
    /// By serde name, which the derive checked sorts in declaration order.
    Name,
    /// By position (`00-name`), in declaration order.
    Declaration,
    /// By serde name, chosen with `#[key_part(order = "name")]` although it
    /// differs from the declaration order.
    NameByChoice,
}

/// Why an encoded key or key component could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyDecodeError {
    /// A `%` not followed by two upper-case hex digits, or an escape of a byte
    /// that is never escaped, or a raw byte that must have been escaped.
    BadEscape {
        /// The component that failed.
        component: String,
    },
    /// The component is not the canonical encoding of the expected type.
    Invalid {
        /// The component that failed.
        component: String,
        /// What was expected, e.g. `u32 (10 digits)`.
        expected: &'static str,
    },
    /// The key does not start with the entity's prefix.
    WrongPrefix {
        /// The expected prefix.
        expected: &'static str,
        /// The key that was given.
        key: String,
    },
    /// The key has a different number of components than the entity's key.
    WrongComponentCount {
        /// How many components the entity's key has.
        expected: usize,
        /// How many the given key has.
        found: usize,
    },
}

impl fmt::Display for KeyDecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyDecodeError::BadEscape { component } => {
                write!(f, "key component `{component}` is not canonically escaped")
            }
            KeyDecodeError::Invalid {
                component,
                expected,
            } => write!(f, "key component `{component}` is not a valid {expected}"),
            KeyDecodeError::WrongPrefix { expected, key } => {
                write!(f, "key `{key}` does not start with prefix `{expected}`")
            }
            KeyDecodeError::WrongComponentCount { expected, found } => write!(
                f,
                "key has {found} components where {expected} were expected"
            ),
        }
    }
}

impl std::error::Error for KeyDecodeError {}

/// The typed key of one item: its partition key and sort key strings.
///
/// Made by the derived key functions (`Expert::key("nvidia-dec", "muffin")`)
/// or by [`Entity::key`](crate::Entity::key) on an item, never by hand, so a
/// `Key<Expert>` always has the shape of an `Expert` key.
pub struct Key<E> {
    partition_key: String,
    sort_key: String,
    entity: PhantomData<fn() -> E>,
}

impl<E> Key<E> {
    /// A key of encoded strings, which must be keys of `E`.
    pub(crate) fn from_encoded(partition_key: String, sort_key: String) -> Self {
        Key {
            partition_key,
            sort_key,
            entity: PhantomData,
        }
    }

    /// The encoded partition key (`pk`).
    pub fn partition_key(&self) -> &str {
        &self.partition_key
    }

    /// The encoded sort key (`sk`).
    pub fn sort_key(&self) -> &str {
        &self.sort_key
    }

    /// Both strings, consuming the key.
    pub fn into_parts(self) -> (String, String) {
        (self.partition_key, self.sort_key)
    }
}

impl<E> AsRef<Key<E>> for Key<E> {
    fn as_ref(&self) -> &Key<E> {
        self
    }
}

/// A copy of the key, so that the store's reads and deletes take `key` or
/// `&key` alike (a key given by value is moved, not copied).
impl<E> From<&Key<E>> for Key<E> {
    fn from(key: &Key<E>) -> Key<E> {
        key.clone()
    }
}

impl<E> Clone for Key<E> {
    fn clone(&self) -> Self {
        Key::from_encoded(self.partition_key.clone(), self.sort_key.clone())
    }
}

impl<E> PartialEq for Key<E> {
    fn eq(&self, other: &Self) -> bool {
        self.partition_key == other.partition_key && self.sort_key == other.sort_key
    }
}

impl<E> Eq for Key<E> {}

impl<E> std::hash::Hash for Key<E> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.partition_key.hash(state);
        self.sort_key.hash(state);
    }
}

impl<E> fmt::Debug for Key<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field("pk", &self.partition_key)
            .field("sk", &self.sort_key)
            .finish()
    }
}

/// `{pk} | {sk}`, the ADR's notation.
impl<E> fmt::Display for Key<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} | {}", self.partition_key, self.sort_key)
    }
}

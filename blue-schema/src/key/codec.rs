//! Writing and reading encoded keys component by component: what the
//! generated `key()`, `query()` and `decode_key` call.

use super::escape::{escape_into, unescape};
use super::path::{Segment, SortKeyPath};
use super::{AsKeyPart, EnumOrder, Key, KeyPart};
use crate::key::{KeyDecodeError, DELIMITER};

/// Builds one encoded key: an optional prefix, then components, joined by `#`.
/// Used by the derived code.
///
/// A writer of a nested entity's sort key ([`KeyWriter::path`]) also writes
/// each inner level's prefix, as soon as the level before it is complete.
#[derive(Debug, Clone)]
pub struct KeyWriter {
    buf: String,
    /// The levels after the current one.
    next: &'static [Segment],
    /// Components left in the current level (`usize::MAX`: no levels).
    left: usize,
}

impl Default for KeyWriter {
    fn default() -> Self {
        KeyWriter::new(None)
    }
}

impl KeyWriter {
    /// A writer whose key starts with `prefix` (nothing if `None`).
    pub fn new(prefix: Option<&str>) -> Self {
        let prefix = prefix.unwrap_or_default();
        // One allocation for the usual key instead of several doublings.
        let mut buf = String::with_capacity(prefix.len() + 48);
        buf.push_str(prefix);
        KeyWriter {
            buf,
            next: &[],
            left: usize::MAX,
        }
    }

    /// A writer of a sort key of shape `path`: its first prefix, and each
    /// later prefix once the components before it are written.
    pub fn path(path: &'static SortKeyPath) -> Self {
        let (first, next) = path
            .segments()
            .split_first()
            .expect("a sort-key path has a level");
        let mut writer = KeyWriter::new(Some(first.prefix));
        writer.next = next;
        writer.left = first.fields;
        writer.enter_complete_levels();
        writer
    }

    /// Appends one component, preceded by `#` unless it is the first thing
    /// written. `T` may be a tuple, for a composite partition key.
    pub fn push<T>(&mut self, value: &impl AsKeyPart<T>) -> &mut Self {
        if !self.buf.is_empty() {
            self.buf.push(DELIMITER);
        }
        value.encode_as_key_part(&mut self.buf);
        self.left = self.left.wrapping_sub(1);
        if self.left == 0 {
            self.enter_complete_levels();
        }
        self
    }

    /// Writes the prefix of each next level while the current one is
    /// complete.
    fn enter_complete_levels(&mut self) {
        while self.left == 0 {
            let Some((level, rest)) = self.next.split_first() else {
                return;
            };
            self.buf.push(DELIMITER);
            self.buf.push_str(level.prefix);
            self.left = level.fields;
            self.next = rest;
        }
    }

    /// Appends an encoded key (a table key, at the end of an index sort
    /// key) as one component: escaped, so that it holds no `#`.
    pub fn push_escaped(&mut self, key: &str) -> &mut Self {
        if !self.buf.is_empty() {
            self.buf.push(DELIMITER);
        }
        escape_into(key, &mut self.buf);
        self
    }

    /// The key written so far.
    pub fn as_str(&self) -> &str {
        &self.buf
    }

    /// The finished key.
    pub fn finish(self) -> String {
        self.buf
    }
}

/// The table key an index sort key ends with (see
/// [`IndexSchema`](crate::schema::IndexSchema)): its last two components,
/// unescaped. `None` when the text does not end that way.
pub fn table_key_of_index_sort_key(index_sort_key: &str) -> Option<(String, String)> {
    let mut parts = index_sort_key.rsplitn(3, DELIMITER);
    let sk = parts.next()?;
    let pk = parts.next()?;
    parts.next()?;
    Some((unescape(pk).ok()?, unescape(sk).ok()?))
}

/// Reads the components of an encoded key back, in order: what
/// [`KeyTuple`] and the derived `decode_key` ([`decode_key`]) read with.
#[derive(Debug, Clone)]
pub struct KeyReader<'a> {
    /// The components not read yet (`None` past the last).
    rest: Option<&'a str>,
    expected: usize,
    read: usize,
}

/// [`DELIMITER`] as the byte it is: keys are split on it byte by byte
/// (an ASCII byte never occurs inside another UTF-8 character), which
/// costs less on a short key than a `char` searcher.
const DELIMITER_BYTE: u8 = {
    assert!(DELIMITER.is_ascii());
    DELIMITER as u8
};

impl<'a> KeyReader<'a> {
    /// A reader over `key`, which must start with `prefix` (if any) followed by
    /// exactly `components` components.
    ///
    /// # Errors
    ///
    /// [`KeyDecodeError::WrongPrefix`] or [`KeyDecodeError::WrongComponentCount`].
    pub fn new(
        key: &'a str,
        prefix: Option<&'static str>,
        components: usize,
    ) -> Result<Self, KeyDecodeError> {
        let reader = Self::uncounted(key, prefix, components).ok_or_else(|| {
            KeyDecodeError::WrongPrefix {
                // Only a prefix can be missing.
                expected: prefix.unwrap_or_default(),
                key: key.to_owned(),
            }
        })?;
        let found = reader.rest.map_or(0, |rest| {
            rest.bytes().filter(|&b| b == DELIMITER_BYTE).count() + 1
        });
        if found != components {
            return Err(KeyDecodeError::WrongComponentCount {
                expected: components,
                found,
            });
        }
        Ok(reader)
    }

    /// A reader over `key` that has not counted its components, or `None`
    /// when `prefix` (followed by the delimiter, unless the key has no
    /// components) does not start it: [`KeyReader::new`] counts them, a
    /// well-formed read checks at the end ([`KeyReader::at_end`]) that it
    /// took exactly `components`.
    fn uncounted(key: &'a str, prefix: Option<&'static str>, components: usize) -> Option<Self> {
        let rest = match prefix {
            None => key,
            Some(p) => {
                let after = key.strip_prefix(p)?;
                if components == 0 {
                    after.is_empty().then_some(after)?
                } else {
                    after.strip_prefix(DELIMITER)?
                }
            }
        };
        Some(KeyReader {
            // Nothing to read: a key of no components, and nothing after
            // its prefix.
            rest: (components != 0 || !rest.is_empty()).then_some(rest),
            expected: components,
            read: 0,
        })
    }

    /// Whether every component has been read.
    fn at_end(&self) -> bool {
        self.rest.is_none()
    }

    /// The next component, up to the next delimiter.
    fn next_part(&mut self) -> Option<&'a str> {
        let rest = self.rest?;
        Some(match rest.bytes().position(|b| b == DELIMITER_BYTE) {
            Some(at) => {
                self.rest = Some(&rest[at + 1..]);
                &rest[..at]
            }
            None => {
                self.rest = None;
                rest
            }
        })
    }

    /// Decodes the next component as a `T`.
    ///
    /// # Errors
    ///
    /// The component's [`KeyDecodeError`], or a count error past the end.
    pub fn read<T: KeyPart>(&mut self) -> Result<T, KeyDecodeError> {
        let part = self
            .next_part()
            .filter(|_| self.read < self.expected)
            .ok_or(KeyDecodeError::WrongComponentCount {
                expected: self.expected,
                found: self.read,
            })?;
        self.read += 1;
        T::decode_key_part(part)
    }
}

/// The key fields of a key, as a tuple of [`KeyPart`]s in declared order
/// (`()` for a singleton's sort key), read back by the derived
/// `decode_key`. Implemented for tuples of up to 12 fields, the most a
/// sort key may have.
pub trait KeyTuple: Sized {
    /// The number of components.
    const LEN: usize;

    /// Reads the components in order.
    ///
    /// # Errors
    ///
    /// The first component's [`KeyDecodeError`], or a count error.
    fn read_from(reader: &mut KeyReader<'_>) -> Result<Self, KeyDecodeError>;
}

macro_rules! key_tuple {
    ($($t:ident)*) => {
        impl<$($t: KeyPart),*> KeyTuple for ($($t,)*) {
            const LEN: usize = <[&str]>::len(&[$(stringify!($t)),*]);

            #[allow(unused_variables)]
            fn read_from(reader: &mut KeyReader<'_>) -> Result<Self, KeyDecodeError> {
                Ok(($(reader.read::<$t>()?,)*))
            }
        }
    };
}

key_tuple!();
key_tuple!(A);
key_tuple!(A B);
key_tuple!(A B C);
key_tuple!(A B C D);
key_tuple!(A B C D E);
key_tuple!(A B C D E F);
key_tuple!(A B C D E F G);
key_tuple!(A B C D E F G H);
key_tuple!(A B C D E F G H I);
key_tuple!(A B C D E F G H I J);
key_tuple!(A B C D E F G H I J K);
key_tuple!(A B C D E F G H I J K L);

/// The derived `decode_key` of an entity whose partition key is one field:
/// the key fields read back from the encoded keys.
///
/// # Errors
///
/// [`KeyDecodeError`] when the strings are not a key of the entity.
pub fn decode_key<P: KeyPart, S: KeyTuple>(
    partition_key: &str,
    pk_prefix: Option<&'static str>,
    sort_key: &str,
    prefix: &'static str,
) -> Result<(P, S), KeyDecodeError> {
    decode_composite_key::<(P,), S>(partition_key, pk_prefix, sort_key, prefix)
        .map(|((pk,), sk)| (pk, sk))
}

/// [`decode_key`] for a partition key of several fields.
///
/// # Errors
///
/// [`KeyDecodeError`] when the strings are not a key of the entity.
pub fn decode_composite_key<P: KeyTuple, S: KeyTuple>(
    partition_key: &str,
    pk_prefix: Option<&'static str>,
    sort_key: &str,
    prefix: &'static str,
) -> Result<(P, S), KeyDecodeError> {
    // A key read from the store is well formed: its components are read
    // in one pass, without counting them first. Anything else is read
    // again the way that says what is wrong with it (the count before a
    // component's own error).
    let well_formed = || {
        let mut pk = KeyReader::uncounted(partition_key, pk_prefix, P::LEN)?;
        let mut sk = KeyReader::uncounted(sort_key, Some(prefix), S::LEN)?;
        let pk = P::read_from(&mut pk).ok().filter(|_| pk.at_end())?;
        let sk = S::read_from(&mut sk).ok().filter(|_| sk.at_end())?;
        Some((pk, sk))
    };
    if let Some(decoded) = well_formed() {
        return Ok(decoded);
    }
    let mut pk = KeyReader::new(partition_key, pk_prefix, P::LEN)?;
    let mut sk = KeyReader::new(sort_key, Some(prefix), S::LEN)?;
    Ok((P::read_from(&mut pk)?, S::read_from(&mut sk)?))
}

/// [`decode_composite_key`] for a sort key of shape `path` (a nested
/// entity's): the prefixes at their places, the components between them.
///
/// # Errors
///
/// [`KeyDecodeError`] when the strings are not a key of the entity.
pub fn decode_path_key<P: KeyTuple, S: KeyTuple>(
    partition_key: &str,
    pk_prefix: Option<&'static str>,
    sort_key: &str,
    path: &'static SortKeyPath,
) -> Result<(P, S), KeyDecodeError> {
    let mut pk = KeyReader::new(partition_key, pk_prefix, P::LEN)?;
    let components = path
        .components(sort_key)
        .ok_or_else(|| KeyDecodeError::WrongPrefix {
            expected: path.own_prefix(),
            key: sort_key.to_owned(),
        })?;
    let mut sk = KeyReader::new(&components, None, S::LEN)?;
    Ok((P::read_from(&mut pk)?, S::read_from(&mut sk)?))
}

/// Writes a key-part enum's variant: its escaped serde name, after its
/// two-digit position for [`EnumOrder::Declaration`]. Used by
/// `#[derive(KeyPart)]`.
pub fn encode_enum_variant(position: usize, name: &str, order: EnumOrder, out: &mut String) {
    if order == EnumOrder::Declaration {
        out.push(char::from(b'0' + (position / 10 % 10) as u8));
        out.push(char::from(b'0' + (position % 10) as u8));
        out.push('-');
    }
    escape_into(name, out);
}

/// The position of the variant whose canonical encoding is `encoded`.
/// Used by `#[derive(KeyPart)]`.
pub fn decode_enum_variant(
    encoded: &str,
    variants: &[&str],
    order: EnumOrder,
    expected: &'static str,
) -> Result<usize, KeyDecodeError> {
    let invalid = || KeyDecodeError::Invalid {
        component: encoded.to_owned(),
        expected,
    };
    let name = match order {
        EnumOrder::Declaration => {
            let (position, name) = encoded
                .split_once('-')
                .filter(|(p, _)| p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit()))
                .ok_or_else(invalid)?;
            let position: usize = position.parse().map_err(|_| invalid())?;
            let name = unescape(name)?;
            return if variants.get(position) == Some(&name.as_str()) {
                Ok(position)
            } else {
                Err(invalid())
            };
        }
        EnumOrder::Name | EnumOrder::NameByChoice => unescape(encoded)?,
    };
    variants.iter().position(|v| *v == name).ok_or_else(invalid)
}

/// A key of encoded strings, which must be keys of `E`: what the generated
/// `key()` returns.
pub fn key_from_encoded<E>(partition_key: String, sort_key: String) -> Key<E> {
    Key::from_encoded(partition_key, sort_key)
}

#[cfg(test)]
mod tests {
    use super::{decode_composite_key, decode_key, KeyWriter};
    use crate::key::KeyDecodeError;

    type Twelve = (u8, u8, u8, u8, u8, u8, String, u8, u8, u8, u8, u8);

    #[test]
    fn the_longest_sort_key_reads_back() {
        let mut sk = KeyWriter::new(Some("READING"));
        for i in 0..12u8 {
            if i == 6 {
                sk.push::<String>(&"a#b");
            } else {
                sk.push::<u8>(&i);
            }
        }
        let sort_key = sk.finish();
        let (pk, sk): (String, Twelve) = decode_key("site-1", None, &sort_key, "READING").unwrap();
        assert_eq!(pk, "site-1");
        assert_eq!(sk.6, "a#b");
        assert_eq!((sk.0, sk.5, sk.11), (0, 5, 11));
    }

    #[test]
    fn a_composite_partition_key_is_counted_and_prefixed() {
        let (pk, sk): ((String, u32), ()) =
            decode_composite_key("ORG#acme#0000000007", Some("ORG"), "META", "META").unwrap();
        assert_eq!(pk, ("acme".to_owned(), 7));
        assert_eq!(sk, ());
        let short =
            decode_composite_key::<(String, u32), ()>("ORG#acme", Some("ORG"), "META", "META");
        assert!(matches!(
            short,
            Err(KeyDecodeError::WrongComponentCount { expected: 2, .. })
        ));
        let long = decode_key::<String, (u8,)>("p", None, "X#1#2", "X");
        assert!(matches!(
            long,
            Err(KeyDecodeError::WrongComponentCount { expected: 1, .. })
        ));
    }

    /// A key that is not well formed gets the error it always got: the
    /// prefix first, then the count, then the component.
    #[test]
    fn a_malformed_key_says_first_what_it_always_said() {
        type Of = (String, (u32, String));
        let decode = |pk: &str, sk: &str| decode_key::<String, (u32, String)>(pk, None, sk, "CARD");
        let ok: Of = decode("d", "CARD#0000000007#x%23y").unwrap();
        assert_eq!(ok, ("d".to_owned(), (7, "x#y".to_owned())));
        // Too many components, the first of which is not a number.
        assert_eq!(
            decode("d", "CARD#seven#x#y"),
            Err(KeyDecodeError::WrongComponentCount {
                expected: 2,
                found: 3
            })
        );
        // Too few, and one that is not a number.
        assert_eq!(
            decode("d", "CARD#seven"),
            Err(KeyDecodeError::WrongComponentCount {
                expected: 2,
                found: 1
            })
        );
        // The right count, and a component that is not a number.
        assert!(matches!(
            decode("d", "CARD#seven#x"),
            Err(KeyDecodeError::Invalid { .. })
        ));
        // The wrong prefix, whatever follows; and no delimiter after it.
        assert!(matches!(
            decode("d", "CARDS#seven"),
            Err(KeyDecodeError::WrongPrefix { .. })
        ));
        assert!(matches!(
            decode("d", "CARD"),
            Err(KeyDecodeError::WrongPrefix { .. })
        ));
        // A partition key of two components where one is expected.
        assert_eq!(
            decode("d#e", "CARD#0000000007#x"),
            Err(KeyDecodeError::WrongComponentCount {
                expected: 1,
                found: 2
            })
        );
        // A singleton's sort key is its prefix alone.
        assert!(decode_key::<String, ()>("d", None, "META", "META").is_ok());
        assert!(matches!(
            decode_key::<String, ()>("d", None, "META#1", "META"),
            Err(KeyDecodeError::WrongPrefix { .. })
        ));
    }
}

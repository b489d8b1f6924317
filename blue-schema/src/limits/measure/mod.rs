//! Measuring an entity as a DynamoDB item, without building it.
//!
//! [`check_item`](super::check::check_item) runs an entity's
//! `Serialize` implementation against a serializer that writes nothing: it
//! adds up the item's size the way
//! DynamoDB computes it, and checks what DynamoDB would refuse (nesting,
//! numbers, attribute names, non-string map keys) on the way. It allocates
//! only to report an error, so checking costs a fraction of writing the
//! JSON or attribute values the backend then produces from the entity.
//!
//! The data model is DynamoDB's: `None`, `()` and unit structs are `NULL`;
//! booleans `BOOL`; integers and floats `N`; strings, chars and unit
//! variants `S`; `serialize_bytes` `B`; sequences and tuples `L`; structs,
//! maps and data-carrying variants (`{variant: value}`) `M`.

mod map_key;
mod number;
mod sizer;

use std::fmt::{self, Write as _};

use serde::ser::{self, Serialize};
use sizer::Sizer;

use super::{NumberProblem, MAX_NESTING_DEPTH, MAX_NUMBER_DIGITS};
use crate::error::ItemError;

/// One step of the path to an attribute, collected only on error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Segment {
    Name(String),
    Index(usize),
}

/// What measuring found wrong; the path is collected innermost first.
#[derive(Debug)]
pub(crate) enum Problem {
    NotAnItem(ItemError),
    TooDeep {
        path: Vec<Segment>,
    },
    Number {
        path: Vec<Segment>,
        value: String,
        problem: NumberProblem,
    },
    AttributeName {
        name: String,
    },
}

impl Problem {
    fn within(mut self, segment: impl FnOnce() -> Segment) -> Self {
        if let Problem::TooDeep { path } | Problem::Number { path, .. } = &mut self {
            path.push(segment());
        }
        self
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:?}")
    }
}

impl std::error::Error for Problem {}

impl ser::Error for Problem {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Problem::NotAnItem(ItemError::Custom(msg.to_string()))
    }
}

/// `serde_dynamo`, which writes DynamoDB items, has no 128-bit integers,
/// so no backend takes them.
fn no_128_bit_integers() -> Problem {
    Problem::NotAnItem(ItemError::Int128)
}

/// Renders a path collected innermost first: `tree[0].k`.
pub(crate) fn render(path: &[Segment]) -> String {
    let mut out = String::new();
    for segment in path.iter().rev() {
        match segment {
            Segment::Name(n) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(n);
            }
            Segment::Index(i) => {
                let _ = write!(out, "[{i}]");
            }
        }
    }
    out
}

/// The size of the entity's attributes (names and values) as DynamoDB
/// computes it, after checking that every top-level name passes `name_ok`.
pub(crate) fn measure<T: Serialize + ?Sized>(
    value: &T,
    name_ok: fn(&str) -> bool,
) -> Result<usize, Problem> {
    value.serialize(Sizer {
        depth: 0,
        top: Some(name_ok),
        set: false,
    })
}

/// The size of one stored attribute, its name and its value, as DynamoDB
/// computes it: what an `INCLUDE` index entry holds of an item. `set`
/// says the attribute is a `#[set]` (stored as a JSON array, sized as a
/// set). A value that is no DynamoDB value (the item was checked when it
/// was written) counts its name alone.
#[cfg(feature = "sqlite")]
pub(crate) fn attribute_size(name: &str, value: &serde_json::Value, set: bool) -> usize {
    let size = value.serialize(Sizer {
        depth: 1,
        top: None,
        set,
    });
    name.len() + size.unwrap_or(0)
}

/// [`attribute_size`] of an attribute read as its JSON text (`raw`): a
/// string without escapes, a boolean, `null` or an integer of up to 18
/// digits sized from the text; anything else (and every `#[set]`) parsed
/// and sized as a value, as [`attribute_size`] sizes it.
#[cfg(feature = "sqlite")]
pub(crate) fn raw_attribute_size(name: &str, raw: &str, set: bool) -> usize {
    if let Some(size) = (!set).then(|| raw_scalar_size(raw.as_bytes())).flatten() {
        return name.len() + size;
    }
    match serde_json::from_str::<serde_json::Value>(raw) {
        Ok(value) => attribute_size(name, &value, set),
        Err(_) => name.len(),
    }
}

/// The size of a scalar JSON text that needs no parsing, else `None`.
#[cfg(feature = "sqlite")]
fn raw_scalar_size(raw: &[u8]) -> Option<usize> {
    match raw {
        [b'"', inner @ .., b'"'] if !inner.contains(&b'\\') => Some(inner.len()),
        b"true" | b"false" | b"null" => Some(1),
        _ => {
            let digits = raw.strip_prefix(b"-").unwrap_or(raw);
            // Up to 18 digits: an `i64` as serde_json reads it (longer
            // integers may be read as floats, and sized as such), sized
            // by the rule every number is.
            if digits.is_empty() || digits.len() > 18 || !digits.iter().all(u8::is_ascii_digit) {
                return None;
            }
            // The digits are checked: read as they are (no `str::parse`).
            let n = digits
                .iter()
                .fold(0i128, |n, d| n * 10 + i128::from(d - b'0'));
            let n = if digits.len() < raw.len() { -n } else { n };
            number::NumberText::Int(n).size().ok()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::number::NumberText;
    use super::*;
    use std::collections::BTreeMap;

    fn any(_: &str) -> bool {
        true
    }

    fn size_of<T: Serialize>(v: &T) -> Result<usize, Problem> {
        #[derive(serde::Serialize)]
        struct One<'a, T> {
            v: &'a T,
        }
        measure(&One { v }, any).map(|s| s - 1)
    }

    #[test]
    fn scalars() {
        assert_eq!(size_of(&"héllo").ok(), Some(6));
        assert_eq!(size_of(&'é').ok(), Some(2));
        assert_eq!(size_of(&true).ok(), Some(1));
        assert_eq!(size_of(&None::<u8>).ok(), Some(1));
        assert_eq!(size_of(&()).ok(), Some(1));
    }

    #[test]
    fn numbers_follow_the_documented_rule() {
        assert_eq!(size_of(&0u8).ok(), Some(1));
        assert_eq!(size_of(&7u8).ok(), Some(2));
        assert_eq!(size_of(&12u8).ok(), Some(2));
        assert_eq!(size_of(&123u16).ok(), Some(3));
        assert_eq!(size_of(&1_000_000u32).ok(), Some(2));
        assert_eq!(size_of(&-123i32).ok(), Some(4));
        assert_eq!(size_of(&0.5f64).ok(), Some(2));
        assert_eq!(size_of(&-0.0f64).ok(), Some(1));
        assert_eq!(size_of(&0.1f32).ok(), Some(2));
        // Each side of the decimal point is paired on its own.
        assert_eq!(size_of(&1.5f64).ok(), Some(3));
        assert_eq!(size_of(&123.45f64).ok(), Some(4));
        assert_eq!(size_of(&-12.5f64).ok(), Some(4));
        assert_eq!(size_of(&0.05f64).ok(), Some(2));
        assert_eq!(size_of(&0.0125f64).ok(), Some(3));
        assert_eq!(size_of(&1e20f64).ok(), Some(2));
        assert_eq!(size_of(&12345u32).ok(), Some(4));
    }

    #[test]
    fn numbers_dynamodb_cannot_hold_are_named() {
        let problem = |r: Result<usize, Problem>| match r {
            Err(Problem::Number { problem, .. }) => problem,
            other => panic!("{other:?}"),
        };
        assert_eq!(problem(size_of(&f64::NAN)), NumberProblem::NotFinite);
        assert_eq!(
            problem(size_of(&f32::NEG_INFINITY)),
            NumberProblem::NotFinite
        );
        assert_eq!(problem(size_of(&1e126)), NumberProblem::OutOfRange);
        assert_eq!(problem(size_of(&-1e126)), NumberProblem::OutOfRange);
        assert_eq!(problem(size_of(&1e-131)), NumberProblem::OutOfRange);
        // No serializable number reaches 39 digits now that 128-bit
        // integers are refused; the rule stays for the numbers that could.
        assert_eq!(
            NumberText::Uint(u128::MAX).size(),
            Err(NumberProblem::TooPrecise { digits: 39 })
        );
        assert_eq!(NumberText::Uint(10u128.pow(38) - 1).size(), Ok(20));
        for ok in [9.999_999_999_999_99e125, 1e-130, f64::MIN_POSITIVE * 1e178] {
            assert!(size_of(&ok).is_ok(), "{ok}");
        }
        for wide in [size_of(&1u128), size_of(&-1i128)] {
            match wide {
                Err(Problem::NotAnItem(ItemError::Int128)) => {}
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn containers_count_their_overhead() {
        // [1, "ab"]: 3 + (1 + 2) + (1 + 2)
        assert_eq!(size_of(&(1u8, "ab")).ok(), Some(9));
        // {"k": true}: 3 + (1 + 1 + 1)
        assert_eq!(size_of(&BTreeMap::from([("k", true)])).ok(), Some(6));
        #[derive(serde::Serialize)]
        enum E {
            N(u8),
            T(u8, u8),
            S { a: u8 },
        }
        // {"N": 1}: 3 + 1 + 1 + 2
        assert_eq!(size_of(&E::N(1)).ok(), Some(7));
        // {"T": [1, 1]}: 3 + 1 + 1 + (3 + 3 + 3)
        assert_eq!(size_of(&E::T(1, 1)).ok(), Some(14));
        // {"S": {"a": 1}}: 3 + 1 + 1 + (3 + 1 + 1 + 2)
        assert_eq!(size_of(&E::S { a: 1 }).ok(), Some(12));
    }

    #[test]
    fn paths_name_where_the_problem_is() {
        #[derive(serde::Serialize)]
        struct Inner {
            ratio: f64,
        }
        #[derive(serde::Serialize)]
        struct Outer {
            list: Vec<Inner>,
        }
        let item = Outer {
            list: vec![Inner { ratio: 1.0 }, Inner { ratio: f64::NAN }],
        };
        match measure(&item, any) {
            Err(Problem::Number { path, value, .. }) => {
                assert_eq!(render(&path), "list[1].ratio");
                assert_eq!(value, "NaN");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn only_maps_are_items() {
        match measure(&vec![1, 2], any) {
            Err(Problem::NotAnItem(ItemError::NotAMap { found })) => {
                assert_eq!(found, "a sequence")
            }
            other => panic!("{other:?}"),
        }
        let mut m = BTreeMap::new();
        m.insert(vec![1u8], 1u8);
        assert!(matches!(
            size_of(&m),
            Err(Problem::NotAnItem(ItemError::MapKeyNotAString))
        ));
    }

    #[cfg(feature = "sqlite")]
    #[test]
    fn raw_sizes_are_the_parsed_values_sizes() {
        let texts = [
            r#""""#,
            r#""Card 7""#,
            r#""héllo""#,
            r#""a\"b""#,
            r#""\u00e9""#,
            "true",
            "false",
            "null",
            "0",
            "-0",
            "7",
            "-7",
            "10",
            "1200",
            "-1200",
            "123456789012345678",
            "-123456789012345678",
            "1234567890123456789",
            "100000000000000000000",
            "1.5",
            "-0.05",
            "1e20",
            "[1,2]",
            r#"["a","b"]"#,
            r#"{"x":[1,"a"],"y":null}"#,
        ];
        for raw in texts {
            let value: serde_json::Value = serde_json::from_str(raw).unwrap();
            for set in [false, true] {
                assert_eq!(
                    raw_attribute_size("attr", raw, set),
                    attribute_size("attr", &value, set),
                    "{raw} (set: {set})"
                );
            }
        }
    }
}

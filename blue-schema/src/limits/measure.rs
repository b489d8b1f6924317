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

use std::fmt::{self, Write as _};

use serde::ser::{self, Impossible, Serialize};

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

/// Measures one value. `top` is set for the entity itself, whose fields are
/// the item's top-level attributes rather than a nested map.
#[derive(Clone, Copy)]
struct Sizer {
    depth: usize,
    top: Option<fn(&str) -> bool>,
    /// Inside a `#[set]` attribute: DynamoDB sizes a set as the sum of its
    /// elements, without a list's overhead.
    set: bool,
}

impl Sizer {
    fn scalar(self, size: usize) -> Result<usize, Problem> {
        match self.top {
            Some(_) => Err(not_an_item("a single value")),
            None if self.depth >= MAX_NESTING_DEPTH => Err(Problem::TooDeep { path: Vec::new() }),
            None => Ok(size),
        }
    }

    fn number(self, n: NumberText) -> Result<usize, Problem> {
        if self.top.is_some() {
            return Err(not_an_item("a number"));
        }
        if self.depth >= MAX_NESTING_DEPTH {
            return Err(Problem::TooDeep { path: Vec::new() });
        }
        n.size().map_err(|problem| Problem::Number {
            path: Vec::new(),
            value: n.to_string(),
            problem,
        })
    }

    /// A nested list or map at this depth, or the entity itself.
    fn container(self) -> Result<Container, Problem> {
        match self.top {
            Some(name_ok) => Ok(Container {
                size: 0,
                child: 0,
                index: 0,
                top: Some(name_ok),
                per_element: 1,
            }),
            None if self.depth >= MAX_NESTING_DEPTH => Err(Problem::TooDeep { path: Vec::new() }),
            None => Ok(Container {
                size: if self.set { 0 } else { 3 },
                child: self.depth + 1,
                index: 0,
                top: None,
                per_element: usize::from(!self.set),
            }),
        }
    }

    /// `{variant: value}`: a one-entry map around the value.
    fn variant(self, variant: &'static str) -> Result<Container, Problem> {
        if self.top.is_some() {
            return Err(not_an_item("an enum variant"));
        }
        let mut outer = self.container()?;
        outer.size += 1 + variant.len();
        Ok(outer)
    }
}

fn not_an_item(found: &'static str) -> Problem {
    Problem::NotAnItem(ItemError::NotAMap { found })
}

/// The running size of a list or map.
struct Container {
    size: usize,
    /// The depth of the elements.
    child: usize,
    index: usize,
    top: Option<fn(&str) -> bool>,
    /// What each element of a list costs beside its value (none in a set).
    per_element: usize,
}

impl Container {
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Problem> {
        let size = value
            .serialize(Sizer {
                depth: self.child,
                top: None,
                set: false,
            })
            .map_err(|p| p.within(|| Segment::Index(self.index)))?;
        self.size += self.per_element + size;
        self.index += 1;
        Ok(())
    }

    fn entry<T: Serialize + ?Sized>(&mut self, name: &str, value: &T) -> Result<(), Problem> {
        if let Some(name_ok) = self.top {
            if !name_ok(name) {
                return Err(Problem::AttributeName {
                    name: name.to_owned(),
                });
            }
        }
        let size = value
            .serialize(Sizer {
                depth: self.child,
                top: None,
                set: false,
            })
            .map_err(|p| p.within(|| Segment::Name(name.to_owned())))?;
        self.size += usize::from(self.top.is_none()) + name.len() + size;
        Ok(())
    }
}

/// A variant's payload inside its `{variant: …}` map.
struct Variant {
    outer: Container,
    variant: &'static str,
    inner: Container,
}

impl Variant {
    fn new(sizer: Sizer, variant: &'static str) -> Result<Self, Problem> {
        let outer = sizer.variant(variant)?;
        let inner = Sizer {
            depth: outer.child,
            top: None,
            set: false,
        }
        .container()
        .map_err(|p| p.within(|| Segment::Name(variant.to_owned())))?;
        Ok(Variant {
            outer,
            variant,
            inner,
        })
    }

    fn in_variant<T>(&self, r: Result<T, Problem>) -> Result<T, Problem> {
        r.map_err(|p| p.within(|| Segment::Name(self.variant.to_owned())))
    }

    fn end(self) -> usize {
        self.outer.size + self.inner.size
    }
}

impl ser::Serializer for Sizer {
    type Ok = usize;
    type Error = Problem;
    type SerializeSeq = Container;
    type SerializeTuple = Container;
    type SerializeTupleStruct = Container;
    type SerializeTupleVariant = Variant;
    type SerializeMap = MapContainer;
    type SerializeStruct = Container;
    type SerializeStructVariant = Variant;

    fn serialize_bool(self, _: bool) -> Result<usize, Problem> {
        self.scalar(1)
    }
    fn serialize_i8(self, v: i8) -> Result<usize, Problem> {
        self.number(NumberText::Int(v.into()))
    }
    fn serialize_i16(self, v: i16) -> Result<usize, Problem> {
        self.number(NumberText::Int(v.into()))
    }
    fn serialize_i32(self, v: i32) -> Result<usize, Problem> {
        self.number(NumberText::Int(v.into()))
    }
    fn serialize_i64(self, v: i64) -> Result<usize, Problem> {
        self.number(NumberText::Int(v.into()))
    }
    fn serialize_i128(self, _: i128) -> Result<usize, Problem> {
        Err(no_128_bit_integers())
    }
    fn serialize_u8(self, v: u8) -> Result<usize, Problem> {
        self.number(NumberText::Uint(v.into()))
    }
    fn serialize_u16(self, v: u16) -> Result<usize, Problem> {
        self.number(NumberText::Uint(v.into()))
    }
    fn serialize_u32(self, v: u32) -> Result<usize, Problem> {
        self.number(NumberText::Uint(v.into()))
    }
    fn serialize_u64(self, v: u64) -> Result<usize, Problem> {
        self.number(NumberText::Uint(v.into()))
    }
    fn serialize_u128(self, _: u128) -> Result<usize, Problem> {
        Err(no_128_bit_integers())
    }
    fn serialize_f32(self, v: f32) -> Result<usize, Problem> {
        self.number(NumberText::F32(v))
    }
    fn serialize_f64(self, v: f64) -> Result<usize, Problem> {
        self.number(NumberText::F64(v))
    }
    fn serialize_char(self, v: char) -> Result<usize, Problem> {
        self.scalar(v.len_utf8())
    }
    fn serialize_str(self, v: &str) -> Result<usize, Problem> {
        self.scalar(v.len())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<usize, Problem> {
        self.scalar(v.len())
    }
    fn serialize_none(self) -> Result<usize, Problem> {
        self.scalar(1)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<usize, Problem> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<usize, Problem> {
        self.scalar(1)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<usize, Problem> {
        self.scalar(1)
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<usize, Problem> {
        self.scalar(variant.len())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<usize, Problem> {
        if name == crate::schema::SET_NEWTYPE {
            return value.serialize(Sizer { set: true, ..self });
        }
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<usize, Problem> {
        let outer = self.variant(variant)?;
        let size = value
            .serialize(Sizer {
                depth: outer.child,
                top: None,
                set: false,
            })
            .map_err(|p| p.within(|| Segment::Name(variant.to_owned())))?;
        Ok(outer.size + size)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Container, Problem> {
        if self.top.is_some() {
            return Err(not_an_item("a sequence"));
        }
        self.container()
    }
    fn serialize_tuple(self, len: usize) -> Result<Container, Problem> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<Container, Problem> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Variant, Problem> {
        Variant::new(self, variant)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<MapContainer, Problem> {
        Ok(MapContainer {
            container: self.container()?,
            key: None,
        })
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Container, Problem> {
        self.container()
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Variant, Problem> {
        Variant::new(self, variant)
    }
}

impl ser::SerializeSeq for Container {
    type Ok = usize;
    type Error = Problem;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Problem> {
        self.element(value)
    }
    fn end(self) -> Result<usize, Problem> {
        Ok(self.size)
    }
}

impl ser::SerializeTuple for Container {
    type Ok = usize;
    type Error = Problem;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Problem> {
        self.element(value)
    }
    fn end(self) -> Result<usize, Problem> {
        Ok(self.size)
    }
}

impl ser::SerializeTupleStruct for Container {
    type Ok = usize;
    type Error = Problem;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Problem> {
        self.element(value)
    }
    fn end(self) -> Result<usize, Problem> {
        Ok(self.size)
    }
}

impl ser::SerializeStruct for Container {
    type Ok = usize;
    type Error = Problem;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Problem> {
        self.entry(key, value)
    }
    fn end(self) -> Result<usize, Problem> {
        Ok(self.size)
    }
}

impl ser::SerializeTupleVariant for Variant {
    type Ok = usize;
    type Error = Problem;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Problem> {
        let r = self.inner.element(value);
        self.in_variant(r)
    }
    fn end(self) -> Result<usize, Problem> {
        Ok(Variant::end(self))
    }
}

impl ser::SerializeStructVariant for Variant {
    type Ok = usize;
    type Error = Problem;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Problem> {
        let r = self.inner.entry(key, value);
        self.in_variant(r)
    }
    fn end(self) -> Result<usize, Problem> {
        Ok(Variant::end(self))
    }
}

/// A map, whose keys arrive before their values.
struct MapContainer {
    container: Container,
    key: Option<String>,
}

impl ser::SerializeMap for MapContainer {
    type Ok = usize;
    type Error = Problem;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Problem> {
        self.key = Some(key.serialize(KeyText)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Problem> {
        let key = self
            .key
            .take()
            .ok_or_else(|| ser::Error::custom("serialize_value called before serialize_key"))?;
        self.container.entry(&key, value)
    }
    fn end(self) -> Result<usize, Problem> {
        Ok(self.container.size)
    }
}

/// A number, printed only to count its digits or report it.
#[derive(Clone, Copy)]
enum NumberText {
    Int(i128),
    Uint(u128),
    F32(f32),
    F64(f64),
}

impl fmt::Display for NumberText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NumberText::Int(n) => write!(f, "{n}"),
            NumberText::Uint(n) => write!(f, "{n}"),
            NumberText::F32(n) => write!(f, "{n}"),
            NumberText::F64(n) => write!(f, "{n}"),
        }
    }
}

impl NumberText {
    /// DynamoDB's size of the number, or why it cannot be stored.
    ///
    /// DynamoDB pairs the significant digits on each side of the decimal
    /// point separately: 1 byte per two digits of the integer part, 1 per
    /// two of the fraction, 1 more, and 1 more when negative. So `12345` is
    /// 4 bytes, `1.5` is 3, `0.05` is 2 and `0` is 1. (AWS documents only
    /// "about 1 byte per two significant digits, plus 1"; this is the rule
    /// the dynoxide emulator captured from DynamoDB at the 400 KB edge.)
    fn size(self) -> Result<usize, NumberProblem> {
        let (negative, int_digits, frac_digits) = match self {
            NumberText::Int(n) => (n < 0, integer_digits(n.unsigned_abs()), 0),
            NumberText::Uint(n) => (false, integer_digits(n), 0),
            NumberText::F32(n) if !n.is_finite() => return Err(NumberProblem::NotFinite),
            NumberText::F64(n) if !n.is_finite() => return Err(NumberProblem::NotFinite),
            NumberText::F32(n) => float_digits(format_args!("{n:e}"))?,
            NumberText::F64(n) => float_digits(format_args!("{n:e}"))?,
        };
        let digits = int_digits + frac_digits;
        if digits > MAX_NUMBER_DIGITS {
            return Err(NumberProblem::TooPrecise { digits });
        }
        Ok(int_digits.div_ceil(2)
            + frac_digits.div_ceil(2)
            + 1
            + usize::from(negative && digits > 0))
    }
}

/// Significant digits of an integer: trailing zeros do not count.
fn integer_digits(mut n: u128) -> usize {
    if n == 0 {
        return 0;
    }
    while n.is_multiple_of(10) {
        n /= 10;
    }
    let mut digits = 0;
    while n > 0 {
        n /= 10;
        digits += 1;
    }
    digits
}

/// Sign and significant digits before and after the decimal point of a
/// float's shortest round-trip text (`{:e}`, what serializers send),
/// checking DynamoDB's range.
fn float_digits(text: fmt::Arguments<'_>) -> Result<(bool, usize, usize), NumberProblem> {
    let mut buf = StackText::default();
    let _ = buf.write_fmt(text);
    let text = buf.as_str();
    let (mantissa, exponent) = text.split_once('e').unwrap_or((text, "0"));
    let negative = mantissa.starts_with('-');
    let digits: usize = mantissa.bytes().filter(u8::is_ascii_digit).count();
    let significant = if mantissa.bytes().any(|b| matches!(b, b'1'..=b'9')) {
        digits
    } else {
        0
    };
    if significant == 0 {
        return Ok((false, 0, 0));
    }
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if !(-130..=125).contains(&exponent) {
        return Err(NumberProblem::OutOfRange);
    }
    // `d.ddde{exponent}` has `exponent + 1` digits before the point.
    let int_digits = usize::try_from(exponent + 1).unwrap_or(0).min(significant);
    Ok((negative, int_digits, significant - int_digits))
}

/// A small text buffer on the stack for formatting a float.
struct StackText {
    bytes: [u8; 64],
    len: usize,
}

impl Default for StackText {
    fn default() -> Self {
        StackText {
            bytes: [0; 64],
            len: 0,
        }
    }
}

impl StackText {
    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or("")
    }
}

impl fmt::Write for StackText {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        if end > self.bytes.len() {
            return Err(fmt::Error);
        }
        self.bytes[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Map keys: strings, and what JSON also writes as strings (integers,
/// chars, unit variants). Anything else cannot be a DynamoDB map key.
struct KeyText;

fn key_must_be_a_string() -> Problem {
    Problem::NotAnItem(ItemError::MapKeyNotAString)
}

impl ser::Serializer for KeyText {
    type Ok = String;
    type Error = Problem;
    type SerializeSeq = Impossible<String, Problem>;
    type SerializeTuple = Impossible<String, Problem>;
    type SerializeTupleStruct = Impossible<String, Problem>;
    type SerializeTupleVariant = Impossible<String, Problem>;
    type SerializeMap = Impossible<String, Problem>;
    type SerializeStruct = Impossible<String, Problem>;
    type SerializeStructVariant = Impossible<String, Problem>;

    fn serialize_bool(self, _: bool) -> Result<String, Problem> {
        Err(key_must_be_a_string())
    }
    fn serialize_i8(self, v: i8) -> Result<String, Problem> {
        Ok(v.to_string())
    }
    fn serialize_i16(self, v: i16) -> Result<String, Problem> {
        Ok(v.to_string())
    }
    fn serialize_i32(self, v: i32) -> Result<String, Problem> {
        Ok(v.to_string())
    }
    fn serialize_i64(self, v: i64) -> Result<String, Problem> {
        Ok(v.to_string())
    }
    fn serialize_i128(self, v: i128) -> Result<String, Problem> {
        Ok(v.to_string())
    }
    fn serialize_u8(self, v: u8) -> Result<String, Problem> {
        Ok(v.to_string())
    }
    fn serialize_u16(self, v: u16) -> Result<String, Problem> {
        Ok(v.to_string())
    }
    fn serialize_u32(self, v: u32) -> Result<String, Problem> {
        Ok(v.to_string())
    }
    fn serialize_u64(self, v: u64) -> Result<String, Problem> {
        Ok(v.to_string())
    }
    fn serialize_u128(self, v: u128) -> Result<String, Problem> {
        Ok(v.to_string())
    }
    fn serialize_f32(self, _: f32) -> Result<String, Problem> {
        Err(key_must_be_a_string())
    }
    fn serialize_f64(self, _: f64) -> Result<String, Problem> {
        Err(key_must_be_a_string())
    }
    fn serialize_char(self, v: char) -> Result<String, Problem> {
        Ok(v.to_string())
    }
    fn serialize_str(self, v: &str) -> Result<String, Problem> {
        Ok(v.to_owned())
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<String, Problem> {
        Err(key_must_be_a_string())
    }
    fn serialize_none(self) -> Result<String, Problem> {
        Err(key_must_be_a_string())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<String, Problem> {
        Err(key_must_be_a_string())
    }
    fn serialize_unit(self) -> Result<String, Problem> {
        Err(key_must_be_a_string())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<String, Problem> {
        Err(key_must_be_a_string())
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<String, Problem> {
        Ok(variant.to_owned())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<String, Problem> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<String, Problem> {
        Err(key_must_be_a_string())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Problem> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Problem> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Problem> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Problem> {
        Err(key_must_be_a_string())
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Problem> {
        Err(key_must_be_a_string())
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Problem> {
        Err(key_must_be_a_string())
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Problem> {
        Err(key_must_be_a_string())
    }
}

#[cfg(test)]
mod tests {
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
}

//! The backend-neutral item: an entity's serde output as DynamoDB's attribute
//! values.
//!
//! [`to_item`] serializes an entity into an [`Item`], a list of top-level
//! attributes whose values are [`Value`]s, the data model both backends share:
//! null, boolean, number, string, binary, list and map, exactly DynamoDB's
//! `NULL`, `BOOL`, `N`, `S`, `B`, `L` and `M`. Numbers keep their Rust type
//! (`u128` and `i128` included, which JSON libraries without arbitrary
//! precision cannot hold), and non-finite floats are kept so that the
//! [limits](crate::limits) can reject them by name instead of letting a JSON
//! writer turn them into `null`.
//!
//! An [`Item`] serializes (as a map) with any serde serializer: the SQLite
//! backend writes it as JSON text, and what it writes is what
//! `serde_json::to_string(&entity)` writes.

use std::borrow::Cow;
use std::fmt;

use serde::ser::{self, Impossible, Serialize};

/// One attribute value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `NULL`: `None`, `()` and unit structs.
    Null,
    /// `BOOL`.
    Bool(bool),
    /// `N`.
    Number(Number),
    /// `S`: strings, chars and unit enum variants.
    String(String),
    /// `B`: what `serialize_bytes` writes (`serde_bytes`); a plain `Vec<u8>`
    /// is a list of numbers.
    Binary(Vec<u8>),
    /// `L`: sequences and tuples.
    List(Vec<Value>),
    /// `M`: structs and maps, in serialization order.
    Map(Vec<(Cow<'static, str>, Value)>),
}

/// A number as serde handed it over.
#[derive(Debug, Clone, Copy, PartialEq)]
#[allow(missing_docs)]
pub enum Number {
    U64(u64),
    I64(i64),
    U128(u128),
    I128(i128),
    F32(f32),
    F64(f64),
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Number::U64(n) => write!(f, "{n}"),
            Number::I64(n) => write!(f, "{n}"),
            Number::U128(n) => write!(f, "{n}"),
            Number::I128(n) => write!(f, "{n}"),
            Number::F32(n) => write!(f, "{n}"),
            Number::F64(n) => write!(f, "{n}"),
        }
    }
}

/// An entity's top-level attributes, in serialization order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Item {
    attributes: Vec<(Cow<'static, str>, Value)>,
}

impl Item {
    /// The attributes, in serialization order.
    pub fn attributes(&self) -> &[(Cow<'static, str>, Value)] {
        &self.attributes
    }

    /// The value of one top-level attribute.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }

    /// Writes the item as a JSON object.
    pub fn to_json(&self) -> String {
        let mut out = Vec::with_capacity(128);
        serde_json::to_writer(&mut out, self).expect("an Item always serializes to JSON");
        // serde_json writes valid UTF-8.
        String::from_utf8(out).expect("serde_json writes UTF-8")
    }
}

/// Why a value cannot become an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemError(String);

impl ItemError {
    fn new(message: impl Into<String>) -> Self {
        ItemError(message.into())
    }
}

impl fmt::Display for ItemError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ItemError {}

impl ser::Error for ItemError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        ItemError(msg.to_string())
    }
}

/// Serializes a value that serializes as a map or struct into an [`Item`].
///
/// # Errors
///
/// [`ItemError`] when the value is not a map or struct, a map key is not a
/// string (or a number or unit variant, which become strings as in JSON), or
/// the value's `Serialize` implementation fails.
pub fn to_item<T: Serialize + ?Sized>(value: &T) -> Result<Item, ItemError> {
    match value.serialize(ValueSerializer)? {
        Value::Map(attributes) => Ok(Item { attributes }),
        other => Err(ItemError::new(format!(
            "an item must serialize as a struct or map, not {}",
            kind(&other)
        ))),
    }
}

/// Serializes any value into a [`Value`].
///
/// # Errors
///
/// As [`to_item`], except that any shape is accepted.
pub fn to_value<T: Serialize + ?Sized>(value: &T) -> Result<Value, ItemError> {
    value.serialize(ValueSerializer)
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Binary(_) => "bytes",
        Value::List(_) => "a sequence",
        Value::Map(_) => "a map",
    }
}

impl Serialize for Value {
    fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use ser::{SerializeMap, SerializeSeq};
        match self {
            Value::Null => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Number(n) => n.serialize(s),
            Value::String(v) => s.serialize_str(v),
            Value::Binary(v) => s.serialize_bytes(v),
            Value::List(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Value::Map(entries) => {
                let mut map = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    map.serialize_entry(k.as_ref(), v)?;
                }
                map.end()
            }
        }
    }
}

impl Serialize for Number {
    fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self {
            Number::U64(n) => s.serialize_u64(n),
            Number::I64(n) => s.serialize_i64(n),
            Number::U128(n) => s.serialize_u128(n),
            Number::I128(n) => s.serialize_i128(n),
            Number::F32(n) => s.serialize_f32(n),
            Number::F64(n) => s.serialize_f64(n),
        }
    }
}

impl Serialize for Item {
    fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.attributes.len()))?;
        for (k, v) in &self.attributes {
            map.serialize_entry(k.as_ref(), v)?;
        }
        map.end()
    }
}

struct ValueSerializer;

type Entries = Vec<(Cow<'static, str>, Value)>;

impl ser::Serializer for ValueSerializer {
    type Ok = Value;
    type Error = ItemError;
    type SerializeSeq = SeqBuilder;
    type SerializeTuple = SeqBuilder;
    type SerializeTupleStruct = SeqBuilder;
    type SerializeTupleVariant = VariantSeqBuilder;
    type SerializeMap = MapBuilder;
    type SerializeStruct = StructBuilder;
    type SerializeStructVariant = VariantStructBuilder;

    fn serialize_bool(self, v: bool) -> Result<Value, ItemError> {
        Ok(Value::Bool(v))
    }
    fn serialize_i8(self, v: i8) -> Result<Value, ItemError> {
        Ok(Value::Number(Number::I64(v.into())))
    }
    fn serialize_i16(self, v: i16) -> Result<Value, ItemError> {
        Ok(Value::Number(Number::I64(v.into())))
    }
    fn serialize_i32(self, v: i32) -> Result<Value, ItemError> {
        Ok(Value::Number(Number::I64(v.into())))
    }
    fn serialize_i64(self, v: i64) -> Result<Value, ItemError> {
        Ok(Value::Number(Number::I64(v)))
    }
    fn serialize_i128(self, v: i128) -> Result<Value, ItemError> {
        Ok(Value::Number(Number::I128(v)))
    }
    fn serialize_u8(self, v: u8) -> Result<Value, ItemError> {
        Ok(Value::Number(Number::U64(v.into())))
    }
    fn serialize_u16(self, v: u16) -> Result<Value, ItemError> {
        Ok(Value::Number(Number::U64(v.into())))
    }
    fn serialize_u32(self, v: u32) -> Result<Value, ItemError> {
        Ok(Value::Number(Number::U64(v.into())))
    }
    fn serialize_u64(self, v: u64) -> Result<Value, ItemError> {
        Ok(Value::Number(Number::U64(v)))
    }
    fn serialize_u128(self, v: u128) -> Result<Value, ItemError> {
        Ok(Value::Number(Number::U128(v)))
    }
    fn serialize_f32(self, v: f32) -> Result<Value, ItemError> {
        Ok(Value::Number(Number::F32(v)))
    }
    fn serialize_f64(self, v: f64) -> Result<Value, ItemError> {
        Ok(Value::Number(Number::F64(v)))
    }
    fn serialize_char(self, v: char) -> Result<Value, ItemError> {
        Ok(Value::String(v.to_string()))
    }
    fn serialize_str(self, v: &str) -> Result<Value, ItemError> {
        Ok(Value::String(v.to_owned()))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Value, ItemError> {
        Ok(Value::Binary(v.to_vec()))
    }
    fn serialize_none(self) -> Result<Value, ItemError> {
        Ok(Value::Null)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Value, ItemError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Value, ItemError> {
        Ok(Value::Null)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<Value, ItemError> {
        Ok(Value::Null)
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Value, ItemError> {
        Ok(Value::String(variant.to_owned()))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Value, ItemError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Value, ItemError> {
        Ok(Value::Map(vec![(
            Cow::Borrowed(variant),
            value.serialize(self)?,
        )]))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<SeqBuilder, ItemError> {
        Ok(SeqBuilder(Vec::with_capacity(len.unwrap_or(0))))
    }
    fn serialize_tuple(self, len: usize) -> Result<SeqBuilder, ItemError> {
        Ok(SeqBuilder(Vec::with_capacity(len)))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<SeqBuilder, ItemError> {
        Ok(SeqBuilder(Vec::with_capacity(len)))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<VariantSeqBuilder, ItemError> {
        Ok(VariantSeqBuilder {
            variant,
            items: Vec::with_capacity(len),
        })
    }
    fn serialize_map(self, len: Option<usize>) -> Result<MapBuilder, ItemError> {
        Ok(MapBuilder {
            entries: Vec::with_capacity(len.unwrap_or(0)),
            key: None,
        })
    }
    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<StructBuilder, ItemError> {
        Ok(StructBuilder(Vec::with_capacity(len)))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<VariantStructBuilder, ItemError> {
        Ok(VariantStructBuilder {
            variant,
            fields: Vec::with_capacity(len),
        })
    }
}

struct SeqBuilder(Vec<Value>);

impl ser::SerializeSeq for SeqBuilder {
    type Ok = Value;
    type Error = ItemError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ItemError> {
        self.0.push(value.serialize(ValueSerializer)?);
        Ok(())
    }
    fn end(self) -> Result<Value, ItemError> {
        Ok(Value::List(self.0))
    }
}

impl ser::SerializeTuple for SeqBuilder {
    type Ok = Value;
    type Error = ItemError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ItemError> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<Value, ItemError> {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeTupleStruct for SeqBuilder {
    type Ok = Value;
    type Error = ItemError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ItemError> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<Value, ItemError> {
        ser::SerializeSeq::end(self)
    }
}

struct VariantSeqBuilder {
    variant: &'static str,
    items: Vec<Value>,
}

impl ser::SerializeTupleVariant for VariantSeqBuilder {
    type Ok = Value;
    type Error = ItemError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ItemError> {
        self.items.push(value.serialize(ValueSerializer)?);
        Ok(())
    }
    fn end(self) -> Result<Value, ItemError> {
        Ok(Value::Map(vec![(
            Cow::Borrowed(self.variant),
            Value::List(self.items),
        )]))
    }
}

struct MapBuilder {
    entries: Entries,
    key: Option<String>,
}

impl ser::SerializeMap for MapBuilder {
    type Ok = Value;
    type Error = ItemError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), ItemError> {
        self.key = Some(key.serialize(MapKeySerializer)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ItemError> {
        let key = self
            .key
            .take()
            .ok_or_else(|| ItemError::new("serialize_value called before serialize_key"))?;
        self.entries
            .push((Cow::Owned(key), value.serialize(ValueSerializer)?));
        Ok(())
    }
    fn end(self) -> Result<Value, ItemError> {
        Ok(Value::Map(self.entries))
    }
}

struct StructBuilder(Entries);

impl ser::SerializeStruct for StructBuilder {
    type Ok = Value;
    type Error = ItemError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), ItemError> {
        self.0
            .push((Cow::Borrowed(key), value.serialize(ValueSerializer)?));
        Ok(())
    }
    fn end(self) -> Result<Value, ItemError> {
        Ok(Value::Map(self.0))
    }
}

struct VariantStructBuilder {
    variant: &'static str,
    fields: Entries,
}

impl ser::SerializeStructVariant for VariantStructBuilder {
    type Ok = Value;
    type Error = ItemError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), ItemError> {
        self.fields
            .push((Cow::Borrowed(key), value.serialize(ValueSerializer)?));
        Ok(())
    }
    fn end(self) -> Result<Value, ItemError> {
        Ok(Value::Map(vec![(
            Cow::Borrowed(self.variant),
            Value::Map(self.fields),
        )]))
    }
}

/// Map keys: strings, and what JSON also writes as strings (numbers, chars,
/// unit variants).
struct MapKeySerializer;

fn key_must_be_a_string() -> ItemError {
    ItemError::new("a map key must be a string, a number, a char or a unit enum variant")
}

impl ser::Serializer for MapKeySerializer {
    type Ok = String;
    type Error = ItemError;
    type SerializeSeq = Impossible<String, ItemError>;
    type SerializeTuple = Impossible<String, ItemError>;
    type SerializeTupleStruct = Impossible<String, ItemError>;
    type SerializeTupleVariant = Impossible<String, ItemError>;
    type SerializeMap = Impossible<String, ItemError>;
    type SerializeStruct = Impossible<String, ItemError>;
    type SerializeStructVariant = Impossible<String, ItemError>;

    fn serialize_bool(self, _: bool) -> Result<String, ItemError> {
        Err(key_must_be_a_string())
    }
    fn serialize_i8(self, v: i8) -> Result<String, ItemError> {
        Ok(v.to_string())
    }
    fn serialize_i16(self, v: i16) -> Result<String, ItemError> {
        Ok(v.to_string())
    }
    fn serialize_i32(self, v: i32) -> Result<String, ItemError> {
        Ok(v.to_string())
    }
    fn serialize_i64(self, v: i64) -> Result<String, ItemError> {
        Ok(v.to_string())
    }
    fn serialize_i128(self, v: i128) -> Result<String, ItemError> {
        Ok(v.to_string())
    }
    fn serialize_u8(self, v: u8) -> Result<String, ItemError> {
        Ok(v.to_string())
    }
    fn serialize_u16(self, v: u16) -> Result<String, ItemError> {
        Ok(v.to_string())
    }
    fn serialize_u32(self, v: u32) -> Result<String, ItemError> {
        Ok(v.to_string())
    }
    fn serialize_u64(self, v: u64) -> Result<String, ItemError> {
        Ok(v.to_string())
    }
    fn serialize_u128(self, v: u128) -> Result<String, ItemError> {
        Ok(v.to_string())
    }
    fn serialize_f32(self, _: f32) -> Result<String, ItemError> {
        Err(key_must_be_a_string())
    }
    fn serialize_f64(self, _: f64) -> Result<String, ItemError> {
        Err(key_must_be_a_string())
    }
    fn serialize_char(self, v: char) -> Result<String, ItemError> {
        Ok(v.to_string())
    }
    fn serialize_str(self, v: &str) -> Result<String, ItemError> {
        Ok(v.to_owned())
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<String, ItemError> {
        Err(key_must_be_a_string())
    }
    fn serialize_none(self) -> Result<String, ItemError> {
        Err(key_must_be_a_string())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<String, ItemError> {
        Err(key_must_be_a_string())
    }
    fn serialize_unit(self) -> Result<String, ItemError> {
        Err(key_must_be_a_string())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<String, ItemError> {
        Err(key_must_be_a_string())
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<String, ItemError> {
        Ok(variant.to_owned())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<String, ItemError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<String, ItemError> {
        Err(key_must_be_a_string())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, ItemError> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, ItemError> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, ItemError> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, ItemError> {
        Err(key_must_be_a_string())
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, ItemError> {
        Err(key_must_be_a_string())
    }
    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, ItemError> {
        Err(key_must_be_a_string())
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, ItemError> {
        Err(key_must_be_a_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[derive(serde::Serialize)]
    struct Sample {
        name: String,
        big: u128,
        neg: i128,
        ratio: f32,
        tags: Vec<String>,
        counts: BTreeMap<u32, bool>,
        nothing: Option<u8>,
        kind: Kind,
        shape: Shape,
    }

    #[derive(serde::Serialize)]
    enum Kind {
        Plain,
    }

    #[derive(serde::Serialize)]
    enum Shape {
        Rect { w: u8, h: u8 },
    }

    fn sample() -> Sample {
        Sample {
            name: "a#b".into(),
            big: u128::MAX,
            neg: i128::MIN,
            ratio: 0.1,
            tags: vec!["x".into()],
            counts: [(7, true)].into(),
            nothing: None,
            kind: Kind::Plain,
            shape: Shape::Rect { w: 1, h: 2 },
        }
    }

    #[test]
    fn json_of_an_item_is_what_serde_json_writes() {
        let s = sample();
        assert_eq!(
            to_item(&s).unwrap().to_json(),
            serde_json::to_string(&s).unwrap()
        );
    }

    #[test]
    fn wide_integers_keep_their_value() {
        let item = to_item(&sample()).unwrap();
        assert_eq!(
            item.get("big"),
            Some(&Value::Number(Number::U128(u128::MAX)))
        );
        assert_eq!(
            item.get("neg"),
            Some(&Value::Number(Number::I128(i128::MIN)))
        );
    }

    #[test]
    fn only_maps_are_items() {
        let err = to_item(&vec![1, 2]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "an item must serialize as a struct or map, not a sequence"
        );
        let mut m = BTreeMap::new();
        m.insert(vec![1u8], 1u8);
        let err = to_value(&m).unwrap_err();
        assert!(err.to_string().starts_with("a map key must be a string"));
    }
}

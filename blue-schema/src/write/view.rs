//! An entity as it is written: `None` fields left out (so that a `None`
//! is an absent attribute on both backends, and `exists` means `is_some`),
//! the `#[version]` field replaced by the version being written, and each
//! `#[set]` field written as a DynamoDB set (left out when empty, since
//! DynamoDB stores no empty set).

use serde::ser::{self, Impossible, Serialize, SerializeMap, SerializeStruct, Serializer};

use crate::schema::{SetKind, SET_NEWTYPE, SHAPE_ATTRIBUTE};

/// The `#[set]` attributes of an entity and what each holds.
pub(crate) type Sets = &'static [(&'static str, SetKind)];

/// `item`, serialized with its top-level `None` fields skipped, the
/// attribute `version.0` written as `version.1`, and the `sets` written as
/// sets (skipped when empty).
pub(crate) struct WriteView<'a, T: ?Sized> {
    pub(crate) item: &'a T,
    pub(crate) version: Option<(&'static str, u64)>,
    pub(crate) sets: Sets,
    /// Attributes written after the item's own: its secondary-index keys.
    pub(crate) extra: Extra<'a>,
    /// The shape it is written in, when above 1: its `_shape` attribute
    /// ([`crate::schema::shape`]).
    pub(crate) shape: Option<u32>,
}

/// String attributes written after an item's own fields.
pub(crate) type Extra<'a> = &'a [(&'static str, String)];

impl<T: Serialize + ?Sized> Serialize for WriteView<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.item.serialize(Top {
            inner: serializer,
            version: self.version,
            sets: self.sets,
            extra: self.extra,
            shape: self.shape,
        })
    }
}

/// A `#[set]` attribute's value: a newtype the size check knows, around
/// serde_dynamo's set codec (which makes DynamoDB store `SS` / `NS`; JSON
/// sees a list).
pub(crate) struct AsSet<'a, T: ?Sized> {
    pub(crate) kind: SetKind,
    pub(crate) value: &'a T,
}

impl<T: Serialize + ?Sized> Serialize for AsSet<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_newtype_struct(SET_NEWTYPE, &SetCodec(self.kind, self.value))
    }
}

struct SetCodec<'a, T: ?Sized>(
    // Read by the DynamoDB encoding only; JSON has no sets.
    #[cfg_attr(not(feature = "dynamodb"), allow(dead_code))] SetKind,
    &'a T,
);

impl<T: Serialize + ?Sized> Serialize for SetCodec<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[cfg(feature = "dynamodb")]
        {
            match self.0 {
                SetKind::Strings => {
                    serde_dynamo::string_set::StringSet(self.1).serialize(serializer)
                }
                SetKind::Numbers => {
                    serde_dynamo::number_set::NumberSet(self.1).serialize(serializer)
                }
            }
        }
        #[cfg(not(feature = "dynamodb"))]
        {
            self.1.serialize(serializer)
        }
    }
}

/// An item as a JSON map, serialized with its `sets` written as sets (an
/// empty one left out): what the size check and DynamoDB see of an item
/// that was changed or copied as JSON.
pub(crate) struct MapWithSets<'a> {
    pub(crate) map: &'a serde_json::Map<String, serde_json::Value>,
    pub(crate) sets: Sets,
}

impl Serialize for MapWithSets<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.map.len()))?;
        for (name, value) in self.map {
            match (set_kind(self.sets, name), value) {
                (Some(_), serde_json::Value::Array(a)) if a.is_empty() => {}
                (Some(kind), value) => map.serialize_entry(name, &AsSet { kind, value })?,
                (None, value) => map.serialize_entry(name, value)?,
            }
        }
        map.end()
    }
}

/// The kind of set `name` is, if it is one of `sets`.
fn set_kind(sets: Sets, name: &str) -> Option<SetKind> {
    sets.iter().find(|(n, _)| *n == name).map(|(_, k)| *k)
}

/// Whether a value serializes as `None` (or a unit): a probe that stops
/// at the first call.
fn is_none<T: Serialize + ?Sized>(value: &T) -> bool {
    value.serialize(NoneProbe).is_ok()
}

/// Whether a value serializes as an empty sequence (an empty set).
pub(crate) fn is_empty_seq<T: Serialize + ?Sized>(value: &T) -> bool {
    matches!(value.serialize(NoneProbe), Err(NotNone { seq: Some(0) }))
}

/// What the probe found when it is not `None`: the length of a sequence,
/// when that is what it found and its length was given.
#[derive(Debug)]
struct NotNone {
    seq: Option<usize>,
}

const OTHER: NotNone = NotNone { seq: None };

impl std::fmt::Display for NotNone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("not none")
    }
}

impl std::error::Error for NotNone {}

impl ser::Error for NotNone {
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        OTHER
    }
}

struct NoneProbe;

macro_rules! not_none {
    ($($name:ident($($t:ty),*);)*) => {$(
        fn $name(self, $(_: $t),*) -> Result<(), NotNone> {
            Err(OTHER)
        }
    )*};
}

impl Serializer for NoneProbe {
    type Ok = ();
    type Error = NotNone;
    type SerializeSeq = Impossible<(), NotNone>;
    type SerializeTuple = Impossible<(), NotNone>;
    type SerializeTupleStruct = Impossible<(), NotNone>;
    type SerializeTupleVariant = Impossible<(), NotNone>;
    type SerializeMap = Impossible<(), NotNone>;
    type SerializeStruct = Impossible<(), NotNone>;
    type SerializeStructVariant = Impossible<(), NotNone>;

    fn serialize_none(self) -> Result<(), NotNone> {
        Ok(())
    }
    not_none! {
        serialize_bool(bool); serialize_i8(i8); serialize_i16(i16); serialize_i32(i32);
        serialize_i64(i64); serialize_u8(u8); serialize_u16(u16); serialize_u32(u32);
        serialize_u64(u64); serialize_f32(f32); serialize_f64(f64); serialize_char(char);
        serialize_str(&str); serialize_bytes(&[u8]); serialize_unit();
        serialize_unit_struct(&'static str);
        serialize_unit_variant(&'static str, u32, &'static str);
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<(), NotNone> {
        Err(OTHER)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: &T,
    ) -> Result<(), NotNone> {
        Err(OTHER)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), NotNone> {
        Err(OTHER)
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Self::SerializeSeq, NotNone> {
        Err(NotNone { seq: len })
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, NotNone> {
        Err(OTHER)
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, NotNone> {
        Err(OTHER)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, NotNone> {
        Err(OTHER)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, NotNone> {
        Err(OTHER)
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, NotNone> {
        Err(OTHER)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, NotNone> {
        Err(OTHER)
    }
}

/// The top-level serializer: passes everything through, but a struct or
/// map's fields go through [`Fields`].
struct Top<'a, S> {
    inner: S,
    version: Option<(&'static str, u64)>,
    sets: Sets,
    extra: Extra<'a>,
    shape: Option<u32>,
}

macro_rules! forward {
    ($($name:ident($($arg:ident: $t:ty),*) -> $ret:ty;)*) => {$(
        fn $name(self, $($arg: $t),*) -> Result<$ret, S::Error> {
            self.inner.$name($($arg),*)
        }
    )*};
}

impl<'a, S: Serializer> Serializer for Top<'a, S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = S::SerializeSeq;
    type SerializeTuple = S::SerializeTuple;
    type SerializeTupleStruct = S::SerializeTupleStruct;
    type SerializeTupleVariant = S::SerializeTupleVariant;
    type SerializeMap = Fields<'a, S::SerializeMap>;
    type SerializeStruct = Fields<'a, S::SerializeStruct>;
    type SerializeStructVariant = S::SerializeStructVariant;

    forward! {
        serialize_bool(v: bool) -> S::Ok; serialize_i8(v: i8) -> S::Ok;
        serialize_i16(v: i16) -> S::Ok; serialize_i32(v: i32) -> S::Ok;
        serialize_i64(v: i64) -> S::Ok; serialize_i128(v: i128) -> S::Ok;
        serialize_u8(v: u8) -> S::Ok; serialize_u16(v: u16) -> S::Ok;
        serialize_u32(v: u32) -> S::Ok; serialize_u64(v: u64) -> S::Ok;
        serialize_u128(v: u128) -> S::Ok; serialize_f32(v: f32) -> S::Ok;
        serialize_f64(v: f64) -> S::Ok; serialize_char(v: char) -> S::Ok;
        serialize_str(v: &str) -> S::Ok; serialize_bytes(v: &[u8]) -> S::Ok;
        serialize_none() -> S::Ok; serialize_unit() -> S::Ok;
        serialize_unit_struct(name: &'static str) -> S::Ok;
        serialize_unit_variant(name: &'static str, index: u32, variant: &'static str) -> S::Ok;
        serialize_seq(len: Option<usize>) -> S::SerializeSeq;
        serialize_tuple(len: usize) -> S::SerializeTuple;
        serialize_tuple_struct(name: &'static str, len: usize) -> S::SerializeTupleStruct;
        serialize_tuple_variant(name: &'static str, index: u32, variant: &'static str, len: usize) -> S::SerializeTupleVariant;
        serialize_struct_variant(name: &'static str, index: u32, variant: &'static str, len: usize) -> S::SerializeStructVariant;
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<S::Ok, S::Error> {
        self.inner.serialize_some(value)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        // A newtype around the item is the item.
        let _ = name;
        value.serialize(Top {
            inner: self.inner,
            version: self.version,
            sets: self.sets,
            extra: self.extra,
            shape: self.shape,
        })
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        self.inner
            .serialize_newtype_variant(name, index, variant, value)
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Self::SerializeMap, S::Error> {
        Ok(Fields {
            inner: self.inner.serialize_map(len)?,
            version: self.version,
            sets: self.sets,
            extra: self.extra,
            shape: self.shape,
        })
    }
    fn serialize_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStruct, S::Error> {
        Ok(Fields {
            inner: self.inner.serialize_struct(name, len)?,
            version: self.version,
            sets: self.sets,
            extra: self.extra,
            shape: self.shape,
        })
    }
}

/// The fields of the item: `None`s skipped, the version replaced, sets
/// written as sets.
struct Fields<'a, F> {
    inner: F,
    version: Option<(&'static str, u64)>,
    sets: Sets,
    extra: Extra<'a>,
    shape: Option<u32>,
}

impl<F: SerializeStruct> SerializeStruct for Fields<'_, F> {
    type Ok = F::Ok;
    type Error = F::Error;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), F::Error> {
        match self.version {
            Some((name, v)) if name == key => return self.inner.serialize_field(key, &v),
            _ => {}
        }
        if let Some(kind) = set_kind(self.sets, key) {
            if is_empty_seq(value) {
                return self.inner.skip_field(key);
            }
            return self.inner.serialize_field(key, &AsSet { kind, value });
        }
        if is_none(value) {
            self.inner.skip_field(key)
        } else {
            self.inner.serialize_field(key, value)
        }
    }

    fn end(mut self) -> Result<F::Ok, F::Error> {
        if let Some(shape) = self.shape {
            self.inner.serialize_field(SHAPE_ATTRIBUTE, &shape)?;
        }
        for (name, value) in self.extra {
            self.inner.serialize_field(name, value)?;
        }
        self.inner.end()
    }
}

impl<F: SerializeMap> SerializeMap for Fields<'_, F> {
    type Ok = F::Ok;
    type Error = F::Error;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), F::Error> {
        self.inner.serialize_key(key)
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), F::Error> {
        self.inner.serialize_value(value)
    }

    fn serialize_entry<K: Serialize + ?Sized, V: Serialize + ?Sized>(
        &mut self,
        key: &K,
        value: &V,
    ) -> Result<(), F::Error> {
        if let Some((name, v)) = self.version {
            if matches!(serde_json::to_value(key), Ok(serde_json::Value::String(k)) if k == name) {
                return self.inner.serialize_entry(key, &v);
            }
        }
        if !self.sets.is_empty() {
            if let Ok(serde_json::Value::String(k)) = serde_json::to_value(key) {
                if let Some(kind) = set_kind(self.sets, &k) {
                    if is_empty_seq(value) {
                        return Ok(());
                    }
                    return self.inner.serialize_entry(key, &AsSet { kind, value });
                }
            }
        }
        if is_none(value) {
            return Ok(());
        }
        self.inner.serialize_entry(key, value)
    }

    fn end(mut self) -> Result<F::Ok, F::Error> {
        if let Some(shape) = self.shape {
            self.inner.serialize_entry(SHAPE_ATTRIBUTE, &shape)?;
        }
        for (name, value) in self.extra {
            self.inner.serialize_entry(name, value)?;
        }
        self.inner.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Serialize)]
    struct T {
        a: Option<u32>,
        b: Option<u32>,
        version: u64,
        #[serde(flatten)]
        extra: std::collections::BTreeMap<String, Option<u32>>,
    }

    #[test]
    fn none_fields_are_skipped_and_the_version_replaced() {
        let t = T {
            a: None,
            b: Some(2),
            version: 4,
            extra: [("x".to_owned(), None), ("y".to_owned(), Some(1))].into(),
        };
        let json = serde_json::to_string(&WriteView {
            item: &t,
            version: Some(("version", 5)),
            sets: &[],
            extra: &[("gsi1pk", "A".to_owned())],
            shape: Some(3),
        })
        .unwrap();
        assert_eq!(json, r#"{"b":2,"version":5,"y":1,"_shape":3,"gsi1pk":"A"}"#);
    }
}

//! An entity as it is written: `None` fields left out (so that a `None`
//! is an absent attribute on both backends, and `exists` means `is_some`),
//! and the `#[version]` field replaced by the version being written.

use serde::ser::{self, Impossible, Serialize, SerializeMap, SerializeStruct, Serializer};

/// `item`, serialized with its top-level `None` fields skipped and the
/// attribute `version.0` written as `version.1`.
pub(crate) struct WriteView<'a, T: ?Sized> {
    pub(crate) item: &'a T,
    pub(crate) version: Option<(&'static str, u64)>,
}

impl<T: Serialize + ?Sized> Serialize for WriteView<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.item.serialize(Top {
            inner: serializer,
            version: self.version,
        })
    }
}

/// Whether a value serializes as `None` (or a unit): a probe that stops
/// at the first call.
fn is_none<T: Serialize + ?Sized>(value: &T) -> bool {
    value.serialize(NoneProbe).is_ok()
}

#[derive(Debug)]
struct NotNone;

impl std::fmt::Display for NotNone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("not none")
    }
}

impl std::error::Error for NotNone {}

impl ser::Error for NotNone {
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        NotNone
    }
}

struct NoneProbe;

macro_rules! not_none {
    ($($name:ident($($t:ty),*);)*) => {$(
        fn $name(self, $(_: $t),*) -> Result<(), NotNone> {
            Err(NotNone)
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
        Err(NotNone)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: &T,
    ) -> Result<(), NotNone> {
        Err(NotNone)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), NotNone> {
        Err(NotNone)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, NotNone> {
        Err(NotNone)
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, NotNone> {
        Err(NotNone)
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, NotNone> {
        Err(NotNone)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, NotNone> {
        Err(NotNone)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, NotNone> {
        Err(NotNone)
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, NotNone> {
        Err(NotNone)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, NotNone> {
        Err(NotNone)
    }
}

/// The top-level serializer: passes everything through, but a struct or
/// map's fields go through [`Fields`].
struct Top<S> {
    inner: S,
    version: Option<(&'static str, u64)>,
}

macro_rules! forward {
    ($($name:ident($($arg:ident: $t:ty),*) -> $ret:ty;)*) => {$(
        fn $name(self, $($arg: $t),*) -> Result<$ret, S::Error> {
            self.inner.$name($($arg),*)
        }
    )*};
}

impl<S: Serializer> Serializer for Top<S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = S::SerializeSeq;
    type SerializeTuple = S::SerializeTuple;
    type SerializeTupleStruct = S::SerializeTupleStruct;
    type SerializeTupleVariant = S::SerializeTupleVariant;
    type SerializeMap = Fields<S::SerializeMap>;
    type SerializeStruct = Fields<S::SerializeStruct>;
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
        })
    }
}

/// The fields of the item: `None`s skipped, the version replaced.
struct Fields<F> {
    inner: F,
    version: Option<(&'static str, u64)>,
}

impl<F: SerializeStruct> SerializeStruct for Fields<F> {
    type Ok = F::Ok;
    type Error = F::Error;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), F::Error> {
        match self.version {
            Some((name, v)) if name == key => self.inner.serialize_field(key, &v),
            _ if is_none(value) => self.inner.skip_field(key),
            _ => self.inner.serialize_field(key, value),
        }
    }

    fn end(self) -> Result<F::Ok, F::Error> {
        self.inner.end()
    }
}

impl<F: SerializeMap> SerializeMap for Fields<F> {
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
        if is_none(value) {
            return Ok(());
        }
        self.inner.serialize_entry(key, value)
    }

    fn end(self) -> Result<F::Ok, F::Error> {
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
        })
        .unwrap();
        assert_eq!(json, r#"{"b":2,"version":5,"y":1}"#);
    }
}

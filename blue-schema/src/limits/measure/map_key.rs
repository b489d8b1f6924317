//! Map keys: DynamoDB's maps have string keys, so a key that serializes as
//! anything else is refused, and a string key's length is measured.

use serde::ser;
use serde::ser::{Impossible, Serialize};

use super::Problem;
use crate::error::ItemError;

/// Map keys: strings, and what JSON also writes as strings (integers,
/// chars, unit variants). Anything else cannot be a DynamoDB map key.
pub(super) struct KeyText;

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

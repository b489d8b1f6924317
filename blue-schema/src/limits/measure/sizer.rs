//! The serializer that measures an item as DynamoDB sizes it, without
//! allocating: its containers add DynamoDB's overhead per element.

use serde::ser;
use serde::ser::Serialize;

use super::map_key::KeyText;
use super::number::NumberText;
use super::{no_128_bit_integers, Problem, Segment, MAX_NESTING_DEPTH};
use crate::error::ItemError;

/// Measures one value. `top` is set for the entity itself, whose fields are
/// the item's top-level attributes rather than a nested map.
#[derive(Clone, Copy)]
pub(super) struct Sizer {
    pub(super) depth: usize,
    pub(super) top: Option<fn(&str) -> bool>,
    /// Inside a `#[set]` attribute: DynamoDB sizes a set as the sum of its
    /// elements, without a list's overhead.
    pub(super) set: bool,
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
pub(super) struct Container {
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
pub(super) struct Variant {
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
pub(super) struct MapContainer {
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

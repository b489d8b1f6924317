//! Entities made to probe the limits and the error paths.

use std::cell::Cell;
use std::collections::{BTreeMap, HashMap};

use blue_schema::{Entity, KeyPart, Table};
use serde::{Deserialize, Serialize};

/// A table of odd shapes, one partition per test.
#[derive(Table, Debug)]
#[table(name = "blue_probe")]
pub enum Probe {
    Sized(Sized),
    Named(Named),
    Nested(Nested),
    Measure(Measure),
    Wide(Wide),
    Sparse(Sparse),
    Flat(Flat),
    Opaque(Opaque),
    Unshared(Unshared),
    Toggle(Toggle),
    Task(Task),
    Labels(Labels),
}

/// DynamoDB sets: strings and numbers.
#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[entity(table = Probe)]
#[sk(prefix = "LABELS")]
pub struct Labels {
    #[pk]
    pub id: String,
    #[set]
    #[serde(default)]
    pub names: std::collections::BTreeSet<String>,
    #[set]
    #[serde(default)]
    pub sizes: std::collections::BTreeSet<i64>,
}

/// Two attributes that are only written when present: a writer alternates
/// them, and a reader must never see both.
#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[entity(table = Probe)]
#[sk(prefix = "TOGGLE")]
pub struct Toggle {
    #[pk]
    pub id: String,
    #[sk]
    pub n: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub right: Option<String>,
    /// Which write this is.
    pub seq: u32,
}

/// Declared out of alphabetical order: `high` sorts before `low` by name.
#[derive(KeyPart, Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[key_part(order = "declaration")]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    Low,
    Medium,
    High,
}

/// A sort key of an enum that sorts by declaration.
#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[entity(table = Probe)]
#[sk(prefix = "TASK")]
pub struct Task {
    #[pk]
    pub id: String,
    #[sk]
    pub priority: Priority,
    #[sk]
    pub n: u32,
}

/// The same table as an older version of the program knows it: without
/// `Toggle`, which a newer version added.
pub mod older {
    use super::*;

    #[derive(Table, Debug, PartialEq)]
    #[table(name = "blue_probe")]
    pub enum Probe {
        Sized(Sized),
    }

    /// `Sized` as the older version has it.
    #[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
    #[entity(table = Probe)]
    #[sk(prefix = "SIZED")]
    pub struct Sized {
        #[pk]
        pub id: String,
        #[sk]
        pub n: u32,
        pub payload: String,
    }
}

/// A payload of any size.
#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[entity(table = Probe)]
#[sk(prefix = "SIZED")]
pub struct Sized {
    #[pk]
    pub id: String,
    #[sk]
    pub n: u32,
    pub payload: String,
}

/// A sort key of any length.
#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[entity(table = Probe)]
#[sk(prefix = "NAMED")]
pub struct Named {
    #[pk]
    pub id: String,
    #[sk]
    pub name: String,
}

/// Lists and maps of any depth.
#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[entity(table = Probe)]
#[sk(prefix = "NESTED")]
pub struct Nested {
    #[pk]
    pub id: String,
    #[sk]
    pub n: u32,
    pub tree: serde_json::Value,
}

/// Numbers at DynamoDB's edges.
#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[entity(table = Probe)]
#[sk(prefix = "MEASURE")]
pub struct Measure {
    #[pk]
    pub id: String,
    #[sk]
    pub n: u32,
    pub float: f64,
    pub wide: u64,
    pub signed: i64,
}

/// An attribute that is only written when present.
#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[entity(table = Probe)]
#[sk(prefix = "SPARSE")]
pub struct Sparse {
    #[pk]
    pub id: String,
    #[sk]
    pub n: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A 128-bit integer, which the DynamoDB mapping cannot write.
#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[entity(table = Probe)]
#[sk(prefix = "WIDE")]
pub struct Wide {
    #[pk]
    pub id: String,
    #[sk]
    pub n: u32,
    pub value: u128,
}

/// Attribute names chosen at run time: a hand-written `Serialize` that
/// writes `extra`'s entries as top-level attributes (the derive rejects
/// `#[serde(flatten)]`, but a custom impl can do the same).
#[derive(Entity, Debug, Clone, PartialEq)]
#[entity(table = Probe)]
#[sk(prefix = "FLAT")]
pub struct Flat {
    #[pk]
    pub id: String,
    #[sk]
    pub n: u32,
    pub extra: BTreeMap<String, String>,
}

impl Serialize for Flat {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("id", &self.id)?;
        map.serialize_entry("n", &self.n)?;
        for (k, v) in &self.extra {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Flat {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let mut map = BTreeMap::<String, serde_json::Value>::deserialize(d)?;
        let id = map
            .remove("id")
            .ok_or_else(|| D::Error::missing_field("id"))?;
        let n = map
            .remove("n")
            .ok_or_else(|| D::Error::missing_field("n"))?;
        let extra = map
            .into_iter()
            .map(|(k, v)| Ok((k, serde_json::from_value(v).map_err(D::Error::custom)?)))
            .collect::<Result<_, D::Error>>()?;
        Ok(Flat {
            id: serde_json::from_value(id).map_err(D::Error::custom)?,
            n: serde_json::from_value(n).map_err(D::Error::custom)?,
            extra,
        })
    }
}

/// A map whose keys are not strings: no item.
#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[entity(table = Probe)]
#[sk(prefix = "OPAQUE")]
pub struct Opaque {
    #[pk]
    pub id: String,
    #[sk]
    pub n: u32,
    pub by_bytes: HashMap<Vec<u8>, u8>,
}

/// Not `Sync` (a `Cell`): the store's futures must not need it to be.
#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[entity(table = Probe)]
#[sk(prefix = "UNSHARED")]
pub struct Unshared {
    #[pk]
    pub id: String,
    #[sk]
    pub n: u32,
    pub hits: Cell<u32>,
}

/// An older version of `Sized`, in a table of the same name: what a struct
/// change looks like to items written before it.
pub mod v2 {
    use super::*;

    #[derive(Table, Debug)]
    #[table(name = "blue_probe")]
    pub enum Probe {
        Sized(Sized),
    }

    #[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
    #[entity(table = Probe)]
    #[sk(prefix = "SIZED")]
    pub struct Sized {
        #[pk]
        pub id: String,
        #[sk]
        pub n: u32,
        pub payload: u64,
    }
}

/// A table name DynamoDB accepts that is not an SQL identifier.
#[derive(Table, Debug, PartialEq)]
#[table(name = "blue.odd-name")]
pub enum Odd {
    Thing(Thing),
}

#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[entity(table = Odd)]
#[sk(prefix = "THING")]
pub struct Thing {
    #[pk]
    pub id: String,
    #[sk]
    pub n: u32,
}

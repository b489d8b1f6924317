//! The table the reliability tests write: counters, versioned documents
//! and sets, in one partition or a few; marks nested under cells (an item
//! collection); and tallies in a partition template of their own.

use std::collections::BTreeSet;

use blue_schema::{Collection, Entity, Shape, Store, Table};
use serde::{Deserialize, Serialize};

#[derive(Table, Debug)]
#[table(name = "blue_reliable", indexes(gsi1, gsi2, gsi3), stream)]
pub enum Reliable {
    Cell(Cell),
    Doc(Doc),
    Mark(Mark),
    Tally(Tally),
    Pin(Pin),
}

/// Everything in a partition of the `P` template.
#[derive(Collection, Debug, Clone, PartialEq)]
#[collection(table = Reliable)]
pub enum PartItems {
    Cell(Cell),
    Doc(Doc),
    Mark(Mark),
}

/// A cell and the marks nested under it.
#[derive(Collection, Debug, Clone, PartialEq)]
#[collection(table = Reliable, parent = Cell)]
pub enum CellWithMarks {
    Cell(Cell),
    Mark(Mark),
}

/// A mark on a cell: nested under it (`CELL#{id}#MARK#{n}`), so that a
/// cell's queries evaluate and skip its marks; in the notes' index
/// partitions by its text, beside the cells with that note.
#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
#[entity(table = Reliable, pk_prefix = "P", parent = Cell)]
#[sk(prefix = "MARK")]
#[index(gsi1, name = by_text, pk(prefix = "NOTE", fields(text)))]
pub struct Mark {
    #[pk]
    pub part: String,
    #[sk]
    pub id: u32,
    #[sk]
    pub n: u32,
    pub text: String,
}

/// The cells with a note and the marks with that text: one partition of
/// the index.
#[derive(Collection, Debug, Clone, PartialEq)]
#[collection(table = Reliable, index = gsi1)]
pub enum Noted {
    Cell(Cell),
    Mark(Mark),
}

/// A number in a partition template of its own (`TALLY#{part}`), whose
/// keys never meet a cell's. In shape 2 (`blue_schema::schema::shape`): an
/// older program ([`v1`]) writes shape 1, which had no unit.
#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
#[entity(table = Reliable, pk_prefix = "TALLY", shape = 2, from = TallyV1)]
#[sk(prefix = "TALLY")]
pub struct Tally {
    #[pk]
    pub part: String,
    pub value: i64,
    pub unit: String,
}

/// The unit a tally of shape 1 is read with.
pub const V1_UNIT: &str = "count";

/// Shape 1 of [`Tally`], frozen.
#[derive(Shape, Deserialize, Debug)]
#[shape(of = Tally, number = 1)]
pub struct TallyV1 {
    pub part: String,
    pub value: i64,
}

impl From<TallyV1> for Tally {
    fn from(v1: TallyV1) -> Self {
        Tally {
            part: v1.part,
            value: v1.value,
            unit: V1_UNIT.to_owned(),
        }
    }
}

/// A pin, whose key is moving (`blue_schema::schema::key_move`): the
/// older program ([`v1`]) kept it under `PINS#{part} | OLDPIN#{id}`, the
/// current one under `PIN#{part} | PIN#{kind}#{id}` (the kind moved into
/// the key, so several kinds share an old key).
#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
#[entity(table = Reliable, pk_prefix = "PIN", shape = 2, from = PinV1)]
#[sk(prefix = "PIN")]
pub struct Pin {
    #[pk]
    pub part: String,
    #[sk]
    pub kind: u8,
    #[sk]
    pub id: u32,
    pub label: String,
    #[serde(default)]
    pub hits: i64,
}

/// Shape 1 of [`Pin`], frozen with the key it was written under.
#[derive(Shape, Deserialize, Debug)]
#[shape(of = Pin, number = 1)]
#[entity(pk_prefix = "PINS")]
#[sk(prefix = "OLDPIN")]
pub struct PinV1 {
    #[pk]
    pub part: String,
    #[sk]
    pub id: u32,
    pub kind: u8,
    pub label: String,
}

impl From<PinV1> for Pin {
    fn from(v1: PinV1) -> Self {
        Pin {
            part: v1.part,
            kind: v1.kind,
            id: v1.id,
            label: v1.label,
            hits: 0,
        }
    }
}

/// The table as the program before shapes saw it: its tallies, shape 1,
/// and its pins, under their old key.
pub mod v1 {
    use super::*;

    #[derive(Table, Debug)]
    #[table(name = "blue_reliable", indexes(gsi1, gsi2), stream)]
    pub enum Reliable {
        Tally(Tally),
        Pin(Pin),
    }

    #[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
    #[entity(table = Reliable, pk_prefix = "PINS")]
    #[sk(prefix = "OLDPIN")]
    pub struct Pin {
        #[pk]
        pub part: String,
        #[sk]
        pub id: u32,
        pub kind: u8,
        pub label: String,
    }

    impl Pin {
        /// The pin as the current program reads it.
        pub fn upgraded(self) -> super::Pin {
            super::Pin {
                part: self.part,
                kind: self.kind,
                id: self.id,
                label: self.label,
                hits: 0,
            }
        }
    }

    #[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
    #[entity(table = Reliable, pk_prefix = "TALLY")]
    #[sk(prefix = "TALLY")]
    pub struct Tally {
        #[pk]
        pub part: String,
        pub value: i64,
    }
}

/// A counter with an optional note and a set; in an index by note (sparse:
/// only cells with a note), as keys only in one by partition and id, and
/// in a multi-attribute index by partition and count (its own `part` and
/// `count` attributes, moved by every write of the count).
#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
#[entity(table = Reliable, pk_prefix = "P")]
#[sk(prefix = "CELL")]
#[index(gsi1, name = by_note, pk(prefix = "NOTE", fields(note)))]
#[index(gsi2, name = by_part, pk(prefix = "P", fields(part)), sk(fields(id)), project = keys_only)]
#[index(gsi3, name = by_count, attributes, pk(fields(part)), sk(fields(count)))]
pub struct Cell {
    #[pk]
    pub part: String,
    #[sk]
    pub id: u32,
    pub count: i64,
    pub note: Option<String>,
    #[set]
    #[serde(default)]
    pub tags: BTreeSet<String>,
    #[serde(default)]
    pub log: Vec<String>,
}

/// A versioned document, in an index by body (shared with cells), and
/// listed per partition by a view of its body and version (on the index
/// cells' keys are in: `gsi2` projects `body` and `version`).
#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
#[entity(table = Reliable, pk_prefix = "P")]
#[sk(prefix = "DOC")]
#[index(gsi1, name = by_body, pk(prefix = "BODY", fields(body)))]
#[index(
    gsi2,
    name = docs_in,
    pk(prefix = "D", fields(part)),
    sk(fields(id)),
    project(body, version),
    view(name = DocLine, derive(Debug, Clone, PartialEq))
)]
pub struct Doc {
    #[pk]
    pub part: String,
    #[sk]
    pub id: u32,
    pub body: String,
    #[version]
    pub version: u64,
}

pub fn cell(part: &str, id: u32, count: i64) -> Cell {
    Cell {
        part: part.to_owned(),
        id,
        count,
        note: None,
        tags: BTreeSet::new(),
        log: Vec::new(),
    }
}

/// The sum of the counts of a partition's cells (the accounts that
/// transfers move money between).
pub async fn total(store: &Store, part: &str) -> i64 {
    store
        .query(Cell::query(part))
        .all()
        .await
        .unwrap()
        .iter()
        .map(|c| c.count)
        .sum()
}

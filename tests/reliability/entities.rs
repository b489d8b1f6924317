//! The table the reliability tests write: counters, versioned documents
//! and sets, in one partition or a few.

use std::collections::BTreeSet;

use blue_schema::{Entity, Store, Table};
use serde::{Deserialize, Serialize};

#[derive(Table, Debug)]
#[table(name = "blue_reliable")]
pub enum Reliable {
    Cell(Cell),
    Doc(Doc),
}

/// A counter with an optional note and a set.
#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
#[entity(table = Reliable)]
#[sk(prefix = "CELL")]
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

/// A versioned document.
#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
#[entity(table = Reliable)]
#[sk(prefix = "DOC")]
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

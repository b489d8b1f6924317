//! The entities of the write-side tests: a bank, a ledger, sets, counters.

use std::collections::{BTreeSet, HashSet};

use blue_schema::write::CancelReason;
use blue_schema::{Entity, Error, Store, Table};
use serde::{Deserialize, Serialize};

#[derive(Table, Debug)]
#[table(name = "blue_bank")]
pub enum Bank {
    Account(Account),
    Counter(Counter),
    Tally(Tally),
    Tagged(Tagged),
    Ledger(Ledger),
}

/// An entity with a `#[serde(default)]` field that is not an `Option`.
#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[entity(table = Bank)]
#[sk(prefix = "LEDGER")]
pub struct Ledger {
    #[pk]
    pub name: String,
    pub n: u32,
    #[serde(default)]
    pub lines: Vec<String>,
}

/// An entity with DynamoDB sets.
#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[entity(table = Bank)]
#[sk(prefix = "TAGGED")]
pub struct Tagged {
    #[pk]
    pub name: String,
    #[set]
    #[serde(default)]
    pub tags: BTreeSet<String>,
    #[set]
    #[serde(default)]
    pub codes: HashSet<u32>,
    pub note: Option<String>,
}

pub fn tagged(name: &str, tags: &[&str], codes: &[u32]) -> Tagged {
    Tagged {
        name: name.into(),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        codes: codes.iter().copied().collect(),
        note: None,
    }
}

/// A bank account.
#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[entity(table = Bank)]
#[sk(prefix = "ACCOUNT")]
pub struct Account {
    #[pk]
    pub bank: String,
    #[sk]
    pub id: String,
    pub owner: String,
    pub balance: i64,
    pub opened: u32,
    pub note: Option<String>,
    pub tags: Vec<String>,
}

/// A versioned counter.
#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[entity(table = Bank)]
#[sk(prefix = "COUNTER")]
pub struct Counter {
    #[pk]
    pub name: String,
    pub value: u64,
    #[version]
    pub version: u64,
}

/// An unversioned counter.
#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[entity(table = Bank)]
#[sk(prefix = "TALLY")]
pub struct Tally {
    #[pk]
    pub name: String,
    pub n: u32,
    pub label: Option<String>,
}

pub fn account(id: &str, balance: i64) -> Account {
    Account {
        bank: "b".into(),
        id: id.into(),
        owner: format!("owner-{id}"),
        balance,
        opened: 2020,
        note: None,
        tags: Vec::new(),
    }
}

pub async fn setup(store: &Store) {
    store.create_table::<Bank>().await.unwrap();
}

pub async fn cancelled(result: Result<(), Error>) -> Vec<CancelReason> {
    match result {
        Err(Error::TransactionCanceled(t)) => t.reasons,
        other => panic!("expected TransactionCanceled, got {other:?}"),
    }
}

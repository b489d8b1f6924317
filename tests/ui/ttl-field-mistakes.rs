// A `#[ttl]` field: one per entity, a data field, stored as a number of
// epoch seconds (a `SystemTime` through `blue_schema::ttl`, and an `Option`
// of one defaulting to `None` when the attribute is absent).
use std::time::SystemTime;

use blue_schema::{Entity, Table};

#[derive(Table)]
#[table(name = "auth", ttl = "expires_at")]
pub enum Auth {
    Session(Session),
    Token(Token),
    Grant(Grant),
    Code(Code),
    Key(Key),
}

// Stored by serde as a struct, which DynamoDB's TTL cannot read.
#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Auth)]
#[sk(prefix = "SESSION")]
pub struct Session {
    #[pk]
    pub user: String,
    #[ttl]
    pub expires_at: SystemTime,
}

// `None` is stored as no attribute, which `with` alone cannot read back.
#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Auth)]
#[sk(prefix = "TOKEN")]
pub struct Token {
    #[pk]
    pub user: String,
    #[ttl]
    #[serde(with = "blue_schema::ttl")]
    pub expires_at: Option<SystemTime>,
}

// Two expiries.
#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Auth)]
#[sk(prefix = "GRANT")]
pub struct Grant {
    #[pk]
    pub user: String,
    #[ttl]
    pub expires_at: u64,
    #[ttl]
    pub revoked_at: u64,
}

// A key field, and an argument.
#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Auth)]
#[sk(prefix = "CODE")]
pub struct Code {
    #[pk]
    #[ttl]
    pub expires_at: u64,
    #[ttl(seconds)]
    pub other: u64,
}

// A type that is no time at all.
#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Auth)]
#[sk(prefix = "KEY")]
pub struct Key {
    #[pk]
    pub user: String,
    #[ttl]
    #[serde(with = "blue_schema::ttl")]
    pub expires_at: String,
}

fn main() {}

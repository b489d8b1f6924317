// DynamoDB reads one TTL attribute per table: the table names it, and
// every entity's `#[ttl]` field is stored under that name.
use blue_schema::{Entity, Table};

#[derive(Table)]
#[table(name = "auth")]
pub enum Auth {
    Session(Session),
}

// The table declares no TTL attribute.
#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Auth)]
#[sk(prefix = "SESSION")]
pub struct Session {
    #[pk]
    pub user: String,
    #[ttl]
    pub expires_at: u64,
}

#[derive(Table)]
#[table(name = "codes", ttl = "ttl")]
pub enum Codes {
    Code(Code),
    Note(Note),
}

// Stored under another name than the table's.
#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Codes)]
#[sk(prefix = "CODE")]
pub struct Code {
    #[pk]
    pub user: String,
    #[ttl]
    pub expires_at: u64,
}

// Stored under the TTL attribute without saying so: DynamoDB would expire
// notes by it.
#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Codes)]
#[sk(prefix = "NOTE")]
pub struct Note {
    #[pk]
    pub user: String,
    pub ttl: u64,
}

fn main() {}

use blue_schema::{Entity, Table};

#[derive(Table)]
#[table(name = "blue_document")]
pub enum Document {
    Realm(Realm),
    Doc(Doc),
}

#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Document, pk_prefix = "REALM")]
#[sk(prefix = "META")]
pub struct Realm {
    #[pk]
    pub realm_id: String,
}

#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Document)]
#[sk(prefix = "DOC")]
pub struct Doc {
    #[pk]
    pub realm_id: String,
    #[sk]
    pub number: u16,
}

fn main() {}

use blue_schema::{Entity, Table};

#[derive(Table)]
#[table(name = "blue_dialogue")]
pub enum Dialogue {
    Meta(DialogueMeta),
    Expert(Expert),
}

#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Dialogue)]
#[sk(prefix = "META")]
pub struct DialogueMeta {
    #[pk]
    pub dialogue_id: String,
}

#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Dialogue)]
#[sk(prefix = "EXPERT")]
pub struct Expert {
    #[pk]
    pub dialogue_id: u64,
    #[sk]
    pub name: String,
}

fn main() {}

use blue_schema::{Entity, Table};

#[derive(Table)]
#[table(name = "blue_dialogue")]
pub enum Dialogue {
    Expert(Expert),
}

#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Dialogue)]
#[sk(prefix = "EXPERT")]
pub struct Expert {
    #[pk]
    pub dialogue_id: String,
    #[sk]
    pub name: String,
}

#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Dialogue)]
#[sk(prefix = "TENSION")]
pub struct Tension {
    #[pk]
    pub dialogue_id: String,
    #[sk]
    pub tension_id: String,
}

fn main() {}

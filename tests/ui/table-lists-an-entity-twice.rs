use blue_schema::{Entity, Table};

#[derive(Table)]
#[table(name = "blue_dialogue")]
pub enum Dialogue {
    Expert(Expert),
    Again(Expert),
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

fn main() {}

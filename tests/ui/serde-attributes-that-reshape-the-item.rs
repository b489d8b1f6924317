use blue_schema::{Entity, Table};

#[derive(Table)]
#[table(name = "blue_dialogue")]
pub enum Dialogue {
    Expert(Expert),
}

#[derive(Entity, serde::Serialize, serde::Deserialize, Clone)]
#[entity(table = Dialogue)]
#[sk(prefix = "EXPERT")]
#[serde(tag = "type", into = "Stored")]
pub struct Expert {
    #[pk]
    pub dialogue_id: String,
    #[sk]
    pub name: String,
}

#[derive(serde::Serialize)]
pub struct Stored {
    pub everything: String,
}

impl From<Expert> for Stored {
    fn from(e: Expert) -> Self {
        Stored {
            everything: format!("{}/{}", e.dialogue_id, e.name),
        }
    }
}

fn main() {}

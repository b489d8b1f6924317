use std::collections::HashMap;

use blue_schema::Entity;

#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Dialogue)]
#[sk(prefix = "EXPERT")]
pub struct Expert {
    #[pk]
    pub dialogue_id: String,
    #[sk]
    pub tags: HashMap<String, String>,
}

fn main() {}

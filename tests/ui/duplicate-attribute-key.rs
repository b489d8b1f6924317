use blue_schema::Entity;

#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Dialogue, table = Dialogue)]
#[sk(prefix = "EXPERT")]
#[sk(prefix = "EXPERTS")]
pub struct Expert {
    #[pk]
    #[pk]
    pub dialogue_id: String,
    #[sk]
    pub name: String,
}

fn main() {}

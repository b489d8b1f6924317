use blue_schema::Entity;

#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Dialogue)]
#[sk(prefix = "EXPERT")]
pub struct Expert {
    #[pk]
    #[sk]
    pub dialogue_id: String,
}

fn main() {}

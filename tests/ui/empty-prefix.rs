use blue_schema::Entity;

#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Dialogue)]
#[sk(prefix = "")]
pub struct Expert {
    #[pk]
    pub dialogue_id: String,
    #[sk]
    pub name: String,
}

fn main() {}

use blue_schema::Entity;

#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Dialogue)]
#[sk(prefix = "T-EVENT")]
pub struct TensionEvent {
    #[pk]
    pub dialogue_id: String,
    #[sk]
    pub at: u64,
}

#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Dialogue)]
#[sk(prefix = "1ST")]
pub struct First {
    #[pk]
    pub dialogue_id: String,
}

fn main() {}

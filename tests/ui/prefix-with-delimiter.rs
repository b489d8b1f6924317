use blue_schema::Entity;

#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Dialogue)]
#[sk(prefix = "TEVENT#T01")]
pub struct TensionEvent {
    #[pk]
    pub dialogue_id: String,
    #[sk]
    pub at: u64,
}

fn main() {}

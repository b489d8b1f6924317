use blue_schema::Entity;

#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(tabel = Dialogue)]
#[sk(prefix = "EXPERT", sort = "asc")]
pub struct Expert {
    #[pk]
    pub dialogue_id: String,
    #[sk]
    pub name: String,
}

fn main() {}

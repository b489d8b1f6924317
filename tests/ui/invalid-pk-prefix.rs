use blue_schema::Entity;

#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Document, pk_prefix = "realm")]
#[sk(prefix = "META")]
pub struct Realm {
    #[pk]
    pub realm_id: String,
}

fn main() {}

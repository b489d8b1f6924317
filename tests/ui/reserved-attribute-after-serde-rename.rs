use blue_schema::Entity;

// Names are checked after serde's renames: `rename` can hit a reserved name,
// and `rename_all` can move a field away from one (`created_at` is stored as
// `createdAt` here, which is allowed).
#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Dialogue)]
#[sk(prefix = "EXPERT")]
#[serde(rename_all = "camelCase")]
pub struct Expert {
    #[pk]
    pub dialogue_id: String,
    #[sk]
    pub name: String,
    #[serde(rename = "pk")]
    pub partition: String,
    #[serde(rename = "gsi2_sk")]
    pub index_key: String,
    pub created_at: String,
}

fn main() {}

use blue_schema::Entity;

#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Quotas)]
#[sk(prefix = "QUOTA")]
pub struct Quota {
    #[pk]
    pub account: String,
    #[sk]
    pub limit: u32,
}

fn main() {}

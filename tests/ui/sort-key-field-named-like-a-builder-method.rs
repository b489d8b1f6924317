use blue_schema::{Entity, Table};

#[derive(Table)]
#[table(name = "blue_quotas")]
pub enum Quotas {
    Quota(Quota),
}

#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Quotas)]
#[sk(prefix = "QUOTA")]
pub struct Quota {
    #[pk]
    pub account: String,
    #[sk]
    pub take: u32,
}

fn main() {}

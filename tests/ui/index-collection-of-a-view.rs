// A collection on an index decodes whole items: a member whose pattern
// projects chosen fields (`project(..)`) has only its view to give.
use blue_schema::{Collection, Entity, Table};

#[derive(Table)]
#[table(name = "shop", indexes(gsi1))]
pub enum Shop {
    Order(Order),
}

#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Shop)]
#[sk(prefix = "ORDER")]
#[index(gsi1, name = by_status, pk(prefix = "STATUS", fields(status)), project(total))]
pub struct Order {
    #[pk]
    pub customer: String,
    #[sk]
    pub id: String,
    pub status: String,
    pub total: u64,
}

#[derive(Collection)]
#[collection(table = Shop, index = gsi1)]
pub enum ByStatus {
    Order(Order),
}

fn main() {}

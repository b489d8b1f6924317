// Entities that share a `pk_prefix` share partitions, so they are keyed alike.
use blue_schema::{Entity, Table};

#[derive(Table)]
#[table(name = "shop")]
pub enum Shop {
    Customer(Customer),
    Order(Order),
}

#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Shop, pk_prefix = "CUSTOMER")]
#[sk(prefix = "PROFILE")]
pub struct Customer {
    #[pk]
    pub customer_id: String,
}

#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Shop, pk_prefix = "CUSTOMER")]
#[sk(prefix = "ORDER")]
pub struct Order {
    #[pk]
    pub customer_id: u64,
    #[sk]
    pub order_id: String,
}

fn main() {}

// A table whose entities have partition templates of their own has no
// single `partition`: which template would a key be for?
use blue_schema::{Entity, Table};

#[derive(Table)]
#[table(name = "shop")]
pub enum Shop {
    Customer(Customer),
    Product(Product),
}

#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Shop, pk_prefix = "CUSTOMER")]
#[sk(prefix = "PROFILE")]
pub struct Customer {
    #[pk]
    pub customer_id: String,
}

#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Shop, pk_prefix = "PRODUCT")]
#[sk(prefix = "STOCK")]
pub struct Product {
    #[pk]
    pub sku: String,
}

fn main() {
    let _ = Shop::partition("c-1");
}

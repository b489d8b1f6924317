use blue_schema::{Entity, Table};

#[derive(Table)]
#[table(name = "blue_shop", indexes(gsi1))]
enum Shop {
    Order(Order),
}

#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Shop)]
#[sk(prefix = "ORDER")]
#[index(gsi2, name = by_customer, pk(fields(customer)))]
struct Order {
    #[pk]
    shop: String,
    #[sk]
    id: u32,
    customer: String,
}

fn main() {}

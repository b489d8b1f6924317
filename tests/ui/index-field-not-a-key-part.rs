use blue_schema::{Entity, Table};

#[derive(Table)]
#[table(name = "blue_shop", indexes(gsi1))]
enum Shop {
    Order(Order),
}

#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Shop)]
#[sk(prefix = "ORDER")]
#[index(gsi1, name = by_total, pk(fields(total)))]
struct Order {
    #[pk]
    shop: String,
    #[sk]
    id: u32,
    // A float has no order-preserving key encoding.
    total: f64,
}

fn main() {}

use blue_schema::{Entity, Table};

#[derive(Table)]
#[table(name = "blue_shop", indexes(gsi1))]
enum Shop {
    Order(Order),
}

#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Shop)]
#[sk(prefix = "ORDER")]
#[index(gsi1, name = by_customer, pk(fields(customer)), project = keys_only)]
struct Order {
    #[pk]
    shop: String,
    #[sk]
    id: u32,
    customer: String,
    total: u64,
}

fn main() {
    // The index holds keys only: there is no attribute to filter on.
    let _ = Order::by_customer("c").filter(Order::attr().total.gt(5));
}

use blue_schema::{Entity, Table};

#[derive(Table)]
#[table(name = "blue_shop", indexes(gsi1))]
enum Shop {
    Order(Order),
}

#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Shop)]
#[sk(prefix = "ORDER")]
#[index(gsi1, name = by_customer, pk(fields(customer)), project(total), view(name = OrderCard))]
struct Order {
    #[pk]
    shop: String,
    #[sk]
    id: u32,
    customer: String,
    total: u64,
    note: String,
}

fn main() {
    // The view's attributes are the ones the index holds: `note` is not one.
    let _ = Order::by_customer("c").filter(OrderCard::attr().total.gt(5));
    let _ = Order::by_customer("c").filter(OrderCard::attr().note.eq("x".to_owned()));
    // Nor does the entity's own condition type fit.
    let _ = Order::by_customer("c").filter(Order::attr().total.gt(5));
}

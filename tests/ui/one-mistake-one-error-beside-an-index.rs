// Found by the derive fuzz (tests/derive_fuzz.rs): an entity whose derive
// fails sits in a table beside one with an index, whose query method reads
// the table's schema. The failed derive still implements `Entity` (a
// fallback the program never runs), so the mistake is reported once, here,
// and not again at the other entity, nor at a generic or tuple struct's uses.
use blue_schema::{Entity, Table};

#[derive(Table)]
#[table(name = "blue_shop", indexes(gsi1))]
pub enum Shop {
    Order(Order),
    Refund(Refund),
}

#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Shop)]
#[sk(prefix = "ORDER")]
#[index(gsi1, name = by_customer, pk(prefix = "CUSTOMER", fields(customer)))]
pub struct Order {
    #[pk]
    pub shop: String,
    #[sk]
    pub id: u32,
    pub customer: String,
}

#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Shop)]
#[sk(prefix = "REFUND")]
pub struct Refund {
    #[pk]
    pub shop: f64,
    pub amount: u64,
}

fn main() {
    let _ = Order::by_customer("ada");
}

// A collection on an index reads one index partition: each member has a
// pattern on that index with the same partition key, holding whole items.
use blue_schema::{Collection, Entity, Table};

#[derive(Table)]
#[table(name = "shop", indexes(gsi1, gsi2))]
pub enum Shop {
    Order(Order),
    Shipment(Shipment),
    Refund(Refund),
    Note(Note),
}

#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Shop)]
#[sk(prefix = "ORDER")]
#[index(gsi1, name = by_status, pk(prefix = "STATUS", fields(status)))]
#[index(gsi2, name = by_day, pk(prefix = "DAY", fields(day)), project = keys_only)]
pub struct Order {
    #[pk]
    pub customer: String,
    #[sk]
    pub id: String,
    pub status: String,
    pub day: String,
}

// Another index partition prefix on gsi1.
#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Shop)]
#[sk(prefix = "SHIPMENT")]
#[index(gsi1, name = by_state, pk(prefix = "STATE", fields(state)))]
pub struct Shipment {
    #[pk]
    pub customer: String,
    #[sk]
    pub id: String,
    pub state: String,
}

// Another partition-key type on gsi1.
#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Shop)]
#[sk(prefix = "REFUND")]
#[index(gsi1, name = by_code, pk(prefix = "STATUS", fields(code)))]
pub struct Refund {
    #[pk]
    pub customer: String,
    #[sk]
    pub id: String,
    pub code: u32,
}

// No pattern on gsi1.
#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Shop)]
#[sk(prefix = "NOTE")]
pub struct Note {
    #[pk]
    pub customer: String,
    #[sk]
    pub id: String,
}

#[derive(Collection)]
#[collection(table = Shop, index = gsi1)]
pub enum ByStatus {
    Order(Order),
    Shipment(Shipment),
    Refund(Refund),
    Note(Note),
}

// Keys only: nothing to decode.
#[derive(Collection)]
#[collection(table = Shop, index = gsi2)]
pub enum ByDay {
    Order(Order),
}

// Both a parent and an index; and an index that does not exist.
#[derive(Collection)]
#[collection(table = Shop, parent = Order, index = gsi1)]
pub enum Both {
    Order(Order),
}

#[derive(Collection)]
#[collection(table = Shop, index = gsi21)]
pub enum NoSuchIndex {
    Order(Order),
}

fn main() {}

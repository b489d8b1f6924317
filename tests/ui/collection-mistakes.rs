// A collection is read from one partition (one template) of its table;
// with a parent, its members are the parent and what is nested under it.
use blue_schema::{Collection, Entity, Table};

#[derive(Table)]
#[table(name = "shop")]
pub enum Shop {
    Customer(Customer),
    Order(Order),
    Line(Line),
    Product(Product),
}

#[derive(Table)]
#[table(name = "audit")]
pub enum Audit {
    Event(Event),
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
    pub customer_id: String,
    #[sk]
    pub order_id: String,
}

#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Shop, pk_prefix = "CUSTOMER", parent = Order)]
#[sk(prefix = "LINE")]
pub struct Line {
    #[pk]
    pub customer_id: String,
    #[sk]
    pub order_id: String,
    #[sk]
    pub line: u16,
}

#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Shop, pk_prefix = "PRODUCT")]
#[sk(prefix = "STOCK")]
pub struct Product {
    #[pk]
    pub sku: String,
}

#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Audit, pk_prefix = "CUSTOMER")]
#[sk(prefix = "EVENT")]
pub struct Event {
    #[pk]
    pub customer_id: String,
    #[sk]
    pub at: u64,
}

// Two partition templates.
#[derive(Collection)]
#[collection(table = Shop)]
pub enum CustomersAndProducts {
    Customer(Customer),
    Product(Product),
}

// The customer is not nested under an order.
#[derive(Collection)]
#[collection(table = Shop, parent = Order)]
pub enum OrderAndCustomer {
    Order(Order),
    Customer(Customer),
}

// An entity of another table.
#[derive(Collection)]
#[collection(table = Shop)]
pub enum CustomerAndEvents {
    Customer(Customer),
    Event(Event),
}

// Not an enum of entities.
#[derive(Collection)]
pub struct NotAnEnum;

fn main() {}

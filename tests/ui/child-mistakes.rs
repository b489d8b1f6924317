// A child's sort key begins with its parent's: same partition template,
// and the parent's `#[sk]` fields first, of the same types, in order.
use blue_schema::{Entity, Table};

#[derive(Table)]
#[table(name = "shop")]
pub enum Shop {
    Order(Order),
    Line(Line),
    Note(Note),
    Refund(Refund),
}

#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Shop, pk_prefix = "CUSTOMER")]
#[sk(prefix = "ORDER")]
pub struct Order {
    #[pk]
    pub customer_id: String,
    #[sk]
    pub day: u32,
    #[sk]
    pub order_id: String,
}

// The parent's fields in the wrong order.
#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Shop, pk_prefix = "CUSTOMER", parent = Order)]
#[sk(prefix = "LINE")]
pub struct Line {
    #[pk]
    pub customer_id: String,
    #[sk]
    pub order_id: String,
    #[sk]
    pub day: u32,
    #[sk]
    pub line: u16,
}

// Another partition template than its parent's.
#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Shop, pk_prefix = "NOTES", parent = Order)]
#[sk(prefix = "NOTE")]
pub struct Note {
    #[pk]
    pub customer_id: String,
    #[sk]
    pub day: u32,
    #[sk]
    pub order_id: String,
}

// Fewer sort-key fields than its parent.
#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Shop, pk_prefix = "CUSTOMER", parent = Order)]
#[sk(prefix = "REFUND")]
pub struct Refund {
    #[pk]
    pub customer_id: String,
    #[sk]
    pub day: u32,
}

fn main() {}

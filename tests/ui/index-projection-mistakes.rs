use blue_schema::{Entity, Table};

#[derive(Table)]
#[table(name = "blue_shop", indexes(gsi1, gsi2, gsi3, gsi4, gsi5))]
enum Shop {
    Order(Order),
}

#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Shop)]
#[sk(prefix = "ORDER")]
// A field that does not exist, a key field, a field of the index key and
// one named twice; no field at all; a field serde does not store; a view
// without `project(..)`; an unknown `view` setting.
#[index(gsi1, name = by_customer, pk(fields(customer)), project(totl, id, customer, note, note))]
#[index(gsi2, name = by_status, pk(fields(status)), project())]
#[index(gsi3, name = by_day, pk(fields(day)), project(cache))]
#[index(gsi4, name = by_total, pk(fields(total)), view(name = TotalCard))]
#[index(gsi5, name = by_note, pk(fields(note)), project(total), view(derives(Debug)))]
struct Order {
    #[pk]
    shop: String,
    #[sk]
    id: u32,
    customer: String,
    status: String,
    day: u32,
    total: u64,
    note: String,
    #[serde(skip)]
    cache: u64,
}

fn main() {}

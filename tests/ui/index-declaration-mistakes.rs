use blue_schema::{Entity, Table};

#[derive(Table)]
#[table(name = "blue_shop", indexes(gsi1, gsi2, index3))]
enum Shop {
    Order(Order),
}

#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Shop)]
#[sk(prefix = "ORDER")]
// A field that does not exist; a second pattern on one index; a sort-key
// prefix (index sort keys start with the entity's own); no partition key.
#[index(gsi1, name = by_customer, pk(fields(customr)))]
#[index(gsi1, name = by_status, pk(fields(status)))]
#[index(gsi2, name = by_total, pk(fields(status)), sk(prefix = "TOTAL", fields(total)))]
#[index(gsi2, name = query, sk(fields(total)))]
struct Order {
    #[pk]
    shop: String,
    #[sk]
    id: u32,
    customer: String,
    status: String,
    total: u64,
    #[version]
    version: u64,
}

fn main() {}

use blue_schema::{Entity, Table};

#[derive(Table)]
#[table(name = "blue_fleet", indexes(gsi1))]
enum Fleet {
    Truck(Truck),
}

// A multi-attribute key holds the field as DynamoDB's `S` or `N`: a `u64`
// (which SQLite would read as a float above `i64::MAX`) and a `bool` are
// neither.
#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Fleet)]
#[sk(prefix = "TRUCK")]
#[index(gsi1, name = by_odometer, attributes, pk(fields(retired)), sk(fields(odometer)))]
struct Truck {
    #[pk]
    fleet: String,
    #[sk]
    plate: String,
    retired: bool,
    odometer: u64,
}

fn main() {}

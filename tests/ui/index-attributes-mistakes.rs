use blue_schema::{Entity, Table};

#[derive(Table)]
#[table(name = "blue_fleet", indexes(gsi1, gsi2, gsi3))]
enum Fleet {
    Truck(Truck),
}

#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Fleet)]
#[sk(prefix = "TRUCK")]
// A multi-attribute key has no prefix; at most 4 partition attributes; at
// most 2 sort fields (the table key ends it); whole items or keys only.
#[index(gsi1, name = by_depot, attributes, pk(prefix = "DEPOT", fields(depot)))]
#[index(gsi2, name = by_route, attributes, pk(fields(a, b, c, d, depot)), sk(fields(year, load, miles)))]
#[index(gsi3, name = by_model, attributes, pk(fields(model)), project(miles))]
struct Truck {
    #[pk]
    fleet: String,
    #[sk]
    plate: String,
    depot: String,
    a: String,
    b: String,
    c: String,
    d: String,
    year: u16,
    load: u32,
    miles: u32,
    model: String,
}

fn main() {}

use blue_schema::{Entity, Table};

#[derive(Table)]
#[table(name = "blue_fleet", indexes(gsi1))]
enum Fleet {
    Truck(Truck),
    Van(Van),
}

// The same attribute names, but one entity's fields key the index: the
// other's items would be read by its queries.
#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Fleet)]
#[sk(prefix = "TRUCK")]
#[index(gsi1, name = by_depot, attributes, pk(fields(depot)))]
struct Truck {
    #[pk]
    fleet: String,
    #[sk]
    plate: String,
    depot: String,
}

#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Fleet)]
#[sk(prefix = "VAN")]
#[index(gsi1, name = by_depot, pk(fields(depot)))]
struct Van {
    #[pk]
    fleet: String,
    #[sk]
    plate: String,
    depot: String,
}

fn main() {}

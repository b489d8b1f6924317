use blue_schema::{Entity, Table};

#[derive(Table)]
#[table(name = "blue_bank")]
enum Bank {
    Account(Account),
}

#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Bank)]
#[sk(prefix = "ACCOUNT")]
struct Account {
    #[pk]
    id: String,
    #[version]
    version: u32,
}

fn main() {}

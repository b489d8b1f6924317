use blue_schema::{Entity, Store, Table};

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
    version: u64,
}

async fn load(store: &Store, accounts: &[Account]) {
    // A batch cannot check versions.
    store.put_all(accounts).await.unwrap();
}

fn main() {
    let _ = load;
}

use blue_schema::feed::Start;
use blue_schema::{Entity, Store, Table};

#[derive(Table)]
#[table(name = "blue_orders")]
pub enum Orders {
    Order(Order),
}

#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Orders)]
#[sk(prefix = "ORDER")]
pub struct Order {
    #[pk]
    pub customer: String,
    #[sk]
    pub id: u32,
}

// `stream` takes no value: the feed always carries both images.
#[derive(Table)]
#[table(name = "blue_carts", stream = "NEW_IMAGE")]
pub enum Carts {
    Order(Order),
}

async fn read(store: &Store) {
    let _ = store.changes::<Orders>(Start::Latest).await;
}

fn main() {}

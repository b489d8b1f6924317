// A batch write cannot write the markers that keep unique values unique.
use blue_schema::{Entity, Store, Table};

#[derive(Table)]
#[table(name = "blue_users")]
pub enum Users {
    User(User),
}

#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Users)]
#[sk(prefix = "USER")]
pub struct User {
    #[pk]
    pub id: String,
    #[unique]
    pub email: String,
}

async fn load(store: &Store, users: &[User]) {
    store.put_all(users).await.unwrap();
    store.put_all_unversioned(users).await.unwrap();
}

fn main() {
    let _ = load;
}

// The TTL attribute is one of the items' own: a plain name, not one the
// library writes.
use blue_schema::{Entity, Table};

#[derive(Table)]
#[table(name = "one", ttl = "")]
pub enum One {
    A(A),
}

#[derive(Table)]
#[table(name = "two", ttl = "created_at")]
pub enum Two {
    B(B),
}

#[derive(Table)]
#[table(name = "three", ttl = "meta.expires")]
pub enum Three {
    C(C),
}

#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = One)]
#[sk(prefix = "A")]
pub struct A {
    #[pk]
    pub id: String,
}

#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Two)]
#[sk(prefix = "B")]
pub struct B {
    #[pk]
    pub id: String,
}

#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Three)]
#[sk(prefix = "C")]
pub struct C {
    #[pk]
    pub id: String,
}

fn main() {}

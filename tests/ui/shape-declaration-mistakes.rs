use blue_schema::{Entity, Shape, Table};

#[derive(Table)]
#[table(name = "blue_catalog")]
pub enum Catalog {
    Product(Product),
    Offer(Offer),
    Tag(Tag),
}

#[derive(Shape, serde::Deserialize)]
#[shape(of = Product, number = 1)]
pub struct ProductV1 {
    pub shop: String,
    pub sku: String,
    pub name: String,
}

// A later shape must say which shape it upgrades from.
#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Catalog, shape = 2)]
#[sk(prefix = "PRODUCT")]
pub struct Product {
    #[pk]
    pub shop: String,
    #[sk]
    pub sku: String,
    pub title: String,
}

// Shape numbers start at 1.
#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Catalog, shape = 0)]
#[sk(prefix = "OFFER")]
pub struct Offer {
    #[pk]
    pub shop: String,
    #[sk]
    pub id: u32,
}

// Shape 1 upgrades from nothing.
#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Catalog, from = ProductV1)]
#[sk(prefix = "TAG")]
pub struct Tag {
    #[pk]
    pub shop: String,
    #[sk]
    pub name: String,
}

// A shape names its number and its entity.
#[derive(Shape, serde::Deserialize)]
#[shape(of = Product)]
pub struct Unnumbered {
    pub shop: String,
}

fn main() {}

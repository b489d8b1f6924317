use blue_schema::{Entity, Shape, Table};

#[derive(Table)]
#[table(name = "blue_catalog")]
pub enum Catalog {
    Product(Product),
    Offer(Offer),
}

#[derive(Shape, serde::Deserialize)]
#[shape(of = Product, number = 1)]
pub struct ProductV1 {
    pub shop: String,
    pub sku: String,
    pub name: String,
}

// No `From<ProductV1> for Product`: items of shape 1 could not be read.
#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Catalog, shape = 2, from = ProductV1)]
#[sk(prefix = "PRODUCT")]
pub struct Product {
    #[pk]
    pub shop: String,
    #[sk]
    pub sku: String,
    pub title: String,
}

// A shape of another entity.
#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Catalog, shape = 2, from = ProductV1)]
#[sk(prefix = "OFFER")]
pub struct Offer {
    #[pk]
    pub shop: String,
    #[sk]
    pub sku: String,
    pub name: String,
}

impl From<ProductV1> for Offer {
    fn from(v1: ProductV1) -> Self {
        Offer { shop: v1.shop, sku: v1.sku, name: v1.name }
    }
}

fn main() {}

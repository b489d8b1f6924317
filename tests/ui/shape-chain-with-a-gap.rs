use blue_schema::{Entity, Shape, Table};

#[derive(Table)]
#[table(name = "blue_catalog")]
pub enum Catalog {
    Product(Product),
}

#[derive(Shape, serde::Deserialize)]
#[shape(of = Product, number = 1)]
pub struct ProductV1 {
    pub shop: String,
    pub sku: String,
    pub name: String,
}

// Shape 3 upgrading from shape 1: shape 2's items would not decode.
#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Catalog, shape = 3, from = ProductV1)]
#[sk(prefix = "PRODUCT")]
pub struct Product {
    #[pk]
    pub shop: String,
    #[sk]
    pub sku: String,
    pub title: String,
}

impl From<ProductV1> for Product {
    fn from(v1: ProductV1) -> Self {
        Product { shop: v1.shop, sku: v1.sku, title: v1.name }
    }
}

fn main() {}

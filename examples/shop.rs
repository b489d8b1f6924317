//! An online shop on embedded SQLite: entities in partitions of their own
//! (`CUSTOMER#…`, `PRODUCT#…`), an order stored with its lines and
//! shipments under its sort key, and collections that read several entity
//! types in one query.
//!
//! ```text
//! cargo run --example shop                  # database under target/debug/examples/
//! cargo run --example shop -- /tmp/shop.db  # or a file of your choice
//! ```

use blue_schema::{block_on, Error, Store};
use blue_schema_examples::shop::{tour, CustomerItems, InStatus, OrderStatus, Product, Shop};
use blue_schema_examples::show::{database_path, print_rows};

fn main() -> Result<(), Error> {
    block_on(run())
}

async fn run() -> Result<(), Error> {
    let path = database_path("shop");
    let store = Store::open(&format!("sqlite://{}", path.display())).await?;
    println!("Store: sqlite://{}\n", path.display());
    print!("{}", tour(&store).await?);
    // An index read: eventually consistent on DynamoDB, current on SQLite.
    println!("Delivered, across customers (InStatus, one index query):");
    for item in store
        .query(InStatus::query(OrderStatus::Delivered))
        .all()
        .await?
    {
        match item {
            InStatus::Order(o) => println!("  order {} of {}", o.order_id, o.customer_id),
            InStatus::Shipment(s) => println!("  shipment {} of {}", s.shipment, s.order_id),
        }
    }
    // A multi-attribute index: the products' own category and stock.
    println!("Sold out in the kitchen (Product::by_category, a multi-attribute index):");
    for p in store
        .query(Product::by_category("kitchen").stock_lt(1))
        .all()
        .await?
    {
        println!("  {} {}", p.sku, p.name);
    }
    println!("\nThe stored rows of the customer's partition:");
    let schema = <Shop as blue_schema::Table>::SCHEMA;
    print_rows(&store, &schema, CustomerItems::query("ada")).await?;
    Ok(())
}

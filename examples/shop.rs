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
use blue_schema_examples::shop::{tour, CustomerItems, Shop};
use blue_schema_examples::show::{database_path, print_rows};

fn main() -> Result<(), Error> {
    block_on(run())
}

async fn run() -> Result<(), Error> {
    let path = database_path("shop");
    let store = Store::open(&format!("sqlite://{}", path.display())).await?;
    println!("Store: sqlite://{}\n", path.display());
    print!("{}", tour(&store).await?);
    println!("\nThe stored rows of the customer's partition:");
    let schema = <Shop as blue_schema::Table>::SCHEMA;
    print_rows(&store, &schema, CustomerItems::query("ada")).await?;
    Ok(())
}

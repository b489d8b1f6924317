//! A schema change on a live table: the shop's customers were written in
//! shape 1 (`contact: "Ada <ada@example.com>"`), the program now writes
//! shape 2 (`name` and `email`). Reads already upgrade every old item in
//! memory; the backfill rewrites them in the current shape, a page at a
//! time (in parallel segments on DynamoDB), while the application keeps
//! writing, and reports what it found and how fast it went.
//!
//! ```text
//! cargo run -p blue-schema-tests --example backfill                  # SQLite file, 10 000 customers
//! cargo run -p blue-schema-tests --example backfill -- dynamodb 2000 # DynamoDB: an emulator started in this process
//! cargo run --release -p blue-schema-tests --example backfill -- sqlite 100000
//! ```

#[path = "../tests/common/dynamodb.rs"]
mod dynamodb;

use std::time::Instant;

use blue_schema::migrate::{backfill, BackfillOptions};
use blue_schema::{Error, Store};
use blue_schema_examples::shop::{before, Customer, Shop};

fn main() -> Result<(), Error> {
    blue_schema::block_on(run())
}

async fn run() -> Result<(), Error> {
    let mut args = std::env::args().skip(1);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (url, segments) = match args.next().as_deref() {
        None | Some("sqlite") => (
            format!("sqlite:{}", dir.path().join("shop.db").display()),
            1,
        ),
        Some("dynamodb") => (dynamodb::example_url(Some(&dynamodb::unique_prefix())), 4),
        Some(url) => (url.to_owned(), 4),
    };
    let n: u32 = args
        .next()
        .map_or(10_000, |n| n.parse().expect("a number of customers"));
    let store = Store::open(&url).await?;
    println!("Store: {url}");
    store.create_table::<Shop>().await?;

    // The old program's customers.
    let started = Instant::now();
    let old: Vec<before::Customer> = (0..n)
        .map(|i| before::Customer {
            customer_id: format!("c{i:06}"),
            contact: format!("Customer {i} <c{i}@example.com>"),
        })
        .collect();
    for chunk in old.chunks(5000) {
        store.put_all(chunk).await?;
    }
    println!(
        "{n} customers written in shape 1 in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // The new program reads them already.
    let ada = store.get(Customer::key("c000000")).await?.expect("written");
    println!("read in shape 2: {} <{}>", ada.name, ada.email);

    // The backfill, with the application writing a customer meanwhile.
    let options = BackfillOptions::default()
        .segments(segments)
        .page_items(500)
        .in_flight(16);
    let app = async {
        let moved = Customer {
            customer_id: "c000001".into(),
            name: "Customer 1".into(),
            email: "moved@example.com".into(),
        };
        store.put(&moved).await
    };
    let mut rounds = 0;
    let (report, written) = tokio::join!(
        backfill::<Shop>(&store, options, |progress| {
            rounds += 1;
            if rounds % 20 == 0 {
                println!(
                    "  {} read, {} upgraded",
                    progress.scanned, progress.upgraded
                );
            }
        }),
        app,
    );
    written?;
    let report = report?;
    let seconds = report.elapsed.as_secs_f64();
    println!(
        "backfill: {} read, {} upgraded, {} current, {} raced in {seconds:.2} s: {:.0} items/s",
        report.scanned,
        report.upgraded,
        report.current,
        report.raced,
        report.scanned as f64 / seconds
    );
    let check = blue_schema::export::check_table::<Shop>(&store).await?;
    println!("after: {:?}", check.shapes);
    assert_eq!(check.shapes.get(&("Customer", 2)), Some(&u64::from(n)));
    let moved = store.get(Customer::key("c000001")).await?.expect("written");
    assert_eq!(
        moved.email, "moved@example.com",
        "the application's write stands"
    );
    Ok(())
}

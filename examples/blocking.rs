//! The synchronous API on any store a URL names, with no async runtime in
//! the program: `blue_schema::blocking::Store`.
//!
//! ```text
//! cargo run -p blue-schema-tests --example blocking                    # SQLite, in memory
//! cargo run -p blue-schema-tests --example blocking -- dynamodb        # DynamoDB: an emulator started in this process
//! cargo run -p blue-schema-tests --example blocking -- "dynamodb://?region=eu-west-1&table_prefix=dev_"
//! ```
//!
//! `main` is a plain function: on SQLite the work runs on this thread, on
//! DynamoDB on a small runtime the library starts itself.

#[path = "../tests/common/dynamodb.rs"]
mod dynamodb;

use blue_schema::blocking::Store;
use blue_schema::Error;
use blue_schema_examples::dialogue::*;

fn main() -> Result<(), Error> {
    let url = match std::env::args().nth(1).as_deref() {
        None => "sqlite::memory:".to_owned(),
        Some("dynamodb") => dynamodb::example_url(None),
        Some(url) => url.to_owned(),
    };
    let store = Store::open(&url)?;
    println!("Store: {url} ({})", store.backend_name());
    store.create_table::<Dialogue>()?;

    let d = "nvidia-dec";
    let experts: Vec<Expert> = ["muffin", "muf", "crumpet", "scone"]
        .iter()
        .enumerate()
        .map(|(i, name)| Expert {
            dialogue_id: d.into(),
            name: (*name).into(),
            role: if i % 2 == 0 { "skeptic" } else { "optimist" }.into(),
            tier: 1,
            score: i as i32 * 10,
        })
        .collect();
    store.put_all(&experts)?;
    store.put(&DialogueMeta {
        dialogue_id: d.into(),
        title: "NVIDIA in December".into(),
        status: Status::Open,
    })?;

    let muffin = store.get(Expert::key(d, "muffin"))?;
    println!("\nget {d} | EXPERT#muffin\n  → {muffin:?}");

    println!("\nExperts, two per page:");
    for page in store.query(Expert::query(d).page_size(2)).pages() {
        let page = page?;
        let names: Vec<&str> = page.items.iter().map(|e| e.name.as_str()).collect();
        println!("  page: {names:?}, more: {}", page.cursor.is_some());
    }

    println!("\nThe first three items of the partition, one at a time:");
    for item in store.query(Dialogue::partition(d).take(3)).items() {
        println!("  → {:?}", item?);
    }

    match store.create(&experts[0]) {
        Err(e @ Error::AlreadyExists { .. }) => println!("\ncreate muffin again\n  → {e}"),
        other => println!("\ncreate muffin again\n  → unexpected: {other:?}"),
    }
    let removed = store.delete_returning(Expert::key(d, "scone"))?;
    println!("\ndelete scone\n  → {:?}", removed.map(|e| e.name));
    Ok(())
}

//! ADR 0018's migration path: copy a table from the SQLite database a
//! project started on into DynamoDB, with `blue_schema::migrate::copy_table`.
//!
//! ```text
//! cargo run --example dialogue    # writes target/debug/examples/dialogue.db
//! cargo run -p blue-schema-tests --example migrate     # copies it into a DynamoDB emulator started here
//! cargo run -p blue-schema-tests --example migrate -- path/to/blue.db "dynamodb://?region=eu-west-1"
//! ```
//!
//! With no target URL, the copy goes to the dynoxide emulator, started in this
//! process on 127.0.0.1. With one, the AWS configuration chain supplies
//! credentials (and the region and endpoint, unless the URL names them).
//! Running the copy again is safe: it writes the same items again.

#[path = "../tests/common/dynamodb.rs"]
mod dynamodb;

use std::path::PathBuf;

use blue_schema::backend::dynamodb::DynamoDbBackend;
use blue_schema::migrate::copy_table;
use blue_schema::{Error, Store, Table};
use blue_schema_examples::dialogue::*;
use blue_schema_examples::show::print_rows;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let mut args = std::env::args().skip(1);
    let source_path = args.next().map(PathBuf::from).unwrap_or_else(|| {
        let exe = std::env::current_exe().expect("the example's path");
        exe.with_file_name("dialogue.db")
    });
    let source = if source_path.exists() {
        println!("Source: sqlite://{}", source_path.display());
        Store::sqlite(&source_path)?
    } else {
        println!(
            "Source: {} does not exist (run `cargo run --example dialogue` first); \
             copying a small dialogue from memory instead",
            source_path.display()
        );
        let store = Store::sqlite_memory()?;
        store.create_table::<Dialogue>().await?;
        store
            .put(&DialogueMeta {
                dialogue_id: "nvidia-dec".into(),
                title: "NVIDIA in December".into(),
                status: Status::Open,
            })
            .await?;
        for (name, score) in [("muffin", 42), ("muf", 7)] {
            store
                .put(&Expert {
                    dialogue_id: "nvidia-dec".into(),
                    name: name.into(),
                    role: "skeptic".into(),
                    tier: 1,
                    score,
                })
                .await?;
        }
        store
    };

    let target = match args.next() {
        Some(url) => {
            println!("Target: {url}");
            Store::open(&url).await?
        }
        None => {
            let client = dynamodb::client().await;
            println!(
                "Target: the dynoxide emulator at {}",
                dynamodb::endpoint_url().0
            );
            Store::from_backend(DynamoDbBackend::new(&client))
        }
    };

    let report = copy_table::<Dialogue>(&source, &target).await?;
    println!(
        "\nCopied {} items of {} in {} batches; the target holds {}.",
        report.copied, report.table, report.batches, report.target_items
    );
    let again = copy_table::<Dialogue>(&source, &target).await?;
    println!(
        "Copied again (idempotent): {} items, the target still holds {}.",
        again.copied, again.target_items
    );

    println!(
        "\nTable {} in DynamoDB (pk | sk → attributes):",
        Dialogue::NAME
    );
    print_rows(
        &target,
        &Dialogue::SCHEMA,
        Dialogue::partition("nvidia-dec"),
    )
    .await?;
    Ok(())
}

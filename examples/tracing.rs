//! Every store operation as a `tracing` span (feature `tracing`), printed
//! when it closes with its table, partition, requests, items and capacity
//! units: on SQLite, or on the DynamoDB emulator started in this process.
//!
//! ```text
//! cargo run -p blue-schema-tests --example tracing
//! cargo run -p blue-schema-tests --example tracing -- "dynamodb://?region=eu-west-1"
//! ```

use blue_schema::{Error, Store};
use blue_schema_examples::dialogue::{Dialogue, Expert};
use tracing_subscriber::fmt::format::FmtSpan;

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing_subscriber::fmt()
        .with_span_events(FmtSpan::CLOSE)
        .with_target(false)
        .with_writer(std::io::stderr)
        .init();
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "sqlite::memory:".to_owned());
    let store = Store::open(&url).await?;
    store.create_table::<Dialogue>().await?;
    let experts: Vec<Expert> = ["muffin", "pixel", "quill"]
        .into_iter()
        .map(|name| Expert {
            dialogue_id: "nvidia-dec".into(),
            name: name.into(),
            role: "skeptic".into(),
            tier: 2,
            score: 0,
        })
        .collect();
    store.put_all(&experts).await?;
    store.get(Expert::key("nvidia-dec", "muffin")).await?;
    let all = store.query(Expert::query("nvidia-dec")).all().await?;
    store.query(Expert::by_role("skeptic")).all().await?;
    println!(
        "{} experts; each operation's span is on standard error",
        all.len()
    );
    Ok(())
}

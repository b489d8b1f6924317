//! The document domain publishes its accepted documents through the change
//! feed: a consumer keeps an in-memory index of them (what a search index
//! or a site generator would hold), on SQLite or on DynamoDB, from the same
//! code.
//!
//! ```text
//! cargo run -p blue-schema-tests --example publish              # SQLite, in memory
//! cargo run -p blue-schema-tests --example publish -- dynamodb  # DynamoDB: an emulator started in this process
//! ```
//!
//! The writer never calls the publisher: it writes documents, and the
//! publisher reads what was committed, in order per document, from its
//! checkpoint on. Restarted, it goes on from its last commit.

#[path = "../tests/common/dynamodb.rs"]
mod dynamodb;

use std::collections::BTreeMap;
use std::time::Duration;

use blue_schema::feed::{Change, ChangeKind};
use blue_schema::{Error, Store};
use blue_schema_examples::document::*;

/// The projection: accepted documents by realm, kind and number.
type Published = BTreeMap<(String, DocKind, u16), String>;

fn main() -> Result<(), Error> {
    blue_schema::block_on(run())
}

async fn run() -> Result<(), Error> {
    let url = match std::env::args().nth(1).as_deref() {
        None => "sqlite::memory:".to_owned(),
        Some("dynamodb") => dynamodb::example_url(Some("publish_")),
        Some(url) => url.to_owned(),
    };
    let store = Store::open(&url).await?;
    println!("Store: {url}");
    store.create_table::<Document>().await?;

    // The publisher starts before the writes, from the newest record.
    let mut publisher = store
        .consumer::<Document>("publisher")
        .start(blue_schema::feed::Start::Latest)
        .open()
        .await?;

    let realm = "letemcook";
    let doc = |kind, number, title: &str, status: &str| Doc {
        realm_id: realm.into(),
        kind,
        number,
        title: title.into(),
        status: status.into(),
        content: String::new(),
    };
    store
        .put(&doc(DocKind::Rfc, 50, "Experts", "draft"))
        .await?;
    store
        .put(&doc(DocKind::Rfc, 51, "Dialogues", "draft"))
        .await?;
    store
        .put(&doc(
            DocKind::Adr,
            18,
            "DynamoDB-portable schema",
            "accepted",
        ))
        .await?;
    store
        .put(&doc(DocKind::Rfc, 9, "Bootstrapping", "accepted"))
        .await?;
    // Accepted, superseded, withdrawn: each a write, each a record. (The
    // status is in an index key, so it changes through `modify`.)
    for number in [50u16, 51] {
        store
            .modify(Doc::key(realm, DocKind::Rfc, number), |d: &mut Doc| {
                d.status = "accepted".into()
            })
            .await?;
    }
    store
        .modify(Doc::key(realm, DocKind::Rfc, 9u16), |d: &mut Doc| {
            d.status = "superseded".into()
        })
        .await?;
    store.delete(Doc::key(realm, DocKind::Rfc, 50u16)).await?;
    let last = Doc::key(realm, DocKind::Rfc, 50u16).sort_key().to_owned();

    // Read until the last write has arrived (DynamoDB makes a record
    // readable a moment after its write), then apply and commit.
    let changes = publisher
        .wait_for(
            |c| c.kind == ChangeKind::Remove && c.sort_key == last,
            Duration::from_secs(10),
        )
        .await?;
    let mut published = Published::new();
    for change in &changes {
        apply(&mut published, change);
    }
    publisher.commit().await?;
    println!("\n{} records read; published:", changes.len());
    for ((realm, kind, number), title) in &published {
        println!("  {realm} {kind:?} {number:04}  {title}");
    }
    let titles: Vec<&str> = published.values().map(String::as_str).collect();
    assert_eq!(titles, ["DynamoDB-portable schema", "Dialogues"]);
    publisher.release().await?;
    Ok(())
}

/// One record into the projection: a document is in it while accepted.
fn apply(published: &mut Published, change: &Change<Document>) {
    let Some(Document::Doc(doc)) = change.item() else {
        return;
    };
    let key = (doc.realm_id.clone(), doc.kind, doc.number);
    match &change.new {
        Some(Document::Doc(now)) if now.status == "accepted" => {
            published.insert(key, now.title.clone());
        }
        _ => {
            published.remove(&key);
        }
    }
}

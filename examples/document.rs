//! The ADR's document domain on embedded SQLite: an enum and numbers as key
//! parts, links between documents, and its access patterns.
//!
//! ```text
//! cargo run --example document                 # database under target/debug/examples/
//! cargo run --example document -- /tmp/doc.db  # or a file of your choice
//! ```

use blue_schema::{block_on, Error, Store, Table};
use blue_schema_examples::document::*;
use blue_schema_examples::show::{database_path, print_query, print_rows};

fn main() -> Result<(), Error> {
    block_on(run())
}

async fn run() -> Result<(), Error> {
    let path = database_path("document");
    let store = Store::open(&format!("sqlite://{}", path.display())).await?;
    store.create_table::<Document>().await?;
    println!("Store: sqlite://{}", path.display());

    let realm = "letemcook";
    store
        .put(&Realm {
            realm_id: realm.into(),
            name: "Let 'em cook".into(),
            path: "/realms/letemcook".into(),
        })
        .await?;
    let docs = [
        (DocKind::Rfc, 51, "Dialogues", "accepted"),
        (DocKind::Rfc, 50, "Experts", "accepted"),
        (DocKind::Rfc, 9, "Bootstrapping", "superseded"),
        (DocKind::Adr, 18, "DynamoDB-portable schema", "accepted"),
    ];
    for (kind, number, title, status) in docs {
        store
            .create(&Doc {
                realm_id: realm.into(),
                kind,
                number,
                title: title.into(),
                status: status.into(),
                content: "…".into(),
            })
            .await?;
    }
    for (from, to, link_type) in [
        (51, 50, "depends_on"),
        (51, 18, "implements"),
        (50, 9, "supersedes"),
    ] {
        store
            .put(&Link {
                realm_id: realm.into(),
                from,
                to,
                link_type: link_type.into(),
            })
            .await?;
    }

    println!(
        "\nTable {} (pk | sk → attributes), as stored:",
        Document::NAME
    );
    print_rows(&store, &Document::SCHEMA, Document::partition(realm)).await?;

    print_query(&store, "The realm:", Realm::query(realm)).await?;
    print_query(
        &store,
        "Every RFC, by number (9 before 50):",
        Doc::query(realm).kind(DocKind::Rfc),
    )
    .await?;
    print_query(
        &store,
        "RFCs 50 to 59:",
        Doc::query(realm)
            .kind(DocKind::Rfc)
            .number_between(50u16, 59u16),
    )
    .await?;
    print_query(
        &store,
        "What RFC 0051 links to:",
        Link::query(realm).from(51u16),
    )
    .await?;
    print_query(
        &store,
        "The newest links first:",
        Link::query(realm).reverse().page_size(2),
    )
    .await?;

    // Documents by status across realms: index gsi1. Another realm's RFC.
    store
        .put(&Doc {
            realm_id: "blue".into(),
            kind: DocKind::Rfc,
            number: 7,
            title: "Single tables".into(),
            status: "accepted".into(),
            content: "…".into(),
        })
        .await?;
    print_query(
        &store,
        "Accepted RFCs in every realm, by number, as summaries (index gsi1 holds the titles):",
        Doc::by_status("accepted").kind(DocKind::Rfc),
    )
    .await?;
    print_query(
        &store,
        "Accepted documents titled D… (a filter on the index query):",
        Doc::by_status("accepted").filter(DocSummary::attr().title.begins_with("D")),
    )
    .await?;

    let doc = store.get(Doc::key(realm, DocKind::Adr, 18u16)).await?;
    println!("\nget ADR 18:\n  → {doc:?}");

    let removed = store
        .delete_returning(Link::key(realm, 50u16, 9u16))
        .await?;
    println!("\ndelete the link 0050 → 0009:\n  → {removed:?}");
    let left = store.query(Link::query(realm)).all().await?;
    println!("  {} links left", left.len());
    Ok(())
}

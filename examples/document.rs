//! The ADR's document domain: keys for the ADR's example rows, with an enum
//! and numbers as key parts, and its access patterns.
//!
//! ```text
//! cargo run --example document
//! ```

use blue_schema::{Entity, Table};
use blue_schema_examples::document::*;

fn main() {
    let realm = "letemcook";
    let items = [
        Document::Realm(Realm {
            realm_id: realm.into(),
            name: "Let 'em cook".into(),
            path: "/realms/letemcook".into(),
        }),
        Document::Doc(Doc {
            realm_id: realm.into(),
            kind: DocKind::Rfc,
            number: 51,
            title: "Dialogues".into(),
            status: "accepted".into(),
            content: "…".into(),
        }),
        Document::Doc(Doc {
            realm_id: realm.into(),
            kind: DocKind::Rfc,
            number: 50,
            title: "Experts".into(),
            status: "accepted".into(),
            content: "…".into(),
        }),
        Document::Link(Link {
            realm_id: realm.into(),
            from: 51,
            to: 50,
            link_type: "depends_on".into(),
        }),
    ];

    println!("Table {} (pk | sk):", Document::NAME);
    for item in &items {
        let key = match item {
            Document::Realm(r) => r.key().to_string(),
            Document::Doc(d) => d.key().to_string(),
            Document::Link(l) => l.key().to_string(),
        };
        println!("  {key}");
    }

    println!("\nAccess patterns:");
    for explained in [
        Realm::query(realm).explain(),
        Doc::query(realm).kind(DocKind::Rfc).explain(),
        Doc::query(realm)
            .kind(DocKind::Rfc)
            .number_between(50u16, 59u16)
            .explain(),
        Link::query(realm).from(51u16).explain(),
        Document::partition(realm).reverse().explain(),
    ] {
        println!("  {explained}");
    }

    let key = Doc::key(realm, DocKind::Rfc, 51);
    let (pk, (kind, number)) = Doc::decode_key(key.partition_key(), key.sort_key())
        .expect("a key decodes back into its fields");
    println!("\n{key} decodes to realm {pk:?}, kind {kind:?}, number {number}");
}

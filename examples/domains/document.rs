//! The document domain of ADR 0018: one partition per realm.
//!
//! ```text
//! letemcook | META           → {name, path}
//! letemcook | DOC#rfc#0051   → {title, status, content}
//! letemcook | LINK#0051#0050 → {link_type}
//! ```

use blue_schema::{Entity, KeyPart, Table};
use serde::{Deserialize, Serialize};

/// Document domain: one partition per realm, holding its documents and the
/// links between them. Its changes feed the publisher (`examples/publish.rs`).
#[derive(Table, Debug, Clone, PartialEq)]
#[table(name = "blue_document", indexes(gsi1), stream)]
pub enum Document {
    Realm(Realm),
    Doc(Doc),
    Link(Link),
}

/// The kind of a document; part of its key, stored as its lower-case name.
#[derive(KeyPart, Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum DocKind {
    Adr,
    Rfc,
}

/// A realm: one per partition.
#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[entity(table = Document)]
#[sk(prefix = "META")]
pub struct Realm {
    /// The realm's id, which names its partition.
    #[pk]
    pub realm_id: String,
    /// Display name.
    pub name: String,
    /// Where the realm's files live: no two realms share a directory.
    #[unique]
    pub path: String,
}

/// A document of the realm. Listed by status across realms with its
/// title: the index holds the title, not the body (`DocSummary`).
#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[entity(table = Document)]
#[sk(prefix = "DOC")]
#[index(
    gsi1,
    name = by_status,
    pk(prefix = "STATUS", fields(status)),
    sk(fields(kind, number)),
    project(title),
    view(name = DocSummary, derive(Debug, Clone, PartialEq))
)]
pub struct Doc {
    #[pk]
    pub realm_id: String,
    /// RFC or ADR.
    #[sk]
    pub kind: DocKind,
    /// The document's number within its kind.
    #[sk]
    pub number: u16,
    /// The title.
    pub title: String,
    /// Draft, accepted, …
    pub status: String,
    /// The Markdown body.
    pub content: String,
}

/// A link from one document to another.
#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[entity(table = Document)]
#[sk(prefix = "LINK")]
pub struct Link {
    #[pk]
    pub realm_id: String,
    /// The linking document's number.
    #[sk]
    pub from: u16,
    /// The linked document's number.
    #[sk]
    pub to: u16,
    /// `supersedes`, `refines`, `depends_on`, …
    pub link_type: String,
}

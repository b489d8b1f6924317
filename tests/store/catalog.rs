//! The catalog the projection tests write (`tests/store/projections.rs`),
//! also read by `tests/dynamodb_backend.rs` for what DynamoDB holds: books
//! and shelves on two indexes of chosen projections.

use std::collections::BTreeSet;

use blue_schema::{Entity, Table};
use serde::{Deserialize, Serialize};

/// Books on shelves, listed by author with a card of each (`gsi1`), and
/// by genre with their page counts (`gsi2`); shelves listed by curator
/// share `gsi1`, which projects the union of both patterns' fields.
#[derive(Table, Debug, Clone, PartialEq)]
#[table(name = "blue_catalog", indexes(gsi1, gsi2))]
pub enum Catalog {
    Book(Book),
    Shelf(Shelf),
}

/// A book.
#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[entity(table = Catalog)]
#[sk(prefix = "BOOK")]
#[serde(rename_all = "camelCase")]
#[index(
    gsi1,
    name = by_author,
    pk(prefix = "AUTHOR", fields(author)),
    sk(fields(year)),
    project(title, tags),
    view(name = BookCard, derive(Debug, Clone, PartialEq))
)]
#[index(gsi2, name = by_genre, pk(fields(genre)), project(page_count))]
pub struct Book {
    #[pk]
    pub shelf: String,
    #[sk]
    pub isbn: String,
    pub author: String,
    pub year: u16,
    /// The title, on every card.
    pub title: String,
    #[set]
    #[serde(default)]
    pub tags: BTreeSet<String>,
    pub genre: String,
    #[serde(rename = "pages")]
    pub page_count: u32,
    /// Long text no index holds.
    #[serde(default)]
    pub blurb: String,
}

/// A shelf.
#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[entity(table = Catalog)]
#[sk(prefix = "SHELF")]
#[index(gsi1, name = by_curator, pk(prefix = "CURATOR", fields(curator)), project(label))]
pub struct Shelf {
    #[pk]
    pub shelf: String,
    pub curator: String,
    pub label: String,
    #[serde(default)]
    pub notes: String,
}

pub fn book(shelf: &str, isbn: u32, author: &str, year: u16) -> Book {
    Book {
        shelf: shelf.into(),
        isbn: format!("{isbn:04}"),
        author: author.into(),
        year,
        title: format!("Book {isbn}"),
        tags: [format!("t{}", isbn % 3)].into_iter().collect(),
        genre: if isbn.is_multiple_of(2) {
            "essay"
        } else {
            "novel"
        }
        .into(),
        page_count: 100 + isbn,
        blurb: String::new(),
    }
}

//! The two domains of ADR 0018, an online shop and a team directory in the
//! middle of a key move, defined once and used by the examples, the test
//! suites and the generated documentation under `docs/`.

pub mod dialogue;
pub mod directory;
pub mod document;
pub mod shop;
pub mod show;

/// Every table of the examples, with the file its generated docs live in.
pub const GENERATED_DOCS: &[(&str, &blue_schema::TableSchema)] = &[
    (
        "docs/generated/blue_dialogue.md",
        &<dialogue::Dialogue as blue_schema::Table>::SCHEMA,
    ),
    (
        "docs/generated/blue_document.md",
        &<document::Document as blue_schema::Table>::SCHEMA,
    ),
    (
        "docs/generated/blue_shop.md",
        &<shop::Shop as blue_schema::Table>::SCHEMA,
    ),
    (
        "docs/generated/blue_team_directory.md",
        &<directory::Directory as blue_schema::Table>::SCHEMA,
    ),
];

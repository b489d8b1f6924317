//! The two domains of ADR 0018 and an online shop, defined once and used by
//! the examples, the test suites and the generated documentation under
//! `docs/`.

pub mod dialogue;
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
];

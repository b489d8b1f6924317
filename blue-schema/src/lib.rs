//! # blue-schema
//!
//! Single-table DynamoDB schemas written once, as annotated Rust structs, that
//! run the same on embedded SQLite and on DynamoDB. *Design for the cloud,
//! develop on the laptop.*
//!
//! ```
//! use blue_schema::{Entity, Table};
//!
//! /// Dialogue domain: one partition per dialogue.
//! #[derive(Table)]
//! #[table(name = "blue_dialogue")]
//! pub enum Dialogue {
//!     Expert(Expert),
//! }
//!
//! /// An expert taking part in a dialogue.
//! #[derive(Entity, serde::Serialize, serde::Deserialize)]
//! #[entity(table = Dialogue)]
//! #[sk(prefix = "EXPERT")]
//! pub struct Expert {
//!     #[pk]
//!     pub dialogue_id: String,
//!     #[sk]
//!     pub name: String,
//!     pub role: String,
//! }
//!
//! let key = Expert::key("nvidia-dec", "muffin");
//! assert_eq!(key.to_string(), "nvidia-dec | EXPERT#muffin");
//!
//! let q = Expert::query("nvidia-dec").name_starts_with("muf");
//! assert_eq!(
//!     q.spec().to_string(),
//!     r#"Query blue_dialogue: pk = "nvidia-dec" AND begins_with(sk, "EXPERT#muf"), ascending"#
//! );
//! ```
//!
//! * [`key`]: the order-preserving, escaped, decodable key codec.
//! * [`schema`]: the static metadata, and the [`Entity`] and [`Table`] traits.
//! * [`query`]: the backend-neutral query values, `explain()`, and cursors.
//! * [`Store`]: the typed operations (get, put, create, delete, query,
//!   put_all, update, modify, transactions, batch and transactional reads,
//!   index queries) on a [`backend`]: [`backend::sqlite`] (embedded, the default)
//!   or [`backend::dynamodb`]; [`blocking`] is the same API for synchronous
//!   code, and [`block_on`] says where each backend's work runs.
//! * [`limits`]: DynamoDB's limits, checked before any backend runs.
//! * [`capacity`]: the capacity units each operation consumes, on both
//!   backends ([`Store::metered`]); with the `tracing` feature, every
//!   operation is a span with its table, partition, requests, items and units.
//! * [`migrate`]: copying a table between stores.
//! * [`docs`]: Markdown documentation of a table's access patterns.
//!
//! The derives are documented on the re-exports: [`macro@Entity`],
//! [`macro@Table`], [`macro@KeyPart`].

#![warn(missing_docs)]
// Without a backend the runtime's seam has nothing to run on.
#![cfg_attr(
    not(any(feature = "sqlite", feature = "dynamodb")),
    allow(dead_code, unused_imports, unused_macros)
)]

pub mod backend;
mod backoff;
#[cfg(any(feature = "sqlite", feature = "dynamodb"))]
pub mod blocking;
pub mod capacity;
#[cfg(all(feature = "cli", any(feature = "sqlite", feature = "dynamodb")))]
pub mod cli;
pub mod docs;
mod error;
mod exec;
#[cfg(any(feature = "sqlite", feature = "dynamodb"))]
pub mod export;
pub mod key;
mod layout;
pub mod limits;
#[cfg(any(feature = "sqlite", feature = "dynamodb"))]
pub mod migrate;
mod ops;
pub mod query;
pub mod schema;
// Without a backend the crate still derives schemas, encodes keys, builds
// queries and writes documentation; a store needs a backend.
#[cfg(any(feature = "sqlite", feature = "dynamodb"))]
pub mod store;
mod time;
mod trace;
pub mod write;

pub use error::{error_chain, BoxError, Error, ItemError};
pub use exec::block_on;
pub use key::{AsKeyPart, Key, KeyPart};
pub use query::{Cursor, IntoQuery, Query};
pub use schema::{Entity, EntitySchema, FromItem, Table, TableSchema};
#[cfg(any(feature = "sqlite", feature = "dynamodb"))]
pub use store::{Page, QueryRun, Record, Store, StoredItem};
pub use write::{Condition, Update};

/// Turns a struct with named fields into a storable entity.
///
/// ```text
/// #[derive(Entity, Serialize, Deserialize)]
/// #[entity(table = Dialogue)]          // the #[derive(Table)] enum that lists it
/// #[entity(pk_prefix = "DLG")]         // optional: partition key `DLG#{dialogue_id}`
/// #[sk(prefix = "PERSP")]              // the item type: [A-Z][A-Z0-9_]*
/// struct Perspective {
///     #[pk] dialogue_id: String,       // one or more; joined with `#`
///     #[sk] round: u32,                // zero or more, in declaration order
///     #[sk] expert: String,
///     #[sk] seq: u32,
///     label: String,                   // everything else is data
/// }
/// ```
///
/// Generates, besides [`Entity`]:
///
/// * `Perspective::key(dialogue_id, round, expert, seq) -> Key<Perspective>`;
/// * `Perspective::query(dialogue_id)`, a builder that fixes sort-key
///   components in declared order (`.round(0).expert("muffin")`), or ends with
///   a range on the next one (`_lt`, `_le`, `_gt`, `_ge`, `_between`, and
///   `_starts_with` for strings), then `.page_size(n)`, `.take(n)`,
///   `.reverse()`, `.after(cursor)`, `.eventually_consistent()`.
///
/// Anything that would not work on DynamoDB is a compile error.
pub use blue_schema_derive::Entity;

/// Turns an enum with one single-field variant per entity into a table.
///
/// ```text
/// #[derive(Table)]
/// #[table(name = "blue_dialogue")]
/// enum Dialogue { Meta(DialogueMeta), Expert(Expert) }
/// ```
///
/// Generates [`Table`] and `Dialogue::partition(pk)`, the query of a whole
/// partition whose items are `Dialogue` values. Checks at compile time that
/// the entities name this table, share one partition-key type and prefix, and
/// have distinct sort-key prefixes.
pub use blue_schema_derive::Table;

/// Makes a unit-only enum or a newtype struct usable as a key part.
///
/// Newtypes are written as their inner value. Enums sort in declaration
/// order, as a derived `Ord` does: by default each variant is written as its
/// serde name (`#[serde(rename)]` and `#[serde(rename_all)]` are honoured),
/// and the derive refuses an enum whose names do not sort in declaration
/// order; `#[key_part(order = "declaration")]` writes the variant's position
/// before its name instead (`00-low`, `01-medium`, `02-high`). See
/// [`key`](crate::key#enums).
///
/// ```text
/// #[derive(KeyPart)]
/// #[key_part(order = "declaration")]
/// enum Priority { Low, Medium, High }
/// ```
pub use blue_schema_derive::KeyPart;

/// The README's examples run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

/// Everything the generated code names, and nothing else: not part of the
/// public API, and free to change in any release.
#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

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
/// the entities name this table and have distinct sort-key prefixes, and,
/// when entities declare partition templates of their own (different
/// `pk_prefix`es, see [`Collection`]), that every entity has one; a table
/// with several templates has no `partition` (calling it is a compile
/// error): read a partition with a [`Collection`].
pub use blue_schema_derive::Table;

/// Turns an enum of entities into a collection: entity types read together
/// in one query, as one typed result (ElectroDB's collections).
///
/// * `#[collection(table = Shop)]`: the whole partition of the members'
///   partition template. `CustomerItems::query(customer_id)` reads a
///   customer's profile, orders and order lines in one range, in sort-key
///   order; items of entities that are not members are skipped (and counted
///   in [`Page::unknown`]).
/// * `#[collection(table = Shop, parent = Order)]`: one parent item and the
///   items nested under it (entities declared with
///   `#[entity(parent = Order)]`, whose sort keys begin with the order's).
///   `OrderWithLines::query(Order::key(..))` reads an order and its lines:
///   the parent first, then its children in sort-key order.
///
/// Checked at compile time: every member is an entity of the table, with
/// the first member's partition-key type and `pk_prefix`; with a `parent`,
/// every member is the parent or nested under it.
///
/// ```
/// use blue_schema::{Collection, Entity, Table};
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Table, Debug)]
/// #[table(name = "shop")]
/// enum Shop { Customer(Customer), Order(Order), Line(OrderLine), Product(Product) }
///
/// #[derive(Entity, Serialize, Deserialize, Debug)]
/// #[entity(table = Shop, pk_prefix = "CUSTOMER")]
/// #[sk(prefix = "PROFILE")]
/// struct Customer { #[pk] customer_id: String, name: String }
///
/// #[derive(Entity, Serialize, Deserialize, Debug)]
/// #[entity(table = Shop, pk_prefix = "CUSTOMER")]
/// #[sk(prefix = "ORDER")]
/// struct Order { #[pk] customer_id: String, #[sk] order_id: String, total: u64 }
///
/// // Nested: its sort key is its order's, then `LINE#{line}`.
/// #[derive(Entity, Serialize, Deserialize, Debug)]
/// #[entity(table = Shop, pk_prefix = "CUSTOMER", parent = Order)]
/// #[sk(prefix = "LINE")]
/// struct OrderLine {
///     #[pk] customer_id: String,
///     #[sk] order_id: String, // the parent's sort-key fields first
///     #[sk] line: u16,
///     sku: String,
/// }
///
/// // A partition template of its own: `PRODUCT#{sku}`.
/// #[derive(Entity, Serialize, Deserialize, Debug)]
/// #[entity(table = Shop, pk_prefix = "PRODUCT")]
/// #[sk(prefix = "STOCK")]
/// struct Product { #[pk] sku: String, stock: u32 }
///
/// /// Everything in a customer's partition.
/// #[derive(Collection, Debug)]
/// #[collection(table = Shop)]
/// enum CustomerItems { Customer(Customer), Order(Order), Line(OrderLine) }
///
/// /// One order with its lines.
/// #[derive(Collection, Debug)]
/// #[collection(table = Shop, parent = Order)]
/// enum OrderWithLines { Order(Order), Line(OrderLine) }
///
/// assert_eq!(
///     OrderLine::key("c-1", "o-7", 2u16).sort_key(),
///     "ORDER#o-7#LINE#00002"
/// );
/// assert_eq!(Product::key("p-9").partition_key(), "PRODUCT#p-9");
/// let q = OrderWithLines::query(Order::key("c-1", "o-7"));
/// assert_eq!(
///     q.spec().to_string(),
///     r#"Query shop: pk = "CUSTOMER#c-1" AND sk BETWEEN "ORDER#o-7" AND "ORDER#o-7$", ascending"#
/// );
/// # blue_schema::block_on(async {
/// let store = blue_schema::Store::sqlite_memory()?;
/// store.create_table::<Shop>().await?;
/// store.put(&Order { customer_id: "c-1".into(), order_id: "o-7".into(), total: 30 }).await?;
/// for line in 1..=2 {
///     let sku = format!("p-{line}");
///     store.put(&OrderLine { customer_id: "c-1".into(), order_id: "o-7".into(), line, sku }).await?;
/// }
/// let items = store.query(OrderWithLines::query(Order::key("c-1", "o-7"))).all().await?;
/// assert!(matches!(items.as_slice(), [OrderWithLines::Order(_), OrderWithLines::Line(_), OrderWithLines::Line(_)]));
/// // The order's own query skips its lines.
/// assert_eq!(store.query(Order::query("c-1")).all().await?.len(), 1);
/// # Ok::<(), blue_schema::Error>(())
/// # }).unwrap();
/// ```
pub use blue_schema_derive::Collection;

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

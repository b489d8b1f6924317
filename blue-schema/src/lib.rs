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
//! * [`Store`]: the typed operations on a [`backend`]: [`backend::sqlite`]
//!   (embedded, the default) or [`backend::dynamodb`]; [`blocking`] is the
//!   same API for synchronous code, and [`block_on`] says where each
//!   backend's work runs. Tables: [`create_table`](Store::create_table),
//!   [`drop_table`](Store::drop_table). Items:
//!   [`get`](Store::get), [`get_record`](Store::get_record),
//!   [`put`](Store::put) (with `.when(condition)`), [`create`](Store::create),
//!   [`delete`](Store::delete), [`delete_returning`](Store::delete_returning),
//!   [`update`](Store::update) (set, add, append, remove, sets, `set_index`,
//!   conditions, returning), [`modify`](Store::modify) (read, change, write
//!   back with retries), `#[version]` checks on every write. Many items:
//!   [`put_all`](Store::put_all), [`get_many`](Store::get_many),
//!   [`transaction`](Store::transaction) (puts, creates, updates, deletes,
//!   checks; all or none), transactional reads, [`rekey`](Store::rekey).
//!   Reads of many: [`query`](Store::query) of an entity, a table's
//!   partition, a [`macro@Collection`] or an index pattern, as
//!   [`page`](QueryRun::page), [`all`](QueryRun::all),
//!   [`pages`](QueryRun::pages), [`items`](QueryRun::items) (streams),
//!   [`records`](QueryRun::records) (with write times) and
//!   [`raw`](QueryRun::raw), with filters, `take`, cursors and `explain`.
//! * [`ttl`]: items that expire (`#[ttl]`), hidden from reads and absent
//!   to writes on both backends before anything deletes them;
//!   [`sweep_expired`](Store::sweep_expired) and
//!   [`spawn_sweeper`](Store::spawn_sweeper) delete them on SQLite, and
//!   [`with_clock`](Store::with_clock) sets the clock in tests.
//! * [`feed`]: the change feed of a `#[table(stream)]` table, from DynamoDB
//!   Streams or an SQLite outbox behind one API:
//!   [`changes`](Store::changes) reads typed [`feed::Change`]s from a
//!   [`feed::FeedCursor`]; [`consumer`](Store::consumer) keeps a named
//!   reader's checkpoint and lease in the same store.
//! * [`limits`]: DynamoDB's limits, checked before any backend runs.
//! * [`capacity`]: the capacity units each operation consumes, on both
//!   backends ([`Store::metered`]); with the `tracing` feature, every
//!   operation is a span with its table, partition, requests, items and units.
//! * [`migrate`]: copying a table between stores.
//! * [`docs`]: Markdown documentation of a table's access patterns.
//!
//! The derives are documented on the re-exports, every attribute and every
//! generated item with an example: [`macro@Entity`], [`macro@Table`],
//! [`macro@Collection`], [`macro@KeyPart`].

#![warn(missing_docs)]
// Without a backend the runtime's seam has nothing to run on.
#![cfg_attr(
    not(any(feature = "sqlite", feature = "dynamodb")),
    allow(dead_code, unused_imports, unused_macros)
)]

// The derives name `::blue_schema`; the crate derives a table of its own
// (the change feed's checkpoints).
extern crate self as blue_schema;

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
pub mod feed;
pub mod key;
#[cfg(feature = "lambda")]
pub mod lambda;
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
pub mod ttl;
pub mod write;

pub use error::{
    error_chain, BoxError, Error, ItemError, ThrottleLimit, ThrottleReason, UniqueTaken,
};
pub use exec::block_on;
pub use key::{AsKeyPart, Key, KeyPart};
pub use query::{Cursor, IntoQuery, Query};
pub use schema::{Entity, EntitySchema, FromItem, Shape, Table, TableSchema};
#[cfg(any(feature = "sqlite", feature = "streams"))]
pub use store::ChangeFeed;
#[cfg(any(feature = "sqlite", feature = "dynamodb"))]
pub use store::{Counted, Page, QueryRun, Record, Store, StoredItem};
pub use write::{Condition, Update};

/// Turns a struct with named fields into a storable entity.
///
/// Every attribute, with what it means; each example below compiles and
/// runs (the guide, `docs/guide.md` §1-§4, has the semantics at length).
///
/// # On the struct
///
/// | attribute | meaning |
/// |---|---|
/// | `#[entity(table = Dialogue)]` | the `#[derive(Table)]` enum that lists it (required) |
/// | `#[entity(pk_prefix = "DLG")]` | a prefix in front of the partition key, `DLG#{dialogue_id}`: the entity's partition template |
/// | `#[entity(parent = Order)]` | nests the sort key under `Order`'s: `ORDER#{order_id}#LINE#{line}` (see [`macro@Collection`]) |
/// | `#[sk(prefix = "EXPERT")]` | the item type, first in the sort key (required; `[A-Z][A-Z0-9_]*`) |
/// | `#[index(gsi1, name = by_role, pk(prefix = "ROLE", fields(role)), sk(fields(tier)), project = keys_only)]` | an access pattern on a secondary index (`sk(..)` and `project` optional) |
/// | `#[index(gsi2, name = by_score, pk(fields(score)), project(role), view(name = ExpertCard, derive(Debug)))]` | a pattern whose index holds the keys and these fields (`INCLUDE`); its query returns the generated view (`view(..)` optional) |
///
/// # On the fields
///
/// | attribute | meaning |
/// |---|---|
/// | `#[pk]` | part of the partition key (1 to 4 fields, joined with `#` in declared order) |
/// | `#[sk]` | part of the sort key after the prefix (0 to 12; none makes a singleton, like `META`) |
/// | `#[version]` | a `u64` every write checks and increments (optimistic locking) |
/// | `#[set]` | stored as a DynamoDB string or number set (a `BTreeSet` / `HashSet`), absent when empty |
/// | `#[ttl]` | when the item expires: a `u64` of epoch seconds, or a `SystemTime` / `chrono::DateTime<Utc>` with `#[serde(with = "blue_schema::ttl")]` (an `Option`: `None` never expires), stored under the table's TTL attribute (see [`ttl`]) |
///
/// Any other field is data, stored under its serde name. Key fields must be
/// [`KeyPart`]s; anything DynamoDB could not run is a compile error that
/// says what to change.
///
/// # What it generates
///
/// | item | what |
/// |---|---|
/// | `Expert::key(dialogue_id, name) -> Key<Expert>` | the key of one item, from every key field (`impl AsKeyPart<T>` arguments: `&str` for `String`) |
/// | `Expert::query(dialogue_id) -> ExpertQuery<0>` | a typed query of one partition; `ExpertQuery<N>` has `N` sort-key components fixed and offers the next one: `.name(v)` fixes it, `.name_lt(v)`, `_le`, `_gt`, `_ge`, `_between(a, b)` and (strings) `_starts_with(p)` end the query with a range; `.page_size(n)`, `.take(n)`, `.reverse()`, `.after(cursor)`, `.eventually_consistent()`, `.filter(cond)`, `.max_pages(n)`, `.explain()`, `.spec()` at any step |
/// | `Expert::attr() -> ExpertAttr` | one typed attribute per stored field, for [`Condition`]s (`a.score.ge(10)`) and [`Update`]s (`.add(a.score, 1)`) |
/// | `Expert::by_role(role) -> ExpertByRoleQuery<0>` | per `#[index]`: the query of its index partition, with the same builder methods over its `sk(fields(..))` |
/// | `ExpertByRole { role, tier }` | per `#[index]` with data fields: the struct [`Update::set_index`] takes, so the fields of one index key change together |
/// | `ExpertCard { dialogue_id, name, score, role }`, `ExpertCard::attr()`, `card.key()` | per `project(..)` pattern: the view its query returns (the table key's, the index key's and the projected fields), the attributes its `.filter(..)` is written with, and the item's key |
/// | `impl Entity for Expert` | `expert.key()`, `Expert::decode_key(pk, sk)`, `Expert::SCHEMA` (the metadata docs and the CLI read) |
///
/// # Keys and queries
///
/// ```
/// use blue_schema::{Entity, IntoQuery, Table};
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Table)]
/// #[table(name = "blue_dialogue", indexes(gsi1))]
/// enum Dialogue { Perspective(Perspective), Expert(Expert) }
///
/// #[derive(Entity, Serialize, Deserialize, Debug, PartialEq)]
/// #[entity(table = Dialogue, pk_prefix = "DLG")]
/// #[sk(prefix = "PERSP")]
/// struct Perspective {
///     #[pk] dialogue_id: String,
///     #[sk] round: u32,       // zero-padded: `2` sorts before `10`
///     #[sk] expert: String,
///     label: String,          // data
/// }
///
/// #[derive(Entity, Serialize, Deserialize, Debug, PartialEq)]
/// #[entity(table = Dialogue, pk_prefix = "DLG")]
/// #[sk(prefix = "EXPERT")]
/// #[index(gsi1, name = by_role, pk(prefix = "ROLE", fields(role)), sk(fields(tier)))]
/// struct Expert {
///     #[pk] dialogue_id: String,
///     #[sk] name: String,
///     role: String,
///     tier: u8,
/// }
///
/// let key = Perspective::key("d", 2u32, "muffin");
/// assert_eq!(key.partition_key(), "DLG#d");
/// assert_eq!(key.sort_key(), "PERSP#0000000002#muffin");
/// assert_eq!(
///     Perspective::decode_key("DLG#d", "PERSP#0000000002#muffin"),
///     Ok(("d".to_owned(), (2, "muffin".to_owned())))
/// );
///
/// // Components in declared order, then at most one range.
/// let q = Perspective::query("d").round(2).expert_starts_with("muf");
/// assert_eq!(
///     q.spec().to_string(),
///     r#"Query blue_dialogue: pk = "DLG#d" AND begins_with(sk, "PERSP#0000000002#muf"), ascending"#
/// );
/// let later = Perspective::query("d").round_ge(3u32).reverse().page_size(10);
/// assert!(later.spec().to_string().contains("BETWEEN"));
///
/// // An index access pattern: experts by role, by tier.
/// let skeptics = Expert::by_role("skeptic").tier_le(2u8).into_query();
/// assert!(skeptics.spec().to_string().contains(r#"gsi1pk = "ROLE#skeptic""#));
/// ```
///
/// # Conditions, updates, versions and sets
///
/// ```
/// use std::collections::BTreeSet;
///
/// use blue_schema::{Entity, Error, Table};
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Table)]
/// #[table(name = "blue_board", indexes(gsi1))]
/// enum Board { Task(Task) }
///
/// #[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
/// #[entity(table = Board)]
/// #[sk(prefix = "TASK")]
/// #[index(gsi1, name = by_owner, pk(prefix = "OWNER", fields(owner)), sk(fields(due)))]
/// struct Task {
///     #[pk] board: String,
///     #[sk] id: u32,
///     owner: String,
///     due: String,
///     points: i64,
///     #[set]
///     #[serde(default)]
///     labels: BTreeSet<String>,
///     #[version]
///     version: u64,
/// }
///
/// # blue_schema::block_on(async {
/// let store = blue_schema::Store::sqlite_memory()?;
/// store.create_table::<Board>().await?;
/// let task = Task {
///     board: "b".into(), id: 1, owner: "ann".into(), due: "2026-12-24".into(),
///     points: 3, labels: BTreeSet::new(), version: 0,
/// };
/// store.create(&task).await?;                         // version 0 → stored as 1
///
/// let a = Task::attr();
/// store.update(Task::key("b", 1u32))
///     .add(a.points, 2)
///     .add_to(a.labels, ["urgent"])
///     .when(a.points.lt(10))
///     .expect_version(1)                              // a versioned entity says which
///     .await?;
/// // The fields of an index key change together, in one request.
/// store.update(Task::key("b", 1u32))
///     .set_index(TaskByOwner { owner: "bob".into(), due: "2027-01-02".into() })
///     .any_version()
///     .await?;
/// let now = store.get(Task::key("b", 1u32)).await?.expect("stored");
/// assert_eq!((now.points, now.owner.as_str(), now.version), (5, "bob", 3));
/// assert!(now.labels.contains("urgent"));
///
/// // A write with a stale version writes nothing.
/// let stale = Task { version: 1, ..now.clone() };
/// assert!(matches!(store.put(&stale).await, Err(Error::VersionConflict(_))));
/// # Ok::<(), blue_schema::Error>(())
/// # }).unwrap();
/// ```
///
/// Nested entities and partition templates of their own are shown on
/// [`macro@Collection`].
pub use blue_schema_derive::Entity;

/// Derives [`Shape`](trait@Shape) for a frozen older shape of an entity:
/// `#[shape(of = Expert, number = 1)]` for the first, `#[shape(of =
/// Expert, number = 2, from = ExpertV1)]` for a later one. The struct is a
/// copy of the entity as it was (its `#[pk]`, `#[sk]` and other field
/// attributes may stay), deriving `serde::Deserialize` too; see
/// [`schema::shape`] for the whole story.
pub use blue_schema_derive::Shape;

/// Turns an enum with one single-field variant per entity into a table.
///
/// | attribute | meaning |
/// |---|---|
/// | `#[table(name = "blue_dialogue")]` | the table's name in SQLite and DynamoDB: 3-255 of `[A-Za-z0-9_.-]` (required) |
/// | `#[table(indexes(gsi1, gsi2))]` | the secondary indexes its entities' `#[index]` patterns use (`gsi1` to `gsi20`) |
/// | `#[table(ttl = "expires_at")]` | the one attribute DynamoDB's Time to Live reads: every entity's `#[ttl]` field is stored under it, and `create_table` turns TTL on (see [`ttl`]) |
///
/// ```
/// use blue_schema::{Entity, Table};
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Table, Debug, PartialEq)]
/// #[table(name = "blue_dialogue")]
/// enum Dialogue { Meta(DialogueMeta), Expert(Expert) }
///
/// #[derive(Entity, Serialize, Deserialize, Debug, PartialEq)]
/// #[entity(table = Dialogue)]
/// #[sk(prefix = "META")]
/// struct DialogueMeta { #[pk] dialogue_id: String, title: String }
///
/// #[derive(Entity, Serialize, Deserialize, Debug, PartialEq)]
/// #[entity(table = Dialogue)]
/// #[sk(prefix = "EXPERT")]
/// struct Expert { #[pk] dialogue_id: String, #[sk] name: String }
///
/// # blue_schema::block_on(async {
/// let store = blue_schema::Store::sqlite_memory()?;
/// store.create_table::<Dialogue>().await?;
/// store.put(&DialogueMeta { dialogue_id: "d".into(), title: "t".into() }).await?;
/// store.put(&Expert { dialogue_id: "d".into(), name: "muffin".into() }).await?;
/// let items = store.query(Dialogue::partition("d")).all().await?;
/// assert!(matches!(items.as_slice(), [Dialogue::Expert(_), Dialogue::Meta(_)]));
/// assert_eq!(<Dialogue as Table>::NAME, "blue_dialogue");
/// # Ok::<(), blue_schema::Error>(())
/// # }).unwrap();
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
/// * `#[collection(table = Shop, index = gsi1)]`: one partition of a
///   secondary index, where the members' access patterns on it share an
///   index partition key (`InStatus::query(status)`: orders and shipments
///   in one status, across customers); eventually consistent, as every
///   index read.
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

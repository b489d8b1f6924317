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
//!   put_all) on a [`backend`]: [`backend::sqlite`] (embedded, the default)
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

/// Used by the generated code; not part of the public API.
#[doc(hidden)]
pub mod __private {
    /// An entity whose items a batch write (`put_all`) may write: one
    /// without a `#[version]` field. Implemented by `#[derive(Entity)]`.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` has a `#[version]` field: a batch write cannot check versions",
        label = "`put_all` would overwrite newer versions without noticing",
        note = "write the items in a `store.transaction()` (each put checks its version), or opt out with `put_all_unversioned`"
    )]
    pub trait BatchWritable {}

    pub use crate::key::{decode_enum_variant, encode_enum_variant, EnumOrder};
    pub use crate::query::{partition_query, SortKeyQuery};
    pub use serde;
    pub use serde_json;

    /// An entity's index keys, from its item read as JSON: what a copy and
    /// a reindex write.
    ///
    /// # Errors
    ///
    /// When the item does not decode as `E`.
    pub fn index_keys_of<E: crate::Entity>(
        partition_key: &str,
        sort_key: &str,
        item: &serde_json::Value,
    ) -> Result<crate::schema::KeysOfItem, serde_json::Error> {
        let entity = <E as serde::Deserialize>::deserialize(item)?;
        let mut out = Vec::new();
        entity.__index_keys(partition_key, sort_key, &mut out);
        Ok(crate::schema::KeysOfItem {
            entity: &E::SCHEMA,
            table_key: entity.key().into_parts(),
            index_keys: out,
        })
    }

    /// Never satisfied: the query of a `keys_only` access pattern has no
    /// filter.
    #[diagnostic::on_unimplemented(
        message = "a `keys_only` access pattern cannot be filtered: its index holds no attributes",
        label = "the index entries are keys only",
        note = "filter the items after `store.get_many(keys)`, or declare the pattern `project = all`"
    )]
    pub trait FilterableIndex {}

    /// Satisfied when the table enum `Self` has a variant holding `E`.
    #[diagnostic::on_unimplemented(
        message = "`{E}` names `{Self}` as its table, but `{Self}` does not list it",
        label = "`{Self}` has no variant holding `{E}`",
        note = "add a variant `{E}({E})` to the `#[derive(Table)]` enum `{Self}`, or name the right table in `#[entity(table = ...)]`"
    )]
    pub trait ListsEntity<E> {}

    /// Satisfied when an entity's `#[entity(table = ...)]` is `T`.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` is listed in table `{T}` but its `#[entity(table = ...)]` names another table",
        label = "this entity belongs to another table",
        note = "an entity is stored in exactly one table: make `#[entity(table = {T})]` and the enum agree"
    )]
    pub trait InTable<T: ?Sized> {}

    /// What a table's derive checks about an entity, implemented by the
    /// entity's derive whether or not its other checks passed (`VALID` says).
    pub trait EntityFacts {
        /// The partition key's type.
        type PartitionKey;
        /// The sort-key prefix.
        const PREFIX: &'static str;
        /// The partition-key prefix.
        const PK_PREFIX: Option<&'static str>;
        /// Whether the entity has no sort-key fields.
        const SINGLETON: bool;
        /// Whether the entity's derive succeeded.
        const VALID: bool;
        /// The physical indexes its access patterns use.
        const INDEXES: &'static [&'static str] = &[];
    }

    /// Whether every name in `used` is one of `declared`, in `const` context.
    pub const fn all_declared(used: &[&str], declared: &[&str]) -> bool {
        let mut i = 0;
        while i < used.len() {
            let mut found = false;
            let mut j = 0;
            while j < declared.len() {
                if str_eq(used[i], declared[j]) {
                    found = true;
                }
                j += 1;
            }
            if !found {
                return false;
            }
            i += 1;
        }
        true
    }

    /// A table's name, implemented by its derive whether or not its other
    /// checks passed.
    pub trait TableName {
        /// The table name.
        const NAME: &'static str;
    }

    /// Whether `sort_key` carries the prefix of an entity: see
    /// [`EntitySchema::names_sort_key`](crate::EntitySchema::names_sort_key).
    pub fn names_sort_key(prefix: &str, singleton: bool, sort_key: &str) -> bool {
        crate::schema::names_sort_key(prefix, singleton, sort_key)
    }

    /// Satisfied when two entities of one table have the same partition-key type.
    #[diagnostic::on_unimplemented(
        message = "entities of one table must share a partition-key type, but `{Self}` differs from `{K}`",
        label = "this entity's `#[pk]` fields have a different type than the table's first entity",
        note = "a whole-partition query reads every entity of the table by one partition key: give all of them `#[pk]` fields of the same types, in the same order"
    )]
    pub trait SamePartitionKey<K> {}

    impl<K> SamePartitionKey<K> for K {}

    /// Byte-wise string equality in `const` context, for the table checks.
    pub const fn str_eq(a: &str, b: &str) -> bool {
        let (a, b) = (a.as_bytes(), b.as_bytes());
        if a.len() != b.len() {
            return false;
        }
        let mut i = 0;
        while i < a.len() {
            if a[i] != b[i] {
                return false;
            }
            i += 1;
        }
        true
    }

    /// `Option<&str>` equality in `const` context.
    pub const fn opt_str_eq(a: Option<&str>, b: Option<&str>) -> bool {
        match (a, b) {
            (Some(a), Some(b)) => str_eq(a, b),
            (None, None) => true,
            _ => false,
        }
    }
}

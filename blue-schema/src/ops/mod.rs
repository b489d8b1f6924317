//! The backend-neutral operations: what a [`Store`](crate::Store) hands a
//! backend, and what comes back.
//!
//! A backend never sees a Rust entity type, and this module names no
//! backend's types: an item to write is `WriteItem<I>`, where `I` is the
//! backend's own encoding of the entity (JSON text for SQLite, attribute
//! values for DynamoDB), made by the backend itself after the store checked
//! DynamoDB's [limits](crate::limits). Every value here is owned, so an
//! operation can move to the thread or task that runs it.

pub(crate) mod action;
pub(crate) mod apply;
pub(crate) mod check;
pub(crate) mod cond;
pub(crate) mod cursor;
pub(crate) mod decode;
pub mod key_condition;
pub(crate) mod query;

use crate::limits;
use crate::limits::LimitError;
use crate::schema::{EntitySchema, TableSchema};
use action::{Action, Returning};
use check::Checks;
use cursor::Position;
use decode::AnyDecoder;
use query::QuerySpec;

/// The full key of one item in one table, checked against the key limits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct ItemKey {
    pub(crate) table: &'static str,
    pub(crate) partition_key: String,
    pub(crate) sort_key: String,
}

impl ItemKey {
    /// What keys are sorted by to find one among many (a batch read's
    /// repeated keys, the place of an item it read): sort key first, since
    /// a batch's keys mostly share their partition and table, and so
    /// mostly differ at the first comparison. Equal exactly when the keys
    /// are.
    pub(crate) fn search_order(&self) -> (&str, &str, &'static str) {
        Self::order_of(self.table, &self.partition_key, &self.sort_key)
    }

    /// [`search_order`](ItemKey::search_order) of the key with these parts
    /// (an item read back, whose key is not an `ItemKey`).
    pub(crate) fn order_of<'k>(
        table: &'static str,
        partition_key: &'k str,
        sort_key: &'k str,
    ) -> (&'k str, &'k str, &'static str) {
        (sort_key, partition_key, table)
    }

    /// The key as an error names it.
    pub(crate) fn action_key(&self) -> crate::error::ActionKey {
        crate::error::ActionKey {
            table: self.table,
            partition_key: self.partition_key.clone(),
            sort_key: self.sort_key.clone(),
        }
    }

    /// A checked key.
    pub(crate) fn new(
        table: &'static str,
        partition_key: String,
        sort_key: String,
    ) -> Result<Self, LimitError> {
        limits::check::check_key(&partition_key, &sort_key)?;
        Ok(ItemKey {
            table,
            partition_key,
            sort_key,
        })
    }

    /// The keys of the item with this key, to decode it (read without its
    /// write times).
    pub(crate) fn stored(&self) -> decode::StoredKeys<'_> {
        decode::StoredKeys {
            table: self.table,
            partition_key: &self.partition_key,
            sort_key: &self.sort_key,
            created_at: "",
            updated_at: "",
        }
    }
}

/// An item to write, checked against every limit, in the backend's own
/// encoding `I`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct WriteItem<I> {
    pub(crate) key: ItemKey,
    pub(crate) data: I,
    /// The item's size as DynamoDB computes it, key, `created_at` and
    /// `updated_at` included.
    pub(crate) size: usize,
    /// The `created_at` to store if the item does not exist yet (or always,
    /// for a copy).
    pub(crate) created_at: String,
    /// The `updated_at` to store when it is not `created_at`: a copy's
    /// (the source's; empty when the source item has none). `None` for a
    /// write, whose time is both: one string, not two.
    pub(crate) updated_at: Option<String>,
}

impl<I> WriteItem<I> {
    /// The write times it stores.
    pub(crate) fn stamps(&self) -> crate::limits::check::Stamps<'_> {
        crate::limits::check::Stamps {
            created_at: &self.created_at,
            updated_at: self.updated_at(),
        }
    }

    /// The `updated_at` it stores.
    pub(crate) fn updated_at(&self) -> &str {
        self.updated_at.as_deref().unwrap_or(&self.created_at)
    }
}

/// Write one item.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Put<I> {
    pub(crate) item: WriteItem<I>,
    /// `true` for `create`: fail with [`Error::AlreadyExists`](crate::Error::AlreadyExists)
    /// instead of replacing an existing item (also in `checks`).
    pub(crate) if_not_exists: bool,
    /// The entity's schema: every attribute it can store, so that a
    /// replacing write knows which ones the new item lacks.
    pub(crate) entity: &'static EntitySchema,
    /// What the stored item must satisfy.
    pub(crate) checks: Checks,
    /// Decodes the stored item when a check fails.
    pub(crate) decode: AnyDecoder,
}

impl<I> Put<I> {
    /// Whether the put checks nothing but `create`'s "no item yet" and
    /// whether an item it replaces has expired: what one statement, or one
    /// request, can check as it writes.
    #[cfg_attr(not(feature = "dynamodb"), allow(dead_code))]
    pub(crate) fn checks_only_expiry(&self) -> bool {
        self.checks.expiry.is_some()
            && self.checks.user.is_none()
            && (self.checks.version.is_none() || self.if_not_exists)
    }

    /// Whether the put checks nothing a whole-item replace cannot: the
    /// stored shape and expiry, not a condition or a version.
    pub(crate) fn checks_only_shape_and_expiry(&self) -> bool {
        self.checks.user.is_none() && (self.checks.version.is_none() || self.if_not_exists)
    }

    /// Whether the put checks more than `create`'s "no item yet": also
    /// whether an item it replaces has expired.
    #[cfg_attr(not(feature = "dynamodb"), allow(dead_code))]
    pub(crate) fn is_conditional(&self) -> bool {
        self.checks.user.is_some()
            || self.checks.version.is_some() && !self.if_not_exists
            || self.checks.expiry.is_some()
            || self.checks.shape.is_some() && !self.if_not_exists
    }
}

/// Change one item in place.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct UpdateOp {
    pub(crate) key: ItemKey,
    pub(crate) actions: Vec<Action>,
    pub(crate) checks: Checks,
    pub(crate) returning: Returning,
    /// The key fields' attributes, when the update may create the item.
    pub(crate) create: Option<Vec<(&'static str, serde_json::Value)>>,
    /// The time of the write: the new `updated_at`, and `created_at` for an
    /// item the update creates.
    pub(crate) now: String,
    pub(crate) decode: AnyDecoder,
    pub(crate) entity: &'static EntitySchema,
    /// Whether a backend that keeps the item's size (SQLite) must measure
    /// the whole item again rather than swap the changed attributes'
    /// sizes in the stored one: a reindex, which repairs items another
    /// tool changed behind the library's back.
    pub(crate) measure_whole: bool,
}

/// Check a condition on one item, in a transaction.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Check {
    pub(crate) key: ItemKey,
    pub(crate) checks: Checks,
    pub(crate) decode: AnyDecoder,
}

/// One action of a write transaction.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TxAction<I> {
    Put(Put<I>),
    Update(UpdateOp),
    Delete(Delete),
    Check(Check),
}

impl<I> TxAction<I> {
    pub(crate) fn key(&self) -> &ItemKey {
        match self {
            TxAction::Put(p) => &p.item.key,
            TxAction::Update(u) => &u.key,
            TxAction::Delete(d) => &d.key,
            TxAction::Check(c) => &c.key,
        }
    }
}

impl TxAction<std::convert::Infallible> {
    /// An action that holds no item (an update, a delete or a check) as an
    /// action of a transaction whose puts hold items of type `I`.
    pub(crate) fn without_item<I>(self) -> TxAction<I> {
        match self {
            TxAction::Put(p) => match p.item.data {},
            TxAction::Update(u) => TxAction::Update(u),
            TxAction::Delete(d) => TxAction::Delete(d),
            TxAction::Check(c) => TxAction::Check(c),
        }
    }
}

/// A write transaction: all actions or none.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TransactWrite<I> {
    /// In the backend's encoding, made when each was added to the
    /// [`Transaction`](crate::store::Transaction), and shared with it.
    pub(crate) actions: std::sync::Arc<Vec<TxAction<I>>>,
    /// The idempotency token, and a digest of the actions it stands for.
    pub(crate) token: Option<(String, String)>,
}

/// Read several items by key: a batch (`BatchGetItem`) or a transaction
/// (`TransactGetItems`, one snapshot). Keys are distinct.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct GetMany {
    pub(crate) keys: Vec<ItemKey>,
    pub(crate) transactional: bool,
}

/// Write many items of one table. Keys are distinct; the store checks.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PutBatch<I> {
    pub(crate) table: &'static str,
    pub(crate) items: Vec<WriteItem<I>>,
    /// `false` (a `put_all`): an item that replaces one keeps the old
    /// `created_at`. `true` (copying a table): every item is written with
    /// its own `created_at` and `updated_at`.
    pub(crate) keep_stamps: bool,
    /// A `put_all`'s in a table with a TTL attribute: an item it replaces
    /// that has expired is replaced as if it were gone (a new `created_at`).
    pub(crate) expiry: Option<check::Expiry>,
}

/// Read one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Get {
    pub(crate) key: ItemKey,
    pub(crate) consistent: bool,
}

/// Delete one item; deleting a missing item is not an error.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Delete {
    pub(crate) key: ItemKey,
    /// Whether to return the deleted item.
    pub(crate) return_old: bool,
    /// What the stored item must satisfy.
    pub(crate) checks: Checks,
    /// Decodes the stored item when a check fails.
    pub(crate) decode: Option<AnyDecoder>,
}

/// Read one page of a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QueryPage {
    /// The query, already validated; shared by the pages of one read.
    pub(crate) spec: std::sync::Arc<QuerySpec>,
    /// The position to continue after (before, for a descending query),
    /// decoded from the query's cursor or the previous page.
    pub(crate) start: Option<Position>,
    /// The most items this page evaluates: the query's page size, or fewer
    /// when a `take` needs fewer.
    pub(crate) limit: Option<u32>,
}

/// Read one page of a whole table, for copying it: every partition, in
/// the backend's order (by key on SQLite, by DynamoDB's hash of the
/// partition key there).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ScanPage {
    pub(crate) table: &'static str,
    /// The key to continue after, from the previous page.
    pub(crate) resume_after: Option<(String, String)>,
    /// The most items to read; a page also stops at 1 MB.
    pub(crate) limit: Option<u32>,
    /// `(segment, of)`: the segment of a parallel scan (DynamoDB's
    /// `Segment` and `TotalSegments`), on a backend that scans in
    /// parallel ([`Engine::PARALLEL_SCAN`](crate::backend::engine::Engine::PARALLEL_SCAN)).
    pub(crate) segment: Option<(u32, u32)>,
}

/// Delete the items of a table that expired before `now` (an epoch
/// second), by its TTL attribute.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SweepExpired {
    pub(crate) table: &'static TableSchema,
    #[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
    pub(crate) attribute: &'static str,
    #[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
    pub(crate) now: u64,
}

/// Create a table if it does not exist.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CreateTable {
    pub(crate) table: &'static TableSchema,
}

/// Items counted by entity and stored shape.
pub(crate) type Shapes = std::collections::BTreeMap<(&'static str, u64), usize>;

/// What a query page found.
#[derive(Debug)]
pub(crate) struct PageOf<T> {
    /// The items `T` recognised, decoded, in the query's order.
    pub(crate) items: Vec<T>,
    /// Items the page evaluated but `T` does not recognise.
    pub(crate) unknown: usize,
    /// The items decoded as entities with older shapes, by entity and
    /// stored shape ([`crate::schema::shape`]).
    pub(crate) shapes: Shapes,
    /// Where the next page starts, when more items may follow.
    pub(crate) next: Option<Position>,
    /// The bytes of the items the page evaluated (what DynamoDB charges a
    /// page for); SQLite counts them, DynamoDB reports units instead (0).
    #[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
    pub(crate) read_bytes: usize,
}

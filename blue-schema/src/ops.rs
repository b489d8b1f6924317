//! The backend-neutral operations: what a [`Store`](crate::Store) hands a
//! [`Backend`](crate::backend::Backend), and what comes back.
//!
//! A backend never sees a Rust entity type. Writes arrive as a [`WriteItem`],
//! which can only be built by checking DynamoDB's [limits](crate::limits), so
//! a backend may trust every write it receives; reads come back as
//! [`StoredItem`]s, which the store decodes.

use crate::item::Item;
use crate::limits::{self, LimitError};
use crate::query::QuerySpec;

/// The full key of one item in one table, checked against the key limits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ItemKey {
    table: &'static str,
    partition_key: String,
    sort_key: String,
}

impl ItemKey {
    /// A checked key.
    ///
    /// # Errors
    ///
    /// [`LimitError`] for an empty or too long partition or sort key.
    pub fn new(
        table: &'static str,
        partition_key: String,
        sort_key: String,
    ) -> Result<Self, LimitError> {
        limits::check_key(&partition_key, &sort_key)?;
        Ok(ItemKey {
            table,
            partition_key,
            sort_key,
        })
    }

    /// The table.
    pub fn table(&self) -> &'static str {
        self.table
    }

    /// The encoded partition key.
    pub fn partition_key(&self) -> &str {
        &self.partition_key
    }

    /// The encoded sort key.
    pub fn sort_key(&self) -> &str {
        &self.sort_key
    }
}

/// An item to write, checked against every limit.
#[derive(Debug, Clone, PartialEq)]
pub struct WriteItem {
    key: ItemKey,
    item: Item,
    size: usize,
    created_at: String,
}

impl WriteItem {
    /// Checks `item` for storage under the key, stamped `created_at` (RFC 3339)
    /// if it is new.
    ///
    /// # Errors
    ///
    /// The first [`LimitError`] the key or the item breaks.
    pub fn new(
        table: &'static str,
        partition_key: String,
        sort_key: String,
        item: Item,
        created_at: String,
    ) -> Result<Self, LimitError> {
        let size = limits::check_item(&partition_key, &sort_key, created_at.len(), &item)?;
        Ok(WriteItem {
            key: ItemKey {
                table,
                partition_key,
                sort_key,
            },
            item,
            size,
            created_at,
        })
    }

    /// The item's key.
    pub fn key(&self) -> &ItemKey {
        &self.key
    }

    /// The entity's attributes.
    pub fn item(&self) -> &Item {
        &self.item
    }

    /// The item's size as DynamoDB computes it, key and `created_at` included.
    pub fn size(&self) -> usize {
        self.size
    }

    /// The `created_at` to store if the item does not exist yet.
    pub fn created_at(&self) -> &str {
        &self.created_at
    }
}

/// Read one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Get {
    /// Its key.
    pub key: ItemKey,
}

/// Write one item.
#[derive(Debug, Clone, PartialEq)]
pub struct Put {
    /// The item.
    pub item: WriteItem,
    /// `true` for `create`: fail with [`Error::AlreadyExists`](crate::Error::AlreadyExists)
    /// instead of replacing an existing item.
    pub if_not_exists: bool,
}

/// Write many items of one table. Keys are distinct; the store checks.
#[derive(Debug, Clone, PartialEq)]
pub struct PutBatch {
    /// The table.
    pub table: &'static str,
    /// The items.
    pub items: Vec<WriteItem>,
}

/// Delete one item; deleting a missing item is not an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delete {
    /// Its key.
    pub key: ItemKey,
    /// Whether to return the deleted item.
    pub return_old: bool,
}

/// Read one page of a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryPage {
    /// The query, already validated.
    pub spec: QuerySpec,
    /// The sort key to continue after (before, for a descending query),
    /// decoded from the query's cursor.
    pub resume_after: Option<String>,
}

/// One item as a backend read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredItem {
    /// The table it was read from.
    pub table: &'static str,
    /// The partition key.
    pub partition_key: String,
    /// The sort key.
    pub sort_key: String,
    /// When the item was first written (RFC 3339, UTC).
    pub created_at: String,
    /// The entity's attributes.
    pub data: ItemData,
}

/// The attributes of a stored item, in the form the backend holds them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ItemData {
    /// A JSON object, as the SQLite backend stores it.
    Json(String),
}

impl StoredItem {
    /// The entity's attributes as a JSON object.
    pub fn to_json(&self) -> serde_json::Value {
        match &self.data {
            ItemData::Json(text) => {
                serde_json::from_str(text).unwrap_or(serde_json::Value::String(text.clone()))
            }
        }
    }
}

/// One page of stored items.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ItemPage {
    /// The items, in the query's order.
    pub items: Vec<StoredItem>,
    /// The sort key of the last item read when more may follow; the store
    /// turns it into the page's cursor.
    pub last_evaluated: Option<String>,
}

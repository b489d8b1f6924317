//! The backend-neutral operations: what a [`Store`](crate::Store) hands a
//! [`Backend`](crate::backend::Backend), and what comes back.
//!
//! A backend never sees a Rust entity type. Writes arrive as a [`WriteItem`]
//! in the backend's [`ItemFormat`], which only the store builds, after
//! checking DynamoDB's [limits], so a backend may trust every
//! write it receives; reads come back as [`ItemRef`]s or [`StoredItem`]s,
//! which the store decodes.

use std::borrow::Cow;
#[cfg(feature = "dynamodb")]
use std::collections::HashMap;

#[cfg(feature = "dynamodb")]
use aws_sdk_dynamodb::types::AttributeValue;

use crate::limits::{self, LimitError};
use crate::query::QuerySpec;

/// The full key of one item in one table, checked against the key limits;
/// borrowed from a typed [`Key`](crate::Key) for reads and deletes, owned by
/// a [`WriteItem`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ItemKey<'a> {
    table: &'static str,
    partition_key: Cow<'a, str>,
    sort_key: Cow<'a, str>,
}

impl<'a> ItemKey<'a> {
    /// A checked key.
    ///
    /// # Errors
    ///
    /// [`LimitError`] for an empty or too long partition or sort key.
    pub fn new(
        table: &'static str,
        partition_key: impl Into<Cow<'a, str>>,
        sort_key: impl Into<Cow<'a, str>>,
    ) -> Result<Self, LimitError> {
        let (partition_key, sort_key) = (partition_key.into(), sort_key.into());
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

/// An item to write, checked against every limit, in the backend's
/// [`ItemFormat`].
#[derive(Debug, Clone, PartialEq)]
pub struct WriteItem {
    key: ItemKey<'static>,
    data: ItemData,
    size: usize,
    created_at: String,
}

impl WriteItem {
    /// Only the store builds write items, after
    /// [`limits::check_item`](crate::limits::check_item) passed.
    pub(crate) fn new(
        table: &'static str,
        partition_key: String,
        sort_key: String,
        data: ItemData,
        size: usize,
        created_at: String,
    ) -> Self {
        WriteItem {
            key: ItemKey {
                table,
                partition_key: Cow::Owned(partition_key),
                sort_key: Cow::Owned(sort_key),
            },
            data,
            size,
            created_at,
        }
    }

    /// The item's key.
    pub fn key(&self) -> &ItemKey<'static> {
        &self.key
    }

    /// The entity's attributes, in the format the backend asked for.
    pub fn data(&self) -> &ItemData {
        &self.data
    }

    /// The key, the attributes and the `created_at`, by value.
    pub fn into_parts(self) -> (ItemKey<'static>, ItemData, String) {
        (self.key, self.data, self.created_at)
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

/// The form in which a backend takes an entity's attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ItemFormat {
    /// A JSON object: `serde_json::to_string(&entity)`.
    Json,
    /// DynamoDB attribute values: `serde_dynamo::to_item(&entity)`, one
    /// top-level attribute per field.
    #[cfg(feature = "dynamodb")]
    AttributeValues,
}

/// Read one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Get<'a> {
    /// Its key.
    pub key: ItemKey<'a>,
    /// Whether the item handed to the sink needs its `created_at`.
    pub with_created_at: bool,
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
    /// `false` (a `put_all`): an item that replaces one keeps the old
    /// `created_at`. `true` (copying a table): every item is written with
    /// its own `created_at`.
    pub replace_created_at: bool,
}

/// Read one page of a whole table, for copying it: every partition, in
/// the backend's order (by key on SQLite, by DynamoDB's hash of the
/// partition key there).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanPage {
    /// The table.
    pub table: &'static str,
    /// The key to continue after, from the previous page.
    pub resume_after: Option<(String, String)>,
    /// The most items to read; a page also stops at 1 MB.
    pub limit: Option<u32>,
}

/// Delete one item; deleting a missing item is not an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delete<'a> {
    /// Its key.
    pub key: ItemKey<'a>,
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
    /// Whether the items handed to the sink need their `created_at`; typed
    /// reads do not, and skipping it saves a column per row.
    pub with_created_at: bool,
}

/// One item as a backend read it.
#[derive(Debug, Clone, PartialEq)]
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

/// The attributes of an item, in the form the backend holds them.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ItemData {
    /// A JSON object, as the SQLite backend stores it.
    Json(String),
    /// Attribute values, as the DynamoDB backend stores them: the entity's
    /// attributes only, without `pk`, `sk` and `created_at`.
    #[cfg(feature = "dynamodb")]
    AttributeValues(HashMap<String, AttributeValue>),
}

impl StoredItem {
    /// The entity's attributes as a JSON object.
    pub fn to_json(&self) -> serde_json::Value {
        match &self.data {
            ItemData::Json(text) => {
                serde_json::from_str(text).unwrap_or(serde_json::Value::String(text.clone()))
            }
            #[cfg(feature = "dynamodb")]
            ItemData::AttributeValues(item) => serde_dynamo::from_item(item.clone())
                .unwrap_or_else(|e| serde_json::Value::String(format!("<{e}>"))),
        }
    }
}

/// One item as a backend hands it to a query's sink, borrowed from the
/// backend's response so that decoding copies nothing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ItemRef<'a> {
    /// The table it was read from.
    pub table: &'static str,
    /// The partition key.
    pub partition_key: &'a str,
    /// The sort key.
    pub sort_key: &'a str,
    /// When the item was first written (RFC 3339, UTC); `None` when the
    /// operation did not ask for it ([`QueryPage::with_created_at`]).
    pub created_at: Option<&'a str>,
    /// The entity's attributes.
    pub data: ItemDataRef<'a>,
}

/// The attributes of an [`ItemRef`].
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum ItemDataRef<'a> {
    /// A JSON object.
    Json(&'a str),
    /// Attribute values, without `pk`, `sk` and `created_at`.
    #[cfg(feature = "dynamodb")]
    AttributeValues(&'a HashMap<String, AttributeValue>),
}

impl ItemRef<'_> {
    /// An owned copy.
    pub fn to_stored(&self) -> StoredItem {
        StoredItem {
            table: self.table,
            partition_key: self.partition_key.to_owned(),
            sort_key: self.sort_key.to_owned(),
            created_at: self.created_at.unwrap_or_default().to_owned(),
            data: match self.data {
                ItemDataRef::Json(text) => ItemData::Json(text.to_owned()),
                #[cfg(feature = "dynamodb")]
                ItemDataRef::AttributeValues(item) => ItemData::AttributeValues(item.clone()),
            },
        }
    }
}

impl StoredItem {
    /// A borrowed view.
    pub fn as_item_ref(&self) -> ItemRef<'_> {
        ItemRef {
            table: self.table,
            partition_key: &self.partition_key,
            sort_key: &self.sort_key,
            created_at: Some(&self.created_at),
            data: match &self.data {
                ItemData::Json(text) => ItemDataRef::Json(text),
                #[cfg(feature = "dynamodb")]
                ItemData::AttributeValues(item) => ItemDataRef::AttributeValues(item),
            },
        }
    }
}

/// Where a query page's items go, one at a time and in order; an error
/// stops the page.
pub type ItemSink<'a> = dyn FnMut(ItemRef<'_>) -> Result<(), crate::Error> + Send + 'a;

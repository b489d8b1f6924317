//! Copying a table from one store to another: ADR 0018's migration path,
//! from the SQLite database a project started on to DynamoDB (or back, for a
//! local copy of production data).
//!
//! ```no_run
//! # use blue_schema::{Entity, Store, Table};
//! # #[derive(Table)]
//! # #[table(name = "blue_dialogue")]
//! # enum Dialogue { Expert(Expert) }
//! # #[derive(Entity, serde::Serialize, serde::Deserialize)]
//! # #[entity(table = Dialogue)]
//! # #[sk(prefix = "EXPERT")]
//! # struct Expert { #[pk] dialogue_id: String, #[sk] name: String }
//! # async fn f() -> Result<(), blue_schema::Error> {
//! let sqlite = Store::open("sqlite://blue.db").await?;
//! let dynamodb = Store::open("dynamodb://?region=eu-west-1").await?;
//! let report = blue_schema::migrate::copy_table::<Dialogue>(&sqlite, &dynamodb).await?;
//! println!("copied {} items in {} batches", report.copied, report.batches);
//! # Ok(()) }
//! ```

use crate::backend::Backend;
use crate::limits::{self, CheckError};
use crate::ops::{ItemData, ItemDataRef, ItemFormat, ItemRef, PutBatch, ScanPage, WriteItem};
use crate::schema::Table;
use crate::{Error, Store};

/// Items per write request on DynamoDB (`BatchWriteItem`'s maximum).
pub const BATCH_ITEMS: usize = 25;
/// Items read from the source per page (a page also stops at 1 MB).
const SCAN_PAGE_ITEMS: u32 = 1000;
/// Items gathered before they are written, a multiple of [`BATCH_ITEMS`].
const WRITE_CHUNK: usize = 20 * BATCH_ITEMS;

/// What [`copy_table`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CopyReport {
    /// The table.
    pub table: &'static str,
    /// Items read from the source and written to the target.
    pub copied: u64,
    /// Batches of at most [`BATCH_ITEMS`] items written: ⌈copied / 25⌉.
    /// (DynamoDB's unprocessed items are retried inside a batch, each retry
    /// one more request.)
    pub batches: u64,
    /// Items the target table holds after the copy, counted by reading it.
    pub target_items: u64,
}

/// Copies every item of table `T` from `from` into `to`, creating the table
/// in `to` if needed, then counts the items in `to`.
///
/// Each item keeps its keys, its attributes and its `created_at`; an item
/// already in `to` with the same key is replaced. Running the copy again
/// writes the same items again, so an interrupted copy is finished by
/// running it again. Items are read a page at a time and written in batches
/// of 25 (on DynamoDB, `BatchWriteItem`, retrying unprocessed items with
/// backoff), so a copy of n items sends ⌈n/25⌉ write requests when
/// DynamoDB processes every batch at once.
///
/// Every item is checked against DynamoDB's limits before its batch is
/// written.
///
/// # Errors
///
/// [`Error::CountMismatch`] when `to` ends up with another number of items
/// than were copied (it held other items, or someone wrote to it during
/// the copy); [`Error::Limit`] or [`Error::Decode`] for a source item that
/// cannot be written (nothing of its batch is written); the errors of the
/// backends.
pub async fn copy_table<T: Table>(from: &Store, to: &Store) -> Result<CopyReport, Error> {
    let table = T::SCHEMA.name;
    to.create_table::<T>().await?;
    let source = from.backend();
    let target = to.backend();
    let format = target.item_format();
    let mut report = CopyReport {
        table,
        copied: 0,
        batches: 0,
        target_items: 0,
    };
    let mut pending: Vec<WriteItem> = Vec::with_capacity(WRITE_CHUNK + SCAN_PAGE_ITEMS as usize);
    let mut page = ScanPage {
        table,
        resume_after: None,
        limit: Some(SCAN_PAGE_ITEMS),
    };
    loop {
        let mut sink = |item: ItemRef<'_>| {
            pending.push(convert(item, format)?);
            Ok(())
        };
        let next = source.scan(&page, &mut sink).await?;
        let done = next.is_none();
        // Write whole batches; keep the rest for the next page, so that
        // pages cut by the 1 MB rule do not cost extra requests.
        let ready = if done {
            pending.len()
        } else {
            pending.len() / WRITE_CHUNK * WRITE_CHUNK
        };
        if ready > 0 {
            let rest = pending.split_off(ready);
            let items = std::mem::replace(&mut pending, rest);
            report.copied += items.len() as u64;
            report.batches += items.len().div_ceil(BATCH_ITEMS) as u64;
            write(target, table, items).await?;
        }
        match next {
            Some(key) => page.resume_after = Some(key),
            None => break,
        }
    }
    report.target_items = count(target, table).await?;
    if report.target_items != report.copied {
        return Err(Error::CountMismatch {
            table,
            copied: report.copied,
            found: report.target_items,
        });
    }
    Ok(report)
}

/// Writes items in batches of [`BATCH_ITEMS`], each item with its own
/// `created_at`.
async fn write(
    target: &dyn Backend,
    table: &'static str,
    items: Vec<WriteItem>,
) -> Result<(), Error> {
    target
        .put_batch(PutBatch {
            table,
            items,
            replace_created_at: true,
        })
        .await
}

/// The number of items in a table, counted by reading it.
async fn count(backend: &dyn Backend, table: &'static str) -> Result<u64, Error> {
    let mut page = ScanPage {
        table,
        resume_after: None,
        limit: None,
    };
    let mut n = 0u64;
    loop {
        let mut sink = |_: ItemRef<'_>| {
            n += 1;
            Ok(())
        };
        match backend.scan(&page, &mut sink).await? {
            Some(key) => page.resume_after = Some(key),
            None => return Ok(n),
        }
    }
}

/// A stored item, checked and rewritten in the target's format.
fn convert(item: ItemRef<'_>, format: ItemFormat) -> Result<WriteItem, Error> {
    let decode_error = |source: crate::BoxError| Error::Decode {
        table: item.table,
        partition_key: item.partition_key.to_owned(),
        sort_key: item.sort_key.to_owned(),
        source,
    };
    let value: serde_json::Value = match item.data {
        ItemDataRef::Json(text) => {
            serde_json::from_str(text).map_err(|e| decode_error(e.into()))?
        }
        #[cfg(feature = "dynamodb")]
        ItemDataRef::AttributeValues(attributes) => {
            serde_dynamo::from_item(attributes.clone()).map_err(|e| decode_error(e.into()))?
        }
    };
    let created_at = item.created_at.unwrap_or_default();
    let size = limits::check_item(item.partition_key, item.sort_key, created_at.len(), &value)
        .map_err(|e| match e {
            CheckError::Limit(e) => Error::Limit(e),
            CheckError::NotAnItem(e) => decode_error(e.into()),
        })?;
    // Same format: the stored form as it is (JSON keeps its attribute order,
    // attribute values their exact types); otherwise through the JSON value.
    let data = match (item.data, format) {
        (ItemDataRef::Json(text), ItemFormat::Json) => ItemData::Json(text.to_owned()),
        #[allow(unreachable_patterns)] // without `dynamodb`, JSON is the only format
        (_, ItemFormat::Json) => ItemData::Json(value.to_string()),
        #[cfg(feature = "dynamodb")]
        (ItemDataRef::AttributeValues(attributes), ItemFormat::AttributeValues) => {
            ItemData::AttributeValues(attributes.clone())
        }
        #[cfg(feature = "dynamodb")]
        (_, ItemFormat::AttributeValues) => ItemData::AttributeValues(
            serde_dynamo::to_item(&value).map_err(|e| decode_error(e.into()))?,
        ),
    };
    Ok(WriteItem::new(
        item.table,
        item.partition_key.to_owned(),
        item.sort_key.to_owned(),
        data,
        size,
        created_at.to_owned(),
    ))
}

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

use std::any::Any;

use crate::backend::{with_engine, Engine, RawItem};
use crate::limits::{self, CheckError, LimitError, MAX_ITEM_BYTES};
use crate::ops::{ItemKey, PutBatch, ScanPage, StoredKeys, WriteItem};
use crate::schema::Table;
use crate::write::MapWithSets;
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
/// Each item keeps its keys, its attributes, its `created_at` and its
/// `updated_at`; an item already in `to` with the same key is replaced.
/// Running the copy again
/// writes the same items again, so an interrupted copy is finished by
/// running it again. Items are read a page at a time and written in batches
/// of 25 (on DynamoDB, `BatchWriteItem`, retrying unprocessed items with
/// backoff), so a copy of n items sends ⌈n/25⌉ write requests when
/// DynamoDB processes every batch at once.
///
/// Between stores of the same backend an item is copied as stored (so
/// DynamoDB's sets and binary attributes stay what they are); between
/// backends it goes through JSON and is checked against DynamoDB's limits
/// before its batch is written. In a table with secondary indexes every
/// item goes through JSON, and its index keys are computed again from its
/// fields (an item of no entity of the table keeps none), so the copy's
/// indexes hold what the schema says even where the source's did not.
///
/// # Errors
///
/// [`Error::CountMismatch`] when `to` ends up with another number of items
/// than were copied (it held other items, or someone wrote to it during
/// the copy); [`Error::Limit`] or [`Error::Decode`] for a source item that
/// cannot be written (nothing of its batch is written); the errors of the
/// backends.
pub async fn copy_table<T: Table>(from: &Store, to: &Store) -> Result<CopyReport, Error> {
    to.create_table::<T>().await?;
    with_engine!(&from.backend, source => {
        with_engine!(&to.backend, target => copy::<_, _, T>(source, target).await)
    })
}

async fn copy<A: Engine, B: Engine, T: Table>(source: &A, target: &B) -> Result<CopyReport, Error> {
    let schema = &T::SCHEMA;
    let table = schema.name;
    let mut report = CopyReport {
        table,
        copied: 0,
        batches: 0,
        target_items: 0,
    };
    let mut pending: Vec<WriteItem<B::Item>> =
        Vec::with_capacity(WRITE_CHUNK + SCAN_PAGE_ITEMS as usize);
    let mut resume_after = None;
    loop {
        let page = source
            .scan(ScanPage {
                table,
                resume_after: resume_after.take(),
                limit: Some(SCAN_PAGE_ITEMS),
            })
            .await?;
        for item in page.items {
            pending.push(convert::<A, B, T>(item)?);
        }
        let done = page.next.is_none();
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
            target
                .put_batch(PutBatch {
                    table,
                    items,
                    keep_stamps: true,
                })
                .await?;
        }
        match page.next {
            Some(key) => resume_after = Some(key),
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

/// The number of items in a table, counted by reading it.
async fn count<B: Engine>(backend: &B, table: &'static str) -> Result<u64, Error> {
    let mut resume_after = None;
    let mut n = 0u64;
    loop {
        let page = backend
            .scan(ScanPage {
                table,
                resume_after,
                limit: None,
            })
            .await?;
        n += page.items.len() as u64;
        match page.next {
            Some(key) => resume_after = Some(key),
            None => return Ok(n),
        }
    }
}

/// A scanned item of `A` as `B` writes it: as stored when `A` and `B` are
/// the same backend, else through JSON, checked against the limits.
fn convert<A: Engine, B: Engine, T: Table>(
    item: RawItem<A::Raw>,
) -> Result<WriteItem<B::Item>, Error> {
    let schema = &T::SCHEMA;
    let table = schema.name;
    // A table with indexes gets every item's index keys computed again
    // from its fields, so the copy's indexes hold what the schema says.
    let rekey = !schema.indexes.is_empty();
    let RawItem {
        partition_key,
        sort_key,
        created_at,
        updated_at,
        data,
    } = item;
    let keys = StoredKeys {
        table,
        partition_key: &partition_key,
        sort_key: &sort_key,
        created_at: &created_at,
        updated_at: &updated_at,
    };
    let mut slot = Some(data);
    let (data, size) = match (&mut slot as &mut dyn Any)
        .downcast_mut::<Option<B::Raw>>()
        .filter(|_| !rekey)
    {
        Some(same) => {
            let raw = same
                .take()
                .ok_or_else(|| Error::backend(B::NAME, "a copied item went missing"))?;
            let (data, size) = B::raw_to_item(raw, keys)?;
            if size > MAX_ITEM_BYTES {
                return Err(LimitError::ItemTooLarge { bytes: size }.into());
            }
            (data, size)
        }
        None => {
            let raw = slot
                .take()
                .ok_or_else(|| Error::backend(A::NAME, "a copied item went missing"))?;
            let mut value = A::raw_to_json(&raw, keys)?;
            if rekey {
                rekey_indexes::<T>(&mut value, keys)?;
            }
            let stamps = limits::Stamps {
                created_at: &created_at,
                updated_at: &updated_at,
            };
            // A `#[set]` attribute reads as a JSON list; it is written as a
            // set again (an empty one left out).
            let sets = schema
                .entity_for_sort_key(&sort_key)
                .map_or(&[][..], |e| e.sets);
            match &value {
                serde_json::Value::Object(map) if !sets.is_empty() => {
                    let item = MapWithSets { map, sets };
                    encode_checked::<B, _>(&item, &partition_key, &sort_key, stamps, keys)?
                }
                _ => encode_checked::<B, _>(&value, &partition_key, &sort_key, stamps, keys)?,
            }
        }
    };
    Ok(WriteItem {
        key: ItemKey::new(table, partition_key, sort_key)?,
        data,
        size,
        created_at,
        updated_at,
    })
}

/// Replaces an item's index keys with the ones its fields give (none for
/// an item of no entity of the table).
fn rekey_indexes<T: Table>(
    value: &mut serde_json::Value,
    keys: StoredKeys<'_>,
) -> Result<(), Error> {
    let wanted = match T::__index_keys_of(keys.partition_key, keys.sort_key, value) {
        Some(found) => found.map_err(|e| keys.decode_error(e))?.1,
        None => Vec::new(),
    };
    if let serde_json::Value::Object(map) = value {
        map.retain(|name, _| !crate::schema::is_index_key_attribute(name));
        for (name, key) in wanted {
            map.insert(name.to_owned(), serde_json::Value::String(key));
        }
    }
    Ok(())
}

/// An item checked against the limits and encoded for `B`: its data and
/// size.
fn encode_checked<B: Engine, T: serde::Serialize>(
    item: &T,
    partition_key: &str,
    sort_key: &str,
    stamps: limits::Stamps<'_>,
    keys: StoredKeys<'_>,
) -> Result<(B::Item, usize), Error> {
    let size = limits::check_item(
        partition_key,
        sort_key,
        stamps,
        item,
        limits::IndexKeys::InItem,
    )
    .map_err(|e| match e {
        CheckError::Limit(e) => Error::Limit(e),
        CheckError::NotAnItem(e) => keys.decode_error(e),
    })?;
    let data = B::encode(item).map_err(|e| keys.decode_error(e))?;
    Ok((data, size))
}

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

mod backfill;

pub use backfill::{
    backfill, BackfillCheckpoint, BackfillOptions, BackfillProgress, BackfillReport, Rewritten,
};
#[doc(hidden)]
pub use backfill::{move_item, rewrite, Backfill};

use std::any::Any;

use crate::backend::engine::{Engine, RawItem};
use crate::backend::with_engine;
use crate::limits::check::CheckError;
use crate::limits::MAX_BATCH_WRITE_ITEMS;
use crate::limits::{self, LimitError, MAX_ITEM_BYTES};
use crate::ops::decode::StoredKeys;
use crate::ops::{ItemKey, PutBatch, ScanPage, WriteItem};
use crate::schema::Table;
use crate::write::MapWithSets;
use crate::{Error, Store};

/// Items read from the source per page (a page also stops at 1 MB).
const SCAN_PAGE_ITEMS: u32 = 1000;
/// Items gathered before they are written, a multiple of [`MAX_BATCH_WRITE_ITEMS`].
const WRITE_CHUNK: usize = 20 * MAX_BATCH_WRITE_ITEMS;

/// What [`copy_table`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CopyReport {
    /// The table.
    pub table: &'static str,
    /// Items read from the source and written to the target.
    pub copied: u64,
    /// Batches of at most [`MAX_BATCH_WRITE_ITEMS`] items written: ⌈copied / 25⌉.
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
                segment: None,
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
            report.batches += items.len().div_ceil(MAX_BATCH_WRITE_ITEMS) as u64;
            target
                .put_batch(PutBatch {
                    table,
                    items,
                    keep_stamps: true,
                    expiry: None,
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
                segment: None,
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
            let value = A::raw_to_json(&raw, keys)?;
            return from_json::<B, T>(partition_key, sort_key, created_at, updated_at, value);
        }
    };
    Ok(WriteItem {
        key: ItemKey::new(table, partition_key, sort_key)?,
        data,
        size,
        created_at,
        updated_at: Some(updated_at),
    })
}

/// An item read as JSON (its attributes, without keys and write times) as
/// `B` writes it, with its index keys computed again, checked against the
/// limits.
pub(crate) fn from_json<B: Engine, T: Table>(
    partition_key: String,
    sort_key: String,
    created_at: String,
    updated_at: String,
    mut value: serde_json::Value,
) -> Result<WriteItem<B::Item>, Error> {
    let schema = &T::SCHEMA;
    let table = schema.name;
    let keys = StoredKeys {
        table,
        partition_key: &partition_key,
        sort_key: &sort_key,
        created_at: &created_at,
        updated_at: &updated_at,
    };
    if !schema.indexes.is_empty() {
        rekey_indexes::<T>(&mut value, keys)?;
    }
    let stamps = limits::check::Stamps {
        created_at: &created_at,
        updated_at: &updated_at,
    };
    // A `#[set]` attribute reads as a JSON list; it is written as a
    // set again (an empty one left out).
    let sets = schema
        .entity_for_sort_key(&sort_key)
        .map_or(&[][..], |e| e.sets);
    let (data, size) = match &value {
        serde_json::Value::Object(map) if !sets.is_empty() => {
            let item = MapWithSets { map, sets };
            encode_checked::<B, _>(&item, &partition_key, &sort_key, stamps, keys)?
        }
        _ => encode_checked::<B, _>(&value, &partition_key, &sort_key, stamps, keys)?,
    };
    Ok(WriteItem {
        key: ItemKey::new(table, partition_key, sort_key)?,
        data,
        size,
        created_at,
        updated_at: Some(updated_at),
    })
}

/// Replaces an item's index keys with the ones its fields give (none for
/// an item of no entity of the table).
fn rekey_indexes<T: Table>(
    value: &mut serde_json::Value,
    keys: StoredKeys<'_>,
) -> Result<(), Error> {
    let wanted = match T::__index_keys_of(keys.partition_key, keys.sort_key, value) {
        Some(found) => found.map_err(|e| keys.decode_error(e))?.index_keys,
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
    stamps: limits::check::Stamps<'_>,
    keys: StoredKeys<'_>,
) -> Result<(B::Item, usize), Error> {
    let size = limits::check::check_item(
        partition_key,
        sort_key,
        stamps,
        item,
        limits::check::IndexKeys::InItem,
    )
    .map_err(|e| match e {
        CheckError::Limit(e) => Error::Limit(e),
        CheckError::NotAnItem(e) => keys.decode_error(e),
    })?;
    let data = B::encode(item).map_err(|e| keys.decode_error(e))?;
    Ok((data, size))
}

/// How a [`copy_resumable`] runs.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CopyOptions {
    /// Continue after this table key (partition, sort) of the source: the
    /// [`Progress::resume_after`] of an interrupted copy. `None` starts at
    /// the beginning.
    pub resume_after: Option<(String, String)>,
    /// Items read from the source per page (a page also stops at 1 MB); a
    /// checkpoint is reported after each page is written.
    pub page_items: u32,
    /// Batches of [`MAX_BATCH_WRITE_ITEMS`] written at once.
    pub in_flight: usize,
    /// At most this many items a second, on average (to leave a
    /// provisioned table's capacity to its application); `None`: as fast
    /// as the target takes them.
    pub items_per_second: Option<u32>,
}

impl Default for CopyOptions {
    fn default() -> Self {
        CopyOptions {
            resume_after: None,
            page_items: SCAN_PAGE_ITEMS,
            in_flight: 4,
            items_per_second: None,
        }
    }
}

impl CopyOptions {
    /// Continue after `key` (from [`Progress::resume_after`]).
    pub fn resume_after(mut self, key: Option<(String, String)>) -> Self {
        self.resume_after = key;
        self
    }

    /// Items per page read from the source (at least 1).
    pub fn page_items(mut self, items: u32) -> Self {
        self.page_items = items.max(1);
        self
    }

    /// Batches written at once (at least 1).
    pub fn in_flight(mut self, batches: usize) -> Self {
        self.in_flight = batches.max(1);
        self
    }

    /// At most `items` a second on average (`None`: no limit).
    pub fn items_per_second(mut self, items: Option<u32>) -> Self {
        self.items_per_second = items.filter(|&n| n > 0);
        self
    }
}

/// Where a running copy stands, after each page it wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Progress {
    /// Items written by this run so far.
    pub copied: u64,
    /// Every source item up to this key is in the target: give it to
    /// [`CopyOptions::resume_after`] to continue an interrupted copy.
    /// `None` once the copy has read the whole source.
    pub resume_after: Option<(String, String)>,
}

/// What a [`copy_resumable`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResumableReport {
    /// The table.
    pub table: &'static str,
    /// Items this run read and wrote.
    pub copied: u64,
    /// Items in the source, and in the target after the copy, counted by
    /// reading both.
    pub source_items: u64,
    /// See `source_items`.
    pub target_items: u64,
}

/// Copies table `T` from `from` into `to` as [`copy_table`] does, a page
/// at a time with several batches in flight, calling `on_page` after each
/// page is written with the key to resume after; an interrupted copy
/// continues from that key ([`CopyOptions::resume_after`]). Rewriting an
/// item the interrupted run already wrote writes the same item, so the
/// target ends with each source item once. At the end both tables are
/// counted.
///
/// Throttled requests are retried with backoff by the DynamoDB backend
/// (and a batch's unprocessed items with it).
///
/// # Errors
///
/// [`Error::CountMismatch`] when the target does not hold as many items as
/// the source (someone wrote to either during the copy, or the target held
/// other items), and the errors of [`copy_table`].
pub async fn copy_resumable<T: Table>(
    from: &Store,
    to: &Store,
    options: CopyOptions,
    on_page: impl FnMut(&Progress) + Send,
) -> Result<ResumableReport, Error> {
    to.create_table::<T>().await?;
    with_engine!(&from.backend, source => {
        with_engine!(&to.backend, target => {
            copy_pages::<_, _, T>(source, target, options, on_page).await
        })
    })
}

async fn copy_pages<A: Engine, B: Engine, T: Table>(
    source: &A,
    target: &B,
    options: CopyOptions,
    mut on_page: impl FnMut(&Progress) + Send,
) -> Result<ResumableReport, Error> {
    let table = T::SCHEMA.name;
    let started = std::time::Instant::now();
    let mut progress = Progress {
        copied: 0,
        resume_after: options.resume_after,
    };
    loop {
        let page = source
            .scan(ScanPage {
                table,
                resume_after: progress.resume_after.clone(),
                limit: Some(options.page_items),
                segment: None,
            })
            .await?;
        let mut items = Vec::with_capacity(page.items.len());
        for item in page.items {
            items.push(convert::<A, B, T>(item)?);
        }
        let written = items.len() as u64;
        while !items.is_empty() {
            let mut batches = Vec::with_capacity(options.in_flight);
            while batches.len() < options.in_flight && !items.is_empty() {
                let rest = items.split_off(items.len().min(MAX_BATCH_WRITE_ITEMS));
                let batch = std::mem::replace(&mut items, rest);
                batches.push(target.put_batch(PutBatch {
                    table,
                    items: batch,
                    keep_stamps: true,
                    expiry: None,
                }));
            }
            join_all(batches).await?;
        }
        progress.copied += written;
        progress.resume_after = page.next;
        on_page(&progress);
        if let Some(rate) = options.items_per_second {
            let due = std::time::Duration::from_secs_f64(progress.copied as f64 / f64::from(rate));
            if let Some(wait) = due.checked_sub(started.elapsed()) {
                crate::exec::sleep(wait).await;
            }
        }
        if progress.resume_after.is_none() {
            break;
        }
    }
    let source_items = count(source, table).await?;
    let target_items = count(target, table).await?;
    if source_items != target_items {
        return Err(Error::CountMismatch {
            table,
            copied: source_items,
            found: target_items,
        });
    }
    Ok(ResumableReport {
        table,
        copied: progress.copied,
        source_items,
        target_items,
    })
}

/// Runs the futures together and gives their outputs in order; the first
/// error ends the wait (the others are dropped: a batch is all or nothing
/// on SQLite, and retried whole by a resumed copy either way).
async fn join_all<T, F: std::future::Future<Output = Result<T, Error>>>(
    futures: Vec<F>,
) -> Result<Vec<T>, Error> {
    use std::task::Poll;
    let mut futures: Vec<Option<std::pin::Pin<Box<F>>>> =
        futures.into_iter().map(|f| Some(Box::pin(f))).collect();
    let mut outputs: Vec<Option<T>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (slot, output) in futures.iter_mut().zip(&mut outputs) {
            if let Some(future) = slot {
                match future.as_mut().poll(cx) {
                    Poll::Ready(Ok(value)) => {
                        *output = Some(value);
                        *slot = None;
                    }
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(Ok(()))
        }
    })
    .await?;
    Ok(outputs.into_iter().flatten().collect())
}

/// Counts the items of table `T` in `store`, by reading it.
///
/// # Errors
///
/// The backend's errors.
pub async fn count_items<T: Table>(store: &Store) -> Result<u64, Error> {
    with_engine!(&store.backend, b => count(b, T::SCHEMA.name).await)
}

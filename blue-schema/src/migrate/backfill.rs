//! Backfills: rewriting the items stored in an older shape in their
//! entity's current one; see [`backfill`].

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::backend::engine::{Engine, RawItem};
use crate::backend::with_engine;
use crate::ops::check::Expiry;
use crate::ops::{Get, ItemKey, ScanPage};
use crate::schema::shape::stored_shape;
use crate::schema::{EntitySchema, Table};
use crate::store::BoxFuture;
use crate::{Error, Store};

use super::join_all;

/// Attempts at rewriting one item that application writes keep changing.
const ATTEMPTS: u32 = 8;

pub use crate::store::Rewritten;

/// A table whose items a backfill can rewrite, implemented by
/// `#[derive(Table)]`: each variant's entity written back.
#[doc(hidden)]
pub trait Backfill: Table {
    /// Writes `self`, decoded from `image`, in its entity's current shape,
    /// conditioned on the stored item still being `image`.
    fn __rewrite<'a>(
        self,
        store: &'a Store,
        image: Map<String, Value>,
    ) -> BoxFuture<'a, Result<Rewritten, Error>>;

    /// Moves an item stored under the old key of the entity whose current
    /// sort-key prefix is `prefix` to its key ([`move_item`]); `stamps`
    /// are when it was created and last written.
    fn __move<'a>(
        store: &'a Store,
        prefix: &'static str,
        partition_key: String,
        sort_key: String,
        image: Map<String, Value>,
        stamps: (String, String),
    ) -> BoxFuture<'a, Result<Rewritten, Error>>;
}

/// Moves an item of entity `E` stored under the old key of a key move
/// ([`key_move`](crate::schema::key_move)) to its key: what the derive's
/// [`Backfill::__move`] calls for the entity whose prefix `__move` is given.
#[doc(hidden)]
pub fn move_item<E: crate::Entity>(
    store: &Store,
    partition_key: String,
    sort_key: String,
    image: Map<String, Value>,
    stamps: (String, String),
) -> BoxFuture<'_, Result<Rewritten, Error>> {
    Box::pin(async move {
        let key = ItemKey {
            table: E::SCHEMA.table,
            partition_key,
            sort_key,
        };
        let stored_keys = key.stored();
        let item = E::from_item(&key.sort_key, &Value::Object(image.clone()))
            .map_err(|e| stored_keys.decode_error(e))?;
        let stamps = (stamps.0.as_str(), stamps.1.as_str());
        crate::store::moves::move_item(store, &key, item, &image, stamps).await
    })
}

/// [`Backfill::__rewrite`] of one entity: what the derive calls.
#[doc(hidden)]
pub fn rewrite<E: crate::Entity>(
    store: &Store,
    item: E,
    image: Map<String, Value>,
) -> BoxFuture<'_, Result<Rewritten, Error>> {
    Box::pin(async move { store.rewrite(item, &image).await })
}

/// How a [`backfill`] runs.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BackfillOptions {
    /// Segments of the table scanned in parallel on DynamoDB (its parallel
    /// `Scan`); SQLite, which has one writer, reads one.
    pub segments: u32,
    /// Items read per page and segment (a page also stops at 1 MB); the
    /// checkpoint moves after each round of pages.
    pub page_items: u32,
    /// Items rewritten at once, per segment.
    pub in_flight: usize,
    /// At most this many items read a second, on average (to leave a
    /// provisioned table's capacity to its application); `None`: as fast
    /// as the store answers.
    pub items_per_second: Option<u32>,
    /// Where an interrupted backfill stood ([`BackfillProgress::checkpoint`]);
    /// `None` starts at the beginning.
    pub resume: Option<BackfillCheckpoint>,
}

impl Default for BackfillOptions {
    fn default() -> Self {
        BackfillOptions {
            segments: 1,
            page_items: 500,
            in_flight: 8,
            items_per_second: None,
            resume: None,
        }
    }
}

impl BackfillOptions {
    /// Parallel scan segments on DynamoDB (1 to 1 000 000).
    pub fn segments(mut self, segments: u32) -> Self {
        self.segments = segments.clamp(1, 1_000_000);
        self
    }

    /// Items per page (at least 1).
    pub fn page_items(mut self, items: u32) -> Self {
        self.page_items = items.max(1);
        self
    }

    /// Items rewritten at once per segment (at least 1).
    pub fn in_flight(mut self, items: usize) -> Self {
        self.in_flight = items.max(1);
        self
    }

    /// At most `items` read a second on average (`None`: no limit).
    pub fn items_per_second(mut self, items: Option<u32>) -> Self {
        self.items_per_second = items.filter(|&n| n > 0);
        self
    }

    /// Continue from `checkpoint` (its segments, whatever [`segments`](Self::segments) says).
    pub fn resume(mut self, checkpoint: Option<BackfillCheckpoint>) -> Self {
        self.resume = checkpoint;
        self
    }
}

/// Where a backfill stands: each segment's last key done. Text (`Display`
/// and `FromStr`, `bluebackfill1:` then JSON) to keep in a file, or serde.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackfillCheckpoint {
    /// Per segment: `None` before its first page, the key its last page
    /// ended at, or done.
    segments: Vec<SegmentState>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
enum SegmentState {
    Start,
    After(String, String),
    Done,
}

const CHECKPOINT_PREFIX: &str = "bluebackfill1:";

impl BackfillCheckpoint {
    fn new(segments: u32) -> Self {
        BackfillCheckpoint {
            segments: vec![SegmentState::Start; segments as usize],
        }
    }

    /// Whether every segment has been read to its end.
    pub fn is_done(&self) -> bool {
        self.segments.iter().all(|s| *s == SegmentState::Done)
    }
}

impl fmt::Display for BackfillCheckpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let json = serde_json::to_string(self).map_err(|_| fmt::Error)?;
        write!(f, "{CHECKPOINT_PREFIX}{json}")
    }
}

impl FromStr for BackfillCheckpoint {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let invalid = |message: String| Error::InvalidUpdate {
            entity: "backfill",
            message: format!("not a backfill checkpoint: {message}"),
        };
        let json = s
            .trim()
            .strip_prefix(CHECKPOINT_PREFIX)
            .ok_or_else(|| invalid(format!("it does not start with `{CHECKPOINT_PREFIX}`")))?;
        let checkpoint: BackfillCheckpoint =
            serde_json::from_str(json).map_err(|e| invalid(e.to_string()))?;
        if checkpoint.segments.is_empty() {
            return Err(invalid("it has no segment".into()));
        }
        Ok(checkpoint)
    }
}

/// Where a running backfill stands, after each round of pages.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BackfillProgress {
    /// Items this run read.
    pub scanned: u64,
    /// Items it rewrote in their entity's current shape.
    pub upgraded: u64,
    /// Give it to [`BackfillOptions::resume`] to go on from here: every
    /// item before it in its segment is done.
    pub checkpoint: BackfillCheckpoint,
}

/// What a [`backfill`] found and did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct BackfillReport {
    /// Items this run read.
    pub scanned: u64,
    /// Items it rewrote in their entity's current shape.
    pub upgraded: u64,
    /// Items it moved from the old key of a key move to their entity's
    /// current key ([`key_move`](crate::schema::key_move)), in the current
    /// shape.
    pub moved: u64,
    /// Items found under both the old key of a key move and the new one,
    /// the old copy written later (an older program wrote it after the
    /// item moved): both left as they are, for the application to merge.
    /// [`check`](crate::export::check_table) keeps counting them as
    /// unmoved.
    pub diverged: u64,
    /// Items already in their entity's current shape.
    pub current: u64,
    /// Items in a shape newer than this program knows (left alone).
    pub newer: u64,
    /// Items that kept changing while the backfill tried to rewrite them,
    /// or were deleted meanwhile: the application's writes won; a second
    /// backfill picks up any of them still old.
    pub raced: u64,
    /// Items that had expired ([`crate::ttl`]): left for the TTL to delete.
    pub expired: u64,
    /// Items of no entity of the table (another program's): left alone.
    pub unknown: u64,
    /// The items read, by entity and the shape they were stored in.
    pub shapes: BTreeMap<(&'static str, u64), u64>,
    /// How long the run took.
    pub elapsed: Duration,
}

impl BackfillReport {
    /// Items read that are still in an older shape than their entity's,
    /// or under an old key: the raced ones (0 after a run in a quiet
    /// table) and the diverged ones (which the application merges).
    pub fn remaining(&self) -> u64 {
        self.raced + self.diverged
    }
}

/// Rewrites every item of table `T` stored in an older shape than its
/// entity's ([`crate::schema::shape`]) in the current shape, while the
/// application keeps running.
///
/// Reads upgrade older items in memory, so a backfill is never needed for
/// correctness; it makes the stored data current (before an older shape's
/// code is deleted, an export, or a key move). It scans the table a page at
/// a time (DynamoDB: in parallel segments), and rewrites each item whose
/// shape is older than its entity's, conditioned on the stored item still
/// being exactly what the scan read (every attribute of every shape, the
/// shape, and the `#[version]`, which it increments). An application write
/// in between makes that condition fail: the backfill reads the item again
/// and, if it is still old (an older program wrote it), tries again;
/// nothing an application wrote is undone, and no lock or downtime is
/// needed. Every rewrite is marked, so that the change feed reports it as
/// [`Origin::Migration`](crate::feed::Origin::Migration).
///
/// An item still under the old key of an entity whose key moves
/// ([`key_move`](crate::schema::key_move)) is moved to its key in the
/// current shape: created there and deleted under the old key, in one
/// transaction, on the same condition ([`BackfillReport::moved`]; an old
/// copy written after the item's new one is left for the application,
/// [`BackfillReport::diverged`]).
///
/// ```no_run
/// # use blue_schema::{Entity, Shape, Store, Table};
/// # #[derive(Table)] #[table(name = "blue_dialogue")] enum Dialogue { Expert(Expert) }
/// # #[derive(Shape, serde::Deserialize)] #[shape(of = Expert, number = 1)]
/// # struct ExpertV1 { d: String, name: String }
/// # #[derive(Entity, serde::Serialize, serde::Deserialize)]
/// # #[entity(table = Dialogue, shape = 2, from = ExpertV1)] #[sk(prefix = "EXPERT")]
/// # struct Expert { #[pk] d: String, #[sk] name: String, tier: u8 }
/// # impl From<ExpertV1> for Expert { fn from(v: ExpertV1) -> Self { Expert { d: v.d, name: v.name, tier: 0 } } }
/// use blue_schema::migrate::{backfill, BackfillOptions};
/// # async fn f() -> Result<(), blue_schema::Error> {
/// let store = Store::open("dynamodb://?region=eu-west-1").await?;
/// let options = BackfillOptions::default().segments(4).items_per_second(Some(500));
/// let report = backfill::<Dialogue>(&store, options, |progress| {
///     // Save `progress.checkpoint` to resume after a crash.
///     println!("{} upgraded, resume with {}", progress.upgraded, progress.checkpoint);
/// })
/// .await?;
/// assert_eq!(report.remaining(), 0);
/// # Ok(()) }
/// ```
///
/// `on_page` is called after each round of pages (one page per segment) with the
/// checkpoint to resume from after an interruption: items before it are
/// done, items after it are read again (an item already rewritten is then
/// current, and left alone).
///
/// # Errors
///
/// [`Error::Decode`] for an item that does not decode (or upgrade) as its
/// entity, with nothing undone (fix it, and resume from the last
/// checkpoint); the backend's errors.
pub async fn backfill<T: Backfill>(
    store: &Store,
    options: BackfillOptions,
    mut on_page: impl FnMut(&BackfillProgress) + Send,
) -> Result<BackfillReport, Error> {
    let started = Instant::now();
    let parallel = with_engine!(&store.backend, b => parallel(b));
    let mut checkpoint = match options.resume.clone() {
        Some(checkpoint) => checkpoint,
        None => BackfillCheckpoint::new(if parallel { options.segments } else { 1 }),
    };
    let of = u32::try_from(checkpoint.segments.len()).unwrap_or(u32::MAX);
    let mut report = BackfillReport::default();
    while !checkpoint.is_done() {
        let pages = checkpoint
            .segments
            .iter()
            .enumerate()
            .filter_map(|(i, state)| {
                let resume_after = match state {
                    SegmentState::Done => return None,
                    SegmentState::Start => None,
                    SegmentState::After(pk, sk) => Some((pk.clone(), sk.clone())),
                };
                let page = ScanPage {
                    table: T::SCHEMA.name,
                    resume_after,
                    limit: Some(options.page_items),
                    segment: (of > 1).then_some((i as u32, of)),
                };
                Some(segment_page::<T>(store, i, page, options.in_flight))
            })
            .collect::<Vec<_>>();
        for (segment, next, part) in join_all(pages).await? {
            checkpoint.segments[segment] = match next {
                Some((pk, sk)) => SegmentState::After(pk, sk),
                None => SegmentState::Done,
            };
            report.merge(part);
        }
        on_page(&BackfillProgress {
            scanned: report.scanned,
            upgraded: report.upgraded,
            checkpoint: checkpoint.clone(),
        });
        if let Some(rate) = options.items_per_second {
            let due = Duration::from_secs_f64(report.scanned as f64 / f64::from(rate));
            if let Some(wait) = due.checked_sub(started.elapsed()) {
                crate::exec::sleep(wait).await;
            }
        }
    }
    report.elapsed = started.elapsed();
    Ok(report)
}

fn parallel<B: Engine>(_: &B) -> bool {
    B::PARALLEL_SCAN
}

impl BackfillReport {
    fn merge(&mut self, other: BackfillReport) {
        self.scanned += other.scanned;
        self.upgraded += other.upgraded;
        self.moved += other.moved;
        self.diverged += other.diverged;
        self.current += other.current;
        self.newer += other.newer;
        self.raced += other.raced;
        self.expired += other.expired;
        self.unknown += other.unknown;
        for (k, n) in other.shapes {
            *self.shapes.entry(k).or_default() += n;
        }
    }
}

/// One segment's page: `(segment, where it ended, what it did)`.
type SegmentPage = (usize, Option<(String, String)>, BackfillReport);

/// Reads one page of one segment and rewrites its older items.
fn segment_page<'s, T: Backfill>(
    store: &'s Store,
    segment: usize,
    page: ScanPage,
    in_flight: usize,
) -> BoxFuture<'s, Result<SegmentPage, Error>> {
    Box::pin(async move {
        let expiry = Expiry::of(T::SCHEMA.ttl, || store.epoch_now());
        let (items, next) = with_engine!(&store.backend, b => {
            let scanned = b.scan(page).await?;
            let mut items = Vec::with_capacity(scanned.items.len());
            for raw in &scanned.items {
                let (key, image) = image_of(b, T::SCHEMA.name, raw)?;
                let written = raw.keys(T::SCHEMA.name).last_written().to_owned();
                items.push((key, image, (raw.created_at.clone(), written)));
            }
            (items, scanned.next)
        });
        let mut report = BackfillReport {
            scanned: items.len() as u64,
            ..BackfillReport::default()
        };
        let mut work = Vec::new();
        let mut moves = Vec::new();
        for (key, image, stamps) in items {
            if key.sort_key == crate::schema::unique::MARKER_SORT_KEY {
                // A unique value's marker: written with its item.
                continue;
            }
            let (entity, old_key) = match T::SCHEMA.entity_for_sort_key(&key.sort_key) {
                Some(entity) => (entity, false),
                None => match T::SCHEMA.entity_moved_from(&key.sort_key) {
                    Some(entity) => (entity, true),
                    None => {
                        report.unknown += 1;
                        continue;
                    }
                },
            };
            let stored = stored_shape(&image);
            *report.shapes.entry((entity.name, stored)).or_default() += 1;
            if expiry.is_some_and(|e| e.has_expired(&image)) {
                report.expired += 1;
                continue;
            }
            if old_key {
                moves.push((key, image, stamps, entity));
                continue;
            }
            match stored.cmp(&u64::from(entity.shape)) {
                std::cmp::Ordering::Equal => report.current += 1,
                std::cmp::Ordering::Greater => report.newer += 1,
                std::cmp::Ordering::Less => work.push((key, image, entity)),
            }
        }
        while !work.is_empty() {
            let rest = work.split_off(work.len().min(in_flight));
            let batch = std::mem::replace(&mut work, rest);
            let futures = batch
                .into_iter()
                .map(|(key, image, entity)| upgrade::<T>(store, key, image, entity))
                .collect();
            for outcome in join_all(futures).await? {
                match outcome {
                    Outcome::Upgraded => report.upgraded += 1,
                    Outcome::Current => report.current += 1,
                    Outcome::Newer => report.newer += 1,
                    Outcome::Raced => report.raced += 1,
                }
            }
        }
        for chunk in moves.chunks(in_flight.max(1)) {
            let futures = chunk
                .iter()
                .map(|(key, image, stamps, entity)| {
                    T::__move(
                        store,
                        entity.prefix,
                        key.partition_key.clone(),
                        key.sort_key.clone(),
                        image.clone(),
                        stamps.clone(),
                    )
                })
                .collect();
            for outcome in join_all(futures).await? {
                match outcome {
                    Rewritten::Upgraded => report.moved += 1,
                    Rewritten::Newer => report.newer += 1,
                    Rewritten::Diverged => report.diverged += 1,
                    // Changed or moved by the application meanwhile: its
                    // write moved it, or a second run will.
                    Rewritten::Raced => report.raced += 1,
                }
            }
        }
        Ok((segment, next, report))
    })
}

/// A scanned item's key and attributes.
fn image_of<B: Engine>(
    _: &B,
    table: &'static str,
    raw: &RawItem<B::Raw>,
) -> Result<(ItemKey, Map<String, Value>), Error> {
    let keys = raw.keys(table);
    let key = ItemKey {
        table,
        partition_key: raw.partition_key.clone(),
        sort_key: raw.sort_key.clone(),
    };
    match B::raw_to_json(&raw.data, keys)? {
        Value::Object(map) => Ok((key, map)),
        _ => Err(keys.decode_error("the item is not a map")),
    }
}

/// What happened to one item in the end.
enum Outcome {
    Upgraded,
    Current,
    Newer,
    Raced,
}

/// Rewrites one item read as `image`; when an application write came
/// between, reads it again and tries again while it is still old.
async fn upgrade<T: Backfill>(
    store: &Store,
    key: ItemKey,
    mut image: Map<String, Value>,
    entity: &'static EntitySchema,
) -> Result<Outcome, Error> {
    for _ in 0..ATTEMPTS {
        let stored_keys = key.stored();
        let item = T::decode_item(&key.sort_key, &Value::Object(image.clone()))
            .map_err(|e| stored_keys.decode_error(e))?;
        match item.__rewrite(store, image).await? {
            Rewritten::Upgraded => return Ok(Outcome::Upgraded),
            Rewritten::Newer => return Ok(Outcome::Newer),
            // Only a key move diverges.
            Rewritten::Raced | Rewritten::Diverged => {}
        }
        // Read it again: gone, current, newer, or still old.
        let read = with_engine!(&store.backend, b => {
            b.get::<crate::store::decode::Attributes>(Get {
                key: key.clone(),
                consistent: true,
            })
            .await?
        });
        let Some(Value::Object(again)) = read else {
            return Ok(Outcome::Raced);
        };
        match stored_shape(&again).cmp(&u64::from(entity.shape)) {
            std::cmp::Ordering::Equal => return Ok(Outcome::Current),
            std::cmp::Ordering::Greater => return Ok(Outcome::Newer),
            std::cmp::Ordering::Less => image = again,
        }
    }
    Ok(Outcome::Raced)
}

//! The change feed of a table: every committed write of its items, in
//! order per item, as typed [`Change`]s, read with
//! [`Store::changes`](crate::Store::changes).
//!
//! A table declares it with `#[table(stream)]`. On DynamoDB it is the
//! table's stream (DynamoDB Streams, `NEW_AND_OLD_IMAGES`, enabled by
//! [`create_table`](crate::Store::create_table); feature `dynamodb`);
//! on SQLite an outbox table that triggers fill in the transaction of
//! every write, whatever statement or process made it.
//!
//! # What both backends promise
//!
//! * **Only committed writes**: a write whose condition fails, or a
//!   transaction that is cancelled, records nothing.
//! * **One record per item written**: a transaction of ten items records
//!   ten; a `put_all` one per item.
//! * **No record for a write that changes nothing**: a write that leaves
//!   the stored item as it was, its write times included, records nothing
//!   (DynamoDB writes none; an emulator that does is normalised away).
//! * **In order per item**: the records of one item come in the order
//!   its writes committed. Records of different items have no order
//!   between them on DynamoDB (they live in different shards); do not
//!   depend on one.
//! * **At least once**: a reader that resumes from a saved [`FeedCursor`]
//!   may see again the records after that cursor; it never misses one that
//!   is still retained. Apply records idempotently (by key and image).
//! * **24 hours of retention**: DynamoDB keeps a stream's records for 24
//!   hours; the outbox keeps the same (configurable shorter, never
//!   longer by default), so that nothing works on the laptop that would
//!   lose records in the cloud. A reader whose cursor points at records
//!   that are gone gets [`Error::FeedGap`](crate::Error::FeedGap), never
//!   a silent jump.
//! * **Expiry is flagged**: an item removed because it expired
//!   ([`crate::ttl`]) by DynamoDB's TTL process or by
//!   [`sweep_expired`](crate::Store::sweep_expired) is a
//!   [`ChangeKind::Remove`] of [`Origin::Ttl`]. A write that finds an
//!   expired item that no TTL process removed yet records the same on
//!   both backends: a `create`, or a `put_all`, replaces it (a
//!   [`ChangeKind::Modify`] whose old image has expired); a put, update,
//!   delete or transaction removes it first (a [`ChangeKind::Remove`] of
//!   [`Origin::Application`] whose old image has expired), then writes (an
//!   [`ChangeKind::Insert`]). Tell an expired old image by its TTL field.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::schema::Table;

/// A table with a change feed: one declared `#[table(stream)]`.
/// Implemented by `#[derive(Table)]`.
#[diagnostic::on_unimplemented(
    message = "table `{Self}` has no change feed",
    label = "not declared with `#[table(stream)]`",
    note = "add `stream` to the table's attribute, `#[table(name = \"...\", stream)]`, and run \
            `create_table` again: it enables the DynamoDB stream or the SQLite outbox"
)]
pub trait Streamed: Table {}

/// What a write did to an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ChangeKind {
    /// The item did not exist and was written: [`Change::new`] holds it.
    Insert,
    /// The item existed and was written again: [`Change::old`] and
    /// [`Change::new`] hold it before and after.
    Modify,
    /// The item was deleted: [`Change::old`] holds it.
    Remove,
}

/// Who made a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Origin {
    /// A write of an application (this library, or any other client).
    Application,
    /// The removal of an expired item ([`crate::ttl`]) by DynamoDB's TTL
    /// process, or by [`sweep_expired`](crate::Store::sweep_expired) and
    /// its sweeper on SQLite.
    Ttl,
    /// A backfill's rewrite of an item in its entity's current shape
    /// ([`crate::migrate::backfill`]): the same item, upgraded. Known by
    /// the mark the rewrite leaves on the new image
    /// ([`BACKFILL_ATTRIBUTE`](crate::schema::shape::BACKFILL_ATTRIBUTE),
    /// equal to the image's `updated_at`).
    Migration,
}

/// Whether a change whose new image carries `mark` in its
/// [`BACKFILL_ATTRIBUTE`](crate::schema::shape::BACKFILL_ATTRIBUTE) and
/// `updated_at` was made by a backfill: the write that set the mark is the
/// one that wrote the image.
#[cfg_attr(
    not(any(feature = "sqlite", feature = "streams", feature = "lambda")),
    allow(dead_code)
)]
pub(crate) fn is_migration(mark: Option<&str>, updated_at: Option<&str>) -> bool {
    matches!((mark, updated_at), (Some(m), Some(u)) if m == u && !m.is_empty())
}

/// One record of the feed: a committed write of one item.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Change<T> {
    /// Insert, modify or remove.
    pub kind: ChangeKind,
    /// The application, or the TTL process.
    pub origin: Origin,
    /// The item's partition key, as stored.
    pub partition_key: String,
    /// The item's sort key, as stored.
    pub sort_key: String,
    /// The item before the write (`None` for an insert).
    pub old: Option<T>,
    /// The item after the write (`None` for a remove).
    pub new: Option<T>,
    /// When the write happened, approximately: DynamoDB gives the second
    /// (rounded down), the outbox the millisecond.
    pub at: SystemTime,
    /// Where the record is in the feed.
    pub position: Position,
}

impl<T> Change<T> {
    /// The item as the write left it, or as it was before a remove.
    pub fn item(&self) -> Option<&T> {
        self.new.as_ref().or(self.old.as_ref())
    }
}

/// Where a record is in its feed: the outbox's sequence number, or a
/// DynamoDB shard and sequence number. Opaque; shown for logs. A reader
/// resumes from a [`FeedCursor`], not from a position.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Position {
    pub(crate) shard: Option<String>,
    pub(crate) sequence: String,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.shard {
            Some(shard) => write!(f, "{shard}/{}", self.sequence),
            None => write!(f, "{}", self.sequence),
        }
    }
}

/// Where a reader starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Start {
    /// At the oldest record still retained.
    Oldest,
    /// After the newest record: only writes from now on.
    Latest,
    /// After the records a reader had read when it took this cursor.
    After(FeedCursor),
}

/// How far a reader has read a feed, to save and resume from
/// ([`Start::After`]). One type for both backends: the outbox's sequence
/// number or DynamoDB's map of shard positions. Its text form
/// ([`Display`](fmt::Display), [`FromStr`], serde as a string) is opaque
/// and stable across versions of this library.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedCursor {
    pub(crate) table: String,
    pub(crate) state: CursorState,
}

/// A cursor's backend-specific part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CursorState {
    /// The outbox's records after sequence number `after`.
    Outbox { after: i64 },
    /// A DynamoDB stream (its ARN) and where each of its shards is read
    /// to; a shard it does not name is read from its start.
    Stream {
        arn: String,
        shards: BTreeMap<String, ShardPosition>,
    },
}

/// How far one DynamoDB shard has been read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ShardPosition {
    /// Up to this sequence number.
    After(String),
    /// Nothing read yet; records from before this epoch millisecond (less
    /// a second, DynamoDB's time granularity) are skipped: the shard was
    /// open when a reader started at [`Start::Latest`].
    Since(u64),
    /// To its end: a closed shard whose records have all been read.
    Done,
}

const PREFIX: &str = "bluefeed1:";

impl fmt::Display for FeedCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let json = match &self.state {
            CursorState::Outbox { after } => serde_json::json!({
                "t": self.table,
                "o": after,
            }),
            CursorState::Stream { arn, shards } => {
                let shards: serde_json::Map<String, serde_json::Value> = shards
                    .iter()
                    .map(|(id, p)| {
                        let v = match p {
                            ShardPosition::After(seq) => serde_json::json!({ "a": seq }),
                            ShardPosition::Since(ms) => serde_json::json!({ "s": ms }),
                            ShardPosition::Done => serde_json::json!("done"),
                        };
                        (id.clone(), v)
                    })
                    .collect();
                serde_json::json!({ "t": self.table, "arn": arn, "shards": shards })
            }
        };
        write!(f, "{PREFIX}{json}")
    }
}

/// A text that is not a [`FeedCursor`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseCursorError(String);

impl fmt::Display for ParseCursorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not a blue-schema feed cursor: {}", self.0)
    }
}

impl std::error::Error for ParseCursorError {}

impl FromStr for FeedCursor {
    type Err = ParseCursorError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |why: &str| ParseCursorError(why.to_owned());
        let json = s
            .strip_prefix(PREFIX)
            .ok_or_else(|| bad("it does not start with `bluefeed1:`"))?;
        let value: serde_json::Value =
            serde_json::from_str(json).map_err(|e| ParseCursorError(e.to_string()))?;
        let table = value["t"]
            .as_str()
            .ok_or_else(|| bad("no table"))?
            .to_owned();
        if let Some(after) = value.get("o") {
            let after = after.as_i64().ok_or_else(|| bad("a bad sequence number"))?;
            return Ok(FeedCursor {
                table,
                state: CursorState::Outbox { after },
            });
        }
        let arn = value["arn"]
            .as_str()
            .ok_or_else(|| bad("no stream"))?
            .to_owned();
        let mut shards = BTreeMap::new();
        for (id, p) in value["shards"]
            .as_object()
            .ok_or_else(|| bad("no shards"))?
        {
            let position = if p == "done" {
                ShardPosition::Done
            } else if let Some(seq) = p.get("a").and_then(|v| v.as_str()) {
                ShardPosition::After(seq.to_owned())
            } else if let Some(ms) = p.get("s").and_then(serde_json::Value::as_u64) {
                ShardPosition::Since(ms)
            } else {
                return Err(bad("a bad shard position"));
            };
            shards.insert(id.clone(), position);
        }
        Ok(FeedCursor {
            table,
            state: CursorState::Stream { arn, shards },
        })
    }
}

impl serde::Serialize for FeedCursor {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for FeedCursor {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// DynamoDB Streams' retention, and the outbox's by default.
pub const RETENTION: Duration = Duration::from_secs(24 * 60 * 60);

/// An epoch millisecond as a time.
pub(crate) fn time_of_millis(ms: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms)
}

/// The current epoch millisecond (the real clock: the feed's times are
/// the times writes happened, not a test's [`Clock`](crate::ttl::Clock)).
#[cfg_attr(not(any(feature = "sqlite", feature = "streams")), allow(dead_code))]
pub(crate) fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// A record as a backend read it, its images decoded.
#[cfg_attr(not(any(feature = "sqlite", feature = "streams")), allow(dead_code))]
pub(crate) struct RawChange<T> {
    pub(crate) kind: ChangeKind,
    pub(crate) origin: Origin,
    pub(crate) partition_key: String,
    pub(crate) sort_key: String,
    pub(crate) old: Option<T>,
    pub(crate) new: Option<T>,
    pub(crate) at_millis: u64,
    pub(crate) position: Position,
    /// Where the reader was just before this record: a cursor taken while
    /// the record is still unreturned must point here.
    pub(crate) before: Before,
}

/// A reader's place just before one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Before {
    /// The outbox's sequence number to read after.
    #[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
    Outbox(i64),
    /// The record's shard, and the shard's position before it.
    #[cfg_attr(not(feature = "streams"), allow(dead_code))]
    Shard(String, ShardPosition),
}

impl<T> From<RawChange<T>> for Change<T> {
    fn from(raw: RawChange<T>) -> Change<T> {
        Change {
            kind: raw.kind,
            origin: raw.origin,
            partition_key: raw.partition_key,
            sort_key: raw.sort_key,
            old: raw.old,
            new: raw.new,
            at: time_of_millis(raw.at_millis),
            position: raw.position,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_through_text() {
        let outbox = FeedCursor {
            table: "blue_docs".into(),
            state: CursorState::Outbox { after: 42 },
        };
        let stream = FeedCursor {
            table: "blue_docs".into(),
            state: CursorState::Stream {
                arn: "arn:aws:dynamodb:eu-west-1:1:table/x/stream/2026".into(),
                shards: BTreeMap::from([
                    ("shardId-1".into(), ShardPosition::Done),
                    ("shardId-2".into(), ShardPosition::After("000123".into())),
                    ("shardId-3".into(), ShardPosition::Since(17)),
                ]),
            },
        };
        for cursor in [outbox, stream] {
            let text = cursor.to_string();
            assert!(text.starts_with("bluefeed1:"), "{text}");
            assert_eq!(text.parse::<FeedCursor>().unwrap(), cursor);
        }
        assert!("bluefeed1:{}".parse::<FeedCursor>().is_err());
        assert!("42".parse::<FeedCursor>().is_err());
    }
}

//! The change feed on DynamoDB ([`crate::feed`]): the table's stream,
//! read with `aws-sdk-dynamodbstreams` (feature `streams`).
//!
//! A stream is a tree of shards: a shard closes after some hours and its
//! children carry on, and an item's records move to a child only after
//! the parent's. The reader walks the tree parent before child, so the
//! records of one item come in order; records of different items, in
//! different shards, have no order. Shard iterators expire after 15
//! minutes: an expired one is renewed from the last sequence number read.
//! Records older than 24 hours are trimmed: a reader whose position is
//! behind them gets [`Error::FeedGap`].

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodbstreams::types::{
    AttributeValue as StreamValue, OperationType, Record, ShardIteratorType,
};
use aws_sdk_dynamodbstreams::Client as StreamsClient;

use super::DynamoDbBackend;
use crate::feed::{Before, ChangeKind, CursorState, Position, RawChange, ShardPosition};
use crate::ops::decode::Decoder;
use crate::Error;

/// The most records one `GetRecords` returns.
const MAX_RECORDS: usize = 1000;

/// Where a reader is in one table's stream: a cursor's positions, plus the
/// shard tree and live iterators it learned.
#[derive(Debug)]
pub(crate) struct StreamReader {
    table: &'static str,
    arn: String,
    positions: BTreeMap<String, ShardPosition>,
    /// Each known shard's parent (`None`: it has none, or it was trimmed).
    parents: BTreeMap<String, Option<String>>,
    iterators: HashMap<String, String>,
    /// When a shard last answered with no records: it is asked again no
    /// sooner than [`IDLE_POLL`] after (DynamoDB allows five `GetRecords`
    /// a second per shard).
    idle: HashMap<String, std::time::Instant>,
    /// Whether the shard tree must be described again before reading.
    stale: bool,
}

/// The least time between two reads of a shard that had nothing new.
const IDLE_POLL: std::time::Duration = std::time::Duration::from_millis(200);

impl StreamReader {
    /// Whether `shard` must wait: its parent, if the stream still lists
    /// it, is not read to its end (an item's records move to a child
    /// only after the parent's).
    fn waits_for_parent(&self, shard: &str) -> bool {
        match self.parents.get(shard) {
            Some(Some(parent)) => {
                self.parents.contains_key(parent)
                    && self.positions.get(parent) != Some(&ShardPosition::Done)
            }
            _ => false,
        }
    }

    pub(crate) fn cursor_state(&self) -> CursorState {
        CursorState::Stream {
            arn: self.arn.clone(),
            shards: self.positions.clone(),
        }
    }
}

/// The error of a streams request, named by its operation.
fn stream_error<E>(operation: &'static str, table: &'static str) -> impl FnOnce(E) -> Error
where
    E: aws_sdk_dynamodbstreams::error::ProvideErrorMetadata
        + std::error::Error
        + Send
        + Sync
        + 'static,
{
    move |e| {
        if e.code() == Some("TrimmedDataAccessException") {
            return gap(
                table,
                "the records after this reader's position were trimmed",
            );
        }
        if e.code() == Some("ResourceNotFoundException") {
            return gap(table, "the stream or shard this reader was reading is gone");
        }
        // Five `GetRecords` a second per shard, ten `DescribeStream`s a
        // second per account: the reader backs off and reads again.
        if e.code() == Some("LimitExceededException") {
            return Error::Throttled {
                backend: super::NAME,
                reasons: Vec::new(),
                source: format!("{operation} on the stream of {table}: {e}").into(),
            };
        }
        Error::Backend {
            backend: super::NAME,
            source: format!("{operation} on the stream of {table}: {e}").into(),
        }
    }
}

fn gap(table: &'static str, detail: &str) -> Error {
    Error::FeedGap {
        table: table.to_owned(),
        detail: detail.to_owned(),
    }
}

impl DynamoDbBackend {
    fn streams(&self, table: &'static str) -> Result<StreamsClient, Error> {
        self.streams.clone().ok_or_else(|| Error::Backend {
            backend: super::NAME,
            source: format!(
                "the change feed of {table} needs a DynamoDB Streams client: build the backend \
                 with `DynamoDbBackend::from_sdk_config` or `from_env`, or add one with \
                 `with_streams_client`"
            )
            .into(),
        })
    }

    /// The ARN of `table`'s stream.
    async fn stream_arn(&self, table: &'static str) -> Result<String, Error> {
        let description =
            self.describe(table, table)
                .await?
                .ok_or_else(|| Error::TableNotFound {
                    table: table.to_owned(),
                })?;
        let enabled = description
            .stream_specification()
            .is_some_and(|s| s.stream_enabled());
        match description.latest_stream_arn() {
            Some(arn) if enabled => Ok(arn.to_owned()),
            _ => Err(Error::TableMismatch {
                table: table.to_owned(),
                found: "its stream is not enabled: run `create_table` with the table's \
                        `#[table(stream)]` declaration"
                    .to_owned(),
            }),
        }
    }

    /// A reader of `table`'s stream from `start` (a cursor's state, or
    /// `None` for the oldest record), or from the newest when `latest`.
    pub(crate) async fn open_stream(
        &self,
        table: &'static str,
        start: Option<CursorState>,
        latest: bool,
    ) -> Result<StreamReader, Error> {
        self.streams(table)?;
        self.on_tokio(move |b| async move {
            let arn = b.stream_arn(table).await?;
            let positions = match start {
                Some(CursorState::Stream { arn: from, shards }) if from == arn => shards,
                Some(CursorState::Stream { .. }) => {
                    return Err(gap(
                        table,
                        "the table's stream was disabled and enabled again since this cursor",
                    ))
                }
                Some(CursorState::Outbox { .. }) => {
                    return Err(Error::FeedCursor {
                        table: table.to_owned(),
                        message: "the cursor is an SQLite outbox's, not a DynamoDB stream's"
                            .to_owned(),
                    })
                }
                None => BTreeMap::new(),
            };
            let mut reader = StreamReader {
                table,
                arn,
                positions,
                parents: BTreeMap::new(),
                iterators: HashMap::new(),
                idle: HashMap::new(),
                stale: true,
            };
            b.describe_shards(&mut reader).await?;
            if latest {
                let now = crate::feed::now_millis();
                let streams = b.streams(table)?;
                let shards: Vec<String> = reader.parents.keys().cloned().collect();
                for shard in shards {
                    if reader.positions.get(&shard) == Some(&ShardPosition::Done) {
                        continue;
                    }
                    let iterator = streams
                        .get_shard_iterator()
                        .stream_arn(&reader.arn)
                        .shard_id(&shard)
                        .shard_iterator_type(ShardIteratorType::Latest)
                        .send()
                        .await
                        .map_err(|e| {
                            stream_error("GetShardIterator", table)(e.into_service_error())
                        })?;
                    if let Some(iterator) = iterator.shard_iterator {
                        reader.iterators.insert(shard.clone(), iterator);
                    }
                    reader.positions.insert(shard, ShardPosition::Since(now));
                }
            }
            Ok(reader)
        })
        .await
    }

    /// Learns the stream's shard tree. A shard the reader had not finished
    /// that the stream no longer lists was trimmed, records and all: a gap.
    async fn describe_shards(&self, reader: &mut StreamReader) -> Result<(), Error> {
        let table = reader.table;
        let streams = self.streams(table)?;
        let mut parents = BTreeMap::new();
        let mut start: Option<String> = None;
        loop {
            let out = streams
                .describe_stream()
                .stream_arn(&reader.arn)
                .set_exclusive_start_shard_id(start.take())
                .send()
                .await
                .map_err(|e| stream_error("DescribeStream", table)(e.into_service_error()))?;
            let Some(description) = out.stream_description else {
                break;
            };
            for shard in description.shards() {
                let Some(id) = shard.shard_id() else { continue };
                parents.insert(id.to_owned(), shard.parent_shard_id().map(str::to_owned));
            }
            match description.last_evaluated_shard_id {
                Some(last) => start = Some(last),
                None => break,
            }
        }
        for (shard, position) in &reader.positions {
            if !parents.contains_key(shard) && *position != ShardPosition::Done {
                return Err(gap(
                    table,
                    &format!("shard {shard}, which this reader had not finished, was trimmed"),
                ));
            }
        }
        // Finished shards the stream no longer lists need no memory.
        reader
            .positions
            .retain(|shard, _| parents.contains_key(shard));
        reader.parents = parents;
        reader.stale = false;
        Ok(())
    }

    /// Up to `limit` records, parent shards before their children; the
    /// reader back, moved on, whatever the read's result.
    pub(crate) async fn read_stream<D: Decoder>(
        &self,
        mut reader: StreamReader,
        limit: usize,
    ) -> Result<(StreamReader, Result<Vec<RawChange<D::Output>>, Error>), Error> {
        self.on_tokio(move |b| async move {
            let result = b.read_stream_now::<D>(&mut reader, limit).await;
            Ok((reader, result))
        })
        .await
    }

    async fn read_stream_now<D: Decoder>(
        &self,
        reader: &mut StreamReader,
        limit: usize,
    ) -> Result<Vec<RawChange<D::Output>>, Error> {
        let table = reader.table;
        if reader.stale {
            self.describe_shards(reader).await?;
        }
        let mut changes = Vec::new();
        let mut finished_one = false;
        let mut read_one = false;
        let shards: Vec<String> = reader.parents.keys().cloned().collect();
        for shard in shards {
            if changes.len() >= limit {
                break;
            }
            if reader.positions.get(&shard) == Some(&ShardPosition::Done) {
                continue;
            }
            if reader.waits_for_parent(&shard) {
                continue;
            }
            let remaining = (limit - changes.len()).min(MAX_RECORDS);
            read_one = true;
            let (records, next) = self.get_records(reader, &shard, remaining).await?;
            let since = match reader.positions.get(&shard) {
                Some(ShardPosition::Since(ms)) => Some(ms.saturating_sub(1000)),
                _ => None,
            };
            for record in records {
                let Some(parts) = record_parts(&shard, record) else {
                    continue;
                };
                // The reader is past the record whether or not it is kept.
                let after = ShardPosition::After(parts.position.sequence.clone());
                let before = reader.positions.insert(shard.clone(), after);
                let Some(mut change) = parts.decode::<D>(table)? else {
                    continue;
                };
                let before = before.unwrap_or(ShardPosition::Since(0));
                change.before = Before::Shard(shard.clone(), before);
                if since.is_none_or(|since| change.at_millis >= since) {
                    changes.push(change);
                }
            }
            match next {
                Some(next) => {
                    reader.iterators.insert(shard.clone(), next);
                }
                None => {
                    reader.iterators.remove(&shard);
                    reader.positions.insert(shard.clone(), ShardPosition::Done);
                    finished_one = true;
                }
            }
        }
        // New shards appear as children of one that closes, so the tree is
        // described again only when a shard was read to its end, or when
        // none was left to read (DynamoDB allows ten `DescribeStream`s a
        // second per account: not one per idle poll).
        reader.stale = finished_one || !read_one;
        Ok(changes)
    }

    /// One `GetRecords` on `shard`, its iterator made or renewed as needed:
    /// the records, and the next iterator (`None`: the shard is closed and
    /// read to its end).
    async fn get_records(
        &self,
        reader: &mut StreamReader,
        shard: &str,
        limit: usize,
    ) -> Result<(Vec<Record>, Option<String>), Error> {
        let table = reader.table;
        let streams = self.streams(table)?;
        for attempt in 0..2 {
            let iterator = match reader.iterators.remove(shard) {
                Some(iterator) if attempt == 0 => iterator,
                _ => {
                    let request = streams
                        .get_shard_iterator()
                        .stream_arn(&reader.arn)
                        .shard_id(shard);
                    let request = match reader.positions.get(shard) {
                        Some(ShardPosition::After(seq)) => request
                            .shard_iterator_type(ShardIteratorType::AfterSequenceNumber)
                            .sequence_number(seq),
                        _ => request.shard_iterator_type(ShardIteratorType::TrimHorizon),
                    };
                    let out = request.send().await.map_err(|e| {
                        stream_error("GetShardIterator", table)(e.into_service_error())
                    })?;
                    match out.shard_iterator {
                        Some(iterator) => iterator,
                        // No iterator: the shard has nothing more to read.
                        None => return Ok((Vec::new(), None)),
                    }
                }
            };
            if let Some(since) = reader.idle.get(shard) {
                let wait = IDLE_POLL.saturating_sub(since.elapsed());
                if !wait.is_zero() {
                    tokio::time::sleep(wait).await;
                }
            }
            let sent = streams
                .get_records()
                .shard_iterator(iterator)
                .limit(i32::try_from(limit.max(1)).unwrap_or(1000))
                .send()
                .await;
            match sent {
                Ok(out) => {
                    let records = out.records.unwrap_or_default();
                    if records.is_empty() {
                        reader
                            .idle
                            .insert(shard.to_owned(), std::time::Instant::now());
                    } else {
                        reader.idle.remove(shard);
                    }
                    return Ok((records, out.next_shard_iterator));
                }
                Err(e) => {
                    let e = e.into_service_error();
                    // Iterators last 15 minutes: make a new one, once.
                    if e.is_expired_iterator_exception() && attempt == 0 {
                        continue;
                    }
                    return Err(stream_error("GetRecords", table)(e));
                }
            }
        }
        Err(gap(table, "the shard iterator kept expiring"))
    }
}

/// A record of the stream in the DynamoDB client's shapes.
fn record_parts(shard: &str, record: Record) -> Option<super::record::StreamRecord> {
    let kind = match record.event_name? {
        OperationType::Insert => ChangeKind::Insert,
        OperationType::Modify => ChangeKind::Modify,
        OperationType::Remove => ChangeKind::Remove,
        _ => return None,
    };
    let data = record.dynamodb?;
    Some(super::record::StreamRecord {
        kind,
        identity: record
            .user_identity
            .map(|who| (who.r#type, who.principal_id)),
        old: data.old_image.map(convert_item),
        new: data.new_image.map(convert_item),
        at_millis: data.approximate_creation_date_time.map_or(0, |t| {
            u64::try_from(t.to_millis().unwrap_or_default()).unwrap_or_default()
        }),
        position: Position {
            shard: Some(shard.to_owned()),
            sequence: data.sequence_number?,
        },
    })
}

fn convert_item(item: HashMap<String, StreamValue>) -> HashMap<String, AttributeValue> {
    item.into_iter().map(|(k, v)| (k, convert(v))).collect()
}

/// A stream's attribute value as the DynamoDB client's (the same shape,
/// another crate's type).
fn convert(value: StreamValue) -> AttributeValue {
    match value {
        StreamValue::S(s) => AttributeValue::S(s),
        StreamValue::N(n) => AttributeValue::N(n),
        StreamValue::B(b) => AttributeValue::B(b),
        StreamValue::Ss(v) => AttributeValue::Ss(v),
        StreamValue::Ns(v) => AttributeValue::Ns(v),
        StreamValue::Bs(v) => AttributeValue::Bs(v),
        StreamValue::M(m) => AttributeValue::M(convert_item(m)),
        StreamValue::L(l) => AttributeValue::L(l.into_iter().map(convert).collect()),
        StreamValue::Null(b) => AttributeValue::Null(b),
        StreamValue::Bool(b) => AttributeValue::Bool(b),
        // A type newer than this SDK: kept as DynamoDB's NULL would be.
        _ => AttributeValue::Null(true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader(parents: &[(&str, Option<&str>)], done: &[&str]) -> StreamReader {
        StreamReader {
            table: "blue_t",
            arn: "arn".into(),
            positions: done
                .iter()
                .map(|s| ((*s).to_owned(), ShardPosition::Done))
                .collect(),
            parents: parents
                .iter()
                .map(|(s, p)| ((*s).to_owned(), p.map(str::to_owned)))
                .collect(),
            iterators: HashMap::new(),
            idle: HashMap::new(),
            stale: false,
        }
    }

    #[test]
    fn children_wait_for_their_parents() {
        // A split into B and C; D's parent was trimmed from the stream.
        let tree = [
            ("A", None),
            ("B", Some("A")),
            ("C", Some("A")),
            ("D", Some("gone")),
        ];
        let open = reader(&tree, &[]);
        assert!(!open.waits_for_parent("A"));
        assert!(open.waits_for_parent("B"));
        assert!(open.waits_for_parent("C"));
        assert!(
            !open.waits_for_parent("D"),
            "a trimmed parent holds nothing back"
        );
        let parent_done = reader(&tree, &["A"]);
        assert!(!parent_done.waits_for_parent("B"));
        assert!(!parent_done.waits_for_parent("C"));
    }

    #[test]
    fn stream_values_convert_to_the_clients() {
        let value = StreamValue::M(HashMap::from([
            ("s".to_owned(), StreamValue::S("x".into())),
            (
                "n".to_owned(),
                StreamValue::Ns(vec!["1".into(), "2".into()]),
            ),
            (
                "l".to_owned(),
                StreamValue::L(vec![StreamValue::Bool(true), StreamValue::Null(true)]),
            ),
        ]));
        let AttributeValue::M(map) = convert(value) else {
            panic!("a map stays a map")
        };
        assert_eq!(map["s"], AttributeValue::S("x".into()));
        assert_eq!(map["n"], AttributeValue::Ns(vec!["1".into(), "2".into()]));
        assert_eq!(
            map["l"],
            AttributeValue::L(vec![AttributeValue::Bool(true), AttributeValue::Null(true)])
        );
    }
}

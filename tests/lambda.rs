//! `blue_schema::lambda`: the records a Lambda function receives from a
//! table's stream decode into the changes the feed reads.
//!
//! The events are made from the emulator's stream (its `GetRecords`, as
//! Lambda's poller reads it), written as the JSON Lambda sends and parsed
//! back by `aws_lambda_events`, so that the decoder sees what a function
//! would.

#[path = "common/dynamodb.rs"]
mod dynamodb;

use aws_lambda_events::event::dynamodb::{Event, EventRecord, StreamRecord, UserIdentity};
use blue_schema::feed::{Change, ChangeKind, Origin, Start};
use blue_schema::{Entity, Store, Table};
use serde::{Deserialize, Serialize};

#[derive(Table, Debug, Clone, PartialEq)]
#[table(name = "blue_orders", stream)]
pub enum Orders {
    Order(Order),
}

#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[entity(table = Orders)]
#[sk(prefix = "ORDER")]
pub struct Order {
    #[pk]
    pub customer: String,
    #[sk]
    pub id: u32,
    pub total: u64,
    #[set]
    #[serde(default)]
    pub tags: std::collections::BTreeSet<String>,
}

fn order(id: u32, total: u64) -> Order {
    Order {
        customer: "ada".into(),
        id,
        total,
        tags: ["gift".to_owned()].into(),
    }
}

/// The table's stream as a Lambda event: each record of the emulator's
/// shard, as JSON in Lambda's shape, parsed by `aws_lambda_events`.
async fn lambda_event(backend: &blue_schema::backend::dynamodb::DynamoDbBackend) -> Event {
    let client = backend.client();
    let table = client
        .describe_table()
        .table_name(backend.table_name("blue_orders"))
        .send()
        .await
        .unwrap();
    let arn = table.table.unwrap().latest_stream_arn.unwrap();
    let streams = dynamodb::streams_client().await;
    let stream = streams
        .describe_stream()
        .stream_arn(&arn)
        .send()
        .await
        .unwrap();
    let shard = stream.stream_description.unwrap().shards.unwrap()[0]
        .shard_id
        .clone()
        .unwrap();
    let iterator = streams
        .get_shard_iterator()
        .stream_arn(&arn)
        .shard_id(shard)
        .shard_iterator_type(aws_sdk_dynamodbstreams::types::ShardIteratorType::TrimHorizon)
        .send()
        .await
        .unwrap()
        .shard_iterator
        .unwrap();
    let records = streams
        .get_records()
        .shard_iterator(iterator)
        .send()
        .await
        .unwrap()
        .records
        .unwrap_or_default();
    let records: Vec<serde_json::Value> = records
        .into_iter()
        .map(|r| {
            let data = r.dynamodb.unwrap();
            let image = |i: Option<std::collections::HashMap<_, _>>| {
                let item: serde_dynamo::Item = i.unwrap_or_default().into();
                serde_json::to_value(item).unwrap()
            };
            let at = data.approximate_creation_date_time.unwrap().secs() as f64;
            serde_json::json!({
                "eventID": r.event_id,
                "eventName": r.event_name.unwrap().as_str(),
                "eventVersion": "1.1",
                "eventSource": "aws:dynamodb",
                "awsRegion": "us-east-1",
                "eventSourceARN": arn,
                "dynamodb": {
                    "ApproximateCreationDateTime": at,
                    "Keys": image(data.keys),
                    "NewImage": image(data.new_image),
                    "OldImage": image(data.old_image),
                    "SequenceNumber": data.sequence_number,
                    "SizeBytes": data.size_bytes,
                    "StreamViewType": "NEW_AND_OLD_IMAGES",
                },
            })
        })
        .collect();
    serde_json::from_value(serde_json::json!({ "Records": records })).unwrap()
}

fn summary(c: &Change<Orders>) -> (ChangeKind, Option<u64>, Option<u64>) {
    let total = |o: &Option<Orders>| o.as_ref().map(|Orders::Order(o)| o.total);
    (c.kind, total(&c.old), total(&c.new))
}

/// A Lambda event decodes into the changes a `ChangeFeed` reads from the
/// same stream: kinds, images (sets and write times included), keys,
/// positions.
#[test]
fn a_lambda_event_decodes_as_the_feed_reads() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let backend = dynamodb::backend().await;
        let store = Store::from_backend(backend.clone());
        store.create_table::<Orders>().await.unwrap();
        store.put(&order(1, 30)).await.unwrap();
        store
            .update(Order::key("ada", 1u32))
            .add(Order::attr().total, 12)
            .await
            .unwrap();
        store.put(&order(2, 5)).await.unwrap();
        store.delete(Order::key("ada", 2u32)).await.unwrap();

        let event = lambda_event(&backend).await;
        assert_eq!(event.records.len(), 4);
        let decoded: Vec<Change<Orders>> = blue_schema::lambda::changes::<Orders>(&event)
            .into_iter()
            .map(Result::unwrap)
            .collect();
        let mut feed = store.changes::<Orders>(Start::Oldest).await.unwrap();
        let read = feed.catch_up().await.unwrap();
        assert_eq!(
            decoded.iter().map(summary).collect::<Vec<_>>(),
            [
                (ChangeKind::Insert, None, Some(30)),
                (ChangeKind::Modify, Some(30), Some(42)),
                (ChangeKind::Insert, None, Some(5)),
                (ChangeKind::Remove, Some(5), None),
            ]
        );
        for (lambda, feed) in decoded.iter().zip(&read) {
            assert_eq!(lambda.kind, feed.kind);
            assert_eq!(lambda.old, feed.old);
            assert_eq!(lambda.new, feed.new);
            assert_eq!(lambda.sort_key, feed.sort_key);
            assert_eq!(lambda.position.to_string(), read_sequence(feed));
            assert_eq!(lambda.origin, Origin::Application);
        }
        dynamodb::drop_tables(&backend).await;
    });
}

/// The sequence number of a record the feed read (its position is
/// `shard/sequence`; Lambda's has no shard).
fn read_sequence(change: &Change<Orders>) -> String {
    let position = change.position.to_string();
    position.rsplit('/').next().unwrap().to_owned()
}

fn record(name: &str, sequence: &str, old: Option<&Order>, new: Option<&Order>) -> EventRecord {
    let image = |o: Option<&Order>| -> serde_dynamo::Item {
        let Some(o) = o else {
            return Default::default();
        };
        let mut item: std::collections::HashMap<String, serde_json::Value> =
            serde_json::from_value(serde_json::to_value(o).unwrap()).unwrap();
        item.insert("pk".into(), serde_json::json!("ada"));
        item.insert("sk".into(), format!("ORDER#{:010}", o.id).into());
        item.insert("created_at".into(), "2026-12-05T00:00:00.000Z".into());
        item.remove("tags");
        serde_dynamo::to_item(item).unwrap()
    };
    let mut change = StreamRecord::default();
    change.old_image = image(old);
    change.new_image = image(new);
    change.sequence_number = Some(sequence.to_owned());
    let mut record = EventRecord::default();
    record.event_name = name.to_owned();
    record.change = change;
    record
}

/// A removal by DynamoDB's TTL process is `Origin::Ttl`; `process` stops at
/// the first record its handler fails and reports that record's sequence
/// number, so that Lambda retries from there in order; a batch handled
/// whole reports nothing.
#[test]
fn process_reports_the_first_failure_and_flags_ttl_removals() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let (a, b) = (
            Order {
                tags: Default::default(),
                ..order(1, 1)
            },
            Order {
                tags: Default::default(),
                ..order(2, 2)
            },
        );
        let mut expired = record("REMOVE", "300", Some(&b), None);
        let mut who = UserIdentity::default();
        who.type_ = "Service".into();
        who.principal_id = "dynamodb.amazonaws.com".into();
        expired.user_identity = Some(who);
        let mut event = Event::default();
        event.records = vec![
            record("INSERT", "100", None, Some(&a)),
            record("MODIFY", "200", Some(&a), Some(&a)),
            expired,
            record("REMOVE", "400", Some(&a), None),
        ];
        let changes: Vec<_> = blue_schema::lambda::changes::<Orders>(&event)
            .into_iter()
            .map(Result::unwrap)
            .collect();
        // The modify that changed nothing is left out.
        let kinds: Vec<_> = changes.iter().map(|c| (c.kind, c.origin)).collect();
        assert_eq!(
            kinds,
            [
                (ChangeKind::Insert, Origin::Application),
                (ChangeKind::Remove, Origin::Ttl),
                (ChangeKind::Remove, Origin::Application),
            ]
        );

        let mut seen = Vec::new();
        let response = blue_schema::lambda::process::<Orders, _, _>(&event, |c| {
            seen.push(c.position.to_string());
            let fail = c.origin == Origin::Ttl;
            async move {
                if fail {
                    Err("archive unavailable".to_owned())
                } else {
                    Ok(())
                }
            }
        })
        .await;
        assert_eq!(seen, ["100", "300"], "nothing after the failure");
        let failed: Vec<_> = response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.clone().unwrap())
            .collect();
        assert_eq!(failed, ["300"]);

        let whole =
            blue_schema::lambda::process::<Orders, _, _>(&event, |_| async { Ok(()) }).await;
        assert!(whole.batch_item_failures.is_empty());
    });
}

//! The change feed ([`crate::feed`]) as an AWS Lambda function receives it
//! (feature `lambda`): a DynamoDB stream event of
//! [`aws_lambda_events`], decoded into the same typed [`Change`]s a
//! [`ChangeFeed`](crate::ChangeFeed) reads, with the partial-batch
//! failure response Lambda understands.
//!
//! ```no_run
//! use aws_lambda_events::event::dynamodb::Event;
//! use aws_lambda_events::event::streams::DynamoDbEventResponse;
//! # use blue_schema::{Entity, Table};
//! # #[derive(Table, Debug)]
//! # #[table(name = "blue_orders", stream)]
//! # enum Orders { Order(Order) }
//! # #[derive(Entity, serde::Serialize, serde::Deserialize, Debug)]
//! # #[entity(table = Orders)]
//! # #[sk(prefix = "ORDER")]
//! # struct Order { #[pk] customer: String, #[sk] id: u32, total: u64 }
//!
//! // With `lambda_runtime`: `run(service_fn(|e: LambdaEvent<Event>| handle(e.payload)))`,
//! // and `ReportBatchItemFailures` on the event source mapping.
//! async fn handle(event: Event) -> Result<DynamoDbEventResponse, std::convert::Infallible> {
//!     Ok(blue_schema::lambda::process::<Orders, _, _>(&event, |change| async move {
//!         println!("{:?} {}", change.kind, change.sort_key);
//!         Ok::<(), String>(())
//!     })
//!     .await)
//! }
//! ```

use std::future::Future;

use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};

use crate::backend::dynamodb::StreamRecord;
use crate::feed::{Change, ChangeKind, Position, Streamed};
use crate::schema::FromItem;
use crate::store::Typed;
use crate::Error;

/// Decodes each record of `event` as a change of table `T`, in the
/// event's order (a record that changed nothing is left out, as the
/// feed leaves it out); a record that does not decode is an error in its
/// place.
pub fn changes<T: Streamed + FromItem + Send + 'static>(
    event: &Event,
) -> Vec<Result<Change<T>, Error>> {
    event
        .records
        .iter()
        .filter_map(|record| decode::<T>(record).transpose())
        .collect()
}

/// Runs `handle` on each change of `event` in order, and tells Lambda
/// where to retry from: at the first record that does not decode or whose
/// `handle` fails, the rest is left unhandled (a stream's records must be
/// handled in order) and reported as failed from that record's sequence
/// number. An empty response means the whole batch was handled. The
/// event source mapping must have `ReportBatchItemFailures` on; without
/// it, Lambda retries the whole batch.
pub async fn process<T, F, Fut>(event: &Event, mut handle: F) -> DynamoDbEventResponse
where
    T: Streamed + FromItem + Send + 'static,
    F: FnMut(Change<T>) -> Fut,
    Fut: Future<Output = Result<(), String>>,
{
    let mut response = DynamoDbEventResponse::default();
    for record in &event.records {
        let handled = match decode::<T>(record) {
            Ok(Some(change)) => handle(change).await,
            Ok(None) => Ok(()),
            Err(e) => Err(e.to_string()),
        };
        if handled.is_err() {
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = record.change.sequence_number.clone();
            response.batch_item_failures.push(failure);
            break;
        }
    }
    response
}

/// One record as a change, or `None` for one that changed nothing.
fn decode<T: Streamed + FromItem + Send + 'static>(
    record: &EventRecord,
) -> Result<Option<Change<T>>, Error> {
    let table = T::SCHEMA.name;
    let kind = match record.event_name.as_str() {
        "INSERT" => ChangeKind::Insert,
        "MODIFY" => ChangeKind::Modify,
        "REMOVE" => ChangeKind::Remove,
        other => {
            return Err(Error::Backend {
                backend: "dynamodb",
                source: format!("a stream record of {table} with an unknown event {other:?}")
                    .into(),
            })
        }
    };
    let stream = &record.change;
    // An image the record does not carry is an empty map in the event.
    let image = |item: &serde_dynamo::Item| (!item.is_empty()).then(|| item.clone().into());
    let parts = StreamRecord {
        kind,
        identity: record
            .user_identity
            .as_ref()
            .map(|who| (Some(who.type_.clone()), Some(who.principal_id.clone()))),
        old: image(&stream.old_image),
        new: image(&stream.new_image),
        at_millis: u64::try_from(stream.approximate_creation_date_time.timestamp_millis())
            .unwrap_or_default(),
        position: Position {
            shard: None,
            sequence: stream.sequence_number.clone().unwrap_or_default(),
        },
    };
    Ok(parts.decode::<Typed<T>>(table)?.map(Change::from))
}

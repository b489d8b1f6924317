//! An AWS Lambda handler of the document domain's stream: the same typed
//! changes as `examples/publish.rs` reads from a `ChangeFeed`, from the
//! event Lambda hands a function (feature `lambda`).
//!
//! ```text
//! cargo run -p blue-schema-tests --example lambda                  # a sample event
//! cargo run -p blue-schema-tests --example lambda -- event.json    # an event of yours
//! ```
//!
//! Deployed, `main` would be `lambda_runtime::run(service_fn(|e:
//! LambdaEvent<Event>| async move { Ok::<_, Error>(handle(&e.payload).await) }))`,
//! with `ReportBatchItemFailures` on the event source mapping: a failed
//! record is retried, with every record after it, in order.

use aws_lambda_events::event::dynamodb::Event;
use aws_lambda_events::event::streams::DynamoDbEventResponse;
use blue_schema::feed::{Change, ChangeKind};
use blue_schema_examples::document::*;

/// Publishes accepted documents and withdraws the others; a change that
/// cannot be handled is reported to Lambda, which retries from it.
async fn handle(event: &Event) -> DynamoDbEventResponse {
    blue_schema::lambda::process::<Document, _, _>(event, |change: Change<Document>| async move {
        match (&change.kind, change.item()) {
            (ChangeKind::Remove, Some(Document::Doc(doc))) => {
                println!("withdraw {:?} {}", doc.kind, doc.number);
            }
            (_, Some(Document::Doc(doc))) if doc.status == "accepted" => {
                println!("publish  {:?} {} {:?}", doc.kind, doc.number, doc.title);
            }
            (_, Some(Document::Doc(doc))) => {
                println!("withdraw {:?} {} ({})", doc.kind, doc.number, doc.status);
            }
            _ => {}
        }
        Ok(())
    })
    .await
}

/// A stream event as Lambda sends it: an accepted RFC written, then
/// superseded.
const SAMPLE: &str = r#"{"Records": [
  {"eventID": "1", "eventName": "INSERT", "eventVersion": "1.1", "eventSource": "aws:dynamodb",
   "awsRegion": "eu-west-1",
   "dynamodb": {"ApproximateCreationDateTime": 1764950400, "SequenceNumber": "100", "SizeBytes": 120,
     "StreamViewType": "NEW_AND_OLD_IMAGES",
     "Keys": {"pk": {"S": "letemcook"}, "sk": {"S": "DOC#rfc#0051"}},
     "NewImage": {"pk": {"S": "letemcook"}, "sk": {"S": "DOC#rfc#0051"},
       "realm_id": {"S": "letemcook"}, "kind": {"S": "rfc"}, "number": {"N": "51"},
       "title": {"S": "Dialogues"}, "status": {"S": "accepted"}, "content": {"S": ""},
       "created_at": {"S": "2026-12-05T10:00:00.000Z"}}}},
  {"eventID": "2", "eventName": "MODIFY", "eventVersion": "1.1", "eventSource": "aws:dynamodb",
   "awsRegion": "eu-west-1",
   "dynamodb": {"ApproximateCreationDateTime": 1764950460, "SequenceNumber": "200", "SizeBytes": 240,
     "StreamViewType": "NEW_AND_OLD_IMAGES",
     "Keys": {"pk": {"S": "letemcook"}, "sk": {"S": "DOC#rfc#0051"}},
     "OldImage": {"pk": {"S": "letemcook"}, "sk": {"S": "DOC#rfc#0051"},
       "realm_id": {"S": "letemcook"}, "kind": {"S": "rfc"}, "number": {"N": "51"},
       "title": {"S": "Dialogues"}, "status": {"S": "accepted"}, "content": {"S": ""},
       "created_at": {"S": "2026-12-05T10:00:00.000Z"}},
     "NewImage": {"pk": {"S": "letemcook"}, "sk": {"S": "DOC#rfc#0051"},
       "realm_id": {"S": "letemcook"}, "kind": {"S": "rfc"}, "number": {"N": "51"},
       "title": {"S": "Dialogues"}, "status": {"S": "superseded"}, "content": {"S": ""},
       "created_at": {"S": "2026-12-05T10:00:00.000Z"},
       "updated_at": {"S": "2026-12-05T10:01:00.000Z"}}}}
]}"#;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let json = match std::env::args().nth(1) {
        Some(path) => std::fs::read_to_string(path)?,
        None => SAMPLE.to_owned(),
    };
    let event: Event = serde_json::from_str(&json)?;
    let response = blue_schema::block_on(handle(&event));
    println!("{}", serde_json::to_string(&response)?);
    assert!(response.batch_item_failures.is_empty());
    Ok(())
}

//! The body of a write's last attempt, kept as the SDK sent it, so that a
//! retry or a read-back after a failure is made from it.
//!
//! A write's request is moved into the SDK when it is sent, and nothing of
//! it comes back with an error. The backend used to copy every request
//! before each attempt to have it at hand afterwards: for a put, its map
//! of attribute values and names (13 000 instructions a put); for a batch
//! of 100 items, every item (1.2 M instructions, an eighth of the whole
//! `BatchWriteItem` on the client). The request's JSON body is a byte
//! copy instead, taken by the client's interceptor just before the request
//! goes out ([`keep`]), and only the rare attempt that fails reads it
//! back into a request ([`update_item`], [`put_item`],
//! [`write_requests`]). A batch read's retry is made from its body too
//! ([`batch_get_items`]): its keys are not copied before each attempt.
//!
//! The interceptor keeps a body only for a request sent inside
//! [`Kept::scope`] (a task-local slot), so other requests pay one look at
//! the slot.
//!
//! Each parser reads the fields the backend sets on that request (its
//! consumed capacity is asked again by the retry loop): a field a write
//! starts setting must be read here too, or its retry goes without it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use aws_sdk_dynamodb::operation::put_item::builders::PutItemFluentBuilder;
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::{DeleteRequest, KeysAndAttributes, PutRequest, WriteRequest};
use aws_sdk_dynamodb::Client;
use serde::Deserialize;

use super::item::Attributes;

tokio::task_local! {
    /// Where the interceptor puts the body of a request sent in a scope.
    static SLOT: Arc<Mutex<Option<Vec<u8>>>>;
}

/// The body of the last attempt of a request sent in [`Kept::scope`].
#[derive(Default)]
pub(super) struct Kept(Arc<Mutex<Option<Vec<u8>>>>);

impl Kept {
    /// `attempt` (one attempt's future), its body kept when it is sent.
    pub(super) fn scope<F: std::future::Future>(
        &self,
        attempt: F,
    ) -> impl std::future::Future<Output = F::Output> {
        SLOT.scope(self.0.clone(), attempt)
    }

    /// The body the last attempt sent, if one was sent; taken.
    pub(super) fn take(&self) -> Option<Vec<u8>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).take()
    }
}

/// Keeps `body` for the request being sent, when it is sent in a
/// [`Kept::scope`] (called by the client's interceptor just before each
/// request goes out).
pub(super) fn keep(body: Option<&[u8]>) {
    let _ = SLOT.try_with(|slot| {
        *slot.lock().unwrap_or_else(PoisonError::into_inner) = body.map(<[u8]>::to_vec);
    });
}

/// Attribute values as DynamoDB's JSON writes them (`{"S": "…"}`).
type Wire = HashMap<String, serde_dynamo::AttributeValue>;

fn attributes(wire: Wire) -> Attributes {
    wire.into_iter().map(|(k, v)| (k, v.into())).collect()
}

/// The fields of an `UpdateItem` or a `PutItem` that the backend sets
/// (its consumed capacity, when asked, is asked again for each attempt):
/// an update has a key, a put an item.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ItemWriteBody {
    table_name: String,
    key: Option<Wire>,
    item: Option<Wire>,
    update_expression: Option<String>,
    condition_expression: Option<String>,
    expression_attribute_names: Option<HashMap<String, String>>,
    expression_attribute_values: Option<Wire>,
    return_values: Option<String>,
    return_values_on_condition_check_failure: Option<String>,
}

/// Sets on `$builder` (an `UpdateItem`'s or a `PutItem`'s) the fields the
/// two share, from `$body` (an [`ItemWriteBody`]).
macro_rules! shared_fields {
    ($builder:expr, $body:ident) => {
        $builder
            .table_name($body.table_name)
            .set_condition_expression($body.condition_expression)
            .set_expression_attribute_names($body.expression_attribute_names)
            .set_expression_attribute_values($body.expression_attribute_values.map(attributes))
            .set_return_values($body.return_values.as_deref().map(Into::into))
            .set_return_values_on_condition_check_failure(
                $body
                    .return_values_on_condition_check_failure
                    .as_deref()
                    .map(Into::into),
            )
    };
}

/// The `UpdateItem` whose body is `body`, made again; `None` if `body` is
/// not one.
pub(super) fn update_item(sdk: &Client, body: &[u8]) -> Option<UpdateItemFluentBuilder> {
    let body: ItemWriteBody = serde_json::from_slice(body).ok()?;
    let key = attributes(body.key?);
    let update = body.update_expression;
    Some(
        shared_fields!(sdk.update_item(), body)
            .set_key(Some(key))
            .set_update_expression(update),
    )
}

/// The `PutItem` whose body is `body`, made again; `None` if `body` is not
/// one.
pub(super) fn put_item(sdk: &Client, body: &[u8]) -> Option<PutItemFluentBuilder> {
    let body: ItemWriteBody = serde_json::from_slice(body).ok()?;
    let item = attributes(body.item?);
    Some(shared_fields!(sdk.put_item(), body).set_item(Some(item)))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct BatchWriteBody {
    request_items: HashMap<String, Vec<WriteRequestBody>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct WriteRequestBody {
    put_request: Option<ItemBody>,
    delete_request: Option<KeyBody>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ItemBody {
    item: Wire,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct KeyBody {
    key: Wire,
}

/// The writes to `table` (its name in DynamoDB) of the `BatchWriteItem`
/// whose body is `body`; `None` if `body` is not one.
pub(super) fn write_requests(body: &[u8], table: &str) -> Option<Vec<WriteRequest>> {
    let mut body: BatchWriteBody = serde_json::from_slice(body).ok()?;
    body.request_items
        .remove(table)?
        .into_iter()
        .map(|request| {
            let request = match (request.put_request, request.delete_request) {
                (Some(put), None) => WriteRequest::builder().put_request(
                    PutRequest::builder()
                        .set_item(Some(attributes(put.item)))
                        .build()
                        .ok()?,
                ),
                (None, Some(delete)) => WriteRequest::builder().delete_request(
                    DeleteRequest::builder()
                        .set_key(Some(attributes(delete.key)))
                        .build()
                        .ok()?,
                ),
                _ => return None,
            };
            Some(request.build())
        })
        .collect()
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct BatchGetBody {
    request_items: HashMap<String, KeysBody>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct KeysBody {
    keys: Vec<Wire>,
    consistent_read: Option<bool>,
    projection_expression: Option<String>,
    expression_attribute_names: Option<HashMap<String, String>>,
}

/// The keys, table by table (names in DynamoDB), of the `BatchGetItem`
/// whose body is `body`, with how each table's are read; `None` if `body`
/// is not one. A read keeps its body only for a retry: its request is not
/// copied before each attempt.
pub(super) fn batch_get_items(body: &[u8]) -> Option<HashMap<String, KeysAndAttributes>> {
    let body: BatchGetBody = serde_json::from_slice(body).ok()?;
    body.request_items
        .into_iter()
        .map(|(table, read)| {
            let keys = KeysAndAttributes::builder()
                .set_keys(Some(read.keys.into_iter().map(attributes).collect()))
                .set_consistent_read(read.consistent_read)
                .set_projection_expression(read.projection_expression)
                .set_expression_attribute_names(read.expression_attribute_names)
                .build()
                .ok()?;
            Some((table, keys))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use aws_sdk_dynamodb::primitives::Blob;
    use aws_sdk_dynamodb::types::{
        AttributeValue as A, ReturnValue, ReturnValuesOnConditionCheckFailure,
    };

    use super::*;

    fn client() -> Client {
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
            .build();
        Client::from_conf(config)
    }

    /// Every kind of value DynamoDB's JSON writes, as the SDK writes it
    /// (binary as base64).
    const VALUES: &str = r#"{
        ":s": {"S": "a#b"}, ":n": {"N": "-1.5E3"}, ":b": {"B": "AAH/"},
        ":t": {"BOOL": true}, ":z": {"NULL": true},
        ":m": {"M": {"x": {"L": [{"S": "y"}, {"N": "2"}]}}},
        ":ss": {"SS": ["a", "b"]}, ":ns": {"NS": ["1", "2"]}, ":bs": {"BS": ["AA=="]}
    }"#;

    #[test]
    fn an_update_item_is_made_again_from_its_body() {
        let body = format!(
            r##"{{"TableName": "t", "Key": {{"pk": {{"S": "P"}}, "sk": {{"S": "S"}}}},
            "UpdateExpression": "SET #a = :s", "ConditionExpression": "attribute_exists(#a)",
            "ExpressionAttributeNames": {{"#a": "name"}},
            "ExpressionAttributeValues": {VALUES},
            "ReturnValues": "ALL_NEW", "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            "ReturnConsumedCapacity": "TOTAL"}}"##
        );
        let request = update_item(&client(), body.as_bytes()).unwrap();
        assert_eq!(request.get_table_name().as_deref(), Some("t"));
        let key = request.get_key().as_ref().unwrap();
        assert_eq!(key["pk"], A::S("P".into()));
        assert_eq!(key["sk"], A::S("S".into()));
        assert_eq!(
            request.get_update_expression().as_deref(),
            Some("SET #a = :s")
        );
        assert_eq!(
            request.get_condition_expression().as_deref(),
            Some("attribute_exists(#a)")
        );
        let names = request.get_expression_attribute_names().as_ref().unwrap();
        assert_eq!(names["#a"], "name");
        let values = request.get_expression_attribute_values().as_ref().unwrap();
        assert_eq!(values[":s"], A::S("a#b".into()));
        assert_eq!(values[":n"], A::N("-1.5E3".into()));
        assert_eq!(values[":b"], A::B(Blob::new(vec![0, 1, 255])));
        assert_eq!(values[":t"], A::Bool(true));
        assert_eq!(values[":z"], A::Null(true));
        assert_eq!(
            values[":m"],
            A::M(HashMap::from([(
                "x".to_owned(),
                A::L(vec![A::S("y".into()), A::N("2".into())])
            )]))
        );
        assert_eq!(values[":ss"], A::Ss(vec!["a".into(), "b".into()]));
        assert_eq!(values[":ns"], A::Ns(vec!["1".into(), "2".into()]));
        assert_eq!(values[":bs"], A::Bs(vec![Blob::new(vec![0])]));
        assert_eq!(request.get_return_values(), &Some(ReturnValue::AllNew));
        assert_eq!(
            request.get_return_values_on_condition_check_failure(),
            &Some(ReturnValuesOnConditionCheckFailure::AllOld)
        );
        // What is not an `UpdateItem`'s body makes none.
        assert!(update_item(&client(), br#"{"Key": 1}"#).is_none());
        assert!(update_item(&client(), b"").is_none());
    }

    #[test]
    fn a_put_item_is_made_again_from_its_body() {
        let body = format!(
            r##"{{"TableName": "t", "Item": {VALUES},
            "ConditionExpression": "attribute_not_exists(#pk) OR #t < :t",
            "ExpressionAttributeNames": {{"#pk": "pk", "#t": "ttl"}},
            "ExpressionAttributeValues": {{":t": {{"N": "5"}}}},
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}}"##
        );
        let request = put_item(&client(), body.as_bytes()).unwrap();
        assert_eq!(request.get_table_name().as_deref(), Some("t"));
        let item = request.get_item().as_ref().unwrap();
        assert_eq!(item.len(), 9);
        assert_eq!(item[":ns"], A::Ns(vec!["1".into(), "2".into()]));
        assert_eq!(
            request.get_condition_expression().as_deref(),
            Some("attribute_not_exists(#pk) OR #t < :t")
        );
        let names = request.get_expression_attribute_names().as_ref().unwrap();
        assert_eq!(names.len(), 2);
        let values = request.get_expression_attribute_values().as_ref().unwrap();
        assert_eq!(values[":t"], A::N("5".into()));
        assert_eq!(request.get_return_values(), &None);
        assert_eq!(
            request.get_return_values_on_condition_check_failure(),
            &Some(ReturnValuesOnConditionCheckFailure::AllOld)
        );
        assert!(put_item(&client(), br#"{"TableName": "t"}"#).is_none());
    }

    #[test]
    fn a_batch_writes_requests_are_made_again_from_its_body() {
        let body = format!(
            r#"{{"RequestItems": {{"t": [
                {{"PutRequest": {{"Item": {VALUES}}}}},
                {{"DeleteRequest": {{"Key": {{"pk": {{"S": "P"}}, "sk": {{"S": "S"}}}}}}}}
            ], "other": []}}, "ReturnConsumedCapacity": "TOTAL"}}"#
        );
        let requests = write_requests(body.as_bytes(), "t").unwrap();
        assert_eq!(requests.len(), 2);
        let item = &requests[0].put_request.as_ref().unwrap().item;
        assert_eq!(item.len(), 9);
        assert_eq!(item[":b"], A::B(Blob::new(vec![0, 1, 255])));
        assert!(requests[0].delete_request.is_none());
        let key = &requests[1].delete_request.as_ref().unwrap().key;
        assert_eq!(key["sk"], A::S("S".into()));
        assert_eq!(write_requests(body.as_bytes(), "other").unwrap().len(), 0);
        assert!(write_requests(body.as_bytes(), "missing").is_none());
        // A request with both or neither is not one DynamoDB takes.
        let both = r#"{"RequestItems": {"t": [{}]}}"#;
        assert!(write_requests(both.as_bytes(), "t").is_none());
    }

    #[test]
    fn a_batch_reads_keys_are_made_again_from_its_body() {
        let body = r##"{"RequestItems": {
            "t": {"Keys": [{"pk": {"S": "P"}, "sk": {"S": "S1"}}, {"pk": {"S": "P"}, "sk": {"S": "S2"}}],
                  "ConsistentRead": true},
            "u": {"Keys": [{"pk": {"S": "Q"}, "sk": {"S": "S"}}],
                  "ProjectionExpression": "#pk, #sk, #c",
                  "ExpressionAttributeNames": {"#pk": "pk", "#sk": "sk", "#c": "created_at"}}
        }, "ReturnConsumedCapacity": "TOTAL"}"##;
        let items = batch_get_items(body.as_bytes()).unwrap();
        assert_eq!(items.len(), 2);
        let t = &items["t"];
        assert_eq!(t.keys.len(), 2);
        assert_eq!(t.keys[1]["sk"], A::S("S2".into()));
        assert_eq!(t.consistent_read, Some(true));
        assert_eq!(t.projection_expression, None);
        let u = &items["u"];
        assert_eq!(u.keys[0]["pk"], A::S("Q".into()));
        assert_eq!(u.consistent_read, None);
        assert_eq!(u.projection_expression.as_deref(), Some("#pk, #sk, #c"));
        assert_eq!(
            u.expression_attribute_names.as_ref().unwrap()["#c"],
            "created_at"
        );
        // A write's body, or none, makes no read.
        assert!(batch_get_items(br#"{"RequestItems": {"t": []}}"#).is_none());
        assert!(batch_get_items(b"").is_none());
    }
}

//! The DynamoDB mapping: the table definition, and the `Query` request of a
//! page, described without the SDK so that documentation and `explain()`
//! show exactly what the backend sends.

use serde_json::{json, Map, Value};

use super::{PARTITION_KEY, SORT_KEY};
use crate::query::{Order, Position, QuerySpec, SortKeyCondition};

/// `(name, type)` of each key attribute.
pub(crate) const ATTRIBUTE_DEFINITIONS: [(&str, &str); 2] = [(PARTITION_KEY, "S"), (SORT_KEY, "S")];
/// `(name, key type)` of the table's key.
pub(crate) const KEY_SCHEMA: [(&str, &str); 2] = [(PARTITION_KEY, "HASH"), (SORT_KEY, "RANGE")];
/// On-demand capacity: nothing to provision.
pub(crate) const BILLING_MODE: &str = "PAY_PER_REQUEST";

/// The `CreateTable` input of a table, as `aws dynamodb create-table
/// --cli-input-json` takes it.
pub(crate) fn create_table_json(table: &str) -> String {
    let attributes: Vec<Value> = ATTRIBUTE_DEFINITIONS
        .iter()
        .map(|(name, kind)| json!({ "AttributeName": name, "AttributeType": kind }))
        .collect();
    let key: Vec<Value> = KEY_SCHEMA
        .iter()
        .map(|(name, kind)| json!({ "AttributeName": name, "KeyType": kind }))
        .collect();
    let mut out = String::from("{\n");
    out.push_str(&format!("  \"TableName\": {},\n", json!(table)));
    out.push_str("  \"AttributeDefinitions\": [\n");
    push_lines(&mut out, &attributes);
    out.push_str("  ],\n  \"KeySchema\": [\n");
    push_lines(&mut out, &key);
    out.push_str(&format!("  ],\n  \"BillingMode\": \"{BILLING_MODE}\"\n}}"));
    out
}

fn push_lines(out: &mut String, values: &[Value]) {
    for (i, value) in values.iter().enumerate() {
        let comma = if i + 1 < values.len() { "," } else { "" };
        out.push_str(&format!("    {value}{comma}\n"));
    }
}

/// One `Query` request: a page of a query, starting after a position.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct QueryRequest {
    pub(crate) table_name: String,
    pub(crate) key_condition: &'static str,
    /// `(placeholder, string value)`: `:pk`, then the condition's values.
    pub(crate) values: Vec<(&'static str, String)>,
    pub(crate) uses_sort_key: bool,
    /// The key to start after: `(pk, sk)`.
    pub(crate) exclusive_start: Option<(String, String)>,
    pub(crate) limit: Option<u32>,
    pub(crate) forward: bool,
    pub(crate) consistent: bool,
}

impl QueryRequest {
    pub(crate) fn new(
        spec: &QuerySpec,
        table_name: &str,
        start: Option<&Position>,
        limit: Option<u32>,
    ) -> QueryRequest {
        let mut values = vec![(":pk", spec.partition_key.clone())];
        let key_condition = match &spec.sort_key {
            None => "#pk = :pk",
            Some(SortKeyCondition::Equals(v)) => {
                values.push((":sk", v.clone()));
                "#pk = :pk AND #sk = :sk"
            }
            Some(SortKeyCondition::BeginsWith(p)) => {
                values.push((":sk", p.clone()));
                "#pk = :pk AND begins_with(#sk, :sk)"
            }
            Some(SortKeyCondition::Between(a, b)) => {
                values.push((":low", a.clone()));
                values.push((":high", b.clone()));
                "#pk = :pk AND #sk BETWEEN :low AND :high"
            }
        };
        QueryRequest {
            table_name: table_name.to_owned(),
            key_condition,
            values,
            uses_sort_key: spec.sort_key.is_some(),
            exclusive_start: start.map(|p| (spec.partition_key.clone(), p.sort_key.clone())),
            limit,
            forward: spec.order == Order::Ascending,
            consistent: spec.consistent,
        }
    }

    /// The expression attribute names a request uses.
    pub(crate) fn names_of(
        uses_sort_key: bool,
    ) -> impl Iterator<Item = (&'static str, &'static str)> {
        let sk = uses_sort_key.then_some(("#sk", SORT_KEY));
        std::iter::once(("#pk", PARTITION_KEY)).chain(sk)
    }

    /// The request as DynamoDB's JSON wire protocol writes it.
    pub(crate) fn to_json(&self) -> String {
        let s = |v: &str| json!({ "S": v });
        let mut request = Map::new();
        request.insert("TableName".into(), json!(self.table_name));
        request.insert("KeyConditionExpression".into(), json!(self.key_condition));
        request.insert(
            "ExpressionAttributeNames".into(),
            Value::Object(
                Self::names_of(self.uses_sort_key)
                    .map(|(k, v)| (k.into(), json!(v)))
                    .collect(),
            ),
        );
        request.insert(
            "ExpressionAttributeValues".into(),
            Value::Object(
                self.values
                    .iter()
                    .map(|(k, v)| ((*k).into(), s(v)))
                    .collect(),
            ),
        );
        if let Some((pk, sk)) = &self.exclusive_start {
            request.insert(
                "ExclusiveStartKey".into(),
                json!({ PARTITION_KEY: s(pk), SORT_KEY: s(sk) }),
            );
        }
        if let Some(limit) = self.limit {
            request.insert("Limit".into(), json!(limit));
        }
        request.insert("ScanIndexForward".into(), json!(self.forward));
        request.insert("ConsistentRead".into(), json!(self.consistent));
        Value::Object(request).to_string()
    }
}

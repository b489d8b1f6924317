//! The DynamoDB mapping: the table definition, and the `Query` request of a
//! page, described without the SDK so that documentation and `explain()`
//! show exactly what the backend sends.

use std::borrow::Cow;

use serde_json::{json, Map, Value};

use crate::key::{table_key_of_index_sort_key, KeyValue};
use crate::layout::expression::{ExprValue, Expression};
use crate::ops::cursor::Position;
use crate::ops::key_condition::{AttributeCondition, Term};
use crate::ops::query::{Order, QuerySpec, SortKeyCondition};
use crate::schema::{IndexSlot, Projection, SetKind, TableSchema};
use crate::schema::{PARTITION_KEY, SORT_KEY};

/// `(name, type)` of each key attribute.
pub(crate) const ATTRIBUTE_DEFINITIONS: [(&str, &str); 2] = [(PARTITION_KEY, "S"), (SORT_KEY, "S")];
/// `(name, key type)` of the table's key.
pub(crate) const KEY_SCHEMA: [(&str, &str); 2] = [(PARTITION_KEY, "HASH"), (SORT_KEY, "RANGE")];
/// On-demand capacity: nothing to provision.
pub(crate) const BILLING_MODE: &str = "PAY_PER_REQUEST";

/// One key attribute of a secondary index: `(name, type, key type)`.
pub(crate) type IndexKeyElement = (&'static str, &'static str, &'static str);

/// The key schema of index `slot`: `gsi1pk` (`S`, `HASH`) and `gsi1sk`
/// (`S`, `RANGE`), or a multi-attribute index's attributes in order (its
/// partition attributes, its sort attributes, the table's `pk` and `sk`).
pub(crate) fn index_key(schema: &TableSchema, slot: &IndexSlot) -> Vec<IndexKeyElement> {
    let attributes = schema.key_attributes(slot.name);
    if attributes.is_empty() {
        return vec![
            (slot.pk_attribute, "S", "HASH"),
            (slot.sk_attribute, "S", "RANGE"),
        ];
    }
    attributes
        .iter()
        .map(|a| (a.name, a.scalar.letter(), a.key_type()))
        .collect()
}

/// Every attribute a table's keys and its indexes' keys name, once, with
/// its type: what `AttributeDefinitions` lists.
pub(crate) fn attribute_definitions(schema: &TableSchema) -> Vec<(&'static str, &'static str)> {
    let mut definitions: Vec<(&'static str, &'static str)> = ATTRIBUTE_DEFINITIONS.to_vec();
    for slot in schema.indexes {
        for (name, kind, _) in index_key(schema, slot) {
            if !definitions.iter().any(|(n, _)| *n == name) {
                definitions.push((name, kind));
            }
        }
    }
    definitions
}

/// The `CreateTable` input of a table, as `aws dynamodb create-table
/// --cli-input-json` takes it, with its secondary indexes.
pub(crate) fn create_table_json(schema: &TableSchema) -> String {
    let definitions = attribute_definitions(schema);
    let attributes: Vec<Value> = definitions
        .iter()
        .map(|(name, kind)| json!({ "AttributeName": name, "AttributeType": kind }))
        .collect();
    let key: Vec<Value> = KEY_SCHEMA
        .iter()
        .map(|(name, kind)| json!({ "AttributeName": name, "KeyType": kind }))
        .collect();
    let indexes: Vec<Value> = schema
        .indexes
        .iter()
        .map(|slot| {
            let projection = schema.projection(slot.name);
            let mut kind = json!({ "ProjectionType": projection.dynamodb_name() });
            if let Projection::Include(attributes) = projection {
                kind["NonKeyAttributes"] = json!(attributes);
            }
            let key: Vec<Value> = index_key(schema, slot)
                .into_iter()
                .map(|(name, _, key_type)| json!({ "AttributeName": name, "KeyType": key_type }))
                .collect();
            json!({
                "IndexName": slot.name,
                "KeySchema": key,
                "Projection": kind,
            })
        })
        .collect();
    let mut out = String::from("{\n");
    out.push_str(&format!("  \"TableName\": {},\n", json!(schema.name)));
    out.push_str("  \"AttributeDefinitions\": [\n");
    push_lines(&mut out, &attributes);
    out.push_str("  ],\n  \"KeySchema\": [\n");
    push_lines(&mut out, &key);
    if !indexes.is_empty() {
        out.push_str("  ],\n  \"GlobalSecondaryIndexes\": [\n");
        push_lines(&mut out, &indexes);
    }
    out.push_str(&format!("  ],\n  \"BillingMode\": \"{BILLING_MODE}\""));
    if schema.stream {
        out.push_str(&format!(
            ",\n  \"StreamSpecification\": {STREAM_SPECIFICATION}"
        ));
    }
    out.push_str("\n}");
    out
}

/// The change feed's stream ([`crate::feed`]), as `CreateTable` takes it.
pub(crate) const STREAM_SPECIFICATION: &str =
    r#"{ "StreamEnabled": true, "StreamViewType": "NEW_AND_OLD_IMAGES" }"#;

fn push_lines(out: &mut String, values: &[Value]) {
    for (i, value) in values.iter().enumerate() {
        let comma = if i + 1 < values.len() { "," } else { "" };
        out.push_str(&format!("    {value}{comma}\n"));
    }
}

/// A query's key conditions on the table's key, `pk` and `sk` named as
/// they are: the partition alone, an exact sort key, a prefix, a range.
const TABLE_KEY_CONDITIONS: [&str; 4] = [
    "pk = :pk",
    "pk = :pk AND sk = :sk",
    "pk = :pk AND begins_with(sk, :sk)",
    "pk = :pk AND sk BETWEEN :low AND :high",
];

/// The same on an index's key, its attributes named by placeholder.
const INDEX_KEY_CONDITIONS: [&str; 4] = [
    "#pk = :pk",
    "#pk = :pk AND #sk = :sk",
    "#pk = :pk AND begins_with(#sk, :sk)",
    "#pk = :pk AND #sk BETWEEN :low AND :high",
];

/// One `Query` request: a page of a query, starting after a position.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct QueryRequest {
    pub(crate) table_name: String,
    /// The secondary index to read, if any.
    pub(crate) index_name: Option<&'static str>,
    pub(crate) key_condition: Cow<'static, str>,
    /// `(placeholder, value)`: `:pk`, then the condition's values.
    pub(crate) values: Vec<(Cow<'static, str>, KeyValue)>,
    /// An index's key attributes, `#pk` and `#sk` (when the condition
    /// uses it); `#k0`, `#k1`, … a multi-attribute index's; none for the
    /// table's own key, named as it is.
    pub(crate) names: Vec<(Cow<'static, str>, &'static str)>,
    /// The key to start after: attribute name and value (the table's
    /// key, and the index's for an index query).
    pub(crate) exclusive_start: Option<Vec<(&'static str, KeyValue)>>,
    pub(crate) limit: Option<u32>,
    pub(crate) forward: bool,
    pub(crate) consistent: bool,
    /// `FilterExpression` and its placeholders (`#n…`, `:v…`).
    pub(crate) filter: Option<(String, Expression)>,
}

impl QueryRequest {
    pub(crate) fn new(
        spec: &QuerySpec,
        table_name: &str,
        start: Option<&Position>,
        limit: Option<u32>,
    ) -> QueryRequest {
        let s = |v: &str| KeyValue::S(v.to_owned());
        let mut values = vec![(Cow::Borrowed(":pk"), s(&spec.partition_key))];
        // The table's key attributes, `pk` and `sk`, are named as they
        // are (neither is one of DynamoDB's reserved words): about 50
        // bytes less a request than placeholders. An index's key
        // attributes take their names from the index's slot, which the
        // application chooses, so they keep placeholders (`#pk`, `#sk`).
        let [equals, exact, begins, between] = if spec.index.is_some() {
            INDEX_KEY_CONDITIONS
        } else {
            TABLE_KEY_CONDITIONS
        };
        let key_condition = match &spec.sort_key {
            None => equals,
            Some(SortKeyCondition::Equals(v)) => {
                values.push((Cow::Borrowed(":sk"), s(v)));
                exact
            }
            Some(SortKeyCondition::BeginsWith(p)) => {
                values.push((Cow::Borrowed(":sk"), s(p)));
                begins
            }
            Some(SortKeyCondition::Between(a, b)) => {
                values.push((Cow::Borrowed(":low"), s(a)));
                values.push((Cow::Borrowed(":high"), s(b)));
                between
            }
        };
        let mut names = Vec::new();
        if let Some(index) = &spec.index {
            names.push((Cow::Borrowed("#pk"), index.slot.pk_attribute));
            if spec.sort_key.is_some() {
                names.push((Cow::Borrowed("#sk"), index.slot.sk_attribute));
            }
        }
        let exclusive_start = start.map(|p| match &spec.index {
            None => vec![
                (PARTITION_KEY, s(&spec.partition_key)),
                (SORT_KEY, s(&p.sort_key)),
            ],
            Some(index) => {
                // An index sort key ends with the item's table key.
                let (pk, sk) = table_key_of_index_sort_key(&p.sort_key).unwrap_or_default();
                vec![
                    (index.slot.pk_attribute, s(&spec.partition_key)),
                    (index.slot.sk_attribute, s(&p.sort_key)),
                    (PARTITION_KEY, KeyValue::S(pk)),
                    (SORT_KEY, KeyValue::S(sk)),
                ]
            }
        });
        let filter = spec.full_filter().map(|cond| {
            let mut expr = Expression::default();
            let text = expr.condition(&cond);
            (text, expr)
        });
        let mut request = QueryRequest {
            table_name: table_name.to_owned(),
            index_name: spec.index.map(|i| i.slot.name),
            key_condition: Cow::Borrowed(key_condition),
            values,
            names,
            exclusive_start,
            limit,
            forward: spec.order == Order::Ascending,
            consistent: spec.consistent,
            filter,
        };
        if let Some(condition) = &spec.attributes {
            request.attribute_condition(condition, start);
        }
        request
    }

    /// The key condition of a multi-attribute index: each attribute's
    /// term, `#k{i}` its name and `:k{i}` (`:k{i}b` a `BETWEEN`'s high
    /// end) its values; and the start key: the position's sort attributes
    /// (ending with the table key) and the partition's attributes.
    fn attribute_condition(&mut self, condition: &AttributeCondition, start: Option<&Position>) {
        self.values.clear();
        self.names.clear();
        let mut terms = Vec::new();
        for (i, (attribute, term)) in condition.terms().enumerate() {
            let name = format!("#k{i}");
            let (a, b) = (format!(":k{i}"), format!(":k{i}b"));
            self.names.push((Cow::Owned(name.clone()), attribute.name));
            match term {
                Term::Equal(v) => {
                    terms.push(format!("{name} = {a}"));
                    self.values.push((Cow::Owned(a), v.clone()));
                }
                Term::Range(range) => {
                    terms.push(range.expression(&name, &a, &b));
                    let mut values = range.values().into_iter();
                    if let Some(v) = values.next() {
                        self.values.push((Cow::Owned(a), v));
                    }
                    if let Some(v) = values.next() {
                        self.values.push((Cow::Owned(b), v));
                    }
                }
            }
        }
        self.key_condition = Cow::Owned(terms.join(" AND "));
        self.exclusive_start = start.map(|p| {
            let sort = condition.decode_position(&p.sort_key).unwrap_or_default();
            condition
                .attributes
                .iter()
                .map(|a| a.name)
                .zip(condition.partition().iter().chain(&sort).cloned())
                .collect()
        });
    }

    /// The request as DynamoDB's JSON wire protocol writes it.
    pub(crate) fn to_json(&self) -> String {
        let s = |v: &KeyValue| match v {
            KeyValue::S(v) => json!({ "S": v }),
            KeyValue::N(n) => json!({ "N": n.to_string() }),
        };
        let mut request = Map::new();
        request.insert("TableName".into(), json!(self.table_name));
        if let Some(index) = self.index_name {
            request.insert("IndexName".into(), json!(index));
        }
        request.insert("KeyConditionExpression".into(), json!(self.key_condition));
        let mut names: Map<String, Value> = self
            .names
            .iter()
            .map(|(k, v)| (k.to_string(), json!(v)))
            .collect();
        let mut values: Map<String, Value> = self
            .values
            .iter()
            .map(|(k, v)| (k.to_string(), s(v)))
            .collect();
        if let Some((text, expr)) = &self.filter {
            request.insert("FilterExpression".into(), json!(text));
            for (k, v) in &expr.names {
                names.insert(k.clone(), json!(v));
            }
            for (k, v) in &expr.values {
                values.insert(k.clone(), wire_value(v));
            }
        }
        // An empty map is not sent (DynamoDB refuses one).
        if !names.is_empty() {
            request.insert("ExpressionAttributeNames".into(), Value::Object(names));
        }
        request.insert("ExpressionAttributeValues".into(), Value::Object(values));
        if let Some(start) = &self.exclusive_start {
            request.insert(
                "ExclusiveStartKey".into(),
                Value::Object(start.iter().map(|(k, v)| ((*k).into(), s(v))).collect()),
            );
        }
        if let Some(limit) = self.limit {
            request.insert("Limit".into(), json!(limit));
        }
        // Ascending, DynamoDB's default, goes unsaid; the consistency is
        // always said, as a get says it.
        if !self.forward {
            request.insert("ScanIndexForward".into(), json!(false));
        }
        request.insert("ConsistentRead".into(), json!(self.consistent));
        Value::Object(request).to_string()
    }
}

/// A value as DynamoDB's JSON wire protocol writes it.
fn wire_value(value: &ExprValue) -> Value {
    fn json_value(v: &Value) -> Value {
        match v {
            Value::Null => json!({ "NULL": true }),
            Value::Bool(b) => json!({ "BOOL": b }),
            Value::Number(n) => json!({ "N": n.to_string() }),
            Value::String(s) => json!({ "S": s }),
            Value::Array(items) => json!({ "L": items.iter().map(json_value).collect::<Vec<_>>() }),
            Value::Object(map) => json!({
                "M": map.iter().map(|(k, v)| (k.clone(), json_value(v))).collect::<Map<_, _>>()
            }),
        }
    }
    match value {
        ExprValue::Json(v) => json_value(v),
        ExprValue::Set(SetKind::Strings, elements) => json!({
            "SS": elements.iter().map(|e| e.as_str().map_or_else(|| e.to_string(), str::to_owned)).collect::<Vec<_>>()
        }),
        ExprValue::Set(SetKind::Numbers, elements) => {
            json!({ "NS": elements.iter().map(Value::to_string).collect::<Vec<_>>() })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table's key conditions name its key attributes as the schema
    /// spells them, each in the place the index's put a placeholder.
    #[test]
    fn the_tables_key_conditions_name_its_key_attributes() {
        for (table, index) in TABLE_KEY_CONDITIONS.iter().zip(INDEX_KEY_CONDITIONS) {
            let named = index.replace("#pk", PARTITION_KEY).replace("#sk", SORT_KEY);
            assert_eq!(*table, named);
        }
    }
}

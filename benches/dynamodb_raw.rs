//! The hand-written baseline of the DynamoDB benchmark: what a careful
//! application sends with aws-sdk-dynamodb for the store's semantics
//! (consistent reads, `created_at` kept by an `UpdateItem` with
//! `if_not_exists`, `attribute_not_exists` for create, the index keys the
//! store writes, the guard that no program overwrites an item a newer
//! shape of its entity wrote, serde_dynamo for the items).

use std::collections::HashMap;

use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes, PutRequest, WriteRequest};
use aws_sdk_dynamodb::Client;
use blue_schema_examples::dialogue::*;

use super::fixtures::{now, D};

/// The condition of every write that replaces or changes an item, as the
/// store's: not over an item a newer shape of the entity wrote (its
/// `_shape` above this program's, 1; an item without one is shape 1).
const SHAPE_GUARD: &str = "NOT #sh > :shape";

pub struct Raw {
    pub client: Client,
    pub table: String,
    /// The store's table of viewed cards, which the view query's baseline
    /// reads through the same `INCLUDE` index.
    pub viewed: String,
    /// The store's table of ranked cards, whose multi-attribute index the
    /// baseline queries and writes.
    pub ranked: String,
}

/// What a hand-written reader of the viewed cards' index keeps of each:
/// the fields a `CardLine` has.
#[allow(dead_code)]
pub struct RawLine {
    deck: String,
    id: u32,
    owner: String,
    rank: u32,
    title: String,
}

/// An entry of the viewed cards' `INCLUDE` index: the table key (the deck
/// and `CARD#{id:010}`) and the projected attributes.
#[derive(serde::Deserialize)]
struct RawEntry {
    pk: String,
    sk: String,
    owner: String,
    rank: u32,
    title: String,
}

pub fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_owned())
}

/// The keys of index `gsi1` (experts by role), as hand-written code that
/// maintains the index writes them: the role, then the tier and the
/// item's own key, escaped.
fn with_index_keys(item: &mut HashMap<String, AttributeValue>, e: &Expert) {
    let escape = |text: &str| text.replace('%', "%25").replace('#', "%23");
    item.insert(
        "gsi1pk".into(),
        s(&format!("ROLE#{}", e.role.replace(' ', "%20"))),
    );
    item.insert(
        "gsi1sk".into(),
        s(&format!(
            "EXPERT#{:03}#{}#{}",
            e.tier,
            escape(&e.dialogue_id),
            escape(&format!("EXPERT#{}", e.name))
        )),
    );
}

/// The update expression of a put as the store writes it: every
/// attribute set, `created_at` kept, `updated_at` now; and its names and
/// values.
fn set_all(
    attributes: HashMap<String, AttributeValue>,
) -> (
    String,
    HashMap<String, String>,
    HashMap<String, AttributeValue>,
) {
    let mut expression = String::from("SET ");
    let mut names = HashMap::new();
    let mut values = HashMap::new();
    for (i, (name, value)) in attributes.into_iter().enumerate() {
        expression.push_str(&format!("#a{i} = :a{i}, "));
        names.insert(format!("#a{i}"), name);
        values.insert(format!(":a{i}"), value);
    }
    expression.push_str("#c = if_not_exists(#c, :c), #u = :c");
    names.insert("#c".into(), "created_at".into());
    names.insert("#u".into(), "updated_at".into());
    values.insert(":c".into(), s(&now()));
    (expression, names, values)
}

/// The items of every page of a query, each page sent as hand-written
/// code sends it: `page(start)` is the request of the page that starts
/// after `start` (`None` for the first).
async fn every_page(
    page: impl Fn(Option<HashMap<String, AttributeValue>>) -> QueryFluentBuilder,
) -> Vec<HashMap<String, AttributeValue>> {
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let out = page(start).send().await.unwrap();
        items.extend(out.items.unwrap_or_default());
        start = out.last_evaluated_key;
        if start.is_none() {
            return items;
        }
    }
}

impl Raw {
    /// The baseline on a copy of `client` without the SDK's retry layer:
    /// the store sends through such a client (it retries throttling and
    /// refused connections itself, with the same attempts), so that neither
    /// side pays for a layer the other lacks.
    pub fn new(client: &Client, table: String) -> Raw {
        Raw {
            client: Client::from_conf(
                client
                    .config()
                    .to_builder()
                    .retry_config(aws_sdk_dynamodb::config::retry::RetryConfig::disabled())
                    .build(),
            ),
            table,
            viewed: String::new(),
            ranked: String::new(),
        }
    }

    /// The lines of an owner's viewed cards: the partition of the
    /// `INCLUDE` index `gsi1`, each entry decoded into the view's fields.
    pub async fn lines_by_owner(&self, owner: &str) -> Vec<RawLine> {
        let items = every_page(|start| {
            self.client
                .query()
                .table_name(&self.viewed)
                .index_name("gsi1")
                .key_condition_expression("gsi1pk = :pk AND begins_with(gsi1sk, :p)")
                .expression_attribute_values(":pk", s(&format!("OWNER#{owner}")))
                .expression_attribute_values(":p", s("CARD#"))
                .set_exclusive_start_key(start)
        })
        .await;
        let entries: Vec<RawEntry> = serde_dynamo::from_items(items).unwrap();
        entries
            .into_iter()
            .map(|e| RawLine {
                id: e.sk.strip_prefix("CARD#").unwrap().parse().unwrap(),
                deck: e.pk,
                owner: e.owner,
                rank: e.rank,
                title: e.title,
            })
            .collect()
    }

    /// An owner's ranked cards of rank 0 and up: every page of the
    /// multi-attribute index `gsi1` (`owner` HASH, `rank`, `pk`, `sk`
    /// RANGE), decoded with serde_dynamo.
    pub async fn ranked_by_owner(&self, owner: &str) -> Vec<super::fixtures::cards::RankedCard> {
        let items = every_page(|start| {
            self.client
                .query()
                .table_name(&self.ranked)
                .index_name("gsi1")
                .key_condition_expression("#o = :o AND #r >= :r")
                .expression_attribute_names("#o", "owner")
                .expression_attribute_names("#r", "rank")
                .expression_attribute_values(":o", s(owner))
                .expression_attribute_values(":r", AttributeValue::N("0".into()))
                .set_exclusive_start_key(start)
        })
        .await;
        serde_dynamo::from_items(items).unwrap()
    }

    /// A ranked card written whole as the store writes a put: one
    /// `UpdateItem` of every attribute, `created_at` kept (the index key
    /// attributes are the card's own, nothing else to write).
    pub async fn put_ranked(&self, card: &super::fixtures::cards::RankedCard) {
        let attributes: HashMap<String, AttributeValue> = serde_dynamo::to_item(card).unwrap();
        let (expression, names, values) = set_all(attributes);
        self.client
            .update_item()
            .table_name(&self.ranked)
            .key("pk", s(&card.deck))
            .key("sk", s(&format!("CARD#{:010}", card.id)))
            .update_expression(expression)
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .condition_expression(SHAPE_GUARD)
            .expression_attribute_names("#sh", "_shape")
            .expression_attribute_values(":shape", AttributeValue::N("1".into()))
            .send()
            .await
            .unwrap();
    }

    /// Experts by role: every page of index `gsi1`'s partition (eventually
    /// consistent, as index reads are).
    pub async fn by_role(&self, role: &str) -> Vec<Expert> {
        let items = every_page(|start| {
            self.client
                .query()
                .table_name(&self.table)
                .index_name("gsi1")
                .key_condition_expression("gsi1pk = :pk AND begins_with(gsi1sk, :p)")
                .expression_attribute_values(
                    ":pk",
                    s(&format!("ROLE#{}", role.replace(' ', "%20"))),
                )
                .expression_attribute_values(":p", s("EXPERT#"))
                .set_exclusive_start_key(start)
        })
        .await;
        serde_dynamo::from_items(items).unwrap()
    }

    /// A partition's experts with a positive score: a filtered query.
    pub async fn filtered(&self, d: &str) -> Vec<Expert> {
        let items = every_page(|start| {
            self.client
                .query()
                .table_name(&self.table)
                .consistent_read(true)
                .key_condition_expression("pk = :pk AND begins_with(sk, :p)")
                .filter_expression("score > :z")
                .expression_attribute_values(":pk", s(d))
                .expression_attribute_values(":p", s("EXPERT#"))
                .expression_attribute_values(":z", AttributeValue::N("0".into()))
                .set_exclusive_start_key(start)
        })
        .await;
        serde_dynamo::from_items(items).unwrap()
    }

    pub fn item<T: serde::Serialize>(
        pk: &str,
        sk: &str,
        value: &T,
    ) -> HashMap<String, AttributeValue> {
        let mut item: HashMap<String, AttributeValue> = serde_dynamo::to_item(value).unwrap();
        item.insert("pk".into(), s(pk));
        item.insert("sk".into(), s(sk));
        item
    }

    /// A put keeping created_at, as one UpdateItem: every attribute set,
    /// `created_at` if absent, `updated_at`, unless the stored item is of a
    /// newer shape ([`SHAPE_GUARD`]; the condition is set by the caller).
    pub fn put_request(
        &self,
        e: &Expert,
    ) -> aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder {
        let mut attributes: HashMap<String, AttributeValue> = serde_dynamo::to_item(e).unwrap();
        with_index_keys(&mut attributes, e);
        let (expression, names, values) = set_all(attributes);
        self.client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(&e.dialogue_id))
            .key("sk", s(&format!("EXPERT#{}", e.name)))
            .update_expression(expression)
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .expression_attribute_names("#sh", "_shape")
            .expression_attribute_values(":shape", AttributeValue::N("1".into()))
    }

    pub async fn put_expert(&self, e: &Expert) {
        self.put_request(e)
            .condition_expression(SHAPE_GUARD)
            .send()
            .await
            .unwrap();
    }

    /// The put under a condition on the stored item (`score >= -1000`).
    pub async fn put_expert_when(&self, e: &Expert) {
        self.put_request(e)
            .condition_expression(format!("{SHAPE_GUARD} AND #s >= :min"))
            .expression_attribute_names("#s", "score")
            .expression_attribute_values(":min", AttributeValue::N("-1000".into()))
            .return_values_on_condition_check_failure(
                aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure::AllOld,
            )
            .send()
            .await
            .unwrap();
    }

    /// `score += 1` on an existing item, with the store's guarantees: the
    /// result must stay within `i32` (an absent score counts as 0),
    /// `created_at` is written if the item lacks it, `updated_at` always,
    /// and a refusal returns the stored item (to say which check failed).
    /// The UpdateItem's parts, for a request or a transaction action.
    pub fn increment(name: &str) -> aws_sdk_dynamodb::types::Update {
        let now = s(&now());
        aws_sdk_dynamodb::types::Update::builder()
            .key("pk", s(D))
            .key("sk", s(&format!("EXPERT#{name}")))
            .update_expression("ADD #s :one SET #c = if_not_exists(#c, :now), #u = :now")
            .condition_expression(
                "attribute_exists(pk) AND NOT #sh > :shape \
                 AND (attribute_not_exists(#s) OR #s >= :min AND #s <= :max)",
            )
            .expression_attribute_names("#sh", "_shape")
            .expression_attribute_values(":shape", AttributeValue::N("1".into()))
            .expression_attribute_names("#s", "score")
            .expression_attribute_names("#c", "created_at")
            .expression_attribute_names("#u", "updated_at")
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(
                ":min",
                AttributeValue::N((i64::from(i32::MIN) - 1).to_string()),
            )
            .expression_attribute_values(":max", AttributeValue::N((i32::MAX - 1).to_string()))
            .expression_attribute_values(":now", now)
            .return_values_on_condition_check_failure(
                aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure::AllOld,
            )
            .table_name("")
            .build()
            .unwrap()
    }

    pub async fn update_expert(&self, name: &str) {
        let u = Raw::increment(name);
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(u.key))
            .update_expression(u.update_expression)
            .set_condition_expression(u.condition_expression)
            .set_expression_attribute_names(u.expression_attribute_names)
            .set_expression_attribute_values(u.expression_attribute_values)
            .set_return_values_on_condition_check_failure(
                u.return_values_on_condition_check_failure,
            )
            .send()
            .await
            .unwrap();
    }

    /// Ten increments in one TransactWriteItems.
    pub async fn transaction(&self, names: &[String]) {
        let items = names
            .iter()
            .map(|name| {
                let mut u = Raw::increment(name);
                u.table_name = self.table.clone();
                aws_sdk_dynamodb::types::TransactWriteItem::builder()
                    .update(u)
                    .build()
            })
            .collect();
        self.client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
            .unwrap();
    }

    pub async fn create_expert(&self, e: &Expert) {
        let mut item = Raw::item(&e.dialogue_id, &format!("EXPERT#{}", e.name), e);
        with_index_keys(&mut item, e);
        let now = now();
        item.insert("created_at".into(), s(&now));
        item.insert("updated_at".into(), s(&now));
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            // As the store's create: a refusal returns the item in the way
            // (its error carries it).
            .return_values_on_condition_check_failure(
                aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure::AllOld,
            )
            .send()
            .await
            .unwrap();
    }

    pub async fn get_expert(&self, d: &str, name: &str) -> Option<Expert> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(d))
            .key("sk", s(&format!("EXPERT#{name}")))
            .consistent_read(true)
            .send()
            .await
            .unwrap();
        out.item.map(|item| serde_dynamo::from_item(item).unwrap())
    }

    pub async fn query(
        &self,
        d: &str,
        prefix: Option<&str>,
    ) -> Vec<HashMap<String, AttributeValue>> {
        every_page(|start| {
            let q = self
                .client
                .query()
                .table_name(&self.table)
                .consistent_read(true)
                .expression_attribute_values(":pk", s(d))
                .set_exclusive_start_key(start);
            match prefix {
                Some(p) => q
                    .key_condition_expression("pk = :pk AND begins_with(sk, :p)")
                    .expression_attribute_values(":p", s(p)),
                None => q.key_condition_expression("pk = :pk"),
            }
        })
        .await
    }

    pub async fn experts(&self, d: &str) -> Vec<Expert> {
        serde_dynamo::from_items(self.query(d, Some("EXPERT#")).await).unwrap()
    }

    pub async fn partition(&self, d: &str) -> Vec<Dialogue> {
        let mut out = Vec::new();
        for item in self.query(d, None).await {
            let sk = item["sk"].as_s().unwrap().clone();
            out.push(if sk.starts_with("EXPERT#") {
                Dialogue::Expert(serde_dynamo::from_item(item).unwrap())
            } else if sk.starts_with("PERSP#") {
                Dialogue::Perspective(serde_dynamo::from_item(item).unwrap())
            } else if sk == "META" {
                Dialogue::Meta(serde_dynamo::from_item(item).unwrap())
            } else if sk.starts_with("TENSION#") {
                Dialogue::Tension(serde_dynamo::from_item(item).unwrap())
            } else {
                Dialogue::TensionEvent(serde_dynamo::from_item(item).unwrap())
            });
        }
        out
    }

    /// One `BatchGetItem` of up to 100 keys of the table, sending the
    /// unprocessed keys again until none is left; `each` item read.
    async fn batch_get(
        &self,
        request: KeysAndAttributes,
        mut each: impl FnMut(HashMap<String, AttributeValue>),
    ) {
        let mut pending = Some(request);
        while let Some(request) = pending.take() {
            let out = self
                .client
                .batch_get_item()
                .request_items(&self.table, request)
                .send()
                .await
                .unwrap();
            for item in out
                .responses
                .and_then(|mut r| r.remove(&self.table))
                .unwrap_or_default()
            {
                each(item);
            }
            pending = out
                .unprocessed_keys
                .and_then(|mut u| u.remove(&self.table))
                .filter(|k| !k.keys.is_empty());
        }
    }

    /// Experts by key, as `get_many` reads them: `BatchGetItem` in 100s
    /// (strongly consistent), the unprocessed keys sent again, the items
    /// returned in the order of `names` (`None` where there is none).
    pub async fn get_many(&self, d: &str, names: &[String]) -> Vec<Option<Expert>> {
        let sort_keys: Vec<String> = names.iter().map(|n| format!("EXPERT#{n}")).collect();
        let mut found: HashMap<String, Expert> = HashMap::with_capacity(names.len());
        for chunk in sort_keys.chunks(100) {
            let keys = chunk
                .iter()
                .map(|sk| HashMap::from([("pk".to_owned(), s(d)), ("sk".to_owned(), s(sk))]))
                .collect();
            let request = KeysAndAttributes::builder()
                .set_keys(Some(keys))
                .consistent_read(true)
                .build()
                .unwrap();
            self.batch_get(request, |item| {
                let sk = item["sk"].as_s().unwrap().clone();
                found.insert(sk, serde_dynamo::from_item(item).unwrap());
            })
            .await;
        }
        sort_keys.iter().map(|sk| found.remove(sk)).collect()
    }

    /// The `created_at` of those of `experts` that exist: `BatchGetItem`
    /// in 100s (consistent, only the keys and `created_at`), sending the
    /// unprocessed keys again.
    async fn existing_created_at(&self, experts: &[Expert]) -> HashMap<(String, String), String> {
        let mut found = HashMap::new();
        for chunk in experts.chunks(100) {
            let keys = chunk
                .iter()
                .map(|e| {
                    HashMap::from([
                        ("pk".to_owned(), s(&e.dialogue_id)),
                        ("sk".to_owned(), s(&format!("EXPERT#{}", e.name))),
                    ])
                })
                .collect();
            let request = KeysAndAttributes::builder()
                .set_keys(Some(keys))
                .projection_expression("pk, sk, created_at")
                .consistent_read(true)
                .build()
                .unwrap();
            self.batch_get(request, |item| {
                let text = |name: &str| item[name].as_s().unwrap().clone();
                found.insert((text("pk"), text("sk")), text("created_at"));
            })
            .await;
        }
        found
    }

    /// A bulk load keeping the `created_at` of the items it replaces, as
    /// `put_all` does: their `created_at` read first, then `BatchWriteItem`
    /// in 25s, retrying unprocessed items.
    pub async fn bulk(&self, experts: &[Expert]) {
        let now = now();
        let existing = self.existing_created_at(experts).await;
        for chunk in experts.chunks(25) {
            let mut requests: Vec<WriteRequest> = chunk
                .iter()
                .map(|e| {
                    let sk = format!("EXPERT#{}", e.name);
                    let created_at = existing
                        .get(&(e.dialogue_id.clone(), sk.clone()))
                        .unwrap_or(&now);
                    let mut item = Raw::item(&e.dialogue_id, &sk, e);
                    with_index_keys(&mut item, e);
                    item.insert("created_at".into(), s(created_at));
                    item.insert("updated_at".into(), s(&now));
                    WriteRequest::builder()
                        .put_request(PutRequest::builder().set_item(Some(item)).build().unwrap())
                        .build()
                })
                .collect();
            while !requests.is_empty() {
                let out = self
                    .client
                    .batch_write_item()
                    .request_items(&self.table, requests)
                    .send()
                    .await
                    .unwrap();
                requests = out
                    .unprocessed_items
                    .and_then(|mut u| u.remove(&self.table))
                    .unwrap_or_default();
            }
        }
    }
}

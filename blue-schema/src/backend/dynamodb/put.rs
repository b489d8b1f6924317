//! Writing one item: `put` as one atomic `UpdateItem`, `create` as a
//! conditional `PutItem`.
//!
//! A `put` must replace the whole item and keep its `created_at`. A
//! `PutItem` replaces the whole item but cannot keep an attribute it does
//! not know; an `UpdateItem` can keep `created_at` (`if_not_exists`) but only
//! removes the attributes it names. The entity's schema names every
//! attribute the item can hold, so one `UpdateItem` does both: `SET` the
//! attributes the new item has, `REMOVE` the ones it lacks (an `Option`
//! skipped when `None`), and `SET created_at = if_not_exists(...)`. DynamoDB
//! applies an update atomically: a reader sees the old item or the new one.
//!
//! One request cannot do it in two cases, and there the put writes the
//! whole item with a `PutItem` conditioned on the `created_at` it read just
//! before (a consistent `GetItem`), retrying when the item changed in
//! between. Every write is then a whole item, so a reader still never sees a
//! mix, and a failure leaves the old item:
//!
//! * DynamoDB charges an update for what its request carries, 19 bytes per
//!   `SET` on top of each attribute, and refuses one whose charge passes
//!   400 KB; an item close to the limit passes `PutItem` but not that. The
//!   same goes for an update expression longer than DynamoDB's 4 KB;
//! * an entity whose `Serialize` writes attribute names its schema does not
//!   list (a hand-written impl): the update could not remove the old ones.
//!
//! An attribute that no field of the struct stores any more (a field removed
//! in a later version of the struct) is left on the item by the update; the
//! struct's decoder does not see it.

use std::collections::HashMap;

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::AttributeValue;

use super::error::{is_condition_failure, request_error};
use super::item::{full_item, key_map, s, same_item, same_value, Attributes};
use super::retry::Replay;
use super::DynamoDbBackend;
use crate::layout::expression::placeholder;
use crate::limits::check::Stamps;
use crate::limits::{MAX_EXPRESSION_BYTES, MAX_ITEM_BYTES};
use crate::ops::check::{Failure, ShapeCheck};
use crate::ops::{ItemKey, Put};
use crate::schema::{
    EntitySchema, CREATED_AT, PARTITION_KEY, SHAPE_ATTRIBUTE, SORT_KEY, UPDATED_AT,
};
use crate::Error;

/// Attempts at replacing a large item that keeps changing under the put.
pub(super) const PUT_ATTEMPTS: u32 = 8;
/// How far below DynamoDB's charge limit an update must stay. The charge
/// rule was captured from DynamoDB by the dynoxide emulator; items within
/// the margin take the whole-item path, which is always correct.
const UPDATE_MARGIN: usize = 1024;

impl DynamoDbBackend {
    pub(super) async fn put_item(&self, op: Put<Attributes>) -> Result<(), Error> {
        let conditional = op.is_conditional();
        // Conditional only because an item it replaces may have expired.
        let only_expiry = op.checks_only_expiry();
        // What a whole-item replace can check too.
        let whole = op.checks_only_shape_and_expiry();
        let Put {
            item,
            if_not_exists,
            entity,
            checks,
            decode,
        } = op;
        let updated_at = item.updated_at.as_deref().unwrap_or(&item.created_at);
        if if_not_exists && (!conditional || only_expiry) {
            return self
                .create_item(
                    &item.key,
                    item.data,
                    Stamps {
                        created_at: &item.created_at,
                        updated_at,
                    },
                    checks.expiry,
                )
                .await;
        }
        let stamps = Stamps {
            created_at: &item.created_at,
            updated_at,
        };
        match Update::new(&item.key, item.data, entity, stamps, item.size) {
            Ok(update) if conditional && checks.expiry.is_none() => {
                // Without a TTL nothing is sent again: no copy to keep.
                self.conditional_put(&item.key, update, &checks, decode)
                    .await
                    .map(drop)
            }
            Ok(update) if conditional => {
                // A put over an expired item deletes it and tries again
                // ([`crate::ttl`]); another writer can make that happen
                // again, a few times at most.
                for _ in 1..PUT_ATTEMPTS {
                    if self
                        .conditional_put(&item.key, update.clone(), &checks, decode)
                        .await?
                    {
                        return Ok(());
                    }
                }
                if self
                    .conditional_put(&item.key, update, &checks, decode)
                    .await?
                {
                    return Ok(());
                }
                Err(still_expired(&item.key))
            }
            Ok(update) => self.update_item(&item.key, update).await,
            Err(attributes) if whole && !if_not_exists => {
                // The whole-item path keeps `created_at`: an expired item
                // goes first ([`crate::ttl`]).
                if let Some(expiry) = checks.expiry {
                    self.delete_expired(&item.key, expiry).await?;
                }
                self.replace_whole(&item.key, attributes, updated_at, checks.shape)
                    .await
            }
            Err(_) if conditional => Err(Error::InvalidUpdate {
                entity: entity.name,
                message: "a conditional put of an item this close to 400 KB (or with attributes \
                          its schema does not list) cannot keep `created_at` in one request on \
                          DynamoDB; write it unconditionally or split it"
                    .to_owned(),
            }),
            Err(attributes) => {
                self.replace_whole(&item.key, attributes, updated_at, checks.shape)
                    .await
            }
        }
    }

    /// The one `UpdateItem` of a put.
    async fn update_item(&self, key: &ItemKey, update: Update) -> Result<(), Error> {
        let request = self
            .sdk
            .update_item()
            .table_name(self.table_name(key.table))
            .set_key(Some(key_map(key)))
            .update_expression(update.expression)
            .set_expression_attribute_names(Some(update.names))
            .set_expression_attribute_values(Some(update.values));
        self.send_put(key, request)
            .await
            .map_err(request_error("UpdateItem", key.table))
    }

    /// Sends a put's `UpdateItem` (moved into its first attempt, never
    /// copied: a retry is made from the body sent, [`super::kept`]). Not
    /// sent again after a failure that may have applied it: the item is
    /// read back, and one that is the put's own (`is_own_put`) is success.
    pub(super) async fn send_put(
        &self,
        key: &ItemKey,
        request: UpdateItemFluentBuilder,
    ) -> Result<(), SdkError<UpdateItemError, HttpResponse>> {
        let again = |body: &[u8]| super::kept::update_item(&self.sdk, body);
        let (sent, kept) = self
            .send_kept(Replay::Unsafe, request, again, |r| r.send())
            .await;
        let Err(e) = sent.result else {
            return Ok(());
        };
        let sent_body = sent.maybe_applied.then(|| kept.take()).flatten();
        if let Some(request) = sent_body.and_then(|body| again(&body)) {
            let own = |stored: Option<&Attributes>| {
                stored.is_some_and(|stored| {
                    is_own_put(
                        stored,
                        request.get_expression_attribute_names(),
                        request.get_expression_attribute_values(),
                    )
                })
            };
            if self.shows_applied(key.table, key_map(key), own).await {
                return Ok(());
            }
        }
        Err(e)
    }

    /// Replaces the item whole with `PutItem`s conditioned on what a
    /// consistent read found, keeping its `created_at`; `now` is its
    /// `updated_at`.
    async fn replace_whole(
        &self,
        key: &ItemKey,
        attributes: Attributes,
        now: &str,
        shape: Option<ShapeCheck>,
    ) -> Result<(), Error> {
        for _ in 0..PUT_ATTEMPTS {
            let (found, stored_shape) = self.created_at_of(key).await?;
            if let Some(check) = shape.filter(|c| !c.passes(stored_shape)) {
                let failure = Failure::Shape {
                    check,
                    stored: stored_shape,
                };
                return Err(failure.into_error(key, None));
            }
            // The shape read, unchanged by the time of the write: the
            // condition on `created_at` alone would not see a newer
            // program's put in between, which keeps it.
            let (created_at, condition) = match &found {
                Found::Absent => (now, Condition::Absent),
                Found::CreatedAt(old) => (old.as_str(), Condition::CreatedAt(old, stored_shape)),
                // An item written by another client without `created_at`.
                Found::WithoutCreatedAt => (now, Condition::PresentWithoutCreatedAt),
            };
            let stamps = Stamps {
                created_at,
                updated_at: now,
            };
            let item = full_item(key, attributes.clone(), stamps);
            match self.put_if(key, item, condition).await? {
                PutOutcome::Written => return Ok(()),
                // Created, deleted or re-created since the read: read again.
                PutOutcome::ConditionFailed => {}
            }
        }
        Err(Error::Conflict {
            table: key.table,
            partition_key: key.partition_key.clone(),
            sort_key: key.sort_key.clone(),
        })
    }

    /// The stored item's `created_at`, by a consistent read of that
    /// attribute and the key.
    async fn created_at_of(&self, key: &ItemKey) -> Result<(Found, u64), Error> {
        let request = self
            .sdk
            .get_item()
            .table_name(self.table_name(key.table))
            .set_key(Some(key_map(key)))
            .projection_expression("#pk, #c, #s")
            .expression_attribute_names("#pk", PARTITION_KEY)
            .expression_attribute_names("#c", CREATED_AT)
            .expression_attribute_names("#s", SHAPE_ATTRIBUTE)
            .consistent_read(true);
        let out = self
            .send(Replay::Safe, &request, |r| r.send())
            .await
            .result
            .map_err(request_error("GetItem", key.table))?;
        Ok(match out.item {
            None => (Found::Absent, 1),
            Some(mut item) => {
                let shape = match item.remove(SHAPE_ATTRIBUTE) {
                    Some(AttributeValue::N(n)) => n.parse().unwrap_or(1),
                    _ => 1,
                };
                let found = match item.remove(CREATED_AT) {
                    Some(AttributeValue::S(old)) => Found::CreatedAt(old),
                    _ => Found::WithoutCreatedAt,
                };
                (found, shape)
            }
        })
    }

    /// `PutItem` if no item has the key: [`Error::AlreadyExists`] otherwise.
    pub(super) async fn create_item(
        &self,
        key: &ItemKey,
        attributes: Attributes,
        stamps: Stamps<'_>,
        expiry: Option<crate::ops::check::Expiry>,
    ) -> Result<(), Error> {
        let item = full_item(key, attributes, stamps);
        // A `PutItem` replaces an expired item whole, as if it were gone.
        let condition = expiry.map_or(Condition::Absent, Condition::AbsentOrExpired);
        match self.put_if(key, item, condition).await? {
            PutOutcome::Written => Ok(()),
            PutOutcome::ConditionFailed => Err(Error::AlreadyExists {
                table: key.table,
                partition_key: key.partition_key.clone(),
                sort_key: key.sort_key.clone(),
            }),
        }
    }

    /// A `PutItem` of a whole item, if `condition` holds.
    async fn put_if(
        &self,
        key: &ItemKey,
        item: Attributes,
        condition: Condition<'_>,
    ) -> Result<PutOutcome, Error> {
        // DynamoDB refuses names and values the expression does not use.
        // The key attribute, `pk`, is no reserved word and needs no
        // placeholder.
        let (expression, names, value): (_, &[_], _) = match condition {
            Condition::Absent => ("attribute_not_exists(pk)", &[], None),
            // Shape 1 is stored as no attribute, or as 1.
            Condition::CreatedAt(old, _) => (
                "#c = :c AND (attribute_not_exists(#s) OR #s = :s)",
                &[("#c", CREATED_AT), ("#s", SHAPE_ATTRIBUTE)],
                Some(old),
            ),
            Condition::PresentWithoutCreatedAt => (
                "attribute_exists(pk) AND attribute_not_exists(#c)",
                &[("#c", CREATED_AT)],
                None,
            ),
            Condition::AbsentOrExpired(_) => ("attribute_not_exists(pk) OR #t < :t", &[], None),
        };
        let mut request = self
            .sdk
            .put_item()
            .table_name(self.table_name(key.table))
            .set_item(Some(item))
            .condition_expression(expression)
            .return_values_on_condition_check_failure(
                aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure::AllOld,
            );
        for (placeholder, name) in names {
            request = request.expression_attribute_names(*placeholder, *name);
        }
        if let Some(old) = value {
            request = request.expression_attribute_values(":c", s(old));
        }
        if let Condition::CreatedAt(_, shape) = condition {
            request =
                request.expression_attribute_values(":s", AttributeValue::N(shape.to_string()));
        }
        if let Condition::AbsentOrExpired(expiry) = condition {
            request = request
                .expression_attribute_names("#t", expiry.attribute)
                .expression_attribute_values(":t", AttributeValue::N(expiry.now.to_string()));
        }
        // Not sent again after a failure that may have applied it (a
        // replay could find its condition true again, after another
        // client's write): read back.
        // Moved into its first attempt: a retry, and the item a read-back
        // looks for, are made from the body sent ([`super::kept`]).
        let again = |body: &[u8]| super::kept::put_item(&self.sdk, body);
        let (sent, kept) = self
            .send_kept(Replay::Unsafe, request, again, |r| r.send())
            .await;
        match sent.result {
            Ok(_) => Ok(PutOutcome::Written),
            Err(e) if is_condition_failure(&e) => Ok(PutOutcome::ConditionFailed),
            Err(e) => {
                let sent_body = sent.maybe_applied.then(|| kept.take()).flatten();
                if let Some(request) = sent_body.and_then(|body| again(&body)) {
                    let own = |stored: Option<&Attributes>| matches!((stored, request.get_item()), (Some(s), Some(i)) if same_item(s, i));
                    if self.shows_applied(key.table, key_map(key), own).await {
                        return Ok(PutOutcome::Written);
                    }
                }
                Err(request_error("PutItem", key.table)(e))
            }
        }
    }
}

/// What the read before a whole-item replace found.
enum Found {
    Absent,
    CreatedAt(String),
    WithoutCreatedAt,
}

/// The condition of a whole-item `PutItem`.
#[derive(Clone, Copy)]
enum Condition<'a> {
    /// No item has the key.
    Absent,
    /// The item's `created_at` is this, and its shape this one.
    CreatedAt(&'a str, u64),
    /// The item exists and has no `created_at`.
    PresentWithoutCreatedAt,
    /// No item has the key, or it has expired ([`crate::ttl`]).
    AbsentOrExpired(crate::ops::check::Expiry),
}

enum PutOutcome {
    Written,
    ConditionFailed,
}

/// `SET #a0 = :a0, …, #c = if_not_exists(#c, :c), #u = :u REMOVE #r0, …`:
/// the whole put as one update.
#[derive(Clone)]
pub(super) struct Update {
    pub(super) expression: String,
    pub(super) names: std::collections::HashMap<String, String>,
    pub(super) values: Attributes,
}

impl Update {
    /// The update of a put, or the attributes back when one update cannot
    /// do it (see the module documentation).
    pub(super) fn new(
        key: &ItemKey,
        attributes: Attributes,
        entity: &EntitySchema,
        stamps: Stamps<'_>,
        size: usize,
    ) -> Result<Update, Attributes> {
        // The entity's fields, and the keys of the indexes it can be in.
        // (A multi-attribute index's keys are the entity's fields.)
        let index_keys = entity
            .indexes
            .iter()
            .filter(|i| !i.is_multi_attribute())
            .flat_map(|i| [i.slot.pk_attribute, i.slot.sk_attribute]);
        let current = || entity.attributes.iter().map(|a| a.name);
        // The attributes only older shapes have: removed, as SQLite's
        // whole item leaves them out ([`crate::schema::shape`]).
        let mut older: Vec<&'static str> = entity
            .older_shapes()
            .flat_map(|s| s.attributes.iter().copied())
            .filter(|name| !current().any(|n| n == *name))
            .collect();
        older.sort_unstable();
        older.dedup();
        // An entity with shapes stores its shape, and may carry a
        // backfill's mark, which a put removes.
        let shape = (entity.shape > 1)
            .then_some([SHAPE_ATTRIBUTE, crate::schema::shape::BACKFILL_ATTRIBUTE])
            .into_iter()
            .flatten();
        let names = || {
            current()
                .chain(index_keys.clone())
                .chain(shape.clone())
                .chain(older.iter().copied())
        };
        let known = |name: &str| names().any(|n| n == name);
        if !attributes.keys().all(|name| known(name)) {
            return Err(attributes);
        }
        let absent: Vec<&str> = names()
            .filter(|name| !attributes.contains_key(*name))
            .collect();
        if !charge_fits(key, &attributes, &absent, stamps, size) {
            return Err(attributes);
        }
        let mut expression = String::with_capacity(16 * (attributes.len() + absent.len() + 2));
        let mut names =
            std::collections::HashMap::with_capacity(attributes.len() + absent.len() + 2);
        let mut values = Attributes::with_capacity(attributes.len() + 2);
        // Each placeholder is made once: written into the expression, then
        // moved into its map.
        let mut value_placeholders = Vec::with_capacity(attributes.len());
        expression.push_str("SET ");
        for (i, name) in attributes.keys().enumerate() {
            let n = set_name(i);
            let v = set_value(i);
            expression.push_str(&n);
            expression.push_str(" = ");
            expression.push_str(&v);
            expression.push_str(", ");
            names.insert(n, name.clone());
            value_placeholders.push(v);
        }
        expression.push_str("#c = if_not_exists(#c, :c), ");
        expression.push_str(UPDATED_AT_NAME);
        expression.push_str(" = ");
        // A put's two stamps are usually the same time: sent once.
        let updated_at = if stamps.updated_at == stamps.created_at {
            ":c"
        } else {
            UPDATED_AT_VALUE
        };
        expression.push_str(updated_at);
        names.insert("#c".to_owned(), CREATED_AT.to_owned());
        names.insert(UPDATED_AT_NAME.to_owned(), UPDATED_AT.to_owned());
        for (i, name) in absent.iter().enumerate() {
            let r = removed_name(i);
            expression.push_str(if i == 0 { " REMOVE " } else { ", " });
            expression.push_str(&r);
            names.insert(r, (*name).to_owned());
        }
        if expression.len() > MAX_EXPRESSION_BYTES {
            return Err(attributes);
        }
        for (v, (_, value)) in value_placeholders.into_iter().zip(attributes) {
            values.insert(v, value);
        }
        values.insert(":c".to_owned(), s(stamps.created_at));
        if updated_at == UPDATED_AT_VALUE {
            values.insert(UPDATED_AT_VALUE.to_owned(), s(stamps.updated_at));
        }
        Ok(Update {
            expression,
            names,
            values,
        })
    }
}

/// Whether DynamoDB's charge for the update stays within 400 KB (less the
/// margin): 3 bytes, then per `SET` 19 bytes plus the attribute's name and
/// value, 39 plus the operands for `if_not_exists`, and per `REMOVE` 1 byte
/// plus the name.
fn charge_fits(
    key: &ItemKey,
    attributes: &Attributes,
    absent: &[&str],
    stamps: Stamps<'_>,
    size: usize,
) -> bool {
    let bookkeeping = PARTITION_KEY.len()
        + key.partition_key.len()
        + SORT_KEY.len()
        + key.sort_key.len()
        + stamps.size();
    // The entity's names and values, as the item's size counts them.
    let entity_bytes = size.saturating_sub(bookkeeping);
    let keep_created_at =
        19 + CREATED_AT.len() + 39 + 1 + 14 + CREATED_AT.len() + stamps.created_at.len();
    let set_updated_at = 19 + UPDATED_AT.len() + stamps.updated_at.len();
    let removes: usize = absent.iter().map(|name| 1 + name.len()).sum();
    let charge =
        3 + 19 * attributes.len() + entity_bytes + keep_created_at + set_updated_at + removes;
    charge + UPDATE_MARGIN <= MAX_ITEM_BYTES
}

// The placeholders of a put's update, named here only: `Update::new` writes
// them and `is_own_put` reads them back.
const UPDATED_AT_NAME: &str = "#u";
const UPDATED_AT_VALUE: &str = ":u";

/// The name placeholder of the `i`-th attribute a put sets.
fn set_name(i: usize) -> String {
    placeholder("#a", i)
}

/// The value placeholder of the `i`-th attribute a put sets.
fn set_value(i: usize) -> String {
    placeholder(":a", i)
}

/// The name placeholder of the `i`-th attribute a put removes.
fn removed_name(i: usize) -> String {
    placeholder("#r", i)
}

/// Whether `stored` is the item a put's update (`SET #a0 = :a0, …, #u =
/// :u REMOVE #r0, …`, or `#u = :c` when the put's two stamps are the same)
/// writes: the put's own earlier write, found by its replay.
pub(super) fn is_own_put(
    stored: &Attributes,
    names: &Option<HashMap<String, String>>,
    values: &Option<HashMap<String, AttributeValue>>,
) -> bool {
    let (Some(names), Some(values)) = (names, values) else {
        return false;
    };
    let same = |name: &str, value: &str| match (names.get(name), values.get(value)) {
        (Some(name), Some(value)) => stored.get(name).is_some_and(|s| same_value(s, value)),
        _ => false,
    };
    let updated_at = if values.contains_key(UPDATED_AT_VALUE) {
        UPDATED_AT_VALUE
    } else {
        ":c"
    };
    same(UPDATED_AT_NAME, updated_at)
        && (0..)
            .map_while(|i| names.contains_key(&set_name(i)).then_some(i))
            .all(|i| same(&set_name(i), &set_value(i)))
        && (0..)
            .map_while(|i| names.get(&removed_name(i)))
            .all(|name| !stored.contains_key(name))
}

/// The error of a write that found an expired item each time it deleted
/// one: another writer keeps writing items that have expired already.
pub(super) fn still_expired(key: &ItemKey) -> Error {
    Error::Conflict {
        table: key.table,
        partition_key: key.partition_key.clone(),
        sort_key: key.sort_key.clone(),
    }
}

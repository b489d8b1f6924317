//! Conditional writes and updates on DynamoDB (transactions are in
//! `transact`): checks become one condition expression (placeholders only), and a
//! failed check is explained from the item DynamoDB returns with it
//! (`ReturnValuesOnConditionCheckFailure = ALL_OLD`), with the function the
//! SQLite backend uses, so both give the same error.

use std::borrow::Cow;
use std::collections::HashMap;

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{
    AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure as Rvoccf,
};
use serde_json::{Map, Value};

use super::clauses::{compile, Clauses};
use super::error::{request_error, too_large};
use super::item::{key_map, Attributes, ReadItem};
use super::put::Update as PutUpdate;
use super::retry::Replay;
use super::DynamoDbBackend;
use crate::error::AnyItem;
use crate::layout::expression::{ExprValue, Expression};
use crate::limits::{LimitError, MAX_ITEM_BYTES};
use crate::ops::action::Returning;
use crate::ops::check::{explain, Checks, ShapeCheck};
use crate::ops::cond::{CmpOp, Cond};
use crate::ops::decode::{AnyDecoder, Decoder};
use crate::ops::{Delete, ItemKey, UpdateOp};
use crate::schema::{SetKind, CREATED_AT, PARTITION_KEY, SORT_KEY, UPDATED_AT};
use crate::Error;

fn av(value: Value) -> AttributeValue {
    match value {
        // What serde_dynamo writes for these, without its serializer.
        Value::String(s) => AttributeValue::S(s),
        // An integer by the standard library's own `to_string`, which
        // sizes the string first: `Number`'s goes through the formatting
        // machinery and grows an empty string (a guard's bounds, a shape
        // and a delta are numbers in nearly every update).
        Value::Number(n) if !n.is_f64() => AttributeValue::N(match n.as_i64() {
            Some(i) => i.to_string(),
            None => n.to_string(),
        }),
        Value::Bool(b) => AttributeValue::Bool(b),
        Value::Null => AttributeValue::Null(true),
        other => serde_dynamo::to_attribute_value(other).unwrap_or(AttributeValue::Null(true)),
    }
}

/// An expression value as DynamoDB takes it: a set as `SS` or `NS`.
fn expr_av(value: ExprValue) -> AttributeValue {
    match value {
        ExprValue::Json(v) => av(v),
        ExprValue::Set(SetKind::Strings, elements) => AttributeValue::Ss(
            elements
                .into_iter()
                .map(|e| match e {
                    Value::String(s) => s,
                    other => other.to_string(),
                })
                .collect(),
        ),
        ExprValue::Set(SetKind::Numbers, elements) => {
            AttributeValue::Ns(elements.into_iter().map(|e| e.to_string()).collect())
        }
    }
}

/// An item's attributes (without the key and bookkeeping) as a JSON map.
pub(super) fn to_map(item: Attributes) -> Option<Map<String, Value>> {
    let read = ReadItem::new(item);
    match serde_dynamo::from_item::<_, Value>(read.attributes) {
        Ok(Value::Object(map)) => Some(map),
        _ => None,
    }
}

/// The failure a refused write's checks explain from the returned item.
pub(super) fn refused(
    key: &ItemKey,
    checks: &Checks,
    item: Option<Attributes>,
    decode: Option<AnyDecoder>,
) -> (crate::ops::check::Failure, Option<crate::error::Current>) {
    explain(key, checks, item.and_then(to_map), decode)
}

/// Placeholder names and values of an expression, for the SDK.
pub(super) fn parts(
    expr: Expression,
) -> (HashMap<String, String>, HashMap<String, AttributeValue>) {
    let names = expr.names.into_iter().collect();
    let values = expr
        .values
        .into_iter()
        .map(|(p, v)| (p, expr_av(v)))
        .collect();
    (names, values)
}

/// `map`, or `None` when it is empty: DynamoDB refuses a request with
/// empty `ExpressionAttributeNames` or `ExpressionAttributeValues` (a
/// condition may name no attribute but the key, which needs no
/// placeholder).
pub(super) fn unless_empty<K, V>(map: HashMap<K, V>) -> Option<HashMap<K, V>> {
    (!map.is_empty()).then_some(map)
}

/// An update's expression, condition and placeholders.
pub(super) struct Compiled {
    pub(super) update: String,
    pub(super) condition: Option<String>,
    pub(super) names: HashMap<String, String>,
    pub(super) values: HashMap<String, AttributeValue>,
}

pub(super) fn compile_update(op: &UpdateOp) -> Compiled {
    let mut expr = Expression::default();
    let mut clauses = Clauses::default();
    compile(&op.actions, &mut expr, &mut clauses);
    let c = expr.name(CREATED_AT);
    let now = expr.value(Value::String(op.now.clone()));
    clauses.set(&[
        c.into(),
        " = if_not_exists(".into(),
        c.into(),
        ", ".into(),
        now.into(),
        ")".into(),
    ]);
    let u = expr.name(UPDATED_AT);
    clauses.set(&[u.into(), " = ".into(), now.into()]);
    if let Some(fields) = &op.create {
        for (name, value) in fields {
            let n = expr.name(name);
            let v = expr.value(value.clone());
            clauses.set(&[n.into(), " = ".into(), v.into()]);
        }
    }
    let update = clauses.expression();
    let condition = checks_condition(&mut expr, &op.checks, OnExpired::Refuse);
    let (names, values) = parts(expr);
    Compiled {
        update,
        condition,
        names,
        values,
    }
}

#[allow(clippy::type_complexity)]
/// A condition expression for checks, merged into an expression that
/// already uses `#a…`/`#c`/`:a…`/`:c` placeholders.
pub(super) fn checks_expression(
    checks: &Checks,
    on_expired: OnExpired,
) -> Option<(
    String,
    HashMap<String, String>,
    HashMap<String, AttributeValue>,
)> {
    let mut expr = Expression::default();
    let text = checks_condition(&mut expr, checks, on_expired)?;
    let (names, values) = parts(expr);
    Some((text, names, values))
}

fn update_error(op: &UpdateOp, code: Option<&str>, message: Option<&str>) -> Option<Error> {
    if code != Some("ValidationException") {
        return None;
    }
    let message = message.unwrap_or_default();
    if too_large(message) {
        return Some(Error::Limit(LimitError::ItemTooLarge {
            bytes: MAX_ITEM_BYTES + 1,
        }));
    }
    Some(Error::InvalidUpdate {
        entity: op.entity.name,
        message: message.to_owned(),
    })
}

impl DynamoDbBackend {
    /// Deletes the item with `key` if it is still expired at `expiry`
    /// ([`crate::ttl`]): what DynamoDB's TTL process would have done, before
    /// a write that found it tries again. An item written meanwhile stays.
    pub(super) async fn delete_expired(
        &self,
        key: &ItemKey,
        expiry: crate::ops::check::Expiry,
    ) -> Result<(), Error> {
        let mut expr = Expression::default();
        let condition = expr.condition(&expiry.cond());
        let (names, values) = parts(expr);
        let request = self
            .sdk
            .delete_item()
            .table_name(self.table_name(key.table))
            .set_key(Some(key_map(key)))
            .condition_expression(condition)
            .set_expression_attribute_names(unless_empty(names))
            .set_expression_attribute_values(Some(values));
        // Deleting an expired item twice deletes it once.
        match self.send(Replay::Safe, &request, |r| r.send()).await.result {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(request_error("DeleteItem", key.table)(e)),
        }
    }

    /// Whether a write refused on `item` found it expired, where its checks
    /// hold on no item: then the write deletes it and tries again.
    async fn retry_after_expired(
        &self,
        key: &ItemKey,
        checks: &Checks,
        item: Option<&Attributes>,
    ) -> Result<bool, Error> {
        let Some(expiry) = checks.expiry else {
            return Ok(false);
        };
        let map = item.cloned().and_then(to_map);
        if !(checks.finds_expired(map.as_ref()) && checks.pass_on_absent()) {
            return Ok(false);
        }
        self.delete_expired(key, expiry).await?;
        Ok(true)
    }

    /// A put (one `UpdateItem`) under its checks: `false` when it found an
    /// expired item, which it deleted, and should be sent again.
    pub(super) async fn conditional_put(
        &self,
        key: &ItemKey,
        update: PutUpdate,
        checks: &Checks,
        decode: AnyDecoder,
    ) -> Result<bool, Error> {
        let PutUpdate {
            expression,
            mut names,
            mut values,
        } = update;
        // A put whose only check is the stored shape is refused for that
        // alone: a read then explains it, and no write sends the old item
        // back ([`ShapeCheck::alone_in`]).
        let shape_only = ShapeCheck::alone_in(checks);
        let mut request = self
            .sdk
            .update_item()
            .table_name(self.table_name(key.table))
            .set_key(Some(key_map(key)))
            .update_expression(expression)
            .set_return_values_on_condition_check_failure((!shape_only).then_some(Rvoccf::AllOld));
        if let Some((condition, n, v)) = checks_expression(checks, OnExpired::Refuse) {
            names.extend(n);
            values.extend(v);
            request = request.condition_expression(condition);
        }
        let request = request
            .set_expression_attribute_names(unless_empty(names))
            .set_expression_attribute_values(Some(values));
        // Not sent again after a failure that may have applied it (its
        // condition may hold again by then): read back.
        match self.send_put(key, request).await {
            Ok(()) => Ok(true),
            Err(e) => {
                if let Some(aws_sdk_dynamodb::operation::update_item::UpdateItemError::ConditionalCheckFailedException(f)) = e.as_service_error() {
                    if self.retry_after_expired(key, checks, f.item.as_ref()).await? {
                        return Ok(false);
                    }
                    let stored = match (&f.item, shape_only) {
                        (None, true) => self.stored_item(key).await?,
                        (item, _) => item.clone(),
                    };
                    let (failure, current) = refused(key, checks, stored, Some(decode));
                    if shape_only && failure == crate::ops::check::Failure::Condition {
                        // Changed again since: another writer came between.
                        return Err(Error::Conflict {
                            table: key.table,
                            partition_key: key.partition_key.clone(),
                            sort_key: key.sort_key.clone(),
                        });
                    }
                    return Err(failure.into_error(key, current));
                }
                Err(request_error("UpdateItem", key.table)(e))
            }
        }
    }

    /// After a write that failed but may have been applied
    /// ([`Sent::maybe_applied`]): whether the item at `key` of `table`, read
    /// once and consistently, shows the write applied (`applied` is given
    /// the item, `None` for no item). A read that fails too says no.
    pub(super) async fn shows_applied(
        &self,
        table: &'static str,
        key: Attributes,
        applied: impl FnOnce(Option<&Attributes>) -> bool,
    ) -> bool {
        self.stored_at(table, key)
            .await
            .is_ok_and(|item| applied(item.as_ref()))
    }

    /// The stored item, by a consistent read: what explains a refused
    /// write whose request did not ask for it.
    pub(super) async fn stored_item(&self, key: &ItemKey) -> Result<Option<Attributes>, Error> {
        self.stored_at(key.table, key_map(key)).await
    }

    /// The item at `key` (its key attributes) of `table`, by a consistent
    /// read.
    async fn stored_at(
        &self,
        table: &'static str,
        key: Attributes,
    ) -> Result<Option<Attributes>, Error> {
        let request = self
            .sdk
            .get_item()
            .table_name(self.table_name(table))
            .set_key(Some(key))
            .consistent_read(true);
        let out = self
            .send(Replay::Safe, &request, |r| r.send())
            .await
            .result
            .map_err(request_error("GetItem", table))?;
        Ok(out.item)
    }

    pub(super) async fn update_item_op(&self, op: UpdateOp) -> Result<Option<AnyItem>, Error> {
        let key = &op.key;
        let build = |c: Compiled| {
            let request = self
                .sdk
                .update_item()
                .table_name(self.table_name(key.table))
                .set_key(Some(key_map(key)))
                .update_expression(c.update)
                .set_expression_attribute_names(unless_empty(c.names))
                .set_expression_attribute_values(Some(c.values))
                .return_values_on_condition_check_failure(Rvoccf::AllOld)
                // `NONE`, DynamoDB's default, goes unsaid.
                .set_return_values(match op.returning {
                    Returning::Nothing => None,
                    Returning::Old => Some(ReturnValue::AllOld),
                    Returning::New => Some(ReturnValue::AllNew),
                });
            match c.condition {
                Some(condition) => request.condition_expression(condition),
                None => request,
            }
        };
        // An update of an expired item deletes it and tries again
        // ([`crate::ttl`]), as a put does.
        for _ in 0..super::put::PUT_ATTEMPTS {
            // The first attempt takes the compiled update; a retry (after
            // throttling) compiles it again rather than every attempt
            // copying it.
            let mut first = Some(compile_update(&op));
            let make = || build(first.take().unwrap_or_else(|| compile_update(&op)));
            // `ADD 1` applied twice adds 2: an update is not sent again after a
            // failure that may have applied it.
            let e = match self
                .send_made(Replay::Unsafe, make, |r| r.send())
                .await
                .result
            {
                Ok(out) => {
                    let Some(item) = out
                        .attributes
                        .filter(|item| op.returning != Returning::Nothing && !key_only(item))
                    else {
                        return Ok(None);
                    };
                    let map = to_map(item).unwrap_or_default();
                    return op
                        .decode
                        .decode_value(key.stored(), Value::Object(map))
                        .map(Some);
                }
                Err(e) => e,
            };
            if let Some(err) = update_error(&op, e.code(), e.message()) {
                return Err(err);
            }
            if let Some(aws_sdk_dynamodb::operation::update_item::UpdateItemError::ConditionalCheckFailedException(f)) = e.as_service_error() {
                if self.retry_after_expired(key, &op.checks, f.item.as_ref()).await? {
                    continue;
                }
                let (failure, current) = refused(key, &op.checks, f.item.clone(), Some(op.decode));
                return Err(failure.into_error(key, current));
            }
            return Err(request_error("UpdateItem", key.table)(e));
        }
        Err(super::put::still_expired(key))
    }

    pub(super) async fn conditional_delete<D: Decoder>(
        &self,
        op: Delete,
    ) -> Result<Option<D::Output>, Error> {
        let key = &op.key;
        let mut request = self
            .sdk
            .delete_item()
            .table_name(self.table_name(key.table))
            .set_key(Some(key_map(key)))
            .return_values_on_condition_check_failure(Rvoccf::AllOld)
            .return_values(if op.return_old {
                ReturnValue::AllOld
            } else {
                ReturnValue::None
            });
        if let Some((condition, names, values)) = checks_expression(&op.checks, OnExpired::AsAbsent)
        {
            request = request
                .condition_expression(condition)
                .set_expression_attribute_names(unless_empty(names))
                .set_expression_attribute_values(unless_empty(values));
        }
        // A replay of a delete that was applied finds its condition false.
        match self
            .send(Replay::Unsafe, &request, |r| r.send())
            .await
            .result
        {
            Ok(out) => out
                .attributes
                // An expired item was deleted as if it were not there.
                .filter(|old| op.return_old && !key_only(old) && !expired_image(&op.checks, old))
                .map(|old| ReadItem::new(old).decode::<D>(key.table))
                .transpose(),
            Err(e) => {
                if let Some(aws_sdk_dynamodb::operation::delete_item::DeleteItemError::ConditionalCheckFailedException(f)) = e.as_service_error() {
                    let (failure, current) = refused(key, &op.checks, f.item.clone(), op.decode);
                    return Err(failure.into_error(key, current));
                }
                Err(request_error("DeleteItem", key.table)(e))
            }
        }
    }
}

/// Whether an item DynamoDB returned is one the checks see as expired.
fn expired_image(checks: &Checks, item: &Attributes) -> bool {
    checks.expiry.is_some() && checks.finds_expired(to_map(item.clone()).as_ref())
}

/// Whether an old image holds no item: AWS leaves `Attributes` out when
/// the update created the item, dynoxide sends its key alone (every item
/// this library writes has `created_at` besides its key).
pub(super) fn key_only(item: &Attributes) -> bool {
    item.keys()
        .all(|name| name == PARTITION_KEY || name == SORT_KEY)
}

/// How a write's condition treats an expired item ([`crate::ttl`]), which
/// the checks see as absent.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum OnExpired {
    /// A put or an update, which would keep what the expired item holds:
    /// refused by the condition, so that the write can delete it and try
    /// again ([`DynamoDbBackend::delete_expired`]).
    Refuse,
    /// A delete or a check, which keep nothing of it: the condition says
    /// what the checks say of no item.
    AsAbsent,
}

/// A write's checks as one condition expression (`None`: nothing to
/// check), its placeholders added to `expr`.
pub(super) fn checks_condition(
    expr: &mut Expression,
    checks: &Checks,
    on_expired: OnExpired,
) -> Option<String> {
    // On the stack: nearly every write has checks, and most no expiry.
    let parts = [
        checks.exists.map(Cond::ItemExists),
        checks.shape.as_ref().map(ShapeCheck::cond),
        checks.version.as_ref().map(|v| {
            if v.expected == 0 {
                Cond::ItemExists(false)
            } else {
                Cond::Cmp(
                    Cow::Borrowed(v.attribute),
                    CmpOp::Eq,
                    Value::from(v.expected),
                )
            }
        }),
    ];
    let all = || {
        parts
            .iter()
            .flatten()
            .chain(&checks.user)
            .chain(checks.guards.iter().map(|(_, g)| g))
    };
    let Some(expiry) = checks.expiry else {
        return expr.all_of(all());
    };
    let mut all: Vec<&Cond> = all().collect();
    let live = Cond::Not(Box::new(expiry.cond()));
    match on_expired {
        _ if all.is_empty() && on_expired == OnExpired::AsAbsent => None,
        OnExpired::AsAbsent if checks.pass_on_absent() => {
            // The checks hold on no item, and so on an expired one.
            let checked = all
                .into_iter()
                .cloned()
                .reduce(|a, b| Cond::And(Box::new(a), Box::new(b)))?;
            let either = Cond::Or(Box::new(checked), Box::new(expiry.cond()));
            Some(expr.condition(&either))
        }
        _ => {
            all.push(&live);
            expr.all_of(all)
        }
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_dynamodb::types::AttributeValue;
    use serde_json::{json, Value};

    use super::av;

    /// `av` writes what serde_dynamo's serializer writes, by its own
    /// shorter paths for strings, integers, booleans and null.
    #[test]
    fn values_are_what_serde_dynamo_writes() {
        let values = [
            json!("text"),
            json!(""),
            json!(0),
            json!(1),
            json!(-1),
            json!(i64::from(i32::MIN) - 1),
            json!(i64::MIN),
            json!(i64::MAX),
            // Above `i64`: not the integer path.
            json!(u64::MAX),
            json!(1.5),
            json!(true),
            Value::Null,
            json!([1, "a"]),
            json!({"a": {"b": 2}}),
        ];
        for value in values {
            let expected: AttributeValue = serde_dynamo::to_attribute_value(value.clone()).unwrap();
            assert_eq!(av(value.clone()), expected, "{value}");
        }
        assert_eq!(av(json!(u64::MAX)), AttributeValue::N(u64::MAX.to_string()));
        assert_eq!(
            av(json!(-2147483649i64)),
            AttributeValue::N("-2147483649".into())
        );
    }
}

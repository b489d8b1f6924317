//! Write transactions on DynamoDB: one `TransactWriteItems` of every
//! action, each checked by its own condition expression; a cancellation
//! explained action by action from the items DynamoDB returns, with the
//! function the SQLite backend uses; and an action that found an expired
//! item ([`crate::ttl`]) deleting it and running the transaction again.

use std::collections::HashMap;

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{
    ConditionCheck, Delete as TxDelete, Put as TxPut,
    ReturnValuesOnConditionCheckFailure as Rvoccf, TransactWriteItem, Update as TxUpdate,
};

use super::error::{request_error, too_large};
use super::item::{full_item, key_map, Attributes};
use super::put::Update as PutUpdate;
use super::retry::{fresh_token, Replay};
use super::write::{checks_expression, compile_update, refused, to_map, unless_empty, OnExpired};
use super::DynamoDbBackend;
use crate::layout::expression::Expression;
use crate::ops::check::{Checks, ShapeCheck};
use crate::ops::cond::Cond;
use crate::ops::decode::AnyDecoder;
use crate::ops::{TransactWrite, TxAction};
use crate::write::{CancelReason, TransactionCanceled};
use crate::Error;

impl DynamoDbBackend {
    pub(super) async fn transact(&self, op: TransactWrite<Attributes>) -> Result<(), Error> {
        // A transaction that writes over expired items deletes them and
        // runs again ([`crate::ttl`]), as a single write does.
        let mut attempts = 1;
        loop {
            let (error, expired) = match self.transact_once(&op).await {
                Ok(()) => return Ok(()),
                Err(e) => e,
            };
            if expired.is_empty() || attempts >= super::put::PUT_ATTEMPTS {
                return Err(error);
            }
            for i in expired {
                let action = &op.actions[i];
                if let Some(expiry) = action_checks(action).0.expiry {
                    self.delete_expired(action.key(), expiry).await?;
                }
            }
            attempts += 1;
        }
    }

    /// One attempt at a transaction; its error comes with the positions of
    /// the actions refused only because their items had expired.
    async fn transact_once(
        &self,
        op: &TransactWrite<Attributes>,
    ) -> Result<(), (Error, Vec<usize>)> {
        let plain = |e: Error| (e, Vec::new());
        let table = op.actions.first().map_or("", |a| a.key().table);
        let mut items = Vec::with_capacity(op.actions.len());
        for action in op.actions.iter() {
            items.push(self.tx_item(action).map_err(plain)?);
        }
        // Under a token, DynamoDB answers a replay of an applied
        // transaction with success and applies it once; a transaction
        // without one gets a fresh token for its attempts.
        let token = match &op.token {
            Some((token, _)) => token.clone(),
            None => fresh_token(),
        };
        // The first attempt takes the items; a retry makes them again
        // from the same actions (each made once above, without error),
        // which is cheaper than a copy of the request for every attempt.
        let mut first = Some(items);
        let make = || {
            let items = first.take().unwrap_or_else(|| {
                op.actions
                    .iter()
                    .filter_map(|action| self.tx_item(action).ok())
                    .collect()
            });
            self.sdk
                .transact_write_items()
                .set_transact_items(Some(items))
                .client_request_token(token.clone())
        };
        let e = match self
            .send_made(Replay::Safe, make, |r| r.send())
            .await
            .result
        {
            Ok(_) => {
                let writes = op
                    .actions
                    .iter()
                    .filter(|a| !matches!(a, TxAction::Check(_)));
                self.wrote(writes.count());
                return Ok(());
            }
            Err(e) => e,
        };
        if e.code() == Some("IdempotentParameterMismatchException") {
            return Err(plain(Error::IdempotentParameterMismatch {
                token: op.token.as_ref().map(|t| t.0.clone()).unwrap_or_default(),
            }));
        }
        match e.as_service_error() {
            Some(aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(c)) => {
                let reasons = c.cancellation_reasons.clone().unwrap_or_default();
                // A put refused for its shape alone did not ask for the
                // item back: read it, to explain the refusal.
                let mut stored = HashMap::new();
                for (i, (action, r)) in op.actions.iter().zip(&reasons).enumerate() {
                    if r.code() == Some("ConditionalCheckFailed")
                        && r.item.is_none()
                        && ShapeCheck::alone_in(action_checks(action).0)
                    {
                        stored.insert(i, self.stored_item(action.key()).await.map_err(plain)?);
                    }
                }
                let reasons = op
                    .actions
                    .iter()
                    .enumerate()
                    .map(|(i, action)| {
                        let Some(r) = reasons.get(i) else {
                            return CancelReason::None;
                        };
                        let code = r.code().unwrap_or("None");
                        let message = r.message().unwrap_or_default().to_owned();
                        match code {
                            "None" | "NONE" => CancelReason::None,
                            "ConditionalCheckFailed" => {
                                let (checks, decode) = action_checks(action);
                                let item = stored.get(&i).cloned().unwrap_or_else(|| r.item.clone());
                                let (failure, current) =
                                    refused(action.key(), checks, item, decode);
                                failure.into_reason(action.key(), current)
                            }
                            "TransactionConflict" => CancelReason::Conflict,
                            "ThrottlingError" | "ProvisionedThroughputExceeded" | "RequestLimitExceeded" => {
                                CancelReason::Throttled
                            }
                            "ValidationError" if too_large(&message) => {
                                CancelReason::ItemTooLarge
                            }
                            "ValidationError" => CancelReason::Validation(message),
                            other => CancelReason::Other {
                                code: other.to_owned(),
                                message,
                            },
                        }
                    })
                    .collect();
                let keys = op.actions.iter().map(|a| a.key().action_key()).collect();
                let expired = op
                    .actions
                    .iter()
                    .zip(c.cancellation_reasons.as_deref().unwrap_or_default())
                    .enumerate()
                    .filter(|(_, (action, r))| {
                        let (checks, _) = action_checks(action);
                        r.code() == Some("ConditionalCheckFailed")
                            && checks.expiry.is_some()
                            && checks.pass_on_absent()
                            && checks.finds_expired(r.item.clone().and_then(to_map).as_ref())
                    })
                    .map(|(i, _)| i)
                    .collect();
                Err((
                    Error::TransactionCanceled(Box::new(TransactionCanceled { reasons, keys })),
                    expired,
                ))
            }
            _ => Err(plain(request_error("TransactWriteItems", table)(e))),
        }
    }

    fn tx_item(&self, action: &TxAction<Attributes>) -> Result<TransactWriteItem, Error> {
        let built = |e: aws_sdk_dynamodb::error::BuildError| Error::backend(super::NAME, e);
        let key = action.key();
        let table = self.table_name(key.table);
        Ok(match action {
            TxAction::Put(p) => {
                let data = p.item.data.clone();
                match PutUpdate::new(key, data, p.entity, p.item.stamps(), p.item.size) {
                    Ok(update) => {
                        let mut names = update.names;
                        let mut values = update.values;
                        let mut b = TxUpdate::builder()
                            .table_name(table)
                            .set_key(Some(key_map(key)))
                            .update_expression(update.expression)
                            .set_return_values_on_condition_check_failure(
                                (!ShapeCheck::alone_in(&p.checks)).then_some(Rvoccf::AllOld),
                            );
                        if let Some((condition, n, v)) =
                            checks_expression(&p.checks, OnExpired::Refuse)
                        {
                            names.extend(n);
                            values.extend(v);
                            b = b.condition_expression(condition);
                        }
                        TransactWriteItem::builder()
                            .update(
                                b.set_expression_attribute_names(unless_empty(names))
                                    .set_expression_attribute_values(Some(values))
                                    .build()
                                    .map_err(built)?,
                            )
                            .build()
                    }
                    // Too large for an update: the whole item, `created_at` now.
                    Err(data) => {
                        let mut b = TxPut::builder()
                            .table_name(table)
                            .set_item(Some(full_item(key, data, p.item.stamps())))
                            .set_return_values_on_condition_check_failure(
                                (!ShapeCheck::alone_in(&p.checks)).then_some(Rvoccf::AllOld),
                            );
                        if let Some((condition, names, values)) =
                            checks_expression(&p.checks, OnExpired::Refuse)
                        {
                            b = b
                                .condition_expression(condition)
                                .set_expression_attribute_names(unless_empty(names))
                                .set_expression_attribute_values(unless_empty(values));
                        }
                        TransactWriteItem::builder()
                            .put(b.build().map_err(built)?)
                            .build()
                    }
                }
            }
            TxAction::Update(u) => {
                let c = compile_update(u);
                // One chain: the builder is large, and a move of it out of
                // the chain and back copies it.
                let update = TxUpdate::builder()
                    .table_name(table)
                    .set_key(Some(key_map(key)))
                    .update_expression(c.update)
                    .set_condition_expression(c.condition)
                    .set_expression_attribute_names(unless_empty(c.names))
                    .set_expression_attribute_values(Some(c.values))
                    .return_values_on_condition_check_failure(Rvoccf::AllOld)
                    .build()
                    .map_err(built)?;
                TransactWriteItem::builder().update(update).build()
            }
            TxAction::Delete(d) => {
                let mut b = TxDelete::builder()
                    .table_name(table)
                    .set_key(Some(key_map(key)))
                    .return_values_on_condition_check_failure(Rvoccf::AllOld);
                if let Some((condition, names, values)) =
                    checks_expression(&d.checks, OnExpired::AsAbsent)
                {
                    b = b
                        .condition_expression(condition)
                        .set_expression_attribute_names(unless_empty(names))
                        .set_expression_attribute_values(unless_empty(values));
                }
                TransactWriteItem::builder()
                    .delete(b.build().map_err(built)?)
                    .build()
            }
            TxAction::Check(c) => {
                let (condition, names, values) = checks_expression(&c.checks, OnExpired::AsAbsent)
                    .unwrap_or_else(|| {
                        // A check of nothing else: the item exists.
                        let condition = Expression::default().condition(&Cond::ItemExists(true));
                        (condition, HashMap::new(), HashMap::new())
                    });
                TransactWriteItem::builder()
                    .condition_check(
                        ConditionCheck::builder()
                            .table_name(table)
                            .set_key(Some(key_map(key)))
                            .condition_expression(condition)
                            .set_expression_attribute_names(unless_empty(names))
                            .set_expression_attribute_values(unless_empty(values))
                            .return_values_on_condition_check_failure(Rvoccf::AllOld)
                            .build()
                            .map_err(built)?,
                    )
                    .build()
            }
        })
    }
}

fn action_checks<I>(action: &TxAction<I>) -> (&Checks, Option<AnyDecoder>) {
    match action {
        TxAction::Put(p) => (&p.checks, Some(p.decode)),
        TxAction::Update(u) => (&u.checks, Some(u.decode)),
        TxAction::Delete(d) => (&d.checks, d.decode),
        TxAction::Check(c) => (&c.checks, Some(c.decode)),
    }
}

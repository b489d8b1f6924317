//! Reads: `GetItem`, `DeleteItem` (which may return the old item), `Query`
//! pages (counted with `Select = COUNT`) and `Scan` pages.

use std::collections::HashMap;

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::query::QueryError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, Select};

use super::error::request_error;
use super::item::{key_map, s, Attributes, ReadItem};
use super::retry::Replay;
use super::DynamoDbBackend;
use crate::backend::engine::{RawItem, ScanOf};
use crate::key::KeyValue;
use crate::layout::dynamodb::QueryRequest;
use crate::ops::cursor::Position;
use crate::ops::decode::{Counter, Decoder};
use crate::ops::{Delete, Get, PageOf, QueryPage, ScanPage};
use crate::schema::{PARTITION_KEY, SORT_KEY};
use crate::Error;

impl DynamoDbBackend {
    /// The SDK's `Query` of a page's request.
    fn query_request(
        &self,
        request: QueryRequest,
    ) -> aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder {
        let mut sdk = self
            .sdk
            .query()
            .table_name(request.table_name)
            .set_index_name(request.index_name.map(str::to_owned))
            .key_condition_expression(request.key_condition)
            // Ascending, DynamoDB's default, goes unsaid, as `Explain`
            // writes it.
            .set_scan_index_forward((!request.forward).then_some(false))
            .consistent_read(request.consistent);
        for (placeholder, name) in request.names {
            sdk = sdk.expression_attribute_names(placeholder, name);
        }
        for (placeholder, value) in request.values {
            sdk = sdk.expression_attribute_values(placeholder, key_value(value));
        }
        if let Some((text, expr)) = request.filter {
            sdk = sdk.filter_expression(text);
            let (names, values) = super::write::parts(expr);
            for (placeholder, name) in names {
                sdk = sdk.expression_attribute_names(placeholder, name);
            }
            for (placeholder, value) in values {
                sdk = sdk.expression_attribute_values(placeholder, value);
            }
        }
        if let Some(start) = request.exclusive_start {
            sdk = sdk.set_exclusive_start_key(Some(
                start
                    .into_iter()
                    .map(|(name, value)| (name.to_owned(), key_value(value)))
                    .collect(),
            ));
        }
        if let Some(limit) = request.limit {
            sdk = sdk.limit(i32::try_from(limit).unwrap_or(i32::MAX));
        }
        sdk
    }

    pub(super) async fn get_item<D: Decoder>(&self, op: Get) -> Result<Option<D::Output>, Error> {
        let table = op.key.table;
        // Made for each attempt (no copy kept for a retry that rarely comes).
        let request = || {
            self.sdk
                .get_item()
                .table_name(self.table_name(table))
                .set_key(Some(key_map(&op.key)))
                .consistent_read(op.consistent)
        };
        let out = self
            .send_made(Replay::Safe, request, |r| r.send())
            .await
            .result
            .map_err(request_error("GetItem", table))?;
        out.item
            .map(|item| ReadItem::new(item).decode::<D>(table))
            .transpose()
    }

    pub(super) async fn delete_item<D: Decoder>(
        &self,
        op: Delete,
    ) -> Result<Option<D::Output>, Error> {
        let table = op.key.table;
        let request = || {
            self.sdk
                .delete_item()
                .table_name(self.table_name(table))
                .set_key(Some(key_map(&op.key)))
                .return_values(if op.return_old {
                    ReturnValue::AllOld
                } else {
                    ReturnValue::None
                })
        };
        // Not sent again after a failure that may have applied it: a replay
        // would delete what another client wrote in between (and find
        // nothing to return). A plain delete reads back instead: no item is
        // success.
        let sent = self.send_made(Replay::Unsafe, request, |r| r.send()).await;
        let out = match sent.result {
            Ok(out) => out,
            Err(e) => {
                if sent.maybe_applied
                    && !op.return_old
                    && self
                        .shows_applied(table, key_map(&op.key), |stored| stored.is_none())
                        .await
                {
                    return Ok(None);
                }
                return Err(request_error("DeleteItem", table)(e));
            }
        };
        out.attributes
            .filter(|old| op.return_old && !super::write::key_only(old))
            .map(|old| ReadItem::new(old).decode::<D>(table))
            .transpose()
    }

    pub(super) async fn query_page<D: Decoder>(
        &self,
        op: QueryPage,
    ) -> Result<PageOf<D::Output>, Error> {
        let table = op.spec.table;
        // Made for each attempt from the operation, not copied for a retry.
        let make = || {
            self.query_request(QueryRequest::new(
                &op.spec,
                &self.table_name(table),
                op.start.as_ref(),
                op.limit,
            ))
        };
        let out = self
            .send_made(Replay::Safe, make, |r| r.send())
            .await
            .result
            .map_err(query_error(&op))?;
        let found = out.items.unwrap_or_default();
        let mut items = Vec::with_capacity(found.len());
        let mut unknown = 0;
        let mut shapes = crate::ops::Shapes::new();
        for item in found {
            let read = ReadItem::new(item);
            // The stored shape of an entity with older shapes, before the
            // attributes go to the decoder.
            let shape = D::SHAPED
                .then(|| {
                    D::shape_owner(&read.sort_key).map(|o| (o, stored_shape(&read.attributes)))
                })
                .flatten();
            match read.decode_known::<D>(table)? {
                Some(item) => {
                    items.push(item);
                    if let Some(key) = shape {
                        *shapes.entry(key).or_default() += 1;
                    }
                }
                None => unknown += 1,
            }
        }
        Ok(PageOf {
            items,
            unknown,
            shapes,
            next: next_position(&op, out.last_evaluated_key),
            read_bytes: 0,
        })
    }

    /// One page of a query, counted: `Select = COUNT`, the items the page
    /// evaluated and its filter kept, none of them sent back; for a
    /// reader that may skip some of them, their table keys only, and the
    /// ones it recognises counted.
    pub(super) async fn count_page<C: Counter>(&self, op: QueryPage) -> Result<PageOf<()>, Error> {
        let table = op.spec.table;
        let make = || {
            let request = self.query_request(QueryRequest::new(
                &op.spec,
                &self.table_name(table),
                op.start.as_ref(),
                op.limit,
            ));
            if C::ALL {
                return request.select(Select::Count);
            }
            // The table's key (`#pk` and `#sk` name the index's in an
            // index query, and `#sk` is unnamed without a sort-key
            // condition).
            request
                .projection_expression("#tpk, #tsk")
                .expression_attribute_names("#tpk", PARTITION_KEY)
                .expression_attribute_names("#tsk", SORT_KEY)
        };
        let out = self
            .send_made(Replay::Safe, make, |r| r.send())
            .await
            .result
            .map_err(query_error(&op))?;
        let count = if C::ALL {
            usize::try_from(out.count).unwrap_or(0)
        } else {
            out.items
                .unwrap_or_default()
                .iter()
                .filter(|item| match item.get(SORT_KEY) {
                    Some(AttributeValue::S(sort_key)) => C::recognizes(sort_key),
                    _ => false,
                })
                .count()
        };
        Ok(PageOf {
            items: vec![(); count],
            unknown: 0,
            shapes: crate::ops::Shapes::new(),
            next: next_position(&op, out.last_evaluated_key),
            read_bytes: 0,
        })
    }

    pub(super) async fn scan_page(&self, op: ScanPage) -> Result<ScanOf<Attributes>, Error> {
        let table = op.table;
        let mut request = self
            .sdk
            .scan()
            .table_name(self.table_name(table))
            .consistent_read(true);
        if let Some((pk, sk)) = &op.resume_after {
            request = request.set_exclusive_start_key(Some(HashMap::from([
                (PARTITION_KEY.to_owned(), s(pk)),
                (SORT_KEY.to_owned(), s(sk)),
            ])));
        }
        if let Some(limit) = op.limit {
            request = request.limit(i32::try_from(limit).unwrap_or(i32::MAX));
        }
        if let Some((segment, of)) = op.segment {
            let int = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
            request = request.segment(int(segment)).total_segments(int(of));
        }
        let out = self
            .send(Replay::Safe, &request, |r| r.send())
            .await
            .result
            .map_err(request_error("Scan", table))?;
        let items = out
            .items
            .unwrap_or_default()
            .into_iter()
            .map(|item| {
                let read = ReadItem::new(item);
                RawItem {
                    partition_key: read.partition_key,
                    sort_key: read.sort_key,
                    created_at: read.created_at,
                    updated_at: read.updated_at,
                    data: read.attributes,
                }
            })
            .collect();
        let next = out.last_evaluated_key.map(|key| {
            let read = ReadItem::new(key);
            (read.partition_key, read.sort_key)
        });
        Ok(ScanOf { items, next })
    }
}

/// The store's error for a failed `Query`: a table without the index
/// the query reads is [`Error::TableMismatch`], as on SQLite.
fn query_error(op: &QueryPage) -> impl FnOnce(SdkError<QueryError, HttpResponse>) -> Error + '_ {
    move |e| {
        use aws_sdk_dynamodb::error::ProvideErrorMetadata;
        let table = op.spec.table;
        match op.spec.index {
            Some(index)
                if e.code() == Some("ValidationException")
                    && e.message().is_some_and(|m| m.contains("specified index")) =>
            {
                Error::TableMismatch {
                    table: table.to_owned(),
                    found: format!(
                        "it has no index {} yet: run `store.create_table::<T>()` to add it",
                        index.slot.name
                    ),
                }
            }
            _ => request_error("Query", table)(e),
        }
    }
}

/// Where the next page starts, from DynamoDB's last evaluated key: the
/// page was full (its `Limit`, or 1 MB), whether or not more items follow.
fn next_position(op: &QueryPage, last: Option<Attributes>) -> Option<Position> {
    if let Some(condition) = &op.spec.attributes {
        // A multi-attribute index query resumes after the values of the
        // index's sort attributes, the table key last.
        return last.map(|key| {
            let values: Vec<KeyValue> = condition
                .sort_attributes()
                .iter()
                .map(|a| match key.get(a.name) {
                    Some(AttributeValue::N(n)) => KeyValue::N(n.parse().unwrap_or_default()),
                    Some(AttributeValue::S(s)) => KeyValue::S(s.clone()),
                    _ => KeyValue::S(String::new()),
                })
                .collect();
            Position::after(crate::key::native::encode_values(&values))
        });
    }
    last.map(|mut key| match op.spec.index {
        // An index query resumes after the index sort key.
        Some(index) => Position::after(
            key.remove(index.slot.sk_attribute)
                .and_then(|v| v.as_s().ok().cloned())
                .unwrap_or_default(),
        ),
        None => Position::after(ReadItem::new(key).sort_key),
    })
}

/// A key attribute's value as the SDK's.
fn key_value(value: KeyValue) -> AttributeValue {
    match value {
        KeyValue::S(s) => AttributeValue::S(s),
        KeyValue::N(n) => AttributeValue::N(n.to_string()),
    }
}

/// The shape an item's attributes were written in, 1 when they hold none.
fn stored_shape(attributes: &super::item::Attributes) -> u64 {
    match attributes.get(crate::schema::SHAPE_ATTRIBUTE) {
        Some(aws_sdk_dynamodb::types::AttributeValue::N(n)) => n.parse().unwrap_or(1),
        _ => 1,
    }
}

//! Many items at once: `BatchWriteItem` in chunks of 25 and `BatchGetItem`
//! in chunks of 100, each retrying what DynamoDB leaves unprocessed with one
//! loop; and the transactional read, `TransactGetItems`.

use aws_sdk_dynamodb::types::{
    AttributeValue, Get as TxGet, KeysAndAttributes, PutRequest, TransactGetItem, WriteRequest,
};
use std::collections::HashMap;

use super::error::{request_error, UnprocessedItems};
use super::item::{deserializer, full_item, key_map, Attributes, ReadItem};
use super::retry::Replay;
use super::{DynamoDbBackend, NAME};
use crate::backoff::Backoff;
use crate::limits::check::Stamps;
use crate::limits::{MAX_BATCH_GET_KEYS, MAX_BATCH_WRITE_ITEMS};
use crate::ops::decode::Decoder;
use crate::ops::{GetMany, ItemKey};
use crate::ops::{PutBatch, WriteItem};
use crate::schema::{CREATED_AT, PARTITION_KEY, SORT_KEY};
use crate::Error;

impl DynamoDbBackend {
    pub(super) async fn put_items(&self, op: PutBatch<Attributes>) -> Result<(), Error> {
        let table = op.table;
        let mut created = if op.keep_stamps {
            Vec::new()
        } else {
            self.existing_created_at(table, &op.items, op.expiry)
                .await?
        };
        let mut requests = Vec::with_capacity(op.items.len());
        for item in op.items {
            let WriteItem {
                key,
                data,
                created_at: now,
                updated_at,
                ..
            } = item;
            let existing = created
                .binary_search_by(|(pk, sk, _)| {
                    (pk.as_str(), sk.as_str())
                        .cmp(&(key.partition_key.as_str(), key.sort_key.as_str()))
                })
                .ok()
                .and_then(|i| created[i].2.take());
            let stamps = Stamps {
                created_at: existing.as_deref().unwrap_or(&now),
                updated_at: updated_at.as_deref().unwrap_or(&now),
            };
            let item = full_item(&key, data, stamps);
            let put = PutRequest::builder()
                .set_item(Some(item))
                .build()
                .map_err(|e| Error::backend(NAME, e))?;
            requests.push(WriteRequest::builder().put_request(put).build());
        }
        while !requests.is_empty() {
            let rest = requests.split_off(requests.len().min(MAX_BATCH_WRITE_ITEMS));
            self.write_batch(table, requests).await?;
            requests = rest;
        }
        Ok(())
    }

    /// The `created_at` of each of `items` that exists already (and, in a
    /// table with a TTL attribute, has not expired: an expired item is
    /// replaced as if it were gone), as `(partition key, sort key,
    /// created_at)` sorted by key: looked up in place, where a map keyed by
    /// the two strings took a copy of both for every item it was asked for.
    async fn existing_created_at(
        &self,
        table: &'static str,
        items: &[WriteItem<Attributes>],
        expiry: Option<crate::ops::check::Expiry>,
    ) -> Result<Vec<(String, String, Option<String>)>, Error> {
        let name = self.table_name(table);
        let mut found = Vec::with_capacity(items.len());
        for chunk in items.chunks(MAX_BATCH_GET_KEYS) {
            let keys: Vec<_> = chunk.iter().map(|item| key_map(&item.key)).collect();
            let mut request = KeysAndAttributes::builder()
                .set_keys(Some(keys))
                .projection_expression("#pk, #sk, #c")
                .expression_attribute_names("#pk", PARTITION_KEY)
                .expression_attribute_names("#sk", SORT_KEY)
                .expression_attribute_names("#c", CREATED_AT)
                .consistent_read(true);
            if let Some(e) = expiry {
                request = request
                    .projection_expression("#pk, #sk, #c, #t")
                    .expression_attribute_names("#t", e.attribute);
            }
            let request = request.build().map_err(|e| Error::backend(NAME, e))?;
            let read = self
                .batch_get(table, HashMap::from([(name.clone(), request)]))
                .await?;
            if let Some(left) = read.unread.values().next() {
                return Err(Error::Throttled {
                    backend: NAME,
                    reasons: Vec::new(),
                    source: Box::new(UnprocessedItems::new(
                        "BatchGetItem",
                        table,
                        read.attempts,
                        left.keys.len(),
                    )),
                });
            }
            for item in read.responses.into_iter().flat_map(|(_, items)| items) {
                let read = ReadItem::new(item);
                let expired = expiry.is_some_and(|e| match read.attributes.get(e.attribute) {
                    Some(AttributeValue::N(n)) => n.parse().is_ok_and(|at| e.is_past(at)),
                    _ => false,
                });
                if !expired {
                    found.push((read.partition_key, read.sort_key, Some(read.created_at)));
                }
            }
        }
        found.sort_unstable_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        Ok(found)
    }

    /// Reads the keys of `pending` (table name → keys, at most 100 in all)
    /// with `BatchGetItem`, sending what DynamoDB leaves unprocessed again
    /// after [`Backoff::BATCH`], up to the backend's batch attempts. What is
    /// still unread then is returned, for the caller to report.
    async fn batch_get(
        &self,
        table: &'static str,
        mut pending: HashMap<String, KeysAndAttributes>,
    ) -> Result<BatchRead, Error> {
        let mut responses = Vec::new();
        let mut attempts = 0;
        while attempts < self.batch_attempts.get() {
            if attempts > 0 {
                self.pause(Backoff::BATCH.delay(attempts)).await?;
            }
            attempts += 1;
            // Moved into the request; a retry's is made from the body sent.
            let request = self.sdk.batch_get_item().set_request_items(Some(pending));
            let again = |body: &[u8]| {
                let items = super::kept::batch_get_items(body)?;
                Some(self.sdk.batch_get_item().set_request_items(Some(items)))
            };
            let (answer, _) = self
                .send_kept(Replay::Safe, request, again, |r| r.send())
                .await;
            let out = answer
                .result
                .map_err(request_error("BatchGetItem", table))?;
            responses.extend(out.responses.into_iter().flatten());
            pending = out
                .unprocessed_keys
                .unwrap_or_default()
                .into_iter()
                .filter(|(_, k)| !k.keys.is_empty())
                .collect();
            if pending.is_empty() {
                break;
            }
        }
        Ok(BatchRead {
            responses,
            unread: pending,
            attempts,
        })
    }

    /// One `BatchWriteItem`, retrying its unprocessed items with backoff.
    async fn write_batch(
        &self,
        table: &'static str,
        mut requests: Vec<WriteRequest>,
    ) -> Result<(), Error> {
        let name = self.table_name(table);
        let mut attempt = 0;
        loop {
            let sent = requests.len();
            // Moved into the request, never copied: a retry's request and
            // a read-back's items are made from the body sent.
            let request = self.sdk.batch_write_item().request_items(&name, requests);
            let again = |body: &[u8]| {
                let requests = super::kept::write_requests(body, &name)?;
                Some(self.sdk.batch_write_item().request_items(&name, requests))
            };
            // Not sent again after a failure that may have applied it (a
            // replay would undo writes made in between): read back.
            let (answer, kept) = self
                .send_kept(Replay::Unsafe, request, again, |r| r.send())
                .await;
            let out = match answer.result {
                Ok(out) => out,
                Err(e) => {
                    let written = answer
                        .maybe_applied
                        .then(|| kept.take())
                        .flatten()
                        .and_then(|body| super::kept::write_requests(&body, &name));
                    if written.is_some() && self.all_applied(table, written.as_ref()).await {
                        self.wrote(sent);
                        return Ok(());
                    }
                    return Err(request_error("BatchWriteItem", table)(e));
                }
            };
            requests = out
                .unprocessed_items
                .and_then(|mut u| u.remove(&name))
                .unwrap_or_default();
            self.wrote(sent - requests.len());
            if requests.is_empty() {
                return Ok(());
            }
            attempt += 1;
            self.back_off(table, "BatchWriteItem", attempt, requests.len())
                .await?;
        }
    }

    /// After a batch write that failed but may have been applied: whether
    /// every put in it finds its own item and every delete no item
    /// ([`shows_applied`](DynamoDbBackend::shows_applied), one read each).
    async fn all_applied(&self, table: &'static str, written: Option<&Vec<WriteRequest>>) -> bool {
        let Some(written) = written else {
            return false;
        };
        for request in written {
            let shown = match (&request.put_request, &request.delete_request) {
                (Some(put), _) => {
                    let key: Attributes = [PARTITION_KEY, SORT_KEY]
                        .iter()
                        .filter_map(|k| put.item.get(*k).map(|v| ((*k).to_owned(), v.clone())))
                        .collect();
                    self.shows_applied(table, key, |stored| {
                        stored.is_some_and(|stored| super::item::same_item(stored, &put.item))
                    })
                    .await
                }
                (None, Some(delete)) => {
                    self.shows_applied(table, delete.key.clone(), |stored| stored.is_none())
                        .await
                }
                (None, None) => false,
            };
            if !shown {
                return false;
            }
        }
        true
    }

    /// Waits before retrying a batch's unprocessed part; [`Error::Throttled`]
    /// after the backend's batch attempts.
    async fn back_off(
        &self,
        table: &'static str,
        operation: &'static str,
        attempt: u32,
        left: usize,
    ) -> Result<(), Error> {
        if attempt >= self.batch_attempts.get() {
            return Err(Error::Throttled {
                backend: NAME,
                reasons: Vec::new(),
                source: Box::new(UnprocessedItems::new(operation, table, attempt, left)),
            });
        }
        self.pause(Backoff::BATCH.delay(attempt)).await
    }

    pub(super) async fn read_many<D: Decoder>(
        &self,
        op: GetMany,
    ) -> Result<Vec<Option<D::Output>>, Error> {
        let table = op.keys.first().map_or("", |k| k.table);
        // Each key's item, in the keys' order: a transaction's answers come
        // in that order; a batch's are put in place by a search of the
        // keys' positions sorted by key (the keys are distinct), where a
        // map of found items copied and hashed every key twice.
        let mut found: Vec<Option<ReadItem>> = op.keys.iter().map(|_| None).collect();
        if op.transactional {
            let get = |k: &ItemKey| {
                TxGet::builder()
                    .table_name(self.table_name(k.table))
                    .set_key(Some(key_map(k)))
                    .build()
                    .map(|g| TransactGetItem::builder().get(g).build())
            };
            let items = op
                .keys
                .iter()
                .map(get)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| Error::backend(super::NAME, e))?;
            // The first attempt takes the items; a retry makes them again
            // from the keys (each made once above, without error), where
            // a copy of the request was taken for every attempt.
            let mut first = Some(items);
            let make = || {
                let items = first
                    .take()
                    .unwrap_or_else(|| op.keys.iter().filter_map(|k| get(k).ok()).collect());
                self.sdk
                    .transact_get_items()
                    .set_transact_items(Some(items))
            };
            let out = self
                .send_made(Replay::Safe, make, |r| r.send())
                .await
                .result
                .map_err(request_error("TransactGetItems", table))?;
            for (slot, response) in found.iter_mut().zip(out.responses.unwrap_or_default()) {
                *slot = response.item.map(ReadItem::new);
            }
        } else {
            let mut order: Vec<usize> = (0..op.keys.len()).collect();
            order.sort_unstable_by_key(|&i| op.keys[i].search_order());
            for chunk in op.keys.chunks(crate::limits::MAX_BATCH_GET_KEYS) {
                for (table, item) in self.read_chunk(chunk).await? {
                    let read = ReadItem::new(item);
                    let read_key = ItemKey::order_of(table, &read.partition_key, &read.sort_key);
                    let place =
                        order.binary_search_by(|&i| op.keys[i].search_order().cmp(&read_key));
                    if let Ok(place) = place {
                        found[order[place]] = Some(read);
                    }
                }
            }
        }
        op.keys
            .iter()
            .zip(found)
            .map(|(key, read)| {
                let Some(read) = read else {
                    return Ok(None);
                };
                // Decoded from the attributes themselves, as a get's item
                // is (its keys and write times taken out first), without
                // the write times.
                D::decode(key.stored(), deserializer(read.attributes)).map(Some)
            })
            .collect()
    }

    /// One chunk of at most 100 keys (of one or more tables), read
    /// consistently: each item read with its table; the keys DynamoDB
    /// leaves unread after every attempt are [`Error::Incomplete`].
    async fn read_chunk(&self, keys: &[ItemKey]) -> Result<Vec<(&'static str, Attributes)>, Error> {
        let table = keys.first().map_or("", |k| k.table);
        // Each table's keys, tables in the order first named: a request
        // names few tables, so a list, each table's name made once.
        let mut tables: Vec<(&'static str, String, Vec<Attributes>)> = Vec::new();
        for key in keys {
            match tables.iter_mut().find(|(t, ..)| *t == key.table) {
                Some((.., keys)) => keys.push(key_map(key)),
                None => {
                    let mut first = Vec::with_capacity(keys.len());
                    first.push(key_map(key));
                    tables.push((key.table, self.table_name(key.table), first));
                }
            }
        }
        let mut pending = HashMap::with_capacity(tables.len());
        let mut names = Vec::with_capacity(tables.len());
        for (table, name, keys) in tables {
            let keys = KeysAndAttributes::builder()
                .set_keys(Some(keys))
                .consistent_read(true)
                .build()
                .map_err(|e| Error::backend(NAME, e))?;
            names.push((name.clone(), table));
            pending.insert(name, keys);
        }
        let read = self.batch_get(table, pending).await?;
        if read.unread.is_empty() {
            let mut items = Vec::with_capacity(keys.len());
            for (name, read) in read.responses {
                if let Some((_, table)) = names.iter().find(|(n, _)| *n == name) {
                    items.extend(read.into_iter().map(|item| (*table, item)));
                }
            }
            return Ok(items);
        }
        let unread = read
            .unread
            .values()
            .flat_map(|k| k.keys.iter())
            .map(|k| {
                let s = |name| match k.get(name) {
                    Some(AttributeValue::S(s)) => s.clone(),
                    _ => String::new(),
                };
                (s(PARTITION_KEY), s(SORT_KEY))
            })
            .collect();
        Err(Error::Incomplete { table, unread })
    }
}

/// What [`DynamoDbBackend::batch_get`] read, and what it could not.
struct BatchRead {
    /// Table name → the items read from it, one entry for each answer.
    responses: Vec<(String, Vec<Attributes>)>,
    /// Table name → keys still unprocessed after the last attempt.
    unread: HashMap<String, KeysAndAttributes>,
    /// Requests sent.
    attempts: u32,
}

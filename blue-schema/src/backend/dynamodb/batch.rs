//! Writing many items: `BatchWriteItem` in chunks of 25, retrying what
//! DynamoDB leaves unprocessed.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::config::AsyncSleep;
use aws_sdk_dynamodb::types::{KeysAndAttributes, PutRequest, WriteRequest};

use super::error::{request_error, UnprocessedItems};
use super::item::{full_item, key_map, Attributes, ReadItem};
use super::retry::Replay;
use super::{DynamoDbBackend, NAME};
use crate::backend::mapping::{CREATED_AT, PARTITION_KEY, SORT_KEY};
use crate::limits::Stamps;
use crate::ops::{PutBatch, WriteItem};
use crate::Error;

/// Items per `BatchWriteItem`, DynamoDB's maximum.
pub const BATCH_WRITE_ITEMS: usize = crate::limits::MAX_BATCH_WRITE_ITEMS;
/// Keys per `BatchGetItem`, DynamoDB's maximum.
pub const BATCH_GET_KEYS: usize = 100;

impl DynamoDbBackend {
    pub(super) async fn put_items(&self, op: PutBatch<Attributes>) -> Result<(), Error> {
        let table = op.table;
        let mut created = if op.keep_stamps {
            HashMap::new()
        } else {
            self.existing_created_at(table, &op.items).await?
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
            let created_at = created
                .remove(&(key.partition_key.clone(), key.sort_key.clone()))
                .unwrap_or(now);
            let stamps = Stamps {
                created_at: &created_at,
                updated_at: &updated_at,
            };
            let item = full_item(&key, data, stamps);
            let put = PutRequest::builder()
                .set_item(Some(item))
                .build()
                .map_err(|e| Error::backend(NAME, e))?;
            requests.push(WriteRequest::builder().put_request(put).build());
        }
        while !requests.is_empty() {
            let rest = requests.split_off(requests.len().min(BATCH_WRITE_ITEMS));
            self.write_batch(table, requests).await?;
            requests = rest;
        }
        Ok(())
    }

    /// The `created_at` of each of `items` that exists already.
    async fn existing_created_at(
        &self,
        table: &'static str,
        items: &[WriteItem<Attributes>],
    ) -> Result<HashMap<(String, String), String>, Error> {
        let name = self.table_name(table);
        let mut found = HashMap::new();
        for chunk in items.chunks(BATCH_GET_KEYS) {
            let keys: Vec<_> = chunk.iter().map(|item| key_map(&item.key)).collect();
            let mut request = Some(
                KeysAndAttributes::builder()
                    .set_keys(Some(keys))
                    .projection_expression("#pk, #sk, #c")
                    .expression_attribute_names("#pk", PARTITION_KEY)
                    .expression_attribute_names("#sk", SORT_KEY)
                    .expression_attribute_names("#c", CREATED_AT)
                    .consistent_read(true)
                    .build()
                    .map_err(|e| Error::backend(NAME, e))?,
            );
            let mut attempt = 0;
            while let Some(keys) = request.take() {
                let sdk = self.sdk.batch_get_item().request_items(&name, keys);
                let out = self
                    .send(Replay::Safe, &sdk, |r| r.send())
                    .await
                    .result
                    .map_err(request_error("BatchGetItem", table))?;
                for items in out.responses.into_iter().flat_map(|mut r| r.remove(&name)) {
                    for item in items {
                        let read = ReadItem::new(item);
                        found.insert((read.partition_key, read.sort_key), read.created_at);
                    }
                }
                request = out
                    .unprocessed_keys
                    .and_then(|mut u| u.remove(&name))
                    .filter(|k| !k.keys.is_empty());
                if let Some(left) = &request {
                    attempt += 1;
                    self.back_off(table, "BatchGetItem", attempt, left.keys.len())
                        .await?;
                }
            }
        }
        Ok(found)
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
            // Puts and deletes of whole items: a replay writes the same.
            let request = self.sdk.batch_write_item().request_items(&name, requests);
            let out = self
                .send(Replay::Safe, &request, |r| r.send())
                .await
                .result
                .map_err(request_error("BatchWriteItem", table))?;
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

    /// Waits before retrying a batch's unprocessed part: 25 ms doubling to
    /// 2 s, with jitter; [`Error::Throttled`] after the backend's batch
    /// attempts.
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
                source: Box::new(UnprocessedItems::new(operation, table, attempt, left)),
            });
        }
        let base = Duration::from_millis(25) * 2u32.pow(attempt.min(7));
        let capped = base.min(Duration::from_secs(2));
        let jitter = Duration::from_millis(u64::from(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos() % 25)
                .unwrap_or(0),
        ));
        match self.client.config().sleep_impl() {
            Some(sleep) => {
                sleep.sleep(capped + jitter).await;
                Ok(())
            }
            None => Err(Error::backend(
                NAME,
                "the SDK client has no sleep implementation to back off with",
            )),
        }
    }
}

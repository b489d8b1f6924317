//! The capacity units DynamoDB reports, and the other counts of an
//! operation's usage: every data request asks for
//! `ReturnConsumedCapacity: INDEXES` while the operation is metered, and
//! each response's units add to the operation's.

use std::sync::atomic::{AtomicU64, Ordering};

use aws_sdk_dynamodb::operation;
use aws_sdk_dynamodb::types::{ConsumedCapacity, ReturnConsumedCapacity};

use crate::capacity::{Consumed, Meter, Usage};

/// What one operation used so far, shared by the requests it sends.
#[derive(Debug, Default)]
pub(super) struct OpUsage {
    requests: AtomicU64,
    items: AtomicU64,
    consumed: Meter,
    /// Why DynamoDB throttled the operation's last throttled attempt.
    throttled: std::sync::Mutex<Option<String>>,
}

impl OpUsage {
    pub(super) fn sent(&self, attempts: u64) {
        self.requests.fetch_add(attempts, Ordering::Relaxed);
    }

    pub(super) fn add(&self, items: u64, consumed: Consumed) {
        self.items.fetch_add(items, Ordering::Relaxed);
        self.consumed.add(consumed);
    }

    /// Keeps why an attempt was throttled (the last one wins).
    pub(super) fn throttled(&self, reasons: String) {
        *self.throttled.lock().unwrap_or_else(|e| e.into_inner()) = Some(reasons);
    }

    /// Why the last throttled attempt was throttled, if one was.
    pub(super) fn throttled_by(&self) -> Option<String> {
        self.throttled
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
    }

    pub(super) fn total(&self) -> Usage {
        Usage {
            requests: self.requests.load(Ordering::Relaxed),
            items: self.items.load(Ordering::Relaxed),
            consumed: self.consumed.total(),
        }
    }
}

/// A request that can ask for its consumed capacity.
pub(super) trait AskCapacity: Sized {
    fn ask_capacity(self) -> Self {
        self
    }
}

/// A response, and what it says the request used.
pub(super) trait Reports {
    /// Items read or written, and units.
    fn usage(&self) -> (u64, Consumed) {
        (0, Consumed::ZERO)
    }
}

fn units(capacity: Option<&ConsumedCapacity>) -> f64 {
    capacity
        .and_then(ConsumedCapacity::capacity_units)
        .unwrap_or(0.0)
}

fn all_units(capacity: &[ConsumedCapacity]) -> f64 {
    capacity.iter().map(|c| units(Some(c))).sum()
}

macro_rules! asks {
    ($($builder:path),* $(,)?) => {$(
        impl AskCapacity for $builder {
            fn ask_capacity(self) -> Self {
                self.return_consumed_capacity(ReturnConsumedCapacity::Indexes)
            }
        }
    )*};
}

asks!(
    operation::get_item::builders::GetItemFluentBuilder,
    operation::put_item::builders::PutItemFluentBuilder,
    operation::update_item::builders::UpdateItemFluentBuilder,
    operation::delete_item::builders::DeleteItemFluentBuilder,
    operation::query::builders::QueryFluentBuilder,
    operation::scan::builders::ScanFluentBuilder,
    operation::batch_get_item::builders::BatchGetItemFluentBuilder,
    operation::batch_write_item::builders::BatchWriteItemFluentBuilder,
    operation::transact_get_items::builders::TransactGetItemsFluentBuilder,
    operation::transact_write_items::builders::TransactWriteItemsFluentBuilder,
);

impl AskCapacity for operation::describe_table::builders::DescribeTableFluentBuilder {}
impl AskCapacity for operation::create_table::builders::CreateTableFluentBuilder {}
impl AskCapacity for operation::update_table::builders::UpdateTableFluentBuilder {}
impl AskCapacity for operation::delete_table::builders::DeleteTableFluentBuilder {}
impl AskCapacity for operation::describe_time_to_live::builders::DescribeTimeToLiveFluentBuilder {}
impl AskCapacity for operation::update_time_to_live::builders::UpdateTimeToLiveFluentBuilder {}

impl Reports for operation::describe_table::DescribeTableOutput {}
impl Reports for operation::create_table::CreateTableOutput {}
impl Reports for operation::update_table::UpdateTableOutput {}
impl Reports for operation::delete_table::DeleteTableOutput {}
impl Reports for operation::describe_time_to_live::DescribeTimeToLiveOutput {}
impl Reports for operation::update_time_to_live::UpdateTimeToLiveOutput {}

impl Reports for operation::get_item::GetItemOutput {
    fn usage(&self) -> (u64, Consumed) {
        let items = u64::from(self.item.is_some());
        (items, Consumed::read(units(self.consumed_capacity())))
    }
}

impl Reports for operation::query::QueryOutput {
    fn usage(&self) -> (u64, Consumed) {
        let items = self.scanned_count.max(0) as u64;
        (items, Consumed::read(units(self.consumed_capacity())))
    }
}

impl Reports for operation::scan::ScanOutput {
    fn usage(&self) -> (u64, Consumed) {
        let items = self.scanned_count.max(0) as u64;
        (items, Consumed::read(units(self.consumed_capacity())))
    }
}

impl Reports for operation::batch_get_item::BatchGetItemOutput {
    fn usage(&self) -> (u64, Consumed) {
        let items = self
            .responses
            .as_ref()
            .map_or(0, |r| r.values().map(|v| v.len() as u64).sum());
        (items, Consumed::read(all_units(self.consumed_capacity())))
    }
}

impl Reports for operation::transact_get_items::TransactGetItemsOutput {
    fn usage(&self) -> (u64, Consumed) {
        let items = self.responses().iter().filter(|r| r.item.is_some()).count() as u64;
        (items, Consumed::read(all_units(self.consumed_capacity())))
    }
}

impl Reports for operation::put_item::PutItemOutput {
    fn usage(&self) -> (u64, Consumed) {
        (1, Consumed::write(units(self.consumed_capacity())))
    }
}

impl Reports for operation::update_item::UpdateItemOutput {
    fn usage(&self) -> (u64, Consumed) {
        (1, Consumed::write(units(self.consumed_capacity())))
    }
}

impl Reports for operation::delete_item::DeleteItemOutput {
    fn usage(&self) -> (u64, Consumed) {
        (1, Consumed::write(units(self.consumed_capacity())))
    }
}

impl Reports for operation::batch_write_item::BatchWriteItemOutput {
    /// Items are counted by the batch writer, which knows how many it sent.
    fn usage(&self) -> (u64, Consumed) {
        (0, Consumed::write(all_units(self.consumed_capacity())))
    }
}

impl Reports for operation::transact_write_items::TransactWriteItemsOutput {
    /// Items are counted by the caller, which knows its actions.
    fn usage(&self) -> (u64, Consumed) {
        (0, Consumed::write(all_units(self.consumed_capacity())))
    }
}

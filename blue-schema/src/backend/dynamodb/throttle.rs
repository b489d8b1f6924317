//! DynamoDB's throttling reasons, read from each operation's error, and
//! the conflicts of a global table with multi-Region strong consistency.

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation as op;
use aws_sdk_dynamodb::types::ThrottlingReason;

use crate::error::ThrottleReason;

/// An operation's error, which may carry DynamoDB's throttling reasons.
pub(super) trait Reasons {
    /// The reasons of a throttling error (empty for any other error, and
    /// for a throttling error without reasons).
    fn throttling_reasons(&self) -> &[ThrottlingReason];
}

/// Operations whose errors include the three throttling exceptions.
macro_rules! with_reasons {
    ($($error:ty),* $(,)?) => {$(
        impl Reasons for $error {
            fn throttling_reasons(&self) -> &[ThrottlingReason] {
                match self {
                    Self::ThrottlingException(e) => e.throttling_reasons(),
                    Self::ProvisionedThroughputExceededException(e) => e.throttling_reasons(),
                    Self::RequestLimitExceeded(e) => e.throttling_reasons(),
                    _ => &[],
                }
            }
        }
    )*};
}

/// Operations that DynamoDB does not throttle with reasons (the table's
/// administration).
macro_rules! without_reasons {
    ($($error:ty),* $(,)?) => {$(
        impl Reasons for $error {
            fn throttling_reasons(&self) -> &[ThrottlingReason] {
                &[]
            }
        }
    )*};
}

with_reasons!(
    op::get_item::GetItemError,
    op::put_item::PutItemError,
    op::update_item::UpdateItemError,
    op::delete_item::DeleteItemError,
    op::query::QueryError,
    op::scan::ScanError,
    op::batch_get_item::BatchGetItemError,
    op::batch_write_item::BatchWriteItemError,
    op::transact_get_items::TransactGetItemsError,
    op::transact_write_items::TransactWriteItemsError,
);

without_reasons!(
    op::describe_table::DescribeTableError,
    op::create_table::CreateTableError,
    op::delete_table::DeleteTableError,
    op::update_table::UpdateTableError,
    op::describe_time_to_live::DescribeTimeToLiveError,
    op::update_time_to_live::UpdateTimeToLiveError,
);

/// The throttling reasons of a failed request, as the store's type.
pub(super) fn reasons<E: Reasons>(e: &SdkError<E, HttpResponse>) -> Vec<ThrottleReason> {
    e.as_service_error()
        .map(|e| e.throttling_reasons())
        .unwrap_or_default()
        .iter()
        .map(|r| ThrottleReason::new(r.reason().unwrap_or(""), r.resource().unwrap_or("")))
        .collect()
}

/// DynamoDB's codes for a request refused for capacity.
pub(super) fn is_throttling_code(code: Option<&str>) -> bool {
    matches!(
        code,
        Some(
            "ThrottlingException"
                | "ProvisionedThroughputExceededException"
                | "RequestLimitExceeded"
        )
    )
}

/// DynamoDB's code for a write refused because another Region of a
/// global table with multi-Region strong consistency was writing the
/// same item. Nothing was applied.
pub(super) const REPLICATED_WRITE_CONFLICT: &str = "ReplicatedWriteConflictException";

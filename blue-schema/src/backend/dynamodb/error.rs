//! DynamoDB's errors as the store's.

use std::fmt;

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

use super::throttle::{self, Reasons, REPLICATED_WRITE_CONFLICT};
use super::NAME;
use crate::Error;

/// A request to DynamoDB that failed: the source of the store's
/// [`Error::Throttled`], [`Error::Unavailable`] and [`Error::Backend`] from
/// this backend.
///
/// Its message holds the operation, DynamoDB's error code and message (or,
/// when no answer came, the connection's error chain); the SDK's error is
/// kept whole for [`sdk_error`](RequestError::sdk_error).
#[derive(Debug)]
pub struct RequestError {
    operation: &'static str,
    code: Option<String>,
    message: String,
    source: aws_sdk_dynamodb::Error,
}

impl RequestError {
    /// The DynamoDB operation: `PutItem`, `Query`...
    pub fn operation(&self) -> &'static str {
        self.operation
    }

    /// DynamoDB's error code (`ThrottlingException`,
    /// `ProvisionedThroughputExceededException`, `ValidationException`...),
    /// or `None` when no response came (a connection or timeout error).
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }

    /// Whether DynamoDB refused the request for capacity, after the
    /// backend's attempts: a caller may back off and try again.
    pub fn is_throttling(&self) -> bool {
        throttle::is_throttling_code(self.code())
    }

    /// The SDK's error.
    pub fn sdk_error(&self) -> &aws_sdk_dynamodb::Error {
        &self.source
    }
}

/// `GetItem: ThrottlingException: Rate of requests exceeds the allowed throughput`.
impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.operation, self.message)
    }
}

/// The message already holds the SDK error's; [`sdk_error`](RequestError::sdk_error)
/// gives the error itself.
impl std::error::Error for RequestError {}

/// Whether DynamoDB's message says an item is past 400 KB ("Item size has
/// exceeded the maximum allowed size", "Item size to update has exceeded
/// …").
pub(super) fn too_large(message: &str) -> bool {
    message.contains("size") && message.contains("exceeded")
}

/// Maps an SDK error to the store's: a missing table is
/// [`Error::TableNotFound`]; throttling is [`Error::Throttled`] with
/// DynamoDB's reasons; another Region's write of the same item is
/// [`Error::ReplicatedWriteConflict`]; a broken connection, a timeout or a
/// server error is [`Error::Unavailable`] (the request may have been
/// applied); anything else (a refused request, credentials that cannot be
/// loaded) is [`Error::Backend`].
pub(super) fn request_error<E>(
    operation: &'static str,
    table: &'static str,
) -> impl FnOnce(SdkError<E, HttpResponse>) -> Error
where
    E: ProvideErrorMetadata + Reasons + std::error::Error + Send + Sync + 'static,
    aws_sdk_dynamodb::Error: From<SdkError<E, HttpResponse>>,
{
    move |e| {
        let code = e.code().map(str::to_owned);
        if code.as_deref() == Some("ResourceNotFoundException") {
            return Error::TableNotFound {
                table: table.to_owned(),
            };
        }
        // The store measures every item before it is sent, so only a server
        // that sizes items differently (moto sizes them by their JSON) gets
        // here; the caller sees the same error as for an item it refused.
        if code.as_deref() == Some("ValidationException") && e.message().is_some_and(too_large) {
            return Error::Limit(crate::limits::LimitError::ItemTooLarge {
                bytes: crate::limits::MAX_ITEM_BYTES + 1,
            });
        }
        // The connection failed, or timed out, or the answer broke off: the
        // request may have been applied. (A dispatch failure of another kind,
        // such as credentials that cannot be loaded, sent nothing.)
        let no_answer = match &e {
            SdkError::DispatchFailure(failure) => failure.is_io() || failure.is_timeout(),
            SdkError::TimeoutError(_) | SdkError::ResponseError(_) => true,
            _ => false,
        };
        let server_error = e
            .raw_response()
            .is_some_and(|r| r.status().is_server_error());
        let reasons = throttle::reasons(&e);
        let message = match e.message() {
            Some(message) => format!("{}: {message}", code.as_deref().unwrap_or("error")),
            None => DisplayErrorContext(&e).to_string(),
        };
        let source = Box::new(RequestError {
            operation,
            code,
            message,
            source: e.into(),
        });
        if source.is_throttling() {
            Error::Throttled {
                backend: NAME,
                reasons,
                source,
            }
        } else if source.code() == Some(REPLICATED_WRITE_CONFLICT) {
            Error::ReplicatedWriteConflict {
                backend: NAME,
                source,
            }
        } else if no_answer || server_error {
            Error::Unavailable {
                backend: NAME,
                source,
            }
        } else {
            Error::Backend {
                backend: NAME,
                source,
            }
        }
    }
}

pub(super) fn is_condition_failure<E: ProvideErrorMetadata>(e: &SdkError<E, HttpResponse>) -> bool {
    e.code() == Some("ConditionalCheckFailedException")
}

/// A batch request whose items DynamoDB kept leaving unprocessed: the source
/// of an [`Error::Throttled`].
#[derive(Debug)]
pub struct UnprocessedItems {
    operation: &'static str,
    table: &'static str,
    attempts: u32,
    items: usize,
}

impl UnprocessedItems {
    pub(super) fn new(
        operation: &'static str,
        table: &'static str,
        attempts: u32,
        items: usize,
    ) -> Self {
        UnprocessedItems {
            operation,
            table,
            attempts,
            items,
        }
    }

    /// The DynamoDB operation: `BatchWriteItem` or `BatchGetItem`.
    pub fn operation(&self) -> &'static str {
        self.operation
    }

    /// How many items were still unprocessed after the last attempt.
    pub fn items(&self) -> usize {
        self.items
    }
}

impl fmt::Display for UnprocessedItems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} on {} left {} items unprocessed after {} attempts",
            self.operation, self.table, self.items, self.attempts
        )
    }
}

impl std::error::Error for UnprocessedItems {}

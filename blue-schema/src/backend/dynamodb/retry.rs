//! Sending a request again after a failure: when it is safe, how often,
//! and what the caller is told.
//!
//! The backend sends its requests through a client whose SDK retries are
//! off: the SDK would resend any request after a broken connection, and a
//! request whose answer was lost may already have been applied. An
//! `UpdateItem` that adds 1 would then add 2, a `create` would find its
//! own item and report "already exists", and even a plain put or delete,
//! which writes the same whatever it finds, would apply twice with another
//! client's write between the two: readers would see the put's item, the
//! other write, then the put's item again (found by the history checker,
//! `tests/reliability/history`). The backend retries instead, knowing what
//! each request does:
//!
//! | failure | was the request applied? | what happens |
//! |---|---|---|
//! | throttling (`ThrottlingException`, `ProvisionedThroughputExceededException`, `RequestLimitExceeded`) | no | sent again, every request; DynamoDB's reasons recorded on the operation's tracing span (`throttled`) |
//! | another Region writing the same item (`ReplicatedWriteConflictException`, global tables with multi-Region strong consistency) | no | sent again, every request |
//! | connection refused | no | sent again, every request |
//! | connection reset or closed, answer cut off, attempt timed out, HTTP 5xx | unknown | sent again only when a second application is harmless whatever happened in between ([`Replay::Safe`]: reads, transactions under their idempotency token); a write is not sent again: its caller reads the item back ([`Sent::maybe_applied`]), and a put that finds its own write, or a plain delete that finds no item, succeeded; otherwise [`Error::Unavailable`](crate::Error::Unavailable) |
//! | anything else (a refused condition, a validation error) | as the answer says | returned |
//!
//! Attempts are bounded by the client's retry configuration
//! (`max_attempts`, 3 by default); the waits between them grow from 25 ms
//! to 1 s with full jitter. A request that still fails is
//! [`Error::Throttled`](crate::Error::Throttled),
//! [`Error::ReplicatedWriteConflict`](crate::Error::ReplicatedWriteConflict)
//! or [`Error::Unavailable`](crate::Error::Unavailable).
//!
//! The request of a retry: a small one (a read, the table's
//! administration) is copied before each attempt
//! ([`send`](DynamoDbBackend::send)); an update's and a transaction's are
//! made again from their operation ([`send_made`](DynamoDbBackend::send_made));
//! a put's, a create's and a batch write's, which carry whole items, are
//! moved into the first attempt and made again, like the read-back after
//! a failure that may have applied them, from the body that attempt sent
//! ([`send_kept`](DynamoDbBackend::send_kept), [`super::kept`]).

use std::future::Future;

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};

use super::capacity::{AskCapacity, Reports};
use super::kept::Kept;
use super::throttle::{self, Reasons, REPLICATED_WRITE_CONFLICT};
use super::DynamoDbBackend;
use crate::backoff::Backoff;

/// Whether a request may be sent again after an attempt that may have
/// been applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Replay {
    /// Its second application changes nothing and answers the same, even
    /// after other clients' writes in between: reads, a transaction under
    /// an idempotency token, the table's own administration, the delete of
    /// an item found expired (conditioned on its expiry).
    Safe,
    /// Any other write: an update (`ADD` twice adds twice), a put or
    /// delete (applied again after another client's write, it undoes that
    /// write), a conditional put (its replay may find its condition true
    /// again), a batch write.
    Unsafe,
}

/// The result of a request, and whether its failure may hide a write.
pub(super) struct Sent<T, E> {
    pub(super) result: Result<T, SdkError<E, HttpResponse>>,
    /// The request failed after an attempt that may have been applied:
    /// the caller may read the item back to learn whether it was.
    pub(super) maybe_applied: bool,
}

/// What a failed attempt says about the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    /// Not applied: it can be sent again.
    NotApplied,
    /// May have been applied.
    Unknown,
    /// An answer to return.
    Final,
}

/// Classifies a failed attempt (see the module documentation).
fn classify<E>(e: &SdkError<E, HttpResponse>) -> Failure
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    if throttle::is_throttling_code(e.code()) || e.code() == Some(REPLICATED_WRITE_CONFLICT) {
        return Failure::NotApplied;
    }
    match e {
        SdkError::DispatchFailure(failure) => {
            if refused(e) {
                Failure::NotApplied
            } else if failure.is_io() || failure.is_timeout() {
                Failure::Unknown
            } else {
                Failure::Final
            }
        }
        SdkError::TimeoutError(_) | SdkError::ResponseError(_) => Failure::Unknown,
        SdkError::ServiceError(_)
            if e.raw_response()
                .is_some_and(|r| r.status().is_server_error()) =>
        {
            Failure::Unknown
        }
        _ => Failure::Final,
    }
}

/// Whether the connection was refused: the request never left.
fn refused(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(error) = cause {
        if let Some(io) = error.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::ConnectionRefused {
                return true;
            }
        }
        cause = error.source();
    }
    false
}

impl DynamoDbBackend {
    /// Sends `request` (a fluent builder, cloned for each attempt) with
    /// `send`, retrying as the module documentation says.
    pub(super) async fn send<R, T, E, F, Fut>(
        &self,
        replay: Replay,
        request: &R,
        send: F,
    ) -> Sent<T, E>
    where
        R: Clone + AskCapacity,
        F: Fn(R) -> Fut,
        Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
        T: Reports,
        E: ProvideErrorMetadata + Reasons + std::error::Error + 'static,
    {
        self.send_made(replay, || request.clone(), send).await
    }

    /// [`send`](DynamoDbBackend::send) with the request of each attempt
    /// made by `make`: a request that is costly to copy (a transaction's)
    /// is then moved into its first attempt, and made again only for a
    /// retry.
    pub(super) async fn send_made<R, M, T, E, F, Fut>(
        &self,
        replay: Replay,
        mut make: M,
        send: F,
    ) -> Sent<T, E>
    where
        R: AskCapacity,
        M: FnMut() -> R,
        F: Fn(R) -> Fut,
        Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
        T: Reports,
        E: ProvideErrorMetadata + Reasons + std::error::Error + 'static,
    {
        let first = make();
        self.attempts(replay, first, || Some(make()), send).await
    }

    /// [`send`](DynamoDbBackend::send) of `first`, moved into its first
    /// attempt, with the request of a retry made by `again` from the body
    /// the attempt before sent ([`super::kept`]); the last attempt's body
    /// is kept for a read-back after a failure that may have applied it.
    /// A write's request, the largest a backend sends, is then never
    /// copied.
    pub(super) async fn send_kept<R, M, T, E, F, Fut>(
        &self,
        replay: Replay,
        first: R,
        mut again: M,
        send: F,
    ) -> (Sent<T, E>, Kept)
    where
        R: AskCapacity,
        M: FnMut(&[u8]) -> Option<R>,
        F: Fn(R) -> Fut,
        Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
        T: Reports,
        E: ProvideErrorMetadata + Reasons + std::error::Error + 'static,
    {
        let kept = Kept::default();
        let sent = self
            .attempts(
                replay,
                first,
                || kept.take().and_then(|body| again(&body)),
                |request| kept.scope(send(request)),
            )
            .await;
        (sent, kept)
    }

    /// Sends `first`, and for each retry the request `again` makes (none:
    /// the failure is the answer), as the module documentation says.
    async fn attempts<R, M, T, E, F, Fut>(
        &self,
        replay: Replay,
        first: R,
        mut again: M,
        send: F,
    ) -> Sent<T, E>
    where
        R: AskCapacity,
        M: FnMut() -> Option<R>,
        F: Fn(R) -> Fut,
        Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
        T: Reports,
        E: ProvideErrorMetadata + Reasons + std::error::Error + 'static,
    {
        let mut unknown_before = false;
        let mut attempt = 1;
        let mut request = first;
        loop {
            let result = match &self.usage {
                Some(usage) => {
                    usage.sent(1);
                    let result = send(request.ask_capacity()).await;
                    if let Ok(out) = &result {
                        let (items, consumed) = out.usage();
                        usage.add(items, consumed);
                    }
                    result
                }
                None => send(request).await,
            };
            if let (Err(e), Some(usage)) = (&result, &self.usage) {
                if throttle::is_throttling_code(e.code()) {
                    usage.throttled(throttled(e));
                }
            }
            let failure = match &result {
                Err(e) if attempt < self.attempts.get() => classify(e),
                _ => Failure::Final,
            };
            let retry = match failure {
                Failure::NotApplied => true,
                Failure::Unknown => replay == Replay::Safe,
                Failure::Final => false,
            };
            let next = if retry { again() } else { None };
            let Some(next) = next else {
                let unknown = matches!(&result, Err(e) if classify(e) == Failure::Unknown);
                return Sent {
                    result,
                    maybe_applied: unknown_before || unknown,
                };
            };
            request = next;
            unknown_before |= failure == Failure::Unknown;
            crate::exec::sleep(Backoff::REQUEST.delay(attempt)).await;
            attempt += 1;
        }
    }
}

/// A throttled attempt's reasons, for the operation's span (its code when
/// DynamoDB gave none): the last one is recorded whether or not a retry
/// then succeeds, so a hot key shows in traces before it fails anything.
#[cold]
fn throttled<E: ProvideErrorMetadata + Reasons>(e: &SdkError<E, HttpResponse>) -> String {
    let reasons = throttle::reasons(e);
    if reasons.is_empty() {
        e.code().unwrap_or("throttled").to_owned()
    } else {
        crate::error::join_reasons(&reasons)
    }
}

/// A fresh idempotency token for a transaction committed without one, so
/// that its replay after a lost answer is not applied twice: 32 hex digits
/// from the process's random hasher keys, the clock and a counter.
pub(super) fn fresh_token() -> String {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::OnceLock;

    static KEYS: OnceLock<std::collections::hash_map::RandomState> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let keys = KEYS.get_or_init(std::collections::hash_map::RandomState::new);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let half = |salt: u64| {
        let mut h = keys.build_hasher();
        h.write_u64(salt);
        h.write_u64(n);
        h.write_u128(nanos);
        h.write_u32(std::process::id());
        h.finish()
    };
    format!("{:016x}{:016x}", half(1), half(2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_tokens_differ_and_fit_dynamodb() {
        let a = fresh_token();
        let b = fresh_token();
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
    }

    #[test]
    fn a_refused_connection_is_found_in_the_chain() {
        #[derive(Debug)]
        struct Outer(std::io::Error);
        impl std::fmt::Display for Outer {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("outer")
            }
        }
        impl std::error::Error for Outer {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let refused_error = Outer(std::io::ErrorKind::ConnectionRefused.into());
        assert!(refused(&refused_error));
        let reset = Outer(std::io::ErrorKind::ConnectionReset.into());
        assert!(!refused(&reset));
    }
}

//! Tracing (feature `tracing`): every store operation runs in a span.
//!
//! The span is named `blue_schema` at level `INFO`, with the fields `op`
//! (`get`, `put`, `query`, …), `table`, `partition` (the partition key the
//! operation touches, empty for a scan or a transaction over several),
//! and, recorded when it ends, `requests` (sent to DynamoDB, retries
//! included; on SQLite, the requests DynamoDB would receive), `items` (read
//! or written) and `read_units` / `write_units` (the capacity it consumed,
//! [`crate::capacity`]). On DynamoDB, `throttled` holds the reasons of
//! the last attempt DynamoDB throttled
//! ([`ThrottleReason`](crate::ThrottleReason)s joined by `, `, or the
//! error code when it gave none), recorded whether or not a retry then
//! succeeded. No attribute values and no credentials are
//! recorded. Without a subscriber that wants the spans, nothing is
//! computed.

use std::future::Future;

use crate::capacity::Usage;

/// Whether the current operation's span is recorded (so its usage is
/// worth computing).
#[inline]
pub(crate) fn wanted() -> bool {
    #[cfg(feature = "tracing")]
    {
        // No subscriber was ever set (most programs, most of the time): no
        // need to ask for the current span. `tracing`'s own macros make the
        // same check.
        tracing::dispatcher::has_been_set() && !tracing::Span::current().is_disabled()
    }
    #[cfg(not(feature = "tracing"))]
    {
        false
    }
}

/// Records an operation's usage on its span (adding to what its earlier
/// steps recorded is not needed: each backend call is one operation).
#[inline]
pub(crate) fn record(usage: &Usage) {
    #[cfg(feature = "tracing")]
    {
        let span = tracing::Span::current();
        if !span.is_disabled() {
            span.record("requests", usage.requests);
            span.record("items", usage.items);
            span.record("read_units", usage.consumed.read);
            span.record("write_units", usage.consumed.write);
        }
    }
    #[cfg(not(feature = "tracing"))]
    let _ = usage;
}

/// Records on the current span that DynamoDB throttled an attempt, and why.
#[cfg_attr(not(feature = "dynamodb"), allow(dead_code))]
pub(crate) fn throttled(reasons: &str) {
    #[cfg(feature = "tracing")]
    tracing::Span::current().record("throttled", reasons);
    #[cfg(not(feature = "tracing"))]
    let _ = reasons;
}

/// The span of operation `op` on `table` (nothing without the feature).
#[cfg(feature = "tracing")]
#[inline]
pub(crate) fn span(op: &'static str, table: &str, partition: &str) -> tracing::Span {
    use tracing::field::Empty;
    tracing::info_span!(
        "blue_schema",
        op,
        table,
        partition,
        requests = Empty,
        items = Empty,
        read_units = Empty,
        write_units = Empty,
        throttled = Empty,
    )
}

/// Without the `tracing` feature, a span is nothing (a type of its own,
/// so that the callers' `let span = ...` binds a value in both builds).
#[cfg(not(feature = "tracing"))]
#[derive(Debug, Clone, Copy)]
pub(crate) struct NoSpan;

/// Without the `tracing` feature: nothing.
#[cfg(not(feature = "tracing"))]
#[inline(always)]
pub(crate) fn span(_: &'static str, _: &str, _: &str) -> NoSpan {
    NoSpan
}

/// Runs `future` in `span`.
#[cfg(feature = "tracing")]
#[inline]
pub(crate) fn within<F: Future>(
    span: tracing::Span,
    future: F,
) -> tracing::instrument::Instrumented<F> {
    tracing::Instrument::instrument(future, span)
}

/// Without the `tracing` feature: the future itself.
#[cfg(not(feature = "tracing"))]
#[inline(always)]
pub(crate) fn within<F: Future>(_: NoSpan, future: F) -> F {
    future
}

//! Why DynamoDB throttled a request: its `ThrottlingReasons`, parsed.
//!
//! Since 2025 DynamoDB says, with every throttling error, what was
//! throttled (the table or one of its indexes), for reads or writes, and
//! which limit was hit. The reason that matters most to a single-table
//! design is the hot key range: one partition key taking more than a
//! partition's share of throughput, which no capacity setting fixes.

use std::fmt;

/// One of DynamoDB's reasons for throttling a request, as it sent it
/// (`reason`, `resource`), with what the reason means parsed out.
///
/// ```
/// use blue_schema::{ThrottleLimit, ThrottleReason};
/// let reason = ThrottleReason::new(
///     "IndexWriteKeyRangeThroughputExceeded",
///     "arn:aws:dynamodb:eu-west-1:123456789012:table/dialogue/index/gsi1",
/// );
/// assert_eq!(reason.limit(), ThrottleLimit::KeyRange);
/// assert!(reason.is_write());
/// assert_eq!(reason.index(), Some("gsi1"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThrottleReason {
    reason: String,
    resource: String,
}

/// The limit a throttled request hit (the last part of DynamoDB's reason).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ThrottleLimit {
    /// `KeyRangeThroughputExceeded`: one partition key (or a narrow range
    /// of keys) took more than a partition's throughput, 3 000 reads or
    /// 1 000 writes a second. A hot partition: spread the writes over more
    /// partition keys; more capacity does not help.
    KeyRange,
    /// `ProvisionedThroughputExceeded`: the table or index, in provisioned
    /// mode, used more than its provisioned capacity.
    Provisioned,
    /// `MaxOnDemandThroughputExceeded`: the table or index, in on-demand
    /// mode, reached the maximum throughput configured for it.
    OnDemandMaximum,
    /// `AccountLimitExceeded`: the account's per-table quota for the
    /// Region.
    AccountLimit,
    /// A reason this version of the library does not know.
    Other,
}

impl ThrottleReason {
    /// A reason as DynamoDB sends it: `reason` such as
    /// `TableWriteKeyRangeThroughputExceeded`, `resource` the ARN of the
    /// table or index.
    pub fn new(reason: impl Into<String>, resource: impl Into<String>) -> Self {
        ThrottleReason {
            reason: reason.into(),
            resource: resource.into(),
        }
    }

    /// DynamoDB's reason: `<Table|Index><Read|Write><limit>`, such as
    /// `TableWriteKeyRangeThroughputExceeded`.
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// The ARN of the table or index that was throttled (empty when
    /// DynamoDB did not say).
    pub fn resource(&self) -> &str {
        &self.resource
    }

    /// Which limit was hit.
    pub fn limit(&self) -> ThrottleLimit {
        let rest = self.reason.trim_start_matches(['T', 'I']);
        let rest = rest
            .strip_prefix("able")
            .or_else(|| rest.strip_prefix("ndex"))
            .unwrap_or(rest);
        let rest = rest
            .strip_prefix("Read")
            .or_else(|| rest.strip_prefix("Write"))
            .unwrap_or(rest);
        match rest {
            "KeyRangeThroughputExceeded" => ThrottleLimit::KeyRange,
            "ProvisionedThroughputExceeded" => ThrottleLimit::Provisioned,
            "MaxOnDemandThroughputExceeded" => ThrottleLimit::OnDemandMaximum,
            "AccountLimitExceeded" => ThrottleLimit::AccountLimit,
            _ => ThrottleLimit::Other,
        }
    }

    /// Whether writes were throttled (reads otherwise).
    pub fn is_write(&self) -> bool {
        let rest = self
            .reason
            .strip_prefix("Table")
            .or_else(|| self.reason.strip_prefix("Index"))
            .unwrap_or(&self.reason);
        rest.starts_with("Write")
    }

    /// Whether an index was throttled rather than the table. An index
    /// throttles the table's writes when it cannot keep up with them
    /// (back-pressure): the write is refused although the table itself
    /// has capacity.
    pub fn is_index(&self) -> bool {
        self.reason.starts_with("Index")
    }

    /// The name of the index that was throttled (`gsi1`, …), from the
    /// resource's ARN; `None` for the table itself.
    pub fn index(&self) -> Option<&str> {
        self.resource.rsplit_once("/index/").map(|(_, index)| index)
    }
}

/// `TableWriteKeyRangeThroughputExceeded on arn:aws:dynamodb:…:table/dialogue`.
impl fmt::Display for ThrottleReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)?;
        if !self.resource.is_empty() {
            write!(f, " on {}", self.resource)?;
        }
        Ok(())
    }
}

/// The reasons of a throttled request, joined by `, ` (for messages and
/// the tracing span).
pub(crate) fn join(reasons: &[ThrottleReason]) -> String {
    let mut out = String::new();
    for (i, reason) in reasons.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&reason.to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_dynamodb_documents_is_parsed() {
        let limits = [
            ("ProvisionedThroughputExceeded", ThrottleLimit::Provisioned),
            ("KeyRangeThroughputExceeded", ThrottleLimit::KeyRange),
            (
                "MaxOnDemandThroughputExceeded",
                ThrottleLimit::OnDemandMaximum,
            ),
            ("AccountLimitExceeded", ThrottleLimit::AccountLimit),
        ];
        let mut seen = 0;
        for resource in ["Table", "Index"] {
            for access in ["Read", "Write"] {
                for (limit, expected) in limits {
                    let arn = if resource == "Index" {
                        "arn:aws:dynamodb:us-east-1:1:table/t/index/gsi3"
                    } else {
                        "arn:aws:dynamodb:us-east-1:1:table/t"
                    };
                    let r = ThrottleReason::new(format!("{resource}{access}{limit}"), arn);
                    assert_eq!(r.limit(), expected, "{r}");
                    assert_eq!(r.is_write(), access == "Write", "{r}");
                    assert_eq!(r.index(), (resource == "Index").then_some("gsi3"), "{r}");
                    assert_eq!(r.is_index(), resource == "Index", "{r}");
                    seen += 1;
                }
            }
        }
        assert_eq!(seen, 16);
        let unknown = ThrottleReason::new("TableWriteSomethingNew", "");
        assert_eq!(unknown.limit(), ThrottleLimit::Other);
        assert_eq!(unknown.to_string(), "TableWriteSomethingNew");
        let no_arn = ThrottleReason::new("IndexReadAccountLimitExceeded", "");
        assert!(no_arn.is_index());
        assert_eq!(no_arn.index(), None);
    }

    #[test]
    fn reasons_join_with_their_resources() {
        let a = ThrottleReason::new("TableWriteKeyRangeThroughputExceeded", "arn:t");
        let b = ThrottleReason::new(
            "IndexWriteProvisionedThroughputExceeded",
            "arn:t/index/gsi1",
        );
        assert_eq!(
            join(&[a, b]),
            "TableWriteKeyRangeThroughputExceeded on arn:t, \
             IndexWriteProvisionedThroughputExceeded on arn:t/index/gsi1"
        );
        assert_eq!(join(&[]), "");
    }
}

//! One record of a table's stream as the change feed's ([`crate::feed`]),
//! whichever client read it: the stream reader (`aws-sdk-dynamodbstreams`)
//! and a Lambda event (`aws_lambda_events`) both hand their record over in
//! the DynamoDB client's attribute values, and decode it here.

use super::item::{Attributes, ReadItem};
use crate::feed::{Before, ChangeKind, Origin, Position, RawChange, ShardPosition};
use crate::ops::decode::Decoder;
use crate::Error;

/// What a stream record says, in the DynamoDB client's shapes.
pub(crate) struct StreamRecord {
    pub(crate) kind: ChangeKind,
    /// The record's user identity: `(type, principal)`, when it has one.
    pub(crate) identity: Option<(Option<String>, Option<String>)>,
    pub(crate) old: Option<Attributes>,
    pub(crate) new: Option<Attributes>,
    pub(crate) at_millis: u64,
    pub(crate) position: Position,
}

impl StreamRecord {
    /// The change this record is, its images decoded by `D`; `None` for
    /// one that changed nothing (equal images: DynamoDB writes no record
    /// for such a write, an emulator may) or that has no image.
    pub(crate) fn decode<D: Decoder>(
        self,
        table: &'static str,
    ) -> Result<Option<RawChange<D::Output>>, Error> {
        if self.kind == ChangeKind::Modify && self.old == self.new {
            return Ok(None);
        }
        let text = |name: &str| match self.new.as_ref().and_then(|n| n.get(name)) {
            Some(aws_sdk_dynamodb::types::AttributeValue::S(s)) => Some(s.as_str()),
            _ => None,
        };
        let origin = match &self.identity {
            Some((kind, principal)) if removed_by_ttl(kind.as_deref(), principal.as_deref()) => {
                Origin::Ttl
            }
            _ if crate::feed::is_migration(
                text(crate::schema::shape::BACKFILL_ATTRIBUTE),
                text(crate::schema::UPDATED_AT),
            ) =>
            {
                Origin::Migration
            }
            _ => Origin::Application,
        };
        let old = self.old.map(ReadItem::new);
        let new = self.new.map(ReadItem::new);
        let Some(keys) = new.as_ref().or(old.as_ref()) else {
            return Ok(None);
        };
        if keys.sort_key == crate::schema::unique::MARKER_SORT_KEY {
            // A unique value's marker is the library's, not a change of
            // the application's items.
            return Ok(None);
        }
        let (partition_key, sort_key) = (keys.partition_key.clone(), keys.sort_key.clone());
        let decode = |item: Option<ReadItem>| item.map(|i| i.decode::<D>(table)).transpose();
        Ok(Some(RawChange {
            kind: self.kind,
            origin,
            partition_key,
            sort_key,
            old: decode(old)?,
            new: decode(new)?,
            at_millis: self.at_millis,
            before: Before::Shard(
                self.position.shard.clone().unwrap_or_default(),
                ShardPosition::Since(0),
            ),
            position: self.position,
        }))
    }
}

/// Whether a record's user identity is DynamoDB's TTL process: the service
/// principal `dynamodb.amazonaws.com`, the only deleter a record names.
/// A field left out counts as the TTL's (dynoxide 3.2 spells them `type`
/// and `principalId`, which the SDK, reading the API's `Type` and
/// `PrincipalId`, leaves empty).
fn removed_by_ttl(kind: Option<&str>, principal: Option<&str>) -> bool {
    kind.is_none_or(|t| t.is_empty() || t == "Service")
        && principal.is_none_or(|p| p.is_empty() || p == "dynamodb.amazonaws.com")
}

//! How the items a backend reads become values: [`Decoder`] for reads that
//! know their result type, [`AnyDecoder`] for the item a failed check
//! carries in its error, whose type the error cannot name.

use serde_json::Value;

use crate::error::AnyItem;

/// How the items a read finds become values: each backend hands a decoder
/// the item's keys and a deserializer over its attributes, and the decoder
/// says whether it recognises the item at all.
pub(crate) trait Decoder: Send + 'static {
    /// What one item becomes.
    type Output: Send + 'static;
    /// Whether the reader asked for each item's `created_at` and
    /// `updated_at` (which SQLite then reads; DynamoDB returns them with the
    /// item anyway).
    #[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
    const WITH_STAMPS: bool;
    /// Whether decoding uses the item's table keys (an index query then
    /// reads them; otherwise they are only named in errors).
    #[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
    const WITH_KEYS: bool;

    /// Decodes one item read by its key.
    fn decode<'de, D: serde::Deserializer<'de>>(
        item: StoredKeys<'_>,
        attributes: D,
    ) -> Result<Self::Output, crate::Error>
    where
        D::Error: Send + Sync + 'static;

    /// Decodes one item a query evaluated, or `None` for one this decoder
    /// does not know (its sort key names no entity it decodes): the query
    /// skips and counts it.
    fn decode_known<'de, D: serde::Deserializer<'de>>(
        item: StoredKeys<'_>,
        attributes: D,
    ) -> Result<Option<Self::Output>, crate::Error>
    where
        D::Error: Send + Sync + 'static;
}

/// The keys and bookkeeping of an item a backend read.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StoredKeys<'a> {
    pub(crate) table: &'static str,
    pub(crate) partition_key: &'a str,
    pub(crate) sort_key: &'a str,
    /// When the item was first written; empty when the read did not ask.
    pub(crate) created_at: &'a str,
    /// When it was last written; empty when the read did not ask or the item
    /// has none (it was written before the library kept it).
    pub(crate) updated_at: &'a str,
}

impl<'a> StoredKeys<'a> {
    /// When the item was last written: `updated_at`, or `created_at` for an
    /// item written before the library kept `updated_at`.
    pub(crate) fn last_written(&self) -> &'a str {
        if self.updated_at.is_empty() {
            self.created_at
        } else {
            self.updated_at
        }
    }
}

impl StoredKeys<'_> {
    /// The store's error for an item that does not decode.
    pub(crate) fn decode_error(&self, source: impl Into<crate::BoxError>) -> crate::Error {
        crate::Error::Decode {
            table: self.table,
            partition_key: self.partition_key.to_owned(),
            sort_key: self.sort_key.to_owned(),
            source: source.into(),
        }
    }
}

/// Decodes an item of one entity type, chosen where the type is known.
#[derive(Clone, Copy)]
pub(crate) struct AnyDecoder {
    /// From SQLite's JSON text.
    #[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
    pub(crate) from_str: fn(&str) -> Result<AnyItem, serde_json::Error>,
    pub(crate) from_value: fn(Value) -> Result<AnyItem, serde_json::Error>,
}

impl std::fmt::Debug for AnyDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AnyDecoder")
    }
}

impl PartialEq for AnyDecoder {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl AnyDecoder {
    pub(crate) fn of<E: serde::de::DeserializeOwned + Send + 'static>() -> AnyDecoder {
        AnyDecoder {
            from_str: |s| serde_json::from_str::<E>(s).map(|e| Box::new(e) as AnyItem),
            from_value: |v| serde_json::from_value::<E>(v).map(|e| Box::new(e) as AnyItem),
        }
    }
}

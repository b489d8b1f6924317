//! How the items a backend reads become values: a [`Decoder`], named as a
//! type parameter by the reads that know their result type, or carried as
//! an [`AnyDecoder`] (the same decoder, its output boxed) by the operations
//! whose types cannot name it.

use serde_json::Value;

use crate::error::AnyItem;
use crate::Error;

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
    /// Whether [`expiry`](Decoder::expiry) reads an output's expiry; when
    /// not, a query reads the item's TTL attribute itself.
    #[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
    const KNOWS_EXPIRY: bool = false;

    /// Whether outputs may be entities with older shapes, whose items a
    /// query counts per stored shape.
    const SHAPED: bool = false;

    /// The entity with older shapes whose item has `sort_key`, if any.
    fn shape_owner(sort_key: &str) -> Option<&'static str> {
        let _ = sort_key;
        None
    }

    /// When the item an output was decoded from expires ([`crate::ttl`]).
    #[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
    fn expiry(output: &Self::Output) -> Option<u64> {
        let _ = output;
        None
    }

    /// Decodes one item read by its key.
    fn decode<'de, D: serde::Deserializer<'de>>(
        item: StoredKeys<'_>,
        attributes: D,
    ) -> Result<Self::Output, Error>
    where
        D::Error: Send + Sync + 'static;

    /// Decodes one item a query evaluated, or `None` for one this decoder
    /// does not know (its sort key names no entity it decodes): the query
    /// skips and counts it.
    fn decode_known<'de, D: serde::Deserializer<'de>>(
        item: StoredKeys<'_>,
        attributes: D,
    ) -> Result<Option<Self::Output>, Error>
    where
        D::Error: Send + Sync + 'static;
}

/// A decoder that counts the items its reader would return instead of
/// decoding them ([`Engine::count_op`]): its output is `()` for an item the
/// reader recognises, and it says whether DynamoDB's `Select = COUNT` can
/// count for it.
///
/// [`Engine::count_op`]: crate::backend::engine::Engine::count_op
pub(crate) trait Counter: Decoder<Output = ()> {
    /// Whether the reader recognises every item its queries can evaluate
    /// (an entity in a table without nested entities), so that every
    /// item counts.
    #[cfg_attr(not(feature = "dynamodb"), allow(dead_code))]
    const ALL: bool;

    /// Whether the reader recognises the item with this (table) sort key.
    #[cfg_attr(not(feature = "dynamodb"), allow(dead_code))]
    fn recognizes(sort_key: &str) -> bool;
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
    pub(crate) fn decode_error(&self, source: impl Into<crate::BoxError>) -> Error {
        Error::Decode {
            table: self.table,
            partition_key: self.partition_key.to_owned(),
            sort_key: self.sort_key.to_owned(),
            source: source.into(),
        }
    }
}

/// Decodes one item from JSON text, which must hold nothing after it
/// (SQLite's items).
#[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
pub(crate) fn decode_str<D: Decoder>(keys: StoredKeys<'_>, text: &str) -> Result<D::Output, Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value = D::decode(keys, &mut de)?;
    de.end().map_err(|e| keys.decode_error(e))?;
    Ok(value)
}

/// A [`Decoder`] chosen where its type is known, carried where it cannot be
/// named: by the operations (a put, an update, a transaction's actions)
/// that return an item, or put the stored item into
/// [`ConditionFailed`](crate::Error::ConditionFailed), through types that
/// are not generic. It decodes as `D` does and boxes the value; the store
/// downcasts it where the type is known again. (A batch read names its
/// decoder as a type parameter: its items are not boxed.)
#[derive(Clone, Copy)]
pub(crate) struct AnyDecoder {
    /// From a JSON value: DynamoDB's attributes, or an item SQLite already
    /// parsed (to apply an update or evaluate a check).
    from_value: fn(StoredKeys<'_>, Value) -> Result<AnyItem, Error>,
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
    /// Decodes as `D`.
    pub(crate) fn of<D: Decoder>() -> AnyDecoder {
        AnyDecoder {
            from_value: |keys, value| D::decode(keys, value).map(|v| Box::new(v) as AnyItem),
        }
    }

    /// Decodes the item `keys` names from its attributes as JSON.
    pub(crate) fn decode_value(
        &self,
        keys: StoredKeys<'_>,
        value: Value,
    ) -> Result<AnyItem, Error> {
        (self.from_value)(keys, value)
    }
}

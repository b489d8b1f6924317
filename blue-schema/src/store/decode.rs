//! What reads return: typed items, items with their bookkeeping, or items as
//! stored.

use std::marker::PhantomData;

use serde::Deserialize;

use crate::ops::decode::{Counter, Decoder, StoredKeys};
use crate::schema::{Entity, FromItem};
use crate::Error;

/// An item with the attributes the library keeps for it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Record<E> {
    /// The item.
    pub value: E,
    /// When it was first written: RFC 3339, UTC, milliseconds
    /// (`2026-11-28T07:54:56.123Z`). Replacing the item keeps it.
    pub created_at: String,
    /// When it was last written (put, update, transaction or batch), in the
    /// same format. An item written before the library kept `updated_at`
    /// gives its `created_at`.
    pub updated_at: String,
}

/// One item as stored, undecoded: its keys, write times and attributes.
/// [`QueryRun::raw`](crate::QueryRun::raw) returns these.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct StoredItem {
    /// The table it was read from.
    pub table: &'static str,
    /// The partition key.
    pub partition_key: String,
    /// The sort key.
    pub sort_key: String,
    /// When the item was first written (RFC 3339, UTC).
    pub created_at: String,
    /// When it was last written (its `created_at` if it has no
    /// `updated_at`).
    pub updated_at: String,
    /// The entity's attributes as a JSON object (without `pk`, `sk`,
    /// `created_at` and `updated_at`). DynamoDB's numbers read as JSON numbers, and its
    /// binary attributes cannot be read this way ([`Error::Decode`]).
    pub attributes: serde_json::Value,
}

/// Items decoded as `R`: an entity, or a table enum.
pub(crate) struct Typed<R>(PhantomData<fn() -> R>);

impl<R: FromItem + Send + 'static> Decoder for Typed<R> {
    type Output = R;
    const WITH_STAMPS: bool = false;
    const WITH_KEYS: bool = R::__USES_KEYS;
    const KNOWS_EXPIRY: bool = R::__KNOWS_EXPIRY;
    const SHAPED: bool = R::__SHAPED;

    #[inline]
    fn shape_owner(sort_key: &str) -> Option<&'static str> {
        R::__shape_owner(sort_key)
    }

    #[inline]
    fn expiry(output: &R) -> Option<u64> {
        output.__expiry()
    }

    fn decode<'de, D: serde::Deserializer<'de>>(
        item: StoredKeys<'_>,
        attributes: D,
    ) -> Result<R, Error>
    where
        D::Error: Send + Sync + 'static,
    {
        R::from_item(item.sort_key, attributes).map_err(|e| item.decode_error(e))
    }

    fn decode_known<'de, D: serde::Deserializer<'de>>(
        item: StoredKeys<'_>,
        attributes: D,
    ) -> Result<Option<R>, Error>
    where
        D::Error: Send + Sync + 'static,
    {
        R::__from_stored(item.partition_key, item.sort_key, attributes)
            .map_err(|e| item.decode_error(e))
    }
}

/// Counts what a read of `R` would return ([`QueryRun::count`](crate::QueryRun::count)):
/// the items `R` recognises, their attributes checked to be one value and
/// skipped, nothing decoded.
pub(crate) struct Counting<R>(PhantomData<fn() -> R>);

impl<R: FromItem + Send + 'static> Decoder for Counting<R> {
    type Output = ();
    const WITH_STAMPS: bool = false;
    // An item is told apart by its table sort key, which an index query
    // then reads.
    const WITH_KEYS: bool = !R::__COUNTS_ALL;

    fn decode<'de, D: serde::Deserializer<'de>>(
        item: StoredKeys<'_>,
        attributes: D,
    ) -> Result<(), Error>
    where
        D::Error: Send + Sync + 'static,
    {
        serde::de::IgnoredAny::deserialize(attributes).map_err(|e| item.decode_error(e))?;
        Ok(())
    }

    fn decode_known<'de, D: serde::Deserializer<'de>>(
        item: StoredKeys<'_>,
        attributes: D,
    ) -> Result<Option<()>, Error>
    where
        D::Error: Send + Sync + 'static,
    {
        if R::__COUNTS_ALL || R::recognizes(item.sort_key) {
            Self::decode(item, attributes).map(Some)
        } else {
            Ok(None)
        }
    }
}

impl<R: FromItem + Send + 'static> Counter for Counting<R> {
    const ALL: bool = R::__COUNTS_ALL;

    fn recognizes(sort_key: &str) -> bool {
        R::recognizes(sort_key)
    }
}

/// Entities with their write times.
pub(crate) struct Records<E>(PhantomData<fn() -> E>);

impl<E: FromItem + Send + 'static> Decoder for Records<E> {
    type Output = Record<E>;
    const WITH_STAMPS: bool = true;
    const WITH_KEYS: bool = E::__USES_KEYS;
    const KNOWS_EXPIRY: bool = E::__KNOWS_EXPIRY;
    const SHAPED: bool = E::__SHAPED;

    #[inline]
    fn shape_owner(sort_key: &str) -> Option<&'static str> {
        E::__shape_owner(sort_key)
    }

    #[inline]
    fn expiry(output: &Record<E>) -> Option<u64> {
        output.value.__expiry()
    }

    fn decode<'de, D: serde::Deserializer<'de>>(
        item: StoredKeys<'_>,
        attributes: D,
    ) -> Result<Record<E>, Error>
    where
        D::Error: Send + Sync + 'static,
    {
        Ok(Record {
            value: Typed::<E>::decode(item, attributes)?,
            created_at: item.created_at.to_owned(),
            updated_at: item.last_written().to_owned(),
        })
    }

    fn decode_known<'de, D: serde::Deserializer<'de>>(
        item: StoredKeys<'_>,
        attributes: D,
    ) -> Result<Option<Record<E>>, Error>
    where
        D::Error: Send + Sync + 'static,
    {
        Ok(
            Typed::<E>::decode_known(item, attributes)?.map(|value| Record {
                value,
                created_at: item.created_at.to_owned(),
                updated_at: item.last_written().to_owned(),
            }),
        )
    }
}

/// Items as stored.
pub(crate) struct Raw;

impl Decoder for Raw {
    type Output = StoredItem;
    const WITH_STAMPS: bool = true;
    const WITH_KEYS: bool = true;

    fn decode<'de, D: serde::Deserializer<'de>>(
        item: StoredKeys<'_>,
        attributes: D,
    ) -> Result<StoredItem, Error>
    where
        D::Error: Send + Sync + 'static,
    {
        Ok(StoredItem {
            table: item.table,
            partition_key: item.partition_key.to_owned(),
            sort_key: item.sort_key.to_owned(),
            created_at: item.created_at.to_owned(),
            updated_at: item.last_written().to_owned(),
            attributes: serde_json::Value::deserialize(attributes)
                .map_err(|e| item.decode_error(e))?,
        })
    }

    fn decode_known<'de, D: serde::Deserializer<'de>>(
        item: StoredKeys<'_>,
        attributes: D,
    ) -> Result<Option<StoredItem>, Error>
    where
        D::Error: Send + Sync + 'static,
    {
        Self::decode(item, attributes).map(Some)
    }
}

/// An item's attributes as JSON, undecoded: what an operation returns that
/// only writes items as stored (a re-index), or that never runs.
pub(crate) struct Attributes;

impl Decoder for Attributes {
    type Output = serde_json::Value;
    const WITH_STAMPS: bool = false;
    const WITH_KEYS: bool = false;

    fn decode<'de, D: serde::Deserializer<'de>>(
        item: StoredKeys<'_>,
        attributes: D,
    ) -> Result<serde_json::Value, Error>
    where
        D::Error: Send + Sync + 'static,
    {
        serde_json::Value::deserialize(attributes).map_err(|e| item.decode_error(e))
    }

    fn decode_known<'de, D: serde::Deserializer<'de>>(
        item: StoredKeys<'_>,
        attributes: D,
    ) -> Result<Option<serde_json::Value>, Error>
    where
        D::Error: Send + Sync + 'static,
    {
        Self::decode(item, attributes).map(Some)
    }
}

/// An entity with its attributes as stored: what `modify` conditions its
/// write on (an item of an older shape decodes into other attributes
/// than it holds).
pub(crate) struct Imaged<E>(PhantomData<fn() -> E>);

/// An item's attributes as stored, and the entity they decode into.
pub(crate) type ImagedItem<E> = (serde_json::Map<String, serde_json::Value>, E);

impl<E: Entity> Decoder for Imaged<E> {
    type Output = ImagedItem<E>;
    const WITH_STAMPS: bool = false;
    const WITH_KEYS: bool = false;
    const KNOWS_EXPIRY: bool = true;

    #[inline]
    fn expiry(output: &Self::Output) -> Option<u64> {
        output.1.__expiry()
    }

    fn decode<'de, D: serde::Deserializer<'de>>(
        item: StoredKeys<'_>,
        attributes: D,
    ) -> Result<Self::Output, Error>
    where
        D::Error: Send + Sync + 'static,
    {
        let image = match serde_json::Map::deserialize(attributes) {
            Ok(image) => image,
            Err(e) => return Err(item.decode_error(e)),
        };
        // A write-back of an item a newer program wrote is refused before
        // the item is decoded (as its older shape, it may not decode).
        let stored = crate::schema::shape::stored_shape(&image);
        if stored > u64::from(E::SCHEMA.shape) {
            let key = crate::ops::ItemKey {
                table: item.table,
                partition_key: item.partition_key.to_owned(),
                sort_key: item.sort_key.to_owned(),
            };
            let check = crate::ops::check::ShapeCheck::whole(&E::SCHEMA).expect("always a check");
            return Err(crate::ops::check::Failure::Shape { check, stored }.into_error(&key, None));
        }
        let entity = E::from_item(item.sort_key, &serde_json::Value::Object(image.clone()))
            .map_err(|e| item.decode_error(e))?;
        Ok((image, entity))
    }

    fn decode_known<'de, D: serde::Deserializer<'de>>(
        item: StoredKeys<'_>,
        attributes: D,
    ) -> Result<Option<Self::Output>, Error>
    where
        D::Error: Send + Sync + 'static,
    {
        Self::decode(item, attributes).map(Some)
    }
}

/// [`Imaged`] with the item's `created_at` and the time it was last
/// written: what a key move reads, to write the item under its new key with
/// its creation time, and to tell which of two copies was written last.
pub(crate) struct Stamped<E>(PhantomData<fn() -> E>);

/// An item as stored, its entity, when it was created and last written.
pub(crate) type StampedItem<E> = (ImagedItem<E>, String, String);

impl<E: Entity> Decoder for Stamped<E> {
    type Output = StampedItem<E>;
    const WITH_STAMPS: bool = true;
    const WITH_KEYS: bool = false;
    const KNOWS_EXPIRY: bool = true;

    #[inline]
    fn expiry(output: &Self::Output) -> Option<u64> {
        output.0 .1.__expiry()
    }

    fn decode<'de, D: serde::Deserializer<'de>>(
        item: StoredKeys<'_>,
        attributes: D,
    ) -> Result<Self::Output, Error>
    where
        D::Error: Send + Sync + 'static,
    {
        let created_at = item.created_at.to_owned();
        let written_at = item.last_written().to_owned();
        Imaged::<E>::decode(item, attributes).map(|imaged| (imaged, created_at, written_at))
    }

    fn decode_known<'de, D: serde::Deserializer<'de>>(
        item: StoredKeys<'_>,
        attributes: D,
    ) -> Result<Option<Self::Output>, Error>
    where
        D::Error: Send + Sync + 'static,
    {
        Self::decode(item, attributes).map(Some)
    }
}

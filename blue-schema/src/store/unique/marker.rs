//! Marker items: their keys, the puts that claim them and the deletes that
//! release them, and the error of a value another item holds.

use std::borrow::Cow;

use serde_json::Value;

use crate::backend::engine::Engine;
use crate::error::UniqueTaken;
use crate::limits::check::{check_item, CheckError, IndexKeys, Stamps};
use crate::ops::check::Checks;
use crate::ops::cond::{CmpOp, Cond};
use crate::ops::decode::{AnyDecoder, Decoder, StoredKeys};
use crate::ops::{Delete, ItemKey, Put, TxAction, WriteItem};
use crate::schema::unique::{
    marker_partition_key, UniqueSchema, MARKER_SORT_KEY, OWNER_PK, OWNER_SK,
};
use crate::schema::{AttributeSchema, Entity, EntitySchema};
use crate::Error;

/// One marker: the value of one constraint of one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Marker {
    pub(crate) constraint: &'static UniqueSchema,
    pub(crate) value: String,
    pub(crate) key: ItemKey,
}

/// The markers `item` holds, one per constraint in schema order (`None`
/// where a field of the constraint is `None`).
///
/// # Errors
///
/// [`Error::Limit`] when a value makes a marker's key longer than
/// DynamoDB's 2 048 bytes of partition key.
pub(crate) fn markers<E: Entity>(item: &E) -> Result<Vec<Option<Marker>>, Error> {
    let mut values = Vec::with_capacity(E::SCHEMA.unique.len());
    item.__unique_values(&mut values);
    E::SCHEMA
        .unique
        .iter()
        .zip(values)
        .map(|(constraint, value)| {
            value
                .map(|value| {
                    let key = ItemKey::new(
                        E::SCHEMA.table,
                        marker_partition_key(E::SCHEMA.name, constraint, &value),
                        MARKER_SORT_KEY.to_owned(),
                    )?;
                    Ok(Marker {
                        constraint,
                        value,
                        key,
                    })
                })
                .transpose()
        })
        .collect()
}

/// That a marker is absent, or held by one of the items with keys
/// `owners`.
fn free_or_held_by(owners: &[&ItemKey]) -> Cond {
    let is = |name: &'static str, value: &str| {
        Cond::Cmp(Cow::Borrowed(name), CmpOp::Eq, Value::from(value))
    };
    let mut cond = Cond::ItemExists(false);
    for owner in owners {
        let held = Cond::And(
            Box::new(is(OWNER_PK, &owner.partition_key)),
            Box::new(is(OWNER_SK, &owner.sort_key)),
        );
        cond = Cond::Or(Box::new(cond), Box::new(held));
    }
    cond
}

/// A marker's attributes.
#[derive(serde::Serialize)]
struct Owner<'a> {
    owner_pk: &'a str,
    owner_sk: &'a str,
}

/// The schema of a marker item: what a backend needs to write one.
static MARKER: EntitySchema = EntitySchema {
    prefix: MARKER_SORT_KEY,
    sort_key_path: &crate::key::SortKeyPath::root(MARKER_SORT_KEY, 0),
    attributes: &[owner_attribute(OWNER_PK), owner_attribute(OWNER_SK)],
    // Nothing else: no keys of fields, no version, index, TTL or shape.
    ..EntitySchema::bare("unique marker")
};

const fn owner_attribute(name: &'static str) -> AttributeSchema {
    AttributeSchema {
        field: name,
        name,
        rust_type: "String",
        doc: "",
        key: None,
        optional: false,
        defaulted: false,
        version: false,
        set: None,
    }
}

/// The put that claims `marker` for the item with key `owner`; it may
/// also take it from the items with keys `from` (which release it in the
/// same transaction).
pub(crate) fn claim<B: Engine>(
    marker: &Marker,
    owner: &ItemKey,
    from: &[&ItemKey],
    now: &str,
) -> Result<TxAction<B::Item>, Error> {
    let attributes = Owner {
        owner_pk: &owner.partition_key,
        owner_sk: &owner.sort_key,
    };
    let stamps = Stamps {
        created_at: now,
        updated_at: now,
    };
    let size = check_item(
        &marker.key.partition_key,
        &marker.key.sort_key,
        stamps,
        &attributes,
        IndexKeys::Added(&[]),
    )
    .map_err(|e| match e {
        CheckError::Limit(e) => Error::Limit(e),
        CheckError::NotAnItem(source) => Error::Serialize {
            entity: MARKER.name,
            source,
        },
    })?;
    let data = B::encode(&attributes).map_err(|source| Error::Serialize {
        entity: MARKER.name,
        source,
    })?;
    Ok(TxAction::Put(Put {
        item: WriteItem {
            key: marker.key.clone(),
            data,
            size,
            created_at: now.to_owned(),
            updated_at: None,
        },
        if_not_exists: false,
        entity: &MARKER,
        checks: Checks {
            user: Some(free_or_held_by(
                &std::iter::once(owner)
                    .chain(from.iter().copied())
                    .collect::<Vec<_>>(),
            )),
            ..Checks::default()
        },
        decode: AnyDecoder::of::<Holder>(),
    }))
}

/// The delete that releases `marker`, held by the item with key `owner`.
pub(crate) fn release<B: Engine>(marker: &Marker, owner: &ItemKey) -> TxAction<B::Item> {
    TxAction::Delete(Delete {
        key: marker.key.clone(),
        return_old: false,
        checks: Checks {
            user: Some(free_or_held_by(&[owner])),
            ..Checks::default()
        },
        decode: Some(AnyDecoder::of::<Holder>()),
    })
}

/// The error of a claim refused: `holder` holds the value.
pub(crate) fn taken<E: Entity>(marker: &Marker, item: &ItemKey, holder: (String, String)) -> Error {
    Error::UniqueTaken(Box::new(UniqueTaken {
        table: E::SCHEMA.table,
        entity: E::SCHEMA.name,
        constraint: marker.constraint.name,
        fields: marker.constraint.fields,
        value: marker.value.clone(),
        item: (item.partition_key.clone(), item.sort_key.clone()),
        holder,
    }))
}

/// Decodes a marker into the key of the item that holds it.
pub(crate) struct Holder;

impl Decoder for Holder {
    type Output = (String, String);
    const WITH_STAMPS: bool = false;
    const WITH_KEYS: bool = false;

    fn decode<'de, D: serde::Deserializer<'de>>(
        item: StoredKeys<'_>,
        attributes: D,
    ) -> Result<(String, String), Error>
    where
        D::Error: Send + Sync + 'static,
    {
        #[derive(serde::Deserialize)]
        struct Owned {
            owner_pk: String,
            owner_sk: String,
        }
        let owned: Owned =
            serde::Deserialize::deserialize(attributes).map_err(|e| item.decode_error(e))?;
        Ok((owned.owner_pk, owned.owner_sk))
    }

    fn decode_known<'de, D: serde::Deserializer<'de>>(
        item: StoredKeys<'_>,
        attributes: D,
    ) -> Result<Option<(String, String)>, Error>
    where
        D::Error: Send + Sync + 'static,
    {
        Self::decode(item, attributes).map(Some)
    }
}

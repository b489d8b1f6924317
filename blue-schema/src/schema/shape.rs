//! Shapes: the versions of an entity's stored form.
//!
//! An entity is at shape 1 until it declares another
//! (`#[entity(shape = 2, from = ExpertV1)]`). Each older shape is a frozen
//! copy of the struct as it was, deriving [`Shape`](derive@crate::Shape),
//! with a conversion to the next (`From`, or `TryFrom` with any error):
//!
//! ```
//! use blue_schema::{Entity, Shape, Table};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Table)]
//! #[table(name = "blue_dialogue")]
//! enum Dialogue { Expert(Expert) }
//!
//! /// Shape 1, frozen: what items written before shape 2 hold.
//! #[derive(Shape, Deserialize)]
//! #[shape(of = Expert, number = 1)]
//! struct ExpertV1 { dialogue_id: String, name: String, role: String }
//!
//! /// Shape 2 splits `role` into `role` and `tier`.
//! #[derive(Entity, Serialize, Deserialize)]
//! #[entity(table = Dialogue, shape = 2, from = ExpertV1)]
//! #[sk(prefix = "EXPERT")]
//! struct Expert {
//!     #[pk] dialogue_id: String,
//!     #[sk] name: String,
//!     role: String,
//!     tier: u8,
//! }
//!
//! impl From<ExpertV1> for Expert {
//!     fn from(v1: ExpertV1) -> Self {
//!         let (role, tier) = match v1.role.split_once(':') {
//!             Some((role, tier)) => (role.to_owned(), tier.parse().unwrap_or(0)),
//!             None => (v1.role, 0),
//!         };
//!         Expert { dialogue_id: v1.dialogue_id, name: v1.name, role, tier }
//!     }
//! }
//! ```
//!
//! The shape number is stored in the item's `_shape` attribute (left out
//! at shape 1), never in its key, so every shape of an item has the same
//! key and the same place in its partition. What follows holds on every
//! backend:
//!
//! * **Reads upgrade in memory.** Every read that decodes an item (gets,
//!   queries, index queries, batch and transactional gets, whole-partition
//!   reads, the change feed) decodes it as the shape it was written in and
//!   converts it up the chain. An item of a *newer* shape than the program
//!   knows (a newer binary wrote it during a rolling deploy) is decoded as
//!   the program's own shape, as serde would: fields it does not know are
//!   ignored.
//! * **Writes never erase a newer shape.** Every put, update, modify and
//!   transactional write is conditioned on the stored item's shape being
//!   no newer than the writer's, so an older binary gets
//!   [`Error::NewerShape`](crate::Error::NewerShape) instead of dropping the
//!   fields a newer one wrote. (A delete is not: it removes the item
//!   whatever its shape, as asked. `put_all` is not on DynamoDB, whose batch
//!   writes take no condition: use it to load data, not during a deploy.)
//! * **Writes store the current shape.** A put or modify writes the whole
//!   item in the writer's shape; a partial update of an item still in an
//!   older shape first rewrites it in the current one (a `modify` that
//!   changes nothing), then applies the update, so that no item ever holds
//!   fields of two shapes.
//! * **Whole items hold only their shape's attributes.** A put removes the
//!   attributes of the entity's older shapes that the current one no longer
//!   has, on DynamoDB as on SQLite.

use serde::de::DeserializeOwned;

/// The attribute an item's shape number is stored in, when it is above 1.
pub const SHAPE_ATTRIBUTE: &str = "_shape";

/// The attribute a backfill's rewrite of an item sets to the time of the
/// write (its `updated_at`): a change whose new image has it equal to its
/// `updated_at` is the backfill's ([`Origin::Migration`](crate::feed::Origin::Migration)).
/// A later put removes it; a later update leaves it, with another
/// `updated_at`.
pub const BACKFILL_ATTRIBUTE: &str = "_backfill";

/// One older shape of an entity, as the docs and the writes know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShapeSchema {
    /// Its number: 1 for the first.
    pub number: u32,
    /// The frozen type's name (`ExpertV1`).
    pub name: &'static str,
    /// The attributes it stores.
    pub attributes: &'static [&'static str],
    /// The shape before it, if any.
    pub previous: Option<&'static ShapeSchema>,
    /// The key its items were written under, when the frozen type
    /// declares one (`#[sk(prefix = ..)]` with its `#[pk]` and `#[sk]`
    /// fields); `None`: the same key as the shape after it. See
    /// [`key_move`](super::key_move).
    pub key: Option<&'static super::key_move::ShapeKey>,
}

impl ShapeSchema {
    /// This shape and every older one, newest first.
    pub fn chain(&'static self) -> impl Iterator<Item = &'static ShapeSchema> {
        std::iter::successors(Some(self), |s| s.previous)
    }
}

/// A frozen older shape of entity [`Of`](Shape::Of), implemented by
/// `#[derive(Shape)]`; see the [module](self).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a shape: derive it with `#[derive(Shape)]`",
    note = "an older shape is a frozen copy of the struct as it was, with `#[derive(Shape, Deserialize)]` and `#[shape(of = Entity, number = N)]`"
)]
pub trait Shape: DeserializeOwned + Sized + 'static {
    /// The entity it is an older shape of.
    type Of;
    /// Its number and attributes.
    const SCHEMA: ShapeSchema;

    /// Decodes an item stored in shape `shape` (this one or an older one)
    /// as this shape, upgrading it from older shapes.
    ///
    /// # Errors
    ///
    /// The item does not decode as its shape, a conversion failed, or no
    /// shape of the chain has that number.
    #[doc(hidden)]
    fn __decode(shape: u64, item: serde_json::Value) -> Result<Self, crate::BoxError>;
}

/// The shape number an item stored as `item` was written in: its `_shape`
/// attribute, 1 when it has none.
pub(crate) fn stored_shape(item: &serde_json::Map<String, serde_json::Value>) -> u64 {
    item.get(SHAPE_ATTRIBUTE)
        .and_then(serde_json::Value::as_u64)
        .unwrap_or(1)
}

/// The conversion of the shape before `To` into `To`: `From` or `TryFrom`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be made from its previous shape `{From}`",
    label = "the shape chain needs this conversion",
    note = "implement `From<{From}> for {Self}` (or `TryFrom`, whose error is reported as the item's decode error)"
)]
pub trait UpgradeFrom<From>: Sized {
    #[doc(hidden)]
    fn __upgrade(from: From) -> Result<Self, crate::BoxError>;
}

impl<F, T> UpgradeFrom<F> for T
where
    T: TryFrom<F>,
    T::Error: Into<crate::BoxError>,
{
    fn __upgrade(from: F) -> Result<Self, crate::BoxError> {
        T::try_from(from).map_err(Into::into)
    }
}

/// `item` decoded as shape `number` when it was stored in it, else
/// through the previous shape `P`, then converted: what the derives
/// generate for each link of a chain.
#[doc(hidden)]
pub fn decode_link<T, P>(
    number: u32,
    stored: u64,
    item: serde_json::Value,
) -> Result<T, crate::BoxError>
where
    T: DeserializeOwned + UpgradeFrom<P>,
    P: Shape,
{
    if stored == u64::from(number) {
        return T::deserialize(item).map_err(Into::into);
    }
    let previous = P::__decode(stored, item)?;
    T::__upgrade(previous).map_err(|e| {
        format!(
            "upgrading from shape {} (`{}`) to shape {number} failed: {e}",
            P::SCHEMA.number,
            P::SCHEMA.name,
        )
        .into()
    })
}

/// `item` decoded as the first shape, which must be the one stored.
#[doc(hidden)]
pub fn decode_first<T: DeserializeOwned>(
    stored: u64,
    item: serde_json::Value,
) -> Result<T, crate::BoxError> {
    if stored == 1 {
        T::deserialize(item).map_err(Into::into)
    } else {
        Err(format!("the item is stored in shape {stored}, which the entity does not have").into())
    }
}

/// Decodes an item of an entity at shape `number > 1` whose previous shape
/// is `P`: the item is read whole, then decoded as the shape its `_shape`
/// attribute names and upgraded. A shape newer than `number` is decoded as
/// `number`. What `#[derive(Entity)]` calls from `FromItem::from_item`.
#[doc(hidden)]
pub fn decode_entity<'de, D, T, P>(number: u32, item: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: DeserializeOwned + UpgradeFrom<P>,
    P: Shape,
{
    use serde::de::Error as _;
    let value = <serde_json::Value as serde::Deserialize>::deserialize(item)?;
    let stored = match &value {
        serde_json::Value::Object(map) => stored_shape(map).min(u64::from(number)),
        _ => u64::from(number),
    };
    decode_link::<T, P>(number, stored, value).map_err(D::Error::custom)
}

//! Typed references to an entity's stored attributes: what conditions and
//! updates are written with.
//!
//! `#[derive(Entity)]` generates `Order::attr()`, a struct with one
//! [`Attr`] per stored field, typed by the field's value type and by what
//! the field allows: a key field can be compared but never updated, a
//! required field can be set but never removed, the `#[version]` field is
//! maintained by the library.

use std::fmt;
use std::marker::PhantomData;

use serde::Serialize;

pub use crate::schema::SetKind;

/// What a field allows: [`Required`], [`Optional`], [`KeyField`],
/// [`VersionField`], [`SetField`], [`IndexKey`] or [`OptionalIndexKey`].
/// Sealed.
pub trait Presence: sealed::Sealed + Send + Sync + 'static {}

/// The fields whose values compare (`eq`, `lt`, `between`, `is_in`...):
/// every kind but a `#[set]`, whose stored set DynamoDB compares only as a
/// whole set. Sealed.
#[diagnostic::on_unimplemented(
    message = "a `#[set]` field is not compared with `eq`, `lt`, `between` or `is_in`",
    label = "a `#[set]` field",
    note = "ask about its elements with `contains(x)`, about its size with `size()`, or whether it is empty with `exists()` / `not_exists()`"
)]
pub trait Ordered: Presence {}

/// A field that every item has (not an `Option`).
#[derive(Debug, Clone, Copy)]
pub enum Required {}
/// An `Option` field: absent from the item when `None`.
#[derive(Debug, Clone, Copy)]
pub enum Optional {}
/// A `#[pk]` or `#[sk]` field: part of the key, never updated.
#[derive(Debug, Clone, Copy)]
pub enum KeyField {}
/// The `#[version]` field: set and incremented by the library.
#[derive(Debug, Clone, Copy)]
pub enum VersionField {}
/// A `#[set]` field: a DynamoDB string or number set, absent when empty.
#[derive(Debug, Clone, Copy)]
pub enum SetField {}
/// A field (not an `Option`) that a secondary-index key is built from:
/// an update changes it only together with every other field of that key,
/// with [`Update::set_index`](crate::Update::set_index).
#[derive(Debug, Clone, Copy)]
pub enum IndexKey {}
/// An `Option` field that a secondary-index key is built from (the item
/// is in the index only while it is `Some`); updated like [`IndexKey`].
#[derive(Debug, Clone, Copy)]
pub enum OptionalIndexKey {}

impl Presence for Required {}
impl Presence for Optional {}
impl Presence for KeyField {}
impl Presence for VersionField {}
impl Presence for SetField {}
impl Presence for IndexKey {}
impl Presence for OptionalIndexKey {}
impl Ordered for IndexKey {}
impl Ordered for OptionalIndexKey {}
impl Ordered for Required {}
impl Ordered for Optional {}
impl Ordered for KeyField {}
impl Ordered for VersionField {}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Required {}
    impl Sealed for super::Optional {}
    impl Sealed for super::KeyField {}
    impl Sealed for super::VersionField {}
    impl Sealed for super::SetField {}
    impl Sealed for super::IndexKey {}
    impl Sealed for super::OptionalIndexKey {}
}

/// A value that can be an element of a `#[set]` field: a `String` (stored
/// in a string set) or an integer (a number set).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be an element of a `#[set]` field",
    label = "not a string or an integer",
    note = "DynamoDB's sets hold strings (`SS`) or numbers (`NS`): use a `BTreeSet` or `HashSet` of `String` or of an integer type"
)]
pub trait SetElement: Serialize + sealed_set::Sealed {
    /// Which set holds it.
    const KIND: SetKind;
}

/// The type of a `#[set]` field: a `BTreeSet` or `HashSet` of strings or
/// integers.
#[diagnostic::on_unimplemented(
    message = "a `#[set]` field must be a `BTreeSet` or `HashSet` of strings or integers, not `{Self}`",
    label = "not a set of strings or integers",
    note = "an empty set is stored as no attribute, so the field need not be an `Option`"
)]
pub trait SetValue: Serialize + sealed_set::Sealed {
    /// What the set holds.
    type Element: SetElement;
    /// Which set it is stored as.
    const KIND: SetKind;
}

mod sealed_set {
    pub trait Sealed {}
}

impl sealed_set::Sealed for String {}
impl SetElement for String {
    const KIND: SetKind = SetKind::Strings;
}

impl<T: SetElement + Ord> sealed_set::Sealed for std::collections::BTreeSet<T> {}
impl<T: SetElement + Ord> SetValue for std::collections::BTreeSet<T> {
    type Element = T;
    const KIND: SetKind = T::KIND;
}

impl<T: SetElement + Eq + std::hash::Hash, S> sealed_set::Sealed
    for std::collections::HashSet<T, S>
{
}
impl<T: SetElement + Eq + std::hash::Hash, S: std::hash::BuildHasher> SetValue
    for std::collections::HashSet<T, S>
{
    type Element = T;
    const KIND: SetKind = T::KIND;
}

/// A stored attribute of entity `E` whose values are `V` (`T` for a field of
/// type `Option<T>`), with what the field allows as `P`.
#[allow(clippy::type_complexity)]
pub struct Attr<E, V, P> {
    name: &'static str,
    _marker: PhantomData<fn() -> (E, V, P)>,
}

/// The attribute stored as `name`: what the generated `attr()` makes.
pub const fn attr<E, V, P>(name: &'static str) -> Attr<E, V, P> {
    Attr {
        name,
        _marker: PhantomData,
    }
}

impl<E, V, P> Attr<E, V, P> {
    /// The stored attribute name.
    pub const fn name(&self) -> &'static str {
        self.name
    }
}

impl<E, V, P> Clone for Attr<E, V, P> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<E, V, P> Copy for Attr<E, V, P> {}

impl<E, V, P> fmt::Debug for Attr<E, V, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Attr({})", self.name)
    }
}

/// An attribute an update may write: the required and optional fields of
/// an entity, not its key fields and not its `#[version]`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be updated on its own",
    label = "a key field, a field of a secondary-index key, or the `#[version]` field",
    note = "key fields never change: to move an item to another key, use `store.rekey(old_key, &new_item)` (a delete and a create in one transaction)",
    note = "a field of an index key (`IndexKey`) changes together with every other field of that key, so that the index key is rewritten in the same request: `.set_index(EntityPattern {{ .. }})` (the struct the derive generates for each `#[index]`), or `store.modify(key, |item| ..)`",
    note = "the `#[version]` field is incremented by every write of a versioned entity; it is not set by hand"
)]
pub trait Settable<E>: AttrHooks {
    /// The value the attribute holds.
    type Value: Serialize;
    /// The stored attribute name.
    fn attribute(&self) -> &'static str;
}

/// What an update asks of an attribute beyond [`Settable`]: implemented by
/// [`Attr`] alone (which seals `Settable`), named nowhere outside this
/// crate.
pub trait AttrHooks {
    /// For a `#[set]` field, what the set holds.
    fn set_kind(&self) -> Option<SetKind>;
}

impl<E, V: SetValue> Settable<E> for Attr<E, V, SetField> {
    type Value = V;
    fn attribute(&self) -> &'static str {
        self.name
    }
}

impl<E, V: SetValue> AttrHooks for Attr<E, V, SetField> {
    fn set_kind(&self) -> Option<SetKind> {
        Some(V::KIND)
    }
}

impl<E, V: Serialize> AttrHooks for Attr<E, V, Required> {
    fn set_kind(&self) -> Option<SetKind> {
        None
    }
}

impl<E, V: Serialize> AttrHooks for Attr<E, V, Optional> {
    fn set_kind(&self) -> Option<SetKind> {
        None
    }
}

/// A `#[set]` field, which updates can add elements to and delete
/// elements from.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a `#[set]` field",
    label = "`add_to` and `delete_from` change `#[set]` fields",
    note = "mark a `BTreeSet` or `HashSet` field of strings or integers `#[set]` (with `#[serde(default)]`) to store it as a DynamoDB set"
)]
pub trait SetAttr<E>: Settable<E> {
    /// What the set holds.
    type Element: SetElement;
}

impl<E, V: SetValue> SetAttr<E> for Attr<E, V, SetField> {
    type Element = V::Element;
}

impl<E, V: Serialize> Settable<E> for Attr<E, V, Required> {
    type Value = V;
    fn attribute(&self) -> &'static str {
        self.name
    }
}

impl<E, V: Serialize> Settable<E> for Attr<E, V, Optional> {
    type Value = V;
    fn attribute(&self) -> &'static str {
        self.name
    }
}

/// An attribute an update may remove: an `Option` field (it reads back as
/// `None`) or a `#[set]` field (it reads back empty).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be removed",
    label = "not an `Option` or `#[set]` field",
    note = "only an `Option` field (or a `#[set]`, which reads back empty) may be absent from a stored item; removing a required field would leave an item that does not decode"
)]
pub trait Removable<E>: Settable<E> {}

impl<E, V: Serialize> Removable<E> for Attr<E, V, Optional> {}
impl<E, V: SetValue> Removable<E> for Attr<E, V, SetField> {}

/// The fields of one or more index keys, to change together in an update:
/// the struct `#[derive(Entity)]` generates for each `#[index]` that is
/// built from fields outside the table key (`ExpertByRole { role }` for
/// `name = by_role`). Setting them rewrites the index keys made of them in
/// the same request (or removes an item from an index whose `Option`
/// field becomes `None`), so no index key is ever left stale.
pub trait IndexFields<E>: IndexChanges<E> {}

/// What an update asks of [`IndexFields`]: implemented by
/// `#[derive(Entity)]` next to it, named only through `__private`.
pub trait IndexChanges<E> {
    /// `(attribute, value)` to set, or `None` to remove, for the fields
    /// and the index keys of the item with table key `pk`, `sk`.
    ///
    /// # Errors
    ///
    /// A message when a field does not serialize or the key does not
    /// decode.
    fn __changes(&self, pk: &str, sk: &str) -> Result<Changes, String>;
}

/// What [`IndexChanges::__changes`] returns: `(attribute, value)` to set,
/// or `None` to remove.
pub type Changes = Vec<(&'static str, Option<serde_json::Value>)>;

/// The table key of the item `__changes` is asked about, decoded as `E`'s
/// key fields (an index key may be made of them).
///
/// # Errors
///
/// The message when the key is not one of `E`'s.
pub fn decode_changed_key<E: crate::Entity>(
    pk: &str,
    sk: &str,
) -> Result<(E::PartitionKey, E::SortKey), String> {
    E::decode_key(pk, sk).map_err(|e| format!("the key does not decode: {e}"))
}

/// Pushes an index field's new value: `None` (remove the attribute) for a
/// value that serializes as `null`.
///
/// # Errors
///
/// The message when the value does not serialize.
pub fn push_field<T: Serialize + ?Sized>(
    out: &mut Changes,
    attribute: &'static str,
    value: &T,
) -> Result<(), String> {
    let value = match serde_json::to_value(value) {
        Ok(serde_json::Value::Null) => None,
        Ok(value) => Some(value),
        Err(e) => return Err(format!("`{attribute}` does not serialize: {e}")),
    };
    out.push((attribute, value));
    Ok(())
}

/// Pushes an index's key attributes: the new keys, or their removal when
/// the item leaves the index (a field of the key is `None`).
pub fn push_index_keys(
    out: &mut Changes,
    pk_attribute: &'static str,
    sk_attribute: &'static str,
    keys: Option<(String, String)>,
) {
    let (pk, sk) = match keys {
        Some((pk, sk)) => (
            Some(serde_json::Value::String(pk)),
            Some(serde_json::Value::String(sk)),
        ),
        None => (None, None),
    };
    out.push((pk_attribute, pk));
    out.push((sk_attribute, sk));
}

/// A Rust integer type whose fields can be added to and subtracted from.
/// An update that would take the value out of the type's range is refused
/// ([`Error::Overflow`](crate::Error::Overflow)), on both backends.
pub trait Integer: Serialize + Copy + sealed_int::Sealed {
    /// The type's smallest value.
    const MIN: i128;
    /// The type's largest value.
    const MAX: i128;
    /// The value, widened.
    fn to_i128(self) -> i128;
}

mod sealed_int {
    pub trait Sealed {}
}

macro_rules! integers {
    ($($t:ty),*) => {$(
        impl sealed_int::Sealed for $t {}
        impl Integer for $t {
            const MIN: i128 = <$t>::MIN as i128;
            const MAX: i128 = <$t>::MAX as i128;
            fn to_i128(self) -> i128 {
                self as i128
            }
        }
    )*};
}
integers!(u8, u16, u32, u64, usize, i8, i16, i32, i64, isize);

macro_rules! set_integers {
    ($($t:ty),*) => {$(
        impl sealed_set::Sealed for $t {}
        impl SetElement for $t {
            const KIND: SetKind = SetKind::Numbers;
        }
    )*};
}
set_integers!(u8, u16, u32, u64, usize, i8, i16, i32, i64, isize);

/// A value a condition or update can use for an attribute holding `V`:
/// a `V`, or for strings also a `&str`. (Not `Into<V>`: with it an integer
/// literal compared with a `u32` field would be typed `i32`.)
#[diagnostic::on_unimplemented(
    message = "an attribute holding `{V}` cannot be compared with or set to `{Self}`",
    label = "expected a `{V}`",
    note = "conditions and updates are typed by the field: a value of the field's own type (or `&str` for a `String`)"
)]
pub trait Operand<V> {
    /// The value as `V`.
    fn into_operand(self) -> V;
}

impl<V> Operand<V> for V {
    fn into_operand(self) -> V {
        self
    }
}

impl Operand<String> for &str {
    fn into_operand(self) -> String {
        self.to_owned()
    }
}

impl Operand<String> for &String {
    fn into_operand(self) -> String {
        self.clone()
    }
}

//! The attributes the library stores beside an entity's own, and the
//! names reserved for them.

/// `(attributes, index-key prefix, index-key suffixes)`: the derive crate
/// holds the one list, which it also checks fields against.
const RESERVED: (&[&str], &str, &[&str]) = blue_schema_derive::__reserved_attributes!();

/// Attribute names the library stores, or will store, beside an entity's own
/// fields; a field may not be stored (after serde renames) under one of them.
/// Index key names (`gsi1pk`, `gsi1_sk`, …) are reserved too, see
/// [`is_reserved_attribute`].
pub const RESERVED_ATTRIBUTES: &[&str] = RESERVED.0;

/// The attribute (SQLite column) holding an item's partition key.
pub(crate) const PARTITION_KEY: &str = "pk";

/// The attribute (SQLite column) holding an item's sort key.
pub(crate) const SORT_KEY: &str = "sk";

/// The attribute (SQLite column) holding when the item was first written.
pub(crate) const CREATED_AT: &str = "created_at";

/// The attribute (SQLite column) holding when the item was last written.
/// Items written before it existed have none; reads give `created_at`.
pub(crate) const UPDATED_AT: &str = "updated_at";

/// The newtype name a `#[set]` field is wrapped in, which the size check
/// recognises (a set costs its elements, not a list's overhead).
pub(crate) const SET_NEWTYPE: &str = "\u{37e}BLUE_SCHEMA_SET\u{37e}";

/// Whether `name` is reserved for the library's own attributes: one of
/// [`RESERVED_ATTRIBUTES`], or a secondary-index key name `gsi<N>pk`,
/// `gsi<N>sk`, `gsi<N>_pk` or `gsi<N>_sk`. `#[derive(Entity)]` refuses
/// fields stored under these names at compile time, and every write refuses
/// them in the item a hand-written `Serialize` produces.
///
/// ```
/// use blue_schema::schema::is_reserved_attribute;
/// assert!(is_reserved_attribute("sk"));
/// assert!(is_reserved_attribute("updated_at"));
/// assert!(is_reserved_attribute("gsi2_pk"));
/// assert!(!is_reserved_attribute("gsi"));
/// assert!(!is_reserved_attribute("status"));
/// ```
pub fn is_reserved_attribute(name: &str) -> bool {
    let (attributes, index_prefix, index_suffixes) = RESERVED;
    attributes.contains(&name)
        || index_name_suffix(index_prefix, name)
            .is_some_and(|suffix| index_suffixes.contains(&suffix))
}

/// Whether `name` is the attribute of a secondary-index key the library
/// writes: `gsi<N>pk` or `gsi<N>sk`.
pub fn is_index_key_attribute(name: &str) -> bool {
    matches!(index_name_suffix(RESERVED.1, name), Some("pk" | "sk"))
}

/// What follows `{prefix}<N>` in `name` (`pk` in `gsi1pk`), if it starts so.
fn index_name_suffix<'a>(prefix: &str, name: &'a str) -> Option<&'a str> {
    let rest = name.strip_prefix(prefix)?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    (digits > 0).then(|| &rest[digits..])
}

#[cfg(test)]
mod stored_attribute_tests {
    use super::*;

    #[test]
    fn the_attributes_the_library_writes_are_reserved() {
        for name in [PARTITION_KEY, SORT_KEY, CREATED_AT, UPDATED_AT] {
            assert!(is_reserved_attribute(name), "{name}");
        }
    }
}

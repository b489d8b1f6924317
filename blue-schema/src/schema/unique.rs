//! Unique fields (`#[unique]`): values no two items of an entity share,
//! kept by **marker items** in the same table.
//!
//! Each constraint of an entity (a field alone, or the fields of one
//! `#[unique(group = "..")]`) has one marker per value an item holds: an
//! item of the table whose key names the entity, the constraint and the
//! value, and whose attributes name the item that holds it.
//!
//! ```text
//! pk = "#UNIQUE#User#email#ada@example.com", sk = "#UNIQUE",
//! owner_pk = "acme", owner_sk = "USER#u-17"
//! ```
//!
//! Every write of such an entity is one transaction with its markers: a
//! new value's marker is created only if no other item holds it, the old
//! value's is deleted, so a value is never held twice, on SQLite as on
//! DynamoDB. A group with an `Option` field that is `None` has no marker
//! (as a sparse index leaves the item out). No entity's key can be a
//! marker's: every entity sort key starts with its prefix, never with `#`.

/// One uniqueness constraint of an entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UniqueSchema {
    /// The constraint's name: the field's for `#[unique]`, the group's for
    /// `#[unique(group = "..")]`.
    pub name: &'static str,
    /// Its fields, in declaration order.
    pub fields: &'static [&'static str],
    /// Their stored attribute names.
    pub attributes: &'static [&'static str],
}

/// The sort key of every marker item.
pub const MARKER_SORT_KEY: &str = "#UNIQUE";
/// The attribute of a marker that holds its owner's partition key.
pub const OWNER_PK: &str = "owner_pk";
/// The attribute of a marker that holds its owner's sort key.
pub const OWNER_SK: &str = "owner_sk";

/// The partition key of the marker of `value` (encoded as a key of the
/// constraint's fields) for constraint `unique` of `entity`.
pub fn marker_partition_key(entity: &str, unique: &UniqueSchema, value: &str) -> String {
    let mut key = String::with_capacity(10 + entity.len() + unique.name.len() + value.len());
    key.push_str("#UNIQUE#");
    key.push_str(entity);
    key.push('#');
    key.push_str(unique.name);
    key.push('#');
    key.push_str(value);
    key
}

/// The entity, constraint and value a marker's partition key names, or
/// `None` when it is not a marker's.
pub fn parse_marker_partition_key(partition_key: &str) -> Option<(&str, &str, &str)> {
    let rest = partition_key.strip_prefix("#UNIQUE#")?;
    let (entity, rest) = rest.split_once('#')?;
    let (constraint, value) = rest.split_once('#')?;
    Some((entity, constraint, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marker_keys_name_their_constraint_and_read_back() {
        let email = UniqueSchema {
            name: "email",
            fields: &["email"],
            attributes: &["email"],
        };
        let pk = marker_partition_key("User", &email, "ada@x%23y#2");
        assert_eq!(pk, "#UNIQUE#User#email#ada@x%23y#2");
        assert_eq!(
            parse_marker_partition_key(&pk),
            Some(("User", "email", "ada@x%23y#2"))
        );
        assert_eq!(parse_marker_partition_key("nvidia-dec"), None);
    }
}

//! The physical layout both backends implement, defined once: the stored
//! attribute names, the SQLite table and statements, the DynamoDB table and
//! requests. The backends run what this module describes; the generated
//! documentation and [`Query::explain`](crate::Query::explain) print it. It
//! needs neither rusqlite nor the AWS SDK, so the documentation of a schema
//! shows both mappings whatever features are compiled in.

pub(crate) mod dynamodb;
// The statements are only run by the SQLite backend; the rest of the crate
// shows them.
#[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
pub(crate) mod sqlite;

/// The attribute (SQLite column) holding an item's partition key.
pub(crate) const PARTITION_KEY: &str = "pk";
/// The attribute (SQLite column) holding an item's sort key.
pub(crate) const SORT_KEY: &str = "sk";
/// The attribute (SQLite column) holding when the item was first written.
pub(crate) const CREATED_AT: &str = "created_at";
/// The attribute (SQLite column) holding when the item was last written.
/// Items written before it existed have none; reads give `created_at`.
pub(crate) const UPDATED_AT: &str = "updated_at";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::is_reserved_attribute;

    #[test]
    fn the_attributes_the_library_writes_are_reserved() {
        for name in [PARTITION_KEY, SORT_KEY, CREATED_AT, UPDATED_AT] {
            assert!(is_reserved_attribute(name), "{name}");
        }
    }
}

//! A write refused because another item holds one of its unique values.

use std::fmt;

/// A write of an entity with `#[unique]` fields found one of its values
/// held by another item ([`crate::schema::unique`]): nothing was written.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UniqueTaken {
    /// The table.
    pub table: &'static str,
    /// The entity written.
    pub entity: &'static str,
    /// The constraint: the field's name for `#[unique]`, the group's for
    /// `#[unique(group = "..")]`.
    pub constraint: &'static str,
    /// The constraint's fields.
    pub fields: &'static [&'static str],
    /// The value, encoded as a key of the fields (`ada@example.com`;
    /// `acme#ada` for a group of two).
    pub value: String,
    /// The key of the item the write was for: (partition key, sort key).
    pub item: (String, String),
    /// The key of the item that holds the value: (partition key, sort
    /// key).
    pub holder: (String, String),
}

/// `User.email = "ada@example.com" is held by acme | USER#u-1 in blue_accounts; nothing was written`.
impl fmt::Display for UniqueTaken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fields = if self.fields.len() == 1 {
            self.fields[0].to_owned()
        } else {
            format!("({})", self.fields.join(", "))
        };
        write!(
            f,
            "{}.{fields} = {:?} is held by {} | {} in {}, so {} | {} cannot take it; nothing was written",
            self.entity,
            self.value,
            self.holder.0,
            self.holder.1,
            self.table,
            self.item.0,
            self.item.1
        )
    }
}

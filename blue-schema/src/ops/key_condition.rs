//! The key condition of a query of a multi-attribute index: equality on
//! every partition attribute, then on the first sort attributes, and at
//! most one range on the next, as DynamoDB's `KeyConditionExpression`
//! allows; and the reference semantics both backends implement.

use std::cmp::Ordering;
use std::fmt;

use super::cursor::Fnv;
use crate::key::native::{decode_values, encode_values};
use crate::key::{KeyValue, ScalarType};
use crate::limits::check::check_string;
use crate::limits::LimitError;
use crate::schema::KeyAttribute;

/// The range a multi-attribute query puts on its last sort attribute.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AttributeRange {
    /// `a < v`
    Lt(KeyValue),
    /// `a <= v`
    Le(KeyValue),
    /// `a > v`
    Gt(KeyValue),
    /// `a >= v`
    Ge(KeyValue),
    /// `a BETWEEN low AND high`, both included.
    Between(KeyValue, KeyValue),
    /// `begins_with(a, prefix)`, on a string attribute.
    BeginsWith(String),
}

impl AttributeRange {
    /// Whether `value` is in the range.
    pub fn matches(&self, value: &KeyValue) -> bool {
        let cmp = |bound: &KeyValue| value.compare(bound);
        match self {
            AttributeRange::Lt(v) => cmp(v) == Some(Ordering::Less),
            AttributeRange::Le(v) => matches!(cmp(v), Some(Ordering::Less | Ordering::Equal)),
            AttributeRange::Gt(v) => cmp(v) == Some(Ordering::Greater),
            AttributeRange::Ge(v) => matches!(cmp(v), Some(Ordering::Greater | Ordering::Equal)),
            AttributeRange::Between(low, high) => {
                matches!(cmp(low), Some(Ordering::Greater | Ordering::Equal))
                    && matches!(cmp(high), Some(Ordering::Less | Ordering::Equal))
            }
            AttributeRange::BeginsWith(prefix) => match value {
                KeyValue::S(s) => s.as_bytes().starts_with(prefix.as_bytes()),
                KeyValue::N(_) => false,
            },
        }
    }

    /// The values it compares with.
    pub(crate) fn values(&self) -> Vec<KeyValue> {
        match self {
            AttributeRange::Lt(v)
            | AttributeRange::Le(v)
            | AttributeRange::Gt(v)
            | AttributeRange::Ge(v) => vec![v.clone()],
            AttributeRange::Between(a, b) => vec![a.clone(), b.clone()],
            AttributeRange::BeginsWith(p) => vec![KeyValue::S(p.clone())],
        }
    }

    /// The operator in DynamoDB's expression syntax, around `name` and
    /// the placeholders or literals `a` and `b`.
    pub(crate) fn expression(&self, name: &str, a: &str, b: &str) -> String {
        match self {
            AttributeRange::Lt(_) => format!("{name} < {a}"),
            AttributeRange::Le(_) => format!("{name} <= {a}"),
            AttributeRange::Gt(_) => format!("{name} > {a}"),
            AttributeRange::Ge(_) => format!("{name} >= {a}"),
            AttributeRange::Between(..) => format!("{name} BETWEEN {a} AND {b}"),
            AttributeRange::BeginsWith(_) => format!("begins_with({name}, {a})"),
        }
    }
}

/// What a query of a multi-attribute index selects: its partition, by
/// the value of every partition attribute, and within it the entries
/// whose first sort attributes equal `equal`'s rest and whose next one is
/// in `range`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AttributeCondition {
    /// The index's key attributes ([`crate::schema::IndexSchema::attributes`]).
    pub attributes: &'static [KeyAttribute],
    /// The values the first attributes equal: every partition attribute,
    /// then the sort attributes fixed so far.
    pub equal: Vec<KeyValue>,
    /// The range on the attribute after them, if any.
    pub range: Option<AttributeRange>,
}

impl AttributeCondition {
    /// The partition attributes' number.
    pub fn partition_len(&self) -> usize {
        self.attributes.iter().filter(|a| a.hash).count()
    }

    /// The partition's values.
    pub fn partition(&self) -> &[KeyValue] {
        &self.equal[..self.partition_len().min(self.equal.len())]
    }

    /// The sort attributes, in order: the entity's sort fields, then the
    /// table's `pk` and `sk`.
    pub fn sort_attributes(&self) -> &'static [KeyAttribute] {
        &self.attributes[self.partition_len()..]
    }

    /// The types of a position's values: every sort attribute's.
    pub(crate) fn position_types(&self) -> Vec<ScalarType> {
        self.sort_attributes().iter().map(|a| a.scalar).collect()
    }

    /// The partition as one string (for messages and the cursor's
    /// fingerprint).
    pub(crate) fn partition_text(&self) -> String {
        encode_values(self.partition())
    }

    /// Every condition on an attribute, in order: `(attribute, range)`,
    /// equality written as `Between(v, v)` would be, but kept apart.
    pub(crate) fn terms(&self) -> impl Iterator<Item = (&'static KeyAttribute, Term<'_>)> + '_ {
        let equal = self
            .attributes
            .iter()
            .zip(&self.equal)
            .map(|(a, v)| (a, Term::Equal(v)));
        let range = self
            .range
            .as_ref()
            .and_then(|r| Some((self.attributes.get(self.equal.len())?, Term::Range(r))));
        equal.chain(range)
    }

    /// Whether the entry at `position` (its sort attributes' values, as
    /// a cursor holds them) is one the condition selects.
    pub fn selects(&self, position: &[KeyValue]) -> bool {
        let fixed = &self.equal[self.partition_len()..];
        if position.len() != self.sort_attributes().len() {
            return false;
        }
        let equal = fixed
            .iter()
            .zip(position)
            .all(|(a, b)| a.compare(b) == Some(Ordering::Equal));
        let in_range = match (&self.range, position.get(fixed.len())) {
            (Some(range), Some(value)) => range.matches(value),
            (Some(_), None) => false,
            (None, _) => true,
        };
        equal && in_range
    }

    /// A cursor's position (written with [`encode_values`]) as values.
    pub(crate) fn decode_position(&self, encoded: &str) -> Option<Vec<KeyValue>> {
        decode_values(encoded, &self.position_types()).ok()
    }

    /// Checks the values against DynamoDB's rules: no empty string in a
    /// key attribute, none longer than a key may be, and a `BETWEEN`'s
    /// low end at most its high end.
    pub(crate) fn validate(&self) -> Result<(), crate::Error> {
        for (attribute, value) in self.attributes.iter().zip(&self.equal) {
            check_value(attribute, value)?;
        }
        if let Some(AttributeRange::Between(low, high)) = &self.range {
            if low.compare(high) == Some(Ordering::Greater) {
                return Err(crate::error::QueryError::InvalidRange(format!(
                    "the low end {low} of a BETWEEN is above its high end {high}"
                ))
                .into());
            }
        }
        Ok(())
    }

    pub(crate) fn fingerprint(&self, h: &mut Fnv) {
        h.tagged(b'=', encode_values(&self.equal).as_bytes());
        if let Some(range) = &self.range {
            let tag = match range {
                AttributeRange::Lt(_) => b'<',
                AttributeRange::Le(_) => b'{',
                AttributeRange::Gt(_) => b'>',
                AttributeRange::Ge(_) => b'}',
                AttributeRange::Between(..) => b'[',
                AttributeRange::BeginsWith(_) => b'^',
            };
            h.tagged(tag, encode_values(&range.values()).as_bytes());
        }
    }
}

/// One attribute's condition.
pub(crate) enum Term<'a> {
    Equal(&'a KeyValue),
    Range(&'a AttributeRange),
}

/// Checks a value of key attribute `attribute` against DynamoDB's rules
/// for key attributes: a string is not empty and no longer than a key
/// may be (2048 bytes in a partition key, 1024 in a sort key).
pub(crate) fn check_value(attribute: &KeyAttribute, value: &KeyValue) -> Result<(), LimitError> {
    let KeyValue::S(s) = value else {
        return Ok(());
    };
    check_string(attribute.name, s, attribute.hash)
}

impl fmt::Display for AttributeCondition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (attribute, term)) in self.terms().enumerate() {
            if i > 0 {
                f.write_str(" AND ")?;
            }
            match term {
                Term::Equal(v) => write!(f, "{} = {v}", attribute.name)?,
                Term::Range(range) => {
                    let values = range.values();
                    let text =
                        |i: usize| values.get(i).map(ToString::to_string).unwrap_or_default();
                    f.write_str(&range.expression(attribute.name, &text(0), &text(1)))?;
                }
            }
        }
        Ok(())
    }
}

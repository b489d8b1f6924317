//! The state machine behind the derived query builders, and the arithmetic
//! that turns every range on a key component into one exact `BETWEEN`.

use super::Query;
use crate::key::codec::KeyWriter;
use crate::key::{AsKeyPart, AsKeyPrefix, KeyEncoding, KeyPart, SortKeyPath, DELIMITER, FENCE};
use crate::limits::MAX_SORT_KEY_BYTES;
use crate::ops::query::{QuerySpec, SortKeyCondition};

/// A condition no sort key meets: every stored sort key starts with a prefix
/// of `[A-Z]`, and `$` is never part of one.
const NOTHING: &str = "$";

/// The state of a derived sort-key query builder: which components are fixed.
/// The generated builder types wrap it and only expose the methods that are
/// legal at their position.
#[doc(hidden)]
#[derive(Debug, Clone)]
pub struct SortKeyQuery {
    spec: QuerySpec,
    /// The prefix and the components given so far, without a trailing `#`.
    fixed: KeyWriter,
    given: usize,
    total: usize,
}

impl SortKeyQuery {
    /// A query of partition `partition_key` (encoded) of `table`, over the
    /// sort keys of shape `path`.
    #[inline]
    pub fn new(
        table: &'static str,
        ttl: Option<&'static str>,
        partition_key: String,
        path: &'static SortKeyPath,
    ) -> Self {
        SortKeyQuery {
            spec: QuerySpec::new(table, partition_key, None).with_ttl(ttl),
            fixed: KeyWriter::path(path),
            given: 0,
            total: path.fields(),
        }
    }

    /// A query of secondary index `index`: partition `partition_key`
    /// (encoded), sort keys starting with `prefix`, `total` components
    /// after it (the fields, then the table key's two). Always eventually
    /// consistent.
    ///
    /// # Panics
    ///
    /// When the table does not declare `slot` (the derives check it).
    #[inline]
    pub fn index(
        table: &'static crate::schema::TableSchema,
        slot: &'static str,
        partition_key: String,
        prefix: &'static str,
        total: usize,
    ) -> Self {
        SortKeyQuery {
            spec: index_spec(table, slot, partition_key),
            fixed: KeyWriter::new(Some(prefix)),
            given: 0,
            total,
        }
    }

    #[inline]
    pub fn max_pages(mut self, n: u32) -> Self {
        self.spec.max_pages = Some(n);
        self
    }

    #[inline]
    pub fn filter<E>(mut self, condition: crate::Condition<E>) -> Self {
        crate::ops::cond::Cond::and_into(&mut self.spec.filter, condition.cond);
        self
    }

    /// Fixes the next component to a value.
    #[inline]
    pub fn component<T>(mut self, value: &impl AsKeyPart<T>) -> Self {
        debug_assert!(self.given < self.total);
        self.fixed.push(value);
        self.given += 1;
        self
    }

    #[inline]
    pub fn page_size(mut self, n: u32) -> Self {
        self.spec.page_size = Some(n);
        self
    }

    #[inline]
    pub fn take(mut self, n: usize) -> Self {
        self.spec.take = Some(n);
        self
    }

    #[inline]
    pub fn reverse(mut self) -> Self {
        self.spec.order = super::Order::Descending;
        self
    }

    #[inline]
    pub fn after(mut self, cursor: super::Cursor) -> Self {
        self.spec.cursor = Some(cursor);
        self
    }

    #[inline]
    pub fn eventually_consistent(mut self) -> Self {
        self.spec.consistent = false;
        self
    }

    /// The query with the components given so far.
    #[inline]
    pub fn finish<R>(mut self) -> Query<R> {
        let mut fixed = std::mem::take(&mut self.fixed).finish();
        let condition = if self.given == self.total {
            SortKeyCondition::Equals(fixed)
        } else {
            fixed.push(DELIMITER);
            SortKeyCondition::BeginsWith(fixed)
        };
        self.into_query(condition)
    }

    /// The next component is less than `value`.
    pub fn lt<T: KeyPart, R>(self, value: &impl AsKeyPart<T>) -> Query<R> {
        let (low, bound) = self.bounds(value);
        let condition = if !self.is_last() {
            // `bound` itself is no key: more components follow it.
            SortKeyCondition::Between(low, bound)
        } else {
            // `bound` is the key of the value itself, so the inclusive upper end
            // must be the greatest key below it.
            match encoded_predecessor(&T::ENCODING, &bound[low.len()..]) {
                Predecessor::Exact(below) => {
                    let high = format!("{low}{below}");
                    SortKeyCondition::Between(low, high)
                }
                Predecessor::Nothing => SortKeyCondition::Equals(NOTHING.to_owned()),
                Predecessor::Dense => match predecessor_bound(&bound) {
                    Some(high) => SortKeyCondition::Between(low, high),
                    None => SortKeyCondition::Equals(NOTHING.to_owned()),
                },
            }
        };
        self.into_query(condition)
    }

    /// The next component is at most `value`.
    pub fn le<T, R>(self, value: &impl AsKeyPart<T>) -> Query<R> {
        let (low, bound) = self.bounds(value);
        let high = self.upper_end(bound);
        self.into_query(SortKeyCondition::Between(low, high))
    }

    /// The next component is greater than `value`.
    pub fn gt<T, R>(self, value: &impl AsKeyPart<T>) -> Query<R> {
        let (_, bound) = self.bounds(value);
        let high = self.fence();
        let condition = match lower_end_after(&bound) {
            Some(low) if low <= high => SortKeyCondition::Between(low, high),
            _ => SortKeyCondition::Equals(NOTHING.to_owned()),
        };
        self.into_query(condition)
    }

    /// The next component is at least `value`.
    pub fn ge<T, R>(self, value: &impl AsKeyPart<T>) -> Query<R> {
        let (_, bound) = self.bounds(value);
        let high = self.fence();
        self.into_query(SortKeyCondition::Between(bound, high))
    }

    /// The next component is between `low` and `high`, both included.
    pub fn between<T, R>(self, low: &impl AsKeyPart<T>, high: &impl AsKeyPart<T>) -> Query<R> {
        let (_, from) = self.bounds(low);
        let (_, to) = self.bounds(high);
        let condition = if from <= to {
            SortKeyCondition::Between(from, self.upper_end(to))
        } else {
            SortKeyCondition::Equals(NOTHING.to_owned())
        };
        self.into_query(condition)
    }

    /// The next component, a string, starts with `prefix`.
    pub fn starts_with<T, R>(self, prefix: &impl AsKeyPrefix<T>) -> Query<R> {
        let mut begins = format!("{}{DELIMITER}", self.fixed.as_str());
        prefix.encode_key_prefix(&mut begins);
        self.into_query(SortKeyCondition::BeginsWith(begins))
    }

    fn is_last(&self) -> bool {
        self.given + 1 == self.total
    }

    /// `{fixed}#` (every key of the range starts with it) and `{fixed}#{value}`.
    fn bounds<T>(&self, value: &impl AsKeyPart<T>) -> (String, String) {
        debug_assert!(self.given < self.total);
        let low = format!("{}{DELIMITER}", self.fixed.as_str());
        let mut bound = low.clone();
        value.encode_as_key_part(&mut bound);
        (low, bound)
    }

    /// The inclusive upper end of the keys whose next component is at most
    /// the one `bound` ends with. On the last component that is `bound`
    /// itself (a longer key holds a greater value); before it, the keys that
    /// continue `bound` with `#…` count too, up to `{bound}$`, unless no
    /// storable key is that long.
    fn upper_end(&self, bound: String) -> String {
        if self.is_last() || bound.len() + FENCE.len_utf8() > MAX_SORT_KEY_BYTES {
            bound
        } else {
            format!("{bound}{FENCE}")
        }
    }

    /// `{fixed}$`: above every key that starts with `{fixed}#`, and no key itself.
    fn fence(&self) -> String {
        format!("{}{FENCE}", self.fixed.as_str())
    }

    #[inline]
    fn into_query<R>(mut self, condition: SortKeyCondition) -> Query<R> {
        self.spec.sort_key = Some(condition);
        Query::from_spec(self.spec)
    }
}

/// A whole-partition query of a table, used by `#[derive(Table)]`.
#[doc(hidden)]
pub fn partition_query<R>(
    table: &'static str,
    ttl: Option<&'static str>,
    partition_key: String,
) -> Query<R> {
    Query::from_spec(QuerySpec::new(table, partition_key, None).with_ttl(ttl))
}

/// The query of a whole index partition of `slot` (encoded key
/// `partition_key`), used by `#[derive(Collection)]` on an index: every
/// entry, of every entity, in index sort-key order. Eventually consistent.
///
/// # Panics
///
/// When the table does not declare `slot` (the derives check it).
#[doc(hidden)]
pub fn index_partition_query<R>(
    table: &'static crate::schema::TableSchema,
    slot: &'static str,
    partition_key: String,
) -> Query<R> {
    Query::from_spec(index_spec(table, slot, partition_key))
}

/// A query of index `slot`'s partition `partition_key`, with no sort-key
/// condition yet; eventually consistent, as DynamoDB's index reads are.
///
/// # Panics
///
/// When the table does not declare `slot` (the derives check it).
pub(super) fn index_spec(
    table: &'static crate::schema::TableSchema,
    slot: &'static str,
    partition_key: String,
) -> QuerySpec {
    let (projection, sets) = index_projection(table, slot);
    let index = super::IndexTarget {
        slot: *table
            .index(slot)
            .unwrap_or_else(|| panic!("table {} declares no index {slot}", table.name)),
        projection,
        sets,
        key: &[],
    };
    let mut spec = QuerySpec::new(table.name, partition_key, None).with_ttl(table.ttl);
    spec.index = Some(index);
    spec.consistent = false;
    spec
}

/// Index `slot`'s projection in `table` and its `#[set]` attributes,
/// worked out at the first query of each index on a thread and then
/// looked up: the union over the patterns sharing the index sorts and
/// hashes names, a cost each query would otherwise pay. Keyed by the
/// schema's address (a schema is a constant, so one address always holds
/// the same one; a copy at another address only adds an entry).
fn index_projection(
    table: &'static crate::schema::TableSchema,
    slot: &'static str,
) -> (crate::schema::Projection, &'static [&'static str]) {
    type Known = Vec<(
        usize,
        &'static str,
        crate::schema::Projection,
        &'static [&'static str],
    )>;
    thread_local! {
        static KNOWN: std::cell::RefCell<Known> = const { std::cell::RefCell::new(Vec::new()) };
    }
    let address = std::ptr::from_ref(table) as usize;
    KNOWN.with_borrow_mut(|known| {
        if let Some(&(_, _, projection, sets)) =
            known.iter().find(|(a, s, ..)| *a == address && *s == slot)
        {
            return (projection, sets);
        }
        let projection = table.projection(slot);
        let sets = crate::schema::projection::sets(table, projection.non_key_attributes());
        known.push((address, slot, projection, sets));
        (projection, sets)
    })
}

/// The query of one item and the items nested under its sort key (an item
/// collection), used by `#[derive(Collection)]`: the parent's key and every
/// key that continues it with `#`, which sort between it and `{key}$`.
#[doc(hidden)]
pub fn subtree_query<R, P>(
    table: &'static str,
    ttl: Option<&'static str>,
    parent: crate::Key<P>,
) -> Query<R> {
    let (partition_key, sort_key) = parent.into_parts();
    let condition = match lower_end_after(&sort_key) {
        // A key of the full 1 024 bytes has no children.
        Some(high) if high.ends_with(FENCE) => SortKeyCondition::Between(sort_key, high),
        _ => SortKeyCondition::Equals(sort_key),
    };
    Query::from_spec(QuerySpec::new(table, partition_key, Some(condition)).with_ttl(ttl))
}

/// The smallest condition value above `bound` and below every storable key
/// greater than it, whatever the component: `{bound}$` when that fits in a
/// sort key (no key continues `bound` with `$` or a smaller byte), else, for a
/// `bound` of the full 1 024 bytes, which no storable key continues, the
/// smallest string of at most 1 024 bytes that is greater than it. `None`
/// when no such string exists.
fn lower_end_after(bound: &str) -> Option<String> {
    if bound.len() + FENCE.len_utf8() <= MAX_SORT_KEY_BYTES {
        return Some(format!("{bound}{FENCE}"));
    }
    let mut out = bound.to_owned();
    while let Some(last) = out.pop() {
        // The next character; a longer encoding than the space left cannot
        // fit, nor can any character above it.
        let next = (u32::from(last) + 1..=u32::from(char::MAX)).find_map(char::from_u32);
        if let Some(next) = next {
            if out.len() + next.len_utf8() <= MAX_SORT_KEY_BYTES {
                out.push(next);
                return Some(out);
            }
        }
    }
    None
}

/// The encoding of the greatest value below an encoded one.
enum Predecessor {
    /// The encoding of the value just below.
    Exact(String),
    /// The value is the type's minimum (or the empty string).
    Nothing,
    /// The type has no "value just below" that is cheap to name (strings).
    Dense,
}

/// Fixed-width numbers and booleans have an exact predecessor, which keeps
/// `lt` on them a readable `BETWEEN`; other encodings fall back to
/// [`predecessor_bound`].
fn encoded_predecessor(encoding: &KeyEncoding, encoded: &str) -> Predecessor {
    match encoding {
        // Nothing is below the empty string.
        _ if encoded.is_empty() => Predecessor::Nothing,
        KeyEncoding::Unsigned { .. } | KeyEncoding::Signed { .. } => {
            let mut digits = encoded.as_bytes().to_vec();
            for digit in digits.iter_mut().rev() {
                if *digit == b'0' {
                    *digit = b'9';
                } else {
                    *digit -= 1;
                    return Predecessor::Exact(String::from_utf8(digits).unwrap_or_default());
                }
            }
            Predecessor::Nothing
        }
        KeyEncoding::Bool if encoded == "true" => Predecessor::Exact("false".to_owned()),
        KeyEncoding::Bool => Predecessor::Nothing,
        KeyEncoding::Newtype { inner, .. } => encoded_predecessor(inner, encoded),
        _ => Predecessor::Dense,
    }
}

/// The largest string of at most [`MAX_SORT_KEY_BYTES`] bytes that is below
/// `key`, as far as any storable sort key can tell: `key` with its last
/// character lowered by one, then filled up to the size limit with the largest
/// UTF-8 characters. Every key shorter than the limit that sorts below `key`
/// sorts at or below the result, and `key` sorts above it, which turns the
/// exclusive bound of `lt` into the inclusive one that `BETWEEN` needs.
/// `None` when `key` ends in U+0000, which only a [`KeyPart`] that breaks its
/// contract (control characters must be escaped) can produce.
fn predecessor_bound(key: &str) -> Option<String> {
    let mut out = key.to_owned();
    let last = out.pop()?;
    let lowered = (0..u32::from(last)).rev().find_map(char::from_u32)?;
    out.push(lowered);
    while out.len() + 4 <= MAX_SORT_KEY_BYTES {
        out.push(char::MAX);
    }
    // The largest character that fits the bytes that are left.
    match MAX_SORT_KEY_BYTES.saturating_sub(out.len()) {
        3 => out.push('\u{FFFF}'),
        2 => out.push('\u{07FF}'),
        1 => out.push('\u{7F}'),
        _ => {}
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_end_after_a_full_length_bound_stays_within_a_sort_key() {
        let short = "A#abc";
        assert_eq!(lower_end_after(short).as_deref(), Some("A#abc$"));
        let full = format!("A#{}", "x".repeat(MAX_SORT_KEY_BYTES - 2));
        let after = lower_end_after(&full).unwrap();
        assert_eq!(after.len(), MAX_SORT_KEY_BYTES);
        assert!(after.as_str() > full.as_str());
        assert!(after.ends_with('y'));
        // A last character whose successor needs another byte.
        let mut edge = format!("A#{}", "x".repeat(MAX_SORT_KEY_BYTES - 3));
        edge.push('\u{7F}');
        let after = lower_end_after(&edge).unwrap();
        assert!(after.len() <= MAX_SORT_KEY_BYTES && after.as_str() > edge.as_str());
        assert!(after.ends_with('y'), "the character before it goes up");
    }
}

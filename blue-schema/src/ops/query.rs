//! The backend-neutral query: what the typed builders produce and the
//! backends run.

use std::fmt;

use super::cond::Cond;
use super::cursor::{Cursor, CursorKey, Fnv, Position};
use super::key_condition::AttributeCondition;
use crate::error::{CursorError, QueryError};
use crate::limits::LimitError;
use crate::limits::{MAX_PARTITION_KEY_BYTES, MAX_SORT_KEY_BYTES};
use crate::schema::{IndexSlot, Projection};
use crate::Error;

/// The secondary index a query reads, and what its entries hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct IndexTarget {
    /// The physical index.
    pub slot: IndexSlot,
    /// What its entries hold (the table's projection of the index, which
    /// decides the size a page counts toward 1 MB).
    pub projection: Projection,
    /// Which of an `INCLUDE` projection's attributes are `#[set]`s
    /// (DynamoDB sizes a set without a list's overhead).
    pub sets: &'static [&'static str],
    /// The key attributes of a multi-attribute index; empty for a
    /// composed one (`gsi1pk`, `gsi1sk`).
    pub key: &'static [crate::schema::KeyAttribute],
}

/// The condition on the sort key of a query, in DynamoDB's vocabulary.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SortKeyCondition {
    /// `sk = :v`
    Equals(String),
    /// `begins_with(sk, :v)`
    BeginsWith(String),
    /// `sk BETWEEN :low AND :high`, both ends included; `low <= high` always.
    Between(String, String),
}

impl SortKeyCondition {
    /// Whether a sort key satisfies the condition, comparing bytes as DynamoDB
    /// and SQLite's `BINARY` collation do. This is the reference semantics the
    /// backends implement.
    pub fn matches(&self, sort_key: &str) -> bool {
        match self {
            SortKeyCondition::Equals(v) => sort_key == v,
            SortKeyCondition::BeginsWith(p) => sort_key.as_bytes().starts_with(p.as_bytes()),
            SortKeyCondition::Between(low, high) => {
                low.as_bytes() <= sort_key.as_bytes() && sort_key.as_bytes() <= high.as_bytes()
            }
        }
    }

    pub(crate) fn values(&self) -> impl Iterator<Item = &str> {
        let (a, b) = match self {
            SortKeyCondition::Equals(v) | SortKeyCondition::BeginsWith(v) => (v.as_str(), None),
            SortKeyCondition::Between(a, b) => (a.as_str(), Some(b.as_str())),
        };
        std::iter::once(a).chain(b)
    }
}

impl fmt::Display for SortKeyCondition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SortKeyCondition::Equals(v) => write!(f, "sk = {}", Quoted(v)),
            SortKeyCondition::BeginsWith(p) => write!(f, "begins_with(sk, {})", Quoted(p)),
            SortKeyCondition::Between(a, b) => {
                write!(f, "sk BETWEEN {} AND {}", Quoted(a), Quoted(b))
            }
        }
    }
}

/// A condition value as a quoted string, with the filler of an exclusive
/// bound (a run of U+10FFFF, see the builder's `predecessor_bound`)
/// shortened to a count.
struct Quoted<'a>(&'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.0;
        let run_start = text.find(char::MAX);
        let run = run_start.map_or(0, |start| {
            text[start..]
                .chars()
                .take_while(|&c| c == char::MAX)
                .count()
        });
        match run_start {
            Some(start) if run > 3 => {
                let rest = &text[start + run * char::MAX.len_utf8()..];
                write!(f, "{:?} + \"\\u{{10ffff}}\" × {run}", &text[..start])?;
                if !rest.is_empty() {
                    write!(f, " + {rest:?}")?;
                }
                Ok(())
            }
            _ => write!(f, "{text:?}"),
        }
    }
}

/// The direction a query reads the partition in, by sort key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Order {
    /// Smallest sort key first (DynamoDB's `ScanIndexForward = true`).
    #[default]
    Ascending,
    /// Largest sort key first.
    Descending,
}

/// A query as a value: what the typed builders produce and the backends run.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct QuerySpec {
    /// The table name.
    pub table: &'static str,
    /// The encoded partition key; a query always names exactly one partition.
    pub partition_key: String,
    /// The sort-key condition; `None` reads the whole partition.
    pub sort_key: Option<SortKeyCondition>,
    /// The most items one page evaluates (DynamoDB's `Limit`); `None` for
    /// pages that only stop at 1 MB.
    pub page_size: Option<u32>,
    /// The most items a whole read ([`all`](crate::QueryRun::all), the
    /// streams) returns; `None` for all of them.
    pub take: Option<usize>,
    /// Ascending or descending by sort key.
    pub order: Order,
    /// Strongly consistent (the default) or eventually consistent reads.
    pub consistent: bool,
    /// Where to resume, from a page's cursor.
    pub cursor: Option<Cursor>,
    /// The secondary index to read instead of the table: the partition
    /// key and the sort-key condition are then the index's.
    pub index: Option<IndexTarget>,
    /// The key condition of a multi-attribute index, in place of
    /// `sort_key` (`None`); `partition_key` then spells its partition's
    /// values, for messages.
    pub attributes: Option<AttributeCondition>,
    /// The most pages a whole read (`all`, `pages`, `items`) reads; `None`
    /// for no bound. A filtered read that needs `take` matches may
    /// otherwise read a whole partition.
    pub max_pages: Option<u32>,
    /// Which evaluated items a page returns (DynamoDB's `FilterExpression`).
    pub(crate) filter: Option<Cond>,
    /// The table's TTL attribute: expired items are left out (as a filter
    /// leaves them) unless `include_expired`.
    pub(crate) ttl: Option<&'static str>,
    /// Whether to return expired items too.
    pub(crate) include_expired: bool,
    /// When a page reads it: the items that have expired by then, which
    /// it evaluates and leaves out as its filter would.
    pub(crate) expiry: Option<super::check::Expiry>,
}

impl QuerySpec {
    pub(crate) fn new(
        table: &'static str,
        partition_key: String,
        sort_key: Option<SortKeyCondition>,
    ) -> Self {
        QuerySpec {
            table,
            partition_key,
            sort_key,
            page_size: None,
            take: None,
            order: Order::Ascending,
            consistent: true,
            cursor: None,
            index: None,
            attributes: None,
            max_pages: None,
            filter: None,
            ttl: None,
            include_expired: false,
            expiry: None,
        }
    }

    /// The same query of a table whose TTL attribute is `ttl`.
    pub(crate) fn with_ttl(mut self, ttl: Option<&'static str>) -> Self {
        self.ttl = ttl;
        self
    }

    /// The query as its pages read it at the epoch second `now` gives:
    /// leaving out the items that expired by then, unless it includes
    /// them. The clock is read only for a table with a TTL attribute.
    pub(crate) fn live_at(mut self, now: impl FnOnce() -> u64) -> Self {
        if !self.include_expired {
            self.expiry = super::check::Expiry::of(self.ttl, now);
        }
        self
    }

    /// The filter DynamoDB evaluates: the caller's, and that an item has
    /// not expired.
    #[cfg_attr(not(feature = "dynamodb"), allow(dead_code))]
    pub(crate) fn full_filter(&self) -> Option<std::borrow::Cow<'_, Cond>> {
        let Some(e) = self.expiry else {
            return self.filter.as_ref().map(std::borrow::Cow::Borrowed);
        };
        let mut filter = self.filter.clone();
        Cond::and_into(&mut filter, Cond::live(e.attribute, e.now));
        filter.map(std::borrow::Cow::Owned)
    }

    /// Whether the query has a filter.
    pub fn is_filtered(&self) -> bool {
        self.filter.is_some()
    }

    /// Checks the query against what DynamoDB would reject: a page size of
    /// zero, an empty or too long partition key, a condition value longer
    /// than a sort key may be. (The cursor is checked when the query runs,
    /// against the store's cursor key.)
    ///
    /// # Errors
    ///
    /// [`Error::Query`] or [`Error::Limit`], naming the first broken rule.
    pub fn validate(&self) -> Result<(), Error> {
        if self.page_size == Some(0) {
            return Err(QueryError::ZeroPageSize.into());
        }
        if self.max_pages == Some(0) {
            return Err(QueryError::ZeroMaxPages.into());
        }
        if self.index.is_some() && self.consistent {
            return Err(QueryError::ConsistentIndexRead.into());
        }
        if let Some(message) = self.filter.as_ref().and_then(Cond::invalid) {
            return Err(QueryError::InvalidFilter(message.to_owned()).into());
        }
        if let Some(condition) = &self.attributes {
            // Its values are checked one by one: no string is empty.
            return condition.validate();
        }
        if self.partition_key.is_empty() {
            return Err(LimitError::EmptyPartitionKey.into());
        }
        if self.partition_key.len() > MAX_PARTITION_KEY_BYTES {
            return Err(LimitError::PartitionKeyTooLong {
                bytes: self.partition_key.len(),
            }
            .into());
        }
        if let Some(long) = self
            .sort_key
            .iter()
            .flat_map(SortKeyCondition::values)
            .find(|v| v.len() > MAX_SORT_KEY_BYTES)
        {
            return Err(LimitError::SortKeyTooLong { bytes: long.len() }.into());
        }
        Ok(())
    }

    /// Validates the query and decodes its cursor with the store's key: the
    /// position to resume after, if any.
    pub(crate) fn start(&self, key: Option<&CursorKey>) -> Result<Option<Position>, Error> {
        self.validate()?;
        let Some(cursor) = &self.cursor else {
            return Ok(None);
        };
        let position = cursor
            .position(self.fingerprint(), key)
            .map_err(QueryError::Cursor)?;
        if let Some(condition) = &self.attributes {
            let inside = condition
                .decode_position(&position.sort_key)
                .is_some_and(|values| condition.selects(&values));
            if !inside {
                return Err(QueryError::Cursor(CursorError::Malformed).into());
            }
            return Ok(Some(position));
        }
        // A forged position outside the query, or longer than any stored
        // key, is refused here, the same on every backend.
        if position.sort_key.len() > MAX_SORT_KEY_BYTES || !self.selects(&position.sort_key) {
            return Err(QueryError::Cursor(CursorError::Malformed).into());
        }
        Ok(Some(position))
    }

    /// The most items the next page evaluates, when `returned` items were
    /// returned so far: the page size, or what is left of `take` if less.
    /// `Some(0)` when `take` is reached.
    pub(crate) fn page_limit(&self, returned: usize) -> Option<u32> {
        let left = self
            .take
            .map(|n| u32::try_from(n.saturating_sub(returned)).unwrap_or(u32::MAX));
        match (self.page_size, left) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Whether an item's sort key is one this query selects (ignoring the cursor).
    pub fn selects(&self, sort_key: &str) -> bool {
        self.sort_key.as_ref().is_none_or(|c| c.matches(sort_key))
    }

    /// Identifies the query a cursor belongs to: table, partition, condition
    /// and order, but not the page size, which may change from page to page.
    pub(crate) fn fingerprint(&self) -> u64 {
        let mut h = Fnv::new();
        h.tagged(b't', self.table.as_bytes());
        if let Some(index) = &self.index {
            h.tagged(b'i', index.slot.name.as_bytes());
        }
        h.tagged(b'p', self.partition_key.as_bytes());
        if let Some(condition) = &self.attributes {
            condition.fingerprint(&mut h);
        }
        match &self.sort_key {
            None => {}
            Some(SortKeyCondition::Equals(v)) => h.tagged(b'=', v.as_bytes()),
            Some(SortKeyCondition::BeginsWith(p)) => h.tagged(b'^', p.as_bytes()),
            Some(SortKeyCondition::Between(a, b)) => {
                h.tagged(b'[', a.as_bytes());
                h.tagged(b']', b.as_bytes());
            }
        }
        h.tagged(b'o', &[u8::from(self.order == Order::Descending)]);
        h.finish()
    }
}

/// The query in DynamoDB's terms, on one line.
impl fmt::Display for QuerySpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.index, &self.attributes) {
            (Some(index), Some(condition)) => write!(
                f,
                "Query {} index {}: {condition}",
                self.table, index.slot.name
            )?,
            (Some(index), None) => write!(
                f,
                "Query {} index {}: {} = {:?}",
                self.table, index.slot.name, index.slot.pk_attribute, self.partition_key
            )?,
            (None, _) => write!(f, "Query {}: pk = {:?}", self.table, self.partition_key)?,
        }
        if let Some(c) = &self.sort_key {
            match &self.index {
                Some(index) => write!(
                    f,
                    " AND {}",
                    c.to_string().replacen("sk", index.slot.sk_attribute, 1)
                )?,
                None => write!(f, " AND {c}")?,
            }
        }
        f.write_str(match self.order {
            Order::Ascending => ", ascending",
            Order::Descending => ", descending",
        })?;
        if let Some(n) = self.page_size {
            write!(f, ", pages of {n}")?;
        }
        if let Some(n) = self.take {
            write!(f, ", at most {n} items")?;
        }
        if !self.consistent {
            f.write_str(", eventually consistent")?;
        }
        if self.filter.is_some() {
            f.write_str(", filtered")?;
        }
        if let Some(n) = self.max_pages {
            write!(f, ", at most {n} pages")?;
        }
        if self.cursor.is_some() {
            f.write_str(", after cursor")?;
        }
        Ok(())
    }
}

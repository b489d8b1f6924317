//! The typed query a store runs: a [`QuerySpec`] that knows its item type.

use std::fmt;
use std::marker::PhantomData;

use super::cursor::{Cursor, Position};
use super::spec::{Order, QuerySpec};

/// A typed query whose items are `R`: an entity, or a table enum for a
/// whole-partition query.
///
/// Options, on any query and on the derived builders at any step:
///
/// * `.page_size(n)`: each page *evaluates* at most `n` items (DynamoDB's
///   `Limit`); without it a page stops at 1 MB;
/// * `.take(n)`: a whole read ([`all`](crate::QueryRun::all),
///   [`pages`](crate::QueryRun::pages), [`items`](crate::QueryRun::items))
///   returns at most `n` items in all;
/// * `.reverse()`: descending sort-key order;
/// * `.after(cursor)`: resume after the page that returned `cursor`;
/// * `.eventually_consistent()`: DynamoDB's cheaper reads, which may miss
///   the last second's writes (SQLite's reads are always consistent).
#[must_use = "a query does nothing until a store runs it"]
pub struct Query<R> {
    spec: QuerySpec,
    item: PhantomData<fn() -> R>,
}

impl<R> Query<R> {
    /// Used by the derive; `spec` must select only items that decode as `R`.
    #[doc(hidden)]
    pub fn __from_spec(spec: QuerySpec) -> Self {
        Query {
            spec,
            item: PhantomData,
        }
    }

    /// Evaluates at most `n` items per page (at least 1), DynamoDB's `Limit`.
    /// A page may hold fewer: it also stops at 1 MB, and skips items the
    /// reader does not [recognise](crate::FromItem::recognizes).
    pub fn page_size(mut self, n: u32) -> Self {
        self.spec.page_size = Some(n);
        self
    }

    /// Returns at most `n` items from a whole read (`all`, `pages`, `items`).
    /// The last page then asks for no more items than are still wanted.
    pub fn take(mut self, n: usize) -> Self {
        self.spec.take = Some(n);
        self
    }

    /// Reads in descending sort-key order.
    pub fn reverse(mut self) -> Self {
        self.spec.order = Order::Descending;
        self
    }

    /// Resumes after the last item of the page that returned `cursor`.
    pub fn after(mut self, cursor: Cursor) -> Self {
        self.spec.cursor = Some(cursor);
        self
    }

    /// Reads with DynamoDB's eventually consistent reads: half the read
    /// capacity of the default strongly consistent ones, but a page may miss
    /// writes of the last second or so. On SQLite every read is consistent.
    pub fn eventually_consistent(mut self) -> Self {
        self.spec.consistent = false;
        self
    }

    /// The backend-neutral query.
    pub fn spec(&self) -> &QuerySpec {
        &self.spec
    }

    /// The backend-neutral query, consuming the typed one.
    pub fn into_spec(self) -> QuerySpec {
        self.spec
    }

    /// What running the first page of this query sends: the SQL statement
    /// with its parameters, and the DynamoDB `Query` request, as the
    /// backends build them (with the table names unprefixed; a store's own
    /// [`QueryRun::explain`](crate::QueryRun::explain) uses its prefix).
    pub fn explain(&self) -> Explain {
        // Shown, not checked: the store that runs the query checks it.
        let start = self.spec.cursor.as_ref().and_then(Cursor::peek);
        Explain::new(
            &self.spec,
            self.spec.table,
            start.as_ref(),
            self.spec.page_limit(0),
        )
    }
}

impl<R> Clone for Query<R> {
    fn clone(&self) -> Self {
        Query::__from_spec(self.spec.clone())
    }
}

impl<R> fmt::Debug for Query<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Query").field(&self.spec).finish()
    }
}

/// Anything that is a complete typed query: a [`Query`], or a derived query
/// builder at any point of its chain.
pub trait IntoQuery {
    /// The type of the items the query returns.
    type Item;

    /// The query.
    fn into_query(self) -> Query<Self::Item>;
}

impl<R> IntoQuery for Query<R> {
    type Item = R;

    fn into_query(self) -> Query<R> {
        self
    }
}

/// The requests one page of a query sends, on each backend: see
/// [`Query::explain`]. `Display` prints both.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Explain {
    /// The SQLite statement, then one line per bound parameter.
    pub sqlite: String,
    /// The DynamoDB `Query` request, as the JSON of the wire protocol.
    pub dynamodb: String,
}

impl Explain {
    /// A page of `spec` starting after `start` that evaluates at most
    /// `limit` items, on a DynamoDB table named `table_name`.
    pub(crate) fn new(
        spec: &QuerySpec,
        table_name: &str,
        start: Option<&Position>,
        limit: Option<u32>,
    ) -> Explain {
        use crate::backend::mapping::{dynamodb::QueryRequest, sqlite};
        Explain {
            sqlite: sqlite::explain_query(spec, start, limit),
            dynamodb: QueryRequest::new(spec, table_name, start, limit).to_json(),
        }
    }
}

impl fmt::Display for Explain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "SQLite:")?;
        for line in self.sqlite.lines() {
            writeln!(f, "  {line}")?;
        }
        writeln!(f, "DynamoDB:")?;
        write!(f, "  {}", self.dynamodb)
    }
}

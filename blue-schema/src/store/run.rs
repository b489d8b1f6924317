//! Running a query: one page, every page, or a stream of pages or items.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_core::Stream;

use super::decode::{Counting, Raw, Record, Records, Typed};
use super::{BoxFuture, Store, StoredItem};
use crate::backend::engine::Engine;
use crate::backend::with_engine;
use crate::ops::cursor::{Cursor, Position};
use crate::ops::decode::Decoder;
use crate::ops::query::QuerySpec;
use crate::ops::{PageOf, QueryPage};
use crate::query::{Explain, Query};
use crate::schema::FromItem;
use crate::Error;

/// A typed query about to run on a store; see [`Store::query`].
#[must_use = "a query does nothing until it is read"]
pub struct QueryRun<'s, R> {
    store: &'s Store,
    query: Query<R>,
}

impl<R> fmt::Debug for QueryRun<'_, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QueryRun")
            .field("store", self.store)
            .field("query", &self.query)
            .finish()
    }
}

/// One page of a query's items.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Page<R> {
    /// The items, in the query's order. A page evaluates at most the
    /// query's page size of items and at most 1 MB of item data, as on
    /// DynamoDB; it can hold fewer (even none) and still have a cursor.
    pub items: Vec<R>,
    /// Where the next page starts, or `None` when this page is the last.
    /// Give it to the same query's `.after(cursor)`. As on DynamoDB, a page
    /// that filled its page size (or 1 MB) has a cursor even when no items
    /// follow, and the next page is then empty.
    pub cursor: Option<Cursor>,
    /// How many items the page evaluated but skipped because the reader does
    /// not [recognise](FromItem::recognizes) them: in a whole-partition read,
    /// items of an entity this version of the table enum does not list
    /// (written by a newer version of the program).
    pub unknown: usize,
    /// The page's items of entities with older shapes
    /// ([`crate::schema::shape`]), by entity and the shape each was stored
    /// in (read upgraded all the same): how much a backfill has left.
    /// Empty for entities without older shapes.
    pub shapes: std::collections::BTreeMap<(&'static str, u64), usize>,
}

impl<'s, R> QueryRun<'s, R> {
    pub(super) fn new(store: &'s Store, query: Query<R>) -> Self {
        QueryRun { store, query }
    }

    /// Returns expired items too, in a table with a TTL attribute
    /// ([`ttl`](crate::ttl)): `store.query(Session::query(u)).include_expired().all()`.
    /// See [`Query::include_expired`].
    pub fn include_expired(self) -> Self {
        QueryRun {
            store: self.store,
            query: self.query.include_expired(),
        }
    }

    /// What the store will send for this query's first page: the SQL
    /// statement or the DynamoDB request, as [`Query::explain`] shows them,
    /// with this store's table prefix and the position of the query's
    /// cursor.
    ///
    /// # Errors
    ///
    /// The errors the query itself would fail with before sending anything:
    /// [`Error::Query`], [`Error::Limit`].
    pub fn explain(&self) -> Result<Explain, Error> {
        let spec = self.query.spec();
        let op = QueryPage {
            start: spec.start(self.store.cursor_key())?,
            limit: spec.page_limit(0),
            spec: Arc::new(spec.clone().live_at(|| self.store.epoch_now())),
        };
        Ok(with_engine!(&self.store.backend, b => b.explain(&op)))
    }

    /// Reads one page of items as stored, undecoded: keys, `created_at` and
    /// attributes.
    ///
    /// # Errors
    ///
    /// As [`page`](QueryRun::page), and [`Error::Decode`] only for attributes
    /// JSON cannot hold (DynamoDB binary).
    pub fn raw_page(self) -> impl Future<Output = Result<Page<StoredItem>, Error>> + Send + 's {
        read_page::<Raw>(self.store, self.query.into_spec())
    }

    /// Reads every page (or as far as the query's `take`) and returns the
    /// items as stored, undecoded.
    ///
    /// # Errors
    ///
    /// As [`raw_page`](QueryRun::raw_page).
    pub fn raw(self) -> impl Future<Output = Result<Vec<StoredItem>, Error>> + Send + 's {
        read_all::<Raw>(self.store, self.query.into_spec())
    }
}

impl<'s, R: FromItem + Send + 'static> QueryRun<'s, R> {
    /// Counts the items the query selects, without reading them: every
    /// page, each one item count (DynamoDB's `Select = COUNT`, one
    /// request a page, on every backend the same pages and capacity as
    /// reading the items). The query's filter and the items' expiry
    /// apply; `take(n)` stops at `n`.
    ///
    /// ```
    /// # use blue_schema::{Entity, Store, Table};
    /// #[derive(Table)]
    /// #[table(name = "blue_orders")]
    /// pub enum Orders {
    ///     Order(Order),
    /// }
    ///
    /// #[derive(Entity, serde::Serialize, serde::Deserialize)]
    /// #[entity(table = Orders)]
    /// #[sk(prefix = "ORDER")]
    /// pub struct Order {
    ///     #[pk]
    ///     pub customer: String,
    ///     #[sk]
    ///     pub id: u32,
    ///     pub total: u64,
    /// }
    ///
    /// # blue_schema::block_on(async {
    /// let store = Store::open("sqlite::memory:").await?;
    /// store.create_table::<Orders>().await?;
    /// for (id, total) in [(1, 30), (2, 120), (3, 80)] {
    ///     store.put(&Order { customer: "ada".into(), id, total }).await?;
    /// }
    /// assert_eq!(store.query(Order::query("ada")).count().await?, 3);
    /// let large = Order::query("ada").filter(Order::attr().total.ge(80));
    /// assert_eq!(store.query(large).count().await?, 2);
    /// # Ok::<(), blue_schema::Error>(())
    /// # }).unwrap();
    /// ```
    ///
    /// The count is always what [`all`](QueryRun::all) would return (with
    /// its length), and it reads what that read would: on DynamoDB it
    /// consumes the read capacity of every item it evaluates, and a large
    /// partition takes one request per 1 MB. An entity's query in a table
    /// without nested entities is DynamoDB's `Select = COUNT`, so no item
    /// comes back; a reader that may pass over items of its range (an
    /// entity with children nested under its keys, a table or collection
    /// enum, which skips the entities a newer program added, see
    /// [`Page::unknown`]) reads their keys alone and counts the ones it
    /// [recognises](FromItem::recognizes).
    ///
    /// # Errors
    ///
    /// As [`raw_page`](QueryRun::raw_page), except that no item is
    /// decoded.
    pub fn count(self) -> impl Future<Output = Result<u64, Error>> + Send + 's {
        count_all::<R>(self.store, self.query.into_spec())
    }

    /// Counts one page: the items it selects, and where the next page
    /// starts. The page ends where [`page`](QueryRun::page)'s would (its
    /// page size of evaluated items, or 1 MB), so a cursor from either
    /// continues the other.
    ///
    /// # Errors
    ///
    /// As [`count`](QueryRun::count).
    pub fn count_page(self) -> impl Future<Output = Result<Counted, Error>> + Send + 's {
        count_one::<R>(self.store, self.query.into_spec())
    }

    /// Reads one page.
    ///
    /// # Errors
    ///
    /// [`Error::Query`] or [`Error::Limit`] for a query or cursor DynamoDB
    /// would reject (before anything is read), [`Error::Decode`],
    /// [`Error::TableNotFound`], and the backend's errors.
    pub fn page(self) -> impl Future<Output = Result<Page<R>, Error>> + Send + 's {
        read_page::<Typed<R>>(self.store, self.query.into_spec())
    }

    /// Reads every page and returns all items, in the query's order: the
    /// whole result, or the first `n` items of a query with `.take(n)`. Its
    /// memory grows with the result; [`pages`](QueryRun::pages) and
    /// [`items`](QueryRun::items) hold one page at a time.
    ///
    /// # Errors
    ///
    /// As [`page`](QueryRun::page).
    pub fn all(self) -> impl Future<Output = Result<Vec<R>, Error>> + Send + 's {
        read_all::<Typed<R>>(self.store, self.query.into_spec())
    }

    /// [`page`](QueryRun::page), each item with its write times
    /// ([`Record::created_at`](crate::Record), `updated_at`).
    ///
    /// # Errors
    ///
    /// As [`page`](QueryRun::page).
    pub fn records_page(self) -> impl Future<Output = Result<Page<Record<R>>, Error>> + Send + 's {
        read_page::<Records<R>>(self.store, self.query.into_spec())
    }

    /// [`all`](QueryRun::all), each item with its write times: when it was
    /// first written and last written, which every write keeps on both
    /// backends.
    ///
    /// # Errors
    ///
    /// As [`page`](QueryRun::page).
    pub fn records(self) -> impl Future<Output = Result<Vec<Record<R>>, Error>> + Send + 's {
        read_all::<Records<R>>(self.store, self.query.into_spec())
    }

    /// The query's pages, one at a time: `while let Some(page) =
    /// pages.next().await`, or as a [`Stream`]. It stops after the last page,
    /// or when the query's `take` is reached, or after an error.
    pub fn pages(self) -> Pages<'s, R> {
        Pages::new(self.store, self.query.into_spec())
    }

    /// The query's items, one at a time, reading a page when the previous
    /// one is used up: `while let Some(item) = items.next().await`, or as a
    /// [`Stream`].
    pub fn items(self) -> Items<'s, R> {
        Items {
            pages: self.pages(),
            buffer: VecDeque::new(),
        }
    }
}

/// Where a whole read is: the query, the position, what it returned so far.
struct Cursoring {
    spec: Arc<QuerySpec>,
    start: Option<Position>,
    returned: usize,
    /// Pages read so far.
    pages: u32,
}

impl Cursoring {
    fn new(store: &Store, spec: QuerySpec) -> Result<Cursoring, Error> {
        let start = spec.start(store.cursor_key())?;
        Ok(Cursoring {
            // One "now" for every page of the read.
            spec: Arc::new(spec.live_at(|| store.epoch_now())),
            start,
            returned: 0,
            pages: 0,
        })
    }

    /// The next page's operation, or `None` when `take` or `max_pages`
    /// is reached.
    fn next_page(&self) -> Option<QueryPage> {
        let limit = self.spec.page_limit(self.returned);
        if limit == Some(0) || self.spec.max_pages.is_some_and(|n| self.pages >= n) {
            return None;
        }
        Some(QueryPage {
            spec: self.spec.clone(),
            start: self.start.clone(),
            limit,
        })
    }

    /// Takes a page in: the page the caller sees, and whether another may
    /// follow.
    fn advance<T>(&mut self, store: &Store, page: PageOf<T>) -> (Page<T>, bool) {
        self.returned += page.items.len();
        self.pages += 1;
        let cursor = page
            .next
            .as_ref()
            .map(|position| Cursor::new(self.spec.fingerprint(), position, store.cursor_key()));
        let more = page.next.is_some();
        self.start = page.next;
        (
            Page {
                items: page.items,
                cursor,
                unknown: page.unknown,
                shapes: page.shapes,
            },
            more,
        )
    }
}

/// One page of a query, counted; see [`QueryRun::count_page`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Counted {
    /// The items the page selected.
    pub count: u64,
    /// Where the next page starts, or `None` when this page is the last;
    /// as [`Page::cursor`].
    pub cursor: Option<Cursor>,
}

async fn count_one<R: FromItem + Send + 'static>(
    store: &Store,
    spec: QuerySpec,
) -> Result<Counted, Error> {
    let mut at = Cursoring::new(store, spec)?;
    let Some(op) = at.next_page() else {
        return Ok(Counted {
            count: 0,
            cursor: None,
        });
    };
    let page = with_engine!(&store.backend, b => b.count::<Counting<R>>(op).await)?;
    let (page, _) = at.advance(store, page);
    Ok(Counted {
        count: page.items.len() as u64,
        cursor: page.cursor,
    })
}

async fn count_all<R: FromItem + Send + 'static>(
    store: &Store,
    spec: QuerySpec,
) -> Result<u64, Error> {
    let mut at = Cursoring::new(store, spec)?;
    let mut count = 0;
    while let Some(op) = at.next_page() {
        let page = with_engine!(&store.backend, b => b.count::<Counting<R>>(op).await)?;
        let (page, more) = at.advance(store, page);
        count += page.items.len() as u64;
        if !more {
            break;
        }
    }
    Ok(count)
}

async fn query_page<D: Decoder>(store: &Store, op: QueryPage) -> Result<PageOf<D::Output>, Error> {
    with_engine!(&store.backend, b => b.query::<D>(op).await)
}

async fn read_page<D: Decoder>(store: &Store, spec: QuerySpec) -> Result<Page<D::Output>, Error> {
    let mut at = Cursoring::new(store, spec)?;
    let Some(op) = at.next_page() else {
        return Ok(Page {
            items: Vec::new(),
            cursor: None,
            unknown: 0,
            shapes: std::collections::BTreeMap::new(),
        });
    };
    let page = query_page::<D>(store, op).await?;
    Ok(at.advance(store, page).0)
}

async fn read_all<D: Decoder>(store: &Store, spec: QuerySpec) -> Result<Vec<D::Output>, Error> {
    let mut at = Cursoring::new(store, spec)?;
    let mut items = Vec::new();
    while let Some(op) = at.next_page() {
        let (page, more) = at.advance(store, query_page::<D>(store, op).await?);
        if items.is_empty() {
            items = page.items;
        } else {
            items.extend(page.items);
        }
        if !more {
            break;
        }
    }
    Ok(items)
}

/// A query's pages, one at a time; see [`QueryRun::pages`].
#[must_use = "a stream does nothing until it is polled"]
pub struct Pages<'s, R> {
    store: &'s Store,
    state: State<'s, R>,
}

enum State<'s, R> {
    /// The query could not start; the error comes first.
    Failed(Error),
    Ready(Cursoring),
    Reading(Cursoring, BoxFuture<'s, Result<PageOf<R>, Error>>),
    Done,
}

impl<'s, R: FromItem + Send + 'static> Pages<'s, R> {
    fn new(store: &'s Store, spec: QuerySpec) -> Self {
        let state = match Cursoring::new(store, spec) {
            Ok(at) => State::Ready(at),
            Err(e) => State::Failed(e),
        };
        Pages { store, state }
    }

    /// The next page, or `None` after the last one.
    pub async fn next(&mut self) -> Option<Result<Page<R>, Error>> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }
}

// Nothing is pinned in place: the page in flight is boxed.
impl<R> Unpin for Pages<'_, R> {}

impl<R> fmt::Debug for Pages<'_, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pages").finish_non_exhaustive()
    }
}

impl<R: FromItem + Send + 'static> Stream for Pages<'_, R> {
    type Item = Result<Page<R>, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let store = self.store;
        loop {
            match std::mem::replace(&mut self.state, State::Done) {
                State::Done => return Poll::Ready(None),
                State::Failed(e) => return Poll::Ready(Some(Err(e))),
                State::Ready(at) => {
                    let Some(op) = at.next_page() else {
                        return Poll::Ready(None);
                    };
                    let read = Box::pin(query_page::<Typed<R>>(store, op));
                    self.state = State::Reading(at, read);
                }
                State::Reading(mut at, mut read) => match read.as_mut().poll(cx) {
                    Poll::Pending => {
                        self.state = State::Reading(at, read);
                        return Poll::Pending;
                    }
                    Poll::Ready(Err(e)) => return Poll::Ready(Some(Err(e))),
                    Poll::Ready(Ok(page)) => {
                        let (page, more) = at.advance(store, page);
                        if more {
                            self.state = State::Ready(at);
                        }
                        return Poll::Ready(Some(Ok(page)));
                    }
                },
            }
        }
    }
}

/// A query's items, one at a time; see [`QueryRun::items`].
#[must_use = "a stream does nothing until it is polled"]
pub struct Items<'s, R> {
    pages: Pages<'s, R>,
    buffer: VecDeque<R>,
}

impl<R: FromItem + Send + 'static> Items<'_, R> {
    /// The next item, or `None` after the last one.
    pub async fn next(&mut self) -> Option<Result<R, Error>> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }
}

// Nothing is pinned in place: the buffered items are never projected.
impl<R> Unpin for Items<'_, R> {}

impl<R> fmt::Debug for Items<'_, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Items")
            .field("buffered", &self.buffer.len())
            .finish_non_exhaustive()
    }
}

impl<R: FromItem + Send + 'static> Stream for Items<'_, R> {
    type Item = Result<R, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            if let Some(item) = self.buffer.pop_front() {
                return Poll::Ready(Some(Ok(item)));
            }
            match Pin::new(&mut self.pages).poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                Poll::Ready(Some(Ok(page))) => self.buffer.extend(page.items),
            }
        }
    }
}

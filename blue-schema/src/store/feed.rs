//! Reading a table's change feed ([`crate::feed`]): [`Store::changes`]
//! and the [`ChangeFeed`] it opens.

use std::fmt;
use std::marker::PhantomData;

use super::decode::Typed;
use super::Store;
use crate::backend::AnyBackend;
use std::collections::VecDeque;

use crate::feed::{Before, Change, CursorState, FeedCursor, RawChange, Start, Streamed};
use crate::schema::FromItem;
use crate::Error;

/// The most records one [`ChangeFeed::next_batch`] returns: DynamoDB's
/// `GetRecords` limit.
pub const MAX_BATCH: usize = 1000;

impl Store {
    /// Opens table `T`'s change feed ([`crate::feed`]) at `start`: the
    /// oldest record retained, the newest, or a saved cursor.
    ///
    /// ```
    /// # use blue_schema::{Entity, Store, Table};
    /// # use blue_schema::feed::{ChangeKind, Start};
    /// #[derive(Table)]
    /// #[table(name = "blue_orders", stream)]
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
    /// let mut feed = store.changes::<Orders>(Start::Latest).await?;
    /// store.put(&Order { customer: "ada".into(), id: 1, total: 30 }).await?;
    ///
    /// let changes = feed.next_batch().await?;
    /// assert_eq!(changes.len(), 1);
    /// assert_eq!(changes[0].kind, ChangeKind::Insert);
    /// assert!(matches!(&changes[0].new, Some(Orders::Order(o)) if o.total == 30));
    /// // Save it; a restarted reader goes on from there.
    /// let cursor = feed.cursor().to_string();
    /// # let _ = cursor;
    /// # Ok::<(), blue_schema::Error>(())
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::TableMismatch`] when the table was created without its
    /// feed (run [`create_table`](Store::create_table) again);
    /// [`Error::FeedCursor`] for another table's or backend's cursor;
    /// [`Error::FeedGap`] when the cursor's next records are gone; and
    /// the backend's errors.
    // A boxed future (opened once per reader), not `async fn`: its type
    // needs no bound of `T`, so a table without a feed is one error at the
    // call rather than one per use of the future.
    pub fn changes<T>(&self, start: Start) -> OpenFeed<'_, T>
    where
        T: Streamed + FromItem + Send + 'static,
    {
        Box::pin(self.open_feed::<T>(start))
    }

    async fn open_feed<T>(&self, start: Start) -> Result<ChangeFeed<T>, Error>
    where
        T: Streamed + FromItem + Send + 'static,
    {
        let table = T::SCHEMA.name;
        let (from, latest) = match start {
            Start::Oldest => (None, false),
            Start::Latest => (None, true),
            Start::After(cursor) if cursor.table == table => (Some(cursor.state), false),
            Start::After(cursor) => {
                return Err(Error::FeedCursor {
                    table: table.to_owned(),
                    message: format!("it is a cursor of table {}", cursor.table),
                })
            }
        };
        let reader = match &self.backend {
            #[cfg(feature = "sqlite")]
            AnyBackend::Sqlite(b) => Reader::Outbox {
                after: match (from, latest) {
                    (_, true) => Some(b.feed_latest(table).await?),
                    (Some(CursorState::Outbox { after }), _) => Some(after),
                    (Some(CursorState::Stream { .. }), _) => {
                        return Err(Error::FeedCursor {
                            table: table.to_owned(),
                            message: "the cursor is a DynamoDB stream's, not an SQLite outbox's"
                                .to_owned(),
                        })
                    }
                    (None, false) => None,
                },
            },
            #[cfg(feature = "streams")]
            AnyBackend::DynamoDb(b) => Reader::Stream {
                reader: Some(Box::new(b.open_stream(table, from, latest).await?)),
                state: None,
            },
            #[cfg(all(feature = "dynamodb", not(feature = "streams")))]
            AnyBackend::DynamoDb(_) => {
                let _ = (from, latest);
                return Err(Error::Backend {
                    backend: "dynamodb",
                    source: "the change feed on DynamoDB needs blue-schema's `streams` feature"
                        .into(),
                });
            }
        };
        let feed = ChangeFeed {
            store: self.clone(),
            reader,
            pending: VecDeque::new(),
            _table: PhantomData,
        };
        // The oldest record's place, so that a cursor taken before any
        // read names it; and a cursor's gap, found when the reader opens,
        // as on DynamoDB.
        #[cfg(feature = "sqlite")]
        let feed = {
            let mut feed = feed;
            #[allow(irrefutable_let_patterns)] // without the `streams` feature
            if let Reader::Outbox { .. } = feed.reader {
                feed.next_outbox(0).await?;
            }
            feed
        };
        Ok(feed)
    }
}

/// The future of [`Store::changes`]: the reader, once it has found its
/// place.
pub type OpenFeed<'s, T> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<ChangeFeed<T>, Error>> + Send + 's>>;

/// A reader of one table's change feed, made by [`Store::changes`].
/// Each [`next_batch`](ChangeFeed::next_batch) returns the records that
/// follow the last one it returned; [`cursor`](ChangeFeed::cursor) says
/// where that is, to save and resume from.
pub struct ChangeFeed<T> {
    store: Store,
    reader: Reader,
    /// Records read but not returned yet (by [`ChangeFeed::wait_for`]).
    pending: VecDeque<(Change<T>, Before)>,
    _table: PhantomData<fn() -> T>,
}

enum Reader {
    /// The outbox's records after this sequence number (`None`: from the
    /// oldest retained, not yet read).
    #[cfg(feature = "sqlite")]
    Outbox { after: Option<i64> },
    /// The stream reader, and its cursor while a read holds it (or after
    /// a read lost it).
    #[cfg(feature = "streams")]
    Stream {
        reader: Option<Box<crate::backend::dynamodb::StreamReader>>,
        state: Option<CursorState>,
    },
}

impl<T> fmt::Debug for ChangeFeed<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChangeFeed")
            .field("table", &self.cursor_table())
            .finish_non_exhaustive()
    }
}

impl<T: Streamed + FromItem + Send + 'static> ChangeFeed<T> {
    /// The next records, at most [`MAX_BATCH`], oldest first per item;
    /// empty when the reader has caught up with the feed for now (on
    /// DynamoDB, with what the stream has made readable so far: records
    /// appear within a second or so of their write).
    ///
    /// # Errors
    ///
    /// [`Error::FeedGap`] when records this reader had not read are gone
    /// (retention, or a stream trimmed or re-enabled); [`Error::Decode`]
    /// for an item that does not decode as `T`; the backend's errors. The
    /// reader stays where it was: call again to retry.
    pub async fn next_batch(&mut self) -> Result<Vec<Change<T>>, Error> {
        self.next_up_to(MAX_BATCH).await
    }

    /// As [`next_batch`](ChangeFeed::next_batch), at most `limit` records.
    pub async fn next_up_to(&mut self, limit: usize) -> Result<Vec<Change<T>>, Error> {
        let limit = limit.clamp(1, MAX_BATCH);
        if !self.pending.is_empty() {
            let n = limit.min(self.pending.len());
            return Ok(self.pending.drain(..n).map(|(c, _)| c).collect());
        }
        let mut read = self.read(limit).await?;
        Ok(read.drain(..).map(|(c, _)| c).collect())
    }

    /// Up to `limit` records from the backend, each with the place just
    /// before it.
    async fn read(&mut self, limit: usize) -> Result<Vec<(Change<T>, Before)>, Error> {
        let split = |raw: RawChange<T>| {
            let before = raw.before.clone();
            (Change::from(raw), before)
        };
        match &mut self.reader {
            #[cfg(feature = "sqlite")]
            Reader::Outbox { .. } => Ok(self
                .next_outbox(limit)
                .await?
                .into_iter()
                .map(split)
                .collect()),
            #[cfg(feature = "streams")]
            Reader::Stream { reader, state } => {
                #[allow(irrefutable_let_patterns)]
                let crate::backend::AnyBackend::DynamoDb(backend) = &self.store.backend
                else {
                    unreachable!("a stream reader is made on DynamoDB only")
                };
                let current = match reader.take() {
                    Some(r) => *r,
                    None => {
                        let from = state.take();
                        backend.open_stream(T::SCHEMA.name, from, false).await?
                    }
                };
                *state = Some(current.cursor_state());
                let (current, result) = backend.read_stream::<Typed<T>>(current, limit).await?;
                *state = None;
                *reader = Some(Box::new(current));
                Ok(result?.into_iter().map(split).collect())
            }
        }
    }

    #[cfg(feature = "sqlite")]
    async fn next_outbox(&mut self, limit: usize) -> Result<Vec<RawChange<T>>, Error> {
        #[allow(irrefutable_let_patterns)]
        let (crate::backend::AnyBackend::Sqlite(backend), Reader::Outbox { after }) =
            (&self.store.backend, &mut self.reader)
        else {
            unreachable!("an outbox reader is made on SQLite only")
        };
        let read = backend
            .read_feed::<Typed<T>>(T::SCHEMA.name, *after, limit)
            .await?;
        *after = Some(read.after);
        Ok(read.changes)
    }

    /// Reads until a record satisfies `found`, returning every record read
    /// (that one last): for tests and tools that wait for a write to
    /// reach the feed without sleeping a fixed time. Polls with a short
    /// pause while the feed has nothing new.
    ///
    /// # Errors
    ///
    /// [`Error::Unavailable`] when `timeout` passes first (the records
    /// read are then lost to the caller, not to the feed: the cursor is
    /// past them); the errors of [`next_batch`](ChangeFeed::next_batch).
    pub async fn wait_for(
        &mut self,
        mut found: impl FnMut(&Change<T>) -> bool,
        timeout: std::time::Duration,
    ) -> Result<Vec<Change<T>>, Error> {
        let deadline = std::time::Instant::now() + timeout;
        let mut read = Vec::new();
        let mut pause = std::time::Duration::from_millis(5);
        loop {
            if self.pending.is_empty() {
                let batch = self.read(MAX_BATCH).await?;
                self.pending.extend(batch);
            }
            let idle = self.pending.is_empty();
            // One at a time: what follows the match stays unreturned, and
            // the cursor before it.
            while let Some((change, _)) = self.pending.pop_front() {
                let done = found(&change);
                read.push(change);
                if done {
                    return Ok(read);
                }
            }
            if std::time::Instant::now() >= deadline {
                return Err(Error::Unavailable {
                    backend: self.store.backend.name(),
                    source: format!(
                        "no record of {} matched within {timeout:?} ({} read)",
                        T::SCHEMA.name,
                        read.len()
                    )
                    .into(),
                });
            }
            if idle {
                crate::exec::sleep(pause).await;
                pause = (pause * 2).min(std::time::Duration::from_millis(200));
            }
        }
    }

    /// The feed as a [`Stream`](futures_core::Stream) of changes, one at a
    /// time, never ending: when the feed has nothing new it waits `idle`
    /// before asking again (DynamoDB allows five reads a second per
    /// shard). [`ChangeStream::cursor`] says where it is.
    pub fn into_stream(self, idle: std::time::Duration) -> ChangeStream<T> {
        ChangeStream {
            cursor: self.cursor(),
            feed: Some(self),
            reading: None,
            idle,
        }
    }

    /// Every record available now: [`next_batch`](ChangeFeed::next_batch)
    /// until one comes back empty.
    pub async fn catch_up(&mut self) -> Result<Vec<Change<T>>, Error> {
        let mut all = Vec::new();
        loop {
            let batch = self.next_batch().await?;
            if batch.is_empty() {
                return Ok(all);
            }
            all.extend(batch);
        }
    }
}

impl<T: Streamed> ChangeFeed<T> {
    /// Where this reader is: after the last record it returned. Save it
    /// (its text form, or serde) once those records are applied; a reader
    /// opened with [`Start::After`] goes on from there.
    pub fn cursor(&self) -> FeedCursor {
        let state = match &self.reader {
            #[cfg(feature = "sqlite")]
            Reader::Outbox { after } => CursorState::Outbox {
                after: after.unwrap_or_default(),
            },
            #[cfg(feature = "streams")]
            Reader::Stream { reader, state } => match (reader, state) {
                (Some(r), _) => r.cursor_state(),
                (None, Some(s)) => s.clone(),
                (None, None) => unreachable!("a stream reader keeps its place"),
            },
        };
        FeedCursor {
            table: T::SCHEMA.name.to_owned(),
            state: before_pending(state, &self.pending),
        }
    }
}

/// `state` moved back to just before the first of the records read but
/// not yet returned.
fn before_pending<T>(
    mut state: CursorState,
    pending: &VecDeque<(Change<T>, Before)>,
) -> CursorState {
    match &mut state {
        CursorState::Outbox { after } => {
            if let Some((_, Before::Outbox(before))) = pending.front() {
                *after = *before;
            }
        }
        CursorState::Stream { shards, .. } => {
            let mut seen = std::collections::BTreeSet::new();
            for (_, before) in pending {
                if let Before::Shard(shard, position) = before {
                    if seen.insert(shard.clone()) {
                        shards.insert(shard.clone(), position.clone());
                    }
                }
            }
        }
    }
    state
}

impl<T> ChangeFeed<T> {
    fn cursor_table(&self) -> &'static str {
        std::any::type_name::<T>()
    }
}

/// A [`ChangeFeed`] as a [`Stream`](futures_core::Stream) of changes, made
/// by [`ChangeFeed::into_stream`]: each item is the next record (or the
/// error of a read, after which the stream goes on from the same place).
pub struct ChangeStream<T> {
    feed: Option<ChangeFeed<T>>,
    /// The read in flight, which holds the feed.
    reading: Option<Reading<T>>,
    /// Where the stream is, as of its last item.
    cursor: FeedCursor,
    idle: std::time::Duration,
}

type Reading<T> =
    std::pin::Pin<Box<dyn std::future::Future<Output = (ChangeFeed<T>, Result<(), Error>)> + Send>>;

impl<T> fmt::Debug for ChangeStream<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChangeStream")
            .field("cursor", &self.cursor)
            .finish_non_exhaustive()
    }
}

// Nothing of it is pinned in place: the read in flight is boxed.
impl<T> Unpin for ChangeStream<T> {}

impl<T> ChangeStream<T> {
    /// Where the stream is: after the last change it yielded.
    pub fn cursor(&self) -> &FeedCursor {
        &self.cursor
    }
}

impl<T: Streamed + FromItem + Send + 'static> ChangeStream<T> {
    /// The next change, waiting for one if the feed has none yet (the
    /// stream never ends: `None` is never returned by a live feed). The
    /// same as `StreamExt::next`, without importing a stream library.
    pub async fn next(&mut self) -> Option<Result<Change<T>, Error>> {
        use futures_core::Stream as _;
        std::future::poll_fn(|cx| std::pin::Pin::new(&mut *self).poll_next(cx)).await
    }
}

impl<T: Streamed + FromItem + Send + 'static> futures_core::Stream for ChangeStream<T> {
    type Item = Result<Change<T>, Error>;

    fn poll_next(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        use std::task::Poll;
        let this = self.get_mut();
        loop {
            if let Some(feed) = &mut this.feed {
                if let Some((change, _)) = feed.pending.pop_front() {
                    this.cursor = feed.cursor();
                    return Poll::Ready(Some(Ok(change)));
                }
            }
            if this.reading.is_none() {
                let Some(mut feed) = this.feed.take() else {
                    return Poll::Ready(None);
                };
                let idle = this.idle;
                this.reading = Some(Box::pin(async move {
                    let read = feed.read(MAX_BATCH).await.map(|batch| {
                        let empty = batch.is_empty();
                        feed.pending.extend(batch);
                        empty
                    });
                    if let Ok(true) = read {
                        crate::exec::sleep(idle).await;
                    }
                    (feed, read.map(drop))
                }));
            }
            let Some(reading) = &mut this.reading else {
                continue;
            };
            let (feed, read) = std::task::ready!(reading.as_mut().poll(cx));
            this.reading = None;
            this.feed = Some(feed);
            if let Err(e) = read {
                return Poll::Ready(Some(Err(e)));
            }
        }
    }
}

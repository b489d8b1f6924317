//! A named, restartable reader of a change feed ([`crate::feed`]): its
//! checkpoint is an item in the same store, and a lease, taken and renewed
//! by conditional writes, lets one process at a time read for the name.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::feed::{ChangeFeed, MAX_BATCH};
use super::Store;
use crate::feed::{Change, FeedCursor, Start, Streamed};
use crate::schema::FromItem;
use crate::{Entity, Error, Table};

/// The table of every consumer's checkpoint, `blue_schema_checkpoints`,
/// created by [`ConsumerBuilder::open`] in the store it reads.
#[derive(Table, Debug, Clone, PartialEq)]
#[table(name = "blue_schema_checkpoints")]
pub enum Checkpoints {
    /// A consumer's place in one table's feed.
    Checkpoint(Checkpoint),
}

/// Where a named consumer is in one table's feed, and who holds it.
#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[entity(table = Checkpoints)]
#[sk(prefix = "FEED")]
pub struct Checkpoint {
    /// The consumer's name.
    #[pk]
    pub consumer: String,
    /// The table whose feed it reads.
    #[sk]
    pub table: String,
    /// The saved [`FeedCursor`], as text; `None` before the first commit.
    pub cursor: Option<String>,
    /// The process holding the lease, if any.
    pub holder: Option<String>,
    /// When the lease ends, in epoch seconds by the store's clock.
    pub lease_until: u64,
    /// Bumped by every write: each is conditional on the one it read.
    #[version]
    pub version: u64,
}

/// The lease a consumer takes unless told otherwise: 30 seconds, renewed
/// whenever less than half of it is left.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(30);

impl Store {
    /// A consumer named `name` of table `T`'s change feed: open it with
    /// [`ConsumerBuilder::open`].
    pub fn consumer<T: Streamed>(&self, name: &str) -> ConsumerBuilder<'_, T> {
        ConsumerBuilder {
            store: self,
            name: name.to_owned(),
            lease: DEFAULT_LEASE,
            start: Start::Oldest,
            _table: std::marker::PhantomData,
        }
    }
}

/// Options of a [`Consumer`], made by [`Store::consumer`].
#[must_use = "a consumer does nothing until it is opened"]
pub struct ConsumerBuilder<'s, T> {
    store: &'s Store,
    name: String,
    lease: Duration,
    start: Start,
    _table: std::marker::PhantomData<fn() -> T>,
}

impl<T> fmt::Debug for ConsumerBuilder<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConsumerBuilder")
            .field("name", &self.name)
            .field("lease", &self.lease)
            .field("start", &self.start)
            .finish_non_exhaustive()
    }
}

impl<'s, T: Streamed + FromItem + Send + 'static> ConsumerBuilder<'s, T> {
    /// How long the lease lasts without a renewal (whole seconds, at least
    /// one; default [`DEFAULT_LEASE`]). A consumer that stops without
    /// [`release`](Consumer::release) holds the name this long.
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease.max(Duration::from_secs(1));
        self
    }

    /// Where a consumer with no checkpoint yet starts (default
    /// [`Start::Oldest`]); one with a checkpoint goes on from it.
    pub fn start(mut self, start: Start) -> Self {
        self.start = start;
        self
    }

    /// Takes the lease and opens the feed at the checkpoint (or at the
    /// start for a consumer without one). Creates the checkpoint table
    /// first if the store has none.
    ///
    /// # Errors
    ///
    /// [`Error::LeaseHeld`] while another process holds the name's lease;
    /// the errors of [`Store::changes`].
    pub async fn open(self) -> Result<Consumer<T>, Error> {
        let store = self.store.clone();
        store.create_table::<Checkpoints>().await?;
        let holder = holder_id();
        let lease = self.lease.as_secs();
        let mut checkpoint = acquire::<T>(&store, &self.name, &holder, lease).await?;
        let start = match checkpoint.cursor.as_deref() {
            Some(text) => {
                Start::After(text.parse::<FeedCursor>().map_err(|e| Error::FeedCursor {
                    table: T::SCHEMA.name.to_owned(),
                    message: format!("the checkpoint of consumer {:?}: {e}", self.name),
                })?)
            }
            None => self.start,
        };
        let feed = store.changes::<T>(start).await?;
        // A consumer that starts at `Latest` keeps that place, even before
        // its first commit.
        if checkpoint.cursor.is_none() {
            checkpoint = save(&store, checkpoint, Some(feed.cursor()), &holder, lease).await?;
        }
        Ok(Consumer {
            store,
            feed,
            checkpoint,
            holder,
            lease,
        })
    }
}

/// A process-unique holder id: the process, the time and a counter.
fn holder_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("{}-{}-{n}", std::process::id(), crate::feed::now_millis())
}

/// Takes the lease of `name` on `T`'s feed: a new checkpoint, or the
/// stored one if its lease is free, ended or ours.
async fn acquire<T: Table>(
    store: &Store,
    name: &str,
    holder: &str,
    lease: u64,
) -> Result<Checkpoint, Error> {
    let key = Checkpoint::key(name, T::SCHEMA.name);
    let now = store.epoch_now();
    match store.get(key).await? {
        None => {
            let fresh = Checkpoint {
                consumer: name.to_owned(),
                table: T::SCHEMA.name.to_owned(),
                cursor: None,
                holder: Some(holder.to_owned()),
                lease_until: now + lease,
                version: 0,
            };
            match store.create(&fresh).await {
                Ok(()) => Ok(Checkpoint {
                    version: 1,
                    ..fresh
                }),
                Err(Error::AlreadyExists { .. }) => Err(held(name, None)),
                Err(e) => Err(e),
            }
        }
        Some(found) if found.holder.is_some() && found.lease_until > now => {
            Err(held(name, found.holder))
        }
        Some(found) => {
            let cursor = found.cursor.clone().map(|c| c.parse()).transpose();
            let cursor = cursor.map_err(|e: crate::feed::ParseCursorError| Error::FeedCursor {
                table: T::SCHEMA.name.to_owned(),
                message: e.to_string(),
            })?;
            match save(store, found, cursor, holder, lease).await {
                Err(Error::LeaseLost { .. }) => Err(held(name, None)),
                other => other,
            }
        }
    }
}

fn held(name: &str, holder: Option<String>) -> Error {
    Error::LeaseHeld {
        consumer: name.to_owned(),
        holder,
    }
}

/// Writes the checkpoint with `cursor`, the lease renewed, if nobody wrote
/// it since `current` was read.
async fn save(
    store: &Store,
    current: Checkpoint,
    cursor: Option<FeedCursor>,
    holder: &str,
    lease: u64,
) -> Result<Checkpoint, Error> {
    let next = Checkpoint {
        cursor: cursor.map(|c| c.to_string()),
        holder: Some(holder.to_owned()),
        lease_until: store.epoch_now() + lease,
        version: current.version,
        ..current
    };
    // A versioned put: conditioned on the stored version being the one read.
    match store.put(&next).await {
        Ok(()) => Ok(Checkpoint {
            version: current.version + 1,
            ..next
        }),
        Err(Error::VersionConflict(_)) => Err(Error::LeaseLost {
            consumer: next.consumer,
        }),
        Err(e) => Err(e),
    }
}

/// A named reader of table `T`'s change feed that keeps its place in the
/// store and holds a lease on its name, made by [`Store::consumer`].
///
/// Read with [`next_batch`](Consumer::next_batch), apply the records,
/// then [`commit`](Consumer::commit): a consumer restarted after a crash
/// goes on after the last commit, so records are applied at least once.
/// Only one process reads for a name at a time: another one's
/// [`open`](ConsumerBuilder::open) fails with [`Error::LeaseHeld`] until
/// the lease is released or runs out, and a consumer whose lease was taken
/// over (it stalled longer than the lease) gets [`Error::LeaseLost`] at
/// its next read or commit and must stop. The lease covers the whole feed
/// of the table (not each DynamoDB shard): one reader per name.
pub struct Consumer<T> {
    store: Store,
    feed: ChangeFeed<T>,
    checkpoint: Checkpoint,
    holder: String,
    lease: u64,
}

impl<T> fmt::Debug for Consumer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Consumer")
            .field("checkpoint", &self.checkpoint)
            .finish_non_exhaustive()
    }
}

impl<T: Streamed + FromItem + Send + 'static> Consumer<T> {
    /// The next records (at most [`MAX_BATCH`]), the lease renewed first
    /// when less than half of it is left.
    ///
    /// # Errors
    ///
    /// [`Error::LeaseLost`] when another process took the lease; the
    /// errors of [`ChangeFeed::next_batch`].
    pub async fn next_batch(&mut self) -> Result<Vec<Change<T>>, Error> {
        self.renew_if_due().await?;
        self.feed.next_up_to(MAX_BATCH).await
    }

    /// Saves the place after the records read so far, and renews the
    /// lease.
    ///
    /// # Errors
    ///
    /// [`Error::LeaseLost`] when another process took the lease (nothing
    /// is saved: the other process's place stands).
    pub async fn commit(&mut self) -> Result<(), Error> {
        let cursor = self.feed.cursor();
        self.write(Some(cursor)).await
    }

    /// Reads until a record satisfies `found` (returning every record
    /// read, that one last), committing nothing; for tests and tools that
    /// wait for a write to reach a consumer without sleeping a fixed time.
    ///
    /// # Errors
    ///
    /// [`Error::Unavailable`] when `timeout` passes first; the errors of
    /// [`next_batch`](Consumer::next_batch).
    pub async fn wait_for(
        &mut self,
        found: impl FnMut(&Change<T>) -> bool,
        timeout: Duration,
    ) -> Result<Vec<Change<T>>, Error> {
        self.renew_if_due().await?;
        self.feed.wait_for(found, timeout).await
    }

    /// Gives the lease up (keeping the checkpoint), so that another
    /// process can open the consumer at once.
    ///
    /// # Errors
    ///
    /// [`Error::LeaseLost`] when another process holds it already.
    pub async fn release(mut self) -> Result<(), Error> {
        let mut checkpoint = self.checkpoint.clone();
        checkpoint.holder = None;
        checkpoint.lease_until = 0;
        match self.store.put(&checkpoint).await {
            Ok(()) => {
                self.checkpoint.version += 1;
                Ok(())
            }
            Err(Error::VersionConflict(_)) => Err(Error::LeaseLost {
                consumer: checkpoint.consumer,
            }),
            Err(e) => Err(e),
        }
    }

    /// The checkpoint as last written by this consumer.
    pub fn checkpoint(&self) -> &Checkpoint {
        &self.checkpoint
    }

    async fn renew_if_due(&mut self) -> Result<(), Error> {
        let left = self
            .checkpoint
            .lease_until
            .saturating_sub(self.store.epoch_now());
        if left * 2 < self.lease {
            let cursor = self.checkpoint.cursor.clone();
            let cursor = cursor.and_then(|c| c.parse().ok());
            self.write(cursor).await?;
        }
        Ok(())
    }

    async fn write(&mut self, cursor: Option<FeedCursor>) -> Result<(), Error> {
        self.checkpoint = save(
            &self.store,
            self.checkpoint.clone(),
            cursor,
            &self.holder,
            self.lease,
        )
        .await?;
        Ok(())
    }
}

//! Deleting expired items ([`crate::ttl`]): at once, or on a thread of
//! their own every so often.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use super::Store;
use crate::backend::engine::Engine;
use crate::backend::with_engine;
use crate::ops::SweepExpired;
use crate::schema::Table;
use crate::Error;

impl Store {
    /// Deletes the items of table `T` that expired by the store's
    /// [clock](crate::ttl::Clock), with their index entries; how many.
    ///
    /// On SQLite one transaction deletes them (a scan of the table). On
    /// DynamoDB it deletes nothing and returns 0: DynamoDB's TTL process
    /// deletes expired items itself, within days, and until then reads
    /// hide them and writes see them as absent, as they do on SQLite
    /// between sweeps. A table without a TTL attribute has nothing to
    /// sweep.
    ///
    /// # Errors
    ///
    /// [`Error::TableNotFound`], and the backend's errors.
    // Written out (not `async fn`) to promise `Send` in the signature.
    #[allow(clippy::manual_async_fn)]
    pub fn sweep_expired<T: Table>(&self) -> impl Future<Output = Result<u64, Error>> + Send + '_ {
        async move {
            let Some(attribute) = T::SCHEMA.ttl else {
                return Ok(0);
            };
            let op = SweepExpired {
                table: &T::SCHEMA,
                attribute,
                now: self.epoch_now(),
            };
            with_engine!(&self.backend, b => b.sweep_expired(op).await)
        }
    }

    /// Sweeps table `T` ([`sweep_expired`](Store::sweep_expired)) every
    /// `every`, on a thread of its own, until the returned [`Sweeper`] is
    /// stopped or dropped. A sweep that fails is tried again at the next
    /// tick; [`Sweeper::last_error`] tells.
    pub fn spawn_sweeper<T: Table>(&self, every: Duration) -> Sweeper {
        let shared = Arc::new(Shared::default());
        let store = self.clone();
        let state = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name(format!("blue-schema sweeper {}", T::SCHEMA.name))
            .spawn(move || {
                while !state.wait(every) {
                    match crate::block_on(store.sweep_expired::<T>()) {
                        Ok(n) => {
                            state.swept.fetch_add(n, Ordering::Relaxed);
                            state.sweeps.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(e) => {
                            *lock(&state.last_error) = Some(e.to_string());
                        }
                    }
                }
            })
            .ok();
        Sweeper { shared, thread }
    }
}

/// A background sweeper of expired items, made by
/// [`Store::spawn_sweeper`]; dropping it stops it.
#[derive(Debug)]
pub struct Sweeper {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

#[derive(Debug, Default)]
struct Shared {
    stopped: Mutex<bool>,
    wake: Condvar,
    swept: AtomicU64,
    sweeps: AtomicU64,
    last_error: Mutex<Option<String>>,
}

impl Shared {
    /// Waits `every` or until stopped; whether it was stopped.
    fn wait(&self, every: Duration) -> bool {
        let stopped = lock(&self.stopped);
        let (stopped, _) = self
            .wake
            .wait_timeout_while(stopped, every, |stopped| !*stopped)
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *stopped
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Sweeper {
    /// How many items its sweeps deleted so far.
    pub fn swept(&self) -> u64 {
        self.shared.swept.load(Ordering::Relaxed)
    }

    /// How many sweeps finished so far.
    pub fn sweeps(&self) -> u64 {
        self.shared.sweeps.load(Ordering::Relaxed)
    }

    /// The error of the last sweep that failed, if one did.
    pub fn last_error(&self) -> Option<String> {
        lock(&self.shared.last_error).clone()
    }

    /// Stops the sweeper, after the sweep under way if there is one.
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        *lock(&self.shared.stopped) = true;
        self.shared.wake.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Sweeper {
    fn drop(&mut self) {
        self.halt();
    }
}

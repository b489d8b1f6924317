//! Where a store's work runs.
//!
//! * **SQLite** work runs on the backend's own threads, never on the thread
//!   that polls a store future: an async caller's executor is never blocked,
//!   by a statement or by a busy wait for another writer's lock. Inside
//!   [`block_on`] (and so in the [`blocking`](crate::blocking) API) the
//!   caller may block, and the work runs on the calling thread instead,
//!   which saves the hand-off.
//! * **DynamoDB** work runs on tokio, which the AWS SDK needs: on the
//!   caller's runtime when a future is polled inside one, and otherwise on a
//!   small runtime the library starts on first use, so a program with no
//!   runtime of its own (or another executor) can use DynamoDB too.
//!
//! Every store future is lazy (nothing happens before it is first polled).
//! Dropping one that has not started cancels it; an operation that has
//! started either completes whole or not at all (see each backend).

use std::cell::Cell;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

thread_local! {
    /// Set while [`block_on`] polls a future on this thread.
    static BLOCKING: Cell<bool> = const { Cell::new(false) };
}

/// Whether the current thread is inside [`block_on`], and so may block.
pub(crate) fn may_block() -> bool {
    BLOCKING.with(Cell::get)
}

/// Runs a future (or a store operation, which turns into one) to completion
/// on the current thread, for calling a store from synchronous code. It works for every store future on every backend
/// and needs no async runtime: SQLite work then runs on the calling thread,
/// and DynamoDB work on a runtime the library keeps for the purpose. (The
/// [`blocking`](crate::blocking) API wraps every store method in it.)
///
/// Do not call it from inside an async task: it blocks the thread until
/// the future completes, as any blocking call would.
///
/// ```
/// # use blue_schema::{Entity, Table};
/// # #[derive(Table)]
/// # #[table(name = "blue_dialogue")]
/// # enum Dialogue { Meta(Meta) }
/// # #[derive(Entity, serde::Serialize, serde::Deserialize)]
/// # #[entity(table = Dialogue)]
/// # #[sk(prefix = "META")]
/// # struct Meta { #[pk] dialogue_id: String }
/// let store = blue_schema::Store::sqlite_memory()?;
/// blue_schema::block_on(store.create_table::<Dialogue>())?;
/// # Ok::<(), blue_schema::Error>(())
/// ```
pub fn block_on<F: IntoFuture>(future: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.0.unpark();
        }
    }
    /// Restores the flag when `block_on` returns or unwinds.
    struct Reset(bool);
    impl Drop for Reset {
        fn drop(&mut self) {
            BLOCKING.with(|b| b.set(self.0));
        }
    }

    thread_local! {
        // One waker per thread, made once: block_on is called per operation.
        static WAKER: Waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    }
    let waker = WAKER.with(Waker::clone);
    let _reset = Reset(BLOCKING.with(|b| b.replace(true)));
    let mut future = std::pin::pin!(future.into_future());
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        std::thread::park();
    }
}

/// A one-shot channel from a worker thread to the future waiting for its
/// result (used by the SQLite backend). Either side may go away first: a job whose future was dropped
/// before the job started is skipped.
pub(crate) fn oneshot<T>() -> (Sender<T>, Receiver<T>) {
    let slot = Arc::new(Slot {
        state: Mutex::new(State {
            value: None,
            waker: None,
            sender_gone: false,
            receiver_gone: false,
        }),
    });
    (Sender(slot.clone()), Receiver(slot))
}

struct Slot<T> {
    state: Mutex<State<T>>,
}

struct State<T> {
    value: Option<T>,
    waker: Option<Waker>,
    sender_gone: bool,
    receiver_gone: bool,
}

impl<T> Slot<T> {
    fn state(&self) -> std::sync::MutexGuard<'_, State<T>> {
        // The state holds no invariant a panic could break halfway.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The worker's side of [`oneshot`].
pub(crate) struct Sender<T>(Arc<Slot<T>>);

impl<T> Sender<T> {
    #[cfg(feature = "sqlite")]
    /// Whether the waiting future was dropped: nobody wants the result.
    pub(crate) fn is_canceled(&self) -> bool {
        self.0.state().receiver_gone
    }

    pub(crate) fn send(self, value: T) {
        let waker = {
            let mut state = self.0.state();
            state.value = Some(value);
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let waker = {
            let mut state = self.0.state();
            state.sender_gone = true;
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// The waiting side of [`oneshot`]: a future of the value, or `None` when
/// the sender went away without one.
pub(crate) struct Receiver<T>(Arc<Slot<T>>);

impl<T> Future for Receiver<T> {
    type Output = Option<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let mut state = self.0.state();
        if let Some(value) = state.value.take() {
            return Poll::Ready(Some(value));
        }
        if state.sender_gone {
            return Poll::Ready(None);
        }
        match &state.waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => state.waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.0.state().receiver_gone = true;
    }
}

/// Running DynamoDB's futures on tokio, wherever the store is polled.
#[cfg(feature = "dynamodb")]
pub(crate) mod tokio_bridge {
    use std::future::Future;
    use std::sync::{Arc, OnceLock};

    use crate::Error;

    /// The runtime for store futures polled outside any tokio runtime: one
    /// worker thread, started on first use, alive for the process.
    fn background() -> Result<&'static tokio::runtime::Runtime, Error> {
        type Started = Result<tokio::runtime::Runtime, Arc<std::io::Error>>;
        static RUNTIME: OnceLock<Started> = OnceLock::new();
        RUNTIME
            .get_or_init(|| {
                tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(1)
                    .thread_name("blue-schema-dynamodb")
                    .enable_all()
                    .build()
                    .map_err(Arc::new)
            })
            .as_ref()
            .map_err(|e| Error::backend("dynamodb", e.clone()))
    }

    /// Runs `work` on tokio: in place when polled inside a tokio runtime
    /// (outside [`block_on`](super::block_on)), else spawned on the
    /// background runtime. Dropping the returned future cancels `work`,
    /// wherever it runs.
    pub(crate) async fn run<F, T>(work: F) -> Result<T, Error>
    where
        F: Future<Output = Result<T, Error>> + Send + 'static,
        T: Send + 'static,
    {
        if !super::may_block() && tokio::runtime::Handle::try_current().is_ok() {
            return work.await;
        }
        let mut task = AbortOnDrop(background()?.spawn(work));
        match (&mut task.0).await {
            Ok(output) => output,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            // Only `AbortOnDrop` aborts the task, and it is still here.
            Err(e) => Err(Error::backend("dynamodb", e)),
        }
    }

    struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

    impl<T> Drop for AbortOnDrop<T> {
        fn drop(&mut self) {
            self.0.abort();
        }
    }
}

/// Waits `duration` without blocking an async executor: on this thread
/// inside [`block_on`], otherwise on a short-lived timer thread.
pub(crate) async fn sleep(duration: std::time::Duration) {
    if duration.is_zero() {
        return;
    }
    if may_block() {
        std::thread::sleep(duration);
        return;
    }
    let (tx, rx) = oneshot();
    std::thread::spawn(move || {
        std::thread::sleep(duration);
        tx.send(());
    });
    let _ = rx.await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_oneshot_delivers_or_says_the_sender_went() {
        let (tx, rx) = oneshot();
        std::thread::spawn(move || tx.send(7));
        assert_eq!(block_on(rx), Some(7));
        let (tx, rx) = oneshot::<u8>();
        drop(tx);
        assert_eq!(block_on(rx), None);
        #[cfg(feature = "sqlite")]
        {
            let (tx, rx) = oneshot::<u8>();
            assert!(!tx.is_canceled());
            drop(rx);
            assert!(tx.is_canceled());
        }
    }

    #[test]
    fn block_on_marks_its_thread_while_it_runs() {
        assert!(!may_block());
        assert!(block_on(async { may_block() }));
        assert!(!may_block());
    }
}

//! Polling what AWS serves eventually: index reads may lag behind the
//! writes (SQLite and the emulator answer at once), so every assertion
//! about an index's contents goes through [`settled`].

use std::future::Future;
use std::time::{Duration, Instant};

/// Reads until `read` gives what `want` says, or 10 s pass, and returns the
/// last read.
pub async fn settled<T, F, Fut>(mut read: F, want: impl Fn(&T) -> bool) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = T>,
{
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let value = read().await;
        if want(&value) || Instant::now() > deadline {
            return value;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

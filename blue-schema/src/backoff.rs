//! The one backoff policy of the crate: full jitter (a uniform wait between
//! zero and a window that doubles with each attempt, up to a cap), as AWS's
//! guidance on retries recommends. Each retry loop names its window.

use std::time::Duration;

/// A retry loop's window: the first attempt's and the largest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Backoff {
    first_ms: u64,
    max_ms: u64,
}

impl Backoff {
    /// [`Store::modify`](crate::Store::modify)'s read–change–write loop,
    /// which another writer of the same item made retry: 4 ms to 256 ms.
    pub(crate) const MODIFY: Backoff = Backoff::new(4, 256);
    /// A DynamoDB request retried after throttling or a lost connection:
    /// 25 ms to 1 s.
    #[cfg(feature = "dynamodb")]
    pub(crate) const REQUEST: Backoff = Backoff::new(25, 1000);
    /// The unprocessed part of a DynamoDB batch request, sent again: 50 ms
    /// to 2 s.
    #[cfg(feature = "dynamodb")]
    pub(crate) const BATCH: Backoff = Backoff::new(50, 2000);

    const fn new(first_ms: u64, max_ms: u64) -> Backoff {
        Backoff { first_ms, max_ms }
    }

    /// The window of attempt `attempt` (1 for the first retry).
    pub(crate) fn window(self, attempt: u32) -> Duration {
        let doubled = self
            .first_ms
            .saturating_mul(1 << attempt.saturating_sub(1).min(16));
        Duration::from_millis(doubled.min(self.max_ms))
    }

    /// How long to wait before attempt `attempt`: uniform in its window.
    pub(crate) fn delay(self, attempt: u32) -> Duration {
        Duration::from_millis(jitter(self.window(attempt).as_millis() as u64))
    }
}

/// A pseudo-random number in `0..=max`, from the clock and a counter.
fn jitter(max: u64) -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0x9E37_79B9_7F4A_7C15);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::from(d.subsec_nanos()));
    let mut x = COUNTER.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed) ^ nanos;
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x % (max + 1)
}

// Its windows are DynamoDB's retries'.
#[cfg(all(test, feature = "dynamodb"))]
mod tests {
    use super::*;

    #[test]
    fn windows_double_from_the_first_up_to_the_cap() {
        let ms = |b: Backoff, a| b.window(a).as_millis();
        assert_eq!(
            (1..=8).map(|a| ms(Backoff::MODIFY, a)).collect::<Vec<_>>(),
            [4, 8, 16, 32, 64, 128, 256, 256]
        );
        assert_eq!(ms(Backoff::REQUEST, 1), 25);
        assert_eq!(ms(Backoff::REQUEST, 7), 1000);
        assert_eq!(ms(Backoff::BATCH, 2), 100);
        assert_eq!(ms(Backoff::BATCH, 40), 2000);
    }

    #[test]
    fn a_delay_stays_in_its_window() {
        for attempt in 1..20 {
            let delay = Backoff::BATCH.delay(attempt);
            assert!(delay <= Backoff::BATCH.window(attempt), "{delay:?}");
        }
    }
}

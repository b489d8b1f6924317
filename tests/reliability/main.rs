//! The reliability programme: what happens to data under faults on the
//! wire, crashes, load and hostile input, and a reference model that every
//! backend must agree with. The guide's "Reliability" section gives the
//! figures; `BLUE_LONG=1` runs the long modes (see the README).

mod backfill_faults;
mod child;
mod consumer_crash;
mod crash;
mod differential;
mod entities;
mod expiry;
mod faults;
mod feed;
mod handles;
mod history;
mod hostile;
mod load;
mod model;
mod sweep_crash;
mod views;

#[path = "../common/dynamodb.rs"]
pub mod dynamodb;
#[path = "../common/proxy.rs"]
pub mod proxy;

/// Whether the long modes run (`BLUE_LONG=1`).
pub fn long_mode() -> bool {
    std::env::var("BLUE_LONG").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// A multi-threaded runtime for one test.
pub fn runtime() -> tokio::runtime::Runtime {
    runtime_with(2)
}

/// A multi-threaded runtime with `workers` threads.
pub fn runtime_with(workers: usize) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .expect("a tokio runtime starts")
}

/// A small xorshift generator: deterministic, so a failure names its seed.
#[derive(Debug, Clone)]
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

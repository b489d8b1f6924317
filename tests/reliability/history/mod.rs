//! Histories: concurrent clients run random single-item operations and
//! transactions on a few keys, recording when each operation was called,
//! when it returned and what it returned; [`check`] then decides whether
//! the history is linearizable (single-item operations) and the
//! transactions strictly serializable, and checks index reads against
//! their weaker contract.
//!
//! The clients are tasks on several store handles, and, in
//! [`processes`](runs), other processes on the same SQLite file or the same
//! emulator, one of which is killed with SIGKILL mid-run (its operation in
//! flight then has an unknown outcome). Timestamps are `CLOCK_MONOTONIC`,
//! one clock for every process of the machine.

#[cfg(test)]
mod anomalies;
pub mod check;
mod feed;
mod runs;

use std::fmt;
use std::sync::{Arc, Mutex};

use blue_schema::write::CancelReason;
use blue_schema::{Error, Store, Update};
use serde::{Deserialize, Serialize};

use crate::entities::{Cell, Doc};

/// Cells `0..KEYS`; the document is key `KEYS` for the per-key check.
pub const KEYS: u8 = 3;

/// What the few keys hold: each cell's count (absent: `None`) and the
/// document's body and version.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct State {
    pub cells: [Option<i64>; KEYS as usize],
    pub doc: Option<(u32, u64)>,
}

/// An operation a client calls.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    /// `get` of a cell: its count.
    Get(u8),
    /// `put` of a cell with this count (every put's count is unique).
    Put(u8, i64),
    /// `create` of a cell with this count.
    Create(u8, i64),
    /// `put` of a cell with this count, when its count is the third.
    PutIf(u8, i64, i64),
    /// `update ... add` of this much, returning the new item; the cell
    /// must exist.
    Add(u8, i64),
    /// `delete` of a cell.
    Delete(u8),
    /// `get` of the versioned document.
    GetDoc,
    /// `put` of the document with this body, expecting this version.
    PutDoc(u32, u64),
    /// A transaction: subtract from the first cell when it holds enough,
    /// add to the second (both must exist).
    Transfer(u8, u8, i64),
    /// `transact_get` of every cell.
    Snapshot,
    /// A query of the index by note: the cells it holds.
    Index,
    /// What an index read showed of one cell (made by the checker from an
    /// [`Op::Index`], see [`check::with_index_reads`]).
    Indexed(u8),
    /// A committed transfer's change to one cell (made by the checker, see
    /// [`check::per_key`]).
    Shift(u8, i64),
}

/// What an operation returned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Ret {
    /// A cell's count (`get`, and the new count of an `add`).
    Value(Option<i64>),
    Ok,
    /// `AlreadyExists`.
    Exists,
    /// `ConditionFailed`.
    Refused,
    /// `NotFound` (an update of a missing cell).
    NotFound,
    /// The document's body and version.
    Doc(Option<(u32, u64)>),
    /// `VersionConflict`.
    Version,
    /// A transaction cancelled for its conditions.
    Cancelled,
    /// Every cell's count, read in one transaction.
    Snapshot(Vec<Option<i64>>),
    /// The cells an index read returned, by key.
    Index(Vec<(u8, i64)>),
    /// A typed error that says nothing was written (`Busy`, `Conflict`,
    /// `Throttled`, a transaction cancelled for a conflict only).
    Failed,
    /// No answer: `Unavailable`, or the client was killed. Applied once
    /// or not at all.
    Unknown,
}

/// One operation of a history. `end` is `u64::MAX` for an operation whose
/// client never learned its outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub client: u32,
    pub op: Op,
    pub out: Ret,
    pub call: u64,
    pub end: u64,
}

impl fmt::Display for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let end = if self.end == u64::MAX {
            "never".to_owned()
        } else {
            format!("{}", self.end / 1000)
        };
        write!(
            f,
            "client {:>3} [{} µs .. {end}] {:?} -> {:?}",
            self.client,
            self.call / 1000,
            self.op,
            self.out
        )
    }
}

/// Nanoseconds of `CLOCK_MONOTONIC`: the same clock in every process.
pub fn now() -> u64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid timespec for the call to fill.
    let r = unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut t) };
    assert_eq!(r, 0, "CLOCK_MONOTONIC is readable");
    t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64
}

/// Where one history's items live: a partition and an index partition of
/// its own in `blue_reliable`.
#[derive(Debug, Clone)]
pub struct Space {
    pub part: String,
    pub note: String,
}

impl Space {
    pub fn new(name: &str) -> Space {
        Space {
            part: format!("h-{name}"),
            note: format!("hn-{name}"),
        }
    }

    fn cell(&self, k: u8, count: i64) -> Cell {
        let mut c = crate::entities::cell(&self.part, u32::from(k), count);
        c.note = Some(self.note.clone());
        c
    }

    fn doc(&self, body: u32, version: u64) -> Doc {
        Doc {
            part: self.part.clone(),
            id: 0,
            body: body.to_string(),
            version,
        }
    }

    /// Writes the opening state: every cell at 100, the document at body
    /// 0, version 1.
    pub async fn prepare(&self, store: &Store) -> State {
        for k in 0..KEYS {
            store.put(&self.cell(k, 100)).await.unwrap();
        }
        store.put(&self.doc(0, 0)).await.unwrap();
        State {
            cells: [Some(100); KEYS as usize],
            doc: Some((0, 1)),
        }
    }
}

/// Runs one operation: what it returned. An error the history cannot
/// explain fails the test.
pub async fn run(store: &Store, space: &Space, op: &Op) -> Ret {
    let c = Cell::attr();
    let key = |k: u8| Cell::key(space.part.as_str(), u32::from(k));
    let result: Result<Ret, Error> = match *op {
        Op::Get(k) => store
            .get(key(k))
            .await
            .map(|got| Ret::Value(got.map(|c| c.count))),
        Op::Put(k, v) => store.put(&space.cell(k, v)).await.map(|()| Ret::Ok),
        Op::Create(k, v) => match store.create(&space.cell(k, v)).await {
            Err(Error::AlreadyExists { .. }) => Ok(Ret::Exists),
            other => other.map(|()| Ret::Ok),
        },
        Op::PutIf(k, v, e) => match store.put(&space.cell(k, v)).when(c.count.eq(e)).await {
            Err(Error::ConditionFailed(_)) => Ok(Ret::Refused),
            other => other.map(|()| Ret::Ok),
        },
        Op::Add(k, d) => match store.update(key(k)).add(c.count, d).returning_new().await {
            Err(Error::NotFound { .. }) => Ok(Ret::NotFound),
            other => other.map(|new| Ret::Value(Some(new.count))),
        },
        Op::Delete(k) => store.delete(key(k)).await.map(|()| Ret::Ok),
        Op::GetDoc => store
            .get(Doc::key(space.part.as_str(), 0u32))
            .await
            .map(|d| Ret::Doc(d.map(|d| (d.body.parse().unwrap(), d.version)))),
        Op::PutDoc(body, version) => match store.put(&space.doc(body, version)).await {
            Err(Error::VersionConflict(_)) => Ok(Ret::Version),
            other => other.map(|()| Ret::Ok),
        },
        Op::Transfer(from, to, amount) => {
            let mut tx = store.transaction();
            tx.update(
                Update::new(key(from))
                    .subtract(c.count, amount)
                    .when(c.count.ge(amount)),
            );
            tx.update(Update::new(key(to)).add(c.count, amount));
            match tx.commit().await {
                Err(Error::TransactionCanceled(t)) => {
                    let conflict_only = t.failures().all(|(_, r)| {
                        matches!(r, CancelReason::Conflict | CancelReason::Throttled)
                    });
                    Ok(if conflict_only {
                        Ret::Failed
                    } else {
                        Ret::Cancelled
                    })
                }
                other => other.map(|()| Ret::Ok),
            }
        }
        Op::Snapshot => store
            .transact_get((0..KEYS).map(key))
            .await
            .map(|got| Ret::Snapshot(got.into_iter().map(|c| c.map(|c| c.count)).collect())),
        Op::Indexed(_) | Op::Shift(..) => unreachable!("the checker's, never run"),
        Op::Index => store
            .query(Cell::by_note(space.note.as_str()))
            .all()
            .await
            .map(|cells| Ret::Index(cells.iter().map(|c| (c.id as u8, c.count)).collect())),
    };
    match result {
        Ok(ret) => ret,
        Err(Error::Unavailable { .. }) => Ret::Unknown,
        Err(Error::Busy { .. } | Error::Conflict { .. } | Error::Throttled { .. }) => Ret::Failed,
        Err(e) => panic!("{op:?}: an error a history cannot explain: {e} ({e:?})"),
    }
}

/// Which operations a client draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mix {
    /// Single-item operations and index reads: checked key by key.
    Single,
    /// Transactions and transactional reads too: checked as one object.
    Transactions,
}

/// A client's random choices, biased towards operations that succeed:
/// conditions expect the count it last saw, versioned puts the version.
pub struct Client {
    pub id: u32,
    rng: crate::Rng,
    seq: i64,
    seen: [Option<i64>; KEYS as usize],
    version: u64,
    mix: Mix,
}

impl Client {
    pub fn new(id: u32, seed: u64, mix: Mix) -> Client {
        Client {
            id,
            rng: crate::Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1),
            seq: 0,
            seen: [Some(100); KEYS as usize],
            version: 1,
            mix,
        }
    }

    /// The next operation.
    pub fn next_op(&mut self) -> Op {
        self.seq += 1;
        let unique = i64::from(self.id + 1) * 1_000_000 + self.seq;
        let k = self.rng.below(u64::from(KEYS)) as u8;
        let roll = self.rng.below(100);
        let tx = self.mix == Mix::Transactions;
        match roll {
            0..=19 => Op::Get(k),
            20..=29 => Op::Put(k, unique),
            30..=35 => Op::Create(k, unique),
            36..=43 => Op::PutIf(k, unique, self.seen[usize::from(k)].unwrap_or(100)),
            44..=55 => Op::Add(k, 1 + self.rng.below(5) as i64),
            56..=59 => Op::Delete(k),
            60..=67 => Op::GetDoc,
            68..=75 => Op::PutDoc(
                (unique % 1_000_000_000) as u32,
                if self.rng.below(5) == 0 {
                    self.rng.below(3)
                } else {
                    self.version
                },
            ),
            76..=87 if tx => {
                let to = (k + 1 + self.rng.below(u64::from(KEYS) - 1) as u8) % KEYS;
                Op::Transfer(k, to, 1 + self.rng.below(40) as i64)
            }
            88..=93 if tx => Op::Snapshot,
            94..=99 => Op::Index,
            _ => Op::Get(k),
        }
    }

    /// Learns from an answer what later conditions should expect.
    pub fn learn(&mut self, op: &Op, out: &Ret) {
        match (op, out) {
            (Op::Get(k) | Op::Add(k, _), Ret::Value(v)) => self.seen[usize::from(*k)] = *v,
            (Op::Put(k, v) | Op::Create(k, v) | Op::PutIf(k, v, _), Ret::Ok) => {
                self.seen[usize::from(*k)] = Some(*v)
            }
            (Op::GetDoc, Ret::Doc(Some((_, v)))) => self.version = *v,
            (Op::PutDoc(_, v), Ret::Ok) => self.version = v + 1,
            (Op::Snapshot, Ret::Snapshot(all)) => {
                for (k, v) in all.iter().enumerate() {
                    self.seen[k] = *v;
                }
            }
            _ => {}
        }
    }
}

/// Where a client's operations are recorded.
#[derive(Clone)]
pub enum Sink {
    /// In this process.
    Memory(Arc<Mutex<Vec<Entry>>>),
    /// On stdout, a line when an operation is called and one when it
    /// returns (a child process, whose parent reads them).
    Stdout,
}

/// Runs `ops` operations of a client on `store`, recording each.
pub async fn client(store: Store, space: Space, mut me: Client, ops: usize, sink: Sink) {
    for _ in 0..ops {
        let op = me.next_op();
        if let Sink::Stdout = sink {
            println!(
                "call {} {} {}",
                me.id,
                now(),
                serde_json::to_string(&op).unwrap()
            );
        }
        let call = now();
        let out = run(&store, &space, &op).await;
        let end = now();
        me.learn(&op, &out);
        match &sink {
            Sink::Memory(history) => history.lock().unwrap().push(Entry {
                client: me.id,
                op,
                out,
                call,
                end,
            }),
            Sink::Stdout => println!(
                "done {} {end} {}",
                me.id,
                serde_json::to_string(&out).unwrap()
            ),
        }
    }
}

/// The entries of a child's lines: a `call` without its `done` (the child
/// was killed) has an unknown outcome and no end.
pub fn parse(lines: &[String]) -> Vec<Entry> {
    let mut pending: std::collections::BTreeMap<u32, (u64, Op)> = Default::default();
    let mut entries = Vec::new();
    for line in lines {
        let mut words = line.splitn(4, ' ');
        let (Some(kind), Some(client), Some(time), Some(json)) =
            (words.next(), words.next(), words.next(), words.next())
        else {
            continue;
        };
        let (Ok(client), Ok(time)) = (client.parse::<u32>(), time.parse::<u64>()) else {
            continue;
        };
        match kind {
            "call" => {
                let op = serde_json::from_str(json).expect("an operation");
                pending.insert(client, (time, op));
            }
            "done" => {
                let (call, op) = pending.remove(&client).expect("a call before its return");
                let out = serde_json::from_str(json).expect("a result");
                entries.push(Entry {
                    client,
                    op,
                    out,
                    call,
                    end: time,
                });
            }
            _ => {}
        }
    }
    for (client, (call, op)) in pending {
        entries.push(Entry {
            client,
            op,
            out: Ret::Unknown,
            call,
            end: u64::MAX,
        });
    }
    entries
}

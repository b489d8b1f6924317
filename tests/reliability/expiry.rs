//! Time to Live in the reference model: leases that expire as the clock
//! moves, in a table of their own (`blue_leases`, TTL on `expires_at`).
//!
//! The model keeps every lease written, expired or not, and answers as
//! the portable contract says: reads see live leases only, writes see an
//! expired lease as absent. The stores run with a clock of their own each,
//! moved together by [`LeaseOp::Tick`], a day ahead of the real clock so
//! that no TTL process deletes what the model still holds. A sweep deletes
//! the expired leases on SQLite and nothing on DynamoDB, which no default
//! read can tell apart; so queries are compared item by item, not page by
//! page (an expired lease DynamoDB still holds counts toward a page as the
//! sweep's absence does not).

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use blue_schema::ttl::ManualClock;
use blue_schema::{Entity, IntoQuery, Query, Store, Table};
use serde::{Deserialize, Serialize};

use crate::model::{result, Space};

#[derive(Table, Debug)]
#[table(name = "blue_leases", ttl = "expires_at", stream)]
pub enum Leases {
    Lease(Lease),
}

/// A lease on a resource: held (or not), renewed `n` times, until
/// `expires_at` (never, when `None`).
#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[entity(table = Leases)]
#[sk(prefix = "LEASE")]
pub struct Lease {
    #[pk]
    pub part: String,
    #[sk]
    pub id: u32,
    pub holder: Option<String>,
    #[serde(default)]
    pub n: i64,
    #[ttl]
    pub expires_at: Option<u64>,
}

/// Holders: code 0 is none.
const HOLDERS: [&str; 2] = ["ann", "bo#"];
/// How far the clock moves in a tick.
const TICK: u64 = 2;

/// One operation on leases, as small numbers. Expiry codes: 0 never, 1 a
/// second ago (expired when written), 2 in a second (expired after a
/// tick), 3 in three seconds (after two).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaseOp {
    /// `put` (part, id, holder, expiry).
    Put(u8, u8, u8, u8),
    /// `create` (part, id, holder, expiry).
    Create(u8, u8, u8, u8),
    /// `update` adding 1 to `n` and setting the holder (when not 0),
    /// creating the lease (with no expiry) if asked.
    Renew(u8, u8, u8, bool),
    DeleteReturning(u8, u8),
    Get(u8, u8),
    /// Every live lease of a partition, read in pages of this size.
    Query(u8, Option<u8>, bool),
    /// The clock moves [`TICK`] seconds.
    Tick,
    /// `sweep_expired` (its count differs by design: not compared).
    Sweep,
}

/// The leases' part of the model.
#[derive(Debug, Clone, Default)]
pub struct LeaseModel {
    /// Every lease written, by (partition, id), expired or not.
    leases: BTreeMap<(String, u32), Lease>,
    now: u64,
}

/// The epoch second the stores' clocks start each sequence at: a day
/// ahead of the real clock.
pub fn base() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after the epoch")
        .as_secs()
        + 86_400
}

/// A clock at `now`.
pub fn clock_at(now: u64) -> ManualClock {
    ManualClock::at(UNIX_EPOCH + Duration::from_secs(now))
}

/// Sets `clock` to `now`.
pub fn set(clock: &ManualClock, now: u64) {
    clock.set(UNIX_EPOCH + Duration::from_secs(now));
}

/// Moves `clock` one tick.
pub fn tick(clock: &ManualClock) {
    clock.advance(Duration::from_secs(TICK));
}

fn holder(code: u8) -> Option<String> {
    (code > 0).then(|| HOLDERS[usize::from(code - 1) % HOLDERS.len()].to_owned())
}

fn expiry(code: u8, now: u64) -> Option<u64> {
    match code % 4 {
        0 => None,
        1 => Some(now - 1),
        2 => Some(now + 1),
        _ => Some(now + 3),
    }
}

fn lease(space: &Space, part: u8, id: u8, who: u8, expires: u8, now: u64) -> Lease {
    Lease {
        part: space.part(part),
        id: u32::from(id),
        holder: holder(who),
        n: 0,
        expires_at: expiry(expires, now),
    }
}

impl LeaseModel {
    /// A new sequence starts at `now`.
    pub fn starting_at(now: u64) -> Self {
        LeaseModel {
            leases: BTreeMap::new(),
            now,
        }
    }

    /// The model's clock.
    pub fn now(&self) -> u64 {
        self.now
    }

    fn live(&self, key: &(String, u32)) -> Option<&Lease> {
        self.leases
            .get(key)
            .filter(|l| l.expires_at.is_none_or(|at| at >= self.now))
    }

    /// What `op` returns, as the stores' results are rendered.
    pub fn apply(&mut self, space: &Space, op: &LeaseOp) -> String {
        let key = |part: u8, id: u8| (space.part(part), u32::from(id));
        match *op {
            LeaseOp::Put(p, i, who, exp) => {
                let l = lease(space, p, i, who, exp, self.now);
                self.leases.insert(key(p, i), l);
                "Ok(())".into()
            }
            LeaseOp::Create(p, i, who, exp) => {
                if self.live(&key(p, i)).is_some() {
                    return "Err(AlreadyExists)".into();
                }
                let l = lease(space, p, i, who, exp, self.now);
                self.leases.insert(key(p, i), l);
                "Ok(())".into()
            }
            LeaseOp::Renew(p, i, who, or_create) => {
                let renewed = match self.live(&key(p, i)) {
                    Some(l) => Lease {
                        n: l.n + 1,
                        holder: holder(who).or_else(|| l.holder.clone()),
                        ..l.clone()
                    },
                    None if or_create => Lease {
                        n: 1,
                        ..lease(space, p, i, who, 0, self.now)
                    },
                    None => return "Err(NotFound)".into(),
                };
                self.leases.insert(key(p, i), renewed);
                "Ok(())".into()
            }
            LeaseOp::DeleteReturning(p, i) => {
                let old = self.live(&key(p, i)).cloned();
                self.leases.remove(&key(p, i));
                format!("Ok({old:?})")
            }
            LeaseOp::Get(p, i) => format!("Ok({:?})", self.live(&key(p, i))),
            LeaseOp::Query(p, _, reverse) => {
                let mut live = self.of(space, p);
                if reverse {
                    live.reverse();
                }
                format!("Ok({live:?})")
            }
            LeaseOp::Tick => {
                self.now += TICK;
                "Ok(())".into()
            }
            LeaseOp::Sweep => "Ok(())".into(),
        }
    }

    /// The live leases of a partition, by id.
    fn of(&self, space: &Space, part: u8) -> Vec<Lease> {
        let pk = space.part(part);
        self.leases
            .iter()
            .filter(|((p, _), _)| *p == pk)
            .filter_map(|(k, _)| self.live(k).cloned())
            .collect()
    }

    /// The live leases of every partition, as [`contents`] reads them.
    pub fn contents(&self, space: &Space, parts: u8) -> String {
        (0..parts)
            .map(|p| format!("leases {:?}\n", self.of(space, p)))
            .collect()
    }
}

/// Runs `op` on `store`, whose clock shows `now`, the model's (a tick
/// moved it before this).
pub async fn run(store: &Store, space: &Space, op: &LeaseOp, now: u64) -> String {
    let key = |p: u8, i: u8| Lease::key(space.part(p), u32::from(i));
    match *op {
        LeaseOp::Put(p, i, who, exp) => result(store.put(&lease(space, p, i, who, exp, now)).await),
        LeaseOp::Create(p, i, who, exp) => {
            result(store.create(&lease(space, p, i, who, exp, now)).await)
        }
        LeaseOp::Renew(p, i, who, or_create) => {
            let mut update = store.update(key(p, i)).add(Lease::attr().n, 1);
            if let Some(h) = holder(who) {
                update = update.set(Lease::attr().holder, h);
            }
            if or_create {
                update = update.or_create();
            }
            result(update.await)
        }
        LeaseOp::DeleteReturning(p, i) => result(store.delete_returning(key(p, i)).await),
        LeaseOp::Get(p, i) => result(store.get(key(p, i)).await),
        LeaseOp::Query(p, page_size, reverse) => {
            let mut q: Query<Lease> = Lease::query(space.part(p)).into_query();
            if reverse {
                q = q.reverse();
            }
            if let Some(n) = page_size {
                q = q.page_size(u32::from(n).max(1));
            }
            result(store.query(q).all().await)
        }
        LeaseOp::Tick => "Ok(())".into(),
        LeaseOp::Sweep => match store.sweep_expired::<Leases>().await {
            Ok(_) => "Ok(())".into(),
            Err(e) => format!("Err(Unexpected({e}))"),
        },
    }
}

/// The live leases of every partition of `space` on `store`.
pub async fn contents(store: &Store, space: &Space, parts: u8) -> String {
    let mut out = String::new();
    for p in 0..parts {
        let leases = store.query(Lease::query(space.part(p))).all().await;
        match leases {
            Ok(l) => out.push_str(&format!("leases {l:?}\n")),
            Err(e) => out.push_str(&format!("leases Err({e})\n")),
        }
    }
    out
}

/// Random lease operations, over two partitions and three ids.
pub fn lease_op() -> impl proptest::strategy::Strategy<Value = LeaseOp> {
    use proptest::prelude::*;
    let part = || 0..2u8;
    let id = || 0..3u8;
    let who = || 0..3u8;
    let exp = || 0..4u8;
    prop_oneof![
        3 => (part(), id(), who(), exp()).prop_map(|(p, i, w, e)| LeaseOp::Put(p, i, w, e)),
        2 => (part(), id(), who(), exp()).prop_map(|(p, i, w, e)| LeaseOp::Create(p, i, w, e)),
        2 => (part(), id(), who(), any::<bool>()).prop_map(|(p, i, w, c)| LeaseOp::Renew(p, i, w, c)),
        1 => (part(), id()).prop_map(|(p, i)| LeaseOp::DeleteReturning(p, i)),
        2 => (part(), id()).prop_map(|(p, i)| LeaseOp::Get(p, i)),
        2 => (part(), proptest::option::of(1u8..3), any::<bool>())
            .prop_map(|(p, n, r)| LeaseOp::Query(p, n, r)),
        2 => Just(LeaseOp::Tick),
        1 => Just(LeaseOp::Sweep),
    ]
}

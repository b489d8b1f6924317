//! The history checker: is a concurrent history linearizable against the
//! store's sequential specification?
//!
//! The search is Wing and Gong's, with Lowe's memoization (the one
//! Porcupine and Knossos use): walk the history's call and return events in
//! time order; at a call, try to linearize that operation now (its result
//! must be the specification's in the current state, and the pair of
//! "operations linearized so far" and state must not have been tried
//! before); at a return of an operation not yet linearized, undo the last
//! choice. An operation whose outcome the client never learned (the
//! process was killed, the backend said `Unavailable`) returns at the end of
//! time and may have taken effect or not: both are tried.
//!
//! Single-item histories are checked one key at a time
//! (P-compositionality: a history is linearizable if and only if each
//! key's is); a history with transactions is checked as one object, which
//! is what strict serializability of the transactions asks. Index reads
//! answer to a weaker contract ([`with_index_reads`]).

use std::collections::HashSet;

use super::{Entry, Op, Ret, State, KEYS};

/// What the specification answers, and the state after, for `op` in
/// `state`: the store's documented single-threaded behaviour.
pub fn spec(op: &Op, state: &State) -> (Ret, State) {
    let mut next = state.clone();
    let cell = |k: &u8| state.cells[usize::from(*k)];
    let ret = match op {
        Op::Get(k) | Op::Indexed(k) => Ret::Value(cell(k)),
        Op::Put(k, v) => {
            next.cells[usize::from(*k)] = Some(*v);
            Ret::Ok
        }
        Op::Create(k, v) => {
            if cell(k).is_some() {
                Ret::Exists
            } else {
                next.cells[usize::from(*k)] = Some(*v);
                Ret::Ok
            }
        }
        Op::PutIf(k, v, expected) => {
            if cell(k) == Some(*expected) {
                next.cells[usize::from(*k)] = Some(*v);
                Ret::Ok
            } else {
                Ret::Refused
            }
        }
        Op::Add(k, d) => match cell(k) {
            Some(c) => {
                next.cells[usize::from(*k)] = Some(c + d);
                Ret::Value(Some(c + d))
            }
            None => Ret::NotFound,
        },
        Op::Delete(k) => {
            next.cells[usize::from(*k)] = None;
            Ret::Ok
        }
        Op::Shift(k, by) => match cell(k) {
            Some(c) => {
                next.cells[usize::from(*k)] = Some(c + by);
                Ret::Ok
            }
            None => Ret::NotFound,
        },
        Op::GetDoc => Ret::Doc(state.doc),
        Op::PutDoc(body, version) => {
            let ok = match state.doc {
                None => *version == 0,
                Some((_, found)) => *version != 0 && *version == found,
            };
            if ok {
                next.doc = Some((*body, version + 1));
                Ret::Ok
            } else {
                Ret::Version
            }
        }
        Op::Transfer(from, to, amount) => match (cell(from), cell(to)) {
            (Some(a), Some(b)) if a >= *amount => {
                next.cells[usize::from(*from)] = Some(a - amount);
                next.cells[usize::from(*to)] = Some(b + amount);
                Ret::Ok
            }
            _ => Ret::Cancelled,
        },
        Op::Snapshot => Ret::Snapshot(state.cells.to_vec()),
        Op::Index => unreachable!("checked as the reads of each cell it is (with_index_reads)"),
    };
    (ret, next)
}

/// The states `op` may leave after answering `ret` in `state` (none: the
/// answer is impossible there).
fn steps(op: &Op, ret: &Ret, state: &State) -> Vec<State> {
    match ret {
        // Nothing was written (a typed refusal that says so).
        Ret::Failed => vec![state.clone()],
        // Applied once or not at all.
        Ret::Unknown => {
            let (_, after) = spec(op, state);
            if after == *state {
                vec![after]
            } else {
                vec![state.clone(), after]
            }
        }
        _ => {
            let (expected, after) = spec(op, state);
            if expected == *ret {
                vec![after]
            } else {
                vec![]
            }
        }
    }
}

/// Whether an entry leaves the state as it is in every state its answer
/// fits: a read, or a write refused or reported as not applied.
fn pure(e: &Entry) -> bool {
    match e.out {
        Ret::Value(_) => matches!(e.op, Op::Get(_) | Op::Indexed(_)),
        Ret::Ok | Ret::Unknown => false,
        Ret::Exists
        | Ret::Refused
        | Ret::NotFound
        | Ret::Doc(_)
        | Ret::Version
        | Ret::Cancelled
        | Ret::Snapshot(_)
        | Ret::Index(_)
        | Ret::Failed => true,
    }
}

/// A history that is not linearizable: the longest prefix the search could
/// order, and the operations none of which could come next.
#[derive(Debug)]
pub struct Anomaly {
    pub linearized: Vec<Entry>,
    pub stuck: Vec<Entry>,
    pub state: State,
}

impl std::fmt::Display for Anomaly {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "no linearization; the longest order found ends with:")?;
        let from = self.linearized.len().saturating_sub(12);
        for e in &self.linearized[from..] {
            writeln!(f, "  {e}")?;
        }
        writeln!(f, "in state {:?}, none of these fits next:", self.state)?;
        for e in &self.stuck {
            writeln!(f, "  {e}")?;
        }
        Ok(())
    }
}

/// The most steps a search that succeeded took, in this process.
pub static LARGEST_SEARCH: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// The search's bound: a history too large to decide fails the test rather
/// than passing unchecked. `BLUE_HISTORY_STEPS` sets another.
fn max_steps() -> u64 {
    std::env::var("BLUE_HISTORY_STEPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_000_000)
}

/// Whether `history` has a linearization from `init`; the anomaly when
/// it has none.
pub fn linearize(history: &[Entry], init: &State) -> Result<(), Box<Anomaly>> {
    let n = history.len();
    if n == 0 {
        return Ok(());
    }
    // Events: (time, is_return, entry). Calls sort before returns at the
    // same instant (the operations then overlap).
    let mut events: Vec<(u64, bool, usize)> = Vec::with_capacity(2 * n);
    for (i, e) in history.iter().enumerate() {
        events.push((e.call, false, i));
        events.push((e.end, true, i));
    }
    events.sort_unstable();
    // A doubly linked list over the events, so that linearized operations
    // are lifted out and put back in O(1).
    let len = events.len();
    let head = len; // sentinel
    let mut next: Vec<usize> = (1..=len + 1).collect();
    let mut prev: Vec<usize> = (0..=len)
        .map(|i| if i == 0 { head } else { i - 1 })
        .collect();
    next[head] = if len == 0 { usize::MAX } else { 0 };
    next[len - 1] = usize::MAX;
    let mut call_at = vec![0; n];
    let mut ret_at = vec![0; n];
    for (at, &(_, is_ret, i)) in events.iter().enumerate() {
        if is_ret {
            ret_at[i] = at;
        } else {
            call_at[i] = at;
        }
    }
    let lift = |next: &mut Vec<usize>, prev: &mut Vec<usize>, at: usize| {
        let (p, q) = (prev[at], next[at]);
        next[p] = q;
        if q != usize::MAX {
            prev[q] = p;
        }
    };
    let unlift = |next: &mut Vec<usize>, prev: &mut Vec<usize>, at: usize| {
        let (p, q) = (prev[at], next[at]);
        next[p] = at;
        if q != usize::MAX {
            prev[q] = at;
        }
    };

    let words = n.div_ceil(64);
    let mut done = vec![0u64; words];
    let mut seen: HashSet<(Vec<u64>, State)> = HashSet::new();
    // (entry, state before it, which of its possible states it took,
    // whether it was forced: see below).
    let mut stack: Vec<(usize, State, usize, bool)> = Vec::new();
    let mut state = init.clone();
    let mut at = next[head];
    let mut deepest: (usize, Vec<usize>, State) = (0, vec![], init.clone());
    let mut steps_taken = 0u64;
    let max_steps = max_steps();
    // Tries entry `i`'s possible states from `first` on; the chosen one.
    let try_from = |i: usize,
                    first: usize,
                    state: &State,
                    done: &mut Vec<u64>,
                    seen: &mut HashSet<(Vec<u64>, State)>|
     -> Option<(usize, State)> {
        let e = &history[i];
        let options = steps(&e.op, &e.out, state);
        done[i / 64] |= 1 << (i % 64);
        for (k, s) in options.into_iter().enumerate().skip(first) {
            if seen.insert((done.clone(), s.clone())) {
                return Some((k, s));
            }
        }
        done[i / 64] &= !(1 << (i % 64));
        None
    };
    loop {
        steps_taken += 1;
        if steps_taken >= max_steps {
            let a = anomaly(history, &events, deepest);
            panic!(
                "the history of {n} operations is too large to check within {max_steps} \
                 steps; the deepest point:\n{a}"
            );
        }
        if next[head] == usize::MAX {
            LARGEST_SEARCH.fetch_max(steps_taken, std::sync::atomic::Ordering::Relaxed);
            return Ok(());
        }
        let (_, is_ret, i) = events[at];
        if !is_ret {
            let e = &history[i];
            let options = steps(&e.op, &e.out, &state);
            let taken = if pure(e) && options.len() == 1 {
                // An operation that changes no state wherever it fits (a
                // read, a refused write) is taken as soon as it fits, and
                // never tried later: moving it to the front of any
                // linearization that takes it later is still one, since it
                // changes nothing and nothing pending had to come before
                // it. This keeps reads, which overlap much, from
                // multiplying the search. (A delete that finds nothing is
                // not one: later, it may delete something.)
                done[i / 64] |= 1 << (i % 64);
                if seen.insert((done.clone(), state.clone())) {
                    stack.push((i, state.clone(), 0, true));
                    true
                } else {
                    // Tried before from here, and failed: so does this.
                    done[i / 64] &= !(1 << (i % 64));
                    false
                }
            } else if let Some((k, s)) = try_from(i, 0, &state, &mut done, &mut seen) {
                stack.push((i, std::mem::replace(&mut state, s), k, false));
                true
            } else {
                at = next[at];
                continue;
            };
            if taken {
                lift(&mut next, &mut prev, call_at[i]);
                lift(&mut next, &mut prev, ret_at[i]);
                at = next[head];
                if stack.len() > deepest.0 {
                    let order = stack.iter().map(|(i, _, _, _)| *i).collect();
                    deepest = (stack.len(), order, state.clone());
                }
                continue;
            }
        }
        // A return of an operation not linearized yet (or a forced one
        // that leads where the search failed before): undo the last
        // choice, and try what comes after it.
        loop {
            let Some((i, before, k, forced)) = stack.pop() else {
                return Err(Box::new(anomaly(history, &events, deepest)));
            };
            done[i / 64] &= !(1 << (i % 64));
            unlift(&mut next, &mut prev, ret_at[i]);
            unlift(&mut next, &mut prev, call_at[i]);
            state = before;
            if forced {
                // Taken as soon as it fitted: the state before it fails too.
                continue;
            }
            if let Some((k, s)) = try_from(i, k + 1, &state, &mut done, &mut seen) {
                stack.push((i, std::mem::replace(&mut state, s), k, false));
                lift(&mut next, &mut prev, call_at[i]);
                lift(&mut next, &mut prev, ret_at[i]);
                at = next[head];
            } else {
                at = next[call_at[i]];
            }
            break;
        }
    }
}

/// The anomaly report from the deepest point the search reached: the
/// operations that were pending there.
fn anomaly(
    history: &[Entry],
    events: &[(u64, bool, usize)],
    (_, order, state): (usize, Vec<usize>, State),
) -> Anomaly {
    let done: HashSet<usize> = order.iter().copied().collect();
    // Pending: not linearized, called before the first return of an
    // operation not linearized.
    let first_return = events
        .iter()
        .find(|(_, is_ret, i)| *is_ret && !done.contains(i))
        .map_or(u64::MAX, |(t, _, _)| *t);
    let stuck = history
        .iter()
        .enumerate()
        .filter(|(i, e)| !done.contains(i) && e.call <= first_return)
        .map(|(_, e)| e.clone())
        .collect();
    Anomaly {
        linearized: order.iter().map(|&i| history[i].clone()).collect(),
        stuck,
        state,
    }
}

/// The key an operation touches, for histories without transactions; `None`
/// for an operation on several keys.
fn key_of(op: &Op) -> Option<u8> {
    match op {
        Op::Get(k)
        | Op::Indexed(k)
        | Op::Put(k, _)
        | Op::Create(k, _)
        | Op::PutIf(k, _, _)
        | Op::Add(k, _)
        | Op::Shift(k, _)
        | Op::Delete(k) => Some(*k),
        Op::GetDoc | Op::PutDoc(..) => Some(KEYS),
        Op::Transfer(..) | Op::Snapshot | Op::Index => None,
    }
}

/// Index reads, as the weaker contract reads them: an index read is one
/// read of each cell ([`Op::Indexed`], its count or its absence), called
/// `lag` nanoseconds before the read was, so each cell may show any state
/// it held from then to the read's end, and the cells need not agree with
/// each other (a DynamoDB index applies each item's change on its own).
/// A cell the index shows is whole, as some write left it, or the read has
/// no place in the history.
pub fn with_index_reads(history: &[Entry], lag: u64) -> Vec<Entry> {
    let mut out = Vec::with_capacity(history.len());
    for e in history {
        match (&e.op, &e.out) {
            (Op::Index, Ret::Index(shown)) => {
                for k in 0..KEYS {
                    let count = shown.iter().find(|(id, _)| *id == k).map(|(_, c)| *c);
                    out.push(Entry {
                        op: Op::Indexed(k),
                        out: Ret::Value(count),
                        call: e.call.saturating_sub(lag),
                        ..e.clone()
                    });
                }
            }
            // An index read whose answer never came says nothing.
            (Op::Index, _) => {}
            _ => out.push(e.clone()),
        }
    }
    out
}

/// Checks a whole history (index reads expanded by [`with_index_reads`]).
/// A history with operations on several keys is checked as one object
/// (strict serializability of its transactions), index reads left out;
/// then every history key by key ([`per_key`]), index reads in.
pub fn check(history: &[Entry], init: &State) -> Result<(), Box<Anomaly>> {
    if history.iter().any(|e| key_of(&e.op).is_none()) {
        // The cells, which transactions tie together; the document is a
        // key of its own (no transaction touches it), checked by
        // `per_key`: left in, its operations would multiply the orders
        // the search tries by theirs.
        let whole: Vec<Entry> = history
            .iter()
            .filter(|e| !matches!(e.op, Op::Indexed(_) | Op::GetDoc | Op::PutDoc(..)))
            .cloned()
            .collect();
        linearize(&whole, init)?;
    }
    per_key(history, init)
}

/// Checks each key's history on its own (P-compositionality: a history of
/// single-key operations is linearizable if and only if each key's is). An
/// operation on several keys is projected on each: a transfer that
/// committed adds to one cell and takes from the other ([`Op::Shift`]), a
/// transactional read reads each cell; a cancelled transfer is left out.
/// For a history with transactions this is a necessary condition, cheap
/// enough to carry the index reads, whose windows make the search of the
/// whole object wide.
pub fn per_key(history: &[Entry], init: &State) -> Result<(), Box<Anomaly>> {
    let mut keys: Vec<Vec<Entry>> = vec![Vec::new(); usize::from(KEYS) + 1];
    for e in history {
        if let Some(k) = key_of(&e.op) {
            keys[usize::from(k)].push(e.clone());
            continue;
        }
        match (&e.op, &e.out) {
            (Op::Transfer(from, to, amount), Ret::Ok | Ret::Unknown) => {
                for (k, by) in [(*from, -amount), (*to, *amount)] {
                    keys[usize::from(k)].push(Entry {
                        op: Op::Shift(k, by),
                        out: if e.out == Ret::Ok {
                            Ret::Ok
                        } else {
                            Ret::Unknown
                        },
                        ..e.clone()
                    });
                }
            }
            (Op::Snapshot, Ret::Snapshot(all)) => {
                for (k, count) in all.iter().enumerate() {
                    keys[k].push(Entry {
                        op: Op::Get(k as u8),
                        out: Ret::Value(*count),
                        ..e.clone()
                    });
                }
            }
            _ => {}
        }
    }
    for part in keys {
        linearize(&part, init)?;
    }
    Ok(())
}

//! Random data and random typed queries, paged at random sizes, against the
//! reference semantics: the backend's range reads, resumption and ordering
//! must agree with `QuerySpec::selects` and byte order for every shape.

use blue_schema::{Cursor, Entity, FromItem, IntoQuery, Query, Store};
use blue_schema_examples::dialogue::*;
use serde::Serialize;

use crate::queries::{reference, Row};

/// A small xorshift generator: deterministic, so a failure names its seed.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// Names that collide with prefixes, delimiters, escapes and the fence.
const NAMES: &[&str] = &[
    "",
    "a",
    "a#",
    "a#b",
    "a%",
    "a%23",
    "a$",
    "ab",
    "b",
    "m",
    "mu",
    "muf",
    "muffin",
    "z",
    "ü",
    "\u{10FFFF}",
    "a\u{10FFFF}",
];

fn name(rng: &mut Rng) -> String {
    (*rng.pick(NAMES)).to_owned()
}

async fn put<E: Entity>(store: &Store, rows: &mut Vec<Row>, item: E) {
    store.put(&item).await.unwrap();
    let (pk, sk) = item.key().into_parts();
    let json = serde_json::to_value(&item).unwrap();
    rows.retain(|r| (&r.pk, &r.sk) != (&pk, &sk));
    rows.push(Row { pk, sk, json });
}

pub async fn fill(store: &Store, rng: &mut Rng, d: &str) -> Vec<Row> {
    let mut rows = Vec::new();
    for _ in 0..12 {
        let item = Expert {
            dialogue_id: d.into(),
            name: name(rng),
            role: "r".into(),
            tier: rng.below(3) as u8,
            score: rng.below(100) as i32 - 50,
        };
        put(store, &mut rows, item).await;
    }
    for _ in 0..30 {
        let item = Perspective {
            dialogue_id: d.into(),
            round: rng.below(4) as u32 * 5,
            expert: name(rng),
            seq: rng.below(3) as u32,
            label: "l".into(),
            content: "c".into(),
            status: Status::Open,
        };
        put(store, &mut rows, item).await;
    }
    for _ in 0..10 {
        let item = TensionEvent {
            dialogue_id: d.into(),
            tension_id: name(rng),
            at: rng.below(4) * 1_000_000_000,
            event_type: "e".into(),
            actor: "a".into(),
            reason: "r".into(),
        };
        put(store, &mut rows, item).await;
    }
    rows
}

pub fn expert_query(rng: &mut Rng, d: &str) -> Query<Expert> {
    let q = Expert::query(d);
    let (a, b) = (name(rng), name(rng));
    let (lo, hi) = if a <= b {
        (a.clone(), b)
    } else {
        (b, a.clone())
    };
    match rng.below(8) {
        0 => q.into_query(),
        1 => q.name(a.as_str()).into_query(),
        2 => q.name_lt(a.as_str()),
        3 => q.name_le(a.as_str()),
        4 => q.name_gt(a.as_str()),
        5 => q.name_ge(a.as_str()),
        6 => q.name_between(lo.as_str(), hi.as_str()),
        _ => q.name_starts_with(a.as_str()),
    }
}

pub fn perspective_query(rng: &mut Rng, d: &str) -> Query<Perspective> {
    let round = rng.below(4) as u32 * 5;
    let (x, y) = (rng.below(20) as u32, rng.below(20) as u32);
    let expert = name(rng);
    let seq = rng.below(3) as u32;
    let q = Perspective::query(d);
    match rng.below(10) {
        0 => q.into_query(),
        1 => q.round(round).into_query(),
        2 => q.round_between(x.min(y), x.max(y)),
        3 => q.round_lt(x),
        4 => q.round_gt(x),
        5 => q.round(round).expert(expert.as_str()).into_query(),
        6 => q.round(round).expert_starts_with(expert.as_str()),
        7 => q.round(round).expert_ge(expert.as_str()),
        8 => q.round(round).expert(expert.as_str()).seq_le(seq),
        _ => q.round(round).expert(expert.as_str()).seq(seq).into_query(),
    }
}

pub fn event_query(rng: &mut Rng, d: &str) -> Query<TensionEvent> {
    let t = name(rng);
    let at = rng.below(4) * 1_000_000_000;
    let q = TensionEvent::query(d);
    match rng.below(5) {
        0 => q.into_query(),
        1 => q.tension_id(t.as_str()).into_query(),
        2 => q.tension_id(t.as_str()).at_lt(at),
        3 => q.tension_id(t.as_str()).at_ge(at),
        _ => q.tension_id_lt(t.as_str()),
    }
}

/// Runs `query` in pages of a random size (or unlimited) in a random order
/// and compares every item with the reference, and `all()` too.
async fn check<R>(store: &Store, rows: &[Row], rng: &mut Rng, query: Query<R>, case: u64)
where
    R: FromItem + Serialize + Send + 'static,
{
    let query = if rng.below(2) == 0 {
        query
    } else {
        query.reverse()
    };
    let expected: Vec<&serde_json::Value> = reference(rows, query.spec())
        .iter()
        .map(|r| &r.json)
        .collect();
    let limit = rng.below(6) as u32;
    let mut got = Vec::new();
    let mut cursor: Option<Cursor> = None;
    loop {
        let mut q = query.clone();
        if limit > 0 {
            q = q.page_size(limit);
        }
        if let Some(c) = cursor.take() {
            q = q.after(c);
        }
        let page = store.query(q).page().await.unwrap();
        got.extend(page.items.iter().map(|i| serde_json::to_value(i).unwrap()));
        match page.cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    let got_refs: Vec<&serde_json::Value> = got.iter().collect();
    assert_eq!(
        got_refs,
        expected,
        "case {case}: {} (limit {limit})",
        query.spec()
    );
    let all = store.query(query.clone()).all().await.unwrap();
    assert_eq!(all.len(), expected.len(), "case {case}: {}", query.spec());
}

pub async fn random_queries_match_the_reference(store: Store) {
    store.create_table::<Dialogue>().await.unwrap();
    let seed = 0x5EED_B1E5_C4E3_A001;
    let mut rng = Rng(seed);
    let mut rows = fill(&store, &mut rng, "d").await;
    rows.extend(fill(&store, &mut rng, "d#").await);
    for case in 0..300 {
        let d = if rng.below(4) == 0 { "d#" } else { "d" };
        match rng.below(3) {
            0 => {
                let q = expert_query(&mut rng, d);
                check(&store, &rows, &mut rng, q, case).await
            }
            1 => {
                let q = perspective_query(&mut rng, d);
                check(&store, &rows, &mut rng, q, case).await
            }
            _ => {
                let q = event_query(&mut rng, d);
                check(&store, &rows, &mut rng, q, case).await
            }
        }
    }
}

//! The hand-written baseline of the SQLite benchmark: what a careful
//! application writes with rusqlite and serde_json for the store's
//! semantics (the same table and index columns, `created_at` kept by the
//! upsert, the guard that no program overwrites an item a newer shape of
//! its entity wrote, DynamoDB's page rules where a `_paged` reader says so).

use std::path::Path;
use std::time::Duration;

use blue_schema::docs::sqlite_ddl;
use blue_schema::Table;
use blue_schema_examples::dialogue::*;
use rusqlite::{params, Connection};

use crate::fixtures::{cards, now, D};

pub(crate) fn raw_open(path: &Path) -> Connection {
    let db = Connection::open(path).unwrap();
    db.busy_timeout(Duration::from_secs(5)).unwrap();
    let _: String = db
        .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
        .unwrap();
    db.pragma_update(None, "synchronous", "NORMAL").unwrap();
    register_raw_shape(&db);
    // Opened again by the async benchmarks' worker: the views, like the
    // tables, are made only once.
    let ddl = sqlite_ddl(&Dialogue::SCHEMA).replace("CREATE VIEW ", "CREATE VIEW IF NOT EXISTS ");
    db.execute_batch(&ddl).unwrap();
    db
}

/// What a hand-written program whose entities change shape runs in a
/// put's conflict clause, as the store's `blue_shape` does: the stored
/// row's shape, 1 when it has none (a vectorised search for the quoted
/// name, the item parsed only when it is there). A put replaces a row
/// only if no newer program wrote it (the DynamoDB baselines carry the
/// same guard as a condition).
pub(crate) fn register_raw_shape(db: &Connection) {
    use rusqlite::functions::FunctionFlags;
    use rusqlite::types::ValueRef;
    let name = memchr::memmem::Finder::new(b"\"_shape\"").into_owned();
    db.create_scalar_function(
        "raw_shape",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        move |ctx| {
            Ok(match ctx.get_raw(0) {
                ValueRef::Text(text) if name.find(text).is_some() => {
                    serde_json::from_slice::<serde_json::Value>(text)
                        .ok()
                        .and_then(|item| item.get("_shape")?.as_i64())
                        .unwrap_or(1)
                }
                _ => 1,
            })
        },
    )
    .unwrap();
}

/// Setting up and loading in bulk: no guard, as the store's `put_all`
/// checks nothing (DynamoDB's batch writes cannot).
pub(crate) const RAW_UPSERT: &str =
    "INSERT INTO blue_dialogue (pk, sk, data, created_at, size, updated_at) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?4) \
     ON CONFLICT (pk, sk) DO UPDATE SET data = excluded.data, size = excluded.size, \
     updated_at = excluded.updated_at";
/// A put: [`RAW_UPSERT`] that replaces only a row no newer program wrote
/// (the store's put binds its shape; 1 here, written in).
pub(crate) const RAW_PUT_UPSERT: &str =
    "INSERT INTO blue_dialogue (pk, sk, data, created_at, size, updated_at) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?4) \
     ON CONFLICT (pk, sk) DO UPDATE SET data = excluded.data, size = excluded.size, \
     updated_at = excluded.updated_at WHERE raw_shape(data) <= 1";
pub(crate) const RAW_INSERT_NEW: &str =
    "INSERT INTO blue_dialogue (pk, sk, data, created_at, size, updated_at) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?4) ON CONFLICT (pk, sk) DO NOTHING";
pub(crate) const RAW_REWRITE: &str =
    "UPDATE blue_dialogue SET data = ?3, size = ?4, updated_at = ?5 WHERE pk = ?1 AND sk = ?2";
pub(crate) const RAW_GET: &str = "SELECT data FROM blue_dialogue WHERE pk = ?1 AND sk = ?2";
pub(crate) const RAW_RANGE: &str =
    "SELECT sk, data FROM blue_dialogue WHERE pk = ?1 AND sk >= ?2 AND sk < ?3 ORDER BY sk";

/// An expert's JSON with its index keys (experts by role, `gsi1`), as
/// hand-written code that maintains the index writes it.
pub(crate) fn raw_expert_json(e: &Expert) -> String {
    let mut data = serde_json::to_string(e).unwrap();
    data.pop();
    let escape = |text: &str| text.replace('%', "%25").replace('#', "%23");
    data.push_str(&format!(
        ",\"gsi1pk\":\"ROLE#{}\",\"gsi1sk\":\"EXPERT#{:03}#{}#{}\"}}",
        e.role.replace(' ', "%20"),
        e.tier,
        escape(&e.dialogue_id),
        escape(&format!("EXPERT#{}", e.name))
    ));
    data
}

pub(crate) const RAW_BY_ROLE: &str = "SELECT gsi1_sk, data FROM blue_dialogue \
     WHERE gsi1_pk = ?1 AND gsi1_sk >= ?2 AND gsi1_sk < ?3 ORDER BY gsi1_sk";

pub(crate) const RAW_VIEWED_BY_OWNER: &str = "SELECT data FROM bench_viewed \
     WHERE gsi1_pk = ?1 AND gsi1_sk >= ?2 AND gsi1_sk < ?3 ORDER BY gsi1_sk";

pub(crate) const RAW_RANKED_UPSERT: &str =
    "INSERT INTO bench_ranked (pk, sk, data, created_at, size, updated_at) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?4) \
     ON CONFLICT (pk, sk) DO UPDATE SET data = excluded.data, size = excluded.size, \
     updated_at = excluded.updated_at WHERE raw_shape(data) <= 1";
/// An owner's ranked cards through the multi-attribute index's columns, as
/// hand-written SQL over the same composite index reads them.
pub(crate) const RAW_RANKED_BY_OWNER: &str = "SELECT data FROM bench_ranked \
     WHERE gsi1_owner = ?1 AND gsi1_rank >= ?2 AND gsi1_owner IS NOT NULL AND gsi1_rank IS NOT NULL \
     ORDER BY gsi1_rank, pk, sk";

pub(crate) fn raw_ranked_by_owner(db: &Connection, owner: &str) -> Vec<cards::RankedCard> {
    let mut stmt = db.prepare_cached(RAW_RANKED_BY_OWNER).unwrap();
    let mut rows = stmt.query(params![owner, 0]).unwrap();
    let mut out = Vec::new();
    while let Some(row) = rows.next().unwrap() {
        out.push(serde_json::from_str(row.get_ref(0).unwrap().as_str().unwrap()).unwrap());
    }
    out
}

/// [`raw_ranked_by_owner`] with DynamoDB's page rules: each row's size
/// for the 1 MB cut, and the last row's sort values and table key kept
/// for the cursor.
pub(crate) const RAW_RANKED_BY_OWNER_SIZED: &str = "SELECT gsi1_rank, pk, sk, data, size FROM bench_ranked \
     WHERE gsi1_owner = ?1 AND gsi1_rank >= ?2 AND gsi1_owner IS NOT NULL AND gsi1_rank IS NOT NULL \
     ORDER BY gsi1_rank, pk, sk";

pub(crate) type RankedPosition = (i64, String, String);

pub(crate) fn raw_ranked_by_owner_paged(
    db: &Connection,
    owner: &str,
) -> (Vec<cards::RankedCard>, Option<RankedPosition>) {
    let mut stmt = db.prepare_cached(RAW_RANKED_BY_OWNER_SIZED).unwrap();
    let mut rows = stmt.query(params![owner, 0]).unwrap();
    let mut out = Vec::new();
    let mut bytes = 0i64;
    let (mut rank, mut pk, mut sk) = (0i64, String::new(), String::new());
    while let Some(row) = rows.next().unwrap() {
        let size = row.get_ref(4).unwrap().as_i64().unwrap();
        if !out.is_empty() && bytes + size > 1 << 20 {
            return (out, Some((rank, pk, sk)));
        }
        bytes += size;
        out.push(serde_json::from_str(row.get_ref(3).unwrap().as_str().unwrap()).unwrap());
        rank = row.get_ref(0).unwrap().as_i64().unwrap();
        for (buffer, column) in [(&mut pk, 1), (&mut sk, 2)] {
            buffer.clear();
            buffer.push_str(row.get_ref(column).unwrap().as_str().unwrap());
        }
    }
    (out, None)
}

pub(crate) fn raw_put_ranked(db: &Connection, card: &cards::RankedCard) {
    let data = serde_json::to_string(card).unwrap();
    let sk = format!("CARD#{:010}", card.id);
    db.prepare_cached(RAW_RANKED_UPSERT)
        .unwrap()
        .execute(params![card.deck, sk, data, now(), data.len() as i64])
        .unwrap();
}

/// What a hand-written reader of the viewed cards' index keeps of each:
/// the fields a `CardLine` has.
#[derive(serde::Deserialize)]
#[allow(dead_code)]
pub(crate) struct RawLine {
    deck: String,
    id: u32,
    owner: String,
    rank: u32,
    title: String,
}

/// The lines of an owner's cards: the index's partition, each item's JSON
/// read for those fields only.
pub(crate) fn raw_lines_by_owner(db: &Connection, owner: &str) -> Vec<RawLine> {
    let mut stmt = db.prepare_cached(RAW_VIEWED_BY_OWNER).unwrap();
    let pk = format!("OWNER#{owner}");
    let mut rows = stmt.query(params![pk, "CARD#", "CARD$"]).unwrap();
    let mut out = Vec::new();
    while let Some(row) = rows.next().unwrap() {
        out.push(serde_json::from_str(row.get_ref(0).unwrap().as_str().unwrap()).unwrap());
    }
    out
}

/// [`raw_lines_by_owner`] with DynamoDB's page rules: each entry sized as
/// DynamoDB sizes an `INCLUDE` entry (its four keys and the attributes it
/// holds: `owner`, `rank`, `title`) for the 1 MB cut, and the last row's
/// index sort key kept for the cursor.
pub(crate) const RAW_VIEWED_BY_OWNER_SIZED: &str =
    "SELECT gsi1_sk, data, pk, sk FROM bench_viewed \
     WHERE gsi1_pk = ?1 AND gsi1_sk >= ?2 AND gsi1_sk < ?3 ORDER BY gsi1_sk";

pub(crate) fn raw_lines_by_owner_paged(
    db: &Connection,
    owner: &str,
) -> (Vec<RawLine>, Option<String>) {
    // DynamoDB's size of a number: a byte per two significant digits, and one.
    pub(crate) fn number_size(n: u32) -> usize {
        let digits = if n == 0 {
            0
        } else {
            let mut n = n;
            while n.is_multiple_of(10) {
                n /= 10;
            }
            n.ilog10() as usize + 1
        };
        digits.div_ceil(2) + 1
    }
    let mut stmt = db.prepare_cached(RAW_VIEWED_BY_OWNER_SIZED).unwrap();
    let index_pk = format!("OWNER#{owner}");
    let mut rows = stmt.query(params![index_pk, "CARD#", "CARD$"]).unwrap();
    let mut out: Vec<RawLine> = Vec::new();
    let mut bytes = 0;
    let mut last = String::new();
    while let Some(row) = rows.next().unwrap() {
        let index_sk = row.get_ref(0).unwrap().as_str().unwrap();
        let line: RawLine =
            serde_json::from_str(row.get_ref(1).unwrap().as_str().unwrap()).unwrap();
        let pk = row.get_ref(2).unwrap().as_str().unwrap();
        let sk = row.get_ref(3).unwrap().as_str().unwrap();
        let size = "pk".len()
            + pk.len()
            + "sk".len()
            + sk.len()
            + "gsi1pk".len()
            + index_pk.len()
            + "gsi1sk".len()
            + index_sk.len()
            + "owner".len()
            + line.owner.len()
            + "rank".len()
            + number_size(line.rank)
            + "title".len()
            + line.title.len();
        if !out.is_empty() && bytes + size > 1 << 20 {
            return (out, Some(last));
        }
        bytes += size;
        out.push(line);
        last.clear();
        last.push_str(index_sk);
    }
    (out, None)
}

/// Experts by role: the index's partition, decoded.
pub(crate) fn raw_by_role(db: &Connection, role: &str) -> Vec<Expert> {
    let mut stmt = db.prepare_cached(RAW_BY_ROLE).unwrap();
    let pk = format!("ROLE#{}", role.replace(' ', "%20"));
    let mut rows = stmt.query(params![pk, "EXPERT#", "EXPERT$"]).unwrap();
    let mut out = Vec::new();
    while let Some(row) = rows.next().unwrap() {
        out.push(serde_json::from_str(row.get_ref(1).unwrap().as_str().unwrap()).unwrap());
    }
    out
}

/// A partition's experts whose score is positive: every row read, parsed,
/// tested, decoded (a filter with DynamoDB's page rules reads them all).
pub(crate) fn raw_filtered(db: &Connection, d: &str) -> Vec<Expert> {
    let mut stmt = db.prepare_cached(RAW_RANGE).unwrap();
    let mut rows = stmt.query(params![d, "EXPERT#", "EXPERT$"]).unwrap();
    let mut out = Vec::new();
    while let Some(row) = rows.next().unwrap() {
        let value: serde_json::Value =
            serde_json::from_str(row.get_ref(1).unwrap().as_str().unwrap()).unwrap();
        if value["score"].as_i64().is_some_and(|s| s > 0) {
            out.push(serde_json::from_value(value).unwrap());
        }
    }
    out
}

pub(crate) fn raw_put_expert(db: &Connection, sql: &str, e: &Expert) -> usize {
    let data = raw_expert_json(e);
    let sk = format!("EXPERT#{}", e.name);
    db.prepare_cached(sql)
        .unwrap()
        .execute(params![e.dialogue_id, sk, data, now(), data.len() as i64])
        .unwrap()
}

pub(crate) fn raw_put_perspective(db: &Connection, p: &Perspective) {
    let data = serde_json::to_string(p).unwrap();
    let sk = format!("PERSP#{:010}#{}#{:010}", p.round, p.expert, p.seq);
    db.prepare_cached(RAW_UPSERT)
        .unwrap()
        .execute(params![p.dialogue_id, sk, data, now(), data.len() as i64])
        .unwrap();
}

pub(crate) fn raw_get_expert(db: &Connection, d: &str, name: &str) -> Option<Expert> {
    let mut stmt = db.prepare_cached(RAW_GET).unwrap();
    let mut rows = stmt.query(params![d, format!("EXPERT#{name}")]).unwrap();
    rows.next()
        .unwrap()
        .map(|row| serde_json::from_str(row.get_ref(0).unwrap().as_str().unwrap()).unwrap())
}

pub(crate) fn raw_experts(db: &Connection, d: &str) -> Vec<Expert> {
    let mut stmt = db.prepare_cached(RAW_RANGE).unwrap();
    let mut rows = stmt.query(params![d, "EXPERT#", "EXPERT$"]).unwrap();
    let mut out = Vec::new();
    while let Some(row) = rows.next().unwrap() {
        out.push(serde_json::from_str(row.get_ref(1).unwrap().as_str().unwrap()).unwrap());
    }
    out
}

pub(crate) fn raw_partition(db: &Connection, d: &str) -> Vec<Dialogue> {
    let mut stmt = db.prepare_cached(RAW_RANGE).unwrap();
    let mut rows = stmt.query(params![d, "", "\u{10FFFF}"]).unwrap();
    let mut out = Vec::new();
    while let Some(row) = rows.next().unwrap() {
        let sk = row.get_ref(0).unwrap().as_str().unwrap();
        out.push(raw_dialogue(sk, row.get_ref(1).unwrap().as_str().unwrap()));
    }
    out
}

/// A row of the dialogue's partition as its entity, told by its sort key.
#[inline]
pub(crate) fn raw_dialogue(sk: &str, data: &str) -> Dialogue {
    if sk.starts_with("EXPERT#") {
        Dialogue::Expert(serde_json::from_str(data).unwrap())
    } else if sk.starts_with("PERSP#") {
        Dialogue::Perspective(serde_json::from_str(data).unwrap())
    } else if sk == "META" {
        Dialogue::Meta(serde_json::from_str(data).unwrap())
    } else if sk.starts_with("TENSION#") {
        Dialogue::Tension(serde_json::from_str(data).unwrap())
    } else {
        Dialogue::TensionEvent(serde_json::from_str(data).unwrap())
    }
}

/// The same reads with DynamoDB's page rules, as hand-written code that
/// promises them must read: each row's stored size (a page ends before
/// the row that would take it past 1 MB, and always holds its first) and
/// its key, kept for the cursor of a page so ended (the `_paged` rows of
/// the ratio table).
pub(crate) const RAW_RANGE_SIZED: &str = "SELECT sk, data, size FROM blue_dialogue \
     WHERE pk = ?1 AND sk >= ?2 AND sk < ?3 ORDER BY sk";
pub(crate) const RAW_BY_ROLE_SIZED: &str = "SELECT gsi1_sk, data, size FROM blue_dialogue \
     WHERE gsi1_pk = ?1 AND gsi1_sk >= ?2 AND gsi1_sk < ?3 ORDER BY gsi1_sk";

/// A page of `rows` (key, data, size), each decoded by `decode(key,
/// data)`: the items, and the key to resume after if the 1 MB rule ended
/// the page.
pub(crate) fn raw_page<T>(
    mut rows: rusqlite::Rows<'_>,
    decode: impl Fn(&str, &str) -> T,
) -> (Vec<T>, Option<String>) {
    let mut out = Vec::new();
    let mut bytes = 0i64;
    let mut last = String::new();
    while let Some(row) = rows.next().unwrap() {
        let size = row.get_ref(2).unwrap().as_i64().unwrap();
        if !out.is_empty() && bytes + size > 1 << 20 {
            return (out, Some(last));
        }
        bytes += size;
        let key = row.get_ref(0).unwrap().as_str().unwrap();
        out.push(decode(key, row.get_ref(1).unwrap().as_str().unwrap()));
        last.clear();
        last.push_str(key);
    }
    (out, None)
}

pub(crate) fn raw_experts_paged(db: &Connection, d: &str) -> (Vec<Expert>, Option<String>) {
    let mut stmt = db.prepare_cached(RAW_RANGE_SIZED).unwrap();
    let rows = stmt.query(params![d, "EXPERT#", "EXPERT$"]).unwrap();
    raw_page(rows, |_, data| serde_json::from_str(data).unwrap())
}

pub(crate) fn raw_by_role_paged(db: &Connection, role: &str) -> (Vec<Expert>, Option<String>) {
    let mut stmt = db.prepare_cached(RAW_BY_ROLE_SIZED).unwrap();
    let pk = format!("ROLE#{}", role.replace(' ', "%20"));
    let rows = stmt.query(params![pk, "EXPERT#", "EXPERT$"]).unwrap();
    raw_page(rows, |_, data| serde_json::from_str(data).unwrap())
}

pub(crate) fn raw_partition_paged(db: &Connection, d: &str) -> (Vec<Dialogue>, Option<String>) {
    let mut stmt = db.prepare_cached(RAW_RANGE_SIZED).unwrap();
    let rows = stmt.query(params![d, "", "\u{10FFFF}"]).unwrap();
    raw_page(rows, raw_dialogue)
}

/// Experts by key, in one read transaction (one snapshot, as the store's
/// `get_many` reads them): `None` where there is none.
pub(crate) fn raw_get_many(db: &mut Connection, d: &str, names: &[String]) -> Vec<Option<Expert>> {
    let tx = db.transaction().unwrap();
    let found = {
        let mut stmt = tx.prepare_cached(RAW_GET).unwrap();
        names
            .iter()
            .map(|name| {
                let sk = format!("EXPERT#{name}");
                let mut rows = stmt.query(params![d, sk]).unwrap();
                rows.next().unwrap().map(|row| {
                    serde_json::from_str(row.get_ref(0).unwrap().as_str().unwrap()).unwrap()
                })
            })
            .collect()
    };
    tx.commit().unwrap();
    found
}

pub(crate) fn raw_bulk(db: &mut Connection, experts: &[Expert]) {
    let tx = db
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .unwrap();
    {
        let created_at = now();
        let mut stmt = tx.prepare_cached(RAW_UPSERT).unwrap();
        for e in experts {
            let data = raw_expert_json(e);
            let sk = format!("EXPERT#{}", e.name);
            stmt.execute(params![
                e.dialogue_id,
                sk,
                data,
                created_at,
                data.len() as i64
            ])
            .unwrap();
        }
    }
    tx.commit().unwrap();
}

/// What a careful hand-written read-modify-write does for an update, a
/// conditional put or each action of a transaction, inside an IMMEDIATE
/// transaction the caller holds: read the item, decode it, check, change,
/// encode, write it back with its size and `updated_at`.
pub(crate) fn raw_change_expert(
    db: &Connection,
    d: &str,
    name: &str,
    change: impl FnOnce(&mut Expert) -> bool,
) -> bool {
    let sk = format!("EXPERT#{name}");
    let mut expert: Expert = {
        let mut stmt = db.prepare_cached(RAW_GET).unwrap();
        let mut rows = stmt.query(params![d, sk]).unwrap();
        let Some(row) = rows.next().unwrap() else {
            return false;
        };
        serde_json::from_str(row.get_ref(0).unwrap().as_str().unwrap()).unwrap()
    };
    if !change(&mut expert) {
        return false;
    }
    let data = raw_expert_json(&expert);
    db.prepare_cached(RAW_REWRITE)
        .unwrap()
        .execute(params![d, sk, data, data.len() as i64, now()])
        .unwrap();
    true
}

/// `score += 1` unless it would overflow, in one IMMEDIATE transaction.
pub(crate) fn raw_update(db: &mut Connection, name: &str) {
    let tx = db
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .unwrap();
    let done = raw_change_expert(&tx, D, name, |e| match e.score.checked_add(1) {
        Some(s) => {
            e.score = s;
            true
        }
        None => false,
    });
    assert!(done);
    tx.commit().unwrap();
}

/// Replace the item if its stored score is at least -1 000.
pub(crate) fn raw_put_when(db: &mut Connection, item: &Expert) {
    let tx = db
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .unwrap();
    let done = raw_change_expert(&tx, &item.dialogue_id, &item.name, |e| {
        if e.score < -1000 {
            return false;
        }
        *e = item.clone();
        true
    });
    assert!(done);
    tx.commit().unwrap();
}

/// Ten experts' scores incremented, all or none.
pub(crate) fn raw_transaction(db: &mut Connection, names: &[String]) {
    let tx = db
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .unwrap();
    for name in names {
        let done = raw_change_expert(&tx, D, name, |e| match e.score.checked_add(1) {
            Some(s) => {
                e.score = s;
                true
            }
            None => false,
        });
        assert!(done);
    }
    tx.commit().unwrap();
}

/// A closure run on the worker's connection.
pub(crate) type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// rusqlite from async code, as tokio-rusqlite does it: a thread owns the
/// connection and runs the closures it is sent, answering on a oneshot.
pub(crate) struct RawWorker {
    jobs: std::sync::mpsc::Sender<Job>,
}

impl RawWorker {
    pub(crate) fn new(path: &Path) -> RawWorker {
        let (jobs, received) = std::sync::mpsc::channel::<Job>();
        let path = path.to_owned();
        std::thread::spawn(move || {
            let mut db = raw_open(&path);
            for job in received {
                job(&mut db);
            }
        });
        RawWorker { jobs }
    }

    pub(crate) async fn call<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection) -> T + Send + 'static,
    ) -> T {
        let (answer, answered) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move |db| {
                let _ = answer.send(work(db));
            }))
            .unwrap();
        answered.await.unwrap()
    }
}

//! The SQLite backend against hand-written rusqlite doing the same work: the
//! same table and statements' shape, serde_json for the data, a timestamp
//! for created_at, in the same run on the same kind of database file (WAL,
//! `synchronous = NORMAL`). Report medians and throughput ratios:
//!
//! ```text
//! cargo bench -p blue-schema-benches --bench sqlite
//! python3 benches/ratios.py target/criterion sqlite_
//! ```
//!
//! Two ways of driving each side:
//!
//! * `sqlite_<op>`: synchronously on the calling thread, the
//!   `blocking::Store` against rusqlite called directly;
//! * `sqlite_async_<op>`: from async code (a tokio current-thread runtime),
//!   the async `Store`, which hands each operation to its worker thread,
//!   against rusqlite behind the same kind of hand-off written by hand (a
//!   thread owning the connection, fed closures over a channel and
//!   answering on a oneshot, as tokio-rusqlite does).
//!
//! The difference between a side's async and sync medians is the cost of
//! its hand-off.

#[path = "fixtures.rs"]
mod fixtures;

use std::future::IntoFuture;
use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use blue_schema::backend::sqlite::{Layout, SqliteConfig};
use blue_schema::blocking::Store;
use blue_schema::docs::sqlite_ddl;
use blue_schema::Table;
use blue_schema_examples::dialogue::*;
use criterion::{criterion_group, BatchSize, Criterion};
use fixtures::{cards, expert, now, perspective, D};
use rusqlite::{params, Connection};

/// The partition every read benchmark reads: 20 experts and 80 perspectives.
fn partition(d: &str) -> (Vec<Expert>, Vec<Perspective>) {
    (
        (0..20).map(|i| expert(d, i)).collect(),
        (0..80).map(|i| perspective(d, i)).collect(),
    )
}

// ---- the hand-written baseline ----

fn raw_open(path: &Path) -> Connection {
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
fn register_raw_shape(db: &Connection) {
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
const RAW_UPSERT: &str = "INSERT INTO blue_dialogue (pk, sk, data, created_at, size, updated_at) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?4) \
     ON CONFLICT (pk, sk) DO UPDATE SET data = excluded.data, size = excluded.size, \
     updated_at = excluded.updated_at";
/// A put: [`RAW_UPSERT`] that replaces only a row no newer program wrote
/// (the store's put binds its shape; 1 here, written in).
const RAW_PUT_UPSERT: &str =
    "INSERT INTO blue_dialogue (pk, sk, data, created_at, size, updated_at) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?4) \
     ON CONFLICT (pk, sk) DO UPDATE SET data = excluded.data, size = excluded.size, \
     updated_at = excluded.updated_at WHERE raw_shape(data) <= 1";
const RAW_INSERT_NEW: &str =
    "INSERT INTO blue_dialogue (pk, sk, data, created_at, size, updated_at) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?4) ON CONFLICT (pk, sk) DO NOTHING";
const RAW_REWRITE: &str =
    "UPDATE blue_dialogue SET data = ?3, size = ?4, updated_at = ?5 WHERE pk = ?1 AND sk = ?2";
const RAW_GET: &str = "SELECT data FROM blue_dialogue WHERE pk = ?1 AND sk = ?2";
const RAW_RANGE: &str =
    "SELECT sk, data FROM blue_dialogue WHERE pk = ?1 AND sk >= ?2 AND sk < ?3 ORDER BY sk";

/// An expert's JSON with its index keys (experts by role, `gsi1`), as
/// hand-written code that maintains the index writes it.
fn raw_expert_json(e: &Expert) -> String {
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

const RAW_BY_ROLE: &str = "SELECT gsi1_sk, data FROM blue_dialogue \
     WHERE gsi1_pk = ?1 AND gsi1_sk >= ?2 AND gsi1_sk < ?3 ORDER BY gsi1_sk";

const RAW_VIEWED_BY_OWNER: &str = "SELECT data FROM bench_viewed \
     WHERE gsi1_pk = ?1 AND gsi1_sk >= ?2 AND gsi1_sk < ?3 ORDER BY gsi1_sk";

const RAW_RANKED_UPSERT: &str =
    "INSERT INTO bench_ranked (pk, sk, data, created_at, size, updated_at) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?4) \
     ON CONFLICT (pk, sk) DO UPDATE SET data = excluded.data, size = excluded.size, \
     updated_at = excluded.updated_at WHERE raw_shape(data) <= 1";
/// An owner's ranked cards through the multi-attribute index's columns, as
/// hand-written SQL over the same composite index reads them.
const RAW_RANKED_BY_OWNER: &str = "SELECT data FROM bench_ranked \
     WHERE gsi1_owner = ?1 AND gsi1_rank >= ?2 AND gsi1_owner IS NOT NULL AND gsi1_rank IS NOT NULL \
     ORDER BY gsi1_rank, pk, sk";

fn raw_ranked_by_owner(db: &Connection, owner: &str) -> Vec<cards::RankedCard> {
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
const RAW_RANKED_BY_OWNER_SIZED: &str = "SELECT gsi1_rank, pk, sk, data, size FROM bench_ranked \
     WHERE gsi1_owner = ?1 AND gsi1_rank >= ?2 AND gsi1_owner IS NOT NULL AND gsi1_rank IS NOT NULL \
     ORDER BY gsi1_rank, pk, sk";

type RankedPosition = (i64, String, String);

fn raw_ranked_by_owner_paged(
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

fn raw_put_ranked(db: &Connection, card: &cards::RankedCard) {
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
struct RawLine {
    deck: String,
    id: u32,
    owner: String,
    rank: u32,
    title: String,
}

/// The lines of an owner's cards: the index's partition, each item's JSON
/// read for those fields only.
fn raw_lines_by_owner(db: &Connection, owner: &str) -> Vec<RawLine> {
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
const RAW_VIEWED_BY_OWNER_SIZED: &str = "SELECT gsi1_sk, data, pk, sk FROM bench_viewed \
     WHERE gsi1_pk = ?1 AND gsi1_sk >= ?2 AND gsi1_sk < ?3 ORDER BY gsi1_sk";

fn raw_lines_by_owner_paged(db: &Connection, owner: &str) -> (Vec<RawLine>, Option<String>) {
    // DynamoDB's size of a number: a byte per two significant digits, and one.
    fn number_size(n: u32) -> usize {
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
fn raw_by_role(db: &Connection, role: &str) -> Vec<Expert> {
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
fn raw_filtered(db: &Connection, d: &str) -> Vec<Expert> {
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

fn raw_put_expert(db: &Connection, sql: &str, e: &Expert) -> usize {
    let data = raw_expert_json(e);
    let sk = format!("EXPERT#{}", e.name);
    db.prepare_cached(sql)
        .unwrap()
        .execute(params![e.dialogue_id, sk, data, now(), data.len() as i64])
        .unwrap()
}

fn raw_put_perspective(db: &Connection, p: &Perspective) {
    let data = serde_json::to_string(p).unwrap();
    let sk = format!("PERSP#{:010}#{}#{:010}", p.round, p.expert, p.seq);
    db.prepare_cached(RAW_UPSERT)
        .unwrap()
        .execute(params![p.dialogue_id, sk, data, now(), data.len() as i64])
        .unwrap();
}

fn raw_get_expert(db: &Connection, d: &str, name: &str) -> Option<Expert> {
    let mut stmt = db.prepare_cached(RAW_GET).unwrap();
    let mut rows = stmt.query(params![d, format!("EXPERT#{name}")]).unwrap();
    rows.next()
        .unwrap()
        .map(|row| serde_json::from_str(row.get_ref(0).unwrap().as_str().unwrap()).unwrap())
}

fn raw_experts(db: &Connection, d: &str) -> Vec<Expert> {
    let mut stmt = db.prepare_cached(RAW_RANGE).unwrap();
    let mut rows = stmt.query(params![d, "EXPERT#", "EXPERT$"]).unwrap();
    let mut out = Vec::new();
    while let Some(row) = rows.next().unwrap() {
        out.push(serde_json::from_str(row.get_ref(1).unwrap().as_str().unwrap()).unwrap());
    }
    out
}

fn raw_partition(db: &Connection, d: &str) -> Vec<Dialogue> {
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
fn raw_dialogue(sk: &str, data: &str) -> Dialogue {
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
const RAW_RANGE_SIZED: &str = "SELECT sk, data, size FROM blue_dialogue \
     WHERE pk = ?1 AND sk >= ?2 AND sk < ?3 ORDER BY sk";
const RAW_BY_ROLE_SIZED: &str = "SELECT gsi1_sk, data, size FROM blue_dialogue \
     WHERE gsi1_pk = ?1 AND gsi1_sk >= ?2 AND gsi1_sk < ?3 ORDER BY gsi1_sk";

/// A page of `rows` (key, data, size), each decoded by `decode(key,
/// data)`: the items, and the key to resume after if the 1 MB rule ended
/// the page.
fn raw_page<T>(
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

fn raw_experts_paged(db: &Connection, d: &str) -> (Vec<Expert>, Option<String>) {
    let mut stmt = db.prepare_cached(RAW_RANGE_SIZED).unwrap();
    let rows = stmt.query(params![d, "EXPERT#", "EXPERT$"]).unwrap();
    raw_page(rows, |_, data| serde_json::from_str(data).unwrap())
}

fn raw_by_role_paged(db: &Connection, role: &str) -> (Vec<Expert>, Option<String>) {
    let mut stmt = db.prepare_cached(RAW_BY_ROLE_SIZED).unwrap();
    let pk = format!("ROLE#{}", role.replace(' ', "%20"));
    let rows = stmt.query(params![pk, "EXPERT#", "EXPERT$"]).unwrap();
    raw_page(rows, |_, data| serde_json::from_str(data).unwrap())
}

fn raw_partition_paged(db: &Connection, d: &str) -> (Vec<Dialogue>, Option<String>) {
    let mut stmt = db.prepare_cached(RAW_RANGE_SIZED).unwrap();
    let rows = stmt.query(params![d, "", "\u{10FFFF}"]).unwrap();
    raw_page(rows, raw_dialogue)
}

fn raw_bulk(db: &mut Connection, experts: &[Expert]) {
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
fn raw_change_expert(
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
fn raw_update(db: &mut Connection, name: &str) {
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
fn raw_put_when(db: &mut Connection, item: &Expert) {
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
fn raw_transaction(db: &mut Connection, names: &[String]) {
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
type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// rusqlite from async code, as tokio-rusqlite does it: a thread owns the
/// connection and runs the closures it is sent, answering on a oneshot.
struct RawWorker {
    jobs: std::sync::mpsc::Sender<Job>,
}

impl RawWorker {
    fn new(path: &Path) -> RawWorker {
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

    async fn call<T: Send + 'static>(
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

// ---- the benchmarks ----

/// A store on the file `path`, its tables made in `layout`.
fn layout_store(path: &Path, layout: Layout) -> Store {
    let backend = SqliteConfig::file(path).layout(layout).open().unwrap();
    Store::from(blue_schema::Store::from_backend(backend))
}

/// The store (in `layout`) and the hand-written side's database, each
/// with the same partition.
fn stores(dir: &Path, layout: Layout) -> (Store, Connection) {
    let store = layout_store(&dir.join("ours.db"), layout);
    store.create_table::<Dialogue>().unwrap();
    let raw = raw_open(&dir.join("raw.db"));
    let (experts, perspectives) = partition(D);
    store.put_all(&experts).unwrap();
    store.put_all(&perspectives).unwrap();
    for e in &experts {
        raw_put_expert(&raw, RAW_UPSERT, e);
    }
    for p in &perspectives {
        raw_put_perspective(&raw, p);
    }
    (store, raw)
}

fn bench(c: &mut Criterion) {
    // Reads run first, on two databases written the same way; the write
    // benchmarks then add rows (a different number to each side).
    let dir = tempfile::tempdir().unwrap();
    let (store, raw) = stores(dir.path(), Layout::SingleTable);
    // The same partition in the tables layout (a table per entity): its
    // side of each group is `blue_schema_tables`.
    let tables_dir = tempfile::tempdir().unwrap();
    let (tables, _) = stores(tables_dir.path(), Layout::Tables);

    // Both sides return the same answers.
    let ours = store.get(Expert::key(D, "expert-00007")).unwrap();
    assert_eq!(ours, raw_get_expert(&raw, D, "expert-00007"));
    assert_eq!(
        store.query(Expert::query(D)).all().unwrap(),
        raw_experts(&raw, D)
    );
    assert_eq!(
        store.query(Dialogue::partition(D)).all().unwrap(),
        raw_partition(&raw, D)
    );
    assert_eq!(raw_partition(&raw, D).len(), 100);
    assert_eq!(
        tables.query(Dialogue::partition(D)).all().unwrap(),
        raw_partition(&raw, D)
    );
    let role = expert(D, 0).role;
    assert_eq!(
        store.query(Expert::by_role(role.as_str())).all().unwrap(),
        raw_by_role(&raw, &role)
    );
    assert_eq!(raw_by_role(&raw, &role).len(), 20);
    let positive = Expert::query(D).filter(Expert::attr().score.gt(0));
    assert_eq!(
        store.query(positive.clone()).all().unwrap(),
        raw_filtered(&raw, D)
    );
    assert!(!raw_filtered(&raw, D).is_empty() && raw_filtered(&raw, D).len() < 20);

    async_benches(c, store.as_async(), dir.path());

    let mut g = c.benchmark_group("sqlite_get");
    g.bench_function("blue_schema", |b| {
        b.iter(|| {
            store
                .get(Expert::key(D, black_box("expert-00007")))
                .unwrap()
        })
    });
    g.bench_function("rusqlite", |b| {
        b.iter(|| raw_get_expert(&raw, D, black_box("expert-00007")))
    });
    g.bench_function("blue_schema_tables", |b| {
        b.iter(|| {
            tables
                .get(Expert::key(D, black_box("expert-00007")))
                .unwrap()
        })
    });
    g.finish();

    let mut g = c.benchmark_group("sqlite_query_entity");
    g.bench_function("blue_schema", |b| {
        b.iter(|| store.query(Expert::query(black_box(D))).all().unwrap())
    });
    g.bench_function("rusqlite", |b| b.iter(|| raw_experts(&raw, black_box(D))));
    g.bench_function("blue_schema_tables", |b| {
        b.iter(|| tables.query(Expert::query(black_box(D))).all().unwrap())
    });
    g.finish();

    let mut g = c.benchmark_group("sqlite_partition");
    g.bench_function("blue_schema", |b| {
        b.iter(|| {
            store
                .query(Dialogue::partition(black_box(D)))
                .all()
                .unwrap()
        })
    });
    g.bench_function("rusqlite", |b| b.iter(|| raw_partition(&raw, black_box(D))));
    g.bench_function("blue_schema_tables", |b| {
        b.iter(|| {
            tables
                .query(Dialogue::partition(black_box(D)))
                .all()
                .unwrap()
        })
    });
    g.finish();

    let mut g = c.benchmark_group("sqlite_index_query");
    g.bench_function("blue_schema", |b| {
        b.iter(|| {
            store
                .query(Expert::by_role(black_box(role.as_str())))
                .all()
                .unwrap()
        })
    });
    g.bench_function("rusqlite", |b| {
        b.iter(|| raw_by_role(&raw, black_box(&role)))
    });
    g.bench_function("blue_schema_tables", |b| {
        b.iter(|| {
            tables
                .query(Expert::by_role(black_box(role.as_str())))
                .all()
                .unwrap()
        })
    });
    g.finish();

    // A projected pattern's view: 20 cards of 2 KB, their titles; the
    // hand-written side reads the same rows of the same file.
    store.create_table::<cards::Viewed>().unwrap();
    store.create_table::<cards::Ranked>().unwrap();
    for i in 0..1000 {
        store.put(&cards::viewed(i)).unwrap();
        store.put(&cards::ranked(i)).unwrap();
    }
    // A ranked card whose rank alternates: each put moves its entry.
    let mut moved = cards::ranked(7);
    let viewed_db = Connection::open(dir.path().join("ours.db")).unwrap();
    register_raw_shape(&viewed_db);
    let mut g = c.benchmark_group("sqlite_view_query");
    g.bench_function("blue_schema", |b| {
        b.iter(|| {
            store
                .query(cards::ViewedCard::by_owner(black_box("owner-7")))
                .all()
                .unwrap()
        })
    });
    g.bench_function("rusqlite", |b| {
        b.iter(|| raw_lines_by_owner(&viewed_db, black_box("owner-7")))
    });
    g.finish();

    // A multi-attribute index: owner-7's 20 cards by rank, and a put that
    // moves card 7's entry; the hand-written side reads and writes the
    // same rows of the same file, through the same composite index.
    let mut g = c.benchmark_group("sqlite_attribute_index_query");
    g.bench_function("blue_schema", |b| {
        b.iter(|| {
            store
                .query(cards::RankedCard::by_owner(black_box("owner-7")).rank_ge(0u32))
                .all()
                .unwrap()
        })
    });
    g.bench_function("rusqlite", |b| {
        b.iter(|| raw_ranked_by_owner(&viewed_db, black_box("owner-7")))
    });
    g.finish();
    let mut g = c.benchmark_group("sqlite_attribute_index_put");
    g.bench_function("blue_schema", |b| {
        b.iter(|| {
            moved.rank ^= 1;
            store.put(black_box(&moved)).unwrap()
        })
    });
    g.bench_function("rusqlite", |b| {
        b.iter(|| {
            moved.rank ^= 1;
            raw_put_ranked(&viewed_db, black_box(&moved))
        })
    });
    g.finish();

    let mut g = c.benchmark_group("sqlite_filtered_query");
    g.bench_function("blue_schema", |b| {
        b.iter(|| store.query(black_box(positive.clone())).all().unwrap())
    });
    g.bench_function("rusqlite", |b| b.iter(|| raw_filtered(&raw, black_box(D))));
    g.bench_function("blue_schema_tables", |b| {
        b.iter(|| tables.query(black_box(positive.clone())).all().unwrap())
    });
    g.finish();

    index_write_overhead(c, dir.path());
    feed_overhead(c, dir.path());
    metering_overhead(c, &store);

    let mut g = c.benchmark_group("sqlite_put");
    let item = expert(D, 7);
    g.bench_function("blue_schema", |b| {
        b.iter(|| store.put(black_box(&item)).unwrap())
    });
    g.bench_function("rusqlite", |b| {
        b.iter(|| raw_put_expert(&raw, RAW_PUT_UPSERT, black_box(&item)))
    });
    g.bench_function("blue_schema_tables", |b| {
        b.iter(|| tables.put(black_box(&item)).unwrap())
    });
    g.finish();

    let mut g = c.benchmark_group("sqlite_create");
    let mut n = 1_000_000;
    g.bench_function("blue_schema", |b| {
        b.iter(|| {
            n += 1;
            store.create(&expert("created", n)).unwrap()
        })
    });
    let mut n = 1_000_000;
    g.bench_function("rusqlite", |b| {
        b.iter(|| {
            n += 1;
            assert_eq!(
                raw_put_expert(&raw, RAW_INSERT_NEW, &expert("created", n)),
                1
            )
        })
    });
    g.finish();

    // The write side: the store's update, conditional put and transaction
    // against the hand-written read-check-write each of them does.
    let a = Expert::attr();
    let mut raw = raw;
    let mut g = c.benchmark_group("sqlite_update");
    g.bench_function("blue_schema", |b| {
        b.iter(|| {
            store
                .run(
                    store
                        .as_async()
                        .update(Expert::key(D, black_box("expert-00007")))
                        .add(a.score, 1),
                )
                .unwrap()
        })
    });
    g.bench_function("rusqlite", |b| {
        b.iter(|| raw_update(&mut raw, black_box("expert-00007")))
    });
    g.bench_function("blue_schema_tables", |b| {
        b.iter(|| {
            tables
                .run(
                    tables
                        .as_async()
                        .update(Expert::key(D, black_box("expert-00007")))
                        .add(a.score, 1),
                )
                .unwrap()
        })
    });
    g.finish();

    let mut g = c.benchmark_group("sqlite_put_when");
    g.bench_function("blue_schema", |b| {
        b.iter(|| {
            store
                .run(
                    store
                        .as_async()
                        .put(black_box(&item))
                        .when(a.score.ge(-1000)),
                )
                .unwrap()
        })
    });
    g.bench_function("rusqlite", |b| {
        b.iter(|| raw_put_when(&mut raw, black_box(&item)))
    });
    g.bench_function("blue_schema_tables", |b| {
        b.iter(|| {
            tables
                .run(
                    tables
                        .as_async()
                        .put(black_box(&item))
                        .when(a.score.ge(-1000)),
                )
                .unwrap()
        })
    });
    g.finish();

    let names: Vec<String> = (0..10).map(|i| format!("expert-{i:05}")).collect();
    let mut g = c.benchmark_group("sqlite_transaction_10");
    g.bench_function("blue_schema", |b| {
        b.iter(|| {
            let mut tx = store.as_async().transaction();
            for name in &names {
                tx.update(blue_schema::Update::new(Expert::key(D, name)).add(a.score, 1));
            }
            store.run(tx.commit()).unwrap()
        })
    });
    g.bench_function("rusqlite", |b| {
        b.iter(|| raw_transaction(&mut raw, black_box(&names)))
    });
    g.bench_function("blue_schema_tables", |b| {
        b.iter(|| {
            let mut tx = tables.as_async().transaction();
            for name in &names {
                tx.update(blue_schema::Update::new(Expert::key(D, name)).add(a.score, 1));
            }
            tables.run(tx.commit()).unwrap()
        })
    });
    g.finish();

    let mut g = c.benchmark_group("sqlite_bulk_100k");
    g.sample_size(10);
    let experts: Vec<Expert> = (0..100_000).map(|i| expert("bulk", i)).collect();
    g.bench_function("blue_schema", |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().unwrap();
                let store = Store::sqlite(dir.path().join("bulk.db")).unwrap();
                store.create_table::<Dialogue>().unwrap();
                (dir, store)
            },
            |(dir, store)| {
                store.put_all(&experts).unwrap();
                (dir, store)
            },
            BatchSize::PerIteration,
        )
    });
    g.bench_function("rusqlite", |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().unwrap();
                let db = raw_open(&dir.path().join("bulk.db"));
                (dir, db)
            },
            |(dir, mut db)| {
                raw_bulk(&mut db, &experts);
                (dir, db)
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

/// The same operations from async code: the store's hand-off to its worker
/// against rusqlite behind a hand-written one.
fn async_benches(c: &mut Criterion, store: &blue_schema::Store, dir: &Path) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let raw = std::sync::Arc::new(RawWorker::new(&dir.join("raw.db")));
    let ours = rt
        .block_on(store.get(Expert::key(D, "expert-00007")).into_future())
        .unwrap();
    let theirs = rt.block_on(raw.call(|db| raw_get_expert(db, D, "expert-00007")));
    assert_eq!(ours, theirs);

    let mut g = c.benchmark_group("sqlite_async_get");
    g.bench_function("blue_schema", |b| {
        b.iter(|| {
            rt.block_on(
                store
                    .get(Expert::key(D, black_box("expert-00007")))
                    .into_future(),
            )
            .unwrap()
        })
    });
    g.bench_function("rusqlite", |b| {
        b.iter(|| rt.block_on(raw.call(|db| raw_get_expert(db, D, black_box("expert-00007")))))
    });
    g.finish();

    let mut g = c.benchmark_group("sqlite_async_query_entity");
    g.bench_function("blue_schema", |b| {
        b.iter(|| {
            rt.block_on(store.query(Expert::query(black_box(D))).all())
                .unwrap()
        })
    });
    g.bench_function("rusqlite", |b| {
        b.iter(|| rt.block_on(raw.call(|db| raw_experts(db, black_box(D)))))
    });
    g.finish();

    let mut g = c.benchmark_group("sqlite_async_put");
    let item = expert(D, 7);
    g.bench_function("blue_schema", |b| {
        b.iter(|| {
            rt.block_on(store.put(black_box(&item)).into_future())
                .unwrap()
        })
    });
    let shared = std::sync::Arc::new(item.clone());
    g.bench_function("rusqlite", |b| {
        b.iter(|| {
            let item = shared.clone();
            rt.block_on(raw.call(move |db| raw_put_expert(db, RAW_PUT_UPSERT, &item)))
        })
    });
    g.finish();
}

/// Instruction counts, which repeat where this machine's clock does not:
/// `BLUE_BENCH_COUNT="<op> <side> <n>"` runs the set-up and then `n` calls
/// of one side of one synchronous benchmark, and nothing else. Run it under
/// callgrind with `n` and with 0; the difference over `n` is one call:
///
/// ```text
/// B=$(cargo bench -p blue-schema-benches --bench sqlite --no-run 2>&1 | grep -o "target/[^)]*")
/// BLUE_BENCH_COUNT="get blue_schema 2000" valgrind --tool=callgrind \
///     --callgrind-out-file=/dev/null $B 2>&1 | grep refs
/// ```
///
/// `<op>` is `get`, `put`, `query_entity`, `index_query`, `query_view`
/// (and `query_view_paged`, against code that also sizes each entry as
/// DynamoDB does and keeps the cursor),
/// `attr_query` and `attr_put` (a multi-attribute index's query, and a put
/// that moves the card in it; their `rusqlite` side is SQL over the same
/// index's columns; `attr_query_paged` the query against SQL that keeps
/// DynamoDB's page rules too),
/// `filtered_query`, `partition` (and `query_entity_paged`,
/// `index_query_paged` and `partition_paged`: the same store reads against
/// hand-written code that also keeps DynamoDB's page rules), `update`, `put_when`, `transaction_10`,
/// `put_card` (its `rusqlite` side is the card without indexes, its
/// `blue_schema` side the card with two), or `get_metered` and
/// `put_metered` (their `rusqlite` side is the store unmetered, their
/// `blue_schema` side a metered handle of it), or `put_ttl`, `get_ttl`
/// and `query_ttl` (their `rusqlite` side is a card in a table without
/// TTL, their `blue_schema` side the same card in a table with it), or
/// `put_feed`, `update_feed`, `delete_feed` (a put, then its delete),
/// `transaction_feed` (10 updates) and `put_all_feed` (10 cards): their
/// `rusqlite` side is the plain card's table, their `blue_schema` side the
/// same card's in a table with a change feed (the outbox's cost); or
/// `put_moving`, `update_moving`, `get_moving` (a moved card) and
/// `get_unmoved` (a card still under its old key): their `rusqlite` side
/// is a shape-2 card whose key does not move, their `blue_schema` side
/// the same card's whose key moves (a key move's cost); or `put_unique`
/// and `rename_unique` (an update that changes the handle): their
/// `rusqlite` side is a card with a handle, their `blue_schema` side the
/// same card whose handle is `#[unique]` (a unique field's cost);
/// `<side>` is `blue_schema` or `rusqlite`.
fn count(spec: &str) {
    let words: Vec<&str> = spec.split_whitespace().collect();
    let [op, side, n] = words[..] else {
        panic!("BLUE_BENCH_COUNT is \"<op> <side> <n>\", not {spec:?}");
    };
    let n: u32 = n.parse().expect("a count of calls");
    let dir = tempfile::tempdir().unwrap();
    // `blue_schema_tables`: the store in the tables layout (a table per
    // entity), against the same baseline.
    let layout = match side {
        "blue_schema_tables" => Layout::Tables,
        _ => Layout::SingleTable,
    };
    let (store, mut raw) = stores(dir.path(), layout);
    store.create_table::<cards::Plain>().unwrap();
    store.create_table::<cards::Indexed>().unwrap();
    store.create_table::<cards::Timed>().unwrap();
    store.create_table::<cards::Expiring>().unwrap();
    store.create_table::<cards::Streamed>().unwrap();
    store.create_table::<cards::Reshaped>().unwrap();
    store.create_table::<cards::Moving>().unwrap();
    store.create_table::<cards::Handled>().unwrap();
    store.create_table::<cards::Unique>().unwrap();
    store.create_table::<cards::Viewed>().unwrap();
    store.create_table::<cards::Ranked>().unwrap();
    for i in 0..1000 {
        store.put(&cards::viewed(i)).unwrap();
        store.put(&cards::ranked(i)).unwrap();
    }
    // A ranked card whose rank alternates: each put moves its entry.
    let mut moved = cards::ranked(7);
    // The hand-written reader reads the same rows, through the same index.
    let viewed_db = Connection::open(dir.path().join("ours.db")).unwrap();
    register_raw_shape(&viewed_db);
    for i in 0..20 {
        store.put(&cards::handled(i)).unwrap();
        store.put(&cards::unique(i)).unwrap();
        store.put(&cards::reshaped(i)).unwrap();
        // Cards 0-9 moved, 10-19 still under their old keys.
        store.put(&cards::moving_before(i)).unwrap();
        if i < 10 {
            store.put(&cards::moving(i)).unwrap();
        }
        store.put(&cards::timed(i)).unwrap();
        store.put(&cards::expiring(i)).unwrap();
        store.put(&cards::plain(i)).unwrap();
        store.put(&cards::streamed(i)).unwrap();
    }
    let (moving_rank, reshaped_rank) = (
        cards::MovingCard::attr().rank,
        cards::ReshapedCard::attr().rank,
    );
    let (plain_rank, streamed_rank) = (
        cards::PlainCard::attr().rank,
        cards::StreamedCard::attr().rank,
    );
    let item = expert(D, 7);
    let a = Expert::attr();
    let names: Vec<String> = (0..10).map(|i| format!("expert-{i:05}")).collect();
    let metered = store.metered();
    // The handles a rename alternates between.
    let mut renames = 0u32;
    let handle = |n: &mut u32| {
        *n += 1;
        format!("renamed-{}", *n % 2)
    };
    let ours = side == "blue_schema" || side == "blue_schema_tables";
    assert!(ours || side == "rusqlite", "unknown side {side:?}");
    for _ in 0..n {
        match (op, ours) {
            ("get", true) => drop(black_box(
                store
                    .get(Expert::key(D, black_box("expert-00007")))
                    .unwrap(),
            )),
            ("get", false) => drop(black_box(raw_get_expert(
                &raw,
                D,
                black_box("expert-00007"),
            ))),
            ("put", true) => store.put(black_box(&item)).unwrap(),
            ("put", false) => drop(black_box(raw_put_expert(
                &raw,
                RAW_PUT_UPSERT,
                black_box(&item),
            ))),
            // A `_paged` operation is the same store read as its bare one,
            // against a baseline that also keeps DynamoDB's page rules.
            ("query_entity" | "query_entity_paged", true) => drop(black_box(
                store.query(Expert::query(black_box(D))).all().unwrap(),
            )),
            ("query_entity", false) => drop(black_box(raw_experts(&raw, black_box(D)))),
            ("query_entity_paged", false) => drop(black_box(raw_experts_paged(&raw, black_box(D)))),
            ("index_query_paged", false) => {
                drop(black_box(raw_by_role_paged(&raw, black_box(&item.role))))
            }
            ("index_query" | "index_query_paged", true) => drop(black_box(
                store
                    .query(Expert::by_role(black_box(item.role.as_str())))
                    .all()
                    .unwrap(),
            )),
            ("index_query", false) => drop(black_box(raw_by_role(&raw, black_box(&item.role)))),
            // A projected pattern's view (20 cards of 2 KB, their titles).
            ("query_view" | "query_view_paged", true) => drop(black_box(
                store
                    .query(cards::ViewedCard::by_owner(black_box("owner-7")))
                    .all()
                    .unwrap(),
            )),
            ("query_view", false) => drop(black_box(raw_lines_by_owner(
                &viewed_db,
                black_box("owner-7"),
            ))),
            ("query_view_paged", false) => drop(black_box(raw_lines_by_owner_paged(
                &viewed_db,
                black_box("owner-7"),
            ))),
            // A multi-attribute index's query (owner-7's 20 cards, rank
            // from 0), and a put that moves the card's entry in it.
            ("attr_query" | "attr_query_paged", true) => drop(black_box(
                store
                    .query(cards::RankedCard::by_owner(black_box("owner-7")).rank_ge(0u32))
                    .all()
                    .unwrap(),
            )),
            ("attr_query", false) => drop(black_box(raw_ranked_by_owner(
                &viewed_db,
                black_box("owner-7"),
            ))),
            ("attr_query_paged", false) => drop(black_box(raw_ranked_by_owner_paged(
                &viewed_db,
                black_box("owner-7"),
            ))),
            ("attr_put", true) => {
                moved.rank ^= 1;
                store.put(black_box(&moved)).unwrap();
            }
            ("attr_put", false) => {
                moved.rank ^= 1;
                raw_put_ranked(&viewed_db, black_box(&moved));
            }
            ("filtered_query", true) => drop(black_box(
                store
                    .query(Expert::query(black_box(D)).filter(a.score.gt(0)))
                    .all()
                    .unwrap(),
            )),
            ("filtered_query", false) => drop(black_box(raw_filtered(&raw, black_box(D)))),
            // What metering costs a get: the same get, metered and not.
            ("get_metered", true) => drop(black_box(
                metered
                    .get(Expert::key(D, black_box("expert-00007")))
                    .unwrap(),
            )),
            ("get_metered", false) => drop(black_box(
                store
                    .get(Expert::key(D, black_box("expert-00007")))
                    .unwrap(),
            )),
            ("put_metered", true) => metered.put(black_box(&item)).unwrap(),
            ("put_metered", false) => store.put(black_box(&item)).unwrap(),
            // The write cost of two indexes: the same card, without and with.
            ("put_card", true) => store.put(&cards::indexed(7)).unwrap(),
            ("put_card", false) => store.put(&cards::plain(7)).unwrap(),
            // What TTL costs: the same card into a table with TTL and
            // into one without (the expiry is a field of both).
            ("put_ttl", true) => store.put(&cards::expiring(7)).unwrap(),
            ("put_ttl", false) => store.put(&cards::timed(7)).unwrap(),
            // What a unique field costs: the same card, its handle unique
            // or not; a put that keeps the handle, and an update that
            // changes it (to another free value and back).
            ("put_unique", true) => store.put(&cards::unique(7)).unwrap(),
            ("put_unique", false) => store.put(&cards::handled(7)).unwrap(),
            ("rename_unique", true) => store
                .run(
                    store
                        .as_async()
                        .update(cards::UniqueCard::key("deck-01", 7u32))
                        .set(cards::UniqueCard::attr().handle, handle(&mut renames)),
                )
                .unwrap(),
            ("rename_unique", false) => store
                .run(
                    store
                        .as_async()
                        .update(cards::HandledCard::key("deck-01", 7u32))
                        .set(cards::HandledCard::attr().handle, handle(&mut renames)),
                )
                .unwrap(),
            ("get_ttl", true) => drop(black_box(
                store
                    .get(cards::ExpiringCard::key("deck-01", black_box(7u32)))
                    .unwrap(),
            )),
            ("get_ttl", false) => drop(black_box(
                store
                    .get(cards::TimedCard::key("deck-01", black_box(7u32)))
                    .unwrap(),
            )),
            ("query_ttl", true) => drop(black_box(
                store
                    .query(cards::ExpiringCard::query(black_box("deck-01")))
                    .all()
                    .unwrap(),
            )),
            ("query_ttl", false) => drop(black_box(
                store
                    .query(cards::TimedCard::query(black_box("deck-01")))
                    .all()
                    .unwrap(),
            )),
            // What a key move costs while it lasts: the same shape-2 card
            // in a table whose key moves and in one whose key does not.
            // A put and an update of a moved card read its old key first;
            // a get of one still under its old key reads both keys.
            ("put_moving", true) => store.put(&cards::moving(7)).unwrap(),
            ("put_moving", false) => store.put(&cards::reshaped(7)).unwrap(),
            ("update_moving", true) => store
                .run(
                    store
                        .as_async()
                        .update(cards::MovingCard::key("deck-01", 7u32))
                        .add(moving_rank, 1),
                )
                .unwrap(),
            ("update_moving", false) => store
                .run(
                    store
                        .as_async()
                        .update(cards::ReshapedCard::key("deck-01", 7u32))
                        .add(reshaped_rank, 1),
                )
                .unwrap(),
            ("get_moving", true) => drop(black_box(
                store
                    .get(cards::MovingCard::key("deck-01", black_box(7u32)))
                    .unwrap(),
            )),
            ("get_moving", false) => drop(black_box(
                store
                    .get(cards::ReshapedCard::key("deck-01", black_box(7u32)))
                    .unwrap(),
            )),
            ("get_unmoved", true) => drop(black_box(
                store
                    .get(cards::MovingCard::key("deck-01", black_box(17u32)))
                    .unwrap(),
            )),
            ("get_unmoved", false) => drop(black_box(
                store
                    .get(cards::ReshapedCard::key("deck-01", black_box(17u32)))
                    .unwrap(),
            )),
            // What the change feed's outbox costs each write path: the
            // same card into a table with a feed and into one without.
            ("put_feed", true) => store.put(&cards::streamed(7)).unwrap(),
            ("put_feed", false) => store.put(&cards::plain(7)).unwrap(),
            ("update_feed", true) => store
                .run(
                    store
                        .as_async()
                        .update(cards::StreamedCard::key("deck-01", 7u32))
                        .add(streamed_rank, 1),
                )
                .unwrap(),
            ("update_feed", false) => store
                .run(
                    store
                        .as_async()
                        .update(cards::PlainCard::key("deck-01", 7u32))
                        .add(plain_rank, 1),
                )
                .unwrap(),
            ("delete_feed", true) => {
                store.put(&cards::streamed(99)).unwrap();
                store
                    .delete(cards::StreamedCard::key("deck-01", 99u32))
                    .unwrap()
            }
            ("delete_feed", false) => {
                store.put(&cards::plain(99)).unwrap();
                store
                    .delete(cards::PlainCard::key("deck-01", 99u32))
                    .unwrap()
            }
            ("transaction_feed", true) => {
                let mut tx = store.as_async().transaction();
                for i in 0..10u32 {
                    tx.update(
                        blue_schema::Update::new(cards::StreamedCard::key("deck-01", i))
                            .add(streamed_rank, 1),
                    );
                }
                store.run(tx.commit()).unwrap()
            }
            ("transaction_feed", false) => {
                let mut tx = store.as_async().transaction();
                for i in 0..10u32 {
                    tx.update(
                        blue_schema::Update::new(cards::PlainCard::key("deck-01", i))
                            .add(plain_rank, 1),
                    );
                }
                store.run(tx.commit()).unwrap()
            }
            ("put_all_feed", true) => store
                .put_all(&(0..10).map(cards::streamed).collect::<Vec<_>>())
                .unwrap(),
            ("put_all_feed", false) => store
                .put_all(&(0..10).map(cards::plain).collect::<Vec<_>>())
                .unwrap(),
            ("partition" | "partition_paged", true) => drop(black_box(
                store
                    .query(Dialogue::partition(black_box(D)))
                    .all()
                    .unwrap(),
            )),
            ("partition", false) => drop(black_box(raw_partition(&raw, black_box(D)))),
            ("partition_paged", false) => drop(black_box(raw_partition_paged(&raw, black_box(D)))),
            ("update", true) => store
                .run(
                    store
                        .as_async()
                        .update(Expert::key(D, "expert-00007"))
                        .add(a.score, 1),
                )
                .unwrap(),
            ("update", false) => raw_update(&mut raw, "expert-00007"),
            ("put_when", true) => store
                .run(store.as_async().put(&item).when(a.score.ge(-1000)))
                .unwrap(),
            ("put_when", false) => raw_put_when(&mut raw, &item),
            ("transaction_10", true) => {
                let mut tx = store.as_async().transaction();
                for name in &names {
                    tx.update(blue_schema::Update::new(Expert::key(D, name)).add(a.score, 1));
                }
                store.run(tx.commit()).unwrap()
            }
            ("transaction_10", false) => raw_transaction(&mut raw, &names),
            _ => panic!("unknown operation {op:?}"),
        }
    }
}

/// What maintaining two indexes costs a put: the same item into a table
/// without indexes and into one with two (both through blue-schema).
fn index_write_overhead(c: &mut Criterion, dir: &Path) {
    let store = Store::sqlite(dir.join("cards.db")).unwrap();
    store.create_table::<cards::Plain>().unwrap();
    store.create_table::<cards::Indexed>().unwrap();
    let mut g = c.benchmark_group("sqlite_put_two_indexes");
    let mut n = 0u32;
    g.bench_function("no_index", |b| {
        b.iter(|| {
            n = (n + 1) % 1000;
            store.put(&cards::plain(n)).unwrap()
        })
    });
    let mut n = 0u32;
    g.bench_function("two_indexes", |b| {
        b.iter(|| {
            n = (n + 1) % 1000;
            store.put(&cards::indexed(n)).unwrap()
        })
    });
    g.finish();
}

/// What the change feed costs a put (the same card into a table without a
/// feed and into one with), and how fast a reader reads 1 000 records
/// (records/s: 1 000 over the median).
fn feed_overhead(c: &mut Criterion, dir: &Path) {
    let store = Store::sqlite(dir.join("feed.db")).unwrap();
    store.create_table::<cards::Plain>().unwrap();
    store.create_table::<cards::Streamed>().unwrap();
    let mut g = c.benchmark_group("sqlite_feed_put");
    let mut n = 0u32;
    g.bench_function("no_feed", |b| {
        b.iter(|| {
            n = (n + 1) % 1000;
            store.put(&cards::plain(n)).unwrap()
        })
    });
    let mut n = 0u32;
    g.bench_function("feed", |b| {
        b.iter(|| {
            n = (n + 1) % 1000;
            store.put(&cards::streamed(n)).unwrap()
        })
    });
    g.finish();

    let reader = Store::sqlite(dir.join("feed_read.db")).unwrap();
    reader.create_table::<cards::Streamed>().unwrap();
    reader
        .put_all(&(0..1000).map(cards::streamed).collect::<Vec<_>>())
        .unwrap();
    let mut g = c.benchmark_group("sqlite_feed_read_1000");
    g.bench_function("blue_schema", |b| {
        b.iter(|| {
            let changes = reader.run(async {
                let mut feed = reader
                    .as_async()
                    .changes::<cards::Streamed>(blue_schema::feed::Start::Oldest)
                    .await?;
                feed.catch_up().await
            });
            assert_eq!(changes.unwrap().len(), 1000);
        })
    });
    g.finish();
}

/// What counting capacity units costs on SQLite: the same get and put on
/// the store and on a metered handle of it (which reads a written item's
/// images before and after the write, and a read item's size).
fn metering_overhead(c: &mut Criterion, store: &Store) {
    let metered = store.metered();
    let item = expert(D, 7);
    // Whether the metered put ran: a filter may leave the group out.
    let put_ran = std::cell::Cell::new(false);
    let mut g = c.benchmark_group("sqlite_metered_put");
    g.bench_function("metered", |b| {
        put_ran.set(true);
        b.iter(|| metered.put(black_box(&item)).unwrap())
    });
    g.bench_function("unmetered", |b| {
        b.iter(|| store.put(black_box(&item)).unwrap())
    });
    g.finish();
    let mut g = c.benchmark_group("sqlite_metered_get");
    g.bench_function("metered", |b| {
        b.iter(|| {
            metered
                .get(Expert::key(D, black_box("expert-00007")))
                .unwrap()
        })
    });
    g.bench_function("unmetered", |b| {
        b.iter(|| {
            store
                .get(Expert::key(D, black_box("expert-00007")))
                .unwrap()
        })
    });
    g.finish();
    assert!(!put_ran.get() || metered.consumed().unwrap().write > 0.0);
}

criterion_group!(benches, bench);

fn main() {
    match std::env::var("BLUE_BENCH_COUNT") {
        Ok(spec) => count(&spec),
        Err(_) => {
            benches();
            Criterion::default().configure_from_args().final_summary();
        }
    }
}

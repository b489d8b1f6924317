//! The histories the suite records and checks: on an SQLite file (tasks
//! on several store handles, then other processes too, one of them
//! killed), and on the emulator (the same, and through the wire-fault
//! proxy). Each run prints its figures; `BLUE_LONG=1` runs more rounds.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use blue_schema::Store;

use super::check::{check, per_key, with_index_reads};
use super::feed::FeedCopy;
use super::{client, parse, Client, Entry, Mix, Op, Ret, Sink, Space, State};
use crate::entities::Reliable;
use crate::proxy::{Fault, Proxy};

/// Tells the child the store's URL; its other instructions are in
/// [`ARGS_VAR`].
const CHILD_VAR: &str = "BLUE_HISTORY_CHILD";
/// `space first-client tasks ops mix seed`.
const ARGS_VAR: &str = "BLUE_HISTORY_ARGS";

/// How long an index may lag on DynamoDB for the weaker check: the bound
/// the parity suite's index polls allow (`tests/common/poll.rs`), so that
/// the check holds on AWS as well as on an emulator whose indexes never
/// lag.
const DYNAMODB_INDEX_LAG: u64 = 10_000_000_000;

/// What a test checked, for its figures line.
#[derive(Debug, Default)]
struct Figures {
    histories: usize,
    operations: usize,
    clients: usize,
    unknown: usize,
    index_reads: usize,
    /// Histories changed to hold one impossible read, and refused.
    mutants: usize,
    /// Change-feed records checked against the items they rebuild.
    feed_records: usize,
}

impl Figures {
    /// Checks that the feed rebuilt the history's partition.
    async fn feed(&mut self, name: &str, feed: &mut FeedCopy, store: &Store) {
        if let Err(e) = feed.check(store).await {
            panic!("{name}: {e}");
        }
        self.feed_records += feed.records;
    }

    /// Checks one history (see [`check`]) and counts it; a failure names
    /// the run, and prints the whole history.
    fn check(&mut self, name: &str, history: &[Entry], init: &State, index_lag: u64) {
        let expanded = with_index_reads(history, index_lag);
        // `BLUE_HISTORY_DUMP=file` keeps the history being checked, for
        // [`a_kept_history`].
        if let Ok(dump) = std::env::var("BLUE_HISTORY_DUMP") {
            keep(std::path::Path::new(&dump), init, index_lag, history);
        }
        if let Err(anomaly) = check(&expanded, init) {
            let mut all: Vec<&Entry> = history.iter().collect();
            all.sort_by_key(|e| e.call);
            let lines: Vec<String> = all.iter().map(|e| format!("  {e}")).collect();
            panic!(
                "{name}: the history is not linearizable.\n{anomaly}\nthe whole history, \
                 from {init:?}:\n{}",
                lines.join("\n")
            );
        }
        // The same history with one read's answer changed to a count no
        // write produced must be refused: the check is not vacuous.
        if let Some(i) = history
            .iter()
            .position(|e| matches!((&e.op, &e.out), (Op::Get(_), Ret::Value(Some(_)))))
        {
            let mut mutant = expanded.clone();
            let at = mutant.iter().position(|e| *e == history[i]).unwrap();
            mutant[at].out = Ret::Value(Some(-1));
            assert!(
                per_key(&mutant, init).is_err(),
                "{name}: a read of a count never written passed the check"
            );
            self.mutants += 1;
        }
        self.histories += 1;
        self.operations += history.len();
        let mut clients: Vec<u32> = history.iter().map(|e| e.client).collect();
        clients.sort_unstable();
        clients.dedup();
        self.clients += clients.len();
        self.unknown += history.iter().filter(|e| e.out == Ret::Unknown).count();
        self.index_reads += history
            .iter()
            .filter(|e| matches!(e.out, Ret::Index(_)))
            .count();
    }

    fn print(&self, name: &str, started: std::time::Instant) {
        println!(
            "histories on {name}: {} checked, {} operations, {} clients in all, {} outcomes \
             unknown, {} index reads checked, {} changed copies refused, {} feed records, \
             {:.1} s (the largest search so far: {} steps)",
            self.histories,
            self.operations,
            self.clients,
            self.unknown,
            self.index_reads,
            self.mutants,
            self.feed_records,
            started.elapsed().as_secs_f64(),
            super::check::LARGEST_SEARCH.load(std::sync::atomic::Ordering::Relaxed)
        );
    }
}

/// Runs `tasks` clients (ids from `first`) on the stores in turn, `ops`
/// operations each: the history.
async fn record(
    stores: &[Store],
    space: &Space,
    first: u32,
    tasks: u32,
    ops: usize,
    mix: Mix,
    seed: u64,
) -> Vec<Entry> {
    let history = Arc::new(Mutex::new(Vec::new()));
    let handles: Vec<_> = (0..tasks)
        .map(|t| {
            let id = first + t;
            let me = Client::new(id, seed ^ u64::from(id), mix);
            let store = stores[t as usize % stores.len()].clone();
            tokio::spawn(client(
                store,
                space.clone(),
                me,
                ops,
                Sink::Memory(history.clone()),
            ))
        })
        .collect();
    for h in handles {
        h.await.unwrap();
    }
    let history = history.lock().unwrap().clone();
    history
}

fn rounds(ci: u32, long: u32) -> u32 {
    if crate::long_mode() {
        long
    } else {
        ci
    }
}

#[test]
fn histories_on_an_sqlite_file_are_linearizable() {
    let started = std::time::Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("histories.db");
    let mut figures = Figures::default();
    crate::runtime_with(4).block_on(async {
        let stores: Vec<Store> = (0..3).map(|_| Store::sqlite(&path).unwrap()).collect();
        stores[0].create_table::<Reliable>().await.unwrap();
        for round in 0..rounds(6, 200) {
            let mix = [Mix::Single, Mix::Transactions][round as usize % 2];
            let space = Space::new(&format!("file{round}"));
            let mut feed = FeedCopy::open(&stores[0], &space).await;
            let init = space.prepare(&stores[0]).await;
            // Transactions tie the keys together, and the search of the
            // whole object grows with the clients that overlap: 8 there.
            let tasks = if mix == Mix::Single { 32 } else { 8 };
            let history = record(&stores, &space, 0, tasks, 40, mix, u64::from(round)).await;
            let name = format!("sqlite round {round}");
            figures.check(&name, &history, &init, 0);
            figures.feed(&name, &mut feed, &stores[0]).await;
        }
    });
    figures.print(
        "an SQLite file (32 tasks on 3 handles, 8 with transactions)",
        started,
    );
}

#[test]
fn histories_on_dynamodb_are_linearizable() {
    let started = std::time::Instant::now();
    let mut figures = Figures::default();
    crate::runtime_with(4).block_on(async {
        let backend = crate::dynamodb::backend().await;
        let store = Store::from_backend(backend.clone());
        store.create_table::<Reliable>().await.unwrap();
        let other = Store::from_backend(
            blue_schema::backend::dynamodb::DynamoDbBackend::new(&crate::dynamodb::client().await)
                .with_table_prefix(&backend.table_name(""))
                .unwrap(),
        );
        let stores = [store.clone(), other];
        for round in 0..rounds(4, 60) {
            let mix = [Mix::Single, Mix::Transactions][round as usize % 2];
            let space = Space::new(&format!("ddb{round}"));
            let mut feed = FeedCopy::open(&store, &space).await;
            let init = space.prepare(&store).await;
            let history = record(&stores, &space, 0, 8, 25, mix, u64::from(round) + 77).await;
            let name = format!("dynamodb round {round}");
            figures.check(&name, &history, &init, DYNAMODB_INDEX_LAG);
            figures.feed(&name, &mut feed, &store).await;
        }
        crate::dynamodb::drop_tables(&backend).await;
    });
    figures.print("DynamoDB (8 tasks, 2 clients)", started);
}

#[test]
fn histories_through_wire_faults_are_linearizable() {
    let started = std::time::Instant::now();
    let mut figures = Figures::default();
    let mut injected = 0;
    crate::runtime_with(4).block_on(async {
        let backend = crate::dynamodb::backend().await;
        let direct = Store::from_backend(backend.clone());
        direct.create_table::<Reliable>().await.unwrap();
        let (upstream, _) = crate::dynamodb::endpoint_url();
        for round in 0..rounds(4, 60) {
            let proxy = Proxy::start(&upstream, None).await;
            proxy.randomly(u64::from(round) * 31 + 5, 80, &Fault::RANDOM);
            let client = crate::faults::client_via(&proxy.url(), 4).await;
            let faulty = Store::from_backend(
                blue_schema::backend::dynamodb::DynamoDbBackend::new(&client)
                    .with_table_prefix(&backend.table_name(""))
                    .unwrap(),
            );
            let mix = [Mix::Single, Mix::Transactions][round as usize % 2];
            let space = Space::new(&format!("fault{round}"));
            let mut feed = FeedCopy::open(&direct, &space).await;
            let init = space.prepare(&direct).await;
            let stores = [faulty];
            let history = record(&stores, &space, 0, 8, 25, mix, u64::from(round) + 99).await;
            proxy.settle().await;
            injected += proxy.injected().len();
            let name = format!("faults round {round}");
            figures.check(&name, &history, &init, DYNAMODB_INDEX_LAG);
            figures.feed(&name, &mut feed, &direct).await;
        }
        crate::dynamodb::drop_tables(&backend).await;
    });
    assert!(injected > 0, "faults were injected");
    figures.print(
        &format!("DynamoDB through the proxy (8 tasks, {injected} faults injected)"),
        started,
    );
}

/// A client process when `BLUE_HISTORY_CHILD` is set (its operations on
/// stdout, see [`Sink::Stdout`]); otherwise the same lines from a client in
/// this process, cut short as a kill would, must parse to the history the
/// client recorded.
#[test]
fn a_client_process() {
    let runtime = crate::runtime_with(2);
    if let Ok(url) = std::env::var(CHILD_VAR) {
        let args = std::env::var(ARGS_VAR).unwrap();
        let args: Vec<&str> = args.split(' ').collect();
        let space = Space::new(args[0]);
        let first: u32 = args[1].parse().unwrap();
        let tasks: u32 = args[2].parse().unwrap();
        let ops: usize = args[3].parse().unwrap();
        let mix = if args[4] == "tx" {
            Mix::Transactions
        } else {
            Mix::Single
        };
        let seed: u64 = args[5].parse().unwrap();
        runtime.block_on(async {
            let store = Store::open(&url).await.unwrap();
            println!("\nready");
            let handles: Vec<_> = (0..tasks)
                .map(|t| {
                    let me = Client::new(first + t, seed ^ u64::from(first + t), mix);
                    tokio::spawn(client(store.clone(), space.clone(), me, ops, Sink::Stdout))
                })
                .collect();
            for h in handles {
                h.await.unwrap();
            }
        });
        return;
    }
    let lines = vec![
        "call 4 100 {\"Put\":[1,5]}".to_owned(),
        "call 5 110 \"GetDoc\"".to_owned(),
        "done 4 150 \"Ok\"".to_owned(),
        "call 4 160 {\"Add\":[1,2]}".to_owned(),
    ];
    let mut parsed = parse(&lines);
    parsed.sort_by_key(|e| e.call);
    let expected = [
        "client   4 [0 µs .. 0] Put(1, 5) -> Ok",
        "client   5 [0 µs .. never] GetDoc -> Unknown",
        "client   4 [0 µs .. never] Add(1, 2) -> Unknown",
    ];
    let shown: Vec<String> = parsed.iter().map(ToString::to_string).collect();
    assert_eq!(shown, expected);
}

/// Runs a history on `url` with clients in this process and in three
/// child processes, killing the first child with SIGKILL mid-run.
async fn with_processes(
    url: &str,
    stores: &[Store],
    name: &str,
    mix: Mix,
    seed: u64,
    index_lag: u64,
    figures: &mut Figures,
) {
    let space = Space::new(name);
    let mut feed = FeedCopy::open(&stores[0], &space).await;
    let init = space.prepare(&stores[0]).await;
    let mix_arg = if mix == Mix::Transactions {
        "tx"
    } else {
        "single"
    };
    // 16 clients in all, 8 with transactions (see the SQLite file's test).
    let tasks = if mix == Mix::Single { 4 } else { 2 };
    let children: Vec<crate::child::Child> = (0..3u32)
        .map(|c| {
            // The first child never ends on its own: it is killed.
            let ops = if c == 0 { 100_000 } else { 25 };
            crate::child::spawn(
                "history::runs::a_client_process",
                &[
                    (CHILD_VAR, url.to_owned()),
                    (
                        ARGS_VAR,
                        format!("{name} {} {tasks} {ops} {mix_arg} {seed}", 100 * (c + 1)),
                    ),
                ],
            )
        })
        .collect();
    let children = tokio::task::spawn_blocking(move || {
        for c in &children {
            c.wait_ready();
        }
        children
    })
    .await
    .unwrap();
    let mut children = children.into_iter();
    let victim = children.next().unwrap();
    let pause = Duration::from_millis(20 + seed % 150);
    let killer = tokio::spawn(async move {
        tokio::time::sleep(pause).await;
        tokio::task::spawn_blocking(move || victim.kill())
            .await
            .unwrap()
    });
    let mut history = record(stores, &space, 0, tasks, 25, mix, seed).await;
    let (status, lines) = killer.await.unwrap();
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(
            status.signal(),
            Some(9),
            "{name}: the first child was killed"
        );
    }
    history.extend(parse(&lines));
    for child in children {
        let (status, lines) = tokio::task::spawn_blocking(move || child.wait())
            .await
            .unwrap();
        assert!(
            status.success(),
            "{name}: a client process failed: {status}"
        );
        history.extend(parse(&lines));
    }
    figures.check(name, &history, &init, index_lag);
    figures.feed(name, &mut feed, &stores[0]).await;
}

#[test]
fn histories_with_processes_on_an_sqlite_file() {
    let started = std::time::Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("processes.db");
    let url = format!("sqlite://{}", path.display());
    let mut figures = Figures::default();
    crate::runtime_with(4).block_on(async {
        let stores = [Store::sqlite(&path).unwrap(), Store::sqlite(&path).unwrap()];
        stores[0].create_table::<Reliable>().await.unwrap();
        for round in 0..rounds(2, 40) {
            let mix = [Mix::Transactions, Mix::Single][round as usize % 2];
            let name = format!("proc{round}");
            let seed = u64::from(round) * 7 + 3;
            with_processes(&url, &stores, &name, mix, seed, 0, &mut figures).await;
        }
    });
    figures.print(
        "an SQLite file, 4 processes of 4 tasks (2 with transactions), one killed each time",
        started,
    );
}

#[test]
fn histories_with_processes_on_dynamodb() {
    let started = std::time::Instant::now();
    let mut figures = Figures::default();
    crate::runtime_with(4).block_on(async {
        let backend = crate::dynamodb::backend().await;
        let store = Store::from_backend(backend.clone());
        store.create_table::<Reliable>().await.unwrap();
        let url = crate::dynamodb::example_url(Some(&backend.table_name("")));
        for round in 0..rounds(2, 20) {
            let mix = [Mix::Transactions, Mix::Single][round as usize % 2];
            let name = format!("dproc{round}");
            let seed = u64::from(round) * 11 + 1;
            let stores = [store.clone()];
            with_processes(
                &url,
                &stores,
                &name,
                mix,
                seed,
                DYNAMODB_INDEX_LAG,
                &mut figures,
            )
            .await;
        }
        crate::dynamodb::drop_tables(&backend).await;
    });
    figures.print(
        "DynamoDB, 4 processes of 4 tasks (2 with transactions), one killed each time",
        started,
    );
}

/// Writes a history to `path`, with its opening state and index lag.
fn keep(path: &std::path::Path, init: &State, lag: u64, history: &[Entry]) {
    let kept = serde_json::json!({
        "init": init.cells, "doc": init.doc, "lag": lag, "history": history
    });
    std::fs::write(path, kept.to_string()).unwrap();
}

/// A history [`keep`] wrote.
fn load(path: &std::path::Path) -> (State, u64, Vec<Entry>) {
    let kept: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let cells: Vec<Option<i64>> = serde_json::from_value(kept["init"].clone()).unwrap();
    let init = State {
        cells: cells.try_into().unwrap(),
        doc: serde_json::from_value(kept["doc"].clone()).unwrap(),
    };
    let history = serde_json::from_value(kept["history"].clone()).unwrap();
    (init, kept["lag"].as_u64().unwrap(), history)
}

/// Checks the history kept by `BLUE_HISTORY_DUMP` when `BLUE_HISTORY_LOAD`
/// names it (`BLUE_HISTORY_STEPS` allows a longer search), printing what
/// the search found; otherwise, that a kept history reads back whole and
/// is checked as it was.
#[test]
fn a_kept_history() {
    if let Ok(path) = std::env::var("BLUE_HISTORY_LOAD") {
        let (init, lag, history) = load(std::path::Path::new(&path));
        let started = std::time::Instant::now();
        let result = check(&with_index_reads(&history, lag), &init);
        println!(
            "{} operations, {:.1} s: {}",
            history.len(),
            started.elapsed().as_secs_f64(),
            result.map_or_else(|a| a.to_string(), |()| "linearizable".to_owned())
        );
        return;
    }
    let init = State {
        cells: [Some(100), None, Some(5)],
        doc: Some((0, 1)),
    };
    let entry = |client, call, end, op, out| Entry {
        client,
        op,
        out,
        call,
        end,
    };
    let history = vec![
        entry(1, 10, 20, Op::Put(1, 7), Ret::Ok),
        entry(2, 15, u64::MAX, Op::Delete(0), Ret::Unknown),
        entry(3, 30, 40, Op::Index, Ret::Index(vec![(1, 7), (2, 5)])),
    ];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kept.json");
    keep(&path, &init, 5, &history);
    let (init2, lag, history2) = load(&path);
    assert_eq!((init2, lag, &history2), (init.clone(), 5, &history));
    assert!(check(&with_index_reads(&history2, lag), &init).is_ok());
}

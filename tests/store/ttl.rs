//! Time to Live: the portable contract of `blue_schema::ttl`, on every
//! backend. An expired item is hidden from every read and absent to every
//! write, whether or not anything has deleted it yet; DynamoDB's TTL
//! process (the emulator's, run on demand here) and `sweep_expired` on
//! SQLite then delete it, which changes what no default read sees.
//!
//! "Now" is a `ManualClock` the test moves. The tests of reads and writes
//! run it far ahead of the real clock, so that their items are expired to
//! the store only: the emulator's TTL sweep (which reads the real clock,
//! and which the sweep test runs on every table at once) never deletes
//! them, as AWS's may not for days. The sweep test's items expired by the
//! real clock too.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use blue_schema::ttl::ManualClock;
use blue_schema::{Condition, Entity, Error, Store, Table};
use serde::{Deserialize, Serialize};

use crate::support::dynamodb::sweep_emulator;

#[derive(Table, Debug, PartialEq)]
#[table(name = "blue_auth", indexes(gsi1, gsi2, gsi3), ttl = "expires_at")]
pub enum Auth {
    Session(Session),
    Token(Token),
    Profile(Profile),
}

/// Expires at a `SystemTime`, stored as epoch seconds; listed by device.
#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[entity(table = Auth)]
#[sk(prefix = "SESSION")]
#[index(gsi1, name = by_device, pk(prefix = "DEVICE", fields(device)), sk(fields(id)))]
#[index(gsi2, name = keys_on, pk(prefix = "ON", fields(device)), project = keys_only)]
#[index(gsi3, name = labels_on, pk(prefix = "LABELS", fields(device)), project(label))]
pub struct Session {
    #[pk]
    pub user: String,
    #[sk]
    pub id: String,
    pub device: String,
    pub label: String,
    #[ttl]
    #[serde(with = "blue_schema::ttl", default)]
    pub expires_at: Option<SystemTime>,
}

/// Expires at a `u64` of epoch seconds, always.
#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[entity(table = Auth)]
#[sk(prefix = "TOKEN")]
pub struct Token {
    #[pk]
    pub user: String,
    #[sk]
    pub id: String,
    #[ttl]
    pub expires_at: u64,
    pub uses: u32,
}

/// Never expires.
#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[entity(table = Auth)]
#[sk(prefix = "PROFILE")]
pub struct Profile {
    #[pk]
    pub user: String,
    pub name: String,
}

/// The real clock's epoch second.
fn real_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A "now" a day ahead of the real clock: what is expired then is not yet
/// to DynamoDB's TTL process.
fn ahead() -> u64 {
    real_now() + 86_400
}

fn at(seconds: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(seconds)
}

fn session(id: &str, expires_at: Option<u64>) -> Session {
    Session {
        user: "ada".into(),
        id: id.into(),
        device: "phone".into(),
        label: String::new(),
        expires_at: expires_at.map(at),
    }
}

fn token(id: &str, expires_at: u64) -> Token {
    Token {
        user: "ada".into(),
        id: id.into(),
        expires_at,
        uses: 0,
    }
}

/// A store whose clock shows `now` and the clock to move it.
fn clocked(store: Store, now: u64) -> (Store, ManualClock) {
    let clock = ManualClock::at(at(now));
    (store.with_clock(clock.clone()), clock)
}

fn ids(sessions: &[Session]) -> Vec<&str> {
    sessions.iter().map(|s| s.id.as_str()).collect()
}

/// Reads by key, by query, by index, in batches and in transactions leave
/// expired items out, counting them as evaluated in a page; the reads that
/// ask for them see them; moving the clock expires more.
pub async fn expired_items_are_hidden_from_every_read(store: Store) {
    let now = ahead();
    let (store, clock) = clocked(store, now);
    store.create_table::<Auth>().await.unwrap();
    let (live, gone, never) = (
        session("a", Some(now + 100)),
        session("b", Some(now - 100)),
        session("c", None),
    );
    for s in [&live, &gone, &never] {
        store.put(s).await.unwrap();
    }
    store.put(&token("t", now - 1)).await.unwrap();
    store
        .put(&Profile {
            user: "ada".into(),
            name: "Ada".into(),
        })
        .await
        .unwrap();

    assert_eq!(store.get(live.key()).await.unwrap(), Some(live.clone()));
    assert_eq!(store.get(gone.key()).await.unwrap(), None);
    assert_eq!(store.get_record(gone.key()).await.unwrap(), None);
    assert_eq!(
        store.get(gone.key()).include_expired().await.unwrap(),
        Some(gone.clone())
    );
    assert_eq!(store.get(Token::key("ada", "t")).await.unwrap(), None);

    let all = store.query(Session::query("ada")).all().await.unwrap();
    assert_eq!(ids(&all), ["a", "c"]);
    let with_expired = store
        .query(Session::query("ada"))
        .include_expired()
        .all()
        .await
        .unwrap();
    assert_eq!(ids(&with_expired), ["a", "b", "c"]);

    // DynamoDB's page rules: the expired item counts toward the page size.
    let first = store
        .query(Session::query("ada").page_size(2))
        .page()
        .await
        .unwrap();
    assert_eq!(ids(&first.items), ["a"]);
    let cursor = first.cursor.expect("a full page has a cursor");
    let second = store
        .query(Session::query("ada").page_size(2).after(cursor))
        .page()
        .await
        .unwrap();
    assert_eq!(ids(&second.items), ["c"]);

    // The whole partition, through the table enum: no expired token.
    let partition = store.query(Auth::partition("ada")).all().await.unwrap();
    assert_eq!(partition.len(), 3, "{partition:?}");
    assert!(partition.iter().all(|item| !matches!(item, Auth::Token(_))));

    let by_device = crate::support::eventually(|| async {
        let found = store
            .query(Session::by_device("phone"))
            .all()
            .await
            .unwrap();
        (ids(&found) == ["a", "c"]).then_some(found)
    })
    .await;
    assert!(
        by_device.is_some(),
        "the index leaves out the expired entry"
    );
    // A keys-only pattern too (its index holds whole items in a TTL table).
    let keys = crate::support::eventually(|| async {
        let found = store.query(Session::keys_on("phone")).all().await.unwrap();
        (found == [live.key(), never.key()]).then_some(())
    })
    .await;
    assert!(
        keys.is_some(),
        "the keys-only index leaves out the expired entry"
    );
    // A projected one too: its index holds the TTL attribute as well.
    assert_eq!(
        Auth::SCHEMA.projection("gsi3"),
        blue_schema::schema::Projection::Include(&["device", "expires_at", "label"])
    );
    let labels = crate::support::eventually(|| async {
        let found = store
            .query(Session::labels_on("phone"))
            .all()
            .await
            .unwrap();
        let ids: Vec<&str> = found.iter().map(|v| v.id.as_str()).collect();
        (ids == ["a", "c"]).then_some(())
    })
    .await;
    assert!(
        labels.is_some(),
        "the projected index leaves out the expired entry"
    );

    let keys = [live.key(), gone.key(), never.key()];
    let batch = store.get_many(keys.clone()).await.unwrap();
    assert_eq!(batch, [Some(live.clone()), None, Some(never.clone())]);
    let snapshot = store.transact_get(keys).await.unwrap();
    assert_eq!(snapshot, [Some(live.clone()), None, Some(never.clone())]);

    // Later, the live session has expired too; `None` never does.
    clock.advance(Duration::from_secs(101));
    let all = store.query(Session::query("ada")).all().await.unwrap();
    assert_eq!(ids(&all), ["c"]);
    assert_eq!(store.get(live.key()).await.unwrap(), None);
}

/// Writes see an expired item as absent: a create replaces it whole (a
/// new `created_at`), an update that must find an item does not, a delete
/// returns none, a condition on absence holds, and so on in transactions.
pub async fn writes_see_expired_items_as_absent(store: Store) {
    let now = ahead();
    let (store, clock) = clocked(store, now);
    store.create_table::<Auth>().await.unwrap();
    let old = session("s", Some(now + 10));
    store.put(&old).await.unwrap();
    let written = store.get_record(old.key()).await.unwrap().unwrap();
    clock.advance(Duration::from_secs(11));
    // Write times have milliseconds: the next write's are later.
    tokio::time::sleep(Duration::from_millis(3)).await;

    // An update that does not create finds nothing.
    let refreshed = store
        .update(old.key())
        .set(Session::attr().label, "laptop".to_owned())
        .await;
    assert!(
        matches!(refreshed, Err(Error::NotFound { .. })),
        "{refreshed:?}"
    );
    // A create succeeds, and the new item is new.
    let new = session("s", Some(now + 1_000));
    store.create(&new).await.unwrap();
    let record = store.get_record(new.key()).await.unwrap().unwrap();
    assert_eq!(record.value, new);
    assert_ne!(
        record.created_at, written.created_at,
        "a new item, not the old one"
    );
    assert_eq!(record.created_at, record.updated_at);
    // Now it is live: a second create is refused.
    assert!(matches!(
        store.create(&new).await,
        Err(Error::AlreadyExists { .. })
    ));

    // A put over an expired item writes a new one: a new `created_at`.
    store.put(&session("p", Some(now - 5))).await.unwrap();
    tokio::time::sleep(Duration::from_millis(3)).await;
    store.put(&session("p", None)).await.unwrap();
    let put = store
        .get_record(Session::key("ada", "p"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        put.created_at, put.updated_at,
        "a new item, not the old one"
    );
    // Over a live one, the first `created_at` stays.
    tokio::time::sleep(Duration::from_millis(3)).await;
    store.put(&session("p", Some(now + 50))).await.unwrap();
    let again = store
        .get_record(Session::key("ada", "p"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.created_at, put.created_at);
    assert_ne!(again.updated_at, put.updated_at);

    // So does a batch.
    store.put(&session("q", Some(now - 5))).await.unwrap();
    tokio::time::sleep(Duration::from_millis(3)).await;
    store
        .put_all([&session("q", None), &session("r", None)])
        .await
        .unwrap();
    let batched = store
        .get_record(Session::key("ada", "q"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        batched.created_at, batched.updated_at,
        "a new item, not the old one"
    );

    // A put over an expired item, and conditions on absence.
    store.put(&token("t", now - 5)).await.unwrap();
    store
        .put(&token("t", now + 500))
        .when(Condition::not_exists())
        .await
        .unwrap();
    assert_eq!(
        store.get(Token::key("ada", "t")).await.unwrap(),
        Some(token("t", now + 500))
    );
    // An upsert over an expired item keeps nothing of it: the new session
    // has no expiry (the old one's would hide it again).
    store.put(&session("u", Some(now - 5))).await.unwrap();
    let fresh = store
        .update(Session::key("ada", "u"))
        .set(Session::attr().label, "laptop".to_owned())
        .set_index(SessionByDevice {
            device: "phone".into(),
        })
        .or_create()
        .returning_new()
        .await
        .unwrap();
    let expected = Session {
        label: "laptop".into(),
        ..session("u", None)
    };
    assert_eq!(fresh, expected);
    assert_eq!(
        store.get(Session::key("ada", "u")).await.unwrap(),
        Some(expected)
    );

    // A delete of an expired item returns none, and deletes it.
    store.put(&session("d", Some(now - 5))).await.unwrap();
    let removed = store
        .delete_returning(Session::key("ada", "d"))
        .await
        .unwrap();
    assert_eq!(removed, None);
    assert_eq!(
        store
            .get(Session::key("ada", "d"))
            .include_expired()
            .await
            .unwrap(),
        None
    );

    // In a transaction: a create over an expired item commits, a check
    // that the item exists does not.
    store.put(&session("x", Some(now - 5))).await.unwrap();
    let mut tx = store.transaction();
    tx.create(&session("x", Some(now + 50)));
    tx.commit().await.unwrap();
    assert_eq!(
        store.get(Session::key("ada", "x")).await.unwrap(),
        Some(session("x", Some(now + 50)))
    );
    store.put(&session("y", Some(now - 5))).await.unwrap();
    let mut tx = store.transaction();
    tx.check(Session::key("ada", "y"), Condition::exists());
    tx.put(&session("z", None));
    assert!(matches!(
        tx.commit().await,
        Err(Error::TransactionCanceled(_))
    ));
    assert_eq!(store.get(Session::key("ada", "z")).await.unwrap(), None);
}

/// `sweep_expired` deletes on SQLite; on DynamoDB the service's TTL
/// process does (the emulator's, run here). Either way the expired items
/// are then gone even to reads that ask for them, and the rest stay.
pub async fn expired_items_are_swept(store: Store) {
    let now = real_now();
    let (store, _clock) = clocked(store, now);
    store.create_table::<Auth>().await.unwrap();
    for s in [
        session("a", Some(now - 100)),
        session("b", Some(now + 1_000)),
        session("c", None),
    ] {
        store.put(&s).await.unwrap();
    }
    store.put(&token("t", now - 100)).await.unwrap();
    let swept = store.sweep_expired::<Auth>().await.unwrap();
    if store.backend_name() == "dynamodb" {
        assert_eq!(swept, 0, "DynamoDB's own TTL process deletes");
        if let Some(deleted) = sweep_emulator() {
            assert!(deleted >= 2, "{deleted}");
        } else {
            return;
        }
    } else {
        assert_eq!(swept, 2);
        assert_eq!(store.sweep_expired::<Auth>().await.unwrap(), 0);
    }
    let left = store
        .query(Session::query("ada"))
        .include_expired()
        .all()
        .await
        .unwrap();
    assert_eq!(ids(&left), ["b", "c"]);
    let index = crate::support::eventually(|| async {
        let found = store
            .query(Session::by_device("phone"))
            .include_expired()
            .all()
            .await
            .unwrap();
        (ids(&found) == ["b", "c"]).then_some(())
    })
    .await;
    assert!(index.is_some(), "the index entries went with the items");
    assert_eq!(
        store
            .get(Token::key("ada", "t"))
            .include_expired()
            .await
            .unwrap(),
        None
    );
}

/// A background sweeper sweeps on its own until stopped: on SQLite it
/// deletes the expired item; on DynamoDB it deletes nothing (the service
/// does), and the item stays hidden.
pub async fn a_background_sweeper_sweeps(store: Store) {
    let now = ahead();
    let (store, _clock) = clocked(store, now);
    store.create_table::<Auth>().await.unwrap();
    let gone = session("a", Some(now - 10));
    store.put(&gone).await.unwrap();
    let sweeper = store.spawn_sweeper::<Auth>(Duration::from_millis(5));
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while sweeper.sweeps() < 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "{:?}",
            sweeper.last_error()
        );
        tokio::task::yield_now().await;
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(sweeper.last_error(), None);
    let swept = sweeper.swept();
    sweeper.stop();
    let stored = store.get(gone.key()).include_expired().await.unwrap();
    if store.backend_name() == "dynamodb" {
        assert_eq!((swept, stored), (0, Some(gone.clone())));
    } else {
        assert_eq!((swept, stored), (1, None));
    }
    assert_eq!(store.get(gone.key()).await.unwrap(), None);
}

/// A count leaves expired items out, as every read does, unless it asks
/// for them; moving the clock expires more. The whole partition holds
/// sessions, a token and a profile: each entity's expiry counts.
pub async fn expired_items_are_not_counted(store: Store) {
    let now = ahead();
    let (store, clock) = clocked(store, now);
    store.create_table::<Auth>().await.unwrap();
    for s in [
        session("a", Some(now + 100)),
        session("b", Some(now - 100)),
        session("c", None),
        session("d", Some(now + 200)),
    ] {
        store.put(&s).await.unwrap();
    }
    store.put(&token("t", now - 1)).await.unwrap();
    store.put(&token("u", now + 50)).await.unwrap();
    store
        .put(&Profile {
            user: "ada".into(),
            name: "Ada".into(),
        })
        .await
        .unwrap();
    let count = |q: blue_schema::Query<Session>, expired: bool| {
        let store = store.clone();
        async move {
            let run = store.query(q);
            let run = if expired { run.include_expired() } else { run };
            run.count().await.unwrap()
        }
    };
    assert_eq!(count(Session::query("ada").into(), false).await, 3);
    assert_eq!(count(Session::query("ada").into(), true).await, 4);
    let partition = || store.query(Auth::partition("ada"));
    assert_eq!(partition().count().await.unwrap(), 5);
    assert_eq!(partition().include_expired().count().await.unwrap(), 7);
    // Pages of two evaluated items: the expired ones count as evaluated.
    let first = store
        .query(Session::query("ada").page_size(2))
        .count_page()
        .await
        .unwrap();
    assert_eq!(first.count, 1, "a and b evaluated, b expired");
    assert!(first.cursor.is_some());
    clock.set(std::time::UNIX_EPOCH + std::time::Duration::from_secs(now + 150));
    assert_eq!(count(Session::query("ada").into(), false).await, 2);
    assert_eq!(partition().count().await.unwrap(), 3);
}

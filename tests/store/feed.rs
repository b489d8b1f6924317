//! The change feed (`blue_schema::feed`): the same records, in the same
//! order per item, from the SQLite outbox and from DynamoDB Streams (the
//! emulator's), for every write path; nothing for writes that did not
//! commit; resumable from a saved cursor; TTL removals flagged.
//!
//! On AWS a record becomes readable a moment after its write, so every
//! read here polls until the records it expects have come (or 10 s have
//! passed), and then checks that no more come.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use blue_schema::feed::{Change, ChangeKind, FeedCursor, Origin, Start};
use blue_schema::ChangeFeed;
use blue_schema::{Condition, Entity, Error, Store, Table, Update};
use serde::{Deserialize, Serialize};

use crate::support::dynamodb::sweep_emulator;

#[derive(Table, Debug, Clone, PartialEq)]
#[table(name = "blue_shop", stream, ttl = "expires_at")]
pub enum Shop {
    Stock(Stock),
    Hold(Hold),
}

/// A product's stock.
#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[entity(table = Shop)]
#[sk(prefix = "STOCK")]
pub struct Stock {
    #[pk]
    pub shop: String,
    #[sk]
    pub sku: String,
    pub count: i64,
}

/// A reservation that expires.
#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[entity(table = Shop)]
#[sk(prefix = "HOLD")]
pub struct Hold {
    #[pk]
    pub shop: String,
    #[sk]
    pub id: String,
    #[ttl]
    pub expires_at: u64,
}

/// Another table with a feed, whose cursors the first one's refuses.
#[derive(Table, Debug, Clone, PartialEq)]
#[table(name = "blue_quiet", stream)]
pub enum Quiet {
    Note(Note),
}

#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[entity(table = Quiet)]
#[sk(prefix = "NOTE")]
pub struct Note {
    #[pk]
    pub id: String,
}

fn stock(sku: &str, count: i64) -> Stock {
    Stock {
        shop: "s1".into(),
        sku: sku.into(),
        count,
    }
}

fn count(item: Option<&Shop>) -> Option<i64> {
    match item {
        Some(Shop::Stock(s)) => Some(s.count),
        _ => None,
    }
}

/// A record as `(kind, sku, old count, new count)`.
fn summary(c: &Change<Shop>) -> (ChangeKind, String, Option<i64>, Option<i64>) {
    let sku = c.sort_key.trim_start_matches("STOCK#").to_owned();
    (c.kind, sku, count(c.old.as_ref()), count(c.new.as_ref()))
}

/// Reads until `n` records have come (or 10 s passed), then once more to
/// see that no further record follows.
async fn read(feed: &mut ChangeFeed<Shop>, n: usize) -> Vec<Change<Shop>> {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let mut all = Vec::new();
    while all.len() < n && std::time::Instant::now() < deadline {
        let batch = feed.next_batch().await.unwrap();
        if batch.is_empty() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        all.extend(batch);
    }
    all.extend(feed.next_batch().await.unwrap());
    all
}

/// Every write path records one change per item written, with the old and
/// new images, in commit order per item.
pub async fn every_write_path_records_its_change(store: Store) {
    store.create_table::<Shop>().await.unwrap();
    let mut feed = store.changes::<Shop>(Start::Latest).await.unwrap();
    let s = Stock::attr();

    store.put(&stock("a", 1)).await.unwrap();
    store.put(&stock("a", 2)).await.unwrap();
    store.create(&stock("b", 10)).await.unwrap();
    store
        .put(&stock("a", 3))
        .when(s.count.eq(2i64))
        .await
        .unwrap();
    store
        .update(Stock::key("s1", "a"))
        .add(s.count, 4)
        .await
        .unwrap();
    store.delete(Stock::key("s1", "b")).await.unwrap();
    let mut tx = store.transaction();
    tx.put(&stock("c", 5));
    tx.update(Update::new(Stock::key("s1", "a")).subtract(s.count, 1));
    tx.commit().await.unwrap();
    store
        .put_all(&[stock("d", 6), stock("e", 7)])
        .await
        .unwrap();
    store
        .modify(Stock::key("s1", "a"), |x: &mut Stock| x.count *= 10)
        .await
        .unwrap();

    let changes = read(&mut feed, 11).await;
    let got: Vec<_> = changes.iter().map(summary).collect();
    use ChangeKind::{Insert, Modify, Remove};
    let of = |sku: &str| -> Vec<_> {
        got.iter()
            .filter(|c| c.1 == sku)
            .map(|(k, _, old, new)| (*k, *old, *new))
            .collect()
    };
    assert_eq!(got.len(), 11, "{got:?}");
    assert_eq!(
        of("a"),
        [
            (Insert, None, Some(1)),
            (Modify, Some(1), Some(2)),
            (Modify, Some(2), Some(3)),
            (Modify, Some(3), Some(7)),
            (Modify, Some(7), Some(6)),
            (Modify, Some(6), Some(60)),
        ]
    );
    assert_eq!(
        of("b"),
        [(Insert, None, Some(10)), (Remove, Some(10), None)]
    );
    assert_eq!(of("c"), [(Insert, None, Some(5))]);
    assert_eq!(of("d"), [(Insert, None, Some(6))]);
    assert_eq!(of("e"), [(Insert, None, Some(7))]);
    for change in &changes {
        assert_eq!(change.origin, Origin::Application);
        assert_eq!(change.partition_key, "s1");
        let age = SystemTime::now()
            .duration_since(change.at)
            .unwrap_or_default();
        assert!(
            age < Duration::from_secs(120),
            "{:?} is the write's time",
            change.at
        );
    }
}

/// A failed condition, a refused create, a cancelled transaction and a
/// delete of nothing record nothing; the write after them is the only
/// record.
pub async fn only_committed_writes_are_recorded(store: Store) {
    store.create_table::<Shop>().await.unwrap();
    store.put(&stock("a", 1)).await.unwrap();
    let mut feed = store.changes::<Shop>(Start::Latest).await.unwrap();
    let s = Stock::attr();

    assert!(matches!(
        store.create(&stock("a", 9)).await,
        Err(Error::AlreadyExists { .. })
    ));
    assert!(matches!(
        store.put(&stock("a", 9)).when(s.count.eq(5i64)).await,
        Err(Error::ConditionFailed(_))
    ));
    let mut tx = store.transaction();
    tx.put(&stock("x", 1));
    tx.update(
        Update::new(Stock::key("s1", "a"))
            .add(s.count, 1)
            .when(s.count.gt(100i64)),
    );
    assert!(matches!(
        tx.commit().await,
        Err(Error::TransactionCanceled(_))
    ));
    store.delete(Stock::key("s1", "nothing")).await.unwrap();
    assert!(store
        .update(Stock::key("s1", "a"))
        .add(s.count, 1)
        .when(Condition::not_exists())
        .await
        .is_err());

    store.put(&stock("z", 26)).await.unwrap();
    let changes = read(&mut feed, 1).await;
    let got: Vec<_> = changes.iter().map(summary).collect();
    assert_eq!(got, [(ChangeKind::Insert, "z".to_owned(), None, Some(26))]);
}

/// A reader resumes after the records it had read, from the cursor's text;
/// `Oldest` reads from the first record, `Latest` from now on; another
/// table's cursor is refused.
pub async fn readers_resume_from_a_saved_cursor(store: Store) {
    store.create_table::<Shop>().await.unwrap();
    store.create_table::<Quiet>().await.unwrap();
    for (i, sku) in ["a", "b", "c", "d", "e"].iter().enumerate() {
        store.put(&stock(sku, i as i64)).await.unwrap();
    }
    let mut first = store.changes::<Shop>(Start::Oldest).await.unwrap();
    let mut read_by_first = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while read_by_first.len() < 3 && std::time::Instant::now() < deadline {
        let want = 3 - read_by_first.len();
        read_by_first.extend(first.next_up_to(want).await.unwrap());
    }
    assert_eq!(read_by_first.len(), 3);
    let saved = first.cursor().to_string();
    drop(first);

    let cursor: FeedCursor = saved.parse().unwrap();
    let mut second = store
        .changes::<Shop>(Start::After(cursor.clone()))
        .await
        .unwrap();
    let rest = read(&mut second, 2).await;
    let mut skus: Vec<String> = read_by_first
        .iter()
        .chain(&rest)
        .map(|c| summary(c).1)
        .collect();
    skus.sort();
    assert_eq!(skus, ["a", "b", "c", "d", "e"], "each record once");

    // The second reader's cursor, after a new write, gives just that.
    let after_all = second.cursor();
    store.put(&stock("f", 6)).await.unwrap();
    let mut third = store
        .changes::<Shop>(Start::After(after_all))
        .await
        .unwrap();
    let got: Vec<_> = read(&mut third, 1).await.iter().map(summary).collect();
    assert_eq!(got, [(ChangeKind::Insert, "f".to_owned(), None, Some(6))]);

    // `Latest` sees none of the past.
    let mut latest = store.changes::<Shop>(Start::Latest).await.unwrap();
    assert!(latest.next_batch().await.unwrap().is_empty());

    assert!(matches!(
        store.changes::<Quiet>(Start::After(cursor)).await,
        Err(Error::FeedCursor { .. })
    ));
    assert!("bluefeed1:{".parse::<FeedCursor>().is_err());
}

fn real_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// An item removed because it expired is a `Remove` of `Origin::Ttl`:
/// SQLite's `sweep_expired`, the emulator's TTL process.
pub async fn expiry_removals_are_flagged(store: Store) {
    store.create_table::<Shop>().await.unwrap();
    let mut feed = store.changes::<Shop>(Start::Latest).await.unwrap();
    let hold = Hold {
        shop: "s1".into(),
        id: "h1".into(),
        expires_at: real_now() - 10,
    };
    store.put(&hold).await.unwrap();
    store.put(&stock("a", 1)).await.unwrap();
    store.sweep_expired::<Shop>().await.unwrap();
    sweep_emulator();
    store.delete(Stock::key("s1", "a")).await.unwrap();

    let changes = read(&mut feed, 4).await;
    let hold_changes: Vec<_> = changes
        .iter()
        .filter(|c| c.sort_key.starts_with("HOLD#"))
        .map(|c| (c.kind, c.origin))
        .collect();
    assert_eq!(
        hold_changes,
        [
            (ChangeKind::Insert, Origin::Application),
            (ChangeKind::Remove, Origin::Ttl)
        ]
    );
    let removed = changes
        .iter()
        .find(|c| c.kind == ChangeKind::Remove && c.sort_key.starts_with("HOLD#"))
        .unwrap();
    assert_eq!(removed.old, Some(Shop::Hold(hold)));
    let stock_changes: Vec<_> = changes
        .iter()
        .filter(|c| c.sort_key.starts_with("STOCK#"))
        .map(|c| (c.kind, c.origin))
        .collect();
    assert_eq!(
        stock_changes,
        [
            (ChangeKind::Insert, Origin::Application),
            (ChangeKind::Remove, Origin::Application)
        ]
    );
}

/// The outbox keeps records for its retention only (24 hours, or shorter
/// as configured here), and a reader behind what it removed gets a typed
/// gap error, never a silent jump; `Oldest` starts after the removed ones.
#[test]
fn a_reader_behind_the_retention_gets_a_gap() {
    use blue_schema::backend::sqlite::SqliteConfig;
    crate::support::runtime().block_on(async {
        let backend = SqliteConfig::memory()
            .feed_retention(Duration::from_millis(50))
            .open()
            .unwrap();
        let store = Store::from_backend(backend);
        store.create_table::<Shop>().await.unwrap();
        let behind = store.changes::<Shop>(Start::Latest).await.unwrap().cursor();
        store.put(&stock("a", 1)).await.unwrap();
        store.put(&stock("b", 2)).await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        store.put(&stock("c", 3)).await.unwrap();
        match store.changes::<Shop>(Start::After(behind)).await {
            Err(Error::FeedGap { table, .. }) => assert_eq!(table, "blue_shop"),
            other => panic!("expected a gap, got {:?}", other.map(|f| f.cursor())),
        }
        let mut oldest = store.changes::<Shop>(Start::Oldest).await.unwrap();
        let got = oldest.next_batch().await.unwrap();
        let summaries: Vec<_> = got.iter().map(summary).collect();
        assert_eq!(
            summaries,
            [(ChangeKind::Insert, "c".to_owned(), None, Some(3))]
        );
        let c_at: u64 = got[0].position.to_string().parse().unwrap();

        // Everything ages out; the next record still gets a new number,
        // so a reader's cursor never skips it.
        let after_c = oldest.cursor();
        tokio::time::sleep(Duration::from_millis(100)).await;
        let mut emptied = store.changes::<Shop>(Start::Oldest).await.unwrap();
        assert!(emptied.next_batch().await.unwrap().is_empty());
        store.put(&stock("d", 4)).await.unwrap();
        let mut resumed = store.changes::<Shop>(Start::After(after_c)).await.unwrap();
        let got = resumed.next_batch().await.unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(summary(&got[0]).1, "d");
        let d_at: u64 = got[0].position.to_string().parse().unwrap();
        assert!(d_at > c_at, "{d_at} after {c_at}");
    });
}

/// A write that leaves the item as it was, write times included, records
/// nothing: copying a table twice (the copy keeps each item's write times)
/// records its items once. DynamoDB writes no record for such a write;
/// the emulator writes one, which the reader leaves out.
pub async fn writes_that_change_nothing_record_nothing(store: Store) {
    store.create_table::<Shop>().await.unwrap();
    let source = Store::sqlite_memory().unwrap();
    source.create_table::<Shop>().await.unwrap();
    source.put(&stock("a", 1)).await.unwrap();
    source.put(&stock("b", 2)).await.unwrap();
    let mut feed = store.changes::<Shop>(Start::Latest).await.unwrap();

    blue_schema::migrate::copy_table::<Shop>(&source, &store)
        .await
        .unwrap();
    let first: Vec<_> = read(&mut feed, 2).await.iter().map(summary).collect();
    assert_eq!(
        first,
        [
            (ChangeKind::Insert, "a".to_owned(), None, Some(1)),
            (ChangeKind::Insert, "b".to_owned(), None, Some(2)),
        ]
    );
    blue_schema::migrate::copy_table::<Shop>(&source, &store)
        .await
        .unwrap();
    store.put(&stock("c", 3)).await.unwrap();
    let second: Vec<_> = read(&mut feed, 1).await.iter().map(summary).collect();
    assert_eq!(
        second,
        [(ChangeKind::Insert, "c".to_owned(), None, Some(3))]
    );
}

/// A write onto an item that expired but that no TTL process removed yet
/// records the same on both backends: a create replaces it (a `Modify`
/// whose old image has expired); a put, with conditions or without,
/// removes it first (a `Remove`, then the write's `Insert`).
pub async fn writes_over_expired_items_record_the_same_everywhere(store: Store) {
    // The store's clock a day ahead: expired to the store only, so that
    // the emulator's own TTL process never removes these items.
    let ahead = real_now() + 86_400;
    let store = store.with_clock(blue_schema::ttl::ManualClock::at(
        UNIX_EPOCH + Duration::from_secs(ahead),
    ));
    store.create_table::<Shop>().await.unwrap();
    let hold = |id: &str, expires_at: u64| Hold {
        shop: "s1".into(),
        id: id.into(),
        expires_at,
    };
    let soon = real_now() + 3_600;
    store.put(&hold("p", soon)).await.unwrap();
    store.put(&hold("c", soon)).await.unwrap();
    store.put(&hold("w", soon)).await.unwrap();
    let mut feed = store.changes::<Shop>(Start::Latest).await.unwrap();

    store.put(&hold("p", ahead + 60)).await.unwrap();
    store.create(&hold("c", ahead + 60)).await.unwrap();
    store
        .put(&hold("w", ahead + 60))
        .when(Condition::not_exists())
        .await
        .unwrap();

    let changes = read(&mut feed, 4).await;
    let got: Vec<_> = changes
        .iter()
        .map(|c| {
            let id = c.sort_key.trim_start_matches("HOLD#").to_owned();
            (id, c.kind, c.origin, c.old.is_some(), c.new.is_some())
        })
        .collect();
    let of = |id: &str| -> Vec<_> {
        got.iter()
            .filter(|c| c.0 == id)
            .map(|c| (c.1, c.2, c.3, c.4))
            .collect()
    };
    use ChangeKind::{Insert, Modify, Remove};
    let app = Origin::Application;
    assert_eq!(
        of("p"),
        [(Remove, app, true, false), (Insert, app, false, true)],
        "{got:?}"
    );
    assert_eq!(of("c"), [(Modify, app, true, true)], "{got:?}");
    assert_eq!(
        of("w"),
        [(Remove, app, true, false), (Insert, app, false, true)],
        "{got:?}"
    );
}

/// A named consumer keeps its place in the store: restarted, it goes on
/// after its last commit (what it read but did not commit comes again).
/// One process holds the name at a time; a stalled holder whose lease ran
/// out is taken over and learns it at its next commit.
pub async fn consumers_resume_from_their_checkpoint_under_a_lease(store: Store) {
    use blue_schema::store::Checkpoint;
    let clock = blue_schema::ttl::ManualClock::at(SystemTime::now());
    let store = store.with_clock(clock.clone());
    store.create_table::<Shop>().await.unwrap();
    for (i, sku) in ["a", "b", "c"].iter().enumerate() {
        store.put(&stock(sku, i as i64)).await.unwrap();
    }
    let is = |sku: &'static str| move |c: &Change<Shop>| c.sort_key == format!("STOCK#{sku}");

    let mut first = store
        .consumer::<Shop>("indexer")
        .lease(Duration::from_secs(10))
        .open()
        .await
        .unwrap();
    let read = first
        .wait_for(is("b"), Duration::from_secs(10))
        .await
        .unwrap();
    assert!(read.len() >= 2, "a and b: {read:?}");
    first.commit().await.unwrap();
    // Read, not committed: comes again after a restart.
    first
        .wait_for(is("c"), Duration::from_secs(10))
        .await
        .unwrap();

    // While the first holds the lease, nobody else reads for the name.
    assert!(matches!(
        store.consumer::<Shop>("indexer").open().await,
        Err(Error::LeaseHeld { .. })
    ));
    // Another name is another consumer, with a place of its own.
    let mut other = store.consumer::<Shop>("mailer").open().await.unwrap();
    let all = other
        .wait_for(is("c"), Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(
        all.iter()
            .filter(|c| c.sort_key.starts_with("STOCK#"))
            .count(),
        3
    );

    first.release().await.unwrap();
    store.put(&stock("d", 4)).await.unwrap();
    let mut second = store.consumer::<Shop>("indexer").open().await.unwrap();
    let again = second
        .wait_for(is("d"), Duration::from_secs(10))
        .await
        .unwrap();
    let skus: Vec<String> = again.iter().map(|c| summary(c).1).collect();
    assert_eq!(skus, ["c", "d"], "after the commit, c again, then d");
    second.commit().await.unwrap();

    // The second stalls past its lease; a third takes over; the second's
    // commit is refused and saves nothing.
    clock.advance(Duration::from_secs(60));
    let third = store.consumer::<Shop>("indexer").open().await.unwrap();
    assert!(matches!(
        second.commit().await,
        Err(Error::LeaseLost { consumer }) if consumer == "indexer"
    ));
    let stored: Checkpoint = store
        .get(Checkpoint::key("indexer", "blue_shop"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&stored, third.checkpoint());
}

/// The feed as a stream: changes one at a time, waiting for new ones, its
/// cursor after the last one yielded.
pub async fn a_feed_reads_as_a_stream(store: Store) {
    store.create_table::<Shop>().await.unwrap();
    let feed = store.changes::<Shop>(Start::Latest).await.unwrap();
    let mut stream = feed.into_stream(Duration::from_millis(20));
    store.put(&stock("a", 1)).await.unwrap();
    store.put(&stock("b", 2)).await.unwrap();
    let first = stream.next().await.unwrap().unwrap();
    assert_eq!(summary(&first).1, "a");
    // Taken now, the cursor is after `a`: `b` comes again from it.
    let after_a = stream.cursor().clone();
    let second = stream.next().await.unwrap().unwrap();
    assert_eq!(summary(&second).1, "b");
    // A write after the stream caught up arrives too.
    store.put(&stock("c", 3)).await.unwrap();
    let third = tokio::time::timeout(Duration::from_secs(10), stream.next())
        .await
        .expect("the stream yields the new write")
        .unwrap()
        .unwrap();
    assert_eq!(summary(&third).1, "c");
    let mut again = store.changes::<Shop>(Start::After(after_a)).await.unwrap();
    let rest: Vec<_> = read(&mut again, 2)
        .await
        .iter()
        .map(|c| summary(c).1)
        .collect();
    assert_eq!(rest, ["b", "c"]);
}

/// A table dropped and created again has a new feed: a cursor of the old
/// one gets a gap error, even when it had read everything (on DynamoDB
/// the new table has a new stream; on SQLite the outbox numbers on past
/// the dropped one's), and the new feed carries the new writes. (dynoxide
/// 3.2 also serves the dropped table's records in the new stream, which
/// AWS does not: nothing here reads the new feed from its oldest record.)
pub async fn a_dropped_table_starts_a_new_feed(store: Store) {
    store.create_table::<Shop>().await.unwrap();
    store.put(&stock("a", 1)).await.unwrap();
    let mut old = store.changes::<Shop>(Start::Oldest).await.unwrap();
    assert_eq!(read(&mut old, 1).await.len(), 1);
    let caught_up = old.cursor();
    store.drop_table::<Shop>().await.unwrap();
    store.create_table::<Shop>().await.unwrap();
    let mut new = store.changes::<Shop>(Start::Latest).await.unwrap();
    store.put(&stock("b", 2)).await.unwrap();
    assert!(matches!(
        store.changes::<Shop>(Start::After(caught_up)).await,
        Err(Error::FeedGap { .. })
    ));
    let got: Vec<_> = read(&mut new, 1).await.iter().map(summary).collect();
    assert_eq!(got, [(ChangeKind::Insert, "b".to_owned(), None, Some(2))]);
}

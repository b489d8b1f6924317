//! The change feed in the reference model: after every random sequence, a
//! consumer that knows nothing but the feed rebuilds a copy of the
//! sequence's items, and the copy must equal the table, on every backend.
//!
//! The consumer also checks each record against its copy as it applies
//! it: a `Modify` or `Remove` must carry as its old image exactly the item
//! the copy holds, an `Insert` must find none. So a record missing, out of
//! order for its item, doubled, or with a wrong image, is a divergence,
//! not only a different end state.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use blue_schema::feed::{Change, ChangeKind, Start};
use blue_schema::{ChangeFeed, Store};

use crate::entities::{v1, PartItems, Pin, Reliable, Tally};
use crate::expiry::{Lease, Leases};
use crate::model::Space;

/// A store's two feeds, opened before a sequence runs.
pub struct Feeds {
    /// The sequence's namespace: a sweep also removes other sequences'
    /// expired leases, whose records this consumer leaves out.
    ns: String,
    reliable: ChangeFeed<Reliable>,
    leases: ChangeFeed<Leases>,
    copy: BTreeMap<(String, String), String>,
    /// Each key's records so far, for the message of a divergence.
    history: BTreeMap<(String, String), Vec<String>>,
    records: usize,
}

impl Feeds {
    pub async fn open(store: &Store, space: &Space) -> Feeds {
        Feeds {
            ns: space.ns.clone(),
            reliable: store.changes::<Reliable>(Start::Latest).await.unwrap(),
            leases: store.changes::<Leases>(Start::Latest).await.unwrap(),
            copy: BTreeMap::new(),
            history: BTreeMap::new(),
            records: 0,
        }
    }

    /// How many records the consumer applied.
    pub fn records(&self) -> usize {
        self.records
    }

    /// Applies one record to the copy, checking its old image.
    fn apply<T>(&mut self, change: &Change<T>, show: impl Fn(&T) -> String) -> Result<(), String> {
        let ours = change
            .partition_key
            .split('#')
            .any(|part| part.starts_with(&self.ns));
        if !ours {
            return Ok(());
        }
        let key = (change.partition_key.clone(), change.sort_key.clone());
        let held = self.copy.get(&key);
        let old = change.old.as_ref().map(&show);
        let history = self.history.entry(key.clone()).or_default();
        history.push(format!(
            "{:?} {:?} at {} ({:?} -> {:?})",
            change.kind,
            change.origin,
            change.position,
            old,
            change.new.as_ref().map(&show)
        ));
        let ok = match change.kind {
            ChangeKind::Insert => held.is_none() && old.is_none(),
            _ => held.is_some() && held == old.as_ref(),
        };
        if !ok {
            return Err(format!(
                "feed record {:?} of {} | {} at {}: the copy holds {held:?}, the record's old \
                 image is {old:?}; the key's records: {:#?}",
                change.kind, key.0, key.1, change.position, self.history[&key]
            ));
        }
        match (&change.kind, &change.new) {
            (ChangeKind::Remove, _) => {
                self.copy.remove(&key);
            }
            (_, Some(new)) => {
                self.copy.insert(key, show(new));
            }
            (kind, None) => {
                return Err(format!("feed record {kind:?} of {key:?} has no new image"))
            }
        }
        self.records += 1;
        Ok(())
    }

    /// Reads every record available now into the copy: each feed until it
    /// has nothing new (a feed asked again right after saying so waits,
    /// as DynamoDB's read rate asks).
    async fn drain(&mut self) -> Result<(), String> {
        loop {
            let reliable = self
                .reliable
                .next_batch()
                .await
                .map_err(|e| e.to_string())?;
            if reliable.is_empty() {
                break;
            }
            for change in &reliable {
                self.apply(change, |r: &Reliable| match r {
                    Reliable::Cell(x) => format!("{x:?}"),
                    Reliable::Doc(x) => format!("{x:?}"),
                    Reliable::Mark(x) => format!("{x:?}"),
                    Reliable::Tally(x) => format!("{x:?}"),
                    Reliable::Pin(x) => format!("{x:?}"),
                })?;
            }
        }
        loop {
            let leases = self.leases.next_batch().await.map_err(|e| e.to_string())?;
            if leases.is_empty() {
                return Ok(());
            }
            for change in &leases {
                self.apply(change, |Leases::Lease(x)| format!("{x:?}"))?;
            }
        }
    }

    /// The copy's items, sorted, as the table shows them.
    fn copied(&self) -> Vec<String> {
        let mut items: Vec<String> = self.copy.values().cloned().collect();
        items.sort();
        items
    }

    /// Reads the feed until the copy equals the table (DynamoDB's stream
    /// is readable a moment after the write; SQLite's at once), for up to
    /// 10 s; the difference then.
    pub async fn check(&mut self, store: &Store, space: &Space, parts: u8) -> Result<(), String> {
        let table = table_items(store, space, parts).await;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            self.drain().await?;
            let copied = self.copied();
            if copied == table {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "the copy rebuilt from the feed differs from the table:\n  table: {table:?}\n  \
                     copy:  {copied:?}"
                ));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Every item the sequence's partitions hold, expired leases included (a
/// copy holds them until a TTL process removes them, as the table does),
/// sorted.
async fn table_items(store: &Store, space: &Space, parts: u8) -> Vec<String> {
    let mut items = Vec::new();
    for p in 0..parts {
        let part: Vec<PartItems> = store
            .query(PartItems::query(space.part(p)))
            .all()
            .await
            .unwrap();
        items.extend(part.iter().map(|item| match item {
            PartItems::Cell(x) => format!("{x:?}"),
            PartItems::Doc(x) => format!("{x:?}"),
            PartItems::Mark(x) => format!("{x:?}"),
        }));
        if let Some(tally) = store.get(Tally::key(space.part(p))).await.unwrap() {
            items.push(format!("{tally:?}"));
        }
        // Pins under their keys and under their old keys, as the current
        // program reads them (the feed's images of old-key pins are too).
        let pins: Vec<Pin> = store.query(Pin::query(space.part(p))).all().await.unwrap();
        items.extend(pins.iter().map(|x| format!("{x:?}")));
        let old: Vec<v1::Pin> = store
            .query(v1::Pin::query(space.part(p)))
            .all()
            .await
            .unwrap();
        items.extend(old.into_iter().map(|x| format!("{:?}", x.upgraded())));
        let leases: Vec<Lease> = store
            .query(Lease::query(space.part(p)))
            .include_expired()
            .all()
            .await
            .unwrap();
        items.extend(leases.iter().map(|l| format!("{l:?}")));
    }
    items.sort();
    items
}

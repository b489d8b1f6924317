//! The change feed of a history's partition: a consumer opened before the
//! clients start rebuilds the partition from the records alone, checking
//! each as it applies it (an `Insert` finds no item, a `Modify` or `Remove`
//! carries exactly the item the copy holds as its old image), and the copy
//! must end equal to the table. Run under wire faults and with a writer
//! process killed, it shows that a write the caller was told about, or not
//! told about, has its record once, in its place.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use blue_schema::feed::{Change, ChangeKind, Start};
use blue_schema::{ChangeFeed, Store};

use super::Space;
use crate::entities::{PartItems, Reliable};

pub struct FeedCopy {
    feed: ChangeFeed<Reliable>,
    part: String,
    /// Sort key → the item, as `Debug` shows it.
    copy: BTreeMap<String, String>,
    pub records: usize,
}

fn show(item: &Reliable) -> String {
    match item {
        Reliable::Cell(x) => format!("{x:?}"),
        Reliable::Doc(x) => format!("{x:?}"),
        Reliable::Mark(x) => format!("{x:?}"),
        Reliable::Tally(x) => format!("{x:?}"),
        Reliable::Pin(x) => format!("{x:?}"),
    }
}

impl FeedCopy {
    /// A consumer of `store`'s feed from now on, for `space`'s partition:
    /// opened before the partition's first write.
    pub async fn open(store: &Store, space: &Space) -> FeedCopy {
        FeedCopy {
            feed: store.changes::<Reliable>(Start::Latest).await.unwrap(),
            part: space.part.clone(),
            copy: BTreeMap::new(),
            records: 0,
        }
    }

    fn apply(&mut self, change: &Change<Reliable>) -> Result<(), String> {
        if !change.partition_key.split('#').any(|p| p == self.part) {
            return Ok(());
        }
        let held = self.copy.get(&change.sort_key);
        let old = change.old.as_ref().map(show);
        let fits = match change.kind {
            ChangeKind::Insert => held.is_none() && old.is_none(),
            _ => held.is_some() && held == old.as_ref(),
        };
        if !fits {
            return Err(format!(
                "feed record {:?} of {} at {}: the copy holds {held:?}, the record's old image \
                 is {old:?}",
                change.kind, change.sort_key, change.position
            ));
        }
        match (&change.kind, &change.new) {
            (ChangeKind::Remove, _) => {
                self.copy.remove(&change.sort_key);
            }
            (_, Some(new)) => {
                self.copy.insert(change.sort_key.clone(), show(new));
            }
            (kind, None) => return Err(format!("a {kind:?} record without a new image")),
        }
        self.records += 1;
        Ok(())
    }

    /// Reads the feed until the copy equals the partition as the table
    /// holds it (DynamoDB's stream is readable a moment after the write),
    /// for up to 10 s: the difference then.
    pub async fn check(&mut self, store: &Store) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            loop {
                let batch = self.feed.next_batch().await.map_err(|e| e.to_string())?;
                if batch.is_empty() {
                    break;
                }
                for change in &batch {
                    self.apply(change)?;
                }
            }
            let mut table: Vec<String> = store
                .query(PartItems::query(self.part.as_str()))
                .all()
                .await
                .map_err(|e| e.to_string())?
                .iter()
                .map(|item| match item {
                    PartItems::Cell(x) => format!("{x:?}"),
                    PartItems::Doc(x) => format!("{x:?}"),
                    PartItems::Mark(x) => format!("{x:?}"),
                })
                .collect();
            table.sort();
            let mut copied: Vec<String> = self.copy.values().cloned().collect();
            copied.sort();
            if copied == table {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "the copy rebuilt from the feed differs from the table:\n  table: \
                     {table:?}\n  copy:  {copied:?}"
                ));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

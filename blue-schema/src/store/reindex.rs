//! Writing every item's secondary-index keys again: after an index was
//! added to a table that holds items, or an access pattern to an entity.

use std::borrow::Cow;

use serde_json::Value;

use super::decode::Attributes;
use super::Store;
use crate::backend::engine::Engine;
use crate::backend::with_engine;
use crate::ops::action::{Action, Returning};
use crate::ops::check::Checks;
use crate::ops::cond::{CmpOp, Cond};
use crate::ops::decode::AnyDecoder;
use crate::ops::{ItemKey, ScanPage, UpdateOp};
use crate::schema::{is_index_key_attribute, Table};
use crate::Error;

/// Items read per page of a reindex.
const PAGE_ITEMS: u32 = 100;

/// What [`Store::reindex`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Reindexed {
    /// Items read.
    pub scanned: u64,
    /// Items whose index keys were written (added, changed or removed).
    pub rewritten: u64,
    /// Items changed by another writer between the read and the write:
    /// that write wrote their index keys itself.
    pub skipped: u64,
    /// Items of no entity of the table, left alone.
    pub unknown: u64,
}

impl Store {
    /// Reads every item of table `T` and writes the index keys it should
    /// have where they differ from the stored ones: keys of an index the
    /// item is newly in, new keys of an access pattern whose definition
    /// changed, and no keys for an index it is no longer in. Nothing else
    /// of an item changes, not even its `updated_at`.
    ///
    /// [`create_table`](Store::create_table) runs it after adding an index
    /// to a table that holds items; run it yourself after adding an access
    /// pattern to an index that exists. Each item is written with a
    /// condition that its index fields are still the ones read, so a
    /// concurrent write (which writes its own index keys) is never undone;
    /// running it again is harmless. It reads the whole table: on DynamoDB,
    /// one read unit per 4 KB and one write per item rewritten.
    ///
    /// # Errors
    ///
    /// [`Error::Decode`] for an item that does not decode as its entity
    /// (items before it are done), [`Error::Limit`] for an item its index
    /// keys would make too large, and the backend's errors.
    pub async fn reindex<T: Table>(&self) -> Result<Reindexed, Error> {
        with_engine!(&self.backend, b => reindex_on::<_, T>(b).await)
    }
}

async fn reindex_on<B: Engine, T: Table>(backend: &B) -> Result<Reindexed, Error> {
    let table = T::SCHEMA.name;
    let mut report = Reindexed::default();
    let mut resume_after = None;
    loop {
        let page = backend
            .scan(ScanPage {
                table,
                resume_after: resume_after.take(),
                limit: Some(PAGE_ITEMS),
                segment: None,
            })
            .await?;
        for raw in page.items {
            report.scanned += 1;
            if raw.sort_key == crate::schema::unique::MARKER_SORT_KEY {
                // A unique value's marker: in no index.
                continue;
            }
            let keys = raw.keys(table);
            let item = B::raw_to_json(&raw.data, keys)?;
            let Some(found) = T::__index_keys_of(&raw.partition_key, &raw.sort_key, &item) else {
                report.unknown += 1;
                continue;
            };
            let found = found.map_err(|e| keys.decode_error(e))?;
            let (entity, wanted) = (found.entity, found.index_keys);
            let Value::Object(stored) = &item else {
                return Err(keys.decode_error("the item is not a map"));
            };
            let mut actions = Vec::new();
            for (name, value) in &wanted {
                if stored.get(*name).and_then(Value::as_str) != Some(value.as_str()) {
                    actions.push(Action::Set(
                        Cow::Borrowed(*name),
                        Value::String(value.clone()),
                        None,
                    ));
                }
            }
            for name in stored.keys() {
                if is_index_key_attribute(name) && !wanted.iter().any(|(w, _)| w == name) {
                    actions.push(Action::Remove(Cow::Owned(name.clone())));
                }
            }
            if actions.is_empty() {
                continue;
            }
            // The fields the keys were computed from, as read.
            let mut condition = Cond::ItemExists(true);
            for field in entity.indexes.iter().flat_map(|i| i.fields()) {
                let name = Cow::Borrowed(field.name);
                let part = match stored.get(field.name) {
                    Some(v) => Cond::Cmp(name, CmpOp::Eq, v.clone()),
                    None => Cond::Exists(name, false),
                };
                condition = Cond::And(Box::new(condition), Box::new(part));
            }
            let op = UpdateOp {
                key: ItemKey::new(table, raw.partition_key.clone(), raw.sort_key.clone())?,
                actions,
                checks: Checks {
                    user: Some(condition),
                    ..Checks::default()
                },
                returning: Returning::Nothing,
                create: None,
                // Its own last write time: the item's data did not change.
                now: keys.last_written().to_owned(),
                decode: AnyDecoder::of::<Attributes>(),
                entity,
                measure_whole: true,
            };
            match backend.update(op).await {
                Ok(_) => report.rewritten += 1,
                Err(Error::ConditionFailed(_) | Error::NotFound { .. }) => report.skipped += 1,
                Err(e) => return Err(e),
            }
        }
        match page.next {
            Some(key) => resume_after = Some(key),
            None => return Ok(report),
        }
    }
}

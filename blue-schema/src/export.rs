//! Moving a table through files in the format of DynamoDB's own export to
//! S3 (`DYNAMODB_JSON`): one item per line, `{"Item":{"pk":{"S":"…"},…}}`,
//! each attribute in DynamoDB's typed JSON. A file written by
//! [`export_table`] is what AWS's *import from S3* reads (uncompressed, or
//! gzipped by the user), and a data file of an AWS export (gunzipped) is
//! what [`import_table`] reads; the items are the ones the DynamoDB backend
//! stores (`pk`, `sk`, `created_at`, `updated_at` and the entity's
//! attributes).
//!
//! Both backends export the same lines for the same items: attributes in
//! name order, `#[set]` attributes as `SS` / `NS`.
//!
//! [`check_table`] reads every item of a table and reports those that are
//! not what the schema says.

use std::io::{BufRead, Write};

use serde_json::{Map, Value};

use crate::backend::engine::Engine;
use crate::backend::with_engine;
use crate::ops::decode::StoredKeys;
use crate::ops::{PutBatch, ScanPage};
use crate::schema::unique::{parse_marker_partition_key, MARKER_SORT_KEY, OWNER_PK, OWNER_SK};
use crate::schema::{is_index_key_attribute, SetKind, Table};
use crate::schema::{CREATED_AT, PARTITION_KEY, SORT_KEY, UPDATED_AT};
use crate::{Error, Store};

/// Writes every item of table `T` in `from` to `out`, one line each;
/// `on_item` is called with the count so far after each page. Returns the
/// number of items.
///
/// # Errors
///
/// [`Error::Backend`] for a failed write to `out`, [`Error::Decode`] for an
/// item that is not a map, and the backend's errors.
pub async fn export_table<T: Table>(
    from: &Store,
    out: &mut (dyn Write + Send),
    mut on_page: impl FnMut(u64) + Send,
) -> Result<u64, Error> {
    let table = T::SCHEMA.name;
    with_engine!(&from.backend, source => {
        let mut resume_after = None;
        let mut n = 0u64;
        loop {
            let page = source
                .scan(ScanPage {
                    table,
                    resume_after,
                    limit: Some(1000),
                    segment: None,
                })
                .await?;
            for raw in &page.items {
                let keys = raw.keys(table);
                let value = source_json(source, &raw.data, keys)?;
                let line = export_line::<T>(keys, value)?;
                writeln!(out, "{line}").map_err(|e| Error::backend("export", e))?;
                n += 1;
            }
            on_page(n);
            match page.next {
                Some(key) => resume_after = Some(key),
                None => break,
            }
        }
        out.flush().map_err(|e| Error::backend("export", e))?;
        Ok(n)
    })
}

fn source_json<A: Engine>(_: &A, raw: &A::Raw, keys: StoredKeys<'_>) -> Result<Value, Error> {
    A::raw_to_json(raw, keys)
}

/// One item's line: `{"Item":{…}}`.
fn export_line<T: Table>(keys: StoredKeys<'_>, value: Value) -> Result<String, Error> {
    let Value::Object(attributes) = value else {
        return Err(keys.decode_error("the item is not a map"));
    };
    let sets = T::SCHEMA
        .entity_for_sort_key(keys.sort_key)
        .map_or(&[][..], |e| e.sets);
    let mut item = Map::new();
    let s = |v: &str| serde_json::json!({ "S": v });
    item.insert(PARTITION_KEY.to_owned(), s(keys.partition_key));
    item.insert(SORT_KEY.to_owned(), s(keys.sort_key));
    item.insert(CREATED_AT.to_owned(), s(keys.created_at));
    if !keys.updated_at.is_empty() {
        item.insert(UPDATED_AT.to_owned(), s(keys.updated_at));
    }
    for (name, value) in attributes {
        let set = sets.iter().find(|(n, _)| *n == name).map(|(_, kind)| *kind);
        if let Some(typed) = typed(&value, set) {
            item.insert(name, typed);
        }
    }
    let mut line = Map::new();
    line.insert("Item".to_owned(), Value::Object(item));
    Ok(Value::Object(line).to_string())
}

/// A JSON value as DynamoDB's typed JSON; `None` for an empty set (which
/// DynamoDB does not store).
fn typed(value: &Value, set: Option<SetKind>) -> Option<Value> {
    use serde_json::json;
    Some(match (value, set) {
        (Value::Array(members), Some(kind)) => {
            if members.is_empty() {
                return None;
            }
            let members: Vec<Value> = members
                .iter()
                .map(|m| match m {
                    Value::String(s) => Value::String(s.clone()),
                    other => Value::String(other.to_string()),
                })
                .collect();
            match kind {
                SetKind::Numbers => json!({ "NS": members }),
                SetKind::Strings => json!({ "SS": members }),
            }
        }
        (Value::Null, _) => json!({ "NULL": true }),
        (Value::Bool(b), _) => json!({ "BOOL": b }),
        (Value::Number(n), _) => json!({ "N": n.to_string() }),
        (Value::String(s), _) => json!({ "S": s }),
        (Value::Array(items), None) => {
            json!({ "L": items.iter().filter_map(|v| typed(v, None)).collect::<Vec<_>>() })
        }
        (Value::Object(map), _) => {
            let map: Map<String, Value> = map
                .iter()
                .filter_map(|(k, v)| typed(v, None).map(|t| (k.clone(), t)))
                .collect();
            json!({ "M": map })
        }
    })
}

/// DynamoDB's typed JSON as a plain JSON value.
fn untyped(value: &Value, line: usize) -> Result<Value, Error> {
    let bad = |what: String| Error::backend("import", format!("line {line}: {what}"));
    let Value::Object(map) = value else {
        return Err(bad(format!("{value} is not a typed attribute value")));
    };
    let Some((tag, inner)) = map.iter().next().filter(|_| map.len() == 1) else {
        return Err(bad(format!("{value} is not a typed attribute value")));
    };
    let number = |n: &Value| -> Result<Value, Error> {
        let text = n
            .as_str()
            .ok_or_else(|| bad(format!("N {n} is not a string")))?;
        serde_json::from_str::<serde_json::Number>(text)
            .map(Value::Number)
            .map_err(|_| bad(format!("N {text:?} is not a number")))
    };
    Ok(match (tag.as_str(), inner) {
        ("S", Value::String(_)) => inner.clone(),
        ("N", _) => number(inner)?,
        ("BOOL", Value::Bool(_)) => inner.clone(),
        ("NULL", _) => Value::Null,
        ("SS", Value::Array(_)) => inner.clone(),
        ("NS", Value::Array(members)) => {
            Value::Array(members.iter().map(number).collect::<Result<_, _>>()?)
        }
        ("L", Value::Array(items)) => Value::Array(
            items
                .iter()
                .map(|v| untyped(v, line))
                .collect::<Result<_, _>>()?,
        ),
        ("M", Value::Object(map)) => Value::Object(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), untyped(v, line)?)))
                .collect::<Result<_, Error>>()?,
        ),
        ("B" | "BS", _) => {
            return Err(bad(
                "binary attributes are not supported: no entity stores them".into(),
            ))
        }
        _ => return Err(bad(format!("{value} is not a typed attribute value"))),
    })
}

/// Reads lines written by [`export_table`] (or an AWS export of the table)
/// from `input` and writes the items into table `T` of `to` (created if
/// needed), in batches of 25; `on_page` is called with the count so far.
/// Items keep their keys, attributes and write times; their index keys are
/// computed again from their fields.
///
/// # Errors
///
/// [`Error::Backend`] naming the line for a line that is not an item,
/// [`Error::Limit`] or [`Error::Decode`] for an item that cannot be
/// written (nothing of its batch is written), and the backend's errors.
pub async fn import_table<T: Table>(
    to: &Store,
    input: &mut (dyn BufRead + Send),
    mut on_page: impl FnMut(u64) + Send,
) -> Result<u64, Error> {
    to.create_table::<T>().await?;
    let table = T::SCHEMA.name;
    with_engine!(&to.backend, target => {
        let mut n = 0u64;
        let mut batch = Vec::new();
        let mut line_no = 0;
        let mut text = String::new();
        loop {
            text.clear();
            let read = input
                .read_line(&mut text)
                .map_err(|e| Error::backend("import", e))?;
            let mut next = None;
            if read > 0 {
                line_no += 1;
                if text.trim().is_empty() {
                    continue;
                }
                next = Some(import_item::<_, T>(target, &text, line_no)?);
            }
            // A key seen again in the same batch (which DynamoDB refuses)
            // ends the batch first: the later line wins, as it would if
            // the lines were written one by one.
            let repeated = next
                .as_ref()
                .is_some_and(|item| batch.iter().any(|b: &crate::ops::WriteItem<_>| b.key == item.key));
            let full = batch.len() == crate::limits::MAX_BATCH_WRITE_ITEMS;
            if !batch.is_empty() && (repeated || full || read == 0) {
                n += batch.len() as u64;
                target
                    .put_batch(PutBatch {
                        table,
                        items: std::mem::take(&mut batch),
                        keep_stamps: true,
                    expiry: None,
                    })
                    .await?;
                on_page(n);
            }
            if let Some(item) = next {
                batch.push(item);
            }
            if read == 0 {
                return Ok(n);
            }
        }
    })
}

fn import_item<B: Engine, T: Table>(
    _: &B,
    text: &str,
    line: usize,
) -> Result<crate::ops::WriteItem<B::Item>, Error> {
    let bad = |what: &str| Error::backend("import", format!("line {line}: {what}"));
    let parsed: Value = serde_json::from_str(text).map_err(|e| bad(&e.to_string()))?;
    let Some(Value::Object(item)) = parsed.get("Item") else {
        return Err(bad("not an {\"Item\": {…}} line"));
    };
    let mut attributes = Map::new();
    let string = |name: &str| -> Result<String, Error> {
        match item.get(name).map(|v| untyped(v, line)).transpose()? {
            Some(Value::String(s)) => Ok(s),
            None if name == UPDATED_AT => Ok(String::new()),
            _ => Err(bad(&format!(
                "attribute {name:?} is missing or not a string"
            ))),
        }
    };
    let (pk, sk) = (string(PARTITION_KEY)?, string(SORT_KEY)?);
    let (created_at, updated_at) = (string(CREATED_AT)?, string(UPDATED_AT)?);
    for (name, value) in item {
        if [PARTITION_KEY, SORT_KEY, CREATED_AT, UPDATED_AT].contains(&name.as_str()) {
            continue;
        }
        attributes.insert(name.clone(), untyped(value, line)?);
    }
    crate::migrate::from_json::<B, T>(pk, sk, created_at, updated_at, Value::Object(attributes))
}

/// What [`check_table`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CheckReport {
    /// Items read.
    pub items: u64,
    /// One line per item that is not what the schema says: its key and
    /// why.
    pub problems: Vec<String>,
    /// The items of each entity, by the shape they are stored in
    /// ([`crate::schema::shape`]): what a backfill would rewrite.
    pub shapes: std::collections::BTreeMap<(&'static str, u64), u64>,
    /// The items of each moving entity still under its old key
    /// ([`key_move`](crate::schema::key_move)): what a backfill would
    /// move. A move is finished when this has none.
    pub unmoved: std::collections::BTreeMap<&'static str, u64>,
    /// The markers of unique values read ([`crate::schema::unique`]).
    pub markers: u64,
    /// Markers whose item does not exist, or does not hold their value
    /// (each also a line in `problems`): values no item holds that stay
    /// taken.
    pub orphan_markers: u64,
    /// Unique values an item holds without a marker naming it, or that
    /// another item holds too (each also a line in `problems`): values
    /// not kept unique. An item written before its entity had the
    /// constraint has no marker until it is written again.
    pub missing_markers: u64,
}

impl CheckReport {
    /// Whether every item is what the schema says.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Reads every item of table `T` and reports those whose sort key names no
/// entity of the table (an unknown prefix), those that do not decode as
/// their entity, and those whose stored keys (table or index) disagree
/// with the keys their fields give; and for entities with `#[unique]`
/// fields, markers without their item and values without their marker
/// (kept in memory: one entry per unique value).
///
/// # Errors
///
/// The backend's errors (not the items' problems, which are reported).
pub async fn check_table<T: Table>(store: &Store) -> Result<CheckReport, Error> {
    let table = T::SCHEMA.name;
    with_engine!(&store.backend, source => {
        let mut report = CheckReport::default();
        let mut resume_after = None;
        let mut unique = UniqueCheck::default();
        loop {
            let page = source
                .scan(ScanPage {
                    table,
                    resume_after,
                    limit: Some(1000),
                    segment: None,
                })
                .await?;
            for raw in &page.items {
                report.items += 1;
                let keys = raw.keys(table);
                let at = format!("{} | {}", raw.partition_key, raw.sort_key);
                let value = match source_json(source, &raw.data, keys) {
                    Ok(value) => value,
                    Err(e) => {
                        report.problems.push(format!("{at}: does not decode: {e}"));
                        continue;
                    }
                };
                if raw.sort_key == MARKER_SORT_KEY {
                    report.markers += 1;
                    unique.marker(&raw.partition_key, &value);
                    continue;
                }
                if T::SCHEMA.entity_for_sort_key(&raw.sort_key).is_none() {
                    if let Some(entity) = T::SCHEMA.entity_moved_from(&raw.sort_key) {
                        *report.unmoved.entry(entity.name).or_default() += 1;
                        continue;
                    }
                }
                match T::__index_keys_of(&raw.partition_key, &raw.sort_key, &value) {
                    None => report
                        .problems
                        .push(format!("{at}: unknown prefix: the sort key names no entity of the table")),
                    Some(Err(e)) => report.problems.push(format!(
                        "{at}: does not decode as {}: {e}",
                        T::SCHEMA.entity_for_sort_key(&raw.sort_key).map_or("its entity", |e| e.name)
                    )),
                    Some(Ok(found)) => {
                        let shape = match &value {
                            Value::Object(map) => crate::schema::shape::stored_shape(map),
                            _ => 1,
                        };
                        *report.shapes.entry((found.entity.name, shape)).or_default() += 1;
                        for marker in &found.unique {
                            unique.holds(marker, &raw.partition_key, &raw.sort_key);
                        }
                        let (pk, sk) = &found.table_key;
                        if (pk.as_str(), sk.as_str()) != (raw.partition_key.as_str(), raw.sort_key.as_str()) {
                            report.problems.push(format!(
                                "{at}: key disagrees with the fields of the {}: they give {pk} | {sk}",
                                found.entity.name
                            ));
                        }
                        let stored: Vec<(&str, &str)> = match &value {
                            Value::Object(map) => map
                                .iter()
                                .filter(|(k, _)| is_index_key_attribute(k))
                                .map(|(k, v)| (k.as_str(), v.as_str().unwrap_or("")))
                                .collect(),
                            _ => Vec::new(),
                        };
                        let mut wanted: Vec<(&str, &str)> = found
                            .index_keys
                            .iter()
                            .map(|(k, v)| (*k, v.as_str()))
                            .collect();
                        wanted.sort_unstable();
                        let mut stored = stored;
                        stored.sort_unstable();
                        if stored != wanted {
                            report.problems.push(format!(
                                "{at}: index keys disagree with the fields: stored {stored:?}, the fields give {wanted:?} (run `store.reindex::<T>()`)"
                            ));
                        }
                    }
                }
            }
            match page.next {
                Some(key) => resume_after = Some(key),
                None => {
                    unique.report(&mut report);
                    return Ok(report);
                }
            }
        }
    })
}

/// The unique values a check found: each marker's owner, and each value's
/// holders.
#[derive(Default)]
struct UniqueCheck {
    /// Marker partition key → the key it names.
    markers: std::collections::BTreeMap<String, (String, String)>,
    /// Marker partition key → the items that hold the value.
    holders: std::collections::BTreeMap<String, Vec<(String, String)>>,
}

impl UniqueCheck {
    fn marker(&mut self, partition_key: &str, value: &Value) {
        let text = |name: &str| {
            value
                .get(name)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned()
        };
        self.markers
            .insert(partition_key.to_owned(), (text(OWNER_PK), text(OWNER_SK)));
    }

    fn holds(&mut self, marker: &str, partition_key: &str, sort_key: &str) {
        self.holders
            .entry(marker.to_owned())
            .or_default()
            .push((partition_key.to_owned(), sort_key.to_owned()));
    }

    fn report(self, report: &mut CheckReport) {
        let value = |marker: &str| {
            parse_marker_partition_key(marker)
                .map_or(marker.to_owned(), |(entity, constraint, value)| {
                    format!("{entity}.{constraint} = {value:?}")
                })
        };
        for (marker, (pk, sk)) in &self.markers {
            let held = self
                .holders
                .get(marker)
                .is_some_and(|h| h.iter().any(|(p, s)| (p, s) == (pk, sk)));
            if !held {
                report.orphan_markers += 1;
                report.problems.push(format!(
                    "{marker} | {MARKER_SORT_KEY}: marker of {} names {pk} | {sk}, which does not hold it: \
                     the value stays taken (delete the marker)",
                    value(marker)
                ));
            }
        }
        for (marker, holders) in &self.holders {
            let owner = self.markers.get(marker);
            for (pk, sk) in holders {
                if owner.is_some_and(|(p, s)| (p, s) == (pk, sk)) {
                    continue;
                }
                report.missing_markers += 1;
                let why = match owner {
                    Some((p, s)) => format!("its marker names {p} | {s}: two items hold the value"),
                    None => "it has no marker (write the item again to claim it)".to_owned(),
                };
                report
                    .problems
                    .push(format!("{pk} | {sk}: holds {}, but {why}", value(marker)));
            }
        }
    }
}

//! Schema snapshots and the compatibility check; see [`compatibility`].

mod keys;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::schema::{EntitySchema, KeyFieldSchema, KeyRole, TableSchema};

/// The snapshot format this version writes.
const FORMAT: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct TableSnapshot {
    format: u32,
    table: String,
    indexes: Vec<String>,
    ttl: Option<String>,
    stream: bool,
    entities: Vec<EntitySnapshot>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct EntitySnapshot {
    name: String,
    prefix: String,
    partition_key: String,
    sort_key: String,
    key_parts: Vec<KeyPartSnapshot>,
    shape: u32,
    attributes: Vec<AttributeSnapshot>,
    older_shapes: Vec<ShapeSnapshot>,
    indexes: Vec<IndexSnapshot>,
    /// The old key of a key move in progress.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    moved_from: Option<MovedFromSnapshot>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct MovedFromSnapshot {
    prefix: String,
    partition_key: String,
    sort_key: String,
    key_parts: Vec<KeyPartSnapshot>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct KeyPartSnapshot {
    field: String,
    rust_type: String,
    encoding: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct AttributeSnapshot {
    name: String,
    rust_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    key: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    optional: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    defaulted: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    version: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    set: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct ShapeSnapshot {
    number: u32,
    name: String,
    attributes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct IndexSnapshot {
    name: String,
    slot: String,
    partition_key: String,
    sort_key: String,
    projection: String,
    /// A multi-attribute pattern: its keys are the fields themselves.
    #[serde(default, skip_serializing_if = "is_false")]
    multi_attribute: bool,
}

#[allow(clippy::trivially_copy_pass_by_ref)]
fn is_false(b: &bool) -> bool {
    !*b
}

/// The snapshot of `table`: pretty JSON, in declaration order, ending in a
/// newline. Commit it next to the generated docs
/// (`docs/generated/<table>.schema.json`).
pub fn snapshot(table: &TableSchema) -> String {
    let mut text =
        serde_json::to_string_pretty(&table_snapshot(table)).expect("a snapshot is plain data");
    text.push('\n');
    text
}

fn table_snapshot(table: &TableSchema) -> TableSnapshot {
    TableSnapshot {
        format: FORMAT,
        table: table.name.to_owned(),
        indexes: table.indexes.iter().map(|s| s.name.to_owned()).collect(),
        ttl: table.ttl.map(str::to_owned),
        stream: table.stream,
        entities: table.entities.iter().map(|e| entity_snapshot(e)).collect(),
    }
}

fn key_parts(pk: &[KeyFieldSchema], sk: &[KeyFieldSchema]) -> Vec<KeyPartSnapshot> {
    pk.iter()
        .chain(sk)
        .map(|f| KeyPartSnapshot {
            field: f.field.to_owned(),
            rust_type: f.rust_type.to_owned(),
            encoding: f.encoding.describe(),
        })
        .collect()
}

fn entity_snapshot(entity: &EntitySchema) -> EntitySnapshot {
    EntitySnapshot {
        name: entity.name.to_owned(),
        prefix: entity.prefix.to_owned(),
        partition_key: entity.partition_key_template(),
        sort_key: entity.sort_key_template(),
        key_parts: key_parts(entity.partition_key, entity.sort_key),
        moved_from: entity.moved_from().map(|old| MovedFromSnapshot {
            prefix: old.prefix.to_owned(),
            partition_key: old.partition_key_template(),
            sort_key: old.sort_key_template(),
            key_parts: key_parts(old.partition_key, old.sort_key),
        }),
        shape: entity.shape,
        attributes: entity
            .attributes
            .iter()
            .map(|a| AttributeSnapshot {
                name: a.name.to_owned(),
                rust_type: a.rust_type.to_owned(),
                key: a.key.map(|k| match k {
                    KeyRole::PartitionKey => "partition".to_owned(),
                    KeyRole::SortKey => "sort".to_owned(),
                }),
                optional: a.optional,
                defaulted: a.defaulted,
                version: a.version,
                set: a.set.map(|k| format!("{k:?}")),
            })
            .collect(),
        older_shapes: entity
            .older_shapes()
            .map(|s| ShapeSnapshot {
                number: s.number,
                name: s.name.to_owned(),
                attributes: s.attributes.iter().map(|a| (*a).to_owned()).collect(),
            })
            .collect(),
        indexes: entity
            .indexes
            .iter()
            .map(|i| IndexSnapshot {
                name: i.name.to_owned(),
                slot: i.slot.name.to_owned(),
                partition_key: i.partition_key_template(),
                sort_key: i.sort_key_template(entity.prefix),
                projection: i.projection.describe(),
                multi_attribute: i.is_multi_attribute(),
            })
            .collect(),
    }
}

/// What [`compatibility`] found between a committed snapshot and the code.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Compatibility {
    /// The changes that would orphan or misread stored items, each with
    /// what breaks and what to do instead.
    pub refused: Vec<String>,
    /// The changes that keep every stored item readable.
    pub accepted: Vec<String>,
}

impl Compatibility {
    /// Whether nothing is refused.
    pub fn is_compatible(&self) -> bool {
        self.refused.is_empty()
    }
}

/// Compares the committed `snapshot` of a table ([`snapshot`]) with
/// `table` as the code defines it: the changes that would orphan or
/// misread the items already stored are refused.
///
/// A snapshot holds what decides how items are stored and found: the
/// table's name, indexes, TTL attribute and feed; each entity's prefix,
/// keys (templates, key parts' types and encodings), attributes (stored
/// name, Rust type, optional or defaulted, set, version), shape and older
/// shapes, and index patterns. This function compares a committed
/// snapshot with the schema in the code:
///
/// * **refused** (orphans or misreads stored items): a removed entity, a
///   changed prefix, partition or sort key (template, key part type or
///   encoding), a changed table name or TTL attribute; without a new
///   shape, an attribute removed, added as required, or retyped to a type
///   that does not read the stored values, and a changed index key; with a
///   new shape, a frozen older shape that does not store what that shape
///   stored, or a shape dropped from the chain;
/// * **accepted**: new entities, patterns and indexes, attributes added as
///   `Option` or `#[serde(default)]`, widened integers, a field made
///   optional, renamed Rust types and fields that keep their stored names,
///   and any attribute change that comes with a new shape.
///
/// Key moves (a key changed with the items moved to it) are not supported
/// yet: a changed key is refused.
///
/// # Errors
///
/// A message when `snapshot` is not a snapshot this version reads.
pub fn compatibility(snapshot: &str, table: &TableSchema) -> Result<Compatibility, String> {
    let old: TableSnapshot =
        serde_json::from_str(snapshot).map_err(|e| format!("not a schema snapshot: {e}"))?;
    if old.format != FORMAT {
        return Err(format!(
            "a snapshot of format {}, which this version does not read (it writes {FORMAT})",
            old.format
        ));
    }
    let new = table_snapshot(table);
    let mut out = Compatibility::default();
    compare_table(&old, &new, &mut out);
    for before in &old.entities {
        let now = new
            .entities
            .iter()
            .find(|e| e.name == before.name)
            .or_else(|| new.entities.iter().find(|e| e.prefix == before.prefix));
        match now {
            None => out.refused.push(format!(
                "entity `{}` (sort keys `{}`) was removed: its stored items would be read as \
                 nobody's and never written again; keep it in the table",
                before.name, before.sort_key
            )),
            Some(now) => compare_entity(before, now, &mut out),
        }
    }
    for now in &new.entities {
        if !old
            .entities
            .iter()
            .any(|e| e.name == now.name || e.prefix == now.prefix)
        {
            out.accepted.push(format!(
                "entity `{}` added (sort keys `{}`)",
                now.name, now.sort_key
            ));
        }
    }
    Ok(out)
}

fn compare_table(old: &TableSnapshot, new: &TableSnapshot, out: &mut Compatibility) {
    if old.table != new.table {
        out.refused.push(format!(
            "the table's name changed from `{}` to `{}`: every stored item would be in a table \
             the program no longer reads; keep the name (copy the data with `migrate::copy_table` \
             to move it)",
            old.table, new.table
        ));
    }
    if old.ttl.is_some() && old.ttl != new.ttl {
        out.refused.push(format!(
            "the TTL attribute changed from `{}` to {}: stored items' expiry would be ignored; \
             keep it",
            old.ttl.as_deref().unwrap_or_default(),
            new.ttl
                .as_deref()
                .map_or("none".to_owned(), |t| format!("`{t}`"))
        ));
    }
    for slot in &new.indexes {
        if !old.indexes.contains(slot) {
            out.accepted.push(format!("index `{slot}` added"));
        }
    }
    if old.stream != new.stream {
        out.accepted.push(format!(
            "the change feed turned {}",
            if new.stream { "on" } else { "off" }
        ));
    }
}

fn compare_entity(old: &EntitySnapshot, new: &EntitySnapshot, out: &mut Compatibility) {
    let name = &new.name;
    if old.name != new.name {
        out.accepted.push(format!(
            "entity `{}` renamed `{name}` (same prefix)",
            old.name
        ));
    }
    keys::compare_keys(old, new, out);
    compare_shapes(old, new, out);
    compare_indexes(old, new, out);
}

/// Attributes and shapes: without a new shape, every stored item must
/// still decode as the entity; with one, the chain must still decode every
/// shape the snapshot knew.
fn compare_shapes(old: &EntitySnapshot, new: &EntitySnapshot, out: &mut Compatibility) {
    let name = &new.name;
    for before in &old.older_shapes {
        let kept = new.older_shapes.iter().find(|s| s.number == before.number);
        let stored: BTreeSet<&String> = before.attributes.iter().collect();
        match kept {
            None => out.refused.push(format!(
                "shape {} of `{name}` was dropped from the chain: items still stored in it would \
                 not decode; keep `{}` until a backfill has left none (`check` counts them)",
                before.number, before.name
            )),
            Some(s) if s.attributes.iter().collect::<BTreeSet<_>>() != stored => {
                out.refused.push(format!(
                    "shape {} of `{name}` (`{}`) changed: a frozen shape decodes what was stored \
                     in it; restore it",
                    before.number, s.name
                ));
            }
            Some(_) => {}
        }
    }
    if new.shape < old.shape {
        out.refused.push(format!(
            "`{name}` went back from shape {} to {}: its items are stored in shape {}, which \
             this program would refuse to write (`NewerShape`); keep shape {}",
            old.shape, new.shape, old.shape, old.shape
        ));
        return;
    }
    if new.shape > old.shape {
        let stored: BTreeSet<&String> = old.attributes.iter().map(|a| &a.name).collect();
        match new.older_shapes.iter().find(|s| s.number == old.shape) {
            Some(frozen) if frozen.attributes.iter().collect::<BTreeSet<_>>() == stored => {
                out.accepted.push(format!(
                    "`{name}` moved from shape {} to {}: items stored in shape {} decode as `{}` \
                     and upgrade",
                    old.shape, new.shape, old.shape, frozen.name
                ));
            }
            Some(frozen) => out.refused.push(format!(
                "`{name}` moved to shape {}, but its frozen shape {} `{}` stores {} where the \
                 items of shape {} hold {}: the frozen type must be the struct as it was",
                new.shape,
                old.shape,
                frozen.name,
                list(frozen.attributes.iter()),
                old.shape,
                list(stored.into_iter())
            )),
            None => out.refused.push(format!(
                "`{name}` moved from shape {} to {}, but no frozen type of shape {} is in its \
                 chain: its stored items would not decode",
                old.shape, new.shape, old.shape
            )),
        }
        return;
    }
    compare_attributes(old, new, out);
}

/// Attributes at the same shape: only changes every stored item survives.
fn compare_attributes(old: &EntitySnapshot, new: &EntitySnapshot, out: &mut Compatibility) {
    let name = &new.name;
    let bump = format!(
        "declare shape {} (`#[entity(shape = {}, from = ...)]` with the struct as it was, \
         `#[derive(Shape)]`, and the conversion)",
        old.shape + 1,
        old.shape + 1
    );
    let before: BTreeMap<&str, &AttributeSnapshot> = old
        .attributes
        .iter()
        .map(|a| (a.name.as_str(), a))
        .collect();
    let now: BTreeMap<&str, &AttributeSnapshot> = new
        .attributes
        .iter()
        .map(|a| (a.name.as_str(), a))
        .collect();
    for (attribute, a) in &before {
        match now.get(attribute) {
            None => out.refused.push(format!(
                "attribute `{attribute}` of `{name}` was removed in shape {}: the next write of \
                 each stored item would drop its value; {bump}",
                old.shape
            )),
            Some(b) => {
                if let Some(problem) = changed(a, b) {
                    out.refused.push(format!(
                        "attribute `{attribute}` of `{name}` {problem} in shape {}: {bump}",
                        old.shape
                    ));
                } else if a != b {
                    out.accepted.push(format!(
                        "attribute `{attribute}` of `{name}` changed from `{}` to `{}` (reads \
                         every stored value)",
                        a.rust_type, b.rust_type
                    ));
                }
            }
        }
    }
    for (attribute, b) in &now {
        if before.contains_key(attribute) {
            continue;
        }
        if b.optional || b.defaulted || b.set.is_some() {
            out.accepted.push(format!(
                "attribute `{attribute}` of `{name}` added (`{}`: absent in stored items)",
                b.rust_type
            ));
        } else {
            out.refused.push(format!(
                "attribute `{attribute}` of `{name}` was added as required in shape {}: the \
                 stored items do not have it and would not decode; make it an `Option` or \
                 `#[serde(default)]`, or {bump}",
                old.shape
            ));
        }
    }
}

/// Why attribute `a` as stored does not read as `b`, if it does not.
fn changed(a: &AttributeSnapshot, b: &AttributeSnapshot) -> Option<String> {
    if a.version != b.version {
        return Some("changed whether it is the `#[version]`".to_owned());
    }
    if a.set != b.set {
        return Some("changed whether it is a `#[set]`".to_owned());
    }
    if a.optional && !b.optional && !b.defaulted {
        return Some(format!(
            "became required (`{}` to `{}`): stored items without it would not decode",
            a.rust_type, b.rust_type
        ));
    }
    let inner = |t: &str| {
        let t = t.trim();
        t.strip_prefix("Option<")
            .and_then(|t| t.strip_suffix('>'))
            .map_or(t.to_owned(), |t| t.trim().to_owned())
    };
    let (from, to) = (inner(&a.rust_type), inner(&b.rust_type));
    if from == to || widens(&from, &to) {
        return None;
    }
    Some(format!(
        "changed type from `{}` to `{}`, which may not read the stored values",
        a.rust_type, b.rust_type
    ))
}

/// Whether every value of integer or float type `from` reads as `to`.
fn widens(from: &str, to: &str) -> bool {
    const UNSIGNED: [&str; 5] = ["u8", "u16", "u32", "u64", "u128"];
    const SIGNED: [&str; 5] = ["i8", "i16", "i32", "i64", "i128"];
    let rank = |list: &[&str], t: &str| list.iter().position(|x| *x == t);
    match (
        rank(&UNSIGNED, from),
        rank(&UNSIGNED, to),
        rank(&SIGNED, from),
        rank(&SIGNED, to),
    ) {
        (Some(f), Some(t), _, _) | (_, _, Some(f), Some(t)) => f <= t,
        // An unsigned value fits a signed type twice as wide.
        (Some(f), _, _, Some(t)) => f < t,
        _ => from == "f32" && to == "f64",
    }
}

/// Index patterns: a changed key leaves the stored items' entries behind.
fn compare_indexes(old: &EntitySnapshot, new: &EntitySnapshot, out: &mut Compatibility) {
    let name = &new.name;
    for before in &old.indexes {
        match new.indexes.iter().find(|i| i.name == before.name) {
            None => out.accepted.push(format!(
                "index pattern `{}` of `{name}` removed (its entries stay until the items are \
                 rewritten)",
                before.name
            )),
            Some(now)
                if (&now.slot, &now.partition_key, &now.sort_key)
                    != (&before.slot, &before.partition_key, &before.sort_key) =>
            {
                let message = format!(
                    "index pattern `{}` of `{name}` changed from `{} {} | {}` to `{} {} | {}`",
                    before.name,
                    before.slot,
                    before.partition_key,
                    before.sort_key,
                    now.slot,
                    now.partition_key,
                    now.sort_key
                );
                if now.multi_attribute {
                    // The entries are the stored fields: nothing to rewrite,
                    // but the physical index's key is another one.
                    out.accepted.push(format!(
                        "{message}: a multi-attribute index is keyed by the stored fields, so no \
                         item needs rewriting, but DynamoDB cannot change an index's key: \
                         `create_table` refuses the table until the index `{}` is deleted (it then \
                         recreates it and indexes the stored items itself)",
                        now.slot
                    ));
                } else if new.shape > old.shape {
                    out.accepted.push(format!(
                        "{message} with shape {}: a backfill rewrites the entries",
                        new.shape
                    ));
                } else {
                    out.refused.push(format!(
                        "{message}: stored items keep their old entries, which the new pattern's \
                         queries would miss; declare shape {} and backfill, or run \
                         `store.reindex::<T>()` after the deploy and accept the change",
                        old.shape + 1
                    ));
                }
            }
            Some(now) if now.projection != before.projection => out.accepted.push(format!(
                "index pattern `{}` of `{name}` now projects {} instead of {}: DynamoDB cannot \
                 change what an index holds, so `create_table` refuses the table until the index \
                 `{}` is deleted (it then recreates and backfills it)",
                before.name, now.projection, before.projection, now.slot
            )),
            Some(_) => {}
        }
    }
    for now in &new.indexes {
        if !old.indexes.iter().any(|i| i.name == now.name) {
            out.accepted.push(if now.multi_attribute {
                format!(
                    "index pattern `{}` of `{name}` added on `{}` (a multi-attribute index: the \
                     items stored before are indexed by their fields as they are, no reindex)",
                    now.name, now.slot
                )
            } else {
                format!(
                    "index pattern `{}` of `{name}` added on `{}` (run `store.reindex::<T>()` for \
                     the items stored before)",
                    now.name, now.slot
                )
            });
        }
    }
}

fn list<'a>(names: impl Iterator<Item = &'a String>) -> String {
    let names: BTreeSet<&String> = names.collect();
    let names: Vec<String> = names.into_iter().map(|n| format!("`{n}`")).collect();
    format!("{{{}}}", names.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_widen_and_floats_too() {
        assert!(widens("u8", "u64"));
        assert!(widens("u32", "i64"));
        assert!(!widens("u64", "i64"));
        assert!(!widens("i32", "u64"));
        assert!(!widens("u64", "u32"));
        assert!(widens("f32", "f64"));
        assert!(!widens("f64", "f32"));
        assert!(!widens("String", "u32"));
    }
}

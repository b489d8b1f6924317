//! Updates that rewrite only what they change.
//!
//! An update names the attributes it reads and writes: its actions', its
//! checks', and on an item it may create, the key fields'. Only those are
//! parsed; every other attribute is copied into the new JSON as the text
//! it is stored as, and the new item's size is the stored size with the
//! changed attributes' sizes swapped (an item's size is the sum of its
//! attributes', [`limits::check::attributes_size`]). The result is the
//! item the whole-item path ([`super::write::plan_update`]) makes, but for
//! the order of its JSON's keys, which nothing reads.
//!
//! When the answer needs more than those attributes, [`plan`] gives way to
//! the whole-item path: a check that fails (its error carries the whole
//! item), an update that returns an item, one that reads half the item or
//! more, stored text that is not one JSON object with distinct keys, a
//! `size` column that does not add up (a row another tool wrote), changed
//! attributes DynamoDB would refuse as they were stored, and a reindex
//! ([`UpdateOp::measure_whole`]), which repairs rows another tool changed
//! without their size.
//!
//! The stored size is trusted as every read trusts it (a page's 1 MB cut
//! and capacity units are computed from it): a row whose JSON another tool
//! changed without its `size` keeps the difference until a put, a reindex
//! or an update that reads the whole item writes it again.

use std::borrow::Cow;

use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::write::{Stored, UpdateFailure, Updated};
use crate::limits::{self, check::CheckError, MAX_ITEM_BYTES};
use crate::ops::action::Returning;
use crate::ops::apply::apply;
use crate::ops::UpdateOp;
use crate::write::MapWithSets;

/// The update of `stored` by `op`, made from the attributes it names;
/// `None` when the whole-item path must answer (see the module).
pub(super) fn plan(op: &UpdateOp, stored: &Stored) -> Option<Result<Updated, UpdateFailure>> {
    if op.returning != Returning::Nothing || op.measure_whole {
        return None;
    }
    let stored_size = usize::try_from(stored.size?).ok()?;
    let mut names = op.checks.attributes();
    names.extend(op.actions.iter().map(|a| a.name()));
    if let Some(fields) = &op.create {
        names.extend(fields.iter().map(|(name, _)| *name));
    }
    names.sort_unstable();
    names.dedup();
    // An update that reads half the item or more (a condition on every
    // attribute, say) is no cheaper this way.
    let stored_attributes = op.entity.attributes.len() + 2 * op.entity.indexes.len();
    if names.len() * 2 > stored_attributes {
        return None;
    }
    let parts = split_object(&stored.data)?;
    let mut old = Map::new();
    for (name, raw) in &parts {
        if names.contains(&name.as_ref()) {
            let value: Value = serde_json::from_str(raw.get()).ok()?;
            old.insert(name.clone().into_owned(), value);
        }
    }
    if op.checks.failure(Some(&old)).is_some() {
        return None;
    }
    let sets = op.entity.sets;
    let old_size = limits::check::attributes_size(&MapWithSets { map: &old, sets }).ok()?;
    let mut new = old;
    if let Some(fields) = &op.create {
        // As DynamoDB's `SET`: the key fields (unchanged) and the index keys
        // made of them are written on an existing item too.
        for (name, value) in fields {
            new.insert((*name).to_owned(), value.clone());
        }
    }
    if let Err(e) = apply(&op.actions, &mut new) {
        return Some(Err(UpdateFailure::Apply(e)));
    }
    let new_size = match limits::check::attributes_size(&MapWithSets { map: &new, sets }) {
        Ok(size) => size,
        Err(CheckError::Limit(e)) => return Some(Err(UpdateFailure::Limit(e))),
        // Not a map of attributes: the whole-item path says so.
        Err(CheckError::NotAnItem(_)) => return None,
    };
    let stamps = |created_at, updated_at| {
        limits::check::Stamps {
            created_at,
            updated_at,
        }
        .size()
    };
    let size = stored_size
        .checked_sub(old_size + stamps(&stored.created_at, &stored.updated_at))?
        + new_size
        + stamps(&stored.created_at, &op.now);
    if size > MAX_ITEM_BYTES {
        return Some(Err(UpdateFailure::Limit(
            limits::LimitError::ItemTooLarge { bytes: size },
        )));
    }
    let data = join(&parts, &names, &new);
    Some(Ok(Updated {
        data,
        size,
        created_at: stored.created_at.clone(),
        old: None,
        new: Map::new(),
    }))
}

/// Panics unless `spliced` is what the whole-item path made of the same
/// update of `stored`: the same item (but for the order of its keys) and
/// size, or the same refusal. (A size only when `stored`'s was right: a
/// splice keeps the difference of a row another tool changed.)
#[cfg(all(debug_assertions, feature = "internal-checks"))]
pub(super) fn agrees(
    op: &UpdateOp,
    stored: &Stored,
    spliced: &Result<Updated, UpdateFailure>,
    whole: &Result<Result<Updated, UpdateFailure>, crate::Error>,
) {
    // The stored item measured as a write measures it.
    let stored_size_right = || {
        let Ok(Value::Object(map)) = serde_json::from_str(&stored.data) else {
            return false;
        };
        let stamps = limits::check::Stamps {
            created_at: &stored.created_at,
            updated_at: &stored.updated_at,
        };
        limits::check::check_item(
            &op.key.partition_key,
            &op.key.sort_key,
            stamps,
            &MapWithSets {
                map: &map,
                sets: op.entity.sets,
            },
            limits::check::IndexKeys::InItem,
        )
        .is_ok_and(|size| Some(size as i64) == stored.size)
    };
    match (spliced, whole) {
        (Ok(s), Ok(Ok(w))) => {
            let parse = |text: &str| serde_json::from_str::<Value>(text).unwrap();
            assert_eq!(parse(&s.data), parse(&w.data), "{} / {}", s.data, w.data);
            if stored_size_right() {
                assert_eq!(s.size, w.size, "the size of {}", s.data);
            }
            assert_eq!(s.created_at, w.created_at);
        }
        (Err(UpdateFailure::Apply(s)), Ok(Err(UpdateFailure::Apply(w)))) => assert_eq!(s, w),
        (Err(UpdateFailure::Limit(s)), Ok(Err(UpdateFailure::Limit(w)))) => {
            assert_eq!(s.to_string(), w.to_string())
        }
        (s, w) => panic!(
            "an update spliced {:?}, whole {:?}",
            s.as_ref().map(|u| &u.data).ok(),
            w.as_ref().map(|r| r.as_ref().map(|u| &u.data).ok()).ok()
        ),
    }
}

/// The new JSON: the stored attributes in their order, each named one as
/// it is now (left out when removed), the others as stored, then the
/// named attributes the item did not have.
fn join(parts: &[(Cow<'_, str>, &RawValue)], names: &[&str], new: &Map<String, Value>) -> String {
    let capacity = parts
        .iter()
        .map(|(name, raw)| name.len() + raw.get().len() + 4)
        .sum::<usize>()
        + 2;
    let mut out = String::with_capacity(capacity);
    out.push('{');
    let entry = |out: &mut String, name: &Cow<'_, str>, value: &str| {
        if out.len() > 1 {
            out.push(',');
        }
        match name {
            // Borrowed from the stored text: a JSON string without escapes
            // is its own text.
            Cow::Borrowed(name) => {
                out.push('"');
                out.push_str(name);
                out.push('"');
            }
            Cow::Owned(name) => push_name(out, name),
        }
        out.push(':');
        out.push_str(value);
    };
    for (name, raw) in parts {
        if !names.contains(&name.as_ref()) {
            entry(&mut out, name, raw.get());
        } else if let Some(value) = new.get(name.as_ref()) {
            entry(&mut out, name, &value.to_string());
        }
    }
    for (name, value) in new {
        if !parts.iter().any(|(n, _)| n == name) {
            entry(&mut out, &Cow::Owned(name.clone()), &value.to_string());
        }
    }
    out.push('}');
    out
}

/// An attribute name as a JSON string.
fn push_name(out: &mut String, name: &str) {
    let plain = name.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\');
    if plain {
        out.push('"');
        out.push_str(name);
        out.push('"');
    } else {
        out.push_str(&Value::from(name).to_string());
    }
}

/// The attributes of a stored JSON object, each name with its value's
/// text; `None` when the text is not one JSON object, or names an
/// attribute twice (which the whole-item path keeps once).
fn split_object(text: &str) -> Option<Vec<(Cow<'_, str>, &RawValue)>> {
    let mut de = serde_json::Deserializer::from_str(text);
    let parts = serde::de::DeserializeSeed::deserialize(Split, &mut de).ok()?;
    de.end().ok()?;
    let distinct = parts
        .iter()
        .enumerate()
        .all(|(i, (name, _))| parts[..i].iter().all(|(other, _)| other != name));
    distinct.then_some(parts)
}

struct Split;

impl<'de> serde::de::DeserializeSeed<'de> for Split {
    type Value = Vec<(Cow<'de, str>, &'de RawValue)>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Split {
    type Value = Vec<(Cow<'de, str>, &'de RawValue)>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut parts = Vec::with_capacity(map.size_hint().unwrap_or(8));
        while let Some(super::row::Key(name)) = map.next_key()? {
            parts.push((name, map.next_value::<&'de RawValue>()?));
        }
        Ok(parts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_split_into_names_and_stored_text() {
        let parts = split_object(r#"{"a":1, "b" : {"x":[1,"a"]},"c\u0041":"z"}"#).unwrap();
        let seen: Vec<(&str, &str)> = parts.iter().map(|(n, r)| (n.as_ref(), r.get())).collect();
        assert_eq!(
            seen,
            [("a", "1"), ("b", r#"{"x":[1,"a"]}"#), ("cA", r#""z""#)]
        );
        assert!(split_object("[1]").is_none());
        assert!(split_object(r#"{"a":1} x"#).is_none());
        assert!(split_object(r#"{"a":1,"a":2}"#).is_none(), "a name twice");
    }

    #[test]
    fn the_new_json_keeps_what_it_does_not_change() {
        let text = r#"{"a":1,"b":[2, 3],"c":"x","q\"":true}"#;
        let parts = split_object(text).unwrap();
        let mut new = Map::new();
        new.insert("c".into(), Value::from("y\"z"));
        new.insert("d".into(), Value::from(4));
        new.insert("e\u{1}".into(), Value::Null);
        let joined = join(&parts, &["a", "c", "d", "e\u{1}"], &new);
        assert_eq!(
            joined,
            r#"{"b":[2, 3],"c":"y\"z","q\"":true,"d":4,"e\u0001":null}"#
        );
        let value: Value = serde_json::from_str(&joined).unwrap();
        assert_eq!(value["q\""], Value::Bool(true));
    }
}

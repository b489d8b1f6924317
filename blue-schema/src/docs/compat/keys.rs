//! The compatibility check of an entity's key: unchanged, moving as its
//! shapes declare ([`key_move`](crate::schema::key_move)), or changed
//! without a declaration, which would orphan the stored items.

use super::{Compatibility, EntitySnapshot};

/// Compares the key of `old` (the snapshot's) with `new` (the code's).
pub(super) fn compare_keys(old: &EntitySnapshot, new: &EntitySnapshot, out: &mut Compatibility) {
    let name = &new.name;
    let key_changed = old.prefix != new.prefix
        || (&old.partition_key, &old.sort_key) != (&new.partition_key, &new.sort_key)
        || old.key_parts != new.key_parts;
    let declared = new.moved_from.as_ref().is_some_and(|m| {
        (&m.prefix, &m.partition_key, &m.sort_key, &m.key_parts)
            == (
                &old.prefix,
                &old.partition_key,
                &old.sort_key,
                &old.key_parts,
            )
    });
    if key_changed && declared {
        out.accepted.push(format!(
            "the key of `{name}` moves from `{} | {}` to `{} | {}` (declared on its previous \
             shape): items move on their next write and with `backfill`, reads by key fall \
             back to the old key meanwhile",
            old.partition_key, old.sort_key, new.partition_key, new.sort_key
        ));
    } else if key_changed && new.moved_from.is_some() {
        out.refused.push(format!(
            "the key of `{name}` changed from `{} | {}` to `{} | {}`, but its frozen shape \
             declares the old key `{} | {}`, which is not the stored items' key: declare \
             `#[sk(prefix = \"{}\")]` and the key fields as they were on the previous shape \
             (one key move at a time: finish a move from the declared key first)",
            old.partition_key,
            old.sort_key,
            new.partition_key,
            new.sort_key,
            new.moved_from.as_ref().map_or("", |m| &m.partition_key),
            new.moved_from.as_ref().map_or("", |m| &m.sort_key),
            old.prefix,
        ));
    } else if let (false, Some(m)) = (key_changed || new.moved_from.is_some(), &old.moved_from) {
        out.refused.push(format!(
            "the key move of `{name}` from `{} | {}` was finalized: items still under the old \
             key would be orphaned; remove the old key from the frozen shape only once `check` \
             finds none under it (a backfill moves them), then accept with `--accept-breaking`",
            m.partition_key, m.sort_key
        ));
    } else if key_changed {
        undeclared(old, new, out);
    }
}

/// A changed key without a declared move: refused, saying how to declare it.
fn undeclared(old: &EntitySnapshot, new: &EntitySnapshot, out: &mut Compatibility) {
    let name = &new.name;
    let declare = format!(
        "to move the items, bump the shape and keep the old key on the frozen previous shape: \
         `#[sk(prefix = \"{}\")]` with its `#[pk]` and `#[sk]` fields",
        old.prefix
    );
    if old.prefix != new.prefix {
        out.refused.push(format!(
            "the prefix of `{name}` changed from `{}` to `{}`: the items stored under `{}#...` \
             would be orphaned; keep the prefix, or {declare}",
            old.prefix, new.prefix, old.prefix
        ));
    } else if (&old.partition_key, &old.sort_key) != (&new.partition_key, &new.sort_key) {
        out.refused.push(format!(
            "the key of `{name}` changed from `{} | {}` to `{} | {}`: the items stored under the \
             old key would be orphaned; keep the key, or {declare} (a key move also needs a new \
             prefix)",
            old.partition_key, old.sort_key, new.partition_key, new.sort_key
        ));
    } else if old.key_parts != new.key_parts {
        for (before, now) in old.key_parts.iter().zip(&new.key_parts) {
            if before != now {
                out.refused.push(format!(
                    "key part `{{{}}}` of `{name}` changed from `{}` ({}) to `{}` ({}): the \
                     stored keys would not decode, or sort differently; keep its type",
                    now.field, before.rust_type, before.encoding, now.rust_type, now.encoding
                ));
            }
        }
    }
}

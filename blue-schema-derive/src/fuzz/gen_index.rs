//! The generator's access patterns: the `#[index(..)]` lines of an
//! entity, composed or multi-attribute.

use super::{prefix, Entity, Field, Rng, Role, Ty};

/// The `#[index(..)]` lines of entity `e` of case `n`: on some of the
/// table's `indexes`, keyed by a field of a key-part type, projecting
/// whole items, keys only, or chosen fields (read as a view).
pub fn index_lines(
    rng: &mut Rng,
    fields: &[Field],
    indexes: usize,
    n: usize,
    e: usize,
) -> Vec<String> {
    let mut index_lines = Vec::new();
    for gsi in 1..=indexes {
        let candidates: Vec<&Field> = fields
            .iter()
            .filter(|f| {
                matches!(f.role, Role::Value | Role::Pk | Role::Sk)
                    && matches!(f.ty, Ty::Str | Ty::U32 | Ty::U64 | Ty::OptStr | Ty::OptU64)
                    && !f.attrs.iter().any(|a| a.contains("rename"))
            })
            .collect();
        if candidates.is_empty() || !rng.chance(60) {
            continue;
        }
        let key = candidates[rng.below(candidates.len())].name.clone();
        let index_prefix = format!("IX{}", prefix(rng, &mut Vec::new()));
        // Keys only, chosen fields (read as a view), or whole items.
        let projectable: Vec<&str> = fields
            .iter()
            .filter(|f| !matches!(f.role, Role::Pk | Role::Sk) && f.name != key)
            .map(|f| f.name.as_str())
            .collect();
        let projection = if rng.chance(25) {
            ", project = keys_only".to_owned()
        } else if !projectable.is_empty() && rng.chance(30) {
            let first = projectable[rng.below(projectable.len())];
            let second = projectable[rng.below(projectable.len())];
            let named = if first == second {
                first.to_owned()
            } else {
                format!("{first}, {second}")
            };
            let view = if rng.chance(50) {
                format!(", view(name = Fz{n}View{e}x{gsi}, derive(Debug, Clone, PartialEq))")
            } else {
                String::new()
            };
            format!(", project({named}){view}")
        } else {
            String::new()
        };
        index_lines.push(format!(
            "#[index(gsi{gsi}, name = by_{gsi}_{e}, pk(prefix = \"{index_prefix}\", fields({key})){projection})]"
        ));
    }
    index_lines
}

/// Multi-attribute patterns, each on an index of its own after the
/// table's `indexes` (another entity on it would be refused): a partition
/// field, and maybe a sort field, of a native key type. How many indexes
/// the table then declares.
pub fn native_patterns(rng: &mut Rng, entities: &mut [Entity], indexes: usize) -> usize {
    let mut declared = indexes;
    for (e, entity) in entities.iter_mut().enumerate() {
        let native: Vec<String> = entity
            .fields
            .iter()
            .filter(|f| f.role == Role::Value && matches!(f.ty, Ty::Str | Ty::U32 | Ty::OptStr))
            .map(|f| f.name.clone())
            .collect();
        if native.is_empty() || !rng.chance(35) {
            continue;
        }
        declared += 1;
        let pk = native[rng.below(native.len())].clone();
        let sk = native.iter().find(|f| **f != pk && rng.chance(60)).cloned();
        let sk_part = sk
            .as_ref()
            .map(|f| format!(", sk(fields({f}))"))
            .unwrap_or_default();
        let projection = if rng.chance(30) {
            ", project = keys_only"
        } else {
            ""
        };
        let name = format!("by_native_{e}");
        entity.indexes.push(format!(
            "#[index(gsi{declared}, name = {name}, attributes, pk(fields({pk})){sk_part}{projection})]"
        ));
        entity.native = std::iter::once(pk).chain(sk).collect();
    }
    declared
}

//! The rules of `#[index(...)]` access patterns and their physical indexes.

use super::entity::BUILDER_METHODS;
use super::names::prefix_problem;
use crate::ast::Entity;
use crate::ctxt::Ctxt;

/// DynamoDB's quota of global secondary indexes per table.
pub const MAX_INDEXES: u32 = 20;

/// Inherent functions of an entity that an access pattern's query method
/// would clash with.
pub(super) const ENTITY_FUNCTIONS: &[&str] = &["key", "query", "attr", "partition"];

/// What is wrong with a physical index's name, if anything: it must be
/// `gsi1` to `gsi20`, whose key attributes (`gsi1pk`, `gsi1sk`) and SQLite
/// columns (`gsi1_pk`, `gsi1_sk`) are reserved.
pub fn index_slot_problem(name: &str) -> Option<String> {
    let n = name.strip_prefix("gsi").and_then(|n| {
        (!n.starts_with('0') && n.bytes().all(|b| b.is_ascii_digit()))
            .then(|| n.parse::<u32>().ok())
            .flatten()
    });
    match n {
        Some(n) if (1..=MAX_INDEXES).contains(&n) => None,
        _ => Some(format!(
            "`{name}` is not an index name: secondary indexes are named `gsi1` to `gsi{MAX_INDEXES}` \
             (DynamoDB allows {MAX_INDEXES} per table), and their keys are stored as `{{index}}pk` / `{{index}}sk`"
        )),
    }
}

// `#[index(gsi1, name = by_role, pk(prefix, fields), sk(fields), project)]`:
// an access pattern is a query on one physical index, keyed by fields of
// the entity that the codec can encode.
pub(super) fn check_indexes(cx: &mut Ctxt, entity: &Entity) {
    let mut slots: Vec<String> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    for index in &entity.indexes {
        let span = index.span;
        match &index.slot {
            None => cx.error_spanned_by(
                quote::quote_spanned!(span=> index),
                "name the table's index this access pattern lives in: `#[index(gsi1, name = by_role, pk(fields(role)))]`",
            ),
            Some(slot) => {
                let slot_name = slot.to_string();
                if let Some(problem) = index_slot_problem(&slot_name) {
                    cx.error_spanned_by(slot, problem);
                } else if slots.contains(&slot_name) {
                    cx.error_spanned_by(
                        slot,
                        format!(
                            "`{}` already has an access pattern on `{slot_name}`: an item has one key per index, \
                             so each access pattern of an entity needs its own index (declare another, `gsi2`, on the table)",
                            entity.ident
                        ),
                    );
                }
                slots.push(slot_name);
            }
        }
        match &index.name {
            None => cx.error_spanned_by(
                quote::quote_spanned!(span=> index),
                "name the access pattern: `name = by_role` becomes the query method `Entity::by_role(..)`",
            ),
            Some(name) => {
                let text = name.to_string();
                if ENTITY_FUNCTIONS.contains(&text.as_str()) {
                    cx.error_spanned_by(
                        name,
                        format!(
                            "an access pattern cannot be named `{text}`: the entity already has a function of that name ({})",
                            ENTITY_FUNCTIONS.join(", ")
                        ),
                    );
                } else if names.contains(&text) {
                    cx.error_spanned_by(name, format!("two access patterns are named `{text}`: name each once"));
                }
                names.push(text);
            }
        }
        if index.pk_fields.is_empty() {
            let at = match (&index.name, &index.slot) {
                (Some(name), _) => quote::quote!(#name),
                (None, Some(slot)) => quote::quote!(#slot),
                (None, None) => quote::quote_spanned!(span=> index),
            };
            cx.error_spanned_by(
                at,
                "an index partition key needs at least one field: `pk(fields(role))`; \
                 a query on an index, like one on the table, reads one partition",
            );
        }
        if let Some(lit) = &index.pk_prefix {
            if lit.value().is_empty() {
                cx.error_spanned_by(
                    lit,
                    "the index partition-key prefix is empty: remove it, or name it, e.g. \"ROLE\"",
                );
            } else if let Some(problem) = prefix_problem(&lit.value()) {
                cx.error_spanned_by(lit, problem);
            }
        }
        for ident in &index.sk_fields {
            if BUILDER_METHODS.contains(&ident.to_string().as_str()) {
                cx.error_spanned_by(
                    ident,
                    format!(
                        "a field named `{ident}` cannot be in an index sort key: the query builder has a method \
                         of that name ({}); rename the field (a serde rename keeps the stored name)",
                        BUILDER_METHODS.join(", ")
                    ),
                );
            }
        }
        let mut seen: Vec<String> = Vec::new();
        for ident in index.pk_fields.iter().chain(&index.sk_fields) {
            let Some(field) = entity.field(ident) else {
                cx.error_spanned_by(
                    ident,
                    format!(
                        "`{}` has no field `{ident}` to build this index key from",
                        entity.ident
                    ),
                );
                continue;
            };
            if seen.contains(&field.name) {
                cx.error_spanned_by(
                    ident,
                    format!("`{ident}` is already part of this index key: name each field once"),
                );
            }
            seen.push(field.name.clone());
            if field.skip.is_some() || field.flatten.is_some() {
                cx.error_spanned_by(
                    ident,
                    format!("`{ident}` is not stored as its own attribute (serde `skip` or `flatten`), so no index key can be built from it"),
                );
            }
            if let (Some(custom), None) = (&field.custom, field.role) {
                cx.error_spanned_by(
                    custom,
                    format!(
                        "`{ident}` is part of an index key, so `set_index` writes it on its own, with its \
                         type's `Serialize`: a serde `with` here would store it differently than a put does; \
                         remove it, or wrap the field in a newtype with `#[derive(KeyPart)]` and its own `Serialize`"
                    ),
                );
            }
            if field.version.is_some() {
                cx.error_spanned_by(
                    ident,
                    "the `#[version]` field changes on every write: an index key made of it would move on every write; index another field",
                );
            }
            if field.set.is_some() {
                cx.error_spanned_by(
                    ident,
                    "a `#[set]` field cannot be part of a key: a key holds one value per field",
                );
            }
        }
    }
    for index in &entity.indexes {
        check_projection(cx, entity, index);
        check_attributes(cx, index);
    }
    if !entity.indexes.is_empty() {
        if let Some(deny) = &entity.deny_unknown {
            cx.error_spanned_by(
                deny,
                "an entity with secondary indexes cannot use `deny_unknown_fields`: its items also hold \
                 the index keys (`gsi1pk`, `gsi1sk`), which the library writes and reads past",
            );
        }
    }
}

// `project(name, tier)` and `view(..)`: the fields a pattern's entries hold
// besides its keys, read as a generated view.
fn check_projection(cx: &mut Ctxt, entity: &Entity, index: &crate::attr::Index) {
    let crate::attr::Projection::Include(named, span) = &index.projection else {
        if let Some(view) = &index.view {
            cx.error_spanned_by(
                quote::quote_spanned!(view.span=> view),
                "`view(..)` names the view a `project(field, ..)` pattern returns: add \
                 `project(..)` with the fields the index should hold, or remove `view`",
            );
        }
        return;
    };
    if named.is_empty() {
        cx.error_spanned_by(
            quote::quote_spanned!(*span=> project),
            "`project()` names no field: list the fields the index holds besides the keys, \
             `project(name, tier)`, or write `project = keys_only`",
        );
    }
    let mut seen: Vec<String> = Vec::new();
    for ident in named {
        let Some(field) = entity.field(ident) else {
            cx.error_spanned_by(
                ident,
                format!(
                    "`{}` has no field `{ident}` for the index to project",
                    entity.ident
                ),
            );
            continue;
        };
        if seen.contains(&field.name) {
            cx.error_spanned_by(
                ident,
                format!("`{ident}` is already projected: name each field once"),
            );
            continue;
        }
        seen.push(field.name.clone());
        if field.role.is_some() {
            cx.error_spanned_by(
                ident,
                format!(
                    "`{ident}` is part of the table key, which every index entry holds: the view has \
                     the key fields already; remove it from `project(..)`"
                ),
            );
        } else if index
            .pk_fields
            .iter()
            .chain(&index.sk_fields)
            .any(|k| entity.field(k).is_some_and(|k| k.name == field.name))
        {
            cx.error_spanned_by(
                ident,
                format!(
                    "`{ident}` is part of this pattern's index key, which every entry holds: the view has \
                     it already; remove it from `project(..)`"
                ),
            );
        } else if field.skip.is_some() || field.flatten.is_some() {
            cx.error_spanned_by(
                ident,
                format!(
                    "`{ident}` is not stored as its own attribute (serde `skip` or `flatten`), so no \
                     index can project it"
                ),
            );
        }
    }
}

/// DynamoDB's most partition and sort attributes of a multi-attribute
/// index key.
const MAX_KEY_ATTRIBUTES: usize = 4;

// `attributes`: the index's keys are the fields themselves, DynamoDB's
// multi-attribute keys, with the table's `pk` and `sk` as the last two
// sort attributes.
fn check_attributes(cx: &mut Ctxt, index: &crate::attr::Index) {
    if index.attributes.is_none() {
        return;
    }
    if let Some(lit) = &index.pk_prefix {
        cx.error_spanned_by(
            lit,
            "a multi-attribute index key (`attributes`) holds the fields themselves, with nothing \
             before them: remove `prefix`, or leave out `attributes` for a composed key `PREFIX#{field}`",
        );
    }
    if index.pk_fields.len() > MAX_KEY_ATTRIBUTES {
        cx.error_spanned_by(
            &index.pk_fields[MAX_KEY_ATTRIBUTES],
            format!(
                "a multi-attribute index partition key has at most {MAX_KEY_ATTRIBUTES} attributes \
                 (DynamoDB's limit); this one has {}",
                index.pk_fields.len()
            ),
        );
    }
    if index.sk_fields.len() > MAX_KEY_ATTRIBUTES - 2 {
        cx.error_spanned_by(
            &index.sk_fields[MAX_KEY_ATTRIBUTES - 2],
            format!(
                "a multi-attribute index sort key has at most {} fields: DynamoDB allows {MAX_KEY_ATTRIBUTES} \
                 sort attributes, and the table's `pk` and `sk` are the last two, so that every entry's key \
                 is unique and a cursor resumes exactly after it on every backend; this one has {}",
                MAX_KEY_ATTRIBUTES - 2,
                index.sk_fields.len()
            ),
        );
    }
    if let crate::attr::Projection::Include(_, at) = &index.projection {
        cx.error_spanned_by(
            quote::quote_spanned!(*at=> project),
            "a multi-attribute pattern projects whole items or keys: write `project = all` (the \
             default) or `project = keys_only`; `project(field, ..)` views are for composed keys",
        );
    }
}

//! The rules of `#[derive(Table)]` on the enum and its variants.

use super::index::index_slot_problem;
use super::names::check_table_name;
use crate::ast::Table;
use crate::ctxt::Ctxt;

pub fn check_table(cx: &mut Ctxt, table: &Table) {
    let input = table.original;
    if !table.is_enum {
        cx.error_spanned_by(
            &input.ident,
            "`#[derive(Table)]` needs an enum with one variant per entity, e.g. `enum Dialogue { Meta(DialogueMeta), Expert(Expert) }`",
        );
        return;
    }
    check_table_generics(cx, table);
    check_table_variants(cx, table);
    check_table_name(cx, table);
    check_table_indexes(cx, table);
    check_table_ttl(cx, table);
}

// The TTL attribute is one of the item's own (an entity field stores it),
// so it is a name an entity field could have: not one the library writes.
pub(super) fn check_table_ttl(cx: &mut Ctxt, table: &Table) {
    let Some(ttl) = &table.ttl else { return };
    let name = ttl.value();
    if name.is_empty()
        || name.len() > 255
        || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        cx.error_spanned_by(
            ttl,
            "the TTL attribute's name is 1 to 255 letters, digits and `_`: name the attribute \
             your entities' `#[ttl]` fields are stored under, e.g. `ttl = \"expires_at\"`",
        );
    } else if crate::reserved::is_reserved(&name) {
        cx.error_spanned_by(
            ttl,
            format!(
                "`{name}` is an attribute the library writes itself; the TTL attribute is one \
                 of the entities' own fields, e.g. `ttl = \"expires_at\"`"
            ),
        );
    }
}

// The physical indexes of a table: `gsi1` to `gsi20`, each once.
pub(super) fn check_table_indexes(cx: &mut Ctxt, table: &Table) {
    for (i, slot) in table.indexes.iter().enumerate() {
        if let Some(problem) = index_slot_problem(&slot.to_string()) {
            cx.error_spanned_by(slot, problem);
        } else if table.indexes[..i].contains(slot) {
            cx.error_spanned_by(
                slot,
                format!("`{slot}` is declared twice: list each index once"),
            );
        }
    }
}

// A table lists a fixed set of entity types; its schema is one constant.
pub(super) fn check_table_generics(cx: &mut Ctxt, table: &Table) {
    let generics = &table.original.generics;
    if !generics.params.is_empty() {
        cx.error_spanned_by(
            generics,
            "a table cannot be generic: it lists a fixed set of entity types",
        );
    }
}

// Each variant is one entity, so that a whole-partition query can hand back
// each item as the variant its sort-key prefix names.
pub(super) fn check_table_variants(cx: &mut Ctxt, table: &Table) {
    if table.variants.is_empty() && table.malformed.is_empty() {
        cx.error_spanned_by(
            &table.original.ident,
            "a table needs at least one entity: add a variant `Entity(Entity)` per entity type",
        );
    }
    for variant in &table.malformed {
        cx.error_spanned_by(
            variant,
            format!(
                "each variant of a table holds exactly one entity: write `{0}({0})`",
                variant.ident
            ),
        );
    }
    // Linear in the number of entities (a pairwise comparison wrote each
    // type out again for every pair, 2 450 times for 50 entities).
    for ((_, ty), again) in table.variants.iter().zip(table.listed_before()) {
        if again {
            cx.error_spanned_by(
                ty,
                "this entity is already listed: each entity appears in its table once",
            );
        }
    }
}

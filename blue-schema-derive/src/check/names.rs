//! The grammars of the names the derives write into keys and tables:
//! sort-key prefixes and table names.

use crate::ast::{Entity, Table};
use crate::ctxt::Ctxt;

/// What is wrong with a prefix, if anything: prefixes are `[A-Z][A-Z0-9_]*`
/// so that they can never contain the delimiter, the fence byte `$` or an
/// escape, and read as the ADR's item types (`EXPERT`, `TEVENT`).
pub fn prefix_problem(value: &str) -> Option<String> {
    let first = value.chars().next()?;
    if let Some((item_type, _)) = value.split_once('#') {
        return Some(format!(
            "the prefix {value:?} contains `#`, the key delimiter: give the item type alone \
             ({:?}) and make the rest of the key `#[sk]` fields",
            item_type.to_uppercase()
        ));
    }
    if value.chars().any(|c| c.is_lowercase()) {
        return Some(format!(
            "the prefix {value:?} is not upper case: prefixes match [A-Z][A-Z0-9_]*, write {:?}",
            value.to_uppercase()
        ));
    }
    if !first.is_ascii_uppercase() {
        return Some(format!(
            "the prefix {value:?} must start with a letter A-Z (prefixes match [A-Z][A-Z0-9_]*)"
        ));
    }
    value
        .chars()
        .find(|c| !(c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_'))
        .map(|c| {
            format!(
                "`{c}` cannot appear in the prefix {value:?}: prefixes match [A-Z][A-Z0-9_]*, \
                 so that no prefix can contain a key delimiter or escape"
            )
        })
}

// The prefix names the item type inside the sort key; without it, items of
// different entities in one partition could not be told apart.
pub(super) fn check_prefixes(cx: &mut Ctxt, entity: &Entity) {
    match &entity.prefix {
        // Refused as written: that error says it.
        None if entity.malformed => {}
        None => cx.error_spanned_by(
            entity.ident,
            format!(
                "`{}` has no item type: add `#[sk(prefix = \"{}\")]` to the struct; the prefix starts \
                 every sort key of this entity (`{}#...`, or the whole key for a singleton like `META`)",
                entity.ident,
                entity.ident.to_string().to_uppercase(),
                entity.ident.to_string().to_uppercase()
            ),
        ),
        Some(lit) if lit.value().is_empty() => cx.error_spanned_by(
            lit,
            "the sort-key prefix is empty: it names the item type in every sort key, e.g. \"EXPERT\"",
        ),
        Some(lit) => {
            if let Some(problem) = prefix_problem(&lit.value()) {
                cx.error_spanned_by(lit, problem);
            }
        }
    }
    if let Some(lit) = &entity.pk_prefix {
        if lit.value().is_empty() {
            cx.error_spanned_by(
                lit,
                "the partition-key prefix is empty: remove `pk_prefix`, or name it, e.g. \"REALM\"",
            );
        } else if let Some(problem) = prefix_problem(&lit.value()) {
            cx.error_spanned_by(lit, problem);
        }
    }
}

// The same name is the DynamoDB table and the SQLite table, so it must be
// valid for both.
pub(super) fn check_table_name(cx: &mut Ctxt, table: &Table) {
    let input = table.original;
    match &table.name {
        None => cx.error_spanned_by(
            &input.ident,
            format!(
                "`{}` does not name its table: add `#[table(name = \"blue_{}\")]`",
                input.ident,
                input.ident.to_string().to_lowercase()
            ),
        ),
        Some(name) => {
            if let Some(problem) = table_name_problem(&name.value()) {
                cx.error_spanned_by(name, problem);
            }
        }
    }
}

// DynamoDB table names are 3 to 255 characters of [A-Za-z0-9_.-]. SQLite
// keeps names starting with `sqlite_` for itself.
pub(super) fn table_name_problem(name: &str) -> Option<String> {
    if name.len() < 3 || name.len() > 255 {
        return Some(format!(
            "the table name {name:?} is {} characters long; DynamoDB table names have 3 to 255",
            name.len()
        ));
    }
    if name.to_ascii_lowercase().starts_with("sqlite_") {
        return Some(format!(
            "the table name {name:?} starts with `sqlite_`, which SQLite reserves for its own tables; \
             choose another name"
        ));
    }
    name.chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')))
        .map(|c| {
            format!(
                "`{c}` cannot appear in the table name {name:?}: DynamoDB table names use A-Z, a-z, 0-9, `_`, `.` and `-`"
            )
        })
}

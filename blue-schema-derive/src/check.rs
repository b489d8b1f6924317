//! The portability rules of the derives: one function per rule, each saying
//! why DynamoDB (or the key codec) needs it.

use quote::ToTokens;
use syn::{GenericArgument, PathArguments, Type};

use crate::ast::{type_string, Entity, KeyPart, Table};
use crate::attr::{EnumOrder, KeyRole};
use crate::ctxt::Ctxt;
use crate::reserved;

/// Methods every generated query builder has, which a sort-key field's
/// builder method would clash with.
const BUILDER_METHODS: &[&str] = &[
    "page_size",
    "take",
    "reverse",
    "after",
    "eventually_consistent",
    "max_pages",
    "filter",
    "explain",
    "spec",
    "into_query",
];

/// DynamoDB supports composite keys only as strings we build; four parts is
/// the most the runtime's tuple support covers, and more is a design smell.
const MAX_PARTITION_KEY_FIELDS: usize = 4;

pub fn check_entity(cx: &mut Ctxt, entity: &Entity) {
    check_generics(cx, entity);
    check_partition_key(cx, entity);
    check_prefixes(cx, entity);
    check_names_table(cx, entity);
    check_key_types(cx, entity);
    check_serde_shape(cx, entity);
    check_reserved_attributes(cx, entity);
    check_duplicate_attributes(cx, entity);
    check_builder_method_names(cx, entity);
    check_version(cx, entity);
    check_sets(cx, entity);
    check_indexes(cx, entity);
}

/// DynamoDB's quota of global secondary indexes per table.
pub const MAX_INDEXES: u32 = 20;

/// Inherent functions of an entity that an access pattern's query method
/// would clash with.
const ENTITY_FUNCTIONS: &[&str] = &["key", "query", "attr", "partition"];

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
fn check_indexes(cx: &mut Ctxt, entity: &Entity) {
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

// `#[version]`: one `u64` data field, the counter every write checks.
fn check_version(cx: &mut Ctxt, entity: &Entity) {
    let mut seen = false;
    for field in entity.fields.iter() {
        let Some(attr) = field.version else { continue };
        if !matches!(attr.meta, syn::Meta::Path(_)) {
            cx.error_spanned_by(attr, "write a bare `#[version]`: it takes no arguments");
        }
        if seen {
            cx.error_spanned_by(attr, "an entity has at most one `#[version]` field");
        }
        seen = true;
        if field.role.is_some() {
            cx.error_spanned_by(
                attr,
                "a key field cannot be the `#[version]`: the version changes on every write, a key never does",
            );
        }
        let is_u64 =
            matches!(field.ty, syn::Type::Path(p) if p.qself.is_none() && p.path.is_ident("u64"));
        if !is_u64 {
            cx.error_spanned_by(
                field.ty,
                format!(
                    "the `#[version]` field `{}` must be a `u64`: it counts writes from 1, and DynamoDB \
                     compares and increments it as a number",
                    field.name
                ),
            );
        }
        if field.skip.is_some() || field.flatten.is_some() {
            cx.error_spanned_by(
                attr,
                "the `#[version]` field must be stored: remove `serde(skip)` / `serde(flatten)`",
            );
        }
    }
}

// A `#[set]` field is stored as a DynamoDB string or number set; DynamoDB
// stores no empty set, so an empty one is no attribute, which must read back
// as an empty set.
fn check_sets(cx: &mut Ctxt, entity: &Entity) {
    for field in entity.fields.iter() {
        let Some(attr) = field.set else { continue };
        if !matches!(attr.meta, syn::Meta::Path(_)) {
            cx.error_spanned_by(attr, "write a bare `#[set]`: it takes no arguments");
        }
        if field.role.is_some() {
            cx.error_spanned_by(
                attr,
                "a key field cannot be a `#[set]`: DynamoDB keys are strings, numbers or binary",
            );
        }
        if field.version.is_some() {
            cx.error_spanned_by(attr, "the `#[version]` field is a `u64`, not a `#[set]`");
        }
        if field.skip.is_some() || field.flatten.is_some() {
            cx.error_spanned_by(
                attr,
                "a `#[set]` field must be stored: remove `serde(skip)` / `serde(flatten)`",
            );
        }
        if crate::ast::option_inner(field.ty).is_some() {
            cx.error_spanned_by(
                field.ty,
                format!(
                    "the `#[set]` field `{}` is not an `Option`: an empty set is stored as no \
                     attribute and reads back empty, so `None` would have nothing to mean",
                    field.name
                ),
            );
        } else if !field.default {
            cx.error_spanned_by(
                attr,
                format!(
                    "add `#[serde(default)]` to the `#[set]` field `{}`: DynamoDB stores no empty \
                     set, so an empty one is written as no attribute, and must read back as an \
                     empty set",
                    field.name
                ),
            );
        }
    }
}

// The schema is static metadata shared by every item of a table, so an entity
// cannot be generic over its field types.
fn check_generics(cx: &mut Ctxt, entity: &Entity) {
    let generics = &entity.original.generics;
    if !generics.params.is_empty() {
        cx.error_spanned_by(
            generics,
            "an entity cannot be generic: its keys and attributes are one fixed schema; \
             define a concrete struct per item type",
        );
    }
}

// Every DynamoDB item lives in a partition, and every hot-path query names one.
fn check_partition_key(cx: &mut Ctxt, entity: &Entity) {
    let count = entity.key_fields(KeyRole::Partition).count();
    if count == 0 {
        cx.error_spanned_by(
            entity.ident,
            format!(
                "`{}` has no partition key: mark the field (or fields) that name its partition with `#[pk]`, \
                 e.g. `#[pk] dialogue_id: String`",
                entity.ident
            ),
        );
    } else if count > MAX_PARTITION_KEY_FIELDS {
        let extra = entity
            .key_fields(KeyRole::Partition)
            .nth(MAX_PARTITION_KEY_FIELDS);
        if let Some(field) = extra {
            cx.error_spanned_by(
                field.ident,
                format!(
                    "at most {MAX_PARTITION_KEY_FIELDS} `#[pk]` fields: a partition key identifies one \
                     aggregate; make the others `#[sk]` fields or plain attributes"
                ),
            );
        }
    }
}

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
fn check_prefixes(cx: &mut Ctxt, entity: &Entity) {
    match &entity.prefix {
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

// Single-table design: every entity is stored in exactly one table, whose enum
// lists it; the table's name and whole-partition queries come from there.
fn check_names_table(cx: &mut Ctxt, entity: &Entity) {
    if entity.table.is_none() {
        cx.error_spanned_by(
            entity.ident,
            format!(
                "`{}` does not name its table: add `#[entity(table = YourTable)]`, naming the \
                 `#[derive(Table)]` enum that lists it",
                entity.ident
            ),
        );
    }
}

// Key parts need an order-preserving, injective string encoding. Types that
// can be recognised by name get a specific message here; any other type that
// is not a `KeyPart` fails the trait bound the expansion asserts.
fn check_key_types(cx: &mut Ctxt, entity: &Entity) {
    for field in &entity.fields {
        let Some(role) = field.role else {
            continue;
        };
        let key = match role {
            KeyRole::Partition => "a partition key",
            KeyRole::Sort => "a sort key",
        };
        if let Some(reason) = non_key_type(field.ty) {
            cx.error_spanned_by(
                field.ty,
                format!(
                    "`{}` cannot be part of {key}: {reason}",
                    type_string(field.ty)
                ),
            );
        }
    }
}

fn non_key_type(ty: &Type) -> Option<&'static str> {
    match ty {
        Type::Reference(_) => Some("entities own their data; use `String` instead of `&str`"),
        Type::Tuple(_) | Type::Array(_) | Type::Slice(_) => {
            Some("a key part is one scalar value; declare each component as its own `#[sk]` field")
        }
        Type::Paren(inner) => non_key_type(&inner.elem),
        Type::Group(inner) => non_key_type(&inner.elem),
        Type::Path(path) if path.qself.is_none() => {
            let last = path.path.segments.last()?;
            match last.ident.to_string().as_str() {
                "f32" | "f64" => Some(
                    "floats have no exact order-preserving encoding (and NaN has no order); \
                     use an integer (e.g. cents, or a fixed-point value) or a string",
                ),
                "Option" => Some(
                    "a key part is always present, and DynamoDB keys cannot be empty or null; \
                     make the field required, or move it out of the key",
                ),
                "Vec" | "VecDeque" | "HashSet" | "BTreeSet" | "HashMap" | "BTreeMap" => Some(
                    "a collection is not a single value; key on one scalar per field \
                     (a String, an integer, bool, char, a unit enum or a newtype with `#[derive(KeyPart)]`)",
                ),
                "Box" | "Rc" | "Arc" => match &last.arguments {
                    PathArguments::AngleBracketed(args) => args.args.iter().find_map(|a| match a {
                        GenericArgument::Type(inner) => non_key_type(inner),
                        _ => None,
                    }),
                    _ => None,
                },
                _ => None,
            }
        }
        _ => None,
    }
}

// Items are stored as one map of attributes (DynamoDB) or one JSON object
// (SQLite), and key fields are read back from it: shapes that change how the
// struct serializes would make the two disagree or lose the key.
fn check_serde_shape(cx: &mut Ctxt, entity: &Entity) {
    if let Some(tokens) = &entity.transparent {
        cx.error_spanned_by(
            tokens,
            "an entity is stored as a map of attributes; `#[serde(transparent)]` would store a single value",
        );
    }
    for path in &entity.reshaped {
        cx.error_spanned_by(
            path,
            format!(
                "`#[serde({path})]` stores something other than the struct's own fields, so the \
                 schema (attribute names, reserved names, the key fields read back) would not \
                 describe the item; convert to and from the entity in your own code instead"
            ),
        );
    }
    for field in &entity.fields {
        if let Some(tokens) = &field.flatten {
            cx.error_spanned_by(
                tokens,
                "`#[serde(flatten)]` hides the attribute names from the schema; declare the fields \
                 on the entity itself, or store the nested struct as one attribute",
            );
        }
        if let (Some(tokens), Some(_)) = (&field.skip, &field.role) {
            cx.error_spanned_by(
                tokens,
                "a key field must be stored: items are decoded from their attributes, so a skipped \
                 key field would come back empty; remove `skip` or move the field out of the key",
            );
        }
        if let (Some(tokens), Some(_)) = (&field.partial, &field.role) {
            cx.error_spanned_by(
                tokens,
                "a key field must always be stored and read back: items are decoded from their \
                 attributes; remove this serde attribute or move the field out of the key",
            );
        }
    }
}

// `pk`, `sk` and `created_at` are attributes the library writes on every
// item, and `updated_at` and index key names are kept for the ones it will;
// a field of the same name would be overwritten in DynamoDB and shadowed in
// SQLite.
fn check_reserved_attributes(cx: &mut Ctxt, entity: &Entity) {
    for field in entity.fields.iter().filter(|f| f.skip.is_none()) {
        if reserved::is_reserved(&field.attribute) {
            let (renamed, fix) = if field.attribute == field.name {
                (
                    String::new(),
                    "rename the field, or keep its Rust name and store it under another with \
                     `#[serde(rename = \"...\")]`",
                )
            } else {
                (
                    format!(" (the serde name of `{}`)", field.name),
                    "choose another serde name",
                )
            };
            cx.error_spanned_by(
                field.ident,
                format!(
                    "the attribute name `{}`{renamed} is reserved: blue-schema writes `pk`, `sk` and \
                     `created_at` on every item and keeps `updated_at` and index key names \
                     (`gsi1pk`, ...) for its own attributes; {fix}",
                    field.attribute
                ),
            );
        }
    }
}

// Two fields stored under one name would overwrite each other.
fn check_duplicate_attributes(cx: &mut Ctxt, entity: &Entity) {
    let stored: Vec<_> = entity.fields.iter().filter(|f| f.skip.is_none()).collect();
    for (i, field) in stored.iter().enumerate() {
        if let Some(first) = stored[..i].iter().find(|f| f.attribute == field.attribute) {
            cx.error_spanned_by(
                field.ident,
                format!(
                    "`{}` and `{}` are both stored as the attribute `{}`; give one another serde name",
                    first.name, field.name, field.attribute
                ),
            );
        }
    }
}

// Each `#[sk]` field becomes a builder method of the same name.
fn check_builder_method_names(cx: &mut Ctxt, entity: &Entity) {
    for field in entity.key_fields(KeyRole::Sort) {
        if BUILDER_METHODS.contains(&field.name.as_str()) {
            cx.error_spanned_by(
                field.ident,
                format!(
                    "a `#[sk]` field cannot be named `{}`: the query builder has a method of that name \
                     ({}); rename the field (a serde rename keeps the stored name)",
                    field.name,
                    BUILDER_METHODS.join(", ")
                ),
            );
        }
    }
}

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
}

// The physical indexes of a table: `gsi1` to `gsi20`, each once.
fn check_table_indexes(cx: &mut Ctxt, table: &Table) {
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
fn check_table_generics(cx: &mut Ctxt, table: &Table) {
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
fn check_table_variants(cx: &mut Ctxt, table: &Table) {
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
    for (i, (_, ty)) in table.variants.iter().enumerate() {
        let same = |(_, other): &&(&syn::Ident, &Type)| {
            other.to_token_stream().to_string() == ty.to_token_stream().to_string()
        };
        if table.variants[..i].iter().any(|v| same(&v)) {
            cx.error_spanned_by(
                ty,
                "this entity is already listed: each entity appears in its table once",
            );
        }
    }
}

// The same name is the DynamoDB table and the SQLite table, so it must be
// valid for both.
fn check_table_name(cx: &mut Ctxt, table: &Table) {
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
fn table_name_problem(name: &str) -> Option<String> {
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

/// Variants a key-part enum encodes by position: two digits.
const MAX_POSITIONED_VARIANTS: usize = 100;

pub fn check_key_part(cx: &mut Ctxt, key_part: &KeyPart) {
    let input = key_part.original();
    // A key part's encoding is fixed per type.
    if !input.generics.params.is_empty() {
        cx.error_spanned_by(
            &input.generics,
            "a key part cannot be generic: its encoding is fixed per type",
        );
    }
    match key_part {
        KeyPart::Other { original } => cx.error_spanned_by(
            &original.ident,
            match &original.data {
                syn::Data::Struct(_) => {
                    "`#[derive(KeyPart)]` on a struct needs exactly one field (a newtype such as `struct ExpertName(String)`)"
                }
                _ => "`#[derive(KeyPart)]` works on unit-only enums and newtype structs",
            },
        ),
        KeyPart::Newtype {
            order: Some((_, lit)),
            ..
        } => cx.error_spanned_by(
            lit,
            "`order` applies to enums: a newtype is written, and ordered, as the value it wraps",
        ),
        KeyPart::Newtype { .. } => {}
        KeyPart::Enum {
            original,
            order,
            variants,
        } => {
            check_unit_variants(cx, original, variants);
            check_variant_names(cx, variants);
            check_variant_order(cx, order, variants);
        }
    }
}

// Variants with data have no single order-preserving string.
fn check_unit_variants(
    cx: &mut Ctxt,
    original: &syn::DeriveInput,
    variants: &[(&syn::Variant, String)],
) {
    if variants.is_empty() {
        cx.error_spanned_by(
            &original.ident,
            "an enum without variants has no values to put in a key",
        );
    }
    for (variant, _) in variants {
        if !matches!(variant.fields, syn::Fields::Unit) {
            cx.error_spanned_by(
                variant,
                format!(
                    "`{}` holds data: only unit-only enums can be key parts; make the data its own `#[sk]` field",
                    variant.ident
                ),
            );
        }
    }
}

// Decoding a key must give back exactly one variant.
fn check_variant_names(cx: &mut Ctxt, variants: &[(&syn::Variant, String)]) {
    for (i, (variant, name)) in variants.iter().enumerate() {
        if name.is_empty() {
            cx.error_spanned_by(variant, "a key-part variant needs a non-empty name");
        }
        if let Some((other, _)) = variants[..i].iter().find(|(_, n)| n == name) {
            cx.error_spanned_by(
                variant,
                format!(
                    "`{}` and `{}` are both named `{name}`: key parts must be injective",
                    variant.ident, other.ident
                ),
            );
        }
    }
}

// Keys sort byte by byte, and a range query on the enum (`priority_ge(..)`)
// selects by that order: it must be the order the variants are declared in,
// which is the order a derived `Ord` gives.
fn check_variant_order(
    cx: &mut Ctxt,
    order: &Option<(EnumOrder, syn::LitStr)>,
    variants: &[(&syn::Variant, String)],
) {
    match order {
        Some((EnumOrder::Name, _)) => {}
        Some((EnumOrder::Declaration, lit)) => {
            if variants.len() > MAX_POSITIONED_VARIANTS {
                cx.error_spanned_by(
                    lit,
                    format!(
                        "`order = \"declaration\"` writes a two-digit position, so it takes at most \
                         {MAX_POSITIONED_VARIANTS} variants"
                    ),
                );
            }
        }
        None => {
            let stored = |name: &str| escaped(name);
            for pair in variants.windows(2) {
                let ((before, a), (after, b)) = (&pair[0], &pair[1]);
                if stored(a) >= stored(b) {
                    cx.error_spanned_by(
                        &after.ident,
                        format!(
                            "`{}` is declared after `{}`, but keys store variants by name and `{b}` sorts before `{a}`: \
                             range queries on this enum (`_lt`, `_ge`, ...) would follow the names, not the order \
                             you declared. Declare the variants in the order of their names, or add \
                             `#[key_part(order = \"declaration\")]` to store each variant's position before its \
                             name (`00-{}`, `01-{}`, ...), or `#[key_part(order = \"name\")]` to keep ordering by name",
                            after.ident,
                            before.ident,
                            variants[0].1,
                            variants.get(1).map_or("", |v| v.1.as_str())
                        ),
                    );
                    return;
                }
            }
        }
    }
}

/// A name as the key codec writes it: bytes up to `%` escaped as `%XX`.
fn escaped(name: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(name.len());
    for b in name.bytes() {
        if b <= b'%' {
            out.extend_from_slice(format!("%{b:02X}").as_bytes());
        } else {
            out.push(b);
        }
    }
    out
}

//! The rules of `#[derive(Entity)]` on the struct and its fields.

use syn::{GenericArgument, PathArguments, Type};

use super::index::check_indexes;
use super::names::check_prefixes;
use crate::ast::{type_string, Entity};
use crate::attr::KeyRole;
use crate::ctxt::Ctxt;
use crate::reserved;

/// Methods every generated query builder has, which a sort-key field's
/// builder method would clash with.
pub(super) const BUILDER_METHODS: &[&str] = &[
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
pub(super) const MAX_PARTITION_KEY_FIELDS: usize = 4;
/// The most `#[sk]` fields: what the runtime's `KeyTuple` reads back.
pub(super) const MAX_SORT_KEY_FIELDS: usize = 12;

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
    check_ttl(cx, entity);
    check_unique(cx, entity);
    check_indexes(cx, entity);
}

// `#[unique]`: data fields whose values no two items of the entity share,
// kept by marker items written in the same transaction as the item.
pub(super) fn check_unique(cx: &mut Ctxt, entity: &Entity) {
    let ttl = entity.fields.iter().find_map(|f| f.ttl);
    for field in entity.fields.iter() {
        let Some(attr) = field.unique else { continue };
        let group = match crate::entity::unique::group_of(attr) {
            Ok(group) => group,
            Err(e) => {
                cx.syn_error(e);
                continue;
            }
        };
        if let Some(group) = &group {
            let name = group.value();
            let plain = !name.is_empty()
                && name.len() <= 64
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
            if !plain {
                cx.error_spanned_by(
                    group,
                    "a unique group's name is 1 to 64 letters, digits or `_`: it is part of the \
                     marker items' keys",
                );
            }
        }
        let refused = if field.role.is_some() {
            Some("a key field is unique already: no two items share a key; `#[unique]` is for other fields")
        } else if field.version.is_some() {
            Some("the `#[version]` field changes on every write; it cannot be `#[unique]`")
        } else if field.set.is_some() {
            Some("a `#[set]` field cannot be `#[unique]`: a set holds many values")
        } else if field.ttl.is_some() {
            Some("the `#[ttl]` field cannot be `#[unique]`")
        } else if field.skip.is_some() || field.flatten.is_some() {
            Some("a `#[unique]` field must be stored: remove `serde(skip)` / `serde(flatten)`")
        } else if ttl.is_some() {
            Some(
                "an entity with a `#[ttl]` field cannot have `#[unique]` fields: DynamoDB's Time to \
                 Live deletes an expired item but not the markers that hold its unique values, \
                 which would stay taken",
            )
        } else {
            None
        };
        if let Some(message) = refused {
            cx.error_spanned_by(attr, message);
        }
    }
}

// `#[ttl]`: one data field holding when the item expires, stored as the
// number of epoch seconds DynamoDB's Time to Live reads.
pub(super) fn check_ttl(cx: &mut Ctxt, entity: &Entity) {
    let mut seen = false;
    for field in entity.fields.iter() {
        let Some(attr) = field.ttl else { continue };
        if !matches!(attr.meta, syn::Meta::Path(_)) {
            cx.error_spanned_by(attr, "write a bare `#[ttl]`: it takes no arguments");
        }
        if seen {
            cx.error_spanned_by(
                attr,
                "an entity has at most one `#[ttl]` field: DynamoDB reads one TTL attribute per table",
            );
        }
        seen = true;
        let clash = if field.role.is_some() {
            Some("a key field cannot be the `#[ttl]`: an item's expiry changes, its key never does")
        } else if field.version.is_some() {
            Some("the `#[version]` field counts writes; give the expiry its own `#[ttl]` field")
        } else if field.set.is_some() {
            Some("a `#[set]` field cannot be the `#[ttl]`: the expiry is one number")
        } else if field.skip.is_some() || field.flatten.is_some() {
            Some("the `#[ttl]` field must be stored: remove `serde(skip)` / `serde(flatten)`")
        } else {
            None
        };
        if let Some(message) = clash {
            cx.error_spanned_by(attr, message);
            continue;
        }
        let optional = crate::ast::option_inner(field.ty);
        if optional.is_some() && field.custom.is_some() && !field.default {
            cx.error_spanned_by(
                attr,
                format!(
                    "add `#[serde(default)]` to the `#[ttl]` field `{}`: an item that never \
                     expires (`None`) is stored without the attribute, and must read back as `None`",
                    field.name
                ),
            );
        }
        let ty = optional.unwrap_or(field.ty);
        let is_u64 =
            matches!(ty, syn::Type::Path(p) if p.qself.is_none() && p.path.is_ident("u64"));
        if !is_u64 && field.custom.is_none() {
            cx.error_spanned_by(
                field.ty,
                format!(
                    "DynamoDB's TTL reads a number of epoch seconds, and serde stores `{}` otherwise: \
                     add `#[serde(with = \"blue_schema::ttl\")]` to the `#[ttl]` field `{}` (for a \
                     `SystemTime` or `chrono::DateTime<Utc>`), or make it a `u64` of epoch seconds",
                    quote::ToTokens::to_token_stream(ty).to_string().replace(' ', ""),
                    field.name
                ),
            );
        }
    }
}

// `#[version]`: one `u64` data field, the counter every write checks.
pub(super) fn check_version(cx: &mut Ctxt, entity: &Entity) {
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
pub(super) fn check_sets(cx: &mut Ctxt, entity: &Entity) {
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
pub(super) fn check_generics(cx: &mut Ctxt, entity: &Entity) {
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
pub(super) fn check_partition_key(cx: &mut Ctxt, entity: &Entity) {
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
    if let Some(field) = entity.key_fields(KeyRole::Sort).nth(MAX_SORT_KEY_FIELDS) {
        cx.error_spanned_by(
            field.ident,
            format!(
                "at most {MAX_SORT_KEY_FIELDS} `#[sk]` fields: a sort key orders the items of a \
                 partition by a few components; make the others plain attributes"
            ),
        );
    }
}

// Single-table design: every entity is stored in exactly one table, whose enum
// lists it; the table's name and whole-partition queries come from there.
pub(super) fn check_names_table(cx: &mut Ctxt, entity: &Entity) {
    if entity.table.is_none() && !entity.malformed {
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
pub(super) fn check_key_types(cx: &mut Ctxt, entity: &Entity) {
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

pub(super) fn non_key_type(ty: &Type) -> Option<&'static str> {
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
pub(super) fn check_serde_shape(cx: &mut Ctxt, entity: &Entity) {
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

// `pk`, `sk`, `created_at` and `updated_at` are attributes the library
// writes on every item, and index key names (`gsi1pk`, ...) on the items of
// an index;
// a field of the same name would be overwritten in DynamoDB and shadowed in
// SQLite.
pub(super) fn check_reserved_attributes(cx: &mut Ctxt, entity: &Entity) {
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
                     `created_at` on every item and keeps `updated_at`, `_shape`, `_backfill` and \
                     index key names (`gsi1pk`, ...) for its own attributes; {fix}",
                    field.attribute
                ),
            );
        }
    }
}

// Two fields stored under one name would overwrite each other.
pub(super) fn check_duplicate_attributes(cx: &mut Ctxt, entity: &Entity) {
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
pub(super) fn check_builder_method_names(cx: &mut Ctxt, entity: &Entity) {
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

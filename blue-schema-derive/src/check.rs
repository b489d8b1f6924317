//! The portability rules of `#[derive(Entity)]`: one function per rule, each
//! saying why DynamoDB needs it.

use syn::{GenericArgument, PathArguments, Type};

use crate::ast::{Entity, KeyRole};
use crate::ctxt::Ctxt;

/// Attribute names the runtime stores beside the entity's fields. Mirrors
/// `blue_schema::schema::RESERVED_ATTRIBUTES`; a runtime test keeps them equal.
const RESERVED_ATTRIBUTES: &[&str] = &["pk", "sk", "created_at", "updated_at"];

/// Methods every generated query builder has, which a sort-key field's
/// builder method would clash with.
const BUILDER_METHODS: &[&str] = &["limit", "reverse", "after", "explain", "into_query"];

/// DynamoDB supports composite keys only as strings we build; four parts is
/// the most the runtime's tuple support covers, and more is a design smell.
const MAX_PARTITION_KEY_FIELDS: usize = 4;

pub fn check_entity(cx: &mut Ctxt, entity: &Entity) {
    check_generics(cx, entity);
    check_partition_key(cx, entity);
    check_prefixes(cx, entity);
    check_table(cx, entity);
    check_key_types(cx, entity);
    check_serde_shape(cx, entity);
    check_reserved_attributes(cx, entity);
    check_duplicate_attributes(cx, entity);
    check_builder_method_names(cx, entity);
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
fn check_table(cx: &mut Ctxt, entity: &Entity) {
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
                    crate::entity::type_string(field.ty)
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

fn is_reserved(name: &str) -> bool {
    if RESERVED_ATTRIBUTES.contains(&name) {
        return true;
    }
    let Some(rest) = name.strip_prefix("gsi") else {
        return false;
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0 && matches!(&rest[digits..], "pk" | "sk" | "_pk" | "_sk")
}

// `pk`, `sk`, `created_at`, `updated_at` and index key names are attributes
// the library writes on every item; a field of the same name would be
// overwritten in DynamoDB and shadowed in SQLite.
fn check_reserved_attributes(cx: &mut Ctxt, entity: &Entity) {
    for field in entity.fields.iter().filter(|f| f.skip.is_none()) {
        if is_reserved(&field.attribute) {
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
                    "the attribute name `{}`{renamed} is reserved: blue-schema stores `pk`, `sk`, \
                     `created_at`, `updated_at` and index keys (`gsi1pk`, ...) on every item; {fix}",
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

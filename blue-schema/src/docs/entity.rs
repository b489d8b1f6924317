//! An entity's section: its keys, attributes and writes.

use std::fmt::Write as _;

use super::capacity::write_capacity;
use super::data_list;
use super::patterns::{write_access_patterns, write_index_patterns};
use crate::schema::{AttributeSchema, EntitySchema, IndexSchema, KeyRole, TableSchema};

pub(super) fn write_entity(
    out: &mut String,
    table: &TableSchema,
    entity: &EntitySchema,
) -> std::fmt::Result {
    writeln!(out, "## `{}`\n", entity.name)?;
    if !entity.doc.is_empty() {
        writeln!(out, "{}\n", entity.doc)?;
    }
    writeln!(
        out,
        "`{} | {} → {}`\n",
        entity.partition_key_template(),
        entity.sort_key_template(),
        data_list(entity)
    )?;

    writeln!(out, "### Attributes\n")?;
    writeln!(out, "| attribute | Rust type | key | description |")?;
    writeln!(out, "|---|---|---|---|")?;
    for attribute in entity.attributes {
        write_attribute(out, attribute)?;
    }

    writeln!(out, "\n### Key parts\n")?;
    writeln!(out, "| key part | Rust type | encoding |")?;
    writeln!(out, "|---|---|---|")?;
    for field in entity.partition_key.iter().chain(entity.sort_key) {
        writeln!(
            out,
            "| `{{{}}}` | `{}` | {} |",
            field.field,
            field.rust_type,
            field.encoding.describe()
        )?;
    }

    write_shapes(out, entity)?;
    write_writes(out, entity)?;

    writeln!(out, "\n### Access patterns\n")?;
    writeln!(out, "| method chain | key condition |")?;
    writeln!(out, "|---|---|")?;
    write_access_patterns(out, entity)?;
    for index in entity.indexes {
        write_index_patterns(out, entity, index)?;
    }
    writeln!(
        out,
        "\nEvery pattern is one single-partition `Query` (or `GetItem` for a key). `{{v}}` stands \
         for the value's encoding; `$` sorts above the `#` that ends every component, so each \
         `BETWEEN` selects exactly the items described. `.explain()` on a query shows the SQL \
         statement and the DynamoDB request it sends.\n"
    )?;
    write_capacity(out, table, entity)
}

/// An entity's older shapes ([`crate::schema::shape`]): what items written
/// before may still hold, and the frozen type each decodes as.
fn write_shapes(out: &mut String, entity: &EntitySchema) -> std::fmt::Result {
    if entity.previous_shape.is_none() {
        return Ok(());
    }
    writeln!(out, "\n### Shapes\n")?;
    writeln!(
        out,
        "Written in shape {} (`_shape = {}`); items written in an older shape are read \
         through its frozen type and converted up the chain, and a backfill rewrites them \
         (`blue_schema::migrate::backfill`).\n",
        entity.shape, entity.shape
    )?;
    writeln!(out, "| shape | frozen type | attributes |")?;
    writeln!(out, "|---|---|---|")?;
    let current: Vec<String> = entity
        .attributes
        .iter()
        .map(|a| format!("`{}`", a.name))
        .collect();
    writeln!(
        out,
        "| {} (current) | `{}` | {} |",
        entity.shape,
        entity.name,
        current.join(", ")
    )?;
    for shape in entity.older_shapes() {
        let attributes: Vec<String> = shape.attributes.iter().map(|a| format!("`{a}`")).collect();
        writeln!(
            out,
            "| {} | `{}` | {} |",
            shape.number,
            shape.name,
            attributes.join(", ")
        )?;
    }
    if let Some(old) = entity.moved_from() {
        writeln!(
            out,
            "\n**Key move.** The key moved from `{} | {}` to `{} | {}`. Items still under the old \
             key are read by key through it (`get`, `get_many`, `transact_get`), moved to the new \
             key by the first write of their key and by a backfill, and are not in queries until \
             then. Remove the old key from the frozen shape once `check` finds none.",
            old.partition_key_template(),
            old.sort_key_template(),
            entity.partition_key_template(),
            entity.sort_key_template(),
        )?;
    }
    Ok(())
}

fn write_attribute(out: &mut String, attribute: &AttributeSchema) -> std::fmt::Result {
    let key = match attribute.key {
        Some(KeyRole::PartitionKey) => "partition key",
        Some(KeyRole::SortKey) => "sort key",
        None => "",
    };
    writeln!(
        out,
        "| `{}` | `{}` | {} | {} |",
        attribute.name,
        attribute.rust_type,
        key,
        attribute.doc.replace('\n', " ").replace('|', "\\|")
    )
}

/// The conditions and updates `E::attr()` offers for each attribute, as
/// its type and role allow.
fn write_writes(out: &mut String, entity: &EntitySchema) -> std::fmt::Result {
    writeln!(out, "\n### Conditions and updates\n")?;
    let attr = format!("{}::attr()", entity.name);
    match entity.version {
        Some(v) => writeln!(
            out,
            "Versioned by `{v}`: every write (`put`, `create`, `update`, `delete_entity`, and each \
             in a transaction) is conditioned on it and increments it; `update` and `delete` say \
             `expect_version(v)` or `any_version()`; `put_all` is refused \
             (`put_all_unversioned` opts out).\n"
        )?,
        None => writeln!(
            out,
            "Not versioned: writes are last-writer-wins unless they carry a condition; \
             `store.modify(key, |e| …)` reads, changes and writes back, retrying on conflict.\n"
        )?,
    }
    for unique in entity.unique {
        let fields = if unique.fields.len() == 1 {
            format!("`{}`", unique.fields[0])
        } else {
            let names: Vec<String> = unique.fields.iter().map(|f| format!("`{f}`")).collect();
            format!("({}) together", names.join(", "))
        };
        writeln!(
            out,
            "**Unique:** {fields} (constraint `{}`): no two {} items hold the same value. Each \
             value has a marker item `#UNIQUE#{}#{}#{{value}} | #UNIQUE` written in the same \
             transaction as the item; every write reads the item first and is a transaction; a \
             taken value is `Error::UniqueTaken`; `put_all` does not compile.\n",
            unique.name, entity.name, entity.name, unique.name
        )?;
    }
    writeln!(
        out,
        "Through `let a = {attr};`: conditions such as `a.{}.eq(…)` on `put`, `create`, \
         `update`, `delete` and transaction checks, updates such as \
         `store.update(key).set(a.{}, …)`.\n",
        entity.attributes[0].field,
        entity
            .attributes
            .iter()
            .find(|a| a.key.is_none() && !a.version)
            .unwrap_or(&entity.attributes[0])
            .field
    )?;
    writeln!(out, "| attribute | conditions | updates |")?;
    writeln!(out, "|---|---|---|")?;
    for attribute in entity.attributes {
        let (conditions, mut updates) = writes_of(attribute);
        let patterns: Vec<&IndexSchema> = entity
            .indexes
            .iter()
            .filter(|i| attribute.key.is_none() && i.fields().any(|f| f.field == attribute.field))
            .collect();
        if let Some(name) = patterns.first().and_then(|i| i.fields_struct) {
            updates = format!(
                "only with the other fields of its index key: `set_index({name} {{ .. }})`, or `modify`"
            );
        }
        writeln!(
            out,
            "| `{}` | {} | {} |",
            attribute.field,
            conditions.join(" "),
            updates
        )?;
    }
    Ok(())
}

/// The condition methods and the updates of one attribute, from its role
/// and its written type.
pub(super) fn writes_of(attribute: &AttributeSchema) -> (Vec<&'static str>, String) {
    if let Some(kind) = attribute.set {
        let held = match kind {
            crate::schema::SetKind::Strings => "a string set (`SS`)",
            crate::schema::SetKind::Numbers => "a number set (`NS`)",
        };
        return (
            vec!["`exists` (not empty) `not_exists` (empty) `contains` `size`"],
            format!("`set` `remove` (empties it) `add_to` `delete_from`; stored as {held}, absent when empty"),
        );
    }
    let written = attribute.rust_type.replace(' ', "");
    let inner = written
        .strip_prefix("Option<")
        .and_then(|t| t.strip_suffix('>'))
        .unwrap_or(&written);
    let last = |t: &str| t.rsplit("::").next().unwrap_or("").to_owned();
    let base = last(inner.split('<').next().unwrap_or(inner));
    let string = base == "String";
    let list = base == "Vec";
    let integer = matches!(
        base.as_str(),
        "u8" | "u16" | "u32" | "u64" | "usize" | "i8" | "i16" | "i32" | "i64" | "isize"
    );
    let mut conditions = vec!["`eq` `ne` `lt` `le` `gt` `ge` `between` `is_in`"];
    if attribute.optional {
        conditions.push("`exists` `not_exists`");
    }
    if string {
        conditions.push("`begins_with` `contains` `size`");
    }
    if list {
        conditions.push("`contains` `size`");
    }
    let updates = if attribute.key.is_some() {
        "none: a key field (`store.rekey` moves an item)".to_owned()
    } else if attribute.version {
        "none: the library increments it".to_owned()
    } else {
        let mut u = vec!["`set` `set_if_absent`"];
        if attribute.optional {
            u.push("`remove`");
        }
        if integer {
            u.push("`add` `subtract` (within its type)");
        }
        if list {
            u.push("`append` `prepend`");
        }
        u.join(" ")
    };
    (conditions, updates)
}

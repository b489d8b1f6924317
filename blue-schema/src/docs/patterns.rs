//! The access patterns of a table: its queries, its indexes and their
//! patterns.

use std::fmt::Write as _;

use super::args;
use crate::schema::{EntitySchema, IndexSchema, Projection, TableSchema};

/// The table's secondary indexes: keys, projection, and who uses them.
pub(super) fn write_indexes(out: &mut String, table: &TableSchema) -> std::fmt::Result {
    if table.indexes.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "## Secondary indexes
"
    )?;
    writeln!(
        out,
        "Each index is a DynamoDB global secondary index (`{{index}}pk` HASH, `{{index}}sk` RANGE, \
         strings) and, on SQLite, two generated columns (`{{index}}_pk`, `{{index}}_sk`) with a partial \
         index. Every write of an item computes its index keys from the fields they are made of; an \
         item whose `Option` field of a key is `None` has no key in that index. An index sort key \
         starts with the entity's prefix (entities sharing an index never mix) and ends with the \
         item's table key, so it is unique: items that tie on the fields come in table-key order on \
         every backend. Index reads are eventually consistent (on DynamoDB a write shows in an index \
         after a short delay; never a half-written item).\n"
    )?;
    writeln!(out, "| index | projection | access pattern | index key |")?;
    writeln!(out, "|---|---|---|---|")?;
    for slot in table.indexes {
        let mut any = false;
        for entity in table.entities {
            for index in entity.indexes.iter().filter(|i| i.slot.name == slot.name) {
                any = true;
                writeln!(
                    out,
                    "| `{}` | {} | `{}::{}` | `{} \\| {}` |",
                    slot.name,
                    table.projection(slot.name).describe(),
                    entity.name,
                    index.name,
                    index.partition_key_template(),
                    index.sort_key_template(entity.prefix)
                )?;
            }
        }
        if !any {
            writeln!(
                out,
                "| `{}` | {} | (none yet) | |",
                slot.name,
                table.projection(slot.name).describe()
            )?;
        }
    }
    writeln!(out)
}

/// One access pattern on an index: its query, the conditions each step
/// produces, what it returns and how its fields change.
pub(super) fn write_index_patterns(
    out: &mut String,
    entity: &EntitySchema,
    index: &IndexSchema,
) -> std::fmt::Result {
    let slot = index.slot;
    if index.is_multi_attribute() {
        return write_attribute_pattern(out, entity, index);
    }
    writeln!(
        out,
        "\n### Index access pattern `{}` (index `{}`)\n",
        index.name, slot.name
    )?;
    let pk_args: Vec<&str> = index.partition_key.iter().map(|f| f.field).collect();
    let returns = returns(entity, index);
    writeln!(
        out,
        "`{} | {}`. Returns {returns}. {}\n",
        index.partition_key_template(),
        index.sort_key_template(entity.prefix),
        sparseness(index)
    )?;
    writeln!(out, "| method chain | key condition on the index |")?;
    writeln!(out, "|---|---|")?;
    let pk = format!("{} = {}", slot.pk_attribute, index.partition_key_template());
    let mut chain = format!("{}::{}({})", entity.name, index.name, pk_args.join(", "));
    let mut fixed = entity.prefix.to_owned();
    writeln!(
        out,
        "| `{chain}` | `{pk} AND begins_with({}, \"{fixed}#\")` |",
        slot.sk_attribute
    )?;
    for field in index.sort_key {
        let name = field.field;
        let begins = format!("{fixed}#");
        writeln!(
            out,
            "| `{chain}.{name}_lt(v)` … `_le` `_gt` `_ge` `_between`{} | `{pk} AND {} BETWEEN …` within `\"{begins}\"` |",
            if field.encoding.is_string() { " `_starts_with`" } else { "" },
            slot.sk_attribute
        )?;
        chain = format!("{chain}.{name}({name})");
        fixed = format!("{fixed}#{{{name}}}");
        writeln!(
            out,
            "| `{chain}` | `{pk} AND begins_with({}, \"{fixed}#\")` |",
            slot.sk_attribute
        )?;
    }
    match index.fields_struct {
        None => writeln!(
            out,
            "\nMade of key fields only: the index key never changes after the item is written.\n"
        ),
        Some(name) => {
            let movable: Vec<String> = index
                .fields()
                .filter(|f| f.key.is_none())
                .map(|f| format!("`{}`", f.field))
                .collect();
            writeln!(
                out,
                "\nAn update changes {} only together, rewriting the index key in the same request: \
                 `store.update(key).set_index({name} {{ .. }})`; `put`, `modify`, transactions, `put_all` \
                 and copies recompute it from the whole item.\n",
                movable.join(", ")
            )
        }
    }
}

/// Which items are in a pattern's index, in words.
fn sparseness(index: &IndexSchema) -> String {
    let sparse: Vec<String> = index
        .fields()
        .filter(|f| f.optional)
        .map(|f| format!("`{}`", f.field))
        .collect();
    if sparse.is_empty() {
        return "Every item is in the index.".to_owned();
    }
    format!(
        "Sparse: an item is in the index only while {} {} not `None`.",
        sparse.join(" and "),
        if sparse.len() == 1 { "is" } else { "are" }
    )
}

/// What a pattern's query returns, in words.
fn returns(entity: &EntitySchema, index: &IndexSchema) -> String {
    match index.projection {
        Projection::All => format!("`{}` items; `.filter(..)` applies", entity.name),
        Projection::KeysOnly => format!(
            "`Key<{}>` (keys only; `store.get_many(keys)` reads the items)",
            entity.name
        ),
        Projection::Include(attributes) => format!(
            "`{}`: the key fields and {} (the index projects them); `.filter(..)` applies to those",
            index.view.unwrap_or("the view"),
            attributes
                .iter()
                .map(|a| format!("`{a}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A multi-attribute pattern: its key attributes, and the key condition
/// of each step of its query.
fn write_attribute_pattern(
    out: &mut String,
    entity: &EntitySchema,
    index: &IndexSchema,
) -> std::fmt::Result {
    writeln!(
        out,
        "\n### Index access pattern `{}` (index `{}`, multi-attribute)\n",
        index.name, index.slot.name
    )?;
    let typed = |a: &crate::schema::KeyAttribute| format!("{} ({})", a.name, a.scalar.letter());
    let hash: Vec<String> = index
        .attributes
        .iter()
        .filter(|a| a.hash)
        .map(typed)
        .collect();
    let range: Vec<String> = index
        .attributes
        .iter()
        .filter(|a| !a.hash)
        .map(typed)
        .collect();
    writeln!(
        out,
        "Keyed by the item's own attributes: partition `{}`, sort `{}` (the table key last: ties \
         come in table-key order). Returns {}. {}\n",
        hash.join(", "),
        range.join(", "),
        returns(entity, index),
        sparseness(index)
    )?;
    writeln!(out, "| method chain | key condition on the index |")?;
    writeln!(out, "|---|---|")?;
    let args: Vec<&str> = index.partition_key.iter().map(|f| f.field).collect();
    let mut condition: Vec<String> = index
        .partition_key
        .iter()
        .map(|f| format!("{} = :{}", f.name, f.field))
        .collect();
    let mut chain = format!("{}::{}({})", entity.name, index.name, args.join(", "));
    writeln!(out, "| `{chain}` | `{}` |", condition.join(" AND "))?;
    for field in index.sort_key {
        let name = field.field;
        writeln!(
            out,
            "| `{chain}.{name}_lt(v)` … `_le` `_gt` `_ge` `_between`{} | `{} AND {} < :v` … |",
            if field.encoding.is_string() {
                " `_starts_with`"
            } else {
                ""
            },
            condition.join(" AND "),
            field.name
        )?;
        chain = format!("{chain}.{name}({name})");
        condition.push(format!("{} = :{name}", field.name));
        writeln!(out, "| `{chain}` | `{}` |", condition.join(" AND "))?;
    }
    writeln!(
        out,
        "\nThe index keys are the fields themselves: `put`, `update` (`set`, `remove`), `modify`, \
         transactions and copies change them as any attribute, and DynamoDB moves the entry.\n"
    )
}

pub(super) fn write_access_patterns(out: &mut String, entity: &EntitySchema) -> std::fmt::Result {
    let pk = format!("pk = {}", entity.partition_key_template());
    let all_fields: Vec<&str> = entity
        .partition_key
        .iter()
        .chain(entity.sort_key)
        .map(|f| f.field)
        .collect();
    writeln!(
        out,
        "| `{}::key({})` (get, delete) | `{pk} AND sk = \"{}\"` |",
        entity.name,
        all_fields.join(", "),
        entity.sort_key_template()
    )?;

    let start = format!("{}::query({})", entity.name, args(entity.partition_key));
    if entity.is_singleton() {
        return writeln!(
            out,
            "| `{start}` | `{pk} AND sk = \"{}\"` |",
            entity.sort_key_template()
        );
    }

    let mut chain = start;
    let mut fixed = fixed_part(entity, 0);
    for (i, field) in entity.sort_key.iter().enumerate() {
        let last = i + 1 == entity.sort_key.len();
        let begins = format!("{fixed}#");
        let name = field.field;
        let v = format!("{begins}{{v}}");
        writeln!(
            out,
            "| `{chain}` | `{pk} AND begins_with(sk, \"{begins}\")` |"
        )?;
        let between =
            |low: &str, high: &str| format!("`{pk} AND sk BETWEEN \"{low}\" AND \"{high}\"`");
        let (lt, le, high_of) = if last {
            (
                format!("`{pk} AND sk BETWEEN \"{begins}\" AND` the greatest key below `\"{v}\"`"),
                between(&begins, &v),
                format!("{begins}{{high}}"),
            )
        } else {
            (
                between(&begins, &v),
                between(&begins, &format!("{v}$")),
                format!("{begins}{{high}}$"),
            )
        };
        writeln!(out, "| `{chain}.{name}_lt(v)` | {lt} |")?;
        writeln!(out, "| `{chain}.{name}_le(v)` | {le} |")?;
        writeln!(
            out,
            "| `{chain}.{name}_gt(v)` | {} |",
            between(&format!("{v}$"), &format!("{fixed}$"))
        )?;
        writeln!(
            out,
            "| `{chain}.{name}_ge(v)` | {} |",
            between(&v, &format!("{fixed}$"))
        )?;
        writeln!(
            out,
            "| `{chain}.{name}_between(low, high)` | {} |",
            between(&format!("{begins}{{low}}"), &high_of)
        )?;
        if field.encoding.is_string() {
            writeln!(
                out,
                "| `{chain}.{name}_starts_with(p)` | `{pk} AND begins_with(sk, \"{begins}{{p}}\")` |"
            )?;
        }
        chain = format!("{chain}.{name}({name})");
        fixed = fixed_part(entity, i + 1);
        if last {
            writeln!(out, "| `{chain}` | `{pk} AND sk = \"{fixed}\"` |")?;
        }
    }
    Ok(())
}

/// The sort key's fixed part once its first `given` fields are fixed, in
/// the ADR's notation (`ORDER#{order_id}#LINE` for a line of an order whose
/// `order_id` is given).
fn fixed_part(entity: &EntitySchema, given: usize) -> String {
    let fields = entity.sort_key.iter().take(given).map(|f| f.field);
    entity.sort_key_path.template(fields)
}

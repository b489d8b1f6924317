//! The capacity units of an entity's operations, for a 1 KB and a 4 KB
//! item.

use std::fmt::Write as _;

use crate::schema::{EntitySchema, Projection, TableSchema};

/// The capacity units of the entity's operations, for two item sizes
/// ([`crate::capacity`] has the rules).
pub(super) fn write_capacity(
    out: &mut String,
    table: &TableSchema,
    entity: &EntitySchema,
) -> std::fmt::Result {
    use crate::capacity::{read_units, write_units};
    const SIZES: [usize; 2] = [1024, 4096];
    const PAGE: usize = 25;
    writeln!(out, "### Capacity units\n")?;
    writeln!(
        out,
        "What each operation consumes on DynamoDB (and what a metered store reports on \
         SQLite), for an item of 1 KB and of 4 KB, in every index it maps:\n"
    )?;
    writeln!(out, "| operation | 1 KB item | 4 KB item |")?;
    writeln!(out, "|---|---|---|")?;
    let row = |out: &mut String, name: &str, units: &dyn Fn(usize) -> String| {
        writeln!(
            out,
            "| {name} | {} | {} |",
            units(SIZES[0]),
            units(SIZES[1])
        )
    };
    let slots: Vec<(&str, Projection)> = {
        let mut slots: Vec<&str> = entity.indexes.iter().map(|i| i.slot.name).collect();
        slots.dedup();
        slots
            .into_iter()
            .map(|s| (s, table.projection(s)))
            .collect()
    };
    // A keys-only entry: the four key attributes, well under 1 KB; an
    // `INCLUDE` entry at most the item (counted as the item here).
    let entry = |size: usize, p: Projection| match p {
        Projection::All | Projection::Include(_) => write_units(size),
        Projection::KeysOnly => 1.0,
    };
    let new_item =
        |size: usize| write_units(size) + slots.iter().map(|(_, p)| entry(size, *p)).sum::<f64>();
    let replace = |size: usize| {
        write_units(size)
            + slots
                .iter()
                .filter(|(_, p)| matches!(p, Projection::All | Projection::Include(_)))
                .map(|_| write_units(size))
                .sum::<f64>()
    };
    row(out, "`get` (strongly consistent)", &|s| {
        format!("{} RCU", read_units(s, true))
    })?;
    row(out, "`get` eventually consistent", &|s| {
        format!("{} RCU", read_units(s, false))
    })?;
    row(out, &format!("`query`, a page of {PAGE} items"), &|s| {
        format!("{} RCU", read_units(PAGE * s, true))
    })?;
    if !entity.indexes.is_empty() {
        row(out, &format!("index query, a page of {PAGE} items"), &|s| {
            format!("{} RCU", read_units(PAGE * s, false))
        })?;
    }
    row(out, "`put` / `create` of a new item, `delete`", &|s| {
        format!("{} WCU", new_item(s))
    })?;
    row(out, "`put` / `update` keeping its index keys", &|s| {
        format!("{} WCU", replace(s))
    })?;
    row(out, "the same in a transaction", &|s| {
        format!("{} WCU", replace(s) + write_units(s))
    })?;
    writeln!(
        out,
        "\nIndexes: {}. A sparse index costs nothing for an item outside it; moving an item's \
         index key costs its old and new entry.\n",
        if slots.is_empty() {
            "none".to_owned()
        } else {
            slots
                .iter()
                .map(|(s, p)| format!("`{s}` ({})", p.describe()))
                .collect::<Vec<_>>()
                .join(", ")
        }
    )?;
    if slots
        .iter()
        .any(|(_, p)| matches!(p, Projection::Include(_)))
    {
        writeln!(
            out,
            "An `INCLUDE` index's entry is counted above as the whole item, the most it can \
             cost: it holds the keys and the projected attributes only, so it costs less by what \
             it leaves out, and a write that changes none of them costs it nothing.\n"
        )?;
    }
    Ok(())
}

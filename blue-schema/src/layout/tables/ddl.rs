//! The statements that make a table in the tables layout ([`super`]):
//! each entity's table with its typed columns and foreign key, the single
//! table's guard, and the record of the routes.

use std::fmt::Write as _;

use super::{create_layouts, literal, Routing, LAYOUTS, ROUTES_CHANGED};
use crate::layout::index_sql::{index_columns_of, json_path};
use crate::layout::views::{in_column_order, quoted, Columns};
use crate::schema::{EntitySchema, TableSchema};

/// The column of a child entity's table that holds its parent's sort key
/// (the other half of the foreign key is `pk`).
const PARENT_SK: &str = "_parent_sk";

/// The SQL type a field's column is declared with, from its Rust type:
/// `TEXT`, `INTEGER` (integers and bools, which JSON's `true` reads as 1),
/// `REAL`, or none (lists, sets, maps, nested values and types the
/// library cannot name: the column holds what the item holds, JSON text
/// for a nested value).
pub(crate) fn sql_type(rust_type: &str) -> &'static str {
    let mut t: &str = &rust_type.replace(' ', "");
    while let Some(inner) = t
        .strip_prefix("Option<")
        .or_else(|| t.strip_prefix("std::option::Option<"))
        .and_then(|s| s.strip_suffix('>'))
    {
        t = inner;
    }
    let t = t.rsplit("::").next().unwrap_or(t);
    match t {
        "String" | "str" | "&str" | "&'staticstr" | "char" | "Box<str>" | "Arc<str>"
        | "Rc<str>" | "Cow<'static,str>" => "TEXT",
        "i8" | "i16" | "i32" | "i64" | "isize" | "u8" | "u16" | "u32" | "u64" | "usize"
        | "bool" => "INTEGER",
        "f32" | "f64" => "REAL",
        _ => "",
    }
}

/// An entity table's typed columns: each name and its definition.
pub(crate) fn typed_columns(schema: &TableSchema, entity: &EntitySchema) -> Vec<(String, String)> {
    let mut columns = Columns::default();
    // The names the table's own columns take.
    for name in crate::layout::sqlite::COLUMNS {
        columns.reserve(name);
    }
    columns.reserve(PARENT_SK);
    for slot in schema.indexes {
        for column in index_columns_of(schema, slot) {
            columns.reserve(&column.name);
        }
    }
    let mut types = Vec::new();
    for attribute in in_column_order(entity) {
        let path = json_path(attribute.name);
        columns.push(
            attribute.name,
            attribute.field,
            format!("json_extract(data, '{path}')"),
        );
        types.push(match attribute.set {
            Some(_) => "",
            None => sql_type(attribute.rust_type),
        });
    }
    columns
        .named()
        .zip(types)
        .map(|((name, expression), ty)| {
            let ty = if ty.is_empty() {
                String::new()
            } else {
                format!(" {ty}")
            };
            (
                name.to_owned(),
                format!(
                    "{}{ty} GENERATED ALWAYS AS ({expression}) VIRTUAL",
                    quoted(name)
                ),
            )
        })
        .collect()
}

/// The partition's parent of `entity`: the one singleton entity of its
/// table with its partition key (the ADR's `META` row), if the table has
/// exactly one and it is not `entity`.
fn parent_of<'s>(schema: &'s TableSchema, entity: &EntitySchema) -> Option<&'s EntitySchema> {
    let same_partition = |e: &EntitySchema| {
        e.pk_prefix == entity.pk_prefix
            && e.partition_key.len() == entity.partition_key.len()
            && e.partition_key
                .iter()
                .zip(entity.partition_key)
                .all(|(a, b)| a.field == b.field)
    };
    let mut singletons = schema
        .entities
        .iter()
        .copied()
        .filter(|e| e.is_singleton() && e.sort_key_path.segments().len() == 1)
        .filter(|e| same_partition(e));
    let parent = singletons.next()?;
    if singletons.next().is_some() || parent.name == entity.name {
        return None;
    }
    Some(parent)
}

/// The statement that creates `table`, `entity`'s in `schema` as
/// `routing` places the entities: the typed columns, the single table's
/// columns, and the foreign key to the partition's parent's table.
pub(crate) fn create_entity_table(
    schema: &TableSchema,
    entity: &EntitySchema,
    table: &str,
    routing: &Routing,
) -> String {
    let parent = parent_of(schema, entity).and_then(|p| {
        routing
            .routes
            .iter()
            .find(|r| r.entity == p.name)
            .map(|r| (p, r.table.as_str()))
    });
    let mut out = format!("CREATE TABLE IF NOT EXISTS {} (\n", quoted(table));
    for (_, definition) in typed_columns(schema, entity) {
        let _ = writeln!(out, "  {definition},");
    }
    if let Some((parent, _)) = parent {
        let _ = writeln!(
            out,
            "  {PARENT_SK} TEXT GENERATED ALWAYS AS ({}) VIRTUAL,",
            literal(parent.prefix)
        );
    }
    out.push_str(&crate::layout::sqlite::table_columns(schema));
    if let Some((_, parent_table)) = parent {
        let _ = write!(
            out,
            ",\n  FOREIGN KEY (pk, {PARENT_SK}) REFERENCES {} (pk, sk)",
            quoted(parent_table)
        );
    }
    out.push_str("\n) WITHOUT ROWID");
    out
}

/// The statements that make `table` (the single table) refuse a key of
/// one of `routing`'s prefixes, with the error `message`: a connection
/// that read the routes before another process added one would write
/// the key there (`{table}#routes`, dropped and made again).
pub(crate) fn guard_script(table: &str, routing: &Routing, message: &str) -> String {
    let name = quoted(&format!("{table}#routes"));
    let mut sql = format!("DROP TRIGGER IF EXISTS {name}");
    if let Some(condition) = routing.any_prefix("new.sk") {
        let _ = write!(
            sql,
            ";\nCREATE TRIGGER {name} BEFORE INSERT ON {} WHEN {condition} BEGIN\n  \
             SELECT RAISE(ABORT, {});\nEND",
            quoted(table),
            literal(message)
        );
    }
    sql
}

/// Every statement that makes `schema`'s tables in the tables layout,
/// `;`-separated, as `routing` places its entities (for the
/// documentation and `schema`): the single table, then each entity's,
/// each with its indexes.
pub(crate) fn schema_script(schema: &TableSchema, routing: &Routing) -> String {
    let mut out = crate::layout::sqlite::schema_script(schema);
    for route in &routing.routes {
        let Some(entity) = schema.entities.iter().find(|e| e.name == route.entity) else {
            continue;
        };
        out.push_str(";\n");
        out.push_str(&create_entity_table(schema, entity, &route.table, routing));
        for slot in schema.indexes {
            out.push_str(";\n");
            out.push_str(&crate::layout::index_sql::create_index_on(
                schema,
                slot,
                &route.table,
            ));
        }
    }
    if !routing.routes.is_empty() {
        let routes = serde_json::to_string(routing).unwrap_or_default();
        let _ = write!(
            out,
            ";\n{}",
            guard_script(schema.name, routing, ROUTES_CHANGED)
        );
        let _ = write!(
            out,
            ";\n{};\nINSERT OR REPLACE INTO {LAYOUTS} (tbl, routes) VALUES ({}, {})",
            create_layouts(),
            literal(schema.name),
            literal(&routes)
        );
    }
    out
}

/// The routes a new table of `schema` gets: one per entity.
pub(crate) fn routing_of(schema: &TableSchema) -> Routing {
    Routing::extended(&Routing::default(), schema)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_types_declare_sql_types() {
        assert_eq!(sql_type("String"), "TEXT");
        assert_eq!(sql_type("Option<u32>"), "INTEGER");
        assert_eq!(sql_type("Option < f64 >"), "REAL");
        assert_eq!(sql_type("bool"), "INTEGER");
        assert_eq!(sql_type("std::string::String"), "TEXT");
        assert_eq!(sql_type("Vec<String>"), "");
        assert_eq!(sql_type("Status"), "");
    }
}

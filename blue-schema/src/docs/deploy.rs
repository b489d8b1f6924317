//! The table definitions to deploy: DynamoDB's `CreateTable` JSON,
//! CloudFormation, Terraform, and the SQLite DDL.

use crate::schema::TableSchema;

/// The `CreateTable` input of a table, as `aws dynamodb create-table
/// --cli-input-json` takes it: what `Store::create_table` sends to DynamoDB
/// (both come from one definition).
pub fn dynamodb_table_json(table: &TableSchema) -> String {
    crate::layout::dynamodb::create_table_json(table)
}

/// The `UpdateTimeToLive` input that turns on the table's Time to Live,
/// as `aws dynamodb update-time-to-live --cli-input-json` takes it: what
/// `Store::create_table` sends after `CreateTable` (which cannot carry it);
/// `None` for a table without a TTL attribute.
pub fn dynamodb_ttl_json(table: &TableSchema) -> Option<String> {
    let attribute = table.ttl?;
    let input = serde_json::json!({
        "TableName": table.name,
        "TimeToLiveSpecification": { "AttributeName": attribute, "Enabled": true },
    });
    serde_json::to_string_pretty(&input).ok()
}

/// The properties of the table's `AWS::DynamoDB::Table` resource:
/// `CreateTable`'s, and the Time to Live.
fn cloudformation_properties(table: &TableSchema) -> serde_json::Value {
    let mut properties: serde_json::Value =
        serde_json::from_str(&dynamodb_table_json(table)).unwrap_or_default();
    if let (Some(attribute), Some(map)) = (table.ttl, properties.as_object_mut()) {
        map.insert(
            "TimeToLiveSpecification".into(),
            serde_json::json!({ "AttributeName": attribute, "Enabled": true }),
        );
    }
    // CloudFormation's stream has a view type only: present means enabled.
    if let (true, Some(map)) = (table.stream, properties.as_object_mut()) {
        map.insert(
            "StreamSpecification".into(),
            serde_json::json!({ "StreamViewType": "NEW_AND_OLD_IMAGES" }),
        );
    }
    properties
}

/// An AWS CloudFormation template with the table as one
/// `AWS::DynamoDB::Table` resource: the properties of
/// [`dynamodb_table_json`] (CloudFormation names them as the `CreateTable`
/// API does) and the Time to Live of [`dynamodb_ttl_json`], logical id
/// from the table name.
pub fn cloudformation_json(table: &TableSchema) -> String {
    let properties = cloudformation_properties(table);
    let template = serde_json::json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": { logical_id(table.name): {
            "Type": "AWS::DynamoDB::Table",
            "Properties": properties,
        }},
    });
    serde_json::to_string_pretty(&template).unwrap_or_default()
}

/// One AWS CloudFormation template with every table of `tables` as an
/// `AWS::DynamoDB::Table` resource (each as [`cloudformation_json`] has
/// it): what `schema --format cloudformation` prints, one deployable file
/// for an application of several tables.
pub fn cloudformation_template(tables: &[&TableSchema]) -> String {
    let mut resources = serde_json::Map::new();
    for table in tables {
        let properties = cloudformation_properties(table);
        // Names that differ only in punctuation share an id: number them.
        let base = logical_id(table.name);
        let mut id = base.clone();
        let mut n = 1;
        while resources.contains_key(&id) {
            n += 1;
            id = format!("{base}{n}");
        }
        resources.insert(
            id,
            serde_json::json!({
                "Type": "AWS::DynamoDB::Table",
                "Properties": properties,
            }),
        );
    }
    let template = serde_json::json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": resources,
    });
    serde_json::to_string_pretty(&template).unwrap_or_default()
}

/// `blue_dialogue` → `BlueDialogue` (CloudFormation ids are alphanumeric).
fn logical_id(name: &str) -> String {
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// A Terraform `aws_dynamodb_table` resource (HCL) for the table: the same
/// keys, attribute definitions, billing mode and secondary indexes as
/// [`dynamodb_table_json`], and its Time to Live.
pub fn terraform_hcl(table: &TableSchema) -> String {
    use std::fmt::Write as _;
    let create: serde_json::Value =
        serde_json::from_str(&dynamodb_table_json(table)).unwrap_or_default();
    let key = |schema: &serde_json::Value, kind: &str| {
        schema
            .as_array()
            .into_iter()
            .flatten()
            .find(|k| k["KeyType"] == kind)
            .and_then(|k| k["AttributeName"].as_str())
            .unwrap_or_default()
            .to_owned()
    };
    let mut out = String::new();
    let resource = table
        .name
        .replace(|c: char| !c.is_ascii_alphanumeric() && c != '_', "_");
    let _ = writeln!(out, "resource \"aws_dynamodb_table\" \"{resource}\" {{");
    let _ = writeln!(out, "  name         = \"{}\"", table.name);
    let billing = create["BillingMode"].as_str().unwrap_or("PAY_PER_REQUEST");
    let _ = writeln!(out, "  billing_mode = \"{billing}\"");
    let _ = writeln!(
        out,
        "  hash_key     = \"{}\"",
        key(&create["KeySchema"], "HASH")
    );
    let _ = writeln!(
        out,
        "  range_key    = \"{}\"",
        key(&create["KeySchema"], "RANGE")
    );
    if table.stream {
        let _ = writeln!(out, "  stream_enabled   = true");
        let _ = writeln!(out, "  stream_view_type = \"NEW_AND_OLD_IMAGES\"");
    }
    for attribute in create["AttributeDefinitions"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let _ = writeln!(out, "\n  attribute {{");
        let _ = writeln!(
            out,
            "    name = \"{}\"",
            attribute["AttributeName"].as_str().unwrap_or_default()
        );
        let _ = writeln!(
            out,
            "    type = \"{}\"",
            attribute["AttributeType"].as_str().unwrap_or_default()
        );
        let _ = writeln!(out, "  }}");
    }
    for index in create["GlobalSecondaryIndexes"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let _ = writeln!(out, "\n  global_secondary_index {{");
        let _ = writeln!(
            out,
            "    name            = \"{}\"",
            index["IndexName"].as_str().unwrap_or_default()
        );
        let elements = index["KeySchema"].as_array().cloned().unwrap_or_default();
        if elements.len() > 2 {
            // A multi-attribute key: one `key_schema` block per
            // attribute, in order, as the provider's newer syntax writes
            // it (`hash_key` and `range_key` name one attribute each).
            for element in &elements {
                let _ = writeln!(out, "    key_schema {{");
                let _ = writeln!(
                    out,
                    "      attribute_name = \"{}\"",
                    element["AttributeName"].as_str().unwrap_or_default()
                );
                let _ = writeln!(
                    out,
                    "      key_type       = \"{}\"",
                    element["KeyType"].as_str().unwrap_or_default()
                );
                let _ = writeln!(out, "    }}");
            }
        } else {
            let _ = writeln!(
                out,
                "    hash_key        = \"{}\"",
                key(&index["KeySchema"], "HASH")
            );
            let _ = writeln!(
                out,
                "    range_key       = \"{}\"",
                key(&index["KeySchema"], "RANGE")
            );
        }
        let projection = index["Projection"]["ProjectionType"]
            .as_str()
            .unwrap_or("ALL");
        let _ = writeln!(out, "    projection_type = \"{projection}\"");
        if let Some(attributes) = index["Projection"]["NonKeyAttributes"].as_array() {
            let names: Vec<String> = attributes.iter().map(ToString::to_string).collect();
            let _ = writeln!(out, "    non_key_attributes = [{}]", names.join(", "));
        }
        let _ = writeln!(out, "  }}");
    }
    if let Some(attribute) = table.ttl {
        let _ = writeln!(out, "\n  ttl {{");
        let _ = writeln!(out, "    attribute_name = \"{attribute}\"");
        let _ = writeln!(out, "    enabled        = true");
        let _ = writeln!(out, "  }}");
    }
    let _ = writeln!(out, "}}");
    out
}

/// The SQLite statements that create a table and its secondary indexes, as
/// the SQLite backend runs them: ADR 0018's columns, plus `size`, the
/// item's size as DynamoDB computes it, which lets a query page end after
/// 1 MB of data exactly where DynamoDB's would, `updated_at`, two
/// generated columns per index (its keys, read from `data`), and a partial
/// index per index over the rows that have its keys.
///
/// Then one typed view per entity, `{table}_{entity}`, which shows its
/// items as rows of ordinary columns to any SQL tool (the store never
/// reads them).
///
/// A table with a change feed (`#[table(stream)]`) also gets its outbox
/// and the triggers that fill it ([`crate::feed`]).
pub fn sqlite_ddl(table: &TableSchema) -> String {
    let mut ddl = crate::layout::sqlite::schema_script(table);
    let views = crate::layout::views::views_script(table);
    if !views.is_empty() {
        ddl.push_str(
            ";
",
        );
        ddl.push_str(&views);
    }
    if table.stream {
        ddl.push_str(";\n");
        ddl.push_str(&crate::layout::sqlite::feed_script(table.name, table.name));
    }
    ddl
}

/// The SQLite statements that make `table` in the tables layout
/// ([`Layout::Tables`](crate::backend::sqlite::Layout::Tables), ADR
/// 0018's "separate tables with foreign keys"), as `create_table` makes a
/// new one: the single table (which keeps the items of no entity), then
/// one table per entity, `{table}_{entity}`, with a typed column per
/// field (generated from the item's JSON), the single table's columns,
/// its indexes and a foreign key to the partition's parent (the table's
/// one singleton entity: the ADR's `META` row; declared, not enforced);
/// the single table's guard, and the routes recorded in
/// `blue_schema_layouts`.
///
/// A table with a change feed also gets its outbox, and the triggers
/// that fill it on each of its tables.
pub fn sqlite_tables_ddl(table: &TableSchema) -> String {
    let routing = crate::layout::tables::routing_of(table);
    let mut ddl = crate::layout::tables::schema_script(table, &routing);
    if table.stream {
        ddl.push_str(";\n");
        ddl.push_str(&crate::layout::sqlite::feed_script(table.name, table.name));
        for route in &routing.routes {
            ddl.push_str(";\n");
            ddl.push_str(&crate::layout::sqlite::feed_script(
                table.name,
                &route.table,
            ));
        }
    }
    ddl
}

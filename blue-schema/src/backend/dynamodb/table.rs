//! Creating a table from the one definition in the mapping, and refusing a
//! same-named table of another shape.

use std::time::Duration;

use aws_sdk_dynamodb::config::AsyncSleep;
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    TableDescription, TableStatus,
};

use super::error::request_error;
use super::retry::Replay;
use super::{DynamoDbBackend, NAME};
use crate::backend::check_table_name;
use crate::backend::mapping::dynamodb::{ATTRIBUTE_DEFINITIONS, BILLING_MODE, KEY_SCHEMA};
use crate::Error;

/// How long `create_table` waits for a new table to become `ACTIVE`.
const TABLE_ACTIVE_TIMEOUT: Duration = Duration::from_secs(120);

impl DynamoDbBackend {
    /// The table's description, or `None` if there is no such table;
    /// errors name `schema_table`.
    pub(super) async fn describe(
        &self,
        table: &str,
        schema_table: &'static str,
    ) -> Result<Option<TableDescription>, Error> {
        let request = self.sdk.describe_table().table_name(self.table_name(table));
        match self.send(Replay::Safe, &request, |r| r.send()).await.result {
            Ok(out) => Ok(out.table),
            Err(e) if e.code() == Some("ResourceNotFoundException") => Ok(None),
            Err(e) => Err(request_error("DescribeTable", schema_table)(e)),
        }
    }

    pub(super) async fn create_table_now(&self, table: &'static str) -> Result<(), Error> {
        check_table_name(&self.table_name(table))?;
        let mut created = false;
        let mut waited = Duration::ZERO;
        let mut pause = Duration::from_millis(20);
        loop {
            match self.describe(table, table).await? {
                Some(description) => {
                    check_key_schema(table, &description)?;
                    if description.table_status == Some(TableStatus::Active) {
                        return Ok(());
                    }
                }
                None if !created => {
                    self.create(table).await?;
                    created = true;
                    continue;
                }
                None => {}
            }
            if waited >= TABLE_ACTIVE_TIMEOUT {
                return Err(Error::Unavailable {
                    backend: NAME,
                    source: format!(
                        "table {table} did not become ACTIVE within {TABLE_ACTIVE_TIMEOUT:?}"
                    )
                    .into(),
                });
            }
            match self.client.config().sleep_impl() {
                Some(sleep) => sleep.sleep(pause).await,
                None => {
                    return Err(Error::backend(
                        NAME,
                        "the SDK client has no sleep implementation to wait with",
                    ))
                }
            }
            waited += pause;
            pause = (pause * 2).min(Duration::from_secs(2));
        }
    }

    async fn create(&self, table: &'static str) -> Result<(), Error> {
        let mut request = self
            .sdk
            .create_table()
            .table_name(self.table_name(table))
            .billing_mode(BillingMode::from(BILLING_MODE));
        for (name, kind) in ATTRIBUTE_DEFINITIONS {
            let definition = AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::from(kind))
                .build()
                .map_err(|e| Error::backend(NAME, e))?;
            request = request.attribute_definitions(definition);
        }
        for (name, kind) in KEY_SCHEMA {
            let element = KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(KeyType::from(kind))
                .build()
                .map_err(|e| Error::backend(NAME, e))?;
            request = request.key_schema(element);
        }
        match self.send(Replay::Safe, &request, |r| r.send()).await.result {
            Ok(_) => Ok(()),
            // Another store created it first.
            Err(e) if e.code() == Some("ResourceInUseException") => Ok(()),
            Err(e) => Err(request_error("CreateTable", table)(e)),
        }
    }
}

/// Refuses a table whose key schema is not the mapping's.
fn check_key_schema(table: &'static str, description: &TableDescription) -> Result<(), Error> {
    let key_type = |name: &str| {
        description
            .key_schema()
            .iter()
            .find(|k| k.attribute_name() == name)
            .map(|k| k.key_type().as_str().to_owned())
    };
    let attribute_type = |name: &str| {
        description
            .attribute_definitions()
            .iter()
            .find(|a| a.attribute_name() == name)
            .map(|a| a.attribute_type().as_str().to_owned())
    };
    let ok = description.key_schema().len() == KEY_SCHEMA.len()
        && KEY_SCHEMA
            .iter()
            .all(|(name, kind)| key_type(name).as_deref() == Some(*kind))
        && ATTRIBUTE_DEFINITIONS
            .iter()
            .all(|(name, kind)| attribute_type(name).as_deref() == Some(*kind));
    if ok {
        return Ok(());
    }
    let expected: Vec<String> = KEY_SCHEMA
        .iter()
        .map(|(name, kind)| format!("{name} (S, {kind})"))
        .collect();
    let found: Vec<String> = description
        .key_schema()
        .iter()
        .map(|k| format!("{} ({})", k.attribute_name(), k.key_type().as_str()))
        .collect();
    Err(Error::TableMismatch {
        table: table.to_owned(),
        found: format!(
            "its key schema is {}, not {}",
            found.join(", "),
            expected.join(", ")
        ),
    })
}

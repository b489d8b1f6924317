//! Creating a table from the one definition in the mapping, and refusing a
//! same-named table of another shape.

use std::time::Duration;

use aws_sdk_dynamodb::config::AsyncSleep;
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, CreateGlobalSecondaryIndexAction, GlobalSecondaryIndex,
    GlobalSecondaryIndexUpdate, IndexStatus, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType, StreamSpecification, StreamViewType, TableDescription, TableStatus,
};

use super::error::request_error;
use super::retry::Replay;
use super::{DynamoDbBackend, NAME};
use crate::backend::engine::check_table_name;
use crate::layout::dynamodb::{
    attribute_definitions, index_key, ATTRIBUTE_DEFINITIONS, BILLING_MODE, KEY_SCHEMA,
};
use crate::schema::{IndexSlot, TableSchema};
use crate::Error;

/// How long `create_table` waits for a new table to become `ACTIVE`.
const TABLE_ACTIVE_TIMEOUT: Duration = Duration::from_secs(120);
/// How long it waits for an index to become `ACTIVE` and backfilled (on
/// AWS a large table takes minutes to hours; run it from a deployment step).
const INDEX_ACTIVE_TIMEOUT: Duration = Duration::from_secs(3600);

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

    /// Deletes the table and waits until DynamoDB no longer has it (so that
    /// it can be created again at once); whether it existed.
    pub(super) async fn drop_table_now(&self, table: &'static str) -> Result<bool, Error> {
        check_table_name(&self.table_name(table))?;
        let request = self.sdk.delete_table().table_name(self.table_name(table));
        match self.send(Replay::Safe, &request, |r| r.send()).await.result {
            Ok(_) => {}
            Err(e) if e.code() == Some("ResourceNotFoundException") => return Ok(false),
            Err(e) => return Err(request_error("DeleteTable", table)(e)),
        }
        let failed = format!("table {table} was not deleted");
        self.poll(table, &failed, TABLE_ACTIVE_TIMEOUT, None, |d| {
            Ok(d.is_none())
        })
        .await?;
        Ok(true)
    }

    /// Creates the table with its indexes, or adds the indexes it lacks
    /// (one at a time, as DynamoDB requires, each waited for until it is
    /// active and backfilled). Whether an index was added to an existing
    /// table.
    pub(super) async fn create_table_now(
        &self,
        schema: &'static TableSchema,
    ) -> Result<bool, Error> {
        let table = schema.name;
        let mut description = self.create_or_wait(schema).await?;
        let mut added = false;
        for slot in schema.indexes {
            match find_index(&description, slot.name) {
                Some(index) => {
                    check_index_key(schema, slot, index)?;
                    let found = index
                        .projection()
                        .and_then(|p| p.projection_type())
                        .map(|p| p.as_str().to_owned())
                        .unwrap_or_default();
                    let projection = schema.projection(slot.name);
                    let mut attributes: Vec<&str> = index
                        .projection()
                        .map(|p| p.non_key_attributes().iter().map(String::as_str).collect())
                        .unwrap_or_default();
                    attributes.sort_unstable();
                    let found = if attributes.is_empty() {
                        found
                    } else {
                        format!("{found} ({})", attributes.join(", "))
                    };
                    let wanted = projection.describe();
                    if found != wanted {
                        return Err(Error::TableMismatch {
                            table: table.to_owned(),
                            found: format!(
                                "its index {} holds {found}, the schema's access patterns need {wanted}; \
                                 DynamoDB cannot change an index's projection: delete the index and run \
                                 create_table again",
                                slot.name
                            ),
                        });
                    }
                    if index_ready(index) {
                        continue;
                    }
                }
                None => {
                    self.add_index(schema, slot).await?;
                    added = true;
                }
            }
            description = self
                .wait_for(
                    table,
                    &format!("index {} of table {table}", slot.name),
                    INDEX_ACTIVE_TIMEOUT,
                    None,
                    |d| Ok(find_index(d, slot.name).is_some_and(index_ready)),
                )
                .await?;
        }
        if schema.stream {
            self.enable_stream(table, &description).await?;
        }
        if let Some(attribute) = schema.ttl {
            self.enable_ttl(table, attribute).await?;
        }
        Ok(added)
    }

    /// Turns on the table's stream (`NEW_AND_OLD_IMAGES`, the change
    /// feed's, [`crate::feed`]) unless it is on already, and waits until
    /// the table is active again.
    async fn enable_stream(
        &self,
        table: &'static str,
        description: &TableDescription,
    ) -> Result<(), Error> {
        let current = description.stream_specification();
        match current.map(|s| (s.stream_enabled(), s.stream_view_type())) {
            Some((true, Some(StreamViewType::NewAndOldImages))) => return Ok(()),
            Some((true, view)) => {
                return Err(Error::TableMismatch {
                    table: table.to_owned(),
                    found: format!(
                        "its stream records {}, the change feed needs NEW_AND_OLD_IMAGES; \
                         disable the stream and run create_table again",
                        view.map_or("no images", |v| v.as_str())
                    ),
                })
            }
            _ => {}
        }
        let request = self
            .sdk
            .update_table()
            .table_name(self.table_name(table))
            .stream_specification(stream_specification()?);
        match self.send(Replay::Safe, &request, |r| r.send()).await.result {
            Ok(_) => {}
            // Another store is enabling it.
            Err(e) if e.code() == Some("ResourceInUseException") => {}
            Err(e) => return Err(request_error("UpdateTable", table)(e)),
        }
        self.wait_for(
            table,
            &format!("the stream of table {table}"),
            TABLE_ACTIVE_TIMEOUT,
            None,
            |d| Ok(d.table_status == Some(TableStatus::Active) && d.latest_stream_arn().is_some()),
        )
        .await?;
        Ok(())
    }

    /// Turns on Time to Live on `attribute`, unless it is on already: AWS
    /// refuses a second `UpdateTimeToLive` within an hour of the first, so
    /// the state is read first and a second `create_table` sends none.
    async fn enable_ttl(&self, table: &'static str, attribute: &'static str) -> Result<(), Error> {
        let name = self.table_name(table);
        let describe = self.sdk.describe_time_to_live().table_name(&name);
        let found = self
            .send(Replay::Safe, &describe, |r| r.send())
            .await
            .result
            .map_err(request_error("DescribeTimeToLive", table))?;
        let found = found.time_to_live_description();
        let status = found
            .and_then(|d| d.time_to_live_status())
            .map_or("DISABLED", |s| s.as_str());
        let current = found.and_then(|d| d.attribute_name());
        match (status, current) {
            ("ENABLED" | "ENABLING", Some(a)) if a == attribute => return Ok(()),
            ("DISABLED", _) => {}
            (status, current) => {
                return Err(Error::TableMismatch {
                    table: table.to_owned(),
                    found: format!(
                        "its Time to Live is {status} on attribute `{}`, the schema's is `{attribute}`; \
                         DynamoDB has one TTL attribute per table and changes it at most once an \
                         hour: disable it, wait until it is DISABLED, and run create_table again",
                        current.unwrap_or_default()
                    ),
                })
            }
        }
        let specification = aws_sdk_dynamodb::types::TimeToLiveSpecification::builder()
            .attribute_name(attribute)
            .enabled(true)
            .build()
            .map_err(|e| Error::backend(NAME, e))?;
        let update = self
            .sdk
            .update_time_to_live()
            .table_name(&name)
            .time_to_live_specification(specification);
        self.send(Replay::Safe, &update, |r| r.send())
            .await
            .result
            .map_err(request_error("UpdateTimeToLive", table))?;
        Ok(())
    }

    async fn add_index(&self, schema: &'static TableSchema, slot: &IndexSlot) -> Result<(), Error> {
        let table = schema.name;
        let mut request = self
            .sdk
            .update_table()
            .table_name(self.table_name(table))
            .global_secondary_index_updates(
                GlobalSecondaryIndexUpdate::builder()
                    .create(
                        CreateGlobalSecondaryIndexAction::builder()
                            .index_name(slot.name)
                            .set_key_schema(Some(index_key_schema(schema, slot)?))
                            .projection(projection(schema, slot))
                            .build()
                            .map_err(|e| Error::backend(NAME, e))?,
                    )
                    .build(),
            );
        // The new index's keys, and the table's own (which DynamoDB does
        // not need again, but moto forgets when they are left out).
        for (name, kind) in ATTRIBUTE_DEFINITIONS {
            request = request.attribute_definitions(attribute(name, kind)?);
        }
        for (name, kind, _) in index_key(schema, slot) {
            if !ATTRIBUTE_DEFINITIONS.iter().any(|(n, _)| *n == name) {
                request = request.attribute_definitions(attribute(name, kind)?);
            }
        }
        match self.send(Replay::Safe, &request, |r| r.send()).await.result {
            Ok(_) => Ok(()),
            // Another store is adding it (or another index) now: wait and see.
            Err(e)
                if matches!(
                    e.code(),
                    Some("ResourceInUseException" | "LimitExceededException")
                ) =>
            {
                Ok(())
            }
            Err(e) => Err(request_error("UpdateTable", table)(e)),
        }
    }

    /// Describes the table (starting from `current`, when the caller has
    /// a description already) until `ready` accepts it, with a doubling
    /// pause, for at most `timeout`; the description it accepted.
    async fn wait_for(
        &self,
        table: &'static str,
        what: &str,
        timeout: Duration,
        current: Option<TableDescription>,
        mut ready: impl FnMut(&TableDescription) -> Result<bool, Error>,
    ) -> Result<TableDescription, Error> {
        let goal = format!("{what} did not become ACTIVE");
        self.poll(table, &goal, timeout, current, |d| {
            d.map_or(Ok(false), &mut ready)
        })
        .await?
        .ok_or_else(|| Error::backend(NAME, "a description was accepted without one"))
    }

    /// Describes the table (starting from `current`) until `done` accepts
    /// what it finds (`None`: no table), with a doubling pause, for at
    /// most `timeout`, then fails saying `failed` (`table t was not
    /// deleted`); what `done` accepted.
    async fn poll(
        &self,
        table: &'static str,
        failed: &str,
        timeout: Duration,
        mut current: Option<TableDescription>,
        mut done: impl FnMut(Option<&TableDescription>) -> Result<bool, Error>,
    ) -> Result<Option<TableDescription>, Error> {
        let mut waited = Duration::ZERO;
        let mut pause = Duration::from_millis(20);
        loop {
            let description = match current.take() {
                Some(d) => Some(d),
                None => self.describe(table, table).await?,
            };
            if done(description.as_ref())? {
                return Ok(description);
            }
            if waited >= timeout {
                return Err(Error::Unavailable {
                    backend: NAME,
                    source: format!("{failed} within {timeout:?}").into(),
                });
            }
            self.pause(pause).await?;
            waited += pause;
            pause = (pause * 2).min(Duration::from_secs(2));
        }
    }

    /// Sleeps with the SDK client's sleep (the one its own retries use).
    pub(super) async fn pause(&self, pause: Duration) -> Result<(), Error> {
        match self.client.config().sleep_impl() {
            Some(sleep) => {
                sleep.sleep(pause).await;
                Ok(())
            }
            None => Err(Error::backend(
                NAME,
                "the SDK client has no sleep implementation to wait with",
            )),
        }
    }

    /// Creates the table if it does not exist, and waits until it is
    /// `ACTIVE`; its description then.
    async fn create_or_wait(
        &self,
        schema: &'static TableSchema,
    ) -> Result<TableDescription, Error> {
        let table = schema.name;
        check_table_name(&self.table_name(table))?;
        let current = self.describe(table, table).await?;
        if current.is_none() {
            self.create(schema).await?;
        }
        self.wait_for(
            table,
            &format!("table {table}"),
            TABLE_ACTIVE_TIMEOUT,
            current,
            |d| {
                check_key_schema(table, d)?;
                Ok(d.table_status == Some(TableStatus::Active))
            },
        )
        .await
    }

    async fn create(&self, schema: &'static TableSchema) -> Result<(), Error> {
        let table = schema.name;
        let mut request = self
            .sdk
            .create_table()
            .table_name(self.table_name(table))
            .billing_mode(BillingMode::from(BILLING_MODE));
        for (name, kind) in attribute_definitions(schema) {
            request = request.attribute_definitions(attribute(name, kind)?);
        }
        for (name, kind) in KEY_SCHEMA {
            let element = KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(KeyType::from(kind))
                .build()
                .map_err(|e| Error::backend(NAME, e))?;
            request = request.key_schema(element);
        }
        for slot in schema.indexes {
            request = request.global_secondary_indexes(
                GlobalSecondaryIndex::builder()
                    .index_name(slot.name)
                    .set_key_schema(Some(index_key_schema(schema, slot)?))
                    .projection(projection(schema, slot))
                    .build()
                    .map_err(|e| Error::backend(NAME, e))?,
            );
        }
        if schema.stream {
            request = request.stream_specification(stream_specification()?);
        }
        match self.send(Replay::Safe, &request, |r| r.send()).await.result {
            Ok(_) => Ok(()),
            // Another store created it first.
            Err(e) if e.code() == Some("ResourceInUseException") => Ok(()),
            Err(e) => Err(request_error("CreateTable", table)(e)),
        }
    }
}

/// The change feed's stream: new and old images.
fn stream_specification() -> Result<StreamSpecification, Error> {
    StreamSpecification::builder()
        .stream_enabled(true)
        .stream_view_type(StreamViewType::NewAndOldImages)
        .build()
        .map_err(|e| Error::backend(NAME, e))
}

/// The table's index named `name`, if it has one.
fn find_index<'d>(
    description: &'d TableDescription,
    name: &str,
) -> Option<&'d aws_sdk_dynamodb::types::GlobalSecondaryIndexDescription> {
    description
        .global_secondary_indexes()
        .iter()
        .find(|g| g.index_name() == Some(name))
}

/// Whether an index is `ACTIVE` and done backfilling.
fn index_ready(index: &aws_sdk_dynamodb::types::GlobalSecondaryIndexDescription) -> bool {
    index.index_status() == Some(&IndexStatus::Active) && index.backfilling() != Some(true)
}

/// An attribute's definition: its name and type (`S` or `N`).
fn attribute(name: &str, kind: &str) -> Result<AttributeDefinition, Error> {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::from(kind))
        .build()
        .map_err(|e| Error::backend(NAME, e))
}

/// An index's key: `gsi1pk` HASH, `gsi1sk` RANGE, or a multi-attribute
/// index's attributes ([`index_key`]).
fn index_key_schema(
    schema: &TableSchema,
    slot: &IndexSlot,
) -> Result<Vec<KeySchemaElement>, Error> {
    index_key(schema, slot)
        .into_iter()
        .map(|(name, _, kind)| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(KeyType::from(kind))
                .build()
                .map_err(|e| Error::backend(NAME, e))
        })
        .collect()
}

/// Refuses an existing index whose key is not the one the schema's
/// access patterns need: DynamoDB cannot change an index's key.
fn check_index_key(
    schema: &TableSchema,
    slot: &IndexSlot,
    index: &aws_sdk_dynamodb::types::GlobalSecondaryIndexDescription,
) -> Result<(), Error> {
    let wanted: Vec<String> = index_key(schema, slot)
        .into_iter()
        .map(|(name, _, kind)| format!("{name} ({kind})"))
        .collect();
    let found: Vec<String> = index
        .key_schema()
        .iter()
        .map(|k| format!("{} ({})", k.attribute_name(), k.key_type().as_str()))
        .collect();
    if found == wanted {
        return Ok(());
    }
    Err(Error::TableMismatch {
        table: schema.name.to_owned(),
        found: format!(
            "its index {} is keyed by {}, the schema's access patterns need {}; DynamoDB cannot \
             change an index's key: delete the index and run create_table again",
            slot.name,
            found.join(", "),
            wanted.join(", ")
        ),
    })
}

/// What the index's entries hold, as the table's access patterns need.
fn projection(schema: &TableSchema, slot: &IndexSlot) -> Projection {
    let projection = schema.projection(slot.name);
    let kind = match projection {
        crate::schema::Projection::All => ProjectionType::All,
        crate::schema::Projection::KeysOnly => ProjectionType::KeysOnly,
        crate::schema::Projection::Include(_) => ProjectionType::Include,
    };
    let attributes = projection.non_key_attributes();
    Projection::builder()
        .projection_type(kind)
        .set_non_key_attributes(
            (!attributes.is_empty()).then(|| attributes.iter().map(|a| (*a).to_owned()).collect()),
        )
        .build()
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

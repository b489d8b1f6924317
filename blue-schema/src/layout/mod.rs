//! The physical layout both backends implement, defined once: the SQLite
//! table and statements, the DynamoDB table and requests, and DynamoDB's
//! expression language (the stored attribute names are in
//! [`schema`](crate::schema)). The backends run what this module describes; the generated
//! documentation and [`Query::explain`](crate::Query::explain) print it. It
//! needs neither rusqlite nor the AWS SDK, so the documentation of a schema
//! shows both mappings whatever features are compiled in.

pub(crate) mod dynamodb;
pub(crate) mod expression;
// The statements are only run by the SQLite backend; the rest of the crate
// shows them.
#[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
pub(crate) mod index_sql;
#[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
pub(crate) mod sqlite;
#[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
pub(crate) mod tables;
#[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
pub(crate) mod views;

//! Pages of a multi-attribute index query: the rows of the index's
//! partition in the order of its sort attributes, read through its
//! composite SQL index, with the page rules of every query.

use super::entry;
use super::error::sqlite_error;
use super::page::{missing_index, PageRows, RowFilter};
use super::pool::Conn;
use super::row::{data, parse_attributes, size, text};
use crate::key::{KeyValue, ScalarType};
use crate::layout::index_sql::{
    attribute_params, attribute_sql, attribute_sql_merged, AttributeShape, Param,
};
use crate::ops::decode::{Decoder, StoredKeys};
use crate::ops::key_condition::AttributeCondition;
use crate::ops::{PageOf, QueryPage};
use crate::schema::{Projection, PARTITION_KEY, SORT_KEY};
use crate::Error;

/// A page of a multi-attribute index query: the rows of the index's
/// partition in the order of its sort attributes (the entity's, then the
/// table key), with the same page rules as every query.
pub(super) fn page<D: Decoder>(
    conn: &mut Conn,
    op: &QueryPage,
) -> Result<PageOf<D::Output>, Error> {
    let spec = &op.spec;
    let table = spec.table;
    let index = spec.index.expect("an index query");
    let condition = spec.attributes.as_ref().expect("a multi-attribute query");
    let resume = match &op.start {
        Some(position) => Some(condition.decode_position(&position.sort_key).ok_or(
            crate::error::QueryError::Cursor(crate::error::CursorError::Malformed),
        )?),
        None => None,
    };
    let shape = AttributeShape::of(
        index.slot.name,
        condition,
        spec.order,
        D::WITH_STAMPS,
        resume.is_some(),
    );
    let (db, tables) = conn.with_table(table)?;
    let sql = tables.home.attribute_sql(shape, || match tables.routing() {
        None => attribute_sql(
            table,
            &index.slot,
            condition,
            spec.order,
            D::WITH_STAMPS,
            resume.is_some(),
        ),
        Some(_) => attribute_sql_merged(
            &tables.all_names(table),
            &index.slot,
            condition,
            spec.order,
            D::WITH_STAMPS,
            resume.is_some(),
        ),
    });
    let params = attribute_params(condition, resume.as_deref());
    let mut stmt = db
        .prepare_cached(&sql)
        .map_err(missing_index(table, index.slot.name))?;
    let mut rows = stmt
        .query(rusqlite::params_from_iter(params.iter().map(SqlParam)))
        .map_err(sqlite_error)?;
    let filter = RowFilter::of(spec);
    let mut page = PageRows::new(op.limit);
    // The last evaluated row (where the next page starts), in buffers
    // reused from row to row; its position is written only when a page
    // ends, from its key and the sort attributes its JSON holds.
    let mut last = LastRow::default();
    while let Some(row) = rows.next().map_err(sqlite_error)? {
        let (partition_key, sort_key) = (text(row, 0)?, text(row, 1)?);
        let item = data(row, 2)?;
        // The entry's size: the whole item, or its keys (a multi-attribute
        // pattern projects nothing else: the derive refuses `project(..)`).
        let entry = match index.projection {
            Projection::All => size(row, 3, table, partition_key, 0)?,
            Projection::KeysOnly | Projection::Include(_) => {
                let keys =
                    entry::attribute_entry(condition.attributes, &item, partition_key, sort_key)
                        .map_or(0, |(_, size)| size);
                i64::try_from(keys).unwrap_or(i64::MAX)
            }
        };
        if !page.admits(entry) {
            return Ok(page.ended_at(last.position(table, condition)?));
        }
        let (created_at, updated_at) = if D::WITH_STAMPS {
            (text(row, 4)?, text(row, 5)?)
        } else {
            ("", "")
        };
        let keys = StoredKeys {
            table,
            partition_key,
            sort_key,
            created_at,
            updated_at,
        };
        let full = page.take_row::<D>(keys, &item, spec, filter.as_ref(), "")?;
        last.keep(partition_key, sort_key, &item);
        if full {
            return Ok(page.ended_at(last.position(table, condition)?));
        }
    }
    Ok(page.finished())
}

/// The last row a multi-attribute page evaluated: its table key and JSON.
#[derive(Default)]
struct LastRow {
    partition_key: String,
    sort_key: String,
    data: String,
}

impl LastRow {
    fn keep(&mut self, partition_key: &str, sort_key: &str, data: &str) {
        for (buffer, value) in [
            (&mut self.partition_key, partition_key),
            (&mut self.sort_key, sort_key),
            (&mut self.data, data),
        ] {
            buffer.clear();
            buffer.push_str(value);
        }
    }

    /// Where the next page starts: the row's sort values.
    fn position(
        &self,
        table: &'static str,
        condition: &AttributeCondition,
    ) -> Result<String, Error> {
        let values = sort_values(
            table,
            condition,
            &self.data,
            &self.partition_key,
            &self.sort_key,
        )?;
        Ok(crate::key::native::encode_values(&values))
    }
}

/// The values of a row's sort attributes, as its index entry holds them:
/// the entity's fields from its JSON (what the generated columns read),
/// then the table key.
fn sort_values(
    table: &'static str,
    condition: &AttributeCondition,
    data: &str,
    partition_key: &str,
    sort_key: &str,
) -> Result<Vec<KeyValue>, Error> {
    let sort = condition.sort_attributes();
    let own: Vec<&str> = sort
        .iter()
        .map(|a| a.name)
        .filter(|n| !matches!(*n, PARTITION_KEY | SORT_KEY))
        .collect();
    let held = parse_attributes(data, &own).unwrap_or_default();
    sort.iter()
        .map(|a| match a.name {
            PARTITION_KEY => Ok(KeyValue::S(partition_key.to_owned())),
            SORT_KEY => Ok(KeyValue::S(sort_key.to_owned())),
            name => match (a.scalar, held.get(name)) {
                (ScalarType::S, Some(serde_json::Value::String(s))) => Ok(KeyValue::S(s.clone())),
                (ScalarType::N, Some(n)) if n.as_i64().is_some() => {
                    Ok(KeyValue::N(n.as_i64().unwrap_or_default()))
                }
                _ => Err(Error::Decode {
                    table,
                    partition_key: partition_key.to_owned(),
                    sort_key: sort_key.to_owned(),
                    source: format!(
                        "the index key attribute {name} is not a {}",
                        a.scalar.letter()
                    )
                    .into(),
                }),
            },
        })
        .collect()
}

/// A multi-attribute query's parameter, bound with its SQL type.
struct SqlParam<'a>(&'a Param);

impl rusqlite::ToSql for SqlParam<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(match self.0 {
            Param::Text(bytes) => ToSqlOutput::Borrowed(ValueRef::Text(bytes)),
            Param::Integer(n) => ToSqlOutput::Borrowed(ValueRef::Integer(*n)),
        })
    }
}

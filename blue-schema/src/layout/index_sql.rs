//! The SQLite mapping of secondary indexes: the generated columns that
//! read their keys from the item, their partial SQL indexes, and the
//! statements of their queries (a multi-attribute index's built once per
//! shape of query).

use crate::key::{KeyValue, ScalarType};
use crate::ops::key_condition::{AttributeCondition, AttributeRange, Term};
use crate::ops::query::Order;
use crate::schema::{IndexSlot, KeyAttribute, TableSchema, PARTITION_KEY, SORT_KEY};

/// A generated column of a secondary index: it reads one of the index's
/// key attributes from the item.
pub(crate) struct IndexColumn {
    /// `gsi1_pk`, or `gsi3_region` in a multi-attribute index.
    pub(crate) name: String,
    /// The attribute it reads: `gsi1pk`, `region`.
    pub(crate) attribute: &'static str,
    /// `TEXT`, or `INTEGER` for a number attribute.
    pub(crate) sql_type: &'static str,
}

impl IndexColumn {
    /// The column's definition: `NULL` when the item has no such
    /// attribute (it is not in the index), or when `data` is not JSON at
    /// all (a row another tool wrote, which reads back as a decode error
    /// rather than making the write or the index creation fail).
    pub(crate) fn definition(&self) -> String {
        format!(
            "{} {} GENERATED ALWAYS AS \
             (iif(json_valid(data), json_extract(data, '{}'), NULL)) VIRTUAL",
            self.name,
            self.sql_type,
            json_path(self.attribute)
        )
    }
}

/// The JSON path of a top-level attribute, inside SQL quotes: `$.name`,
/// or `$."odd.name"` for a name that is not letters, digits and `_`.
pub(crate) fn json_path(attribute: &str) -> String {
    if attribute
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        format!("$.{attribute}")
    } else {
        format!(
            "$.\"{}\"",
            attribute.replace('\'', "''").replace('"', "\\\"")
        )
    }
}

/// The generated columns of index `slot`: its two key strings, or in a
/// multi-attribute index one column per key attribute of the entity's
/// (the table's `pk` and `sk` are columns already).
pub(crate) fn index_columns_of(schema: &TableSchema, slot: &IndexSlot) -> Vec<IndexColumn> {
    let attributes = schema.key_attributes(slot.name);
    if attributes.is_empty() {
        return vec![
            IndexColumn {
                name: slot.pk_column.to_owned(),
                attribute: slot.pk_attribute,
                sql_type: "TEXT",
            },
            IndexColumn {
                name: slot.sk_column.to_owned(),
                attribute: slot.sk_attribute,
                sql_type: "TEXT",
            },
        ];
    }
    attributes
        .iter()
        .filter(|a| !matches!(a.name, PARTITION_KEY | SORT_KEY))
        .map(|a| IndexColumn {
            name: a.column(slot.name),
            attribute: a.name,
            sql_type: match a.scalar {
                ScalarType::S => "TEXT",
                ScalarType::N => "INTEGER",
            },
        })
        .collect()
}

/// The statements that add a secondary index to a table: the generated
/// columns that read the index keys from the item (so that every write
/// keeps them, whatever statement it uses), and a partial index over them
/// holding only the items that have all of them (a sparse index). Adding
/// the columns to a table that holds data computes them for every row.
pub(crate) fn add_index(schema: &TableSchema, slot: &IndexSlot) -> Vec<String> {
    add_index_on(schema, slot, schema.name)
}

/// [`add_index`] on `table`, one of `schema`'s tables in the tables
/// layout ([`crate::layout::tables`]).
pub(crate) fn add_index_on(schema: &TableSchema, slot: &IndexSlot, table: &str) -> Vec<String> {
    let mut out: Vec<String> = index_columns_of(schema, slot)
        .iter()
        .map(|c| format!("ALTER TABLE \"{table}\" ADD COLUMN {}", c.definition()))
        .collect();
    out.push(create_index_on(schema, slot, table));
    out
}

/// The partial SQL index of a secondary index: named `{table}#{index}`,
/// which no table name can be. A multi-attribute index's is over its
/// attributes' columns and then `pk` and `sk`, its last sort attributes.
pub(crate) fn create_index(schema: &TableSchema, slot: &IndexSlot) -> String {
    create_index_on(schema, slot, schema.name)
}

/// [`create_index`] on `table`, one of `schema`'s tables in the tables
/// layout ([`crate::layout::tables`]).
pub(crate) fn create_index_on(schema: &TableSchema, slot: &IndexSlot, table: &str) -> String {
    let columns: Vec<String> = index_columns_of(schema, slot)
        .into_iter()
        .map(|c| c.name)
        .collect();
    let present: Vec<String> = columns.iter().map(|c| format!("{c} IS NOT NULL")).collect();
    let mut key = columns.join(", ");
    if !schema.key_attributes(slot.name).is_empty() {
        key.push_str(", pk, sk");
    }
    format!(
        "CREATE INDEX IF NOT EXISTS \"{table}#{index}\" ON \"{table}\" ({key}) WHERE {}",
        present.join(" AND "),
        index = slot.name,
    )
}

/// What an index page reads beside the entry's index sort key, the item's
/// `data` and (with the stamps) its times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IndexColumns {
    /// The item's `size`: an `ALL` entry is the item, sized as it.
    Sized,
    /// The `size`, and the table key's columns `pk, sk` (for a decoder
    /// that reads the key).
    SizedWithKeys,
    /// The table key's columns, and `NULL` in the `size`'s place: a
    /// projected entry is sized from its keys and the attributes it
    /// holds, so the column (stored after `data`, often on an overflow
    /// page) is not read.
    Projected,
}

impl IndexColumns {
    /// The columns a page of an index with a projection other than `ALL`
    /// (`projected`) reads, for a decoder that does or does not read keys.
    pub(crate) fn of(projected: bool, with_keys: bool) -> IndexColumns {
        match (projected, with_keys) {
            (true, _) => IndexColumns::Projected,
            (false, true) => IndexColumns::SizedWithKeys,
            (false, false) => IndexColumns::Sized,
        }
    }
}

/// A page of an index query: columns `{index sk}, data, size` (`NULL`
/// for [`IndexColumns::Projected`]), then `created_at, updated_at` with
/// `with_stamps`, then `pk, sk` unless [`IndexColumns::Sized`];
/// parameters as a table query's. The item's table key also ends its
/// index sort key, but reading the two columns costs less than splitting
/// and unescaping it, so a page that needs the key (to decode it, or to
/// size a projected entry) reads them.
pub(crate) fn index_query(
    table: &str,
    slot: &IndexSlot,
    order: Order,
    with_stamps: bool,
    columns: IndexColumns,
) -> String {
    let order = match order {
        Order::Ascending => "ASC",
        Order::Descending => "DESC",
    };
    let stamps = if with_stamps {
        ", created_at, updated_at"
    } else {
        ""
    };
    let (size, keys) = match columns {
        IndexColumns::Sized => ("size", ""),
        IndexColumns::SizedWithKeys => ("size", ", pk, sk"),
        IndexColumns::Projected => ("NULL", ", pk, sk"),
    };
    format!(
        "SELECT {sk}, data, {size}{stamps}{keys} FROM \"{table}\" \
         WHERE {pk} = ?1 AND {sk} >= ?2 AND {sk} < ?3 ORDER BY {sk} {order}",
        pk = slot.pk_column,
        sk = slot.sk_column,
    )
}

/// A parameter of a multi-attribute index query, bound with its SQL
/// type (SQLite orders every `INTEGER` before every `TEXT`, so a number
/// bound as text would compare wrongly).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Param {
    /// Text, bound from bytes: a `begins_with`'s upper end is the prefix
    /// and 0xF5, above every UTF-8 continuation.
    Text(Vec<u8>),
    Integer(i64),
}

impl Param {
    fn of(value: &KeyValue) -> Param {
        match value {
            KeyValue::S(s) => Param::Text(s.as_bytes().to_vec()),
            KeyValue::N(n) => Param::Integer(*n),
        }
    }
}

/// A page of a multi-attribute index query: columns `pk, sk, data, size`
/// (and `created_at, updated_at`; the entity's sort attributes are not
/// read: a generated column is computed from `data` on every row read,
/// and only a page's last row needs them, which its `data` holds); and
/// its parameters. `resume_after` is
/// the position of the last entry read (every sort attribute's value):
/// the page starts after it in the query's order, which a row value
/// comparison over the index's columns says.
pub(crate) fn attribute_query(
    table: &str,
    slot: &IndexSlot,
    condition: &AttributeCondition,
    order: Order,
    with_stamps: bool,
    resume_after: Option<&[KeyValue]>,
) -> (String, Vec<Param>) {
    let sql = attribute_sql(
        table,
        slot,
        condition,
        order,
        with_stamps,
        resume_after.is_some(),
    );
    (sql, attribute_params(condition, resume_after))
}

/// The parameters of [`attribute_sql`], in its placeholders' order: each
/// term's values, then the position's.
pub(crate) fn attribute_params(
    condition: &AttributeCondition,
    resume_after: Option<&[KeyValue]>,
) -> Vec<Param> {
    let mut params = Vec::new();
    for (_, term) in condition.terms() {
        match term {
            Term::Equal(v) => params.push(Param::of(v)),
            Term::Range(AttributeRange::BeginsWith(prefix)) => {
                let mut above = prefix.as_bytes().to_vec();
                above.push(0xF5);
                params.push(Param::Text(prefix.as_bytes().to_vec()));
                params.push(Param::Text(above));
            }
            Term::Range(range) => params.extend(range.values().iter().map(Param::of)),
        }
    }
    params.extend(resume_after.into_iter().flatten().map(Param::of));
    params
}

/// The statement of [`attribute_query`]: the same for every query of one
/// shape ([`AttributeShape`]), whatever its values.
pub(crate) fn attribute_sql(
    table: &str,
    slot: &IndexSlot,
    condition: &AttributeCondition,
    order: Order,
    with_stamps: bool,
    resume: bool,
) -> String {
    attribute_select(table, slot, condition, order, with_stamps, resume, false)
}

/// [`attribute_sql`] over several tables (the tables layout,
/// [`crate::layout::tables`]): each table's select, merged in the order
/// of the sort attributes, whose columns each select also returns, after
/// the columns the page reads.
pub(crate) fn attribute_sql_merged(
    tables: &[String],
    slot: &IndexSlot,
    condition: &AttributeCondition,
    order: Order,
    with_stamps: bool,
    resume: bool,
) -> String {
    crate::layout::sqlite::union_all(
        tables
            .iter()
            .map(|t| attribute_select(t, slot, condition, order, with_stamps, resume, true)),
    )
}

fn attribute_select(
    table: &str,
    slot: &IndexSlot,
    condition: &AttributeCondition,
    order: Order,
    with_stamps: bool,
    resume: bool,
    sort_columns: bool,
) -> String {
    let column = |a: &KeyAttribute| a.column(slot.name);
    let sort: Vec<String> = condition.sort_attributes().iter().map(column).collect();
    let mut terms: Vec<String> = Vec::new();
    let mut n = 0;
    let mut next = || {
        n += 1;
        format!("?{n}")
    };
    for (attribute, term) in condition.terms() {
        let c = column(attribute);
        match term {
            Term::Equal(_) => terms.push(format!("{c} = {}", next())),
            Term::Range(AttributeRange::BeginsWith(_)) => {
                let (low, high) = (next(), next());
                terms.push(format!("{c} >= {low} AND {c} < {high}"));
            }
            Term::Range(range) => {
                let a = next();
                let b = match range {
                    AttributeRange::Between(..) => next(),
                    _ => String::new(),
                };
                terms.push(range.expression(&c, &a, &b));
            }
        }
    }
    // The partial index holds the rows with every key attribute.
    for a in condition.attributes {
        if !matches!(a.name, PARTITION_KEY | SORT_KEY) {
            terms.push(format!("{} IS NOT NULL", column(a)));
        }
    }
    let (direction, after) = match order {
        Order::Ascending => ("ASC", ">"),
        Order::Descending => ("DESC", "<"),
    };
    if resume {
        let values: Vec<String> = sort.iter().map(|_| next()).collect();
        terms.push(format!(
            "({}) {after} ({})",
            sort.join(", "),
            values.join(", ")
        ));
    }
    let stamps = if with_stamps {
        ", created_at, updated_at"
    } else {
        ""
    };
    let order_by: Vec<String> = sort.iter().map(|c| format!("{c} {direction}")).collect();
    let sorted = match sort_columns {
        true => format!(", {}", sort.join(", ")),
        false => String::new(),
    };
    format!(
        "SELECT pk, sk, data, size{stamps}{sorted} FROM \"{}\" WHERE {} ORDER BY {}",
        table,
        terms.join(" AND "),
        order_by.join(", ")
    )
}

/// What a multi-attribute query's statement depends on: its index and
/// pattern, how many attributes it fixes, its range's operator, its order,
/// its columns and whether it resumes. Its statement is built once per
/// shape and connection ([`Statements::attribute_sql`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct AttributeShape {
    slot: &'static str,
    attributes: &'static [KeyAttribute],
    equal: usize,
    range: Option<std::mem::Discriminant<AttributeRange>>,
    order: Order,
    with_stamps: bool,
    resume: bool,
}

impl AttributeShape {
    pub(crate) fn of(
        slot: &'static str,
        condition: &AttributeCondition,
        order: Order,
        with_stamps: bool,
        resume: bool,
    ) -> Self {
        AttributeShape {
            slot,
            attributes: condition.attributes,
            equal: condition.equal.len(),
            range: condition.range.as_ref().map(std::mem::discriminant),
            order,
            with_stamps,
            resume,
        }
    }

    pub(crate) fn same(&self, other: &AttributeShape) -> bool {
        std::ptr::eq(self.slot, other.slot)
            && std::ptr::eq(self.attributes, other.attributes)
            && (
                self.equal,
                self.range,
                self.order,
                self.with_stamps,
                self.resume,
            ) == (
                other.equal,
                other.range,
                other.order,
                other.with_stamps,
                other.resume,
            )
    }
}

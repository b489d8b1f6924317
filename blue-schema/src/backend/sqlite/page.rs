//! Query and scan pages: rows read in key order until the page holds its
//! limit of items or DynamoDB's 1 MB, filters evaluated on each, and the
//! position the next page starts from.

use super::entry::{self, EntryKeys};
use super::error::{sqlite_error, table_error};
use super::pool::Conn;
use super::row::{data, decode_known_json, parse_attributes, size, text, Row, TextBytes};
use crate::backend::engine::{RawItem, ScanOf};
use crate::layout::index_sql::IndexColumns;
use crate::layout::sqlite::bounds;
use crate::limits::MAX_PAGE_BYTES;
use crate::ops::cond::Cond;
use crate::ops::cursor::Position;
use crate::ops::decode::{Decoder, StoredKeys};
use crate::ops::query::QuerySpec;
use crate::ops::{PageOf, QueryPage, ScanPage};
use crate::schema::Projection;
use crate::Error;

/// One page of a query: the table's rows in the query's range, or the
/// index's, evaluated until the page is full or 1 MB was read.
pub(super) fn query<D: Decoder>(
    conn: &mut Conn,
    op: &QueryPage,
) -> Result<PageOf<D::Output>, Error> {
    if op.spec.index.is_some() {
        return index_page::<D>(conn, op);
    }
    let spec = &op.spec;
    let table = spec.table;
    let (low, high) = bounds(
        spec.sort_key.as_ref(),
        op.start.as_ref().map(|p| p.sort_key.as_str()),
        spec.order,
    );
    let (db, sql) = conn.with_table(table)?;
    let mut stmt = db
        .prepare_cached(&sql.query(spec.order, D::WITH_STAMPS, &low, &high))
        .map_err(table_error(table))?;
    let mut rows = stmt
        .query((
            spec.partition_key.as_str(),
            TextBytes(&low),
            TextBytes(&high),
        ))
        .map_err(sqlite_error)?;
    let filter = RowFilter::of(spec);
    let mut page = PageRows::new(op.limit);
    while let Some(row) = rows.next().map_err(sqlite_error)? {
        let size = size(row, 2, table, &spec.partition_key, 0)?;
        if !page.admits(size) {
            return Ok(page.ended());
        }
        let sort_key = text(row, 0)?;
        let (created_at, updated_at) = if D::WITH_STAMPS {
            (text(row, 3)?, text(row, 4)?)
        } else {
            ("", "")
        };
        let keys = StoredKeys {
            table,
            partition_key: &spec.partition_key,
            sort_key,
            created_at,
            updated_at,
        };
        let text = data(row, 1)?;
        if page.take_row::<D>(keys, &text, spec, filter.as_ref(), sort_key)? {
            return Ok(page.ended());
        }
    }
    Ok(page.finished())
}

/// One page of a table scan, for copying the table.
pub(super) fn scan(conn: &mut Conn, op: &ScanPage) -> Result<ScanOf<Row>, Error> {
    let table = op.table;
    let (after_pk, after_sk) = op
        .resume_after
        .as_ref()
        .map_or(("", ""), |(pk, sk)| (pk.as_str(), sk.as_str()));
    let (db, sql) = conn.with_table(table)?;
    let mut stmt = db.prepare_cached(&sql.scan()).map_err(table_error(table))?;
    let mut rows = stmt.query((after_pk, after_sk)).map_err(sqlite_error)?;
    let mut page = PageBudget::new(op.limit.map(|l| l as usize));
    let mut items: Vec<RawItem<Row>> = Vec::new();
    while let Some(row) = rows.next().map_err(sqlite_error)? {
        let size = size(row, 3, table, text(row, 0)?, 1)?;
        if !page.admits(size) {
            let next = items
                .last()
                .map(|i| (i.partition_key.clone(), i.sort_key.clone()));
            return Ok(ScanOf { items, next });
        }
        items.push(RawItem {
            partition_key: text(row, 0)?.to_owned(),
            sort_key: text(row, 1)?.to_owned(),
            created_at: text(row, 4)?.to_owned(),
            updated_at: text(row, 5)?.to_owned(),
            data: Row {
                data: data(row, 2)?.into_owned(),
                size: usize::try_from(size).unwrap_or(0),
            },
        });
        if page.is_full() {
            let next = items
                .last()
                .map(|i| (i.partition_key.clone(), i.sort_key.clone()));
            return Ok(ScanOf { items, next });
        }
    }
    Ok(ScanOf { items, next: None })
}

/// What a query did with one row it evaluated.
enum Evaluated<T> {
    Item(T),
    /// An item the reader does not recognise (counted, skipped).
    Unknown,
    /// An item the query's filter leaves out.
    FilteredOut,
}

/// Decodes a row a query evaluated, after `filter` if the query has one
/// ([`RowFilter::of`] its spec, made once a page). An item that expired
/// ([`crate::ttl`]) is left out as a filter leaves one out.
fn evaluate<D: Decoder>(
    keys: StoredKeys<'_>,
    text: &str,
    spec: &QuerySpec,
    filter: Option<&RowFilter<'_>>,
) -> Result<Evaluated<D::Output>, Error> {
    let Some(expiry) = spec.expiry else {
        return evaluate_live::<D>(keys, text, filter);
    };
    let expired = || {
        parse_attributes(text, &[expiry.attribute]).is_some_and(|only| expiry.has_expired(&only))
    };
    if !D::KNOWS_EXPIRY {
        // Keys, or the item as stored: its TTL attribute read alone.
        if expired() {
            return Ok(Evaluated::FilteredOut);
        }
        return evaluate_live::<D>(keys, text, filter);
    }
    // The decoded item knows its expiry: one parse for the common case.
    // An item that does not decode is an error only if it is live, as on
    // DynamoDB, whose filter drops an expired one before anything decodes.
    match evaluate_live::<D>(keys, text, filter) {
        Ok(Evaluated::Item(item)) if D::expiry(&item).is_some_and(|at| at < expiry.now) => {
            Ok(Evaluated::FilteredOut)
        }
        // Nor is it unknown: DynamoDB's filter drops it before a page counts
        // what its reader does not recognise.
        Ok(Evaluated::Unknown) | Err(_) if expired() => Ok(Evaluated::FilteredOut),
        other => other,
    }
}

/// [`evaluate`] of an `INCLUDE` index entry read from its item: the
/// attributes it holds, which its expiry, its filter (written with a
/// view's attributes, all of them projected) and its decoding read, as
/// DynamoDB's do.
fn evaluate_entry<D: Decoder>(
    keys: StoredKeys<'_>,
    held: serde_json::Map<String, serde_json::Value>,
    spec: &QuerySpec,
) -> Result<Evaluated<D::Output>, Error> {
    if spec.expiry.is_some_and(|expiry| expiry.has_expired(&held)) {
        return Ok(Evaluated::FilteredOut);
    }
    if spec.filter.as_ref().is_some_and(|f| !f.eval(Some(&held))) {
        return Ok(Evaluated::FilteredOut);
    }
    let found = D::decode_known(keys, serde_json::Value::Object(held))?;
    Ok(found.map_or(Evaluated::Unknown, Evaluated::Item))
}

/// [`evaluate`] of an item that has not expired.
fn evaluate_live<D: Decoder>(
    keys: StoredKeys<'_>,
    text: &str,
    filter: Option<&RowFilter<'_>>,
) -> Result<Evaluated<D::Output>, Error> {
    let found = match filter {
        None => decode_known_json::<D>(keys, text)?,
        // The filter reads the attributes it names, parsed alone (the
        // others skipped unparsed); an item it keeps is then decoded from
        // its text, as an unfiltered query's is, instead of from a JSON
        // value of the whole item.
        Some(filter) => match parse_attributes(text, &filter.names) {
            Some(held) if !filter.cond.eval(Some(&held)) => return Ok(Evaluated::FilteredOut),
            Some(_) => decode_known_json::<D>(keys, text)?,
            // Not one JSON object: the whole parse says why.
            None => {
                return Err(match serde_json::from_str::<serde_json::Value>(text) {
                    Err(e) => keys.decode_error(e),
                    Ok(_) => keys.decode_error("the item is not a JSON object"),
                })
            }
        },
    };
    Ok(found.map_or(Evaluated::Unknown, Evaluated::Item))
}

/// Whether nothing but the decoder reads a page's rows: no filter and no
/// expiry, so that each row goes straight from its text into the page.
#[inline(always)]
fn straight(spec: &QuerySpec, filter: Option<&RowFilter<'_>>) -> bool {
    filter.is_none() && spec.expiry.is_none()
}

/// A query's filter and the attributes it reads, listed once a page.
pub(super) struct RowFilter<'s> {
    cond: &'s Cond,
    names: Vec<&'s str>,
}

impl<'s> RowFilter<'s> {
    /// The filter of `spec`, if it has one.
    pub(super) fn of(spec: &'s QuerySpec) -> Option<RowFilter<'s>> {
        let cond = spec.filter.as_ref()?;
        let mut names = Vec::new();
        cond.attributes(&mut names);
        Some(RowFilter { cond, names })
    }
}

/// A page of a secondary-index query: the same rules as a table query's,
/// on the index's keys, with the 1 MB cut on the size of the index's
/// entries.
pub(super) fn index_page<D: Decoder>(
    conn: &mut Conn,
    op: &QueryPage,
) -> Result<PageOf<D::Output>, Error> {
    if op.spec.attributes.is_some() {
        return super::attribute_page::page::<D>(conn, op);
    }
    let spec = &op.spec;
    let table = spec.table;
    let index = spec.index.expect("an index query");
    let (low, high) = bounds(
        spec.sort_key.as_ref(),
        op.start.as_ref().map(|p| p.sort_key.as_str()),
        spec.order,
    );
    // An entry of a projection other than `ALL` is sized from its keys.
    let projected = index.projection != Projection::All;
    // The table key, read from its columns when the decoder or the
    // entry's size needs it; else only named in an error.
    let with_keys = D::WITH_KEYS || projected;
    let key_column = if D::WITH_STAMPS { 5 } else { 3 };
    let columns = IndexColumns::of(projected, D::WITH_KEYS);
    let (db, sql) = conn.with_table(table)?;
    let mut stmt = db
        .prepare_cached(&sql.index_query(table, &index.slot, spec.order, D::WITH_STAMPS, columns))
        .map_err(missing_index(table, index.slot.name))?;
    let mut rows = stmt
        .query((
            spec.partition_key.as_str(),
            TextBytes(&low),
            TextBytes(&high),
        ))
        .map_err(sqlite_error)?;
    let filter = RowFilter::of(spec);
    let straight = straight(spec, filter.as_ref());
    let mut page = PageRows::new(op.limit);
    while let Some(row) = rows.next().map_err(sqlite_error)? {
        let index_sort_key = text(row, 0)?;
        // The table key also ends the index sort key: what an error
        // names when the page did not read its columns.
        let table_key = || {
            crate::key::table_key_of_index_sort_key(index_sort_key).ok_or_else(|| Error::Decode {
                table,
                partition_key: String::new(),
                sort_key: String::new(),
                source: format!(
                    "the index sort key {index_sort_key:?} does not end with a table key"
                )
                .into(),
            })
        };
        let (partition_key, sort_key) = if with_keys {
            (text(row, key_column)?, text(row, key_column + 1)?)
        } else {
            ("", "")
        };
        let item = data(row, 1)?;
        let entry_keys = EntryKeys {
            partition_key,
            sort_key,
            index_pk: (index.slot.pk_attribute, &spec.partition_key),
            index_sk: (index.slot.sk_attribute, index_sort_key),
        };
        // An `INCLUDE` entry: the attributes it holds, read once from the
        // item, sized, and then evaluated as the entry DynamoDB reads:
        // kept as their JSON text when nothing but the decoder reads them.
        let held = match index.projection {
            Projection::Include(attributes) if straight => {
                entry::included_raw(&item, attributes).map(Held::Raw)
            }
            Projection::Include(attributes) => entry::included(&item, attributes).map(Held::Parsed),
            Projection::All | Projection::KeysOnly => None,
        };
        // The index entry's size: the whole item, or what it projects.
        let entry = match &held {
            Some(Held::Parsed(held)) => entry::included_size(&entry_keys, held, index.sets) as i64,
            Some(Held::Raw(held)) => entry::included_raw_size(&entry_keys, held, index.sets) as i64,
            // Keys only (or an `INCLUDE` entry of an item that is not an
            // object, which fails to decode below).
            None if projected => entry_keys.size() as i64,
            None => size(row, 2, table, &spec.partition_key, 0)?,
        };
        if !page.admits(entry) {
            return Ok(page.ended());
        }
        let (created_at, updated_at) = if D::WITH_STAMPS {
            (text(row, 3)?, text(row, 4)?)
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
        let named = |e| match e {
            // Name the item in the error, as every read does.
            Error::Decode { source, .. } if !with_keys => match table_key() {
                Ok((partition_key, sort_key)) => Error::Decode {
                    table,
                    partition_key,
                    sort_key,
                    source,
                },
                Err(e) => e,
            },
            e => e,
        };
        let full = match held {
            None => page
                .take_row::<D>(keys, &item, spec, filter.as_ref(), index_sort_key)
                .map_err(named)?,
            Some(Held::Parsed(held)) => {
                let evaluated = evaluate_entry::<D>(keys, held, spec).map_err(named)?;
                page.count_shape::<D>(&evaluated, sort_key, &item);
                page.took(evaluated, index_sort_key)
            }
            Some(Held::Raw(held)) => {
                let found = match D::decode_known(keys, entry::raw_deserializer(held)) {
                    Ok(found) => found,
                    // What fails to decode fails as the parsed entry does,
                    // with the same error.
                    Err(_) => {
                        let held = entry::included(&item, index.projection.non_key_attributes())
                            .unwrap_or_default();
                        D::decode_known(keys, serde_json::Value::Object(held)).map_err(named)?
                    }
                };
                page.took_found::<D>(found, sort_key, index_sort_key, &item)
            }
        };
        if full {
            return Ok(page.ended());
        }
    }
    Ok(page.finished())
}

/// The attributes an `INCLUDE` entry holds, as a query page reads them.
enum Held<'t> {
    /// Parsed, for a filter or an expiry to read.
    Parsed(serde_json::Map<String, serde_json::Value>),
    /// As their JSON text, for the decoder alone.
    Raw(super::row::RawAttributes<'t>),
}

/// What preparing an index query's statement failing means: the table
/// has no such index yet, when a column is missing.
pub(super) fn missing_index(
    table: &'static str,
    slot: &'static str,
) -> impl Fn(rusqlite::Error) -> Error {
    move |e| match e {
        rusqlite::Error::SqliteFailure(_, Some(ref message))
        | rusqlite::Error::SqlInputError {
            msg: ref message, ..
        } if message.starts_with("no such column") => Error::TableMismatch {
            table: table.to_owned(),
            found: format!("it has no index {slot} yet: run `store.create_table::<T>()` to add it"),
        },
        e => table_error(table)(e),
    }
}

/// A query page being filled, row by row: DynamoDB's budget (items
/// evaluated, 1 MB), what the rows gave, and the key of the last row
/// evaluated, where the next page starts.
pub(super) struct PageRows<T> {
    budget: PageBudget,
    items: Vec<T>,
    unknown: usize,
    shapes: crate::ops::Shapes,
    /// A reused buffer.
    last: String,
}

impl<T> PageRows<T> {
    pub(super) fn new(limit: Option<u32>) -> Self {
        PageRows {
            budget: PageBudget::new(limit.map(|n| n as usize)),
            items: Vec::new(),
            unknown: 0,
            shapes: crate::ops::Shapes::new(),
            last: String::new(),
        }
    }

    /// Whether a row of `size` bytes fits; if not, the 1 MB rule ends the
    /// page before it.
    pub(super) fn admits(&mut self, size: i64) -> bool {
        self.budget.admits(size)
    }

    /// Counts an item of an entity with older shapes by the shape its
    /// JSON `text` was stored in ([`crate::schema::shape`]).
    fn count_shape<D: Decoder>(&mut self, evaluated: &Evaluated<T>, sort_key: &str, text: &str) {
        if D::SHAPED && matches!(evaluated, Evaluated::Item(_)) {
            self.count_shape_of::<D>(sort_key, text);
        }
    }

    fn count_shape_of<D: Decoder>(&mut self, sort_key: &str, text: &str) {
        if let Some(owner) = D::shape_owner(sort_key) {
            let shape = super::functions::shape_of_text(text.as_bytes());
            *self.shapes.entry((owner, shape)).or_default() += 1;
        }
    }

    /// Evaluates the row of the item stored as `text` ([`evaluate`]),
    /// counts what it gave (and its shape) and keeps `key` as where the
    /// next page starts; whether the page is now full.
    ///
    /// Without a filter or an expiry (nearly every query) the decoded item
    /// goes straight into the page: each layer of [`Evaluated`] between
    /// would copy it.
    // Always: a call per row costs what the straight path saves.
    #[inline(always)]
    pub(super) fn take_row<D: Decoder<Output = T>>(
        &mut self,
        keys: StoredKeys<'_>,
        text: &str,
        spec: &QuerySpec,
        filter: Option<&RowFilter<'_>>,
        key: &str,
    ) -> Result<bool, Error> {
        if straight(spec, filter) {
            let found = decode_known_json::<D>(keys, text)?;
            return Ok(self.took_found::<D>(found, keys.sort_key, key, text));
        }
        let evaluated = evaluate::<D>(keys, text, spec, filter)?;
        self.count_shape::<D>(&evaluated, keys.sort_key, text);
        Ok(self.took(evaluated, key))
    }

    /// [`took`](Self::took) of a row no filter or expiry could leave out:
    /// its item, or `None` for one `D` does not know, counted (with its
    /// shape, read from `text` under the table's `sort_key`) without an
    /// [`Evaluated`] around it.
    fn took_found<D: Decoder<Output = T>>(
        &mut self,
        found: Option<T>,
        sort_key: &str,
        key: &str,
        text: &str,
    ) -> bool {
        match found {
            Some(item) => {
                if D::SHAPED {
                    self.count_shape_of::<D>(sort_key, text);
                }
                self.items.push(item);
            }
            None => self.unknown += 1,
        }
        self.last.clear();
        self.last.push_str(key);
        self.budget.is_full()
    }

    /// Counts what the row at `key` gave; whether the page is now full (as
    /// DynamoDB's `Limit`: a full page has a cursor, whether or not more
    /// items follow).
    fn took(&mut self, evaluated: Evaluated<T>, key: &str) -> bool {
        match evaluated {
            Evaluated::Item(item) => self.items.push(item),
            Evaluated::Unknown => self.unknown += 1,
            Evaluated::FilteredOut => {}
        }
        self.last.clear();
        self.last.push_str(key);
        self.budget.is_full()
    }

    /// The page, ended before the rows that follow: it has a cursor.
    pub(super) fn ended(&mut self) -> PageOf<T> {
        PageOf {
            items: std::mem::take(&mut self.items),
            unknown: self.unknown,
            shapes: std::mem::take(&mut self.shapes),
            next: Some(Position::after(std::mem::take(&mut self.last))),
            read_bytes: self.budget.bytes,
        }
    }

    /// The page, ended at `position` (a position [`took`](Self::took)
    /// was not given).
    pub(super) fn ended_at(&mut self, position: String) -> PageOf<T> {
        self.last = position;
        self.ended()
    }

    /// The page, after the last row of the query.
    pub(super) fn finished(self) -> PageOf<T> {
        PageOf {
            items: self.items,
            unknown: self.unknown,
            shapes: self.shapes,
            next: None,
            read_bytes: self.budget.bytes,
        }
    }
}

/// How much of a page is used: items and bytes.
struct PageBudget {
    limit: Option<usize>,
    count: usize,
    bytes: usize,
}

impl PageBudget {
    fn new(limit: Option<usize>) -> PageBudget {
        PageBudget {
            limit,
            count: 0,
            bytes: 0,
        }
    }

    /// Takes an item of `size` bytes into the page, or says it would take
    /// the page past 1 MB (as on DynamoDB, a page always holds its first
    /// item).
    fn admits(&mut self, size: i64) -> bool {
        let size = usize::try_from(size).unwrap_or(0);
        if self.count > 0 && self.bytes + size > MAX_PAGE_BYTES {
            return false;
        }
        self.count += 1;
        self.bytes += size;
        true
    }

    /// Whether the page holds as many items as its limit.
    fn is_full(&self) -> bool {
        Some(self.count) == self.limit
    }
}

//! Which SQLite table holds an item, per connection: the table itself in
//! the single-table layout, or, in the tables layout
//! ([`crate::layout::tables`]), the table its sort key routes to, and the
//! tables a query page merges.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use rusqlite::{Connection, OptionalExtension};

use super::error::sqlite_error;
use crate::layout::index_sql::IndexColumns;
use crate::layout::sqlite::{union_all, Statements};
use crate::layout::tables::{read_routes, Arms, Routing, LAYOUTS};
use crate::ops::query::Order;
use crate::schema::IndexSlot;
use crate::Error;

/// Bumped whenever this process changes a table's routes: each
/// connection reads its routes again at its next operation. (A process
/// that changes them under another's running connections is met by the
/// single table's guard, [`super::tables`].)
static GENERATION: AtomicU64 = AtomicU64::new(0);

/// Tells every connection of this process to read the routes again.
pub(super) fn routes_changed() {
    GENERATION.fetch_add(1, Ordering::Release);
}

/// The statements of one table on one connection, and where its items go.
pub(crate) struct TableSql {
    /// The table itself: every item in the single-table layout, the
    /// items of no entity in the tables layout.
    pub(super) home: Statements,
    /// The tables layout's routes and each entity table's statements.
    tables: Option<Tables>,
    /// [`GENERATION`] when the routes were read.
    generation: u64,
    /// The statements made at their first use: an index query's (it
    /// names the index's columns), and in the tables layout the merged
    /// statements of query pages.
    made: RefCell<Vec<(MadeKey, Arc<str>)>>,
}

struct Tables {
    routing: Routing,
    statements: Vec<Statements>,
}

/// Which statement [`TableSql::made`] made.
#[derive(PartialEq, Eq)]
enum MadeKey {
    Query(Arms, Order, bool),
    Index(&'static str, Order, bool, IndexColumns),
    Scan,
}

/// A statement's text: one table's, or a merge made for this connection.
pub(crate) enum Sql<'a> {
    Table(&'a str),
    Merged(Arc<str>),
}

impl std::ops::Deref for Sql<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        match self {
            Sql::Table(s) => s,
            Sql::Merged(s) => s,
        }
    }
}

impl TableSql {
    /// `table`'s statements, with the routes the file keeps for it.
    pub(super) fn load(db: &Connection, table: &str) -> Result<TableSql, Error> {
        let generation = GENERATION.load(Ordering::Acquire);
        let routing = read(db, table)?;
        Ok(TableSql {
            home: Statements::new(table),
            tables: routing.map(|routing| Tables {
                statements: routing
                    .routes
                    .iter()
                    .map(|r| Statements::new(&r.table))
                    .collect(),
                routing,
            }),
            generation,
            made: RefCell::new(Vec::new()),
        })
    }

    /// Whether the routes were read before this process last changed
    /// some.
    pub(super) fn is_stale(&self) -> bool {
        self.generation != GENERATION.load(Ordering::Acquire)
    }

    /// The routes, in the tables layout.
    pub(super) fn routing(&self) -> Option<&Routing> {
        self.tables.as_ref().map(|t| &t.routing)
    }

    /// The statements of the table that holds `sort_key`.
    pub(crate) fn for_key(&self, sort_key: &str) -> &Statements {
        match &self.tables {
            Some(tables) => match tables.routing.route(sort_key) {
                Some(i) => &tables.statements[i],
                None => &self.home,
            },
            None => &self.home,
        }
    }

    /// The names of the tables `arms` names, the table itself first.
    fn names(&self, table: &str, tables: &Tables, arms: Arms) -> Vec<String> {
        let mut names = Vec::new();
        if arms.home {
            names.push(table.to_owned());
        }
        for (i, route) in tables.routing.routes.iter().enumerate() {
            if arms.routes & (1 << i) != 0 {
                names.push(route.table.clone());
            }
        }
        names
    }

    /// The statements of the tables `arms` names, the table itself first.
    fn statements<'a>(
        &'a self,
        tables: &'a Tables,
        arms: Arms,
    ) -> impl Iterator<Item = &'a Statements> {
        let routes = tables
            .statements
            .iter()
            .enumerate()
            .filter(move |(i, _)| arms.routes & (1 << i) != 0)
            .map(|(_, s)| s);
        arms.home.then_some(&self.home).into_iter().chain(routes)
    }

    /// The statement `key` names, made by `make` at its first use.
    fn made(&self, key: MadeKey, make: impl FnOnce() -> String) -> Arc<str> {
        let mut made = self.made.borrow_mut();
        if let Some((_, sql)) = made.iter().find(|(k, _)| *k == key) {
            return sql.clone();
        }
        let sql: Arc<str> = make().into();
        made.push((key, sql.clone()));
        sql
    }

    /// A query page's statement over the keys `[low, high)`
    /// ([`Statements::query`]'s columns and parameters).
    pub(crate) fn query(
        &self,
        order: Order,
        with_stamps: bool,
        low: &[u8],
        high: &[u8],
    ) -> Sql<'_> {
        let Some(tables) = &self.tables else {
            return Sql::Table(self.home.query(order, with_stamps));
        };
        let arms = tables.routing.arms(low, high);
        let single = match (arms.home, arms.routes.count_ones()) {
            (true, 0) => Some(&self.home),
            (false, 1) => Some(&tables.statements[arms.routes.trailing_zeros() as usize]),
            _ => None,
        };
        if let Some(statements) = single {
            return Sql::Table(statements.query(order, with_stamps));
        }
        Sql::Merged(self.made(MadeKey::Query(arms, order, with_stamps), || {
            union_all(
                self.statements(tables, arms)
                    .map(|s| s.query(order, with_stamps)),
            )
        }))
    }

    /// An index query page's statement (`index_query`'s columns and
    /// parameters): over every table in the tables layout; made once a
    /// connection, not at every page.
    pub(crate) fn index_query(
        &self,
        table: &str,
        slot: &IndexSlot,
        order: Order,
        with_stamps: bool,
        columns: IndexColumns,
    ) -> Sql<'_> {
        let one =
            |t: &str| crate::layout::index_sql::index_query(t, slot, order, with_stamps, columns);
        let key = MadeKey::Index(slot.name, order, with_stamps, columns);
        Sql::Merged(self.made(key, || {
            match &self.tables {
                None => one(table),
                Some(tables) => union_all(
                    self.names(table, tables, tables.routing.all())
                        .iter()
                        .map(|t| one(t)),
                ),
            }
        }))
    }

    /// A scan page's statement ([`Statements::scan`]'s columns and
    /// parameters): over every table in the tables layout.
    pub(crate) fn scan(&self) -> Sql<'_> {
        let Some(tables) = &self.tables else {
            return Sql::Table(&self.home.scan);
        };
        Sql::Merged(self.made(MadeKey::Scan, || {
            union_all(
                self.statements(tables, tables.routing.all())
                    .map(|s| s.scan.as_str()),
            )
        }))
    }

    /// The names of every table, the table itself first: for statements
    /// each table runs (a multi-attribute index query's merge, a sweep).
    pub(crate) fn all_names(&self, table: &str) -> Vec<String> {
        match &self.tables {
            Some(tables) => self.names(table, tables, tables.routing.all()),
            None => vec![table.to_owned()],
        }
    }
}

/// The routes the file keeps for `table`: `None` in the single-table
/// layout (or before the table exists).
pub(super) fn read(db: &Connection, table: &str) -> Result<Option<Routing>, Error> {
    let text: Option<String> = match db.prepare_cached(&read_routes()) {
        Ok(mut statement) => statement
            .query_row([table], |row| row.get(0))
            .optional()
            .map_err(sqlite_error)?,
        // No table has the tables layout in this file.
        Err(rusqlite::Error::SqliteFailure(_, Some(message)))
            if message.starts_with("no such table") && message.contains(LAYOUTS) =>
        {
            None
        }
        Err(e) => return Err(sqlite_error(e)),
    };
    text.map(|text| {
        serde_json::from_str(&text).map_err(|e| Error::TableMismatch {
            table: table.to_owned(),
            found: format!("its routes in {LAYOUTS} do not read: {e}"),
        })
    })
    .transpose()
}

//! The user's handle: typed operations over entities, run by a backend.

use std::collections::HashSet;
use std::fmt;
use std::future::Future;
use std::sync::Arc;

use crate::backend::Backend;
use crate::item::ItemError;
use crate::key::Key;
use crate::limits::{self, CheckError};
use crate::ops::{
    Delete, Get, ItemData, ItemDataRef, ItemFormat, ItemKey, ItemRef, Put, PutBatch, QueryPage,
    StoredItem, WriteItem,
};
use crate::query::{Cursor, IntoQuery, Query, QuerySpec};
use crate::schema::{Entity, FromItem, Table};
use crate::{time, Error};

/// A handle on a database holding blue-schema tables.
///
/// Cheap to clone (clones share the backend) and usable from many threads
/// and tasks at once: every method returns a `Send` future that borrows the
/// store, not the entity passed in.
///
/// ```
/// use blue_schema::{Entity, Store, Table};
///
/// #[derive(Table)]
/// #[table(name = "blue_dialogue")]
/// enum Dialogue {
///     Expert(Expert),
/// }
///
/// #[derive(Entity, serde::Serialize, serde::Deserialize, Debug, PartialEq)]
/// #[entity(table = Dialogue)]
/// #[sk(prefix = "EXPERT")]
/// struct Expert {
///     #[pk]
///     dialogue_id: String,
///     #[sk]
///     name: String,
///     role: String,
/// }
///
/// # blue_schema::block_on(async {
/// let store = Store::open("sqlite::memory:").await?;
/// store.create_table::<Dialogue>().await?;
///
/// let muffin = Expert {
///     dialogue_id: "nvidia-dec".into(),
///     name: "muffin".into(),
///     role: "skeptic".into(),
/// };
/// store.create(&muffin).await?;
/// assert!(matches!(
///     store.create(&muffin).await,
///     Err(blue_schema::Error::AlreadyExists { .. })
/// ));
///
/// let read = store.get(Expert::key("nvidia-dec", "muffin")).await?;
/// assert_eq!(read, Some(muffin));
///
/// let everything: Vec<Dialogue> = store.query(Dialogue::partition("nvidia-dec")).all().await?;
/// assert_eq!(everything.len(), 1);
/// # Ok::<(), blue_schema::Error>(())
/// # }).unwrap();
/// ```
#[derive(Clone)]
pub struct Store {
    backend: Arc<dyn Backend>,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend.name())
            .finish()
    }
}

/// Where [`Store::open`] connects.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Location {
    SqliteFile(String),
    SqliteMemory,
    DynamoDb(DynamoDbUrl),
}

/// The parts of a `dynamodb://` URL.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct DynamoDbUrl {
    /// A table that must exist: `dynamodb://blue_dialogue`.
    table: Option<String>,
    region: Option<String>,
    endpoint: Option<String>,
    profile: Option<String>,
    table_prefix: Option<String>,
}

fn parse_dynamodb_url(url: &str, rest: &str) -> Result<DynamoDbUrl, Error> {
    let invalid = |reason: String| Error::InvalidUrl {
        url: url.to_owned(),
        reason,
    };
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let (table, query) = rest.split_once('?').unwrap_or((rest, ""));
    let table = table.strip_suffix('/').unwrap_or(table);
    let mut parsed = DynamoDbUrl::default();
    if !table.is_empty() {
        if !crate::backend::is_valid_table_name(table) {
            return Err(invalid(format!(
                "{table:?} is not a DynamoDB table name (3-255 of [A-Za-z0-9_.-])"
            )));
        }
        parsed.table = Some(table.to_owned());
    }
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = percent_decode(value)
            .ok_or_else(|| invalid(format!("bad percent-encoding in {name}")))?;
        if value.is_empty() {
            return Err(invalid(format!("{name} has no value")));
        }
        let slot = match name {
            "region" => &mut parsed.region,
            "endpoint" => &mut parsed.endpoint,
            "profile" => &mut parsed.profile,
            "table_prefix" => &mut parsed.table_prefix,
            _ => {
                return Err(invalid(format!(
                    "unknown option {name:?}; dynamodb URLs take region, endpoint, profile \
                     and table_prefix"
                )))
            }
        };
        *slot = Some(value);
    }
    Ok(parsed)
}

fn percent_decode(value: &str) -> Option<String> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn parse_url(url: &str) -> Result<Location, Error> {
    let invalid = |reason: &str| Error::InvalidUrl {
        url: url.to_owned(),
        reason: reason.to_owned(),
    };
    if url == "sqlite::memory:" || url == "sqlite://:memory:" {
        return Ok(Location::SqliteMemory);
    }
    if let Some(rest) = url.strip_prefix("sqlite:") {
        let path = rest.strip_prefix("//").unwrap_or(rest);
        if path.is_empty() {
            return Err(invalid(
                "no database path; use sqlite://path/to/file.db or sqlite::memory:",
            ));
        }
        if path.contains('?') {
            return Err(invalid(
                "sqlite URLs take no options; use SqliteConfig to configure the backend",
            ));
        }
        return Ok(Location::SqliteFile(path.to_owned()));
    }
    if let Some(rest) = url.strip_prefix("dynamodb:") {
        return parse_dynamodb_url(url, rest).map(Location::DynamoDb);
    }
    Err(invalid(
        "unknown scheme; expected sqlite://path/to/file.db, sqlite::memory: or dynamodb://",
    ))
}

impl Store {
    /// Opens a store from a URL:
    ///
    /// * `sqlite://path/to/blue.db` (or `sqlite:path/to/blue.db`): a database
    ///   file, created if missing (its directory must exist); `sqlite:///abs/path.db`
    ///   for an absolute path;
    /// * `sqlite::memory:`: a private in-memory database;
    /// * `dynamodb://` (feature `dynamodb`): DynamoDB, configured by the
    ///   standard AWS chain (`AWS_REGION`, `AWS_PROFILE`,
    ///   `AWS_ENDPOINT_URL_DYNAMODB`, credentials from the environment, the
    ///   shared files, SSO or the instance role). Options override the
    ///   chain: `dynamodb://?region=eu-west-1&profile=dev`,
    ///   `dynamodb://?endpoint=http://127.0.0.1:8000`,
    ///   `dynamodb://?table_prefix=dev_` (see
    ///   [`DynamoDbBackend::with_table_prefix`](crate::backend::dynamodb::DynamoDbBackend::with_table_prefix)).
    ///   A table name,
    ///   `dynamodb://blue_dialogue?region=us-east-1`, makes `open` check
    ///   that the table exists (one `DescribeTable`), so a wrong region,
    ///   endpoint or credential fails here rather than at the first
    ///   operation; the store still serves every table.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidUrl`] for a URL it does not understand, a backend
    /// not compiled in, or a named table that does not exist;
    /// [`Error::Backend`] when the database cannot be reached or opened.
    pub async fn open(url: &str) -> Result<Store, Error> {
        #[cfg(not(all(feature = "sqlite", feature = "dynamodb")))]
        let not_compiled = |feature: &str| Error::InvalidUrl {
            url: url.to_owned(),
            reason: format!("this backend is not compiled in: enable the `{feature}` feature"),
        };
        match parse_url(url)? {
            #[cfg(feature = "sqlite")]
            Location::SqliteFile(path) => Store::sqlite(path),
            #[cfg(feature = "sqlite")]
            Location::SqliteMemory => Store::memory(),
            #[cfg(not(feature = "sqlite"))]
            Location::SqliteFile(_) | Location::SqliteMemory => Err(not_compiled("sqlite")),
            #[cfg(feature = "dynamodb")]
            Location::DynamoDb(options) => Store::open_dynamodb(url, options).await,
            #[cfg(not(feature = "dynamodb"))]
            Location::DynamoDb(_) => Err(not_compiled("dynamodb")),
        }
    }

    #[cfg(feature = "dynamodb")]
    async fn open_dynamodb(url: &str, options: DynamoDbUrl) -> Result<Store, Error> {
        use crate::backend::dynamodb::{aws_config, DynamoDbBackend};
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
        if let Some(region) = options.region {
            loader = loader.region(aws_config::Region::new(region));
        }
        if let Some(profile) = options.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(endpoint) = options.endpoint {
            loader = loader.endpoint_url(endpoint);
        }
        let mut backend = DynamoDbBackend::from_sdk_config(&loader.load().await);
        if let Some(prefix) = options.table_prefix {
            if !crate::backend::is_valid_table_name(&format!("{prefix}abc")) {
                return Err(Error::InvalidUrl {
                    url: url.to_owned(),
                    reason: format!(
                        "table_prefix {prefix:?} has characters outside [A-Za-z0-9_.-]"
                    ),
                });
            }
            backend = backend.with_table_prefix(&prefix);
        }
        if let Some(table) = options.table {
            if !backend.table_exists(&table).await? {
                return Err(Error::InvalidUrl {
                    url: url.to_owned(),
                    reason: format!(
                        "there is no table {table:?} at this endpoint and region \
                         (Store::create_table creates it)"
                    ),
                });
            }
        }
        Ok(Store::from_backend(backend))
    }

    /// A store on DynamoDB, from an SDK configuration; see
    /// [`DynamoDbBackend`](crate::backend::dynamodb::DynamoDbBackend) for
    /// other ways in.
    #[cfg(feature = "dynamodb")]
    pub fn dynamodb(config: &crate::backend::dynamodb::aws_config::SdkConfig) -> Store {
        Store::from_backend(crate::backend::dynamodb::DynamoDbBackend::from_sdk_config(
            config,
        ))
    }

    /// A store on an SQLite database file, opened with the default settings.
    ///
    /// # Errors
    ///
    /// [`Error::Backend`] when the file cannot be opened.
    #[cfg(feature = "sqlite")]
    pub fn sqlite(path: impl AsRef<std::path::Path>) -> Result<Store, Error> {
        Ok(Store::from_backend(
            crate::backend::sqlite::SqliteBackend::open(path)?,
        ))
    }

    /// A store on a private in-memory SQLite database.
    ///
    /// # Errors
    ///
    /// [`Error::Backend`] if SQLite cannot allocate it.
    #[cfg(feature = "sqlite")]
    pub fn memory() -> Result<Store, Error> {
        Ok(Store::from_backend(
            crate::backend::sqlite::SqliteBackend::memory()?,
        ))
    }

    /// A store on any backend, such as an
    /// [`SqliteConfig`](crate::backend::sqlite::SqliteConfig) with custom settings.
    pub fn from_backend(backend: impl Backend) -> Store {
        Store {
            backend: Arc::new(backend),
        }
    }

    /// The backend.
    pub fn backend(&self) -> &dyn Backend {
        &*self.backend
    }

    /// Creates the table `T` if it does not exist yet.
    ///
    /// # Errors
    ///
    /// [`Error::Backend`] when the backend fails, or an existing table of the
    /// same name has another shape.
    pub fn create_table<T: Table>(&self) -> impl Future<Output = Result<(), Error>> + Send + '_ {
        self.backend.create_table(&T::SCHEMA)
    }

    /// Writes an item, replacing any item with the same key. A replaced item
    /// keeps its `created_at`.
    ///
    /// # Errors
    ///
    /// [`Error::Limit`] (nothing written) when the item breaks one of
    /// DynamoDB's limits, [`Error::Serialize`] when it does not serialize as
    /// a struct, [`Error::TableNotFound`], [`Error::Backend`].
    pub fn put<E: Entity>(&self, item: &E) -> impl Future<Output = Result<(), Error>> + Send + '_ {
        self.put_one(item, false)
    }

    /// Writes an item that must not exist yet.
    ///
    /// # Errors
    ///
    /// [`Error::AlreadyExists`] (nothing written) when an item with the same
    /// key exists, and the errors of [`put`](Store::put).
    pub fn create<E: Entity>(
        &self,
        item: &E,
    ) -> impl Future<Output = Result<(), Error>> + Send + '_ {
        self.put_one(item, true)
    }

    /// Writes many items of one entity type, replacing items with the same
    /// keys. Every item is checked before anything is written: one item that
    /// breaks a limit, or two with the same key, fail the whole call with
    /// nothing written.
    ///
    /// On SQLite the batch is one transaction.
    ///
    /// # Errors
    ///
    /// [`Error::DuplicateKey`] and the errors of [`put`](Store::put).
    pub fn put_all<'s, 'e, E: Entity>(
        &'s self,
        items: impl IntoIterator<Item = &'e E>,
    ) -> impl Future<Output = Result<(), Error>> + Send + 's {
        let now = time::now_rfc3339();
        let op = items
            .into_iter()
            .map(|item| write_item(&*self.backend, item, now.clone()))
            .collect::<Result<Vec<_>, _>>()
            .and_then(|items| {
                let mut seen = HashSet::with_capacity(items.len());
                if let Some(dup) = items.iter().map(WriteItem::key).find(|k| !seen.insert(*k)) {
                    return Err(Error::DuplicateKey {
                        table: dup.table(),
                        partition_key: dup.partition_key().to_owned(),
                        sort_key: dup.sort_key().to_owned(),
                    });
                }
                Ok(PutBatch {
                    table: E::SCHEMA.table,
                    items,
                    replace_created_at: false,
                })
            });
        async move {
            let op = op?;
            if op.items.is_empty() {
                return Ok(());
            }
            self.backend.put_batch(op).await
        }
    }

    /// Reads an item by key.
    ///
    /// # Errors
    ///
    /// [`Error::Limit`] for a key DynamoDB would reject (an empty partition
    /// key), [`Error::Decode`] when the stored item does not decode as `E`,
    /// [`Error::TableNotFound`], [`Error::Backend`].
    // Written out (not `async fn`) to promise `Send` in the signature.
    #[allow(clippy::manual_async_fn)]
    pub fn get<'s, E, K>(
        &'s self,
        key: K,
    ) -> impl Future<Output = Result<Option<E>, Error>> + Send + 's
    where
        E: Entity + Send,
        K: AsRef<Key<E>> + Send + 's,
    {
        async move { self.get_one(key.as_ref(), false, decode).await }
    }

    /// Reads an item by key, with its bookkeeping attributes.
    ///
    /// # Errors
    ///
    /// As [`get`](Store::get).
    // Written out (not `async fn`) to promise `Send` in the signature.
    #[allow(clippy::manual_async_fn)]
    pub fn get_record<'s, E, K>(
        &'s self,
        key: K,
    ) -> impl Future<Output = Result<Option<Record<E>>, Error>> + Send + 's
    where
        E: Entity + Send,
        K: AsRef<Key<E>> + Send + 's,
    {
        async move {
            let record = |item: ItemRef<'_>| {
                Ok(Record {
                    value: decode(item)?,
                    created_at: item.created_at.unwrap_or_default().to_owned(),
                })
            };
            self.get_one(key.as_ref(), true, record).await
        }
    }

    /// Deletes an item by key; deleting a missing item is not an error.
    ///
    /// # Errors
    ///
    /// As [`get`](Store::get), without [`Error::Decode`].
    // Written out (not `async fn`) to promise `Send` in the signature.
    #[allow(clippy::manual_async_fn)]
    pub fn delete<'s, E, K>(&'s self, key: K) -> impl Future<Output = Result<(), Error>> + Send + 's
    where
        E: Entity,
        K: AsRef<Key<E>> + Send + 's,
    {
        async move {
            let op = Delete {
                key: item_key(key.as_ref())?,
                return_old: false,
            };
            self.backend.delete(&op).await?;
            Ok(())
        }
    }

    /// Deletes an item by key and returns it, or `None` if there was none.
    ///
    /// # Errors
    ///
    /// As [`get`](Store::get). When the old item does not decode, it is
    /// deleted all the same and [`Error::Decode`] is returned.
    // Written out (not `async fn`) to promise `Send` in the signature.
    #[allow(clippy::manual_async_fn)]
    pub fn delete_returning<'s, E, K>(
        &'s self,
        key: K,
    ) -> impl Future<Output = Result<Option<E>, Error>> + Send + 's
    where
        E: Entity + Send,
        K: AsRef<Key<E>> + Send + 's,
    {
        async move {
            let op = Delete {
                key: item_key(key.as_ref())?,
                return_old: true,
            };
            match self.backend.delete(&op).await? {
                None => Ok(None),
                Some(stored) => decode(stored.as_item_ref()).map(Some),
            }
        }
    }

    /// Checks and writes one item; the future does not borrow the entity.
    fn put_one<E: Entity>(
        &self,
        item: &E,
        if_not_exists: bool,
    ) -> impl Future<Output = Result<(), Error>> + Send + '_ {
        let op = write_item(&*self.backend, item, time::now_rfc3339()).map(|item| Put {
            item,
            if_not_exists,
        });
        async move { self.backend.put(op?).await }
    }

    /// Reads one item by key, mapping it as the backend hands it over.
    async fn get_one<E: Entity, T: Send>(
        &self,
        key: &Key<E>,
        with_created_at: bool,
        mut map: impl FnMut(ItemRef<'_>) -> Result<T, Error> + Send,
    ) -> Result<Option<T>, Error> {
        let op = Get {
            key: item_key(key)?,
            with_created_at,
        };
        let mut found = None;
        let mut sink = |item: ItemRef<'_>| {
            found = Some(map(item)?);
            Ok(())
        };
        self.backend.get(&op, &mut sink).await?;
        Ok(found)
    }

    /// Runs a typed query: `.page()` reads one page, `.all()` follows the
    /// cursors to the end.
    ///
    /// ```
    /// # use blue_schema::{Entity, Table};
    /// # #[derive(Table)]
    /// # #[table(name = "blue_dialogue")]
    /// # enum Dialogue { Perspective(Perspective) }
    /// # #[derive(Entity, serde::Serialize, serde::Deserialize)]
    /// # #[entity(table = Dialogue)]
    /// # #[sk(prefix = "PERSP")]
    /// # struct Perspective { #[pk] dialogue_id: String, #[sk] round: u32, #[sk] expert: String, #[sk] seq: u32 }
    /// # blue_schema::block_on(async {
    /// # let store = blue_schema::Store::open("sqlite::memory:").await?;
    /// # store.create_table::<Dialogue>().await?;
    /// let round0 = || Perspective::query("nvidia-dec").round(0).limit(10);
    /// let mut page = store.query(round0()).page().await?;
    /// while let Some(cursor) = page.cursor {
    ///     page = store.query(round0().after(cursor)).page().await?;
    /// }
    /// # Ok::<(), blue_schema::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn query<Q: IntoQuery>(&self, query: Q) -> QueryRun<'_, Q::Item> {
        QueryRun {
            store: self,
            query: query.into_query(),
        }
    }
}

/// An item with the attributes the library keeps for it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Record<E> {
    /// The item.
    pub value: E,
    /// When it was first written: RFC 3339, UTC, milliseconds
    /// (`2026-11-28T07:54:56.123Z`). Replacing the item keeps it.
    pub created_at: String,
}

/// A typed query about to run on a store; see [`Store::query`].
#[must_use = "a query does nothing until `.page()` or `.all()` is awaited"]
pub struct QueryRun<'s, R> {
    store: &'s Store,
    query: Query<R>,
}

impl<R> fmt::Debug for QueryRun<'_, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QueryRun")
            .field("store", self.store)
            .field("query", &self.query)
            .finish()
    }
}

/// One page of a query's items.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<R> {
    /// The items, in the query's order: at most the query's limit, and at
    /// most 1 MB of item data, as on DynamoDB.
    pub items: Vec<R>,
    /// Where the next page starts, or `None` when this page is the last.
    /// Give it to the same query's `.after(cursor)`.
    pub cursor: Option<Cursor>,
}

impl<'s, R: FromItem + Send + 's> QueryRun<'s, R> {
    /// Reads one page.
    ///
    /// # Errors
    ///
    /// [`Error::Query`] for a query or cursor DynamoDB would reject (before
    /// anything is read), [`Error::Decode`], [`Error::TableNotFound`],
    /// [`Error::Backend`].
    pub fn page(self) -> impl Future<Output = Result<Page<R>, Error>> + Send + 's {
        self.run(Extent::OnePage, false, decode::<R>)
    }

    /// Reads every page and returns all items, in the query's order. The
    /// query's limit is the page size.
    ///
    /// # Errors
    ///
    /// As [`page`](QueryRun::page).
    pub fn all(self) -> impl Future<Output = Result<Vec<R>, Error>> + Send + 's {
        let pages = self.run(Extent::AllPages, false, decode::<R>);
        async move { Ok(pages.await?.items) }
    }
}

impl<'s, R> QueryRun<'s, R> {
    /// Reads one page of items as stored, undecoded: keys, `created_at` and
    /// attributes.
    ///
    /// # Errors
    ///
    /// As [`page`](QueryRun::page), without [`Error::Decode`].
    pub fn stored_page(self) -> impl Future<Output = Result<Page<StoredItem>, Error>> + Send + 's {
        self.run(Extent::OnePage, true, |item| Ok(item.to_stored()))
    }

    /// Reads every page and returns the items as stored, undecoded.
    ///
    /// # Errors
    ///
    /// As [`page`](QueryRun::page), without [`Error::Decode`].
    pub fn stored(self) -> impl Future<Output = Result<Vec<StoredItem>, Error>> + Send + 's {
        let pages = self.run(Extent::AllPages, true, |item| Ok(item.to_stored()));
        async move { Ok(pages.await?.items) }
    }

    /// Runs the query, mapping each item as the backend hands it over.
    fn run<T: Send + 's>(
        self,
        extent: Extent,
        with_created_at: bool,
        map: impl FnMut(ItemRef<'_>) -> Result<T, Error> + Send + 's,
    ) -> impl Future<Output = Result<Page<T>, Error>> + Send + 's {
        read(
            &self.store.backend,
            self.query.into_spec(),
            extent,
            with_created_at,
            map,
        )
    }
}

/// How much of a query to read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Extent {
    /// One page, and the cursor to the next.
    OnePage,
    /// Every page; no cursor.
    AllPages,
}

/// Runs a query for one page or all of them, mapping each item as the
/// backend hands it over.
async fn read<T: Send>(
    backend: &Arc<dyn Backend>,
    spec: QuerySpec,
    extent: Extent,
    with_created_at: bool,
    mut map: impl FnMut(ItemRef<'_>) -> Result<T, Error> + Send,
) -> Result<Page<T>, Error> {
    let mut op = start(spec, with_created_at)?;
    let mut items = Vec::new();
    loop {
        let mut sink = |item: ItemRef<'_>| {
            items.push(map(item)?);
            Ok(())
        };
        let last = backend.query(&op, &mut sink).await?;
        match last {
            Some(last) if extent == Extent::AllPages => op.resume_after = Some(last),
            last => {
                let cursor = last.map(|last| op.spec.cursor_after(&last));
                return Ok(Page { items, cursor });
            }
        }
    }
}

fn start(spec: QuerySpec, with_created_at: bool) -> Result<QueryPage, Error> {
    let resume_after = spec.validate()?;
    Ok(QueryPage {
        spec,
        resume_after,
        with_created_at,
    })
}

fn item_key<E: Entity>(key: &Key<E>) -> Result<ItemKey<'_>, Error> {
    Ok(ItemKey::new(
        E::SCHEMA.table,
        key.partition_key(),
        key.sort_key(),
    )?)
}

fn write_item<E: Entity>(
    backend: &dyn Backend,
    item: &E,
    created_at: String,
) -> Result<WriteItem, Error> {
    let not_an_item = |source| Error::Serialize {
        entity: E::SCHEMA.name,
        source,
    };
    let (partition_key, sort_key) = item.key().into_parts();
    let size = limits::check_item(&partition_key, &sort_key, created_at.len(), item).map_err(
        |e| match e {
            CheckError::Limit(e) => Error::Limit(e),
            CheckError::NotAnItem(e) => not_an_item(e),
        },
    )?;
    let data = match backend.item_format() {
        ItemFormat::Json => ItemData::Json(
            serde_json::to_string(item).map_err(|e| not_an_item(ItemError::from(e)))?,
        ),
        #[cfg(feature = "dynamodb")]
        ItemFormat::AttributeValues => ItemData::AttributeValues(
            serde_dynamo::to_item(item).map_err(|e| not_an_item(ItemError::from(e)))?,
        ),
    };
    Ok(WriteItem::new(
        E::SCHEMA.table,
        partition_key,
        sort_key,
        data,
        size,
        created_at,
    ))
}

fn decode<R: FromItem>(item: ItemRef<'_>) -> Result<R, Error> {
    let decode_error = |source: crate::error::BoxError| Error::Decode {
        table: item.table,
        partition_key: item.partition_key.to_owned(),
        sort_key: item.sort_key.to_owned(),
        source,
    };
    match item.data {
        ItemDataRef::Json(text) => {
            let mut de = serde_json::Deserializer::from_str(text);
            let value = R::from_item(item.sort_key, &mut de).map_err(|e| decode_error(e.into()))?;
            de.end().map_err(|e| decode_error(e.into()))?;
            Ok(value)
        }
        #[cfg(feature = "dynamodb")]
        ItemDataRef::AttributeValues(attributes) => {
            // serde_dynamo deserializes owned values only.
            let map: std::collections::HashMap<String, serde_dynamo::AttributeValue> =
                serde_dynamo::Item::from(attributes.clone()).into();
            let de = serde_dynamo::Deserializer::from_attribute_value(
                serde_dynamo::AttributeValue::M(map),
            );
            R::from_item(item.sort_key, de).map_err(|e| decode_error(e.into()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            parse_url("sqlite::memory:").unwrap(),
            Location::SqliteMemory
        );
        assert_eq!(
            parse_url("sqlite://target/blue.db").unwrap(),
            Location::SqliteFile("target/blue.db".into())
        );
        assert_eq!(
            parse_url("sqlite:///tmp/blue.db").unwrap(),
            Location::SqliteFile("/tmp/blue.db".into())
        );
        assert_eq!(
            parse_url("sqlite:blue.db").unwrap(),
            Location::SqliteFile("blue.db".into())
        );
        assert_eq!(
            parse_url("dynamodb://").unwrap(),
            Location::DynamoDb(DynamoDbUrl::default())
        );
        assert_eq!(
            parse_url(
                "dynamodb://blue_dialogue?region=eu-west-1&endpoint=http%3A%2F%2F127.0.0.1:8000\
                 &profile=dev&table_prefix=dev_"
            )
            .unwrap(),
            Location::DynamoDb(DynamoDbUrl {
                table: Some("blue_dialogue".into()),
                region: Some("eu-west-1".into()),
                endpoint: Some("http://127.0.0.1:8000".into()),
                profile: Some("dev".into()),
                table_prefix: Some("dev_".into()),
            })
        );
        assert_eq!(
            parse_url("dynamodb:?endpoint=http://localhost:8000/").unwrap(),
            Location::DynamoDb(DynamoDbUrl {
                endpoint: Some("http://localhost:8000/".into()),
                ..DynamoDbUrl::default()
            })
        );
        for bad in [
            "sqlite://",
            "postgres://x",
            "blue.db",
            "sqlite://a.db?mode=ro",
            "dynamodb://a b",
            "dynamodb://?region=",
            "dynamodb://?colour=blue",
            "dynamodb://?region=%zz",
        ] {
            assert!(
                matches!(parse_url(bad), Err(Error::InvalidUrl { .. })),
                "{bad}"
            );
        }
    }
}

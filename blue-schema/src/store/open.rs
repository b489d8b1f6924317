//! Opening a store: from a URL, or from a backend.

use std::sync::Arc;

use super::Store;
use crate::backend::Backend;
use crate::ops::cursor::CursorKey;
use crate::Error;

/// Where [`Store::open`] connects.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Location {
    /// A file, and whether it asks for the tables layout.
    SqliteFile(String, bool),
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
            let hex = bytes.get(i + 1..i + 3)?;
            // Two hex digits; `from_str_radix` alone would take a sign.
            if !hex.iter().all(u8::is_ascii_hexdigit) {
                return None;
            }
            out.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
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
        let (path, tables) = match path.split_once('?') {
            None => (path, false),
            Some((path, "layout=tables")) => (path, true),
            Some((path, "layout=single")) => (path, false),
            Some(_) => {
                return Err(invalid(
                    "sqlite URLs take one option, layout=tables or layout=single; use \
                     SqliteConfig to configure the rest",
                ))
            }
        };
        if path.is_empty() {
            return Err(invalid(
                "no database path; use sqlite://path/to/file.db or sqlite::memory:",
            ));
        }
        return Ok(Location::SqliteFile(path.to_owned(), tables));
    }
    if let Some(rest) = url.strip_prefix("dynamodb:") {
        return parse_dynamodb_url(url, rest).map(Location::DynamoDb);
    }
    Err(invalid(
        "unknown scheme; expected sqlite://path/to/file.db, sqlite::memory: or dynamodb://",
    ))
}

impl Store {
    /// Checks that [`open`](Store::open) understands `url`, without opening
    /// anything, creating a file or loading AWS configuration: for
    /// validating configuration early.
    ///
    /// ```
    /// assert!(blue_schema::Store::check_url("sqlite://data/blue.db").is_ok());
    /// assert!(blue_schema::Store::check_url("dynamodb://?region=eu-west-1").is_ok());
    /// assert!(blue_schema::Store::check_url("postgres://x").is_err());
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::InvalidUrl`], as `open` would give it. (Whether the backend
    /// is compiled in is checked by `open`.)
    pub fn check_url(url: &str) -> Result<(), Error> {
        parse_url(url).map(|_| ())
    }

    /// Opens a store from a URL:
    ///
    /// * `sqlite://path/to/blue.db` (or `sqlite:path/to/blue.db`): a database
    ///   file, created if missing (its directory must exist); `sqlite:///abs/path.db`
    ///   for an absolute path;
    ///   `sqlite://blue.db?layout=tables` makes new tables in the tables
    ///   layout, a table per entity with typed columns
    ///   ([`Layout::Tables`](crate::backend::sqlite::Layout::Tables));
    /// * `sqlite::memory:`: a private in-memory database;
    /// * `dynamodb://` (feature `dynamodb`): DynamoDB, configured by the
    ///   standard AWS chain (`AWS_REGION`, `AWS_PROFILE`,
    ///   `AWS_ENDPOINT_URL_DYNAMODB`, credentials from the environment, the
    ///   shared files, SSO, a `credential_process` or the instance role).
    ///   Options override the chain: `dynamodb://?region=eu-west-1&profile=dev`,
    ///   `dynamodb://?endpoint=http://127.0.0.1:8000`,
    ///   `dynamodb://?table_prefix=dev_` (see
    ///   [`DynamoDbBackend::with_table_prefix`](crate::backend::dynamodb::DynamoDbBackend::with_table_prefix)).
    ///   A table name, `dynamodb://blue_dialogue?region=us-east-1`, makes
    ///   `open` check that the table exists (one `DescribeTable`), so a wrong
    ///   region, endpoint or credential fails here rather than at the first
    ///   operation; the store still serves every table.
    ///
    /// Opening an SQLite file happens off the caller's executor, and the
    /// DynamoDB configuration loads on tokio wherever this is polled, so
    /// `open` works from any async runtime and, through
    /// [`block_on`](crate::block_on) or [`blocking::Store::open`](crate::blocking::Store::open),
    /// from synchronous code.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidUrl`] for a URL it does not understand or a backend
    /// not compiled in; [`Error::TableNotFound`] for a named DynamoDB table
    /// that does not exist; [`Error::Backend`] when the database cannot be
    /// opened, [`Error::Unavailable`] when DynamoDB cannot be reached.
    pub async fn open(url: &str) -> Result<Store, Error> {
        #[cfg(not(all(feature = "sqlite", feature = "dynamodb")))]
        let not_compiled = |feature: &str| Error::InvalidUrl {
            url: url.to_owned(),
            reason: format!("this backend is not compiled in: enable the `{feature}` feature"),
        };
        match parse_url(url)? {
            #[cfg(feature = "sqlite")]
            Location::SqliteFile(path, tables) => {
                use crate::backend::sqlite::{Layout, SqliteConfig};
                let layout = if tables {
                    Layout::Tables
                } else {
                    Layout::SingleTable
                };
                let config = SqliteConfig::file(path).layout(layout);
                off_thread(move || config.open())
                    .await
                    .map(Store::from_backend)
            }
            #[cfg(feature = "sqlite")]
            Location::SqliteMemory => Store::sqlite_memory(),
            #[cfg(not(feature = "sqlite"))]
            Location::SqliteFile(..) | Location::SqliteMemory => Err(not_compiled("sqlite")),
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
        let config = crate::exec::tokio_bridge::run(async move { Ok(loader.load().await) }).await?;
        let mut backend = DynamoDbBackend::from_sdk_config(&config);
        if let Some(prefix) = options.table_prefix {
            backend = backend
                .with_table_prefix(&prefix)
                .map_err(|_| Error::InvalidUrl {
                    url: url.to_owned(),
                    reason: format!(
                        "table_prefix {prefix:?} has characters outside [A-Za-z0-9_.-] or is too long"
                    ),
                })?;
        }
        if let Some(table) = options.table {
            if !backend.table_exists(&table).await? {
                return Err(Error::TableNotFound { table });
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

    /// A store on an SQLite database file, opened with the default settings
    /// on the calling thread.
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
    pub fn sqlite_memory() -> Result<Store, Error> {
        Ok(Store::from_backend(
            crate::backend::sqlite::SqliteBackend::memory()?,
        ))
    }

    /// A store on a backend built by hand, such as an
    /// [`SqliteConfig`](crate::backend::sqlite::SqliteConfig) with custom
    /// settings or a [`DynamoDbBackend`](crate::backend::dynamodb::DynamoDbBackend)
    /// on a client of your own.
    pub fn from_backend(backend: impl Backend) -> Store {
        Store {
            backend: backend.into_any(),
            cursor_key: None,
            clock: None,
        }
    }

    /// The backend's name: `sqlite` or `dynamodb`.
    pub fn backend_name(&self) -> &'static str {
        self.backend.name()
    }

    /// Signs the cursors this store hands out with `key`, and accepts only
    /// cursors signed with it ([`CursorError::Unauthenticated`](crate::query::CursorError::Unauthenticated)
    /// otherwise). Give every store that serves the same clients the same
    /// key; cursors then still cross between backends.
    #[must_use]
    pub fn with_cursor_key(mut self, key: CursorKey) -> Store {
        self.cursor_key = Some(Arc::new(key));
        self
    }

    /// Decides which items are expired ([`ttl`](crate::ttl)) by `clock`
    /// instead of the system's: a test sets a [`ManualClock`](crate::ttl::ManualClock)
    /// and moves it, instead of waiting. The write times `created_at` and
    /// `updated_at` keep the system's clock.
    #[must_use]
    pub fn with_clock(mut self, clock: impl crate::ttl::Clock + 'static) -> Store {
        self.clock = Some(Arc::new(clock));
        self
    }
}

/// Runs blocking set-up work (opening a database file) off the caller's
/// executor: on a thread of its own, or here inside `block_on`.
#[cfg(feature = "sqlite")]
async fn off_thread<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, Error> + Send + 'static,
) -> Result<T, Error> {
    if crate::exec::may_block() {
        return work();
    }
    let (tx, rx) = crate::exec::oneshot();
    std::thread::Builder::new()
        .name("blue-schema-open".into())
        .spawn(move || tx.send(work()))
        .map_err(|e| Error::backend("sqlite", e))?;
    rx.await.unwrap_or_else(|| {
        Err(Error::backend(
            "sqlite",
            "the thread opening the database stopped",
        ))
    })
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
            Location::SqliteFile("target/blue.db".into(), false)
        );
        assert_eq!(
            parse_url("sqlite:///tmp/blue.db").unwrap(),
            Location::SqliteFile("/tmp/blue.db".into(), false)
        );
        assert_eq!(
            parse_url("sqlite:blue.db").unwrap(),
            Location::SqliteFile("blue.db".into(), false)
        );
        assert_eq!(
            parse_url("sqlite://blue.db?layout=tables").unwrap(),
            Location::SqliteFile("blue.db".into(), true)
        );
        assert!(parse_url("sqlite://blue.db?layout=rows").is_err());
        assert!(parse_url("sqlite://?layout=tables").is_err());
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
            "dynamodb://?region=%+f",
        ] {
            assert!(
                matches!(parse_url(bad), Err(Error::InvalidUrl { .. })),
                "{bad}"
            );
        }
    }
}

//! The test DynamoDB: the dynoxide emulator, started once per test process
//! on 127.0.0.1, or the endpoint in `BLUE_DYNAMODB_ENDPOINT`.
//!
//! Every test gets a store whose tables carry a prefix of their own, so
//! tests never share a table, on the emulator or on a shared endpoint.
//!
//! Each test binary includes this file and uses a part of it.
#![allow(dead_code)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use blue_schema::backend::dynamodb::DynamoDbBackend;

/// Set to an endpoint URL to run the suite against it instead of the
/// emulator; the AWS configuration chain then supplies the region
/// (`us-east-1` if none) and the credentials.
pub const ENDPOINT_VAR: &str = "BLUE_DYNAMODB_ENDPOINT";

static ENDPOINT: OnceLock<Result<Endpoint, String>> = OnceLock::new();

/// The emulator's database, to run its TTL sweep on demand.
static EMULATOR: OnceLock<dynoxide::Database> = OnceLock::new();

#[derive(Debug, Clone)]
enum Endpoint {
    /// The emulator in this process.
    Local(String),
    /// `BLUE_DYNAMODB_ENDPOINT`.
    External(String),
}

/// The endpoint the tests use, starting the emulator the first time. A
/// server that cannot start fails the test.
fn endpoint() -> Endpoint {
    ENDPOINT
        .get_or_init(|| match std::env::var(ENDPOINT_VAR) {
            Ok(url) if !url.is_empty() => Ok(Endpoint::External(url)),
            _ => start_emulator().map(Endpoint::Local),
        })
        .clone()
        .unwrap_or_else(|e| panic!("the test DynamoDB did not start: {e}"))
}

/// Starts dynoxide on 127.0.0.1:0 on a thread of its own, which lives as
/// long as the test process.
fn start_emulator() -> Result<String, String> {
    let (ready, started) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("dynoxide".into())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime,
                Err(e) => return drop(ready.send(Err(format!("no tokio runtime: {e}")))),
            };
            runtime.block_on(async move {
                let db = match dynoxide::Database::memory() {
                    Ok(db) => db,
                    Err(e) => return drop(ready.send(Err(format!("no database: {e}")))),
                };
                let _ = EMULATOR.set(db.clone());
                let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
                    Ok(listener) => listener,
                    Err(e) => return drop(ready.send(Err(format!("cannot listen: {e}")))),
                };
                let address = match listener.local_addr() {
                    Ok(address) => address,
                    Err(e) => return drop(ready.send(Err(format!("no address: {e}")))),
                };
                let _ = ready.send(Ok(format!("http://{address}")));
                let served =
                    dynoxide::server::serve_with_shutdown(listener, db, std::future::pending())
                        .await;
                if let Err(e) = served {
                    panic!("the test DynamoDB stopped: {e}");
                }
            })
        })
        .map_err(|e| format!("cannot spawn its thread: {e}"))?;
    started
        .recv_timeout(Duration::from_secs(60))
        .map_err(|e| format!("no answer from its thread: {e}"))?
}

/// Runs the emulator's TTL process now, as AWS's would eventually: it
/// deletes the items whose TTL attribute is below the real clock's epoch
/// second, in every table with TTL on; how many. `None` on an external
/// endpoint, whose TTL process runs on its own schedule: a test never
/// waits for it.
pub fn sweep_emulator() -> Option<usize> {
    let _ = endpoint();
    EMULATOR
        .get()
        .map(|db| db.sweep_ttl().expect("the emulator's TTL sweep runs"))
}

/// The test endpoint's URL, and whether it is the emulator in this process.
pub fn endpoint_url() -> (String, bool) {
    match endpoint() {
        Endpoint::Local(url) => (url, true),
        Endpoint::External(url) => (url, false),
    }
}

/// The emulator's static test credentials (it accepts any).
fn emulator_credentials() -> Credentials {
    Credentials::new(
        "blue-schema-test",
        "blue-schema-test",
        None,
        None,
        "blue-schema tests",
    )
}

/// An SDK client for the test endpoint: static test credentials over plain
/// HTTP for the emulator, the configuration chain for an external endpoint.
pub async fn client() -> aws_sdk_dynamodb::Client {
    match endpoint() {
        Endpoint::Local(url) => {
            let config = aws_sdk_dynamodb::Config::builder()
                .behavior_version(BehaviorVersion::latest())
                .region(Region::new("us-east-1"))
                .endpoint_url(url)
                .credentials_provider(emulator_credentials())
                .build();
            aws_sdk_dynamodb::Client::from_conf(config)
        }
        Endpoint::External(url) => {
            let shared = aws_config::defaults(BehaviorVersion::latest())
                .endpoint_url(url)
                .load()
                .await;
            let mut config = aws_sdk_dynamodb::config::Builder::from(&shared);
            if shared.region().is_none() {
                config = config.region(Region::new("us-east-1"));
            }
            aws_sdk_dynamodb::Client::from_conf(config.build())
        }
    }
}

/// The `dynamodb://` URL of the test endpoint for an example program,
/// whose tables carry `table_prefix` if given. The emulator serves on
/// 127.0.0.1 from a thread of its own; the SDK's default chain finds the
/// test credentials this sets in the environment.
pub fn example_url(table_prefix: Option<&str>) -> String {
    let (endpoint, _) = endpoint_url();
    std::env::set_var("AWS_ACCESS_KEY_ID", "blue-schema-example");
    std::env::set_var("AWS_SECRET_ACCESS_KEY", "blue-schema-example");
    let mut url = format!("dynamodb://?region=us-east-1&endpoint={endpoint}");
    if let Some(prefix) = table_prefix {
        url.push_str("&table_prefix=");
        url.push_str(prefix);
    }
    url
}

/// A table prefix no other test shares.
pub fn unique_prefix() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("t{}x{n}_", std::process::id())
}

/// A backend on the test endpoint whose tables no other test shares.
pub async fn backend() -> DynamoDbBackend {
    DynamoDbBackend::new(&client().await)
        .with_streams_client(streams_client().await)
        .with_table_prefix(&unique_prefix())
        .expect("a valid table prefix")
}

/// A DynamoDB Streams client for the test endpoint (the emulator serves
/// Streams on the same port), configured as [`client`].
pub async fn streams_client() -> aws_sdk_dynamodbstreams::Client {
    match endpoint() {
        Endpoint::Local(url) => {
            let config = aws_sdk_dynamodbstreams::Config::builder()
                .behavior_version(aws_sdk_dynamodbstreams::config::BehaviorVersion::latest())
                .region(aws_sdk_dynamodbstreams::config::Region::new("us-east-1"))
                .endpoint_url(url)
                .credentials_provider(emulator_credentials())
                .build();
            aws_sdk_dynamodbstreams::Client::from_conf(config)
        }
        Endpoint::External(url) => {
            let shared = aws_config::defaults(BehaviorVersion::latest())
                .endpoint_url(url)
                .load()
                .await;
            let mut config = aws_sdk_dynamodbstreams::config::Builder::from(&shared);
            if shared.region().is_none() {
                config = config.region(aws_sdk_dynamodbstreams::config::Region::new("us-east-1"));
            }
            aws_sdk_dynamodbstreams::Client::from_conf(config.build())
        }
    }
}

/// Deletes the tables a test's backend created (their names start with its
/// prefix), so a shared endpoint is left as it was found.
pub async fn drop_tables(backend: &DynamoDbBackend) {
    let prefix = backend.table_name("");
    let client = backend.client();
    let mut start = None;
    loop {
        let out = client
            .list_tables()
            .set_exclusive_start_table_name(start)
            .send()
            .await
            .expect("ListTables");
        for name in out.table_names() {
            if name.starts_with(&prefix) {
                client
                    .delete_table()
                    .table_name(name)
                    .send()
                    .await
                    .expect("DeleteTable");
            }
        }
        start = out.last_evaluated_table_name;
        if start.is_none() {
            return;
        }
    }
}

//! Faults on the wire: every operation, through a proxy that breaks its
//! request in each way a network or a server can, against the promise the
//! DynamoDB backend documents ("Failures" in its module documentation):
//!
//! * a request that certainly was not applied (throttled, refused for
//!   another Region's write of the item, connection refused) is sent
//!   again, and the operation succeeds once;
//! * a request whose outcome is unknown (connection reset, answer cut off,
//!   timeout, server error) is sent again only when a second application
//!   is harmless whatever happened in between: reads, and transactions
//!   under their idempotency token;
//! * a put (plain, `create`, conditional, versioned), a plain delete and a
//!   batch write are not sent again: they read the item back, and succeed
//!   when they find their own write applied (a delete: no item), not
//!   "already exists" or a refused condition;
//! * otherwise (an update, a delete returning the old item, a conditional
//!   delete, or a write the read back did not find) the caller gets
//!   [`Error::Unavailable`], which says the write may or may not have been
//!   applied, and it was applied at most once;
//! * every failure is a typed error, and attempts are bounded.

use std::time::Duration;

use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::config::timeout::TimeoutConfig;
use blue_schema::backend::dynamodb::DynamoDbBackend;
use blue_schema::{Error, Store, ThrottleLimit, Update};

use crate::dynamodb;
use crate::entities::*;
use crate::handles::{Handle, Handles};
use crate::proxy::{Fault, Proxy};

/// The client's attempt timeout behind the proxy, and the delay that
/// outlasts it.
const ATTEMPT_TIMEOUT: Duration = Duration::from_millis(2500);
const DELAY: Duration = Duration::from_millis(3000);
/// Attempts per request behind the proxy.
const ATTEMPTS: u32 = 6;
/// Attempts when the port refuses connections for a while: enough that
/// the jittered waits between them (25 ms doubling to 1 s) outlast the
/// refusal whatever the dice say.
const ATTEMPTS_WHILE_REFUSED: u32 = 10;

/// Every public operation, as one request that the proxy breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Get,
    Put,
    Create,
    PutVersioned,
    PutWhen,
    Update,
    Delete,
    DeleteReturning,
    DeleteWhen,
    Transaction,
    TransactionWithToken,
    PutAll,
    GetMany,
    TransactGet,
    Query,
    /// A `create` of an entity with a `#[unique]` field: a read, then a
    /// transaction of the item and its marker.
    CreateUnique,
    /// An `update` that changes a unique field: a read, then a transaction
    /// that releases the old value and claims the new one.
    RenameUnique,
}

const OPS: [Op; 17] = [
    Op::Get,
    Op::Put,
    Op::Create,
    Op::PutVersioned,
    Op::PutWhen,
    Op::Update,
    Op::Delete,
    Op::DeleteReturning,
    Op::DeleteWhen,
    Op::Transaction,
    Op::TransactionWithToken,
    Op::PutAll,
    Op::GetMany,
    Op::TransactGet,
    Op::Query,
    Op::CreateUnique,
    Op::RenameUnique,
];

impl Op {
    /// The DynamoDB request the fault hits.
    fn target(self) -> &'static str {
        match self {
            Op::Get => "GetItem",
            Op::Put | Op::PutVersioned | Op::PutWhen | Op::Update => "UpdateItem",
            Op::Create => "PutItem",
            Op::Delete | Op::DeleteReturning | Op::DeleteWhen => "DeleteItem",
            Op::Transaction | Op::TransactionWithToken | Op::CreateUnique | Op::RenameUnique => {
                "TransactWriteItems"
            }
            Op::PutAll => "BatchWriteItem",
            Op::GetMany => "BatchGetItem",
            Op::TransactGet => "TransactGetItems",
            Op::Query => "Query",
        }
    }

    /// Whether the backend may send the request again after a failure that
    /// may have applied it: reads, and transactions (under their
    /// idempotency token).
    fn replayed(self) -> bool {
        self.is_read()
            || matches!(
                self,
                Op::Transaction | Op::TransactionWithToken | Op::CreateUnique | Op::RenameUnique
            )
    }

    /// Whether, after such a failure, the backend reads the item back and
    /// succeeds when it finds the write applied (a put's own item, no item
    /// after a plain delete).
    fn reads_back(self) -> bool {
        matches!(
            self,
            Op::Put | Op::Create | Op::PutVersioned | Op::PutWhen | Op::Delete | Op::PutAll
        )
    }

    /// Runs the operation on partition `p`, seeded by [`seed`], and checks
    /// what it returned when it succeeded.
    async fn run(self, store: &Store, p: &str) -> Result<(), Error> {
        let c = Cell::attr();
        match self {
            Op::Get => {
                let got = store.get(Cell::key(p, 1u32)).await?;
                assert_eq!(got, Some(cell(p, 1, 0)));
            }
            Op::Put => store.put(&cell(p, 3, 7)).await?,
            Op::Create => store.create(&cell(p, 3, 7)).await?,
            Op::PutVersioned => {
                store
                    .put(&Doc {
                        part: p.to_owned(),
                        id: 1,
                        body: "b".into(),
                        version: 1,
                    })
                    .await?
            }
            Op::PutWhen => store.put(&cell(p, 1, 5)).when(c.count.eq(0)).await?,
            Op::Update => store.update(Cell::key(p, 1u32)).add(c.count, 1).await?,
            Op::Delete => store.delete(Cell::key(p, 2u32)).await?,
            Op::DeleteReturning => {
                let old = store.delete_returning(Cell::key(p, 2u32)).await?;
                assert_eq!(old, Some(cell(p, 2, 0)), "the deleted item comes back");
            }
            Op::DeleteWhen => store.delete(Cell::key(p, 2u32)).when(c.count.eq(0)).await?,
            Op::Transaction | Op::TransactionWithToken => {
                let mut tx = store.transaction();
                tx.update(Update::new(Cell::key(p, 1u32)).add(c.count, 1));
                tx.put(&cell(p, 3, 7));
                if self == Op::TransactionWithToken {
                    use std::hash::{Hash, Hasher};
                    let mut h = std::collections::hash_map::DefaultHasher::new();
                    p.hash(&mut h);
                    tx.token(format!("token-{:016x}", h.finish()));
                }
                tx.commit().await?
            }
            Op::PutAll => store.put_all(&[cell(p, 4, 1), cell(p, 5, 1)]).await?,
            Op::GetMany => {
                let got = store
                    .get_many([Cell::key(p, 1u32), Cell::key(p, 2u32)])
                    .await?;
                assert_eq!(got, vec![Some(cell(p, 1, 0)), Some(cell(p, 2, 0))]);
            }
            Op::TransactGet => {
                let got = store
                    .transact_get([Cell::key(p, 1u32), Cell::key(p, 2u32)])
                    .await?;
                assert_eq!(got, vec![Some(cell(p, 1, 0)), Some(cell(p, 2, 0))]);
            }
            Op::Query => {
                let got = store.query(Cell::query(p)).all().await?;
                assert_eq!(got, vec![cell(p, 1, 0), cell(p, 2, 0)]);
            }
            Op::CreateUnique => store.create(&handle(p, 1, "new")).await?,
            Op::RenameUnique => {
                store
                    .update(Handle::key(p, 2u32))
                    .set(Handle::attr().name, format!("{p}-renamed"))
                    .await?
            }
        }
        Ok(())
    }

    /// How many times the operation was applied to partition `p`, read
    /// directly from the emulator; reads are never "applied".
    async fn applied(self, store: &Store, p: &str) -> u32 {
        let cell_at = |id: u32| store.get(Cell::key(p, id));
        match self {
            Op::Get | Op::GetMany | Op::TransactGet | Op::Query => 0,
            Op::Put | Op::Create => u32::from(cell_at(3).await.unwrap() == Some(cell(p, 3, 7))),
            Op::PutVersioned => {
                let doc = store.get(Doc::key(p, 1u32)).await.unwrap().unwrap();
                match (doc.body.as_str(), doc.version) {
                    ("a", 1) => 0,
                    ("b", 2) => 1,
                    other => panic!("the document is {other:?}"),
                }
            }
            Op::PutWhen => match cell_at(1).await.unwrap().unwrap().count {
                0 => 0,
                5 => 1,
                other => panic!("the count is {other}"),
            },
            Op::Update => u32::try_from(cell_at(1).await.unwrap().unwrap().count).unwrap(),
            Op::Delete | Op::DeleteReturning | Op::DeleteWhen => {
                u32::from(cell_at(2).await.unwrap().is_none())
            }
            Op::Transaction | Op::TransactionWithToken => {
                let count = cell_at(1).await.unwrap().unwrap().count;
                let put = cell_at(3).await.unwrap().is_some();
                assert_eq!(count > 0, put, "a transaction is all or nothing");
                u32::try_from(count).unwrap()
            }
            Op::CreateUnique | Op::RenameUnique => {
                // Whatever happened, every name has its marker and no
                // marker is left without its handle.
                crate::handles::markers_check(store).await.unwrap();
                match self {
                    Op::CreateUnique => {
                        u32::from(store.get(Handle::key(p, 1u32)).await.unwrap().is_some())
                    }
                    _ => {
                        let h = store.get(Handle::key(p, 2u32)).await.unwrap().unwrap();
                        u32::from(h.name == format!("{p}-renamed"))
                    }
                }
            }
            Op::PutAll => {
                let four = cell_at(4).await.unwrap().is_some();
                let five = cell_at(5).await.unwrap().is_some();
                assert_eq!(four, five, "one BatchWriteItem, applied whole");
                u32::from(four)
            }
        }
    }

    fn is_read(self) -> bool {
        matches!(self, Op::Get | Op::GetMany | Op::TransactGet | Op::Query)
    }
}

/// A handle of partition `p` named `{p}-{name}`.
fn handle(p: &str, id: u32, name: &str) -> Handle {
    Handle {
        part: p.to_owned(),
        id,
        name: format!("{p}-{name}"),
        uses: 0,
    }
}

/// The items every case starts from, in its own partition.
async fn seed(store: &Store, p: &str) {
    store.create(&handle(p, 2, "old")).await.unwrap();
    store.put(&cell(p, 1, 0)).await.unwrap();
    store.put(&cell(p, 2, 0)).await.unwrap();
    store
        .create(&Doc {
            part: p.to_owned(),
            id: 1,
            body: "a".into(),
            version: 0,
        })
        .await
        .unwrap();
}

/// A client of the test endpoint that goes through `url`.
pub(crate) async fn client_via(url: &str, attempts: u32) -> aws_sdk_dynamodb::Client {
    let base = dynamodb::client().await;
    let config = base
        .config()
        .to_builder()
        .endpoint_url(url)
        .retry_config(RetryConfig::standard().with_max_attempts(attempts))
        .timeout_config(
            TimeoutConfig::builder()
                .operation_attempt_timeout(ATTEMPT_TIMEOUT)
                .connect_timeout(ATTEMPT_TIMEOUT)
                .build(),
        )
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

/// A table on the test endpoint, read directly, and what a backend behind
/// a proxy needs to reach the same table.
struct Direct {
    backend: DynamoDbBackend,
    store: Store,
    upstream: String,
}

impl Direct {
    async fn new() -> Direct {
        let backend = dynamodb::backend().await;
        let store = Store::from_backend(backend.clone());
        store.create_table::<Reliable>().await.unwrap();
        store.create_table::<Handles>().await.unwrap();
        let (upstream, _) = dynamodb::endpoint_url();
        Direct {
            backend,
            store,
            upstream,
        }
    }

    /// A backend on the same tables through `proxy`, with a client of its
    /// own (no pooled connection from another case).
    async fn through(&self, proxy: &Proxy, attempts: u32) -> DynamoDbBackend {
        DynamoDbBackend::new(&client_via(&proxy.url(), attempts).await)
            .with_table_prefix(&self.backend.table_name(""))
            .unwrap()
    }
}

/// What a case must end with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Success, applied once.
    Done,
    /// [`Error::Unavailable`], applied this many times (0 or 1).
    Unknown(u32),
    /// Applied once, and either told so or [`Error::Unavailable`]: a
    /// request delayed past its timeout is applied when the network
    /// delivers it, before or after the read back that follows.
    Once,
}

/// The rules of the module documentation, for one fault and operation.
fn expected(fault: Option<Fault>, refused_forever: bool, op: Op) -> Expect {
    if refused_forever {
        return Expect::Unknown(0);
    }
    let Some(fault) = fault else {
        return Expect::Done;
    };
    if [
        Fault::THROTTLE,
        Fault::HOT_KEY,
        Fault::REPLICATED_WRITE_CONFLICT,
    ]
    .contains(&fault)
        || op.replayed()
    {
        return Expect::Done;
    }
    // Applied before the answer was lost: the read back finds it.
    if op.reads_back() && fault.forwards() {
        return if matches!(fault, Fault::Delay(_)) {
            Expect::Once
        } else {
            Expect::Done
        };
    }
    Expect::Unknown(u32::from(fault.forwards()))
}

/// Runs every operation with `fault` injected into its request (or with
/// the proxy refusing connections for `refuse_for`), and checks each
/// outcome; prints one line per case.
fn every_operation(name: &str, fault: Option<Fault>, refuse_for: Option<Duration>) {
    let runtime = crate::runtime();
    runtime.block_on(async {
        let fixture = Direct::new().await;
        let direct = &fixture.store;
        let refused_forever = refuse_for == Some(Duration::MAX);
        let refused_briefly = refuse_for.is_some() && !refused_forever;
        let attempts = if refused_briefly {
            ATTEMPTS_WHILE_REFUSED
        } else {
            ATTEMPTS
        };
        let mut failures = Vec::new();
        for op in OPS {
            let p = format!("{name}-{op:?}");
            seed(direct, &p).await;
            // A proxy and a client of their own: no pooled connection
            // carries over from one case to the next.
            let proxy = Proxy::start(&fixture.upstream, refuse_for).await;
            if let Some(fault) = fault {
                proxy.inject(op.target(), fault);
            }
            let faulty = fixture.through(&proxy, attempts).await;
            let store = Store::from_backend(faulty.clone());
            if refused_briefly {
                // The client counts each request just before it is sent.
                let client = faulty.clone();
                let before = client.requests_sent();
                proxy
                    .refuse_from_now(move || client.requests_sent() > before)
                    .await;
            }
            let started = std::time::Instant::now();
            let result = op.run(&store, &p).await;
            let took = started.elapsed();
            proxy.settle().await;
            let applied = op.applied(direct, &p).await;
            let sent = faulty.requests_sent();
            if let Some(fault) = fault {
                assert_eq!(
                    proxy.injected(),
                    vec![(op.target().to_owned(), fault)],
                    "{name}/{op:?}: the fault was injected"
                );
            }
            assert!(
                sent <= u64::from(attempts) * 2,
                "{name}/{op:?}: {sent} requests: retries are bounded"
            );
            if refuse_for.is_some() {
                assert!(sent >= 2, "{name}/{op:?}: the first connection was refused");
            }
            let outcome = match &result {
                Ok(()) => "ok".to_owned(),
                Err(e) => format!("{e}"),
            };
            println!(
                "{name:<16} {:<22} -> {outcome:<60} applied {applied}, {sent} requests, {} ms",
                format!("{op:?}"),
                took.as_millis()
            );
            let expect = expected(fault, refused_forever, op);
            let fine = match (expect, &result) {
                (Expect::Done, Ok(())) => op.is_read() || applied == 1,
                (Expect::Unknown(n), Err(Error::Unavailable { .. })) => applied == n,
                (Expect::Once, Ok(()) | Err(Error::Unavailable { .. })) => applied == 1,
                _ => false,
            };
            if !fine {
                failures.push(format!(
                    "{op:?}: expected {expect:?}, got {result:?}, applied {applied} times"
                ));
            }
        }
        dynamodb::drop_tables(&fixture.backend).await;
        assert!(
            failures.is_empty(),
            "under {name}:\n{}",
            failures.join("\n")
        );
    });
}

#[test]
fn no_fault_baseline() {
    every_operation("none", None, None);
}

#[test]
fn throttled_requests_are_sent_again() {
    every_operation("throttled", Some(Fault::THROTTLE), None);
}

#[test]
fn a_briefly_refused_connection_is_tried_again() {
    every_operation("refused-briefly", None, Some(Duration::from_millis(60)));
}

#[test]
fn a_refused_connection_applies_nothing() {
    every_operation("refused", None, Some(Duration::MAX));
}

#[test]
fn a_reset_before_forwarding() {
    every_operation("reset-before", Some(Fault::ResetBefore), None);
}

#[test]
fn a_reset_after_the_write_applied() {
    every_operation("reset-after", Some(Fault::ResetAfter), None);
}

#[test]
fn a_delay_past_the_client_timeout() {
    every_operation("delayed", Some(Fault::Delay(DELAY)), None);
}

#[test]
fn a_server_error_before_applying() {
    every_operation("500-before", Some(Fault::INTERNAL_ERROR), None);
}

#[test]
fn a_server_error_after_applying() {
    every_operation("500-after", Some(Fault::INTERNAL_ERROR_AFTER), None);
}

#[test]
fn service_unavailable() {
    every_operation("503", Some(Fault::UNAVAILABLE), None);
}

#[test]
fn a_truncated_answer() {
    every_operation("truncated", Some(Fault::Truncate), None);
}

#[test]
fn throttling_with_reasons_is_sent_again() {
    every_operation("hot-key", Some(Fault::HOT_KEY), None);
}

/// A global table with multi-Region strong consistency refuses a write
/// while another Region writes the same item; nothing was applied, so
/// every request is sent again.
#[test]
fn a_write_conflict_with_another_region_is_sent_again() {
    every_operation(
        "region-conflict",
        Some(Fault::REPLICATED_WRITE_CONFLICT),
        None,
    );
}

/// A refusal that never ends, of `fault`'s kind, on a put: the error it
/// ends with after the bounded attempts; nothing was written.
async fn refused_throughout(fault: Fault) -> Error {
    let fixture = Direct::new().await;
    let proxy = Proxy::start(&fixture.upstream, None).await;
    for _ in 0..ATTEMPTS + 2 {
        proxy.inject("UpdateItem", fault);
    }
    let faulty = fixture.through(&proxy, ATTEMPTS).await;
    let store = Store::from_backend(faulty.clone());
    let result = store.put(&cell("t", 1, 1)).await;
    assert_eq!(faulty.requests_sent(), u64::from(ATTEMPTS));
    assert_eq!(fixture.store.get(Cell::key("t", 1u32)).await.unwrap(), None);
    dynamodb::drop_tables(&fixture.backend).await;
    result.expect_err("refused on every attempt")
}

/// DynamoDB's throttling reasons reach the caller, parsed: a hot
/// partition key, an index falling behind the table's writes.
#[test]
fn throttling_that_lasts_names_its_reasons() {
    let error = crate::runtime().block_on(refused_throughout(Fault::HOT_KEY));
    let Error::Throttled { ref reasons, .. } = error else {
        panic!("expected throttling, got {error:?}");
    };
    let parsed: Vec<_> = reasons
        .iter()
        .map(|r| (r.limit(), r.is_write(), r.is_index(), r.index()))
        .collect();
    assert_eq!(
        parsed,
        [
            (ThrottleLimit::KeyRange, true, false, None),
            (ThrottleLimit::Provisioned, true, true, Some("gsi1")),
        ]
    );
    assert!(error.is_retryable());
    assert_eq!(
        error.to_string(),
        "dynamodb refused the request for lack of capacity \
         (TableWriteKeyRangeThroughputExceeded on \
         arn:aws:dynamodb:us-east-1:123456789012:table/blue_reliable, \
         IndexWriteProvisionedThroughputExceeded on \
         arn:aws:dynamodb:us-east-1:123456789012:table/blue_reliable/index/gsi1); \
         back off and retry"
    );
}

/// Another Region writing the same item on every attempt: a retryable
/// error of its own, and nothing written.
#[test]
fn a_write_conflict_with_another_region_that_lasts_is_a_typed_error() {
    let error = crate::runtime().block_on(refused_throughout(Fault::REPLICATED_WRITE_CONFLICT));
    let Error::ReplicatedWriteConflict {
        backend,
        ref source,
    } = error
    else {
        panic!("expected a replicated write conflict, got {error:?}");
    };
    assert_eq!(backend, "dynamodb");
    assert_eq!(
        source.to_string(),
        "UpdateItem: ReplicatedWriteConflictException: injected by the test proxy"
    );
    assert!(error.is_retryable());
}

/// Throttling that never ends: bounded attempts, then a typed error.
#[test]
fn throttling_that_lasts_is_a_typed_error_after_bounded_attempts() {
    let runtime = crate::runtime();
    runtime.block_on(async {
        let fixture = Direct::new().await;
        let proxy = Proxy::start(&fixture.upstream, None).await;
        for _ in 0..ATTEMPTS + 2 {
            proxy.inject("UpdateItem", Fault::THROTTLE);
        }
        let faulty = fixture.through(&proxy, ATTEMPTS).await;
        let store = Store::from_backend(faulty.clone());
        let result = store.put(&cell("t", 1, 1)).await;
        assert!(matches!(result, Err(Error::Throttled { .. })), "{result:?}");
        assert_eq!(faulty.requests_sent(), u64::from(ATTEMPTS));
        assert_eq!(fixture.store.get(Cell::key("t", 1u32)).await.unwrap(), None);
        dynamodb::drop_tables(&fixture.backend).await;
    });
}

/// Found by the history checker (`tests/reliability/history`): a write
/// whose answer was lost used to be sent again, and applied again after
/// another client's write. Here the first attempt of each write is applied
/// and its answer lost; a reader sees it; another client writes; a replay
/// (held by the proxy until then) would undo that write, so the last
/// reader would see the first write again, which no order of the
/// operations explains.
#[test]
fn a_write_whose_answer_was_lost_is_not_applied_again_after_a_later_write() {
    #[derive(Debug, Clone, Copy)]
    enum Write {
        Put,
        Create,
        Delete,
    }
    let runtime = crate::runtime();
    runtime.block_on(async {
        let fixture = Direct::new().await;
        let direct = &fixture.store;
        let mut failures = Vec::new();
        for write in [Write::Put, Write::Create, Write::Delete] {
            let p = format!("again-{write:?}");
            if let Write::Delete = write {
                direct.put(&cell(&p, 1, 1)).await.unwrap();
            }
            let target = match write {
                Write::Put => "UpdateItem",
                Write::Create => "PutItem",
                Write::Delete => "DeleteItem",
            };
            let proxy = Proxy::start(&fixture.upstream, None).await;
            proxy.inject(target, Fault::ResetAfter);
            // A replay, if any, waits until the other client has written.
            proxy.inject(target, Fault::Delay(Duration::from_millis(400)));
            let store = Store::from_backend(fixture.through(&proxy, ATTEMPTS).await);
            let key = Cell::key(p.as_str(), 1u32);
            let written = tokio::spawn({
                let (store, p) = (store.clone(), p.clone());
                async move {
                    match write {
                        Write::Put => store.put(&cell(&p, 1, 7)).await,
                        Write::Create => store.create(&cell(&p, 1, 7)).await,
                        Write::Delete => store.delete(Cell::key(p.as_str(), 1u32)).await,
                    }
                }
            });
            // The first attempt is applied: a reader sees it.
            tokio::time::sleep(Duration::from_millis(100)).await;
            let first = direct.get(key.clone()).await.unwrap().map(|c| c.count);
            let expected_first = match write {
                Write::Put | Write::Create => Some(7),
                Write::Delete => None,
            };
            assert_eq!(
                first, expected_first,
                "{write:?}: the first attempt applied"
            );
            // Another client writes after that read.
            let later = match write {
                Write::Put => Some(8),
                Write::Create | Write::Delete => {
                    direct.delete(key.clone()).await.unwrap();
                    None
                }
            };
            if let Some(count) = later {
                direct.put(&cell(&p, 1, count)).await.unwrap();
            }
            if let Write::Delete = write {
                direct.put(&cell(&p, 1, 9)).await.unwrap();
            }
            let result = written.await.unwrap();
            proxy.settle().await;
            let last = direct.get(key).await.unwrap().map(|c| c.count);
            let expected_last = match write {
                Write::Put => Some(8),
                Write::Create => None,
                Write::Delete => Some(9),
            };
            println!(
                "{write:?}: {result:?}; read {first:?}, then {last:?}; requests {:?}",
                proxy.seen()
            );
            if result.is_err() || last != expected_last {
                failures.push(format!(
                    "{write:?}: returned {result:?}; a reader saw {first:?}, another client wrote \
                     {expected_last:?}, and then the item was {last:?}"
                ));
            }
        }
        dynamodb::drop_tables(&fixture.backend).await;
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    });
}

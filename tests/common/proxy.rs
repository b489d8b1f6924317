//! A fault-injecting HTTP proxy on 127.0.0.1, between the SDK and the test
//! DynamoDB: it forwards each request, or breaks the one a test chose in
//! the way the test chose (see [`Fault`]).
//!
//! It understands just enough HTTP/1.1 for the SDK and the emulator:
//! keep-alive connections, bodies sized by `Content-Length` (requests and
//! answers) or chunked (answers).
#![allow(dead_code)]

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the proxy does to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Resets the connection without forwarding the request.
    ResetBefore,
    /// Forwards the request, lets the emulator apply it, reads its answer,
    /// then resets the connection instead of answering.
    ResetAfter,
    /// Holds the request for this long before forwarding it (past the
    /// client's attempt timeout), then forwards it anyway.
    Delay(Duration),
    /// Answers with this HTTP status and DynamoDB error code, after
    /// forwarding the request when `forward` (the request applied, the
    /// answer an error) or without forwarding it.
    Answer {
        status: u16,
        code: &'static str,
        forward: bool,
        /// DynamoDB's `ThrottlingReasons`, as (reason, resource ARN).
        reasons: &'static [(&'static str, &'static str)],
    },
    /// Forwards the request and sends back only the first half of the
    /// answer, then closes the connection.
    Truncate,
}

impl Fault {
    pub const THROTTLE: Fault = Fault::Answer {
        status: 400,
        code: "ThrottlingException",
        forward: false,
        reasons: &[],
    };
    /// Throttling with DynamoDB's reasons: a hot partition key on the
    /// table, and its index falling behind.
    pub const HOT_KEY: Fault = Fault::Answer {
        status: 400,
        code: "ThrottlingException",
        forward: false,
        reasons: &[
            (
                "TableWriteKeyRangeThroughputExceeded",
                "arn:aws:dynamodb:us-east-1:123456789012:table/blue_reliable",
            ),
            (
                "IndexWriteProvisionedThroughputExceeded",
                "arn:aws:dynamodb:us-east-1:123456789012:table/blue_reliable/index/gsi1",
            ),
        ],
    };
    /// A global table with multi-Region strong consistency refusing a
    /// write because another Region is writing the same item: not applied.
    pub const REPLICATED_WRITE_CONFLICT: Fault = Fault::Answer {
        status: 400,
        code: "ReplicatedWriteConflictException",
        forward: false,
        reasons: &[],
    };
    pub const UNAVAILABLE: Fault = Fault::Answer {
        status: 503,
        code: "ServiceUnavailable",
        forward: false,
        reasons: &[],
    };
    pub const INTERNAL_ERROR: Fault = Fault::Answer {
        status: 500,
        code: "InternalServerError",
        forward: false,
        reasons: &[],
    };
    /// A 500 for a request the emulator did apply.
    pub const INTERNAL_ERROR_AFTER: Fault = Fault::Answer {
        status: 500,
        code: "InternalServerError",
        forward: true,
        reasons: &[],
    };

    /// Every fault but a delay, for requests broken at random
    /// ([`Proxy::randomly`]): a delay past the client's timeout leaves a
    /// write that lands after its caller was told `Unavailable`, which a
    /// history would have to keep open forever.
    pub const RANDOM: [Fault; 7] = [
        Fault::ResetBefore,
        Fault::ResetAfter,
        Fault::Truncate,
        Fault::THROTTLE,
        Fault::UNAVAILABLE,
        Fault::INTERNAL_ERROR,
        Fault::INTERNAL_ERROR_AFTER,
    ];

    /// Whether the emulator receives the request.
    pub fn forwards(self) -> bool {
        match self {
            Fault::ResetBefore => false,
            Fault::Answer { forward, .. } => forward,
            Fault::ResetAfter | Fault::Delay(_) | Fault::Truncate => true,
        }
    }
}

#[derive(Default)]
struct Shared {
    /// Faults still to inject: (DynamoDB operation, fault), each applied to
    /// the next request of its operation.
    plan: Mutex<VecDeque<(String, Fault)>>,
    /// Faults injected: (operation, fault).
    injected: Mutex<Vec<(String, Fault)>>,
    /// Requests being handled (forwarded ones until their answer is read).
    in_flight: AtomicUsize,
    /// Every request seen, by operation.
    seen: Mutex<Vec<String>>,
    /// Told by [`Proxy::refuse_from_now`] when a brief refusal starts.
    armed: tokio::sync::Notify,
    /// Whether the client has made its first attempt since the refusal
    /// started (given by [`Proxy::refuse_from_now`]): the pause is counted
    /// from then.
    attempted: Mutex<Option<Box<dyn Fn() -> bool + Send>>>,
    /// Faults drawn at random for requests the plan does not break:
    /// (xorshift state, per mille of requests, the faults to draw from).
    random: Mutex<Option<(u64, u64, Vec<Fault>)>>,
}

impl Shared {
    /// A fault drawn for the next request, when [`Proxy::randomly`] is on.
    fn draw(&self) -> Option<Fault> {
        let mut random = self.random.lock().unwrap();
        let (state, per_mille, faults) = random.as_mut()?;
        let mut next = || {
            *state ^= *state << 13;
            *state ^= *state >> 7;
            *state ^= *state << 17;
            *state
        };
        if next() % 1000 >= *per_mille {
            return None;
        }
        let i = (next() % faults.len() as u64) as usize;
        Some(faults[i])
    }
}

/// A running proxy; it stops when dropped.
pub struct Proxy {
    address: SocketAddr,
    shared: Arc<Shared>,
    accept: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

impl Proxy {
    /// A proxy to `upstream` (`http://127.0.0.1:port`), listening now. With
    /// `refuse_for`, its port refuses connections for that long from
    /// [`refuse_from_now`](Proxy::refuse_from_now) on (its listener is
    /// closed, and bound again after the pause), so that the pause does not
    /// run out while a loaded machine sets the client up; with
    /// `Duration::MAX` it never listens.
    pub async fn start(upstream: &str, refuse_for: Option<Duration>) -> Proxy {
        let upstream: SocketAddr = upstream
            .trim_start_matches("http://")
            .parse()
            .expect("the emulator's address");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let address = listener.local_addr().expect("an address");
        let shared = Arc::new(Shared::default());
        if refuse_for == Some(Duration::MAX) {
            // Closed before the client exists: a connection made while a
            // task had yet to close it would sit in the backlog and then
            // be reset, which is another fault than a refusal.
            drop(listener);
            let held = hold(address);
            let accept = tokio::spawn(async move {
                let _held = held;
                std::future::pending::<()>().await
            });
            return Proxy {
                address,
                shared,
                accept,
            };
        }
        let accept = {
            let shared = shared.clone();
            tokio::spawn(async move {
                let listener = match refuse_for {
                    None => listener,
                    Some(pause) => {
                        // Nothing connects before the refusal is armed:
                        // the client is made, not used, until then.
                        shared.armed.notified().await;
                        // The port stays this proxy's, bound but not
                        // listening: a connection is refused, and no other
                        // test's listener can take the port meanwhile.
                        drop(listener);
                        let held = hold(address);
                        // The pause runs from the client's first attempt,
                        // not from the arming: on a loaded machine the
                        // first request can come later than a pause
                        // counted from there, and find the port open.
                        let attempted = shared.attempted.lock().unwrap().take();
                        if let Some(attempted) = attempted {
                            let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
                            while !attempted() && tokio::time::Instant::now() < deadline {
                                tokio::time::sleep(Duration::from_millis(1)).await;
                            }
                        }
                        tokio::time::sleep(pause).await;
                        drop(held);
                        TcpListener::bind(address).await.expect("the port again")
                    }
                };
                loop {
                    let Ok((client, _)) = listener.accept().await else {
                        continue;
                    };
                    let shared = shared.clone();
                    tokio::spawn(async move {
                        let _ = connection(client, upstream, shared).await;
                    });
                }
            })
        };
        Proxy {
            address,
            shared,
            accept,
        }
    }

    /// Starts a brief refusal (`refuse_for` of [`start`](Proxy::start)):
    /// the port refuses connections from now on, until `attempted` says the
    /// client has made its first attempt and that long after.
    pub async fn refuse_from_now(&self, attempted: impl Fn() -> bool + Send + 'static) {
        *self.shared.attempted.lock().unwrap() = Some(Box::new(attempted));
        self.shared.armed.notify_one();
        // The listener is closed by the accept task: give it the turn.
        for _ in 0..100 {
            if TcpStream::connect(self.address).await.is_err() {
                return;
            }
            tokio::task::yield_now().await;
        }
    }

    /// The URL to give the SDK.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Breaks the next request of `operation` (`PutItem`, `Query`...) with
    /// `fault`.
    pub fn inject(&self, operation: &str, fault: Fault) {
        self.shared
            .plan
            .lock()
            .unwrap()
            .push_back((operation.to_owned(), fault));
    }

    /// Breaks `per_mille` of the requests from now on (those the plan
    /// does not break), each with a fault drawn from `faults`; the draws
    /// follow `seed`, the requests' order is the clients'.
    pub fn randomly(&self, seed: u64, per_mille: u64, faults: &[Fault]) {
        *self.shared.random.lock().unwrap() = Some((seed | 1, per_mille, faults.to_vec()));
    }

    /// The faults injected so far.
    pub fn injected(&self) -> Vec<(String, Fault)> {
        self.shared.injected.lock().unwrap().clone()
    }

    /// The operations of every request seen so far, in order.
    pub fn seen(&self) -> Vec<String> {
        self.shared.seen.lock().unwrap().clone()
    }

    /// Waits until no request is being handled (a delayed request has been
    /// forwarded and answered), for up to 10 s.
    pub async fn settle(&self) {
        for _ in 0..1000 {
            if self.shared.in_flight.load(Ordering::SeqCst) == 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the proxy still handles a request after 10 s");
    }
}

/// One HTTP message: its head (up to the blank line) and body.
struct Message {
    head: Vec<u8>,
    body: Vec<u8>,
}

impl Message {
    fn header(&self, name: &str) -> Option<String> {
        let head = String::from_utf8_lossy(&self.head);
        head.lines().skip(1).find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_owned())
        })
    }

    fn bytes(&self) -> Vec<u8> {
        let mut all = self.head.clone();
        all.extend_from_slice(&self.body);
        all
    }
}

/// Reads one message; `None` at a clean end of the stream.
async fn read_message(
    stream: &mut TcpStream,
    buffer: &mut Vec<u8>,
) -> std::io::Result<Option<Message>> {
    let end = loop {
        if let Some(i) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let mut chunk = [0u8; 8192];
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return if buffer.is_empty() {
                Ok(None)
            } else {
                Err(std::io::ErrorKind::UnexpectedEof.into())
            };
        }
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head: Vec<u8> = buffer.drain(..end).collect();
    let mut message = Message {
        head,
        body: Vec::new(),
    };
    let chunked = message
        .header("transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"));
    if chunked {
        // The whole chunked body, ending with the zero-length chunk.
        loop {
            if let Some(i) = buffer.windows(5).position(|w| w == b"0\r\n\r\n") {
                message.body = buffer.drain(..i + 5).collect();
                break;
            }
            let mut chunk = [0u8; 8192];
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            buffer.extend_from_slice(&chunk[..n]);
        }
    } else {
        let length: usize = message
            .header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        while buffer.len() < length {
            let mut chunk = [0u8; 8192];
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            buffer.extend_from_slice(&chunk[..n]);
        }
        message.body = buffer.drain(..length).collect();
    }
    Ok(Some(message))
}

/// Resets a connection: a TCP RST, not a clean close.
fn reset(stream: TcpStream) {
    let _ = stream.set_zero_linger();
    drop(stream);
}

/// Serves one client connection, with an upstream connection of its own.
async fn connection(
    mut client: TcpStream,
    upstream: SocketAddr,
    shared: Arc<Shared>,
) -> std::io::Result<()> {
    let mut server = TcpStream::connect(upstream).await?;
    let mut from_client = Vec::new();
    let mut from_server = Vec::new();
    loop {
        let Some(request) = read_message(&mut client, &mut from_client).await? else {
            return Ok(());
        };
        let operation = request
            .header("x-amz-target")
            .and_then(|t| t.rsplit('.').next().map(str::to_owned))
            .unwrap_or_default();
        shared.seen.lock().unwrap().push(operation.clone());
        let fault = {
            let mut plan = shared.plan.lock().unwrap();
            let found = plan.iter().position(|(op, _)| *op == operation);
            found.and_then(|i| plan.remove(i)).map(|(_, fault)| fault)
        }
        .or_else(|| shared.draw());
        if let Some(fault) = fault {
            shared
                .injected
                .lock()
                .unwrap()
                .push((operation.clone(), fault));
        }
        shared.in_flight.fetch_add(1, Ordering::SeqCst);
        let _guard = InFlight(&shared);
        if let Some(Fault::Delay(pause)) = fault {
            tokio::time::sleep(pause).await;
        }
        if fault.is_some_and(|f| !f.forwards()) {
            match fault {
                Some(Fault::ResetBefore) => {
                    reset(client);
                    return Ok(());
                }
                Some(Fault::Answer {
                    status,
                    code,
                    reasons,
                    ..
                }) => {
                    client
                        .write_all(&error_answer(status, code, reasons))
                        .await?;
                    continue;
                }
                _ => unreachable!("every fault that does not forward is handled"),
            }
        }
        server.write_all(&request.bytes()).await?;
        let Some(answer) = read_message(&mut server, &mut from_server).await? else {
            return Ok(());
        };
        match fault {
            None | Some(Fault::Delay(_)) => client.write_all(&answer.bytes()).await?,
            Some(Fault::ResetAfter) => {
                reset(client);
                return Ok(());
            }
            Some(Fault::Truncate) => {
                let bytes = answer.bytes();
                let cut = answer.head.len() + answer.body.len() / 2;
                client.write_all(&bytes[..cut]).await?;
                client.shutdown().await?;
                return Ok(());
            }
            Some(Fault::Answer {
                status,
                code,
                reasons,
                ..
            }) => {
                client
                    .write_all(&error_answer(status, code, reasons))
                    .await?;
            }
            Some(Fault::ResetBefore) => unreachable!("not forwarded"),
        }
    }
}

struct InFlight<'a>(&'a Shared);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A DynamoDB error answer.
fn error_answer(status: u16, code: &str, reasons: &[(&str, &str)]) -> Vec<u8> {
    let mut body = serde_json::json!({
        "__type": format!("com.amazonaws.dynamodb.v20120810#{code}"),
        "message": "injected by the test proxy",
    });
    if !reasons.is_empty() {
        body["throttlingReasons"] = reasons
            .iter()
            .map(|(reason, resource)| serde_json::json!({"reason": reason, "resource": resource}))
            .collect();
    }
    let body = body.to_string();
    let reason = match status {
        400 => "Bad Request",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Error",
    };
    format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: application/x-amz-json-1.0\r\nx-amzn-errortype: {code}\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// A socket bound to `address` without listening: connections to it are
/// refused while it lives.
fn hold(address: SocketAddr) -> Option<tokio::net::TcpSocket> {
    let socket = tokio::net::TcpSocket::new_v4().ok()?;
    socket.set_reuseaddr(true).ok()?;
    socket.bind(address).ok()?;
    Some(socket)
}

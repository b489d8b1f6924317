//! A DynamoDB without a server, to count the client side's own work.
//!
//! [`Recorder`] is an SDK interceptor that keeps every request's operation
//! and body size and every answer (status, headers, body) as the emulator
//! gave it. [`Replay`] is an SDK HTTP client that answers from such a
//! recording, in order and round again, and checks that each request is
//! for the operation recorded at its place. The same client code then runs
//! with no server, no socket and no other thread: what is left is the
//! caller's work, the SDK's and (on the store's side) the library's,
//! countable by callgrind from one run to the next.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::config::http::{HttpRequest, HttpResponse};
use aws_sdk_dynamodb::config::interceptors::{
    AfterDeserializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
};
use aws_sdk_dynamodb::config::{ConfigBag, HttpClient, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::client::http::{
    HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_types::body::SdkBody;
use serde::{Deserialize, Serialize};

type BoxError = aws_sdk_dynamodb::error::BoxError;

/// One request and its answer.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Exchange {
    /// `GetItem`, `Query`... (the end of `X-Amz-Target`).
    pub operation: String,
    /// The request body's length in bytes.
    pub request_bytes: usize,
    /// The request body, for reading (replays do not compare it).
    pub request: String,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

fn operation(headers: &aws_smithy_runtime_api::http::Headers) -> String {
    headers
        .get("x-amz-target")
        .and_then(|target| target.rsplit('.').next())
        .unwrap_or("unknown")
        .to_owned()
}

/// Keeps the exchanges of every client it is added to.
#[derive(Clone, Debug, Default)]
pub struct Recorder(Arc<Mutex<Vec<Exchange>>>);

impl Recorder {
    /// The exchanges recorded since the last call.
    pub fn take(&self) -> Vec<Exchange> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

impl Intercept for Recorder {
    fn name(&self) -> &'static str {
        "bench::Recorder"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request();
        let body = request.body().bytes().unwrap_or_default();
        self.0.lock().unwrap().push(Exchange {
            operation: operation(request.headers()),
            request_bytes: body.len(),
            request: String::from_utf8_lossy(body).into_owned(),
            status: 0,
            headers: Vec::new(),
            body: String::new(),
        });
        Ok(())
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let response = context.response();
        let mut exchanges = self.0.lock().unwrap();
        let last = exchanges.last_mut().expect("an answer follows its request");
        last.status = response.status().as_u16();
        last.headers = response
            .headers()
            .iter()
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect();
        last.body = String::from_utf8(response.body().bytes().unwrap_or_default().to_vec())
            .expect("DynamoDB answers in JSON");
        Ok(())
    }
}

/// Answers from a recording, in order, round and round.
#[derive(Clone, Debug)]
pub struct Replay {
    script: Arc<Vec<(Exchange, SdkBody)>>,
    next: Arc<AtomicUsize>,
}

impl Replay {
    pub fn new(script: Vec<Exchange>) -> Replay {
        assert!(!script.is_empty(), "nothing recorded to replay");
        Replay {
            script: Arc::new(
                script
                    .into_iter()
                    .map(|e| {
                        let body = SdkBody::from(e.body.clone());
                        (e, body)
                    })
                    .collect(),
            ),
            next: Arc::default(),
        }
    }
}

impl HttpConnector for Replay {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let at = self.next.fetch_add(1, Ordering::Relaxed) % self.script.len();
        let (exchange, body) = &self.script[at];
        let sent = operation(request.headers());
        assert_eq!(
            sent, exchange.operation,
            "request {at} of the recording was a {}, this one is a {sent}",
            exchange.operation
        );
        let mut response = HttpResponse::new(
            exchange.status.try_into().expect("a recorded status"),
            body.try_clone().expect("an in-memory body"),
        );
        for (name, value) in &exchange.headers {
            response.headers_mut().append(name.clone(), value.clone());
        }
        HttpConnectorFuture::ready(Ok(response))
    }
}

impl HttpClient for Replay {
    fn http_connector(
        &self,
        _: &HttpConnectorSettings,
        _: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(self.clone())
    }
}

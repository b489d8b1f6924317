//! Counting the requests a backend sends (and keeping a write's body,
//! [`super::kept`]).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};

/// The requests a backend has sent, by DynamoDB operation.
#[derive(Debug, Default)]
pub(super) struct Requests {
    total: AtomicU64,
    by_operation: Mutex<BTreeMap<String, u64>>,
}

impl Requests {
    pub(super) fn total(&self) -> u64 {
        self.total.load(Ordering::Relaxed)
    }

    pub(super) fn by_operation(&self) -> BTreeMap<String, u64> {
        self.by_operation
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }
}

/// Counts every HTTP request the client sends, retries included, and
/// keeps the body of one sent in a [`super::kept::Kept::scope`] (one
/// interceptor doing both: every interceptor costs each request a call per
/// hook).
#[derive(Debug)]
pub(super) struct CountRequests(pub(super) Arc<Requests>);

impl Intercept for CountRequests {
    fn name(&self) -> &'static str {
        "blue_schema::CountRequests"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        self.0.total.fetch_add(1, Ordering::Relaxed);
        super::kept::keep(context.request().body().bytes());
        // `X-Amz-Target: DynamoDB_20120810.GetItem`
        let operation = context
            .request()
            .headers()
            .get("x-amz-target")
            .and_then(|target| target.rsplit('.').next())
            .unwrap_or("unknown");
        let mut counts = self
            .0
            .by_operation
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match counts.get_mut(operation) {
            Some(count) => *count += 1,
            None => {
                counts.insert(operation.to_owned(), 1);
            }
        }
        Ok(())
    }
}

//! Where a cache miss loads from: any async function, or the simulated slow
//! origin [`SlowSource`].

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use spike_core::{ErrorClass, IterError};
use tokio::sync::Semaphore;

/// The origin behind the cache: what a miss loads the value from.
///
/// Any `Fn(String) -> impl Future<Output = Result<String, IterError>>`
/// is a source; [`SlowSource`] simulates a slow one with limited capacity.
pub trait Source: Send + Sync + 'static {
    /// Load the value of `key` (the key without the cache prefix).
    fn load(&self, key: String) -> BoxFuture<'static, Result<String, IterError>>;
}

impl<F, Fut> Source for F
where
    F: Fn(String) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<String, IterError>> + Send + 'static,
{
    fn load(&self, key: String) -> BoxFuture<'static, Result<String, IterError>> {
        Box::pin(self(key))
    }
}

/// A simulated slow origin (a database, another service): each load takes
/// `latency`, at most `capacity` loads run at once (the others queue, as
/// they would for a connection pool), and a load that waited longer than
/// the queue timeout fails with `pool_timeout`. The value of `key` is
/// `value-of-<key>`.
///
/// ```
/// use spike::redis::{SlowSource, Source};
/// use spike::prelude::*;
///
/// # tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
/// let origin = SlowSource::new(ms(5)).capacity(2);
/// assert_eq!(origin.load("user:1".into()).await.unwrap(), "value-of-user:1");
/// assert_eq!(origin.loads(), 1);
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct SlowSource {
    latency: Duration,
    permits: Arc<Semaphore>,
    capacity: usize,
    queue_timeout: Duration,
    loads: Arc<AtomicU64>,
}

impl SlowSource {
    /// Loads taking `latency`, 16 at once, queueing up to 5 s.
    #[must_use]
    pub fn new(latency: Duration) -> Self {
        SlowSource {
            latency,
            permits: Arc::new(Semaphore::new(16)),
            capacity: 16,
            queue_timeout: Duration::from_secs(5),
            loads: Arc::new(AtomicU64::new(0)),
        }
    }

    /// At most `n` loads at once (at least 1, at most tokio's
    /// `Semaphore::MAX_PERMITS`).
    #[must_use]
    pub fn capacity(mut self, n: usize) -> Self {
        self.capacity = n.clamp(1, Semaphore::MAX_PERMITS);
        self.permits = Arc::new(Semaphore::new(self.capacity));
        self
    }

    /// How long a load may queue for capacity before `pool_timeout`.
    #[must_use]
    pub fn queue_timeout(mut self, timeout: Duration) -> Self {
        self.queue_timeout = timeout;
        self
    }

    /// Loads completed so far (shared by clones).
    #[must_use]
    pub fn loads(&self) -> u64 {
        self.loads.load(Ordering::Relaxed)
    }
}

impl Source for SlowSource {
    fn load(&self, key: String) -> BoxFuture<'static, Result<String, IterError>> {
        let this = self.clone();
        Box::pin(async move {
            let permit = match tokio::time::timeout(
                this.queue_timeout,
                this.permits.acquire_owned(),
            )
            .await
            {
                Ok(Ok(permit)) => permit,
                Ok(Err(_)) => {
                    return Err(
                        IterError::of(ErrorClass::Protocol).with_message("the source was closed")
                    )
                }
                Err(_) => {
                    return Err(IterError::of(ErrorClass::PoolTimeout).with_message(format!(
                        "source capacity {} busy for {:?}",
                        this.capacity, this.queue_timeout
                    )))
                }
            };
            tokio::time::sleep(this.latency).await;
            drop(permit);
            this.loads.fetch_add(1, Ordering::Relaxed);
            Ok(format!("value-of-{key}"))
        })
    }
}

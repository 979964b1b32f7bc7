//! Simulated targets whose true behaviour is known by construction, for
//! learning spike and for testing the engine itself.
//!
//! * [`FifoServer`]: one server with a fixed capacity of C requests per
//!   second and an unbounded FIFO queue. A request arriving at `a` finishes
//!   at `max(a, previous finish) + 1/C`. Under a burst above C the backlog
//!   grows at (rate − C) per second and drains at (C − rate) per second
//!   afterwards, so recovery time can be computed exactly.
//! * [`Stall`]: every call in flight during a stall interval waits until the
//!   stall ends (a GC pause, a lock, a failover).

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// A single FIFO server with a fixed capacity (see the module docs).
///
/// ```
/// use spike_core::targets::FifoServer;
/// let server = FifoServer::new(400.0);
/// assert_eq!(server.service_time(), std::time::Duration::from_micros(2_500));
/// ```
#[derive(Debug)]
pub struct FifoServer {
    service: Duration,
    next_free: Mutex<Option<Instant>>,
}

impl FifoServer {
    /// A server that completes `capacity` requests per second.
    ///
    /// # Panics
    /// If `capacity` is not a finite number above zero.
    #[must_use]
    pub fn new(capacity: f64) -> Self {
        assert!(
            capacity.is_finite() && capacity > 0.0,
            "capacity must be above zero"
        );
        FifoServer {
            service: Duration::from_secs_f64(1.0 / capacity),
            next_free: Mutex::new(None),
        }
    }

    /// Time to serve one request (1 / capacity).
    #[must_use]
    pub fn service_time(&self) -> Duration {
        self.service
    }

    /// Queue a request now and wait until it is served; returns the time it
    /// waited in the queue.
    pub async fn serve(&self) -> Duration {
        let arrival = Instant::now();
        let done = {
            let mut next = self
                .next_free
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let start = next.map_or(arrival, |n| n.max(arrival));
            let done = start + self.service;
            *next = Some(done);
            done
        };
        tokio::time::sleep_until(done).await;
        done - self.service - arrival
    }
}

/// A stall: calls in flight during `[start, start + length)` (offsets from
/// `origin`) do not finish before the stall ends.
#[derive(Debug, Clone, Copy)]
pub struct Stall {
    origin: Instant,
    start: Duration,
    length: Duration,
}

impl Stall {
    /// A stall `length` long, `start` after `origin`.
    #[must_use]
    pub fn new(origin: std::time::Instant, start: Duration, length: Duration) -> Self {
        Stall {
            origin: Instant::from_std(origin),
            start,
            length,
        }
    }

    /// Do `work` long of work, stalled if the call is in flight during the
    /// stall: it then completes no earlier than the stall end.
    pub async fn work(&self, work: Duration) {
        let began = Instant::now();
        tokio::time::sleep(work).await;
        let stall_start = self.origin + self.start;
        let stall_end = stall_start + self.length;
        let now = Instant::now();
        if began < stall_end && now > stall_start && now < stall_end {
            tokio::time::sleep_until(stall_end).await;
        }
    }
}

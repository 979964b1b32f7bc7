//! The state every iteration of one run shares: where it records, what it
//! is called, and when it must stop.

use std::sync::atomic::AtomicU64;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::recording::shards::Shards;

/// State shared by every iteration of one run.
pub(crate) struct RunShared {
    pub(crate) t0: Instant,
    pub(crate) scenario: String,
    pub(crate) phase_names: Vec<String>,
    pub(crate) window_us: u64,
    pub(crate) windows_total: u64,
    pub(crate) seed: u64,
    pub(crate) shards: Shards,
    pub(crate) in_flight: AtomicU64,
    /// Open model: every iteration due at or before this offset (µs) is
    /// scheduled and counted; `u64::MAX` once the pacer is done.
    pub(crate) position_us: AtomicU64,
    /// Cancels iterations still in flight (interruption, hard stop).
    pub(crate) cancel: CancellationToken,
    pub(crate) iteration_timeout: Duration,
    pub(crate) drain_deadline: Instant,
}

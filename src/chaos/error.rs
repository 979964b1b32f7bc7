//! What can be wrong with a proxy or a fault, named before any traffic.

use std::net::SocketAddr;
use std::time::Duration;

/// Why a [`Proxy`](super::Proxy) could not start or a fault could not be
/// made. Every variant names the value that was wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChaosError {
    /// The proxy listens only on loopback: load and faults stay on this
    /// machine.
    #[error("the chaos proxy listens only on loopback (127.0.0.1 or ::1), not on {0}")]
    ListenNotLoopback(SocketAddr),
    /// The proxy forwards only to loopback targets.
    #[error("the chaos proxy forwards only to a loopback target (127.0.0.1 or ::1), not to {0}")]
    TargetNotLoopback(SocketAddr),
    /// A target on port 0 cannot be connected to.
    #[error("the chaos proxy's target {0} has port 0: name the port the target listens on")]
    TargetPortZero(SocketAddr),
    /// Binding the listening socket failed (port in use, ...).
    #[error("the chaos proxy could not listen on {addr}: {source}")]
    Bind {
        /// The address it tried.
        addr: SocketAddr,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// A bandwidth of 0 bytes per second would never forward anything: use
    /// [`Proxy::stall`](super::Proxy::stall) for that.
    #[error("a bandwidth limit must be at least 1 byte per second, not 0 (use stall() to hold all bytes)")]
    ZeroBandwidth,
    /// Slices of 0 bytes would never forward anything.
    #[error("a slice size must be at least 1 byte, not 0")]
    ZeroSliceSize,
    /// A jitter larger than its latency would need negative delays.
    #[error("a jitter of {jitter:?} is larger than its latency of {latency:?}: delays cannot be negative")]
    JitterExceedsLatency {
        /// The fault's latency.
        latency: Duration,
        /// The jitter asked for.
        jitter: Duration,
    },
    /// A delay too long to be a fault of a bounded run.
    #[error("{what} of {value:?} is longer than the longest allowed, {max:?}")]
    DurationTooLong {
        /// Which parameter (`latency`, `jitter`, `slice delay`).
        what: &'static str,
        /// The value given.
        value: Duration,
        /// The longest allowed ([`MAX_DELAY`](super::MAX_DELAY)).
        max: Duration,
    },
}

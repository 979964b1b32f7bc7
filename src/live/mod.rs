//! Live metrics while a run goes on: a Prometheus pull endpoint (feature
//! `prometheus`) and an OTLP/HTTP push exporter (feature `otlp`), both
//! [sinks](spike_core::sink) fed from the values the run records.
//!
//! Latency is exported as a histogram, never as percentile gauges: a
//! Prometheus native histogram / an OTLP exponential histogram at schema
//! (scale) 8, whose buckets grow by 2^(1/256) ≈ 0.27 %, filled from the same
//! HdrHistograms the report reads its percentiles from. Counts are exact:
//! the histogram's count is the report's completed iterations.
//!
//! Off by default. Enable with the builder ([`Scenario::sink`](crate::Scenario::sink)
//! with [`Prometheus`] or [`Otlp`]), or under `#[spike_test]` with the
//! environment: `SPIKE_PROMETHEUS=127.0.0.1:9464` (and
//! `SPIKE_PROMETHEUS_LINGER=<seconds>`), `SPIKE_OTLP_ENDPOINT=http://127.0.0.1:4318`
//! (and `SPIKE_OTLP_INTERVAL=<seconds>`). A bad value refuses the run
//! before any traffic. The guide's chapter 21 has the metric names, a
//! scrape config and queries.

mod env;
mod expo;
mod families;
mod state;

#[cfg(feature = "otlp")]
mod otlp;
#[cfg(feature = "otlp")]
mod otlp_encode;
#[cfg(feature = "prometheus")]
mod prom_encode;
#[cfg(feature = "prometheus")]
mod prom_proto;
#[cfg(feature = "prometheus")]
mod prometheus;
#[cfg(feature = "prometheus")]
mod serve;

pub use env::{
    from_env, register_env_sinks, EnvSinks, OTLP_ENDPOINT_VAR, OTLP_INTERVAL_VAR,
    PROMETHEUS_LINGER_VAR, PROMETHEUS_VAR,
};
pub use families::{
    IN_FLIGHT, ITERATIONS, ITERATION_ERRORS, ITERATION_LATENCY, REQUESTS, REQUEST_ERRORS,
    REQUEST_LATENCY, SCHEDULE_LAG, TARGET_RATE, TARGET_USERS,
};
#[cfg(feature = "otlp")]
pub use otlp::{Otlp, DEFAULT_INTERVAL};
#[cfg(feature = "prometheus")]
pub use prometheus::{Prometheus, DEFAULT_LINGER};

/// The exponential histograms' schema (Prometheus) and scale (OTLP).
pub const SCHEMA: i32 = expo::SCHEMA;

/// A live exporter's setting that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LiveError {
    /// The endpoint would listen beyond this machine.
    #[error("live metrics: {addr} is refused: spike listens on loopback only (127.0.0.1 or ::1)")]
    NotLoopback {
        /// The address asked for.
        addr: std::net::SocketAddr,
    },
    /// The address could not be listened on.
    #[error("live metrics: cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: std::net::SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The OTLP endpoint is not a usable `http://` URL on loopback.
    #[error("live metrics: OTLP endpoint {url:?} is refused: {reason}")]
    BadEndpoint {
        /// The endpoint as given (credentials redacted).
        url: String,
        /// Why.
        reason: &'static str,
    },
}

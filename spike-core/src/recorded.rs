//! The recorded values of a run as the aggregator merges them, for sinks
//! that export histograms ([`Sink::recorded`](crate::sink::Sink::recorded)).
//!
//! Every batch of iterations the run's totals take in passes through here
//! exactly once: each (window, phase) when its window closes, and
//! iterations recorded after their window closed as late batches. So the
//! sum of the batches is what the report's run totals hold: the same
//! counts, and the same HdrHistogram values its percentiles are read from.

use std::collections::BTreeMap;

use hdrhistogram::Histogram;

/// What one (window, phase) recorded, or a late part of it.
#[derive(Debug)]
#[non_exhaustive]
pub struct Recorded<'a> {
    /// Window of the iterations' intended start.
    pub window: u64,
    /// Phase of the iterations' intended start.
    pub phase: &'a str,
    /// Iterations that finished after their window had closed (the report
    /// counts them in the phase and the run, not in the window).
    pub late: bool,
    /// Iterations that finished (success or error).
    pub completed: u64,
    /// Of those, errors.
    pub errors: u64,
    /// Errors by class key (as [`crate::Stats::errors_by_class`]).
    pub errors_by_class: &'a BTreeMap<String, u64>,
    /// Latency in µs from the intended start (corrected for coordinated
    /// omission: what the report's percentiles read); `None` when nothing
    /// finished.
    pub latency: Option<&'a Histogram<u64>>,
    /// Schedule lag in µs (actual minus intended start); `None` when
    /// nothing finished.
    pub schedule_lag: Option<&'a Histogram<u64>>,
    /// Named requests (`ctx.request(..)`), in name order.
    pub requests: Vec<RecordedRequest<'a>>,
}

/// What one named request recorded in a [`Recorded`] batch.
#[derive(Debug)]
#[non_exhaustive]
pub struct RecordedRequest<'a> {
    /// The request's name.
    pub name: &'a str,
    /// Requests made.
    pub count: u64,
    /// Of those, errors.
    pub errors: u64,
    /// Errors by class key.
    pub errors_by_class: &'a BTreeMap<String, u64>,
    /// Latency in µs.
    pub latency: &'a Histogram<u64>,
}

/// A recorded-batch observer (built from the sinks of a run).
pub type RecordedFn = Box<dyn FnMut(&Recorded<'_>) + Send>;

//! The histograms a run keeps beside the latency ones, so that the outputs
//! of shards merge exactly (see [`crate::merge`]).

use std::time::Duration;

/// What a [`DetailHistogram`] measures.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HistogramKind {
    /// Service time (completion − actual start) of the iterations, µs,
    /// 3 significant digits.
    Service,
    /// Schedule lag (actual start − intended start) of the iterations, µs,
    /// 3 significant digits.
    Lag,
    /// Latency of one named request (`Stats::requests`), µs, 3 significant
    /// digits.
    Request(String),
    /// One duration recorded with `ctx.record` (`Stats::metrics`), µs,
    /// 2 significant digits.
    Metric(String),
    /// Latency of the iterations carrying one tag value (`Stats::tags`),
    /// µs, 2 significant digits.
    Tag {
        /// Tag key.
        key: String,
        /// Tag value.
        value: String,
    },
}

impl HistogramKind {
    /// Significant digits of the histograms of this kind (the engine's
    /// configuration; every kind tracks 1 µs to 60 s).
    #[must_use]
    pub fn significant_digits(&self) -> u8 {
        match self {
            HistogramKind::Service | HistogramKind::Lag | HistogramKind::Request(_) => {
                crate::recording::histogram::SIGNIFICANT_DIGITS
            }
            HistogramKind::Metric(_) | HistogramKind::Tag { .. } => 2,
        }
    }
}

/// One histogram of one (window, phase) pair other than the iterations'
/// latency (which is in [`IntervalHistogram`](super::IntervalHistogram)),
/// kept V2 + DEFLATE encoded like it. The phase is the one the iterations
/// were due in, as for the latency histograms, so a phase's numbers are the
/// sum of its pairs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetailHistogram {
    /// Window number from the run start.
    pub window: u64,
    /// Window start offset.
    pub start: Duration,
    /// Window end offset.
    pub end: Duration,
    /// Phase the iterations were due in.
    pub phase: String,
    /// What the histogram measures.
    pub kind: HistogramKind,
    /// The histogram (µs), V2 + DEFLATE encoded.
    pub encoded: Vec<u8>,
}

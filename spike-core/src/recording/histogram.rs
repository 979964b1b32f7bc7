//! HdrHistogram templates and the percentile summary the report keeps.

use std::time::Duration;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// Highest value the latency histograms track, in microseconds (60 s);
/// larger values are clamped to it and counted as out of range.
pub const HIGHEST_TRACKABLE_US: u64 = 60_000_000;

/// Significant digits kept by latency histograms.
pub const SIGNIFICANT_DIGITS: u8 = 3;

/// A fresh latency histogram: microseconds, 1 µs to 60 s, 3 significant digits.
#[must_use]
pub fn new_latency_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, HIGHEST_TRACKABLE_US, SIGNIFICANT_DIGITS)
        .expect("static histogram bounds are valid")
}

/// A smaller histogram (2 significant digits) for per-tag latency.
pub(crate) fn new_tag_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, HIGHEST_TRACKABLE_US, 2)
        .expect("static histogram bounds are valid")
}

/// Duration to whole microseconds, saturating.
pub(crate) fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// Percentile summary of one histogram, in microseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Percentiles {
    /// Samples recorded.
    pub count: u64,
    /// Smallest value.
    pub min_us: u64,
    /// Mean value.
    pub mean_us: f64,
    /// Median.
    pub p50_us: u64,
    /// 90th percentile.
    pub p90_us: u64,
    /// 95th percentile.
    pub p95_us: u64,
    /// 99th percentile.
    pub p99_us: u64,
    /// 99.9th percentile.
    pub p999_us: u64,
    /// Largest value.
    pub max_us: u64,
}

impl Percentiles {
    /// Summarise a histogram (all zeros when it is empty).
    #[must_use]
    pub fn of(h: &Histogram<u64>) -> Self {
        if h.is_empty() {
            return Percentiles::default();
        }
        Percentiles {
            count: h.len(),
            min_us: h.min(),
            mean_us: h.mean(),
            p50_us: h.value_at_quantile(0.50),
            p90_us: h.value_at_quantile(0.90),
            p95_us: h.value_at_quantile(0.95),
            p99_us: h.value_at_quantile(0.99),
            p999_us: h.value_at_quantile(0.999),
            max_us: h.max(),
        }
    }

    /// The value at a named percentile (50, 90, 95, 99, 99.9, 100 = max).
    #[must_use]
    pub fn at(&self, percentile: Quantile) -> Duration {
        Duration::from_micros(match percentile {
            Quantile::P50 => self.p50_us,
            Quantile::P90 => self.p90_us,
            Quantile::P95 => self.p95_us,
            Quantile::P99 => self.p99_us,
            Quantile::P999 => self.p999_us,
            Quantile::Max => self.max_us,
        })
    }

    /// Median as a duration.
    #[must_use]
    pub fn p50(&self) -> Duration {
        self.at(Quantile::P50)
    }

    /// 90th percentile as a duration.
    #[must_use]
    pub fn p90(&self) -> Duration {
        self.at(Quantile::P90)
    }

    /// 95th percentile as a duration.
    #[must_use]
    pub fn p95(&self) -> Duration {
        self.at(Quantile::P95)
    }

    /// 99th percentile as a duration.
    #[must_use]
    pub fn p99(&self) -> Duration {
        self.at(Quantile::P99)
    }

    /// Largest value as a duration.
    #[must_use]
    pub fn max(&self) -> Duration {
        self.at(Quantile::Max)
    }
}

/// The percentiles a report keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Quantile {
    /// 50th percentile.
    P50,
    /// 90th percentile.
    P90,
    /// 95th percentile.
    P95,
    /// 99th percentile.
    P99,
    /// 99.9th percentile.
    P999,
    /// The maximum.
    Max,
}

impl std::fmt::Display for Quantile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Quantile::P50 => "p50",
            Quantile::P90 => "p90",
            Quantile::P95 => "p95",
            Quantile::P99 => "p99",
            Quantile::P999 => "p99.9",
            Quantile::Max => "max",
        })
    }
}

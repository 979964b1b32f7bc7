//! Exponential (base-2) histograms filled from HdrHistograms: the shape of
//! both a Prometheus native histogram and an OTLP exponential histogram.
//!
//! At schema (OTLP: scale) `s` the buckets grow by `2^(2^-s)`; bucket `i`
//! holds the values in `(2^((i-1)/2^s), 2^(i/2^s)]` (Prometheus's index;
//! OTLP's index of the same bucket is `i - 1`). Each recorded HdrHistogram
//! bucket is filed under its highest equivalent value (what
//! `value_at_quantile`, and so the report's percentiles, return), so every
//! count lands in exactly one exponential bucket and the counts add up.

use std::collections::BTreeMap;

use hdrhistogram::Histogram;

/// The schema: buckets grow by `2^(1/256)` ≈ 0.27 % (8 is the finest
/// Prometheus and OTLP accept), so a quantile read from them is within
/// 0.3 % of the recorded value.
pub(crate) const SCHEMA: i32 = 8;

/// Values at or below this many seconds count in the zero bucket (a
/// recorded 0 µs): below the HdrHistograms' 1 µs resolution.
pub(crate) const ZERO_THRESHOLD: f64 = 1e-7;

/// A cumulative exponential histogram of durations in seconds.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Expo {
    /// Values counted.
    pub(crate) count: u64,
    /// Their sum, seconds.
    pub(crate) sum: f64,
    /// Values in the zero bucket.
    pub(crate) zero: u64,
    /// Count by bucket index (Prometheus's), only non-empty buckets.
    pub(crate) buckets: BTreeMap<i32, u64>,
}

/// The bucket (Prometheus index) of `seconds` > 0 at [`SCHEMA`].
pub(crate) fn bucket_of(seconds: f64) -> i32 {
    let scaled = seconds.log2() * f64::from(1 << SCHEMA);
    // The index is ceil(log2(v) * 2^s); a value on a bucket's upper bound
    // belongs to it (rounding may put `scaled` a hair above the integer).
    let mut index = scaled.ceil();
    if (index - 1.0 - scaled).abs() < 1e-9 {
        index -= 1.0;
    }
    // Durations from 1 µs to 60 s: far inside i32 at schema 8.
    index as i32
}

/// Upper bound of bucket `index` at [`SCHEMA`], seconds.
#[cfg_attr(not(feature = "prometheus"), allow(dead_code))]
pub(crate) fn upper_bound(index: i32) -> f64 {
    (f64::from(index) / f64::from(1 << SCHEMA)).exp2()
}

impl Expo {
    /// Add every value of `micros` (an HdrHistogram of µs).
    pub(crate) fn add_micros(&mut self, micros: &Histogram<u64>) {
        for v in micros.iter_recorded() {
            let n = v.count_at_value();
            let us = micros.highest_equivalent(v.value_iterated_to());
            let seconds = us as f64 / 1e6;
            self.count += n;
            self.sum += seconds * n as f64;
            if seconds <= ZERO_THRESHOLD {
                self.zero += n;
            } else {
                *self.buckets.entry(bucket_of(seconds)).or_insert(0) += n;
            }
        }
    }

    /// The non-empty buckets as runs of adjacent indexes: (first index,
    /// counts), in index order.
    #[cfg_attr(not(feature = "prometheus"), allow(dead_code))]
    pub(crate) fn runs(&self) -> Vec<(i32, Vec<u64>)> {
        let mut runs: Vec<(i32, Vec<u64>)> = Vec::new();
        let mut next = None;
        for (&i, &n) in &self.buckets {
            match runs.last_mut() {
                Some((_, counts)) if next == Some(i) => counts.push(n),
                _ => runs.push((i, vec![n])),
            }
            next = Some(i + 1);
        }
        runs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_value_lands_in_the_bucket_whose_bounds_hold_it() {
        for us in [1_u64, 2, 3, 999, 1_000, 1_001, 4_096, 12_345, 59_999_999] {
            let s = us as f64 / 1e6;
            let i = bucket_of(s);
            assert!(
                upper_bound(i - 1) < s && s <= upper_bound(i) * (1.0 + 1e-12),
                "{us}"
            );
        }
        // Powers of two sit on an upper bound: 2^-10 s is the top of bucket -2560.
        assert_eq!(bucket_of((-10.0_f64).exp2()), -10 * 256);
    }

    #[test]
    fn counts_add_up_and_runs_join_adjacent_buckets() {
        let mut h = crate::new_latency_histogram();
        for us in [0_u64, 1_000, 1_000, 1_001, 1_003, 50_000] {
            h.record(us).unwrap();
        }
        let mut e = Expo::default();
        e.add_micros(&h);
        assert_eq!(e.count, 6);
        assert_eq!(e.zero, 1);
        assert_eq!(e.buckets.values().sum::<u64>(), 5);
        let runs = e.runs();
        let total: u64 = runs.iter().flat_map(|(_, c)| c).sum();
        assert_eq!(total, 5);
        // 1000 to 1003 µs fill two adjacent buckets (0.27 % wide): one run;
        // 50 ms is far away: a second one.
        assert_eq!(runs.len(), 2, "{runs:?}");
        assert_eq!(runs[0].1, vec![2, 2]);
        let top_50ms = h.highest_equivalent(50_000) as f64 / 1e6;
        assert!(top_50ms > 0.05);
        let expected = 0.002 + 0.001_001 + 0.001_003 + top_50ms;
        assert!((e.sum - expected).abs() < 1e-12, "{} vs {expected}", e.sum);
    }
}

//! Soak verdicts, pure functions over a series: memory growth and leak
//! (a robust slope of a resource series), and latency drift (a robust
//! slope of window p95), each over the windows after a warm-up.
//!
//! * **Growth** is the last sample minus the first (what the process
//!   gained over the judged span, whatever the shape of the curve).
//! * **Slope** is the Theil–Sen slope with Sen's 95 % band
//!   ([`theil_sen`]). A steady leak tilts every pair slope the same way
//!   and the band stays narrow around it; a sawtooth (an allocator
//!   returning memory, a GC cycle) spreads the pair slopes on both sides of
//!   zero, which widens the band across zero instead of tilting it.
//! * **Leaking** means the band's *lower* end, carried over the judged
//!   span, still exceeds the floor ([`SoakCriteria::leak_floor_bytes`],
//!   10 MB by default): the series grows by more than the floor with 95 %
//!   confidence. A sawtooth whose period is longer than about a third of
//!   the judged span cannot be told from a leak by any slope: soak long
//!   enough to see several of its periods.
//! * **Drift** is the p95 slope carried over the span, relative to the
//!   warm level (the Theil–Sen line's value at the first judged window:
//!   the median of `p95 − slope × (t − t₀)` over every judged window, so
//!   the whole series, not a few noisy windows, sets it): `+12 %` means
//!   p95 ends about 12 % above where it started.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::slope::{median, theil_sen, Slope};
use super::units::fmt_bytes;
use crate::report::Report;

/// Fewest samples after the warm-up a verdict is given on.
pub const MIN_SOAK_SAMPLES: usize = 5;

/// Default warm-up: the windows starting in the first 5 s are not judged.
pub const DEFAULT_WARM_UP: Duration = Duration::from_secs(5);

/// Default leak floor: a series is leaking when it grows by more than
/// 10 MB over the judged span with 95 % confidence.
pub const DEFAULT_LEAK_FLOOR_BYTES: u64 = 10_000_000;

/// How soak verdicts are reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SoakCriteria {
    /// Windows starting before this offset are not judged (default 5 s).
    pub warm_up: Duration,
    /// Growth over the judged span, at the lower end of the slope's 95 %
    /// band, above which a series counts as leaking (default 10 MB).
    pub leak_floor_bytes: u64,
}

impl Default for SoakCriteria {
    fn default() -> Self {
        SoakCriteria {
            warm_up: DEFAULT_WARM_UP,
            leak_floor_bytes: DEFAULT_LEAK_FLOOR_BYTES,
        }
    }
}

/// Why no verdict could be given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NotJudged {
    /// The report has no samples of this series.
    #[error("no resource series `{series}` in the report ({})", available_list(.available))]
    NoSeries {
        /// The series asked for.
        series: String,
        /// The series the report has.
        available: Vec<String>,
    },
    /// Too few samples after the warm-up.
    #[error("{what}: {samples} samples after the {warm_up:?} warm-up, at least {needed} needed (a longer run or a shorter warm-up)")]
    TooFew {
        /// The series (or `latency p95`).
        what: String,
        /// Samples there were.
        samples: usize,
        /// Samples needed ([`MIN_SOAK_SAMPLES`]).
        needed: usize,
        /// The warm-up in force.
        warm_up: Duration,
    },
}

fn available_list(names: &[String]) -> String {
    if names.is_empty() {
        "it has none: sample with `Scenario::sample_resources`".to_owned()
    } else {
        format!("it has: {}", names.join(", "))
    }
}

/// The memory verdict on one series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemoryVerdict {
    /// The series judged.
    pub series: String,
    /// Samples judged (windows after the warm-up that have one).
    pub samples: usize,
    /// Windows after the warm-up without a sample (the process was gone).
    pub gaps: usize,
    /// Time of the first judged sample, seconds from the run start.
    pub from_s: f64,
    /// Time of the last judged sample.
    pub to_s: f64,
    /// First judged sample, bytes.
    pub first_bytes: f64,
    /// Last judged sample, bytes.
    pub last_bytes: f64,
    /// Largest judged sample, bytes.
    pub peak_bytes: f64,
    /// `last − first`, bytes (negative when it shrank).
    pub growth_bytes: f64,
    /// Theil–Sen slope, bytes per second, with its 95 % band.
    pub slope: Slope,
    /// The floor in force, bytes over the judged span.
    pub leak_floor_bytes: u64,
    /// Whether the band's lower end × span exceeds the floor.
    pub leaking: bool,
}

impl MemoryVerdict {
    /// Length of the judged span, seconds.
    #[must_use]
    pub fn span_s(&self) -> f64 {
        self.to_s - self.from_s
    }

    /// The slope and its band as growth over the judged span, bytes:
    /// `(estimate, low, high)`.
    #[must_use]
    pub fn trend_bytes(&self) -> (f64, f64, f64) {
        let s = self.span_s();
        (
            self.slope.estimate * s,
            self.slope.low * s,
            self.slope.high * s,
        )
    }
}

impl std::fmt::Display for MemoryVerdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`{}`: {} → {} (growth {}) over {:.0}s, slope {}/s [95% band {}/s … {}/s]{}",
            self.series,
            fmt_bytes(self.first_bytes),
            fmt_bytes(self.last_bytes),
            fmt_bytes(self.growth_bytes),
            self.span_s(),
            fmt_bytes(self.slope.estimate),
            fmt_bytes(self.slope.low),
            fmt_bytes(self.slope.high),
            if self.leaking { ", leaking" } else { "" }
        )
    }
}

/// The memory verdict on `points` (seconds, bytes), already past the
/// warm-up, in time order.
///
/// # Errors
/// [`NotJudged::TooFew`] with fewer than [`MIN_SOAK_SAMPLES`] points.
///
/// ```
/// use spike_core::soak::{judge_memory, SoakCriteria};
/// // 2 MB/s for 20 s, with a ±1 MB wobble: leaking.
/// let pts: Vec<(f64, f64)> = (0..20)
///     .map(|t| (t as f64, 50e6 + 2e6 * t as f64 + if t % 2 == 0 { 1e6 } else { -1e6 }))
///     .collect();
/// let v = judge_memory("svc", &pts, 0, SoakCriteria::default()).unwrap();
/// assert!(v.leaking);
/// assert!((v.slope.estimate - 2e6).abs() < 0.3e6);
/// ```
pub fn judge_memory(
    series: &str,
    points: &[(f64, f64)],
    gaps: usize,
    criteria: SoakCriteria,
) -> Result<MemoryVerdict, NotJudged> {
    let too_few = || NotJudged::TooFew {
        what: format!("`{series}`"),
        samples: points.len(),
        needed: MIN_SOAK_SAMPLES,
        warm_up: criteria.warm_up,
    };
    if points.len() < MIN_SOAK_SAMPLES {
        return Err(too_few());
    }
    let slope = theil_sen(points).ok_or_else(too_few)?;
    let (first, last) = (points[0], points[points.len() - 1]);
    let span = last.0 - first.0;
    Ok(MemoryVerdict {
        series: series.to_owned(),
        samples: points.len(),
        gaps,
        from_s: first.0,
        to_s: last.0,
        first_bytes: first.1,
        last_bytes: last.1,
        peak_bytes: points.iter().map(|p| p.1).fold(f64::MIN, f64::max),
        growth_bytes: last.1 - first.1,
        slope,
        leak_floor_bytes: criteria.leak_floor_bytes,
        leaking: slope.low * span > criteria.leak_floor_bytes as f64,
    })
}

/// The samples of `series` after the warm-up, as (window end in seconds,
/// bytes), and the number of judged windows without one (gaps).
#[must_use]
pub fn memory_points(report: &Report, series: &str, warm_up: Duration) -> (Vec<(f64, f64)>, usize) {
    let mut gaps = 0;
    let points = report
        .windows
        .iter()
        .filter(|w| w.start >= warm_up)
        .filter_map(|w| {
            let s = w.resources.get(series);
            gaps += usize::from(s.is_none());
            s.map(|s| (w.end.as_secs_f64(), s.rss_bytes as f64))
        })
        .collect();
    (points, gaps)
}

/// The names of the resource series sampled in `report`.
#[must_use]
pub fn series_names(report: &Report) -> Vec<String> {
    let mut names: Vec<String> = report
        .windows
        .iter()
        .flat_map(|w| w.resources.keys().cloned())
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// The memory verdict on the series `series` of `report`.
///
/// # Errors
/// [`NotJudged::NoSeries`] when the report never sampled it,
/// [`NotJudged::TooFew`] with too few samples after the warm-up.
pub fn memory_verdict(
    report: &Report,
    series: &str,
    criteria: SoakCriteria,
) -> Result<MemoryVerdict, NotJudged> {
    let available = series_names(report);
    if !available.iter().any(|s| s == series) {
        return Err(NotJudged::NoSeries {
            series: series.to_owned(),
            available,
        });
    }
    let (points, gaps) = memory_points(report, series, criteria.warm_up);
    judge_memory(series, &points, gaps, criteria)
}

/// The latency-drift verdict: window p95 over the judged windows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftVerdict {
    /// Windows judged (after the warm-up, with at least one completion).
    pub samples: usize,
    /// Length of the judged span, seconds (first to last window middle).
    pub span_s: f64,
    /// Warm level: the fitted p95 at the first judged window (the median
    /// of `p95 − slope × (t − t₀)`), µs.
    pub warm_p95_us: f64,
    /// Theil–Sen slope of p95, µs per second, with its 95 % band.
    pub slope: Slope,
    /// Drift over the span relative to the warm level, as a fraction
    /// (`slope × span / warm`): 0.12 = p95 ends 12 % above where it began.
    pub drift: f64,
    /// The band's lower end, as the same fraction.
    pub drift_low: f64,
    /// The band's upper end, as the same fraction.
    pub drift_high: f64,
}

impl std::fmt::Display for DriftVerdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "p95 drift {:+.1}% [95% band {:+.1}% … {:+.1}%] over {:.0}s from a warm p95 of {}",
            self.drift * 100.0,
            self.drift_low * 100.0,
            self.drift_high * 100.0,
            self.span_s,
            crate::fmt::duration_us(self.warm_p95_us.round() as u64)
        )
    }
}

/// The drift verdict on `points` (seconds, p95 in µs) past the warm-up,
/// in time order.
///
/// # Errors
/// [`NotJudged::TooFew`] with fewer than [`MIN_SOAK_SAMPLES`] points.
///
/// ```
/// use spike_core::soak::judge_drift;
/// // p95 from 10 ms rising 0.1 ms/s over 30 s: +30 %.
/// let pts: Vec<(f64, f64)> = (0..=30).map(|t| (t as f64, 10_000.0 + 100.0 * t as f64)).collect();
/// let d = judge_drift(&pts, std::time::Duration::ZERO).unwrap();
/// assert!((d.drift - 0.30).abs() < 1e-9, "{d}");
/// ```
pub fn judge_drift(points: &[(f64, f64)], warm_up: Duration) -> Result<DriftVerdict, NotJudged> {
    let too_few = || NotJudged::TooFew {
        what: "latency p95".to_owned(),
        samples: points.len(),
        needed: MIN_SOAK_SAMPLES,
        warm_up,
    };
    if points.len() < MIN_SOAK_SAMPLES {
        return Err(too_few());
    }
    let slope = theil_sen(points).ok_or_else(too_few)?;
    let t0 = points[0].0;
    let level: Vec<f64> = points
        .iter()
        .map(|&(t, y)| y - slope.estimate * (t - t0))
        .collect();
    // A warm p95 of 0 µs (no latency to speak of) is taken as 1 µs.
    let warm = median(&level).unwrap_or(1.0).max(1.0);
    let span = points[points.len() - 1].0 - t0;
    Ok(DriftVerdict {
        samples: points.len(),
        span_s: span,
        warm_p95_us: warm,
        slope,
        drift: slope.estimate * span / warm,
        drift_low: slope.low * span / warm,
        drift_high: slope.high * span / warm,
    })
}

/// The drift verdict on `report`'s windows after the warm-up.
///
/// # Errors
/// [`NotJudged::TooFew`] with too few windows with completions after the
/// warm-up.
pub fn drift_verdict(report: &Report, warm_up: Duration) -> Result<DriftVerdict, NotJudged> {
    let points: Vec<(f64, f64)> = report
        .windows
        .iter()
        .filter(|w| w.start >= warm_up && w.stats.latency.count > 0)
        .map(|w| {
            (
                (w.start + w.span() / 2).as_secs_f64(),
                w.stats.latency.p95_us as f64,
            )
        })
        .collect();
    judge_drift(&points, warm_up)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(n: usize, slope: f64) -> Vec<(f64, f64)> {
        (0..n).map(|t| (t as f64, 1e8 + slope * t as f64)).collect()
    }

    #[test]
    fn growth_is_last_minus_first_and_a_line_is_judged_exactly() {
        let v = judge_memory("s", &line(11, 3e6), 2, SoakCriteria::default()).unwrap();
        assert_eq!(v.growth_bytes, 30e6);
        assert_eq!(v.slope.estimate, 3e6);
        assert_eq!(v.trend_bytes().0, 30e6);
        assert_eq!((v.gaps, v.samples, v.span_s()), (2, 11, 10.0));
        assert!(v.leaking);
        assert_eq!(v.peak_bytes, 1e8 + 30e6);
    }

    #[test]
    fn the_floor_is_growth_over_the_span_at_the_band_low_end() {
        // 1 MB/s over 10 s = 10 MB: not above a 10 MB floor, above 9.9 MB.
        let c = SoakCriteria {
            leak_floor_bytes: 10_000_000,
            ..SoakCriteria::default()
        };
        assert!(!judge_memory("s", &line(11, 1e6), 0, c).unwrap().leaking);
        let c = SoakCriteria {
            leak_floor_bytes: 9_900_000,
            ..c
        };
        assert!(judge_memory("s", &line(11, 1e6), 0, c).unwrap().leaking);
    }

    #[test]
    fn a_pure_sawtooth_is_not_a_leak() {
        // ±20 MB, period 4 s, 40 samples: no growth.
        let pts: Vec<(f64, f64)> = (0..40)
            .map(|t| (t as f64, 1e8 - 20e6 + 40e6 * ((t % 4) as f64 / 4.0)))
            .collect();
        let v = judge_memory("s", &pts, 0, SoakCriteria::default()).unwrap();
        assert!(!v.leaking, "{v}");
        assert!(v.slope.low <= 0.0 && v.slope.high > 0.0, "{v}");
    }

    #[test]
    fn too_few_samples_are_not_judged() {
        let e = judge_memory("s", &line(4, 1.0), 0, SoakCriteria::default()).unwrap_err();
        assert!(e.to_string().contains("4 samples"), "{e}");
        assert!(judge_drift(&line(2, 1.0), Duration::ZERO).is_err());
    }

    #[test]
    fn flat_latency_has_no_drift_and_a_step_up_does() {
        let flat: Vec<(f64, f64)> = (0..30).map(|t| (t as f64, 5_000.0)).collect();
        assert_eq!(judge_drift(&flat, Duration::ZERO).unwrap().drift, 0.0);
        let rising: Vec<(f64, f64)> = (0..=20)
            .map(|t| (t as f64, 5_000.0 + 50.0 * t as f64))
            .collect();
        let d = judge_drift(&rising, Duration::ZERO).unwrap();
        // warm = the line at t = 0, 5_000 µs; 50 µs/s × 20 s / 5_000 µs = 20 %.
        assert!((d.drift - 0.2).abs() < 1e-12, "{d}");
        assert_eq!(d.warm_p95_us, 5_000.0);
    }
}

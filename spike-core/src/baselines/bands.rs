//! Bands: how much a metric may move between a baseline and a run before
//! the gate calls it a change rather than noise.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::fmt::duration_us;

/// A band for a metric measured in time: a change is significant only when
/// it exceeds *both* the relative and the absolute part, so a 1 ms baseline
/// does not flap on timer noise and a 2 s baseline does not flap on 5 ms.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TimeBand {
    /// Relative part, as a fraction of the baseline (0.5 = 50%).
    pub relative: f64,
    /// Absolute part.
    #[serde(with = "crate::serde_micros")]
    pub absolute: Duration,
}

impl TimeBand {
    /// A band of `relative` (fraction) and `absolute`.
    #[must_use]
    pub const fn new(relative: f64, absolute: Duration) -> Self {
        TimeBand { relative, absolute }
    }

    /// Whether `diff` (from `base`) is beyond both parts of the band.
    pub(crate) fn exceeded(self, base: f64, diff: f64, absolute_us: f64) -> bool {
        diff.abs() > base * self.relative && diff.abs() > absolute_us
    }

    /// The band as the comparison table shows it: `±50% and ±5.0ms`.
    pub(crate) fn describe(self, absolute_us: u64) -> String {
        format!(
            "±{:.0}% and ±{}",
            self.relative * 100.0,
            duration_us(absolute_us)
        )
    }
}

/// Tolerance bands of the regression gate, one per metric.
///
/// ```
/// use spike_core::baseline::Bands;
/// use spike_core::{ms, pct};
/// let strict = Bands::default().p99(pct(20), ms(2)).error_rate(pct(0.5));
/// assert_eq!(strict.p99.relative, 0.2);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Bands {
    /// Whole-run latency p50 (default ±50% and ±5 ms).
    pub p50: TimeBand,
    /// Whole-run latency p95 (default ±50% and ±5 ms).
    pub p95: TimeBand,
    /// Whole-run latency p99 (default ±50% and ±5 ms).
    pub p99: TimeBand,
    /// Whole-run error rate, absolute, as a fraction (default 0.01 = ±1
    /// percentage point).
    pub error_rate: f64,
    /// Whole-run throughput (successes per second), relative (default 0.10 =
    /// ±10%).
    pub throughput: f64,
    /// Recovery time (default ±50% and ±0 s, with at least
    /// `recovery_windows` windows). A run that did not recover counts as
    /// having taken (at least) the whole recover phase.
    pub recovery_time: TimeBand,
    /// Recovery time is measured in whole windows: its absolute band is at
    /// least this many windows of the baseline run (default 5).
    pub recovery_windows: u32,
    /// Machine noise allowance: the absolute part of the latency bands
    /// grows by this many times the larger schedule-lag p99 of the two
    /// runs, that lag capped at [`Bands::noise_cap`] (default 2). Schedule
    /// lag is delay the generator itself suffered (a busy machine, a
    /// starved runtime), which also lands in the latencies without being
    /// the service's doing.
    pub lag_allowance: f64,
    /// The most schedule lag the noise allowance counts (default 25 ms, the
    /// default lag budget): a run lagging more is inconclusive anyway, and
    /// its own lag must not widen the band it is judged by.
    #[serde(with = "crate::serde_micros", default = "default_noise_cap")]
    pub noise_cap: Duration,
    /// Whether the gate accepts a run (or baseline) that is not conclusive
    /// (default `false`: such a comparison fails as inconclusive). Not a
    /// band, but a per-test setting of the gate like the bands.
    #[serde(default)]
    pub allow_inconclusive: bool,
}

fn default_noise_cap() -> Duration {
    DEFAULT_NOISE_CAP
}

/// Default [`Bands::noise_cap`]: the default schedule-lag budget.
pub const DEFAULT_NOISE_CAP: Duration = crate::scenario::DEFAULT_LAG_BUDGET;

/// Default latency band (p50, p95, p99).
pub const DEFAULT_LATENCY_BAND: TimeBand = TimeBand::new(0.5, Duration::from_millis(5));

impl Default for Bands {
    fn default() -> Self {
        Bands {
            p50: DEFAULT_LATENCY_BAND,
            p95: DEFAULT_LATENCY_BAND,
            p99: DEFAULT_LATENCY_BAND,
            error_rate: 0.01,
            throughput: 0.10,
            recovery_time: TimeBand::new(0.5, Duration::ZERO),
            recovery_windows: 5,
            lag_allowance: 2.0,
            noise_cap: DEFAULT_NOISE_CAP,
            allow_inconclusive: false,
        }
    }
}

impl Bands {
    /// Set the p50, p95 and p99 bands at once.
    #[must_use]
    pub fn latency(self, relative: crate::Percent, absolute: Duration) -> Self {
        let band = TimeBand::new(relative.fraction(), absolute);
        Bands {
            p50: band,
            p95: band,
            p99: band,
            ..self
        }
    }

    /// Set the p50 band.
    #[must_use]
    pub fn p50(mut self, relative: crate::Percent, absolute: Duration) -> Self {
        self.p50 = TimeBand::new(relative.fraction(), absolute);
        self
    }

    /// Set the p95 band.
    #[must_use]
    pub fn p95(mut self, relative: crate::Percent, absolute: Duration) -> Self {
        self.p95 = TimeBand::new(relative.fraction(), absolute);
        self
    }

    /// Set the p99 band.
    #[must_use]
    pub fn p99(mut self, relative: crate::Percent, absolute: Duration) -> Self {
        self.p99 = TimeBand::new(relative.fraction(), absolute);
        self
    }

    /// Set the error-rate band (absolute: `pct(1)` is ±1 percentage point).
    #[must_use]
    pub fn error_rate(mut self, absolute: crate::Percent) -> Self {
        self.error_rate = absolute.fraction();
        self
    }

    /// Set the throughput band (relative).
    #[must_use]
    pub fn throughput(mut self, relative: crate::Percent) -> Self {
        self.throughput = relative.fraction();
        self
    }

    /// Set the machine-noise allowance (see [`Bands::lag_allowance`]; 0
    /// turns it off).
    #[must_use]
    pub fn lag_allowance(mut self, factor: f64) -> Self {
        self.lag_allowance = factor;
        self
    }

    /// Set the cap of the schedule lag the noise allowance counts (see
    /// [`Bands::noise_cap`]).
    #[must_use]
    pub fn noise_cap(mut self, cap: Duration) -> Self {
        self.noise_cap = cap;
        self
    }

    /// Let the gate accept an inconclusive run or baseline (see
    /// [`Bands::allow_inconclusive`]); its reasons are still shown.
    #[must_use]
    pub fn allow_inconclusive(mut self, allow: bool) -> Self {
        self.allow_inconclusive = allow;
        self
    }

    /// Set the recovery-time band (relative part, absolute part; the
    /// absolute part is at least `recovery_windows` windows).
    #[must_use]
    pub fn recovery_time(mut self, relative: crate::Percent, absolute: Duration) -> Self {
        self.recovery_time = TimeBand::new(relative.fraction(), absolute);
        self
    }
}

//! Recovery time: how long after the spike the service was healthy again.
//!
//! * Reference: the stats of the reference phase (the one marked
//!   `.reference()`, else the last `hold` before the first `burst`).
//! * Spike end: the start of the first `recover` phase after a burst.
//! * A window is healthy when its latency p95 ≤ max(reference p95 × (1 +
//!   tolerance), reference p95 + slack) and its error rate ≤ reference error
//!   rate + epsilon. A window with no completed iteration is not healthy
//!   (nothing shows it is).
//! * Recovery time: from spike end to the start of the first run of healthy
//!   windows that lasts at least `sustain` windows and is not broken by an
//!   unhealthy window later in the recover phase. Only windows lying wholly
//!   inside the recover phase count. `None`: the service did not recover
//!   inside the recover phase.
//!
//! Recovery from a fault (DESIGN §12) uses the same criteria and the same
//! algorithm: see [`FaultRecovery`] for its definition.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::report::window::WindowStats;

/// What "healthy again" means; every field is documented with its default.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RecoveryCriteria {
    /// Relative headroom over the reference p95 (default 0.25 = +25%).
    pub tolerance: f64,
    /// Absolute headroom over the reference p95, for fast references where a
    /// relative band is narrower than timer noise (default 10 ms).
    #[serde(with = "crate::serde_micros")]
    pub slack: Duration,
    /// Error-rate headroom over the reference error rate (default 0.01 = 1
    /// percentage point).
    pub epsilon: f64,
    /// How many consecutive healthy windows make a recovery (default 3).
    pub sustain: u32,
}

impl Default for RecoveryCriteria {
    fn default() -> Self {
        RecoveryCriteria {
            tolerance: 0.25,
            slack: Duration::from_millis(10),
            epsilon: 0.01,
            sustain: 3,
        }
    }
}

/// The recovery measured in a run, with everything needed to check it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recovery {
    /// The criteria used.
    pub criteria: RecoveryCriteria,
    /// Name of the reference phase (read also from `baseline_phase`, its
    /// name in reports written before 0.2).
    #[serde(alias = "baseline_phase")]
    pub reference_phase: String,
    /// Reference latency p95, µs.
    #[serde(alias = "baseline_p95_us")]
    pub reference_p95_us: u64,
    /// Reference error rate.
    #[serde(alias = "baseline_error_rate")]
    pub reference_error_rate: f64,
    /// A window is healthy at or below this p95, µs.
    pub healthy_p95_us: u64,
    /// ... and at or below this error rate.
    pub healthy_error_rate: f64,
    /// Name of the recover phase.
    pub recover_phase: String,
    /// Offset of the spike end (start of the recover phase) from the run start.
    #[serde(with = "crate::serde_micros")]
    pub spike_end: Duration,
    /// Offset of the recover phase end.
    #[serde(with = "crate::serde_micros")]
    pub recover_end: Duration,
    /// Spike end → start of the sustained healthy run; `None` if the service
    /// did not recover inside the recover phase.
    #[serde(with = "crate::serde_micros::option")]
    pub recovery_time: Option<Duration>,
    /// Indexes of the unhealthy windows inside the recover phase.
    pub unhealthy_windows: Vec<u64>,
}

impl Recovery {
    /// Whether a window meets these thresholds.
    #[must_use]
    pub fn is_healthy(&self, w: &WindowStats) -> bool {
        meets(w, self.healthy_p95_us, self.healthy_error_rate)
    }
}

/// The health rule of the module docs: a window with a completed iteration,
/// its p95 and error rate at or below the thresholds.
fn meets(w: &WindowStats, healthy_p95_us: u64, healthy_error_rate: f64) -> bool {
    w.stats.completed > 0
        && w.stats.latency.p95_us <= healthy_p95_us
        && w.stats.error_rate <= healthy_error_rate + 1e-12
}

/// Compute recovery over a run's windows (see the module docs).
#[must_use]
pub(crate) fn evaluate(
    criteria: RecoveryCriteria,
    reference_phase: &str,
    reference: &crate::recording::stats::Stats,
    recover_phase: &str,
    spike_end: Duration,
    recover_end: Duration,
    windows: &[WindowStats],
) -> Recovery {
    let healthy_p95_us = healthy_p95(criteria, reference.latency.p95_us);
    let mut recovery = Recovery {
        criteria,
        reference_phase: reference_phase.to_owned(),
        reference_p95_us: reference.latency.p95_us,
        reference_error_rate: reference.error_rate,
        healthy_p95_us,
        healthy_error_rate: reference.error_rate + criteria.epsilon,
        recover_phase: recover_phase.to_owned(),
        spike_end,
        recover_end,
        recovery_time: None,
        unhealthy_windows: Vec::new(),
    };
    let (time, unhealthy) =
        recovery_time_by(windows, spike_end, recover_end, criteria.sustain, |w| {
            recovery.is_healthy(w)
        });
    recovery.recovery_time = time;
    recovery.unhealthy_windows = unhealthy;
    recovery
}

/// The recovery machinery over any notion of health: from `spike_end` to the
/// start of the first run of at least `sustain` healthy windows, lying wholly
/// in `[spike_end, recover_end)`, that no later unhealthy window breaks.
/// Also returns the indexes of the unhealthy windows considered.
///
/// Use it for other health signals, e.g. a cache hit ratio per window.
pub fn recovery_time_by(
    windows: &[WindowStats],
    spike_end: Duration,
    recover_end: Duration,
    sustain: u32,
    healthy: impl Fn(&WindowStats) -> bool,
) -> (Option<Duration>, Vec<u64>) {
    let inside: Vec<(&WindowStats, bool)> = windows
        .iter()
        .filter(|w| w.start >= spike_end && w.end <= recover_end)
        .map(|w| (w, healthy(w)))
        .collect();
    let unhealthy: Vec<u64> = inside
        .iter()
        .filter(|(_, ok)| !ok)
        .map(|(w, _)| w.index)
        .collect();
    let first_of_final_run = match inside.iter().rposition(|(_, ok)| !ok) {
        Some(last_bad) => last_bad + 1,
        None => 0,
    };
    let run_len = inside.len() - first_of_final_run;
    let time = (run_len >= sustain.max(1) as usize)
        .then(|| inside[first_of_final_run].0.start.saturating_sub(spike_end));
    (time, unhealthy)
}

/// The recovery from one fault's end, with what it was judged against. In
/// [`Report::fault_recovery`](crate::Report::fault_recovery);
/// [`Report::recovery_from`](crate::Report::recovery_from) finds one by
/// name.
///
/// Recovery from a fault (DESIGN §12) uses the criteria and the algorithm
/// of the recovery after a spike ([`recovery_time_by`]), with these in
/// place of the phases:
///
/// * Reference: the windows lying wholly between the previous fault's
///   actual end (the latest end of the faults over by this one's start, or
///   the run start) and this fault's actual start, leaving out any window
///   another (overlapping) fault touched; their latency histograms are
///   merged (exact p95) and their errors summed. With no such window (a fault at the run start,
///   or right after another), or none with a completed iteration, nothing
///   shows what healthy is: the recovery is not measured
///   (`recovery_time` is `None`, `reference_windows` empty).
/// * Fault end: the fault's *actual* end (when the fault clock called
///   `stop()`).
/// * Recovery time: from the fault's end to the start of the first run of
///   `sustain` healthy windows lying wholly in [fault end, next fault's
///   start or run end) that no later unhealthy window there breaks.
///   `None`: it did not recover there (a result, not an error).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultRecovery {
    /// The fault's name.
    pub fault: String,
    /// The criteria used.
    pub criteria: RecoveryCriteria,
    /// Indexes of the reference windows (between the previous fault's end,
    /// or the run start, and this fault's start); empty when there was none
    /// to judge against.
    pub reference_windows: Vec<u64>,
    /// Reference latency p95 (the reference windows merged), µs.
    pub reference_p95_us: u64,
    /// Reference error rate.
    pub reference_error_rate: f64,
    /// A window is healthy at or below this p95, µs.
    pub healthy_p95_us: u64,
    /// ... and at or below this error rate.
    pub healthy_error_rate: f64,
    /// The fault's actual end, from the run start.
    #[serde(with = "crate::serde_micros")]
    pub fault_end: Duration,
    /// End of the span recovery is looked for in: the next fault's start,
    /// or the run's end.
    #[serde(with = "crate::serde_micros")]
    pub until: Duration,
    /// Fault end → start of the sustained healthy run; `None` when it did
    /// not recover before `until` (or there was no reference).
    #[serde(with = "crate::serde_micros::option")]
    pub recovery_time: Option<Duration>,
    /// Indexes of the unhealthy windows in [fault end, until).
    pub unhealthy_windows: Vec<u64>,
}

impl FaultRecovery {
    /// Whether a window meets these thresholds (as [`Recovery::is_healthy`]).
    #[must_use]
    pub fn is_healthy(&self, w: &WindowStats) -> bool {
        meets(w, self.healthy_p95_us, self.healthy_error_rate)
    }

    /// True when there was a reference to judge health against.
    #[must_use]
    pub fn measured(&self) -> bool {
        !self.reference_windows.is_empty()
    }
}

/// The healthy p95 bound for a reference p95 (µs) under `criteria`.
fn healthy_p95(criteria: RecoveryCriteria, reference_p95_us: u64) -> u64 {
    let base = reference_p95_us as f64;
    (base * (1.0 + criteria.tolerance))
        .max(base + criteria.slack.as_micros() as f64)
        .round() as u64
}

/// The reference of a fault: latency p95 of the merged reference windows
/// and their error rate, from whoever can merge histograms.
pub(crate) struct FaultReference {
    /// Window indexes.
    pub(crate) windows: Vec<u64>,
    /// Merged latency p95, µs.
    pub(crate) p95_us: u64,
    /// Errors over completed iterations.
    pub(crate) error_rate: f64,
}

/// Recovery from a fault ending at `fault_end`, looked for until `until`.
#[must_use]
pub(crate) fn evaluate_fault(
    criteria: RecoveryCriteria,
    fault: &str,
    reference: Option<FaultReference>,
    fault_end: Duration,
    until: Duration,
    windows: &[WindowStats],
) -> FaultRecovery {
    let (reference_windows, p95, error_rate) = match reference {
        Some(r) => (r.windows, r.p95_us, r.error_rate),
        None => (Vec::new(), 0, 0.0),
    };
    let mut recovery = FaultRecovery {
        fault: fault.to_owned(),
        criteria,
        reference_windows,
        reference_p95_us: p95,
        reference_error_rate: error_rate,
        healthy_p95_us: healthy_p95(criteria, p95),
        healthy_error_rate: error_rate + criteria.epsilon,
        fault_end,
        until,
        recovery_time: None,
        unhealthy_windows: Vec::new(),
    };
    let (time, unhealthy) = recovery_time_by(windows, fault_end, until, criteria.sustain, |w| {
        recovery.measured() && recovery.is_healthy(w)
    });
    recovery.recovery_time = time;
    recovery.unhealthy_windows = unhealthy;
    recovery
}

//! The result of a run: plain serde data and an atomic `report.json`
//! writer. The human summary (`Display`) is in `summary`, a window's stats
//! in `window`.

mod detail_histogram;
mod fault_span;
mod resource_sample;
mod shard_info;
mod summary;
pub(crate) mod window;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::recording::histogram::Percentiles;
use crate::recording::stats::Stats;
use crate::recovery::{FaultRecovery, Recovery};
pub use crate::report::detail_histogram::{DetailHistogram, HistogramKind};
pub use crate::report::fault_span::FaultSpan;
pub use crate::report::resource_sample::ResourceSample;
pub use crate::report::shard_info::ShardInfo;
pub use crate::report::window::WindowStats;
use crate::shape::level::Model;
use crate::shape::{Phase, Shape};

/// Where and how the run happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Environment {
    /// CPU cores available to the process.
    pub cores: usize,
    /// `debug` or `release`.
    pub build_profile: String,
    /// Version of spike-core.
    pub spike_version: String,
    /// Operating system and architecture.
    pub os: String,
    /// Factor applied to every rate and user count (`SPIKE_SCALE`).
    pub rate_scale: f64,
    /// Factor applied to every duration (`SPIKE_TIME_SCALE`).
    pub time_scale: f64,
    /// Wall-clock start, milliseconds since the Unix epoch.
    pub started_at_unix_ms: u64,
}

impl Environment {
    pub(crate) fn capture(rate_scale: f64, time_scale: f64) -> Self {
        Environment {
            cores: std::thread::available_parallelism().map_or(1, usize::from),
            build_profile: if cfg!(debug_assertions) {
                "debug"
            } else {
                "release"
            }
            .to_owned(),
            spike_version: env!("CARGO_PKG_VERSION").to_owned(),
            os: format!("{}-{}", std::env::consts::OS, std::env::consts::ARCH),
            rate_scale,
            time_scale,
            started_at_unix_ms: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
        }
    }
}

/// One phase of the run: the [`Phase`] as planned, with its stats. In
/// `report.json` the phase's fields sit beside `stats` (serde flatten), and
/// the phase's fields read through (`phase_report.name`, `.start`, …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhaseReport {
    /// The phase as the shape planned it.
    #[serde(flatten)]
    pub phase: Phase,
    /// Metrics of the iterations whose intended start lies in the phase.
    pub stats: Stats,
}

impl std::ops::Deref for PhaseReport {
    type Target = Phase;

    fn deref(&self) -> &Phase {
        &self.phase
    }
}

/// Whether the generator applied the load it claims.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GeneratorHealth {
    /// Actual start − intended start over all iterations.
    pub schedule_lag: Percentiles,
    /// Iterations not started because `max_in_flight` was reached.
    pub dropped: u64,
    /// Most iterations in flight at once.
    pub max_in_flight: u64,
    /// The in-flight cap in force.
    pub in_flight_cap: u64,
    /// Iterations cut off by the drain timeout at the end (counted as `timeout`).
    pub drain_timeouts: u64,
    /// Iterations that did not finish even after being cancelled (a workload
    /// blocking its thread); they are missing from the metrics.
    pub abandoned: u64,
    /// Records that arrived after their window was closed (kept in the phase
    /// and whole-run stats).
    pub late_records: u64,
    /// Schedule-lag p99 above which the generator counts as saturated, µs.
    pub lag_budget_us: u64,
    /// True when the results cannot be trusted to reflect the intended load:
    /// iterations were dropped or schedule lag p99 exceeded the budget.
    pub saturated: bool,
    /// Open model: CPU time of the pacer thread over the time it ran (the
    /// shape's duration, or until the run stopped), as a fraction of one
    /// core (0.004 = 0.4 %). 0 for the closed model, which has no pacer,
    /// and where the OS has no per-thread CPU clock.
    #[serde(default)]
    pub pacer_cpu: f64,
}

/// One check an assertion evaluated, kept in the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    /// The metric checked, e.g. `latency p95`.
    pub check: String,
    /// Where: `run`, `phase burst`, `every window of burst`, ...
    pub scope: String,
    /// The expectation, e.g. `below 250ms`.
    pub expected: String,
    /// The measured value.
    pub actual: String,
    /// Whether it held.
    pub passed: bool,
}

/// Everything a run measured. Plain data: serialize it, assert on it, print it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Scenario name (the test name under `#[spike_test]`).
    pub scenario: String,
    /// Load model.
    pub model: Model,
    /// The shape that ran (after scaling).
    pub shape: Shape,
    /// Window length.
    #[serde(with = "crate::serde_micros")]
    pub window: Duration,
    /// Where and how it ran.
    pub environment: Environment,
    /// Wall time from first start to the last record.
    #[serde(with = "crate::serde_micros")]
    pub elapsed: Duration,
    /// Whole run.
    pub total: Stats,
    /// Per phase, in order.
    pub phases: Vec<PhaseReport>,
    /// Per window, in order.
    pub windows: Vec<WindowStats>,
    /// Recovery after the spike, when the shape has a burst and a recover phase.
    pub recovery: Option<Recovery>,
    /// Generator health.
    pub generator: GeneratorHealth,
    /// Why the run stopped early, if it did.
    pub interrupted: Option<String>,
    /// Why and when an abort rule ([`Scenario::abort_when`](crate::Scenario::abort_when))
    /// stopped the run, if one did. An aborted run is still conclusive: it
    /// is a verdict about the service, not a gap in the measurement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aborted: Option<crate::abort::Aborted>,
    /// Checks evaluated against this report (filled by assertions).
    pub checks: Vec<Check>,
    /// Folder the run's artifacts were written to, if any.
    pub artifacts: Option<PathBuf>,
    /// Latency histogram of every (window, phase), V2+DEFLATE encoded at
    /// window close, then one per named request of the window
    /// ([`IntervalHistogram::request`]): the source of `latency.hlog` and
    /// of the HTML percentile plot. Not part of `report.json` (empty when a report is
    /// read back from JSON).
    #[serde(skip)]
    pub interval_histograms: Vec<IntervalHistogram>,
    /// Every other histogram of every (window, phase), encoded the same
    /// way: service time, schedule lag, each named request, each
    /// `ctx.record` metric and each tag value ([`HistogramKind`]). With
    /// `interval_histograms` they hold every percentile the report shows,
    /// so the outputs of shards merge exactly ([`crate::merge`]); the
    /// source of `histograms.hlog`. Not part of `report.json`.
    #[serde(skip)]
    pub detail_histograms: Vec<DetailHistogram>,
    /// The faults of the scenario's chaos plan, in plan order, with their
    /// planned and actual edges (empty without a plan; reports written
    /// before faults existed read back with none).
    #[serde(default)]
    pub faults: Vec<FaultSpan>,
    /// The recovery from each fault that started and ended, in plan order
    /// (see [`FaultRecovery`] for the definition);
    /// [`Report::recovery_from`] finds one by name.
    #[serde(default)]
    pub fault_recovery: Vec<FaultRecovery>,
    /// The shard of a sharded run this report comes from; `None` for a
    /// run on one generator (and for reports written before shards existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<ShardInfo>,
    /// How this report was merged from the outputs of shards
    /// ([`crate::merge`]); `None` for the report of one run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged: Option<crate::merge::info::MergeInfo>,
}

/// The latency histogram of one (window, phase) pair, kept encoded (HdrHistogram
/// V2 + DEFLATE, the payload format of interval logs) so a long run keeps a
/// few hundred bytes per window rather than a live histogram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntervalHistogram {
    /// Window number from the run start.
    pub window: u64,
    /// Window start offset.
    pub start: Duration,
    /// Window end offset.
    pub end: Duration,
    /// Phase the iterations were due in (for a named request's histogram,
    /// the phase active at the window start).
    pub phase: String,
    /// `None` for the iterations' latency; the request name for a named
    /// request's latency over the whole window (all phases).
    pub request: Option<String>,
    /// The histogram (µs), V2 + DEFLATE encoded.
    pub encoded: Vec<u8>,
}

impl Report {
    /// The phase with this name.
    #[must_use]
    pub fn phase(&self, name: &str) -> Option<&PhaseReport> {
        self.phases.iter().find(|p| p.name == name)
    }

    /// The windows whose start lies in the named phase.
    pub fn windows_of<'a>(&'a self, phase: &'a str) -> impl Iterator<Item = &'a WindowStats> + 'a {
        self.windows.iter().filter(move |w| w.phase == phase)
    }

    /// Recovery time, `None` when the service did not recover in the
    /// recover phase or the shape has no burst and recover phase.
    #[must_use]
    pub fn recovery_time(&self) -> Option<Duration> {
        self.recovery.as_ref().and_then(|r| r.recovery_time)
    }

    /// The fault of the chaos plan with this name.
    #[must_use]
    pub fn fault(&self, name: &str) -> Option<&FaultSpan> {
        self.faults.iter().find(|f| f.name == name)
    }

    /// The recovery from the end of the fault with this name: `None` when
    /// the run has no such fault or it never both started and ended. Its
    /// `recovery_time` is `None` when the service did not recover before
    /// the next fault's start or the run's end.
    #[must_use]
    pub fn recovery_from(&self, fault: &str) -> Option<&FaultRecovery> {
        self.fault_recovery.iter().find(|r| r.fault == fault)
    }

    /// True unless iterations were dropped, the generator was saturated,
    /// the run was interrupted or, for a merged report, the merge found a
    /// problem ([`crate::merge::MergeInfo::problems`]): only then does the report describe the load
    /// the shape asked for. A run stopped by an abort rule
    /// ([`Report::aborted`]) is conclusive: the load was applied until the
    /// service broke the rule.
    #[must_use]
    pub fn is_conclusive(&self) -> bool {
        !self.generator.saturated
            && self.interrupted.is_none()
            && self.generator.abandoned == 0
            && self.merged.as_ref().is_none_or(|m| m.problems.is_empty())
    }

    /// Served rate over `[start, end)`: completions per second by
    /// completion instant, over the windows lying wholly inside the span.
    /// `None` when no window does (a phase shorter than a window).
    #[must_use]
    pub fn served_rate_between(&self, start: Duration, end: Duration) -> Option<f64> {
        let (served, len) = self
            .windows
            .iter()
            .filter(|w| w.start >= start && w.end <= end)
            .fold((0u64, Duration::ZERO), |(n, len), w| {
                (n + w.served, len + w.span())
            });
        (!len.is_zero()).then(|| served as f64 / len.as_secs_f64())
    }

    /// The generator could not keep the schedule: schedule-lag p99 above
    /// the lag budget (the load applied was limited by spike itself, not
    /// by the target).
    #[must_use]
    pub fn generator_bound(&self) -> bool {
        self.generator.schedule_lag.p99_us > self.generator.lag_budget_us
    }

    /// The report as pretty JSON.
    ///
    /// # Panics
    /// Never in practice: the report holds only serializable plain data.
    #[must_use]
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report is plain data")
    }

    /// Write `report.json` into `dir` (created if missing), atomically: a
    /// temporary file in the same folder, then a rename. Returns the path.
    ///
    /// # Errors
    /// Any I/O error creating the folder or writing the file.
    pub fn write_to(&self, dir: impl AsRef<Path>) -> std::io::Result<PathBuf> {
        write_atomic(dir.as_ref(), "report.json", self.to_json().as_bytes())
    }
}

/// Write `bytes` to `dir/name` atomically (temporary file + rename).
///
/// # Errors
/// Any I/O error.
pub fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<PathBuf> {
    use std::io::Write as _;
    std::fs::create_dir_all(dir)?;
    let path = dir.join(name);
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, &path)?;
    Ok(path)
}

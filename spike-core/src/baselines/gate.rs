//! Named baselines and the regression gate.
//!
//! * `SPIKE_SAVE_BASELINE=main` saves each run of a spike test as the
//!   baseline `main`, under the test's folder:
//!   `target/spike/<test>/baselines/main/` (the same files as the run:
//!   `report.json`, `report.html`, `timeline.csv`, `latency.hlog`).
//! * `SPIKE_BASELINE=main` compares each run with that baseline. A missing
//!   (or misspelt) baseline fails the test when `CI` is set (see
//!   [`crate::notice::is_ci`]) or `SPIKE_BASELINE_STRICT=1`; otherwise it
//!   passes with a notice on the terminal (`SPIKE_BASELINE_STRICT=0` makes a
//!   CI run lenient too).
//! * [`compare`] is a pure function of two reports and the [`Bands`]: each
//!   metric (p50, p95, p99, error rate, throughput, recovery time) is
//!   *regressed* when it got worse by more than its band, *improved* when
//!   it got better by more than the band, else *unchanged*. A regression
//!   fails the test with a table (metric, baseline, now, change, band,
//!   verdict) and the paths of both reports; an improvement is only
//!   reported.
//! * A run that is not conclusive (iterations dropped, generator saturated,
//!   interrupted, abandoned iterations), or a baseline that was not, fails
//!   the gate as *inconclusive*: the gate cannot vouch for a run that did
//!   not apply its load. A test that accepts that sets
//!   [`Bands::allow_inconclusive`].
//! * A baseline that recovered and a run that did not is a regression,
//!   whatever the noise.
//!
//! The default bands come from running the same build repeatedly on a
//! busy 2-core machine (see "Reports" in `docs/spike_testing_guide.md`): latency may move by 50%
//! and 5 ms plus twice the runs' schedule-lag p99 (machine noise, the lag
//! capped at 25 ms so that a saturated run cannot widen its own band),
//! error rate by 1 percentage point, throughput by 10%, recovery time by
//! 50% and 5 windows before the gate says anything.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::fmt::duration_us;
use crate::recording::histogram::micros;
use crate::report::Report;
use crate::test_context::{folder_name, spike_home, TestContext};

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

    fn exceeded(self, base: f64, diff: f64, absolute_us: f64) -> bool {
        diff.abs() > base * self.relative && diff.abs() > absolute_us
    }

    /// Regressed (slower) or improved (faster) beyond the band, else unchanged.
    fn verdict(self, base: f64, diff: f64, absolute_us: f64) -> Verdict {
        if !self.exceeded(base, diff, absolute_us) {
            Verdict::Unchanged
        } else if diff > 0.0 {
            Verdict::Regressed
        } else {
            Verdict::Improved
        }
    }

    fn describe(self, absolute_us: u64) -> String {
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

/// What the gate says about one metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Within the band.
    Unchanged,
    /// Better by more than the band.
    Improved,
    /// Worse by more than the band: fails the gate.
    Regressed,
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Verdict::Unchanged => "ok",
            Verdict::Improved => "improved",
            Verdict::Regressed => "REGRESSED",
        })
    }
}

/// One row of the comparison table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricComparison {
    /// `p50`, `p95`, `p99`, `error rate`, `throughput`, `recovery time`.
    pub metric: String,
    /// Baseline value, formatted.
    pub baseline: String,
    /// Value now, formatted.
    pub now: String,
    /// Change, formatted (`+35.2%`, `+0.80 pp`, `did not recover`).
    pub change: String,
    /// The band applied, formatted.
    pub band: String,
    /// The verdict.
    pub verdict: Verdict,
}

/// The comparison of a run with a baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// Scenario name.
    pub scenario: String,
    /// Baseline name (`main`).
    pub baseline_name: String,
    /// One row per metric.
    pub rows: Vec<MetricComparison>,
    /// Why the two runs should not be compared (different shape), if so;
    /// counts as a failure.
    pub incomparable: Option<String>,
    /// Why a run is not conclusive, each reason prefixed with `this run:`
    /// or `the baseline:`; fails the gate unless `inconclusive_allowed`.
    pub inconclusive: Vec<String>,
    /// Whether the bands allowed an inconclusive comparison.
    pub inconclusive_allowed: bool,
    /// Caveats that do not fail the gate (build profile differs, machine
    /// noise in the bands).
    pub notes: Vec<String>,
    /// The baseline's `report.json`, when known.
    pub baseline_report: Option<PathBuf>,
    /// This run's `report.json`, when known.
    pub report: Option<PathBuf>,
}

impl Comparison {
    /// True when a metric regressed, the runs are not comparable, or a run
    /// is not conclusive (unless allowed).
    #[must_use]
    pub fn failed(&self) -> bool {
        self.incomparable.is_some()
            || self.is_inconclusive()
            || self.rows.iter().any(|r| r.verdict == Verdict::Regressed)
    }

    /// True when a run is not conclusive and the bands did not allow it.
    #[must_use]
    pub fn is_inconclusive(&self) -> bool {
        !self.inconclusive.is_empty() && !self.inconclusive_allowed
    }

    /// The metrics that regressed.
    pub fn regressions(&self) -> impl Iterator<Item = &MetricComparison> {
        self.rows.iter().filter(|r| r.verdict == Verdict::Regressed)
    }

    /// The metrics that improved.
    pub fn improvements(&self) -> impl Iterator<Item = &MetricComparison> {
        self.rows.iter().filter(|r| r.verdict == Verdict::Improved)
    }

    /// The table: metric, baseline, now, change, band, verdict.
    #[must_use]
    pub fn table(&self) -> String {
        let head = ["metric", "baseline", "now", "change", "band", "verdict"];
        let rows: Vec<[String; 6]> = self
            .rows
            .iter()
            .map(|r| {
                [
                    r.metric.clone(),
                    r.baseline.clone(),
                    r.now.clone(),
                    r.change.clone(),
                    r.band.clone(),
                    r.verdict.to_string(),
                ]
            })
            .collect();
        let mut width = head.map(|h| h.chars().count());
        for r in &rows {
            for (w, c) in width.iter_mut().zip(r) {
                *w = (*w).max(c.chars().count());
            }
        }
        let mut out = String::new();
        let line = |out: &mut String, cells: &[String]| {
            let mut l = String::from(" ");
            for (i, (c, w)) in cells.iter().zip(width).enumerate() {
                let pad = w - c.chars().count();
                if i == 0 || i == 5 {
                    let _ = write!(l, " {c}{} ", " ".repeat(pad));
                } else {
                    let _ = write!(l, " {}{c} ", " ".repeat(pad));
                }
                l.push('|');
            }
            l.pop();
            out.push_str(l.trim_end());
            out.push('\n');
        };
        line(&mut out, &head.map(str::to_owned));
        let sep: Vec<String> = width.iter().map(|w| "-".repeat(*w)).collect();
        line(&mut out, &sep);
        for r in &rows {
            line(&mut out, r);
        }
        out
    }
}

impl std::fmt::Display for Comparison {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let regressed = self.regressions().count();
        let improved = self.improvements().count();
        let mut heads = Vec::new();
        if let Some(why) = &self.incomparable {
            heads.push(format!("not comparable: {why}"));
        }
        if regressed > 0 {
            heads.push(format!("{regressed} metric(s) REGRESSED"));
        }
        if self.is_inconclusive() {
            heads.push("INCONCLUSIVE (a run did not apply its load)".to_owned());
        }
        if heads.is_empty() {
            heads.push(if improved > 0 {
                format!("no regression, {improved} metric(s) improved")
            } else {
                "no regression".to_owned()
            });
        }
        let head = heads.join("; ");
        writeln!(
            f,
            "spike: `{}` against baseline `{}`: {head}",
            self.scenario, self.baseline_name
        )?;
        f.write_str(&self.table())?;
        let label = if self.inconclusive_allowed {
            "inconclusive (allowed)"
        } else {
            "inconclusive"
        };
        for why in &self.inconclusive {
            writeln!(f, "  {label}: {why}")?;
        }
        for n in &self.notes {
            writeln!(f, "  note: {n}")?;
        }
        if let Some(p) = &self.baseline_report {
            writeln!(f, "  baseline report: {}", p.display())?;
        }
        if let Some(p) = &self.report {
            writeln!(f, "  this run's report: {}", p.display())?;
        }
        Ok(())
    }
}

fn pct_change(base: f64, now: f64) -> String {
    if base == 0.0 {
        if now == 0.0 {
            "0%".to_owned()
        } else {
            "new".to_owned()
        }
    } else {
        format!("{:+.1}%", (now - base) / base * 100.0)
    }
}

/// Compare `now` with `baseline` metric by metric (see the module docs).
/// Pure: no I/O, no environment.
#[must_use]
pub fn compare(baseline: &Report, now: &Report, bands: &Bands) -> Comparison {
    let mut rows = Vec::new();
    let lag_us = baseline
        .generator
        .schedule_lag
        .p99_us
        .max(now.generator.schedule_lag.p99_us);
    let counted_lag_us = lag_us.min(micros(bands.noise_cap));
    let lag_extra = (counted_lag_us as f64 * bands.lag_allowance.max(0.0)).round() as u64;
    let mut recovery_note = None;
    // Latency: higher is worse.
    for (name, band, b, n) in [
        (
            "p50",
            bands.p50,
            baseline.total.latency.p50_us,
            now.total.latency.p50_us,
        ),
        (
            "p95",
            bands.p95,
            baseline.total.latency.p95_us,
            now.total.latency.p95_us,
        ),
        (
            "p99",
            bands.p99,
            baseline.total.latency.p99_us,
            now.total.latency.p99_us,
        ),
    ] {
        let diff = n as f64 - b as f64;
        let abs = micros(band.absolute) + lag_extra;
        let verdict = band.verdict(b as f64, diff, abs as f64);
        rows.push(MetricComparison {
            metric: name.to_owned(),
            baseline: duration_us(b),
            now: duration_us(n),
            change: pct_change(b as f64, n as f64),
            band: band.describe(abs),
            verdict,
        });
    }
    // Error rate: absolute percentage points, higher is worse.
    let (b, n) = (baseline.total.error_rate, now.total.error_rate);
    let diff = n - b;
    rows.push(MetricComparison {
        metric: "error rate".to_owned(),
        baseline: format!("{:.2}%", b * 100.0),
        now: format!("{:.2}%", n * 100.0),
        change: format!("{:+.2} pp", diff * 100.0),
        band: format!("±{:.2} pp", bands.error_rate * 100.0),
        verdict: if diff > bands.error_rate + 1e-12 {
            Verdict::Regressed
        } else if -diff > bands.error_rate + 1e-12 {
            Verdict::Improved
        } else {
            Verdict::Unchanged
        },
    });
    // Throughput: lower is worse.
    let (b, n) = (baseline.total.throughput, now.total.throughput);
    let diff = n - b;
    rows.push(MetricComparison {
        metric: "throughput".to_owned(),
        baseline: format!("{b:.1}/s"),
        now: format!("{n:.1}/s"),
        change: pct_change(b, n),
        band: format!("±{:.0}%", bands.throughput * 100.0),
        verdict: if diff.abs() <= b * bands.throughput + 1e-9 {
            Verdict::Unchanged
        } else if diff < 0.0 {
            Verdict::Regressed
        } else {
            Verdict::Improved
        },
    });
    // Recovery time: longer is worse; not recovering is worse than any time.
    if baseline.recovery.is_some() || now.recovery.is_some() {
        let band = bands.recovery_time;
        let abs =
            micros(band.absolute).max(micros(baseline.window) * u64::from(bands.recovery_windows));
        // "Did not recover" is censored at the recover phase's length: it
        // took at least that long.
        let censored = |r: &Report| -> Option<(f64, bool)> {
            let rec = r.recovery.as_ref()?;
            Some(match rec.recovery_time {
                Some(t) => (micros(t) as f64, false),
                None => (micros(rec.recover_end - rec.spike_end) as f64, true),
            })
        };
        let fmt = |v: Option<(f64, bool)>| match v {
            None => "not measured".to_owned(),
            Some((us, false)) => format!("{:.2}s", us / 1e6),
            Some((us, true)) => format!("not within {:.2}s", us / 1e6),
        };
        let (b, n) = (censored(baseline), censored(now));
        let (change, verdict) = match (b, n) {
            // Recovered then, not now: a regression whatever the bands and
            // the noise say about the (censored) difference.
            (Some((bu, false)), Some((nu, true))) => (
                format!("did not recover (≥ {:+.2}s)", (nu - bu) / 1e6),
                Verdict::Regressed,
            ),
            (Some((bu, _)), Some((nu, n_censored))) => {
                let diff = nu - bu;
                let at_least = if n_censored && diff > 0.0 { "≥ " } else { "" };
                (
                    format!("{at_least}{:+.2}s", diff / 1e6),
                    band.verdict(bu, diff, abs as f64),
                )
            }
            _ => ("—".to_owned(), Verdict::Unchanged),
        };
        // A window counts as healthy within `headroom` of the baseline p95;
        // when machine noise is as large, which window is healthy is partly
        // noise: the time is still judged, and the note says so.
        let headroom = [baseline, now]
            .iter()
            .filter_map(|r| r.recovery.as_ref())
            .map(|r| r.healthy_p95_us.saturating_sub(r.baseline_p95_us))
            .min()
            .unwrap_or(u64::MAX);
        if lag_extra > 0 && headroom <= lag_extra {
            recovery_note = Some(format!(
                "the healthy headroom over the reference p95 ({}) is within the machine noise ({}): recovery time may vary between runs; widen the recovery slack or run on a quieter machine",
                duration_us(headroom),
                duration_us(lag_extra)
            ));
        }
        rows.push(MetricComparison {
            metric: "recovery time".to_owned(),
            baseline: fmt(b),
            now: fmt(n),
            change,
            band: band.describe(abs),
            verdict,
        });
    }
    let incomparable = if baseline.shape == now.shape {
        None
    } else {
        Some(format!(
            "the baseline ran another load shape ({} phases, {:.1}s, scale {}×{}) than this run ({} phases, {:.1}s, scale {}×{}); save a new baseline",
            baseline.shape.phases().len(),
            baseline.shape.duration().as_secs_f64(),
            baseline.environment.rate_scale,
            baseline.environment.time_scale,
            now.shape.phases().len(),
            now.shape.duration().as_secs_f64(),
            now.environment.rate_scale,
            now.environment.time_scale,
        ))
    };
    let mut notes: Vec<String> = recovery_note.into_iter().collect();
    if lag_extra > 0 {
        let capped = if counted_lag_us < lag_us {
            format!(", capped at {}", duration_us(counted_lag_us))
        } else {
            String::new()
        };
        notes.push(format!(
            "latency bands include {} of machine noise ({}× the larger schedule-lag p99, {}{capped})",
            duration_us(lag_extra),
            bands.lag_allowance,
            duration_us(lag_us)
        ));
    }
    if baseline.environment.build_profile != now.environment.build_profile {
        notes.push(format!(
            "the baseline is a {} build, this run a {} build",
            baseline.environment.build_profile, now.environment.build_profile
        ));
    }
    if baseline.environment.cores != now.environment.cores {
        notes.push(format!(
            "the baseline ran on {} cores, this run on {}",
            baseline.environment.cores, now.environment.cores
        ));
    }
    let inconclusive = [("the baseline", baseline), ("this run", now)]
        .into_iter()
        .flat_map(|(which, r)| {
            r.inconclusive_reasons()
                .into_iter()
                .map(move |why| format!("{which}: {}", why.long))
        })
        .collect();
    Comparison {
        scenario: now.scenario.clone(),
        baseline_name: baseline_name_of(baseline),
        rows,
        incomparable,
        inconclusive,
        inconclusive_allowed: bands.allow_inconclusive,
        notes,
        baseline_report: None,
        report: now.artifacts.as_ref().map(|d| d.join("report.json")),
    }
}

fn baseline_name_of(baseline: &Report) -> String {
    baseline
        .artifacts
        .as_ref()
        .and_then(|d| d.file_name())
        .map_or_else(
            || "baseline".to_owned(),
            |n| n.to_string_lossy().into_owned(),
        )
}

/// Folder of the baseline `name` for a run whose artifacts go to
/// `report_dir`: `<report_dir>/baselines/<name>`.
#[must_use]
pub fn baseline_dir(report_dir: &Path, name: &str) -> PathBuf {
    report_dir.join("baselines").join(folder_name(name))
}

/// Where a report's artifacts are (or would be, for an unsaved report):
/// `report.artifacts`, else `spike_home()/<scenario>`.
#[must_use]
pub fn report_dir(report: &Report) -> PathBuf {
    report
        .artifacts
        .clone()
        .unwrap_or_else(|| spike_home().join(folder_name(&report.scenario)))
}

/// Save `report` (all its artifacts) as the baseline `name`; returns the
/// baseline's `report.json`.
///
/// # Errors
/// Any I/O error.
pub fn save_baseline(report: &Report, name: &str) -> std::io::Result<PathBuf> {
    let dir = baseline_dir(&report_dir(report), name);
    let mut saved = report.clone();
    saved.artifacts = Some(dir.clone());
    Ok(crate::output::artifacts::write_all(&saved, &dir)?.report_json)
}

/// Why a baseline could not be used.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum BaselineError {
    /// The baseline file exists but could not be read.
    #[error("could not read baseline {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The baseline file is not a spike report.
    #[error("baseline {path} is not a spike report: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// The parse error.
        source: serde_json::Error,
    },
}

crate::__debug_as_display!(BaselineError);

/// Load the baseline `name` of a report, `Ok(None)` when there is none.
///
/// # Errors
/// [`BaselineError`] when the file exists but cannot be read or parsed.
pub fn load_baseline(
    report: &Report,
    name: &str,
) -> Result<Option<(Report, PathBuf)>, BaselineError> {
    let dir = baseline_dir(&report_dir(report), name);
    let path = dir.join("report.json");
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(BaselineError::Io { path, source }),
    };
    let mut baseline: Report =
        serde_json::from_str(&text).map_err(|source| BaselineError::Json {
            path: path.clone(),
            source,
        })?;
    baseline.artifacts = Some(dir);
    Ok(Some((baseline, path)))
}

/// What checking a report against a named baseline found.
#[derive(Debug, Clone, PartialEq)]
pub enum GateOutcome {
    /// There is no such baseline; `path` is where it was looked for.
    Missing {
        /// Scenario name.
        scenario: String,
        /// Baseline name.
        name: String,
        /// The `report.json` that does not exist.
        path: PathBuf,
        /// The baselines that do exist for this scenario (a misspelt name
        /// shows here).
        available: Vec<String>,
    },
    /// The comparison.
    Compared(Comparison),
}

impl GateOutcome {
    /// Whether the gate fails: a regression, incomparable runs, or a
    /// missing baseline when `strict`.
    #[must_use]
    pub fn failed(&self, strict: bool) -> bool {
        match self {
            GateOutcome::Missing { .. } => strict,
            GateOutcome::Compared(c) => c.failed(),
        }
    }
}

impl std::fmt::Display for GateOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GateOutcome::Missing {
                scenario,
                name,
                path,
                available,
            } => {
                let saved = if available.is_empty() {
                    "no baseline is saved for it".to_owned()
                } else {
                    format!("saved baselines: {}", available.join(", "))
                };
                write!(
                    f,
                    "spike: `{scenario}` has no baseline `{name}` ({} does not exist; {saved}); nothing to compare. Save one with SPIKE_SAVE_BASELINE={name}.",
                    path.display()
                )
            }
            GateOutcome::Compared(c) => c.fmt(f),
        }
    }
}

/// Compare `report` with its baseline `name` using `bands`.
///
/// # Errors
/// [`BaselineError`] when the baseline exists but cannot be read.
pub fn check(report: &Report, name: &str, bands: &Bands) -> Result<GateOutcome, BaselineError> {
    match load_baseline(report, name)? {
        None => Ok(GateOutcome::Missing {
            scenario: report.scenario.clone(),
            name: name.to_owned(),
            path: baseline_dir(&report_dir(report), name).join("report.json"),
            available: saved_baselines(report),
        }),
        Some((baseline, path)) => {
            let mut c = compare(&baseline, report, bands);
            c.baseline_name = name.to_owned();
            c.baseline_report = Some(path);
            c.report = Some(report_dir(report).join("report.json"));
            Ok(GateOutcome::Compared(c))
        }
    }
}

/// The names of the baselines saved for a report's scenario, sorted.
#[must_use]
pub fn saved_baselines(report: &Report) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(report_dir(report).join("baselines")) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|e| e.path().join("report.json").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn env_name(var: &str) -> Option<String> {
    std::env::var(var)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// The baseline `SPIKE_BASELINE` names, if set.
#[must_use]
pub fn compare_from_env() -> Option<String> {
    env_name("SPIKE_BASELINE")
}

/// The baseline `SPIKE_SAVE_BASELINE` names, if set.
#[must_use]
pub fn save_from_env() -> Option<String> {
    env_name("SPIKE_SAVE_BASELINE")
}

/// Whether a missing baseline fails the gate here: see
/// [`missing_baseline_fails`], with `SPIKE_BASELINE_STRICT` and
/// [`crate::notice::is_ci`].
#[must_use]
pub fn strict_from_env() -> bool {
    missing_baseline_fails(
        env_name("SPIKE_BASELINE_STRICT").as_deref(),
        crate::notice::is_ci(),
    )
}

/// Whether a missing baseline fails the gate: `SPIKE_BASELINE_STRICT`
/// decides when it is set (`0`, `false`, `no` or `off`, in any case, mean
/// lenient; any other value strict); otherwise a CI run is strict and any
/// other run lenient.
///
/// ```
/// use spike_core::baseline::missing_baseline_fails;
/// assert!(missing_baseline_fails(None, true)); // CI: strict by default
/// assert!(!missing_baseline_fails(None, false)); // a laptop: lenient
/// assert!(!missing_baseline_fails(Some("0"), true));
/// assert!(missing_baseline_fails(Some("1"), false));
/// ```
#[must_use]
pub fn missing_baseline_fails(strict_var: Option<&str>, ci: bool) -> bool {
    match strict_var.map(str::trim) {
        Some(v) => !["0", "false", "no", "off"]
            .iter()
            .any(|off| v.eq_ignore_ascii_case(off)),
        None => ci,
    }
}

/// Save `report` as the baseline `SPIKE_SAVE_BASELINE` names, if set
/// (what [`TestContext::save`] does after writing the run's artifacts).
/// When `SPIKE_BASELINE` names the same baseline, the run is compared with
/// it first, so saving is skipped (with a note on standard error) rather
/// than comparing the run with itself.
///
/// # Errors
/// Any I/O error.
pub fn save_if_asked(report: &Report) -> std::io::Result<Option<PathBuf>> {
    let Some(name) = save_from_env() else {
        return Ok(None);
    };
    if compare_from_env().as_deref() == Some(name.as_str()) {
        crate::notice::notice(&format!(
            "SPIKE_SAVE_BASELINE and SPIKE_BASELINE both name `{name}`: not saving `{}` over the baseline it is compared with",
            report.scenario
        ));
        return Ok(None);
    }
    save_baseline(report, &name).map(Some)
}

fn bands_registry() -> &'static Mutex<HashMap<String, Bands>> {
    static BANDS: OnceLock<Mutex<HashMap<String, Bands>>> = OnceLock::new();
    BANDS.get_or_init(Mutex::default)
}

/// Use `bands` for the regression gate of the spike test running now (the
/// automatic `SPIKE_BASELINE` gate and `no_regression_against` without
/// explicit bands). Returns `false`, changing nothing, outside a spike test.
pub fn set_test_bands(bands: Bands) -> bool {
    let Some(test) = TestContext::current() else {
        return false;
    };
    bands_registry()
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .insert(test.name().to_owned(), bands);
    true
}

/// The bands for a test: the ones [`set_test_bands`] set, else the defaults.
#[must_use]
pub fn bands_for_test(test: &str) -> Bands {
    bands_registry()
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .get(test)
        .copied()
        .unwrap_or_default()
}

/// The bands in force here: the current spike test's, else the defaults.
#[must_use]
pub fn current_bands() -> Bands {
    TestContext::current().map_or_else(Bands::default, |t| bands_for_test(t.name()))
}

/// The automatic gate `#[spike_test]` runs after the test body when
/// `SPIKE_BASELINE` is set: every report the test saved is compared with
/// that baseline. Returns the message to fail the test with (all tables
/// and report paths) when a metric regressed, the runs are not comparable,
/// a run is inconclusive (unless the test's bands allow it), a baseline
/// cannot be read, or one is missing while [`strict_from_env`] (in CI by
/// default); otherwise writes the outcome (no regression, improvements, a
/// missing baseline) as a [`crate::notice::notice`], which the terminal
/// shows even when the test passes, and returns `Ok`.
///
/// # Errors
/// The failure message described above.
pub fn gate_test(test: &TestContext) -> Result<(), String> {
    let Some(name) = compare_from_env() else {
        return Ok(());
    };
    let strict = strict_from_env();
    let bands = bands_for_test(test.name());
    let mut failures = Vec::new();
    for path in test.saved_reports() {
        let report: Report = match std::fs::read_to_string(&path)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
        {
            Ok(r) => r,
            Err(e) => {
                failures.push(format!("could not read {}: {e}", path.display()));
                continue;
            }
        };
        let mut report = report;
        report.artifacts = path.parent().map(Path::to_path_buf);
        match check(&report, &name, &bands) {
            Ok(outcome) if outcome.failed(strict) => failures.push(outcome.to_string()),
            Ok(outcome) => crate::notice::notice(&outcome.to_string()),
            Err(e) => failures.push(format!("spike: {e}")),
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n"))
    }
}

//! Comparing a run with a baseline, metric by metric: a pure function of
//! two reports and the bands.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::baselines::bands::{Bands, TimeBand};
use crate::fmt::{duration_us, Align, Table};
use crate::recording::histogram::micros;
use crate::report::Report;

/// What the gate says about one metric: unchanged, improved or regressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// Within the band.
    Unchanged,
    /// Better by more than the band.
    Improved,
    /// Worse by more than the band: fails the gate.
    Regressed,
}

/// The old name of [`Change`] (it clashed with the assertions' verdicts).
#[deprecated(since = "0.2.0", note = "renamed to `Change`")]
pub type Verdict = Change;

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Change::Unchanged => "ok",
            Change::Improved => "improved",
            Change::Regressed => "REGRESSED",
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
    pub verdict: Change,
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
            || self.rows.iter().any(|r| r.verdict == Change::Regressed)
    }

    /// True when a run is not conclusive and the bands did not allow it.
    #[must_use]
    pub fn is_inconclusive(&self) -> bool {
        !self.inconclusive.is_empty() && !self.inconclusive_allowed
    }

    /// The metrics that regressed.
    pub fn regressions(&self) -> impl Iterator<Item = &MetricComparison> {
        self.rows.iter().filter(|r| r.verdict == Change::Regressed)
    }

    /// The metrics that improved.
    pub fn improvements(&self) -> impl Iterator<Item = &MetricComparison> {
        self.rows.iter().filter(|r| r.verdict == Change::Improved)
    }

    /// The table: metric, baseline, now, change, band, verdict.
    #[must_use]
    pub fn table(&self) -> String {
        let mut table = Table::new(
            &["metric", "baseline", "now", "change", "band", "verdict"],
            &[
                Align::Left,
                Align::Right,
                Align::Right,
                Align::Right,
                Align::Right,
                Align::Left,
            ],
        );
        for r in &self.rows {
            table.row(vec![
                r.metric.clone(),
                r.baseline.clone(),
                r.now.clone(),
                r.change.clone(),
                r.band.clone(),
                r.verdict.to_string(),
            ]);
        }
        table.render()
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

/// Regressed (slower) or improved (faster) beyond the band, else unchanged.
fn change_beyond(band: TimeBand, base: f64, diff: f64, absolute_us: f64) -> Change {
    if !band.exceeded(base, diff, absolute_us) {
        Change::Unchanged
    } else if diff > 0.0 {
        Change::Regressed
    } else {
        Change::Improved
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
        let verdict = change_beyond(band, b as f64, diff, abs as f64);
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
            Change::Regressed
        } else if -diff > bands.error_rate + 1e-12 {
            Change::Improved
        } else {
            Change::Unchanged
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
            Change::Unchanged
        } else if diff < 0.0 {
            Change::Regressed
        } else {
            Change::Improved
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
                Change::Regressed,
            ),
            (Some((bu, _)), Some((nu, n_censored))) => {
                let diff = nu - bu;
                let at_least = if n_censored && diff > 0.0 { "≥ " } else { "" };
                (
                    format!("{at_least}{:+.2}s", diff / 1e6),
                    change_beyond(band, bu, diff, abs as f64),
                )
            }
            _ => ("—".to_owned(), Change::Unchanged),
        };
        // A window counts as healthy within `headroom` of the baseline p95;
        // when machine noise is as large, which window is healthy is partly
        // noise: the time is still judged, and the note says so.
        let headroom = [baseline, now]
            .iter()
            .filter_map(|r| r.recovery.as_ref())
            .map(|r| r.healthy_p95_us.saturating_sub(r.reference_p95_us))
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

//! One report against one named baseline: load it, compare, or say it is
//! missing (and which baselines do exist). The environment-driven gate of
//! spike tests is [`crate::harness::gate`].

use std::path::PathBuf;

use crate::baselines::bands::Bands;
use crate::baselines::compare::{compare, Comparison};
use crate::baselines::store::{
    baseline_dir, load_baseline, report_dir, saved_baselines, BaselineError,
};
use crate::report::Report;

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

//! The regression gate as `#[spike_test]` runs it: the environment
//! variables (`SPIKE_BASELINE`, `SPIKE_SAVE_BASELINE`,
//! `SPIKE_BASELINE_STRICT`), the per-test bands and [`gate_test`].

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use crate::baselines::bands::Bands;
use crate::baselines::compare::{compare, Comparison};
use crate::baselines::store::{
    baseline_dir, load_baseline, report_dir, save_baseline, saved_baselines, BaselineError,
};
use crate::report::Report;
use crate::test_context::TestContext;

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

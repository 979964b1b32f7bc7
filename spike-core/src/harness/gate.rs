//! The baseline side of a spike test, driven by the environment: save the
//! run as a baseline (`SPIKE_SAVE_BASELINE`), and gate it against one
//! (`SPIKE_BASELINE`, strict in CI) after the body, on the reports in
//! memory.

use std::path::{Path, PathBuf};

use crate::baselines::bands::Bands;
use crate::baselines::check::check;
use crate::baselines::store::save_baseline;
use crate::report::Report;

use super::test_context::TestContext;

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

/// Save `report` as the baseline `SPIKE_SAVE_BASELINE` names, if set.
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
    if report.shard.is_some() {
        shard_not_gated(report);
        return Ok(None);
    }
    if compare_from_env().as_deref() == Some(name.as_str()) {
        crate::notice::notice(&format!(
            "SPIKE_SAVE_BASELINE and SPIKE_BASELINE both name `{name}`: not saving `{}` over the baseline it is compared with",
            report.scenario
        ));
        return Ok(None);
    }
    save_baseline(report, &name).map(Some)
}

/// Say, once per process, that a shard's report is neither saved as a
/// baseline nor gated: the gate belongs to the merged report.
fn shard_not_gated(report: &Report) {
    static SAID: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if SAID.swap(true, std::sync::atomic::Ordering::Relaxed) {
        return;
    }
    let shard = report
        .shard
        .map_or_else(String::new, |s| format!("{}/{}", s.index, s.count));
    crate::notice::notice(&format!(
        "spike: `{}` ran as shard {shard}: no baseline is saved or compared for a shard \
         (SPIKE_SAVE_BASELINE / SPIKE_BASELINE are ignored here); the regression gate runs \
         on the merged report (SPIKE_MERGE=1)",
        report.scenario
    ));
}

/// Write a run's artifacts into `report.artifacts` and save it as a
/// baseline when asked; returns the path of `report.json`.
pub(crate) fn write_run(report: &Report, dir: &Path) -> std::io::Result<PathBuf> {
    let path = crate::artifacts::write_all(report, dir)?.report_json;
    if let Some(baseline) = save_if_asked(report)? {
        crate::notice::notice(&format!(
            "saved `{}` as baseline {}",
            report.scenario,
            baseline.display()
        ));
    }
    Ok(path)
}

/// Use `bands` for the regression gate of the spike test running now (the
/// automatic `SPIKE_BASELINE` gate and `no_regression_against` without
/// explicit bands). Returns `false`, changing nothing, outside a spike test.
pub fn set_test_bands(bands: Bands) -> bool {
    let Some(test) = TestContext::current() else {
        return false;
    };
    test.set_bands(bands);
    true
}

/// The bands in force here: the current spike test's, else the defaults.
#[must_use]
pub fn current_bands() -> Bands {
    TestContext::current().map_or_else(Bands::default, |t| t.bands())
}

/// The automatic gate `#[spike_test]` runs after the test body (and after
/// writing its artifacts) when `SPIKE_BASELINE` is set: every report the
/// test's runs returned, held in memory, is compared with that baseline.
/// Returns the message to fail the test with (all tables and report paths)
/// when a metric regressed, the runs are not comparable, a run is
/// inconclusive (unless the test's bands allow it), a baseline cannot be
/// read, or one is missing while [`strict_from_env`] (in CI by default);
/// otherwise writes the outcome (no regression, improvements, a missing
/// baseline) as a [`crate::notice::notice`], which the terminal shows even
/// when the test passes, and returns `Ok`.
///
/// A comparison that failed while this run was inconclusive notes the run's
/// reasons on the test ([`TestContext::note_inconclusive`]): `#[spike_test]`
/// then runs the body again while attempts are left, as it does for a
/// check that failed on such a run. A regression measured on a conclusive
/// run, or an inconclusive *baseline*, is never retried.
///
/// # Errors
/// The failure message described above.
pub fn gate_test(test: &TestContext) -> Result<(), String> {
    let Some(name) = compare_from_env() else {
        return Ok(());
    };
    let strict = strict_from_env();
    let bands = test.bands();
    let mut failures = Vec::new();
    for report in test.reports() {
        if report.shard.is_some() {
            shard_not_gated(&report);
            continue;
        }
        match check(&report, &name, &bands) {
            Ok(outcome) if outcome.failed(strict) => {
                if !bands.allow_inconclusive {
                    for why in report.inconclusive_reasons() {
                        test.note_inconclusive(format!("{}: {}", report.scenario, why.long));
                    }
                }
                failures.push(outcome.to_string());
            }
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

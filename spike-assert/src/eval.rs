//! Evaluating one check against a report: the values of its quantity
//! ([`crate::quantity`]) in its scope ([`crate::scope`]), judged by its
//! comparator ([`crate::cmp`]), and the words for the table.

use std::collections::BTreeSet;
use std::time::Duration;

use spike_core::{Report, Stats, WindowStats};

use crate::cmp::Cmp;
use crate::quantity::Quantity;
use crate::scope::{window_label, Scope};
use crate::suggest;
use crate::units::{fmt_us, us_of};

/// Fewest samples a window needs before a per-window check judges it
/// (completed iterations for latency, service time and error rate; recorded
/// values for a `ctx.record` duration). Below it a window's p99 is its
/// largest value and one error is a 5% error rate: such a window is skipped
/// and listed, and a check whose windows are mostly skipped is
/// inconclusive. Change it with [`crate::Expect::min_samples`].
pub const DEFAULT_MIN_SAMPLES: u64 = 20;

/// One measured value, or why there is none; `label` names the tag value.
struct Case<'a> {
    value: Result<f64, String>,
    label: Option<String>,
    window: Option<&'a WindowStats>,
}

/// The measured value and the verdict of one check.
pub(crate) struct Outcome {
    pub(crate) actual: String,
    pub(crate) passed: bool,
    /// Nothing failed, but too few windows had enough samples to judge: the
    /// check proves nothing either way (`passed` is false).
    pub(crate) inconclusive: bool,
}

impl Outcome {
    fn fail(actual: impl Into<String>) -> Self {
        Outcome {
            actual: actual.into(),
            passed: false,
            inconclusive: false,
        }
    }
}

/// `#3, #4, #5, #6, #7 and 2 more`
fn list_windows(windows: &[&WindowStats]) -> String {
    const SHOWN: usize = 5;
    let shown: Vec<String> = windows
        .iter()
        .take(SHOWN)
        .map(|w| format!("#{}", w.index))
        .collect();
    let mut out = shown.join(", ");
    if windows.len() > SHOWN {
        out.push_str(&format!(" and {} more", windows.len() - SHOWN));
    }
    out
}

/// Split per-window targets into those with enough samples for `quantity`
/// and those without (0 < samples < `min`). A window where nothing
/// completed is kept: it fails latency and error-rate checks, which is the
/// point of checking it. A window where iterations completed but none made
/// the named request a check is about is thin, not failed.
fn split_by_samples<'a>(
    targets: Vec<(&'a Stats, Option<&'a WindowStats>)>,
    quantity: &Quantity,
    min: u64,
) -> (
    Vec<(&'a Stats, Option<&'a WindowStats>)>,
    Vec<&'a WindowStats>,
) {
    let mut judged = Vec::new();
    let mut thin = Vec::new();
    for (stats, window) in targets {
        match (quantity.samples(stats), window) {
            (Some(n), Some(w)) if n < min && (n > 0 || quantity.zero_is_thin(stats)) => {
                thin.push(w);
            }
            _ => judged.push((stats, window)),
        }
    }
    (judged, thin)
}

fn place(case: &Case<'_>) -> String {
    match (&case.label, case.window) {
        (Some(l), Some(w)) => format!("{l} in {}", window_label(w)),
        (Some(l), None) => l.clone(),
        (None, Some(w)) => window_label(w),
        (None, None) => String::new(),
    }
}

/// Whether the report has request `name` anywhere (a request that never
/// finished in a scope has no samples there; one the report never heard of
/// is a mistake, never a vacuous pass): else the names it has, and the one
/// `name` is probably a typo of.
fn request_known(report: &Report, name: &str) -> Result<(), String> {
    let mut names: BTreeSet<&str> = BTreeSet::new();
    let all = std::iter::once(&report.total)
        .chain(report.phases.iter().map(|p| &p.stats))
        .chain(report.windows.iter().map(|w| &w.stats));
    for stats in all {
        names.extend(stats.requests.keys().map(String::as_str));
    }
    if names.contains(name) {
        return Ok(());
    }
    if names.is_empty() {
        return Err(format!(
            "no request named `{name}`; the run recorded no named request"
        ));
    }
    let guess = suggest::closest(name, names.iter().copied())
        .map(|g| format!(" (did you mean `{g}`?)"))
        .unwrap_or_default();
    let names: Vec<&str> = names.into_iter().collect();
    Err(format!(
        "no request named `{name}`{guess}; the requests are: {}",
        names.join(", ")
    ))
}

/// Evaluate `quantity` against `cmp` over `scope` of `report`; a window
/// scope judges only windows with at least `min_samples` samples.
pub(crate) fn evaluate(
    report: &Report,
    scope: &Scope,
    quantity: &Quantity,
    cmp: Cmp,
    min_samples: u64,
) -> Outcome {
    if let Some(why) = cmp.invalid() {
        return Outcome::fail(format!("invalid expectation: {why}"));
    }
    if let Some(name) = quantity.request() {
        if let Err(why) = request_known(report, name) {
            return Outcome::fail(why);
        }
    }
    let (targets, skipped) = match scope.targets(report) {
        Ok(t) => t,
        Err(why) => return Outcome::fail(why),
    };
    let (targets, thin) = split_by_samples(targets, quantity, min_samples);
    let loaded = targets.len() + thin.len();
    let thin_note = |n: usize| {
        format!(
            "{n} {} with fewer than {min_samples} samples skipped: {}",
            if n == 1 { "window" } else { "windows" },
            list_windows(&thin)
        )
    };
    if targets.is_empty() {
        // Every window in scope is too thin to judge.
        let most = thin
            .iter()
            .filter_map(|w| quantity.samples(&w.stats))
            .max()
            .unwrap_or(0);
        let actual = match scope {
            Scope::Window(_) => {
                format!("only {most} samples, fewer than the minimum of {min_samples}: not judged")
            }
            _ => format!(
                "{}; no window left to judge (most samples in one: {most})",
                thin_note(thin.len())
            ),
        };
        return Outcome {
            actual,
            passed: false,
            inconclusive: true,
        };
    }
    let kind = quantity.kind();
    let mut cases = Vec::new();
    let mut hint = None;
    for (stats, window) in &targets {
        match quantity.observe(stats) {
            Ok(values) => cases.extend(values.into_iter().map(|(v, label)| Case {
                value: Ok(v),
                label,
                window: *window,
            })),
            Err(why) => cases.push(Case {
                value: Err(why),
                label: None,
                window: *window,
            }),
        }
        if window.is_none() {
            hint = quantity.hint(stats);
        }
    }
    let fails = |c: &Case<'_>| c.value.as_ref().map_or(true, |v| !cmp.holds(*v));
    // Mostly skipped: more thin windows than judged ones. A failure in a
    // judged window is still a failure.
    let any_fails = cases.iter().any(fails);
    let inconclusive = !any_fails && thin.len() * 2 > loaded;
    let passed = !any_fails && !inconclusive;
    let show = |c: &Case<'_>| match &c.value {
        Ok(v) => kind.fmt(*v),
        Err(why) => why.clone(),
    };

    let per_window = matches!(scope, Scope::EveryWindow(_));
    // One value of one scope: show it.
    if let ([case], false) = (cases.as_slice(), per_window) {
        let mut actual = show(case);
        if let Some(hint) = hint {
            actual = format!("{actual} ({hint})");
        }
        return Outcome {
            actual,
            passed,
            inconclusive,
        };
    }

    // Several tag values of one scope: list them all when few.
    if !per_window && cases.len() <= 4 {
        let parts: Vec<String> = cases
            .iter()
            .map(|c| format!("{} {}", place(c), show(c)))
            .collect();
        return Outcome {
            actual: parts.join(", "),
            passed,
            inconclusive,
        };
    }

    // Many values: the worst one, and how many fail.
    // A missing value is the worst; ties go to the first.
    let margin = |c: &Case<'_>| {
        c.value
            .as_ref()
            .map_or(f64::NEG_INFINITY, |v| cmp.margin(*v))
    };
    let worst = cases
        .iter()
        .min_by(|a, b| margin(a).total_cmp(&margin(b)))
        .expect("a scope has at least one value");
    let (unit, total, failing) = if per_window {
        let windows: BTreeSet<u64> = cases
            .iter()
            .filter_map(|c| c.window.map(|w| w.index))
            .collect();
        let failing: BTreeSet<u64> = cases
            .iter()
            .filter(|c| fails(c))
            .filter_map(|c| c.window.map(|w| w.index))
            .collect();
        ("windows", windows.len(), failing.len())
    } else {
        (
            "values",
            cases.len(),
            cases.iter().filter(|c| fails(c)).count(),
        )
    };
    let unit = if total == 1 {
        unit.trim_end_matches('s')
    } else {
        unit
    };
    let head = if !any_fails {
        format!("all {total} {unit} pass")
    } else {
        format!("{failing} of {total} {unit} fail")
    };
    let mut actual = format!("{head}; worst {}: {}", place(worst), show(worst));
    if skipped > 0 {
        let windows = if skipped == 1 { "window" } else { "windows" };
        actual.push_str(&format!(
            " ({skipped} {windows} with no iteration due skipped)"
        ));
    }
    if !thin.is_empty() {
        actual.push_str(&format!(" ({})", thin_note(thin.len())));
    }
    if inconclusive {
        actual.push_str(&format!(
            "; only {} of {loaded} windows judged",
            loaded - thin.len()
        ));
    }
    Outcome {
        actual,
        passed,
        inconclusive,
    }
}

/// Expected, actual and verdict of a recovery check.
pub(crate) fn recovery_outcome(report: &Report, limit: Option<Duration>) -> (String, String, bool) {
    let expected = match limit {
        Some(d) => format!("recovered ≤ {} after the spike", fmt_us(us_of(d))),
        None => "recovered".to_owned(),
    };
    let Some(r) = &report.recovery else {
        return (
            expected,
            "not measured: the shape has no burst followed by a recover phase".to_owned(),
            false,
        );
    };
    match r.recovery_time {
        Some(t) => (
            expected,
            format!("recovered {} after the spike", fmt_us(us_of(t))),
            limit.is_none_or(|d| t <= d),
        ),
        None => {
            let unhealthy = unhealthy_list(&r.unhealthy_windows);
            (
                expected,
                format!(
                    "did not recover in the {} `{}` phase (unhealthy windows {unhealthy})",
                    fmt_us(us_of(r.recover_end.saturating_sub(r.spike_end))),
                    r.recover_phase,
                ),
                false,
            )
        }
    }
}

/// The indexes of a recovery's unhealthy windows, for a failure message:
/// the first five, then how many more (`#12, #13 and 4 more`).
pub(crate) fn unhealthy_list(windows: &[u64]) -> String {
    let shown: Vec<String> = windows.iter().take(5).map(|i| format!("#{i}")).collect();
    let more = windows.len().saturating_sub(shown.len());
    let mut list = shown.join(", ");
    if more > 0 {
        list.push_str(&format!(" and {more} more"));
    }
    list
}

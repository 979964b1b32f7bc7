//! Evaluating one check against a report: the metric, the comparator, the
//! scope, and the words for the table.

use std::collections::BTreeSet;

use spike_core::{Percent, Quantile, Report, Stats, WindowStats};

/// Fewest samples a window needs before a per-window check judges it
/// (completed iterations for latency, service time and error rate; recorded
/// values for a `ctx.record` duration). Below it a window's p99 is its
/// largest value and one error is a 5% error rate: such a window is skipped
/// and listed, and a check whose windows are mostly skipped is
/// inconclusive. Change it with [`crate::Expect::min_samples`].
pub const DEFAULT_MIN_SAMPLES: u64 = 20;

/// How a value is shown: the unit of the metric and of its threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A fraction shown as a percentage.
    Percent,
    /// Microseconds shown as `850µs`, `12.3ms`, `4.20s`.
    Duration,
    /// Per second.
    Rate,
    /// A whole count.
    Count,
}

impl Kind {
    pub(crate) fn fmt(self, v: f64) -> String {
        match self {
            Kind::Percent => Percent::from_fraction(v).to_string(),
            Kind::Duration => fmt_us(v),
            Kind::Rate => format!("{}/s", trim(format!("{v:.1}"))),
            Kind::Count => format!("{v:.0}"),
        }
    }
}

/// Drop trailing zeros after a decimal point, and the point itself.
fn trim(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    }
}

/// Microseconds for people, in spike's one duration format
/// ([`spike_core::fmt::duration_us`]: `850µs`, `12.3ms`, `1.25s`), the
/// same the report summary and the gate table print.
pub(crate) fn fmt_us(us: f64) -> String {
    // Thresholds and values are whole microseconds or more; a fraction is
    // rounded, a negative or non-finite value (none is produced) shows as 0.
    let whole = if us.is_finite() && us > 0.0 {
        us.round() as u64
    } else {
        0
    };
    spike_core::fmt::duration_us(whole)
}

/// A duration as microseconds, the unit every duration is compared in.
pub(crate) fn us_of(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// A comparator with its threshold(s), in the quantity's unit. Each has one
/// meaning, the one its table text shows (see [`Cmp::describe`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Cmp {
    /// `v < t`: `below(t)`, shown `< t`.
    Below(f64),
    /// `v ≤ t`: `at_most(t)` (and the deprecated `within(t)` of a
    /// duration), shown `≤ t`.
    AtMost(f64),
    /// `v > t`: `above(t)`, shown `> t`.
    Above(f64),
    /// `v ≥ t`: `at_least(t)`, shown `≥ t`.
    AtLeast(f64),
    /// `lo ≤ v ≤ hi`: `between(lo, hi)`, shown `≥ lo and ≤ hi`.
    Between(f64, f64),
}

impl Cmp {
    pub(crate) fn holds(self, v: f64) -> bool {
        match self {
            Cmp::Below(t) => v < t,
            Cmp::AtMost(t) => v <= t,
            Cmp::Above(t) => v > t,
            Cmp::AtLeast(t) => v >= t,
            Cmp::Between(lo, hi) => lo <= v && v <= hi,
        }
    }

    /// How far inside the accepted range `v` lies (negative: outside). The
    /// worst of several values is the one with the smallest margin.
    fn margin(self, v: f64) -> f64 {
        match self {
            Cmp::Below(t) | Cmp::AtMost(t) => t - v,
            Cmp::Above(t) | Cmp::AtLeast(t) => v - t,
            Cmp::Between(lo, hi) => (v - lo).min(hi - v),
        }
    }

    /// Why the expectation itself makes no sense, if it does not.
    pub(crate) fn invalid(self) -> Option<&'static str> {
        match self {
            Cmp::Between(lo, hi) if lo.is_nan() || hi.is_nan() => Some("a threshold is NaN"),
            Cmp::Between(lo, hi) if lo > hi => {
                Some("the lower bound is above the upper bound: no value can pass")
            }
            Cmp::Below(t) | Cmp::AtMost(t) | Cmp::Above(t) | Cmp::AtLeast(t) if t.is_nan() => {
                Some("the threshold is NaN")
            }
            _ => None,
        }
    }

    /// The table's "expected" text: the operator the comparator tests,
    /// then the threshold (`< 250ms`, `≤ 2.00%`, `≥ 10/s`, `≥ 1 and ≤ 3`).
    pub(crate) fn describe(self, kind: Kind) -> String {
        match self {
            Cmp::Below(t) => format!("< {}", kind.fmt(t)),
            Cmp::AtMost(t) => format!("≤ {}", kind.fmt(t)),
            Cmp::Above(t) => format!("> {}", kind.fmt(t)),
            Cmp::AtLeast(t) => format!("≥ {}", kind.fmt(t)),
            Cmp::Between(lo, hi) => format!("≥ {} and ≤ {}", kind.fmt(lo), kind.fmt(hi)),
        }
    }
}

/// What a check measures in a set of iterations.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Quantity {
    ErrorRate,
    Latency(Quantile),
    ServiceTime(Quantile),
    /// A duration the workload recorded with `ctx.record(name, ..)`.
    Recorded(String, Quantile),
    Throughput,
    Dropped,
    Errors(String),
    Ratio(String, String),
    TagShare(String),
}

/// One measured value, or why there is none; `label` names the tag value.
struct Case<'a> {
    value: Result<f64, String>,
    label: Option<String>,
    window: Option<&'a WindowStats>,
}

impl Quantity {
    pub(crate) fn kind(&self) -> Kind {
        match self {
            Quantity::ErrorRate | Quantity::Ratio(..) | Quantity::TagShare(_) => Kind::Percent,
            Quantity::Latency(_) | Quantity::ServiceTime(_) | Quantity::Recorded(..) => {
                Kind::Duration
            }
            Quantity::Throughput => Kind::Rate,
            Quantity::Dropped | Quantity::Errors(_) => Kind::Count,
        }
    }

    pub(crate) fn name(&self) -> String {
        match self {
            Quantity::ErrorRate => "error rate".to_owned(),
            Quantity::Latency(q) => format!("latency {q}"),
            Quantity::ServiceTime(q) => format!("service time {q}"),
            Quantity::Recorded(name, q) => format!("{name} {q}"),
            Quantity::Throughput => "throughput".to_owned(),
            Quantity::Dropped => "dropped iterations".to_owned(),
            Quantity::Errors(class) => format!("errors {class}"),
            Quantity::Ratio(n, d) => format!("ratio {n}/{d}"),
            Quantity::TagShare(key) => format!("tag share {key}"),
        }
    }

    /// The values of this metric in `s`: one, or one per tag value.
    fn observe(&self, s: &Stats) -> Result<Vec<(f64, Option<String>)>, String> {
        const NOTHING: &str = "no iteration completed";
        let one = |v: f64| Ok(vec![(v, None)]);
        match self {
            Quantity::ErrorRate if s.completed == 0 => Err(NOTHING.to_owned()),
            Quantity::ErrorRate => one(s.error_rate),
            Quantity::Latency(_) | Quantity::ServiceTime(_) if s.completed == 0 => {
                Err(NOTHING.to_owned())
            }
            Quantity::Latency(q) => one(us_of(s.latency.at(*q))),
            Quantity::ServiceTime(q) => one(us_of(s.service_time.at(*q))),
            Quantity::Recorded(name, q) => match s.metric(name) {
                Some(p) if p.count > 0 => one(us_of(p.at(*q))),
                _ if s.metrics.is_empty() => Err(format!("nothing was recorded as `{name}`")),
                _ => Err(format!(
                    "nothing was recorded as `{name}` (recorded: {})",
                    s.metrics.keys().cloned().collect::<Vec<_>>().join(", ")
                )),
            },
            Quantity::Throughput => one(s.throughput),
            Quantity::Dropped => one(s.dropped as f64),
            Quantity::Errors(class) => one(s.errors_of(class) as f64),
            Quantity::Ratio(n, d) => match s.ratio(n, d) {
                Some(r) => one(r),
                None => Err(format!(
                    "undefined: the denominator `{d}` is 0 ({n} = {})",
                    s.counter(n)
                )),
            },
            Quantity::TagShare(key) => {
                let shares = s.tag_shares(key);
                if shares.is_empty() {
                    return Err(format!("no iteration carried the tag `{key}`"));
                }
                Ok(shares
                    .into_iter()
                    .map(|(v, share)| (share, Some(v)))
                    .collect())
            }
        }
    }

    /// How many samples the metric is computed from in `s`, for the metrics
    /// that are a statistic of samples (percentiles, error rate); `None` for
    /// counts, rates and ratios, which need no minimum.
    fn samples(&self, s: &Stats) -> Option<u64> {
        match self {
            Quantity::ErrorRate | Quantity::Latency(_) | Quantity::ServiceTime(_) => {
                Some(s.completed)
            }
            Quantity::Recorded(name, _) => Some(s.metric(name).map_or(0, |p| p.count)),
            Quantity::Throughput
            | Quantity::Dropped
            | Quantity::Errors(_)
            | Quantity::Ratio(..)
            | Quantity::TagShare(_) => None,
        }
    }

    /// A hint for a count of 0 of an error class that may be misspelled.
    fn hint(&self, s: &Stats) -> Option<String> {
        let Quantity::Errors(class) = self else {
            return None;
        };
        if s.errors_of(class) > 0 || s.errors_by_class.is_empty() {
            return None;
        }
        let seen: Vec<String> = s
            .errors_by_class
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        Some(format!("classes seen: {}", seen.join(", ")))
    }
}

/// The stats a scope covers, each with its window when per window, and how
/// many windows were skipped for having no iteration due.
type Targets<'a> = (Vec<(&'a Stats, Option<&'a WindowStats>)>, usize);

/// Which iterations every later check of a chain looks at, until the next
/// scope method. Run-level checks (recovery, the regression gate) ignore it
/// and say so with [`Scope::run_level_label`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Scope {
    Run,
    Phase(String),
    EveryWindow(Option<String>),
    Window(u64),
}

/// `#3 (300ms–400ms)`
pub(crate) fn window_label(w: &WindowStats) -> String {
    format!(
        "window #{} ({}–{})",
        w.index,
        fmt_us(us_of(w.start)),
        fmt_us(us_of(w.end))
    )
}

fn no_phase(report: &Report, name: &str) -> String {
    let names: Vec<&str> = report.phases.iter().map(|p| p.name.as_str()).collect();
    format!(
        "no phase named `{name}`; the phases are: {}",
        names.join(", ")
    )
}

impl Scope {
    /// The table's scope column for a check evaluated in this scope.
    pub(crate) fn label(&self) -> String {
        match self {
            Scope::Run => "run".to_owned(),
            Scope::Phase(p) => format!("phase {p}"),
            Scope::EveryWindow(None) => "every window".to_owned(),
            Scope::EveryWindow(Some(p)) => format!("every window of {p}"),
            Scope::Window(i) => format!("window #{i}"),
        }
    }

    /// The scope column of a run-level check, which looks at the whole run
    /// whatever the scope: `what` (`run`, ``run vs baseline `main` ``) alone
    /// in the run scope, else followed by `(ignores phase burst)`.
    pub(crate) fn run_level_label(&self, what: &str) -> String {
        match self {
            Scope::Run => what.to_owned(),
            other => format!("{what} (ignores {})", other.label()),
        }
    }

    /// The stats this scope covers, each with its window when per window,
    /// plus how many windows without load were skipped.
    fn targets<'a>(&self, report: &'a Report) -> Result<Targets<'a>, String> {
        match self {
            Scope::Run => Ok((vec![(&report.total, None)], 0)),
            Scope::Phase(name) => match report.phase(name) {
                Some(p) => Ok((vec![(&p.stats, None)], 0)),
                None => Err(no_phase(report, name)),
            },
            Scope::Window(i) => match report.windows.iter().find(|w| w.index == *i) {
                Some(w) => Ok((vec![(&w.stats, Some(w))], 0)),
                None => Err(format!(
                    "no window #{i}; the run has {} windows, #0 to #{}",
                    report.windows.len(),
                    report.windows.len().saturating_sub(1)
                )),
            },
            Scope::EveryWindow(phase) => {
                if let Some(name) = phase {
                    if report.phase(name).is_none() {
                        return Err(no_phase(report, name));
                    }
                }
                let all: Vec<&WindowStats> = report
                    .windows
                    .iter()
                    .filter(|w| phase.as_ref().is_none_or(|p| &w.phase == p))
                    .collect();
                let loaded: Vec<(&Stats, Option<&WindowStats>)> = all
                    .iter()
                    .filter(|w| w.stats.scheduled > 0)
                    .map(|w| (&w.stats, Some(*w)))
                    .collect();
                if loaded.is_empty() {
                    return Err(match phase {
                        Some(p) => format!("no window of phase `{p}` had any iteration due"),
                        None => "no window had any iteration due".to_owned(),
                    });
                }
                Ok((loaded.clone(), all.len() - loaded.len()))
            }
        }
    }
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
/// point of checking it.
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
            (Some(n), Some(w)) if n > 0 && n < min => thin.push(w),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        // One format with the summary and the gate table (issue 10).
        assert_eq!(fmt_us(0.0), "0µs");
        assert_eq!(fmt_us(850.0), "850µs");
        assert_eq!(fmt_us(250_000.0), "250.0ms");
        assert_eq!(fmt_us(12_340.0), "12.3ms");
        assert_eq!(fmt_us(30_000_000.0), "30.00s");
        assert_eq!(fmt_us(1_250_000.0), "1.25s");
        assert_eq!(fmt_us(950.0), "950µs");
        assert_eq!(fmt_us(1_500.0), "1.5ms");
        assert_eq!(fmt_us(25_000.0), "25.0ms");
        assert_eq!(fmt_us(1_200_000.0), "1.20s");
        assert_eq!(fmt_us(999.6), "1.0ms");
        assert_eq!(Kind::Rate.fmt(950.0), "950/s");
        assert_eq!(Kind::Rate.fmt(12.34), "12.3/s");
        assert_eq!(Kind::Percent.fmt(0.02), "2.00%");
        assert_eq!(Kind::Count.fmt(7.0), "7");
    }

    #[test]
    fn comparators_draw_the_line_where_their_names_say() {
        assert!(!Cmp::Below(2.0).holds(2.0));
        assert!(Cmp::Below(2.0).holds(1.9));
        assert!(Cmp::AtMost(2.0).holds(2.0));
        assert!(!Cmp::AtMost(2.0).holds(2.1));
        assert!(!Cmp::Above(2.0).holds(2.0));
        assert!(Cmp::Above(2.0).holds(2.1));
        assert!(Cmp::AtLeast(2.0).holds(2.0));
        assert!(!Cmp::AtLeast(2.0).holds(1.9));
        assert!(Cmp::Between(1.0, 2.0).holds(1.0));
        assert!(Cmp::Between(1.0, 2.0).holds(2.0));
        assert!(!Cmp::Between(1.0, 2.0).holds(2.1));
        assert!(!Cmp::Between(1.0, 2.0).holds(0.9));
    }

    #[test]
    fn each_comparator_shows_its_operator() {
        let d = Kind::Duration;
        assert_eq!(Cmp::Below(250_000.0).describe(d), "< 250.0ms");
        assert_eq!(Cmp::AtMost(250_000.0).describe(d), "≤ 250.0ms");
        assert_eq!(Cmp::Above(250_000.0).describe(d), "> 250.0ms");
        assert_eq!(Cmp::AtLeast(250_000.0).describe(d), "≥ 250.0ms");
        assert_eq!(
            Cmp::Between(1_000.0, 2_000.0).describe(d),
            "≥ 1.0ms and ≤ 2.0ms"
        );
        assert_eq!(Cmp::AtMost(0.02).describe(Kind::Percent), "≤ 2.00%");
        assert_eq!(Cmp::AtLeast(10.0).describe(Kind::Rate), "≥ 10/s");
        assert_eq!(Cmp::Below(3.0).describe(Kind::Count), "< 3");
    }

    #[test]
    fn run_level_checks_name_the_scope_they_ignore() {
        assert_eq!(Scope::Run.run_level_label("run"), "run");
        assert_eq!(
            Scope::Phase("burst".into()).run_level_label("run"),
            "run (ignores phase burst)"
        );
        assert_eq!(
            Scope::EveryWindow(None).run_level_label("run vs baseline `main`"),
            "run vs baseline `main` (ignores every window)"
        );
    }

    #[test]
    fn nonsense_expectations_are_named() {
        assert!(Cmp::Between(2.0, 1.0).invalid().is_some());
        assert!(Cmp::Below(f64::NAN).invalid().is_some());
        assert!(Cmp::Between(1.0, 2.0).invalid().is_none());
    }
}

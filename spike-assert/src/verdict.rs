//! The end of a chain: the guard row, the table, recording the checks in the
//! saved report, and the two results ([`Verified`], [`Failure`]).

use std::panic::Location;
use std::path::{Path, PathBuf};

use spike_core::{Check, Report};

use crate::units::fmt_us;

/// How one row of the table ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RowVerdict {
    Pass,
    Fail,
    /// The guard: the load was not applied as planned.
    Inconclusive,
    /// The guard, opted out of with `allow_inconclusive()`.
    Allowed,
}

impl RowVerdict {
    fn word(self) -> &'static str {
        match self {
            RowVerdict::Pass => "ok",
            RowVerdict::Fail => "FAILED",
            RowVerdict::Inconclusive => "INCONCLUSIVE",
            RowVerdict::Allowed => "allowed",
        }
    }

    pub(crate) fn passed(self) -> bool {
        matches!(self, RowVerdict::Pass | RowVerdict::Allowed)
    }
}

/// One evaluated check.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub(crate) check: String,
    pub(crate) scope: String,
    pub(crate) expected: String,
    pub(crate) actual: String,
    pub(crate) verdict: RowVerdict,
}

impl Row {
    pub(crate) fn to_check(&self) -> Check {
        Check {
            check: self.check.clone(),
            scope: self.scope.clone(),
            expected: self.expected.clone(),
            actual: self.actual.clone(),
            passed: self.verdict.passed(),
        }
    }
}

/// The default guard: was the load the shape asked for actually applied?
/// Returns the row and, when it was not, each reason in full.
pub(crate) fn guard(report: &Report, allow: bool) -> (Row, Vec<String>) {
    let g = &report.generator;
    let budget = fmt_us(g.lag_budget_us as f64);
    let lag = fmt_us(g.schedule_lag.p99_us as f64);
    // (short, for the table; long, for the explanation under it)
    let problems: Vec<(String, String)> = report
        .inconclusive_reasons_with(|us| fmt_us(us as f64))
        .into_iter()
        .map(|r| (r.short, r.long))
        .collect();
    let short: Vec<&str> = problems.iter().map(|(s, _)| s.as_str()).collect();
    let (actual, verdict) = if problems.is_empty() {
        (format!("0 dropped, lag p99 {lag}"), RowVerdict::Pass)
    } else if allow {
        (short.join(", "), RowVerdict::Allowed)
    } else {
        (short.join(", "), RowVerdict::Inconclusive)
    };
    let row = Row {
        check: "load applied as planned".to_owned(),
        scope: "generator".to_owned(),
        expected: format!("0 dropped, lag p99 ≤ {budget}, not interrupted"),
        actual,
        verdict,
    };
    (row, problems.into_iter().map(|(_, long)| long).collect())
}

/// The rows as an aligned table, two spaces in (spike's one table
/// renderer, plain style).
pub(crate) fn table(rows: &[Row]) -> String {
    let mut t =
        spike_core::fmt::Table::new(&["check", "scope", "expected", "actual", "verdict"], &[])
            .plain();
    for r in rows {
        t.row(vec![
            r.check.clone(),
            r.scope.clone(),
            r.expected.clone(),
            r.actual.clone(),
            r.verdict.word().to_owned(),
        ]);
    }
    t.render().trim_end_matches('\n').to_owned()
}

/// Where the checks will be recorded.
#[derive(Debug, Clone)]
enum Saved {
    /// Nothing records them: the run was not inside `#[spike_test]`.
    Nowhere,
    /// The test records them in this `report.json`, written after its body.
    Recorded(PathBuf),
}

impl Saved {
    fn path(&self) -> Option<&Path> {
        match self {
            Saved::Nowhere => None,
            Saved::Recorded(p) => Some(p),
        }
    }

    fn line(&self) -> String {
        match self {
            Saved::Nowhere => "report: not saved (the run was not inside #[spike_test]; \
                                `Report::write_to` saves one)"
                .to_owned(),
            Saved::Recorded(p) => format!("report: {}", p.display()),
        }
    }
}

/// Hand the evaluated checks to the sinks installed around this task
/// (inside `#[spike_test]`, the test keeps them with the report in memory
/// and writes them into `report.json` and `report.html` after its body).
fn record(report: &Report, checks: &[Check]) -> Saved {
    spike_core::installed::Installed::deliver_checks(report, checks)
        .map_or(Saved::Nowhere, Saved::Recorded)
}

/// Every check of a chain held. Returned by [`crate::Expect::verify`] and
/// [`crate::Expect::try_verify`].
///
/// ```
/// # use spike_assert::expect;
/// # use spike_core::{ms, rps, secs, Ctx, Scenario, Shape};
/// # tokio::runtime::Builder::new_multi_thread().enable_time().build().unwrap().block_on(async {
/// # let shape = Shape::builder().hold(rps(100), ms(300)).build().unwrap();
/// # let report = Scenario::new("doc").shape(shape).window(ms(100)).lag_budget(secs(1))
/// #     .run(|_ctx: Ctx| async {}).await.unwrap();
/// let verified = expect(&report).error_rate().at_most(spike_core::pct(0)).verify();
/// // the error-rate check and the load guard
/// assert_eq!(verified.checks().len(), 2);
/// assert!(verified.checks().iter().all(|c| c.passed));
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct Verified {
    checks: Vec<Check>,
    saved: Option<PathBuf>,
}

impl Verified {
    /// The checks that ran, in chain order, the load guard last.
    #[must_use]
    pub fn checks(&self) -> &[Check] {
        &self.checks
    }

    /// The `report.json` the checks will be recorded in (written after the
    /// `#[spike_test]` body), when the run is inside one.
    #[must_use]
    pub fn report_path(&self) -> Option<&Path> {
        self.saved.as_deref()
    }
}

/// At least one check of a chain failed: every check with its verdict, the
/// report summary and where the chain was verified.
///
/// Its `Display` (and `Debug`, so `?` in a test prints it well) is the full
/// failure message that [`crate::Expect::verify`] panics with.
///
/// ```
/// # use spike_assert::expect;
/// # use spike_core::{ms, rps, secs, Ctx, Scenario, Shape};
/// # tokio::runtime::Builder::new_multi_thread().enable_time().build().unwrap().block_on(async {
/// # let shape = Shape::builder().hold(rps(100), ms(300)).build().unwrap();
/// # let report = Scenario::new("doc").shape(shape).window(ms(100)).lag_budget(secs(1))
/// #     .run(|_ctx: Ctx| async {}).await.unwrap();
/// let failure = expect(&report)
///     .throughput().at_least(1e9)
///     .try_verify()
///     .unwrap_err();
/// assert_eq!(failure.failed().count(), 1);
/// println!("verified at {}", failure.location()); // file:line:column of `try_verify`
/// assert!(failure.to_string().contains("throughput"));
/// # });
/// ```
#[derive(Clone)]
pub struct Failure {
    message: String,
    checks: Vec<Check>,
    location: &'static Location<'static>,
    saved: Option<PathBuf>,
}

impl Failure {
    /// Every check that ran, passed or not, in chain order, the load guard last.
    #[must_use]
    pub fn checks(&self) -> &[Check] {
        &self.checks
    }

    /// The checks that did not hold.
    pub fn failed(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| !c.passed)
    }

    /// Where `verify()` or `try_verify()` was called.
    #[must_use]
    pub fn location(&self) -> &'static Location<'static> {
        self.location
    }

    /// The `report.json` of the run (written after the `#[spike_test]`
    /// body), when the run is inside one.
    #[must_use]
    pub fn report_path(&self) -> Option<&Path> {
        self.saved.as_deref()
    }

    /// The full failure message (the same as `Display`).
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::fmt::Debug for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `fn test() -> Result<(), Box<dyn Error>>` prints the error with
        // `Debug`: show the table, not a struct dump.
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

impl Verified {
    /// Checks that all held and are recorded nowhere (a capacity chain).
    pub(crate) fn unsaved(checks: Vec<Check>) -> Self {
        Verified {
            checks,
            saved: None,
        }
    }
}

impl Failure {
    /// The same checks as a [`Verified`] (a shard's chain, whose verdict
    /// belongs to the merged report).
    pub(crate) fn into_recorded(self) -> Verified {
        Verified {
            checks: self.checks,
            saved: self.saved,
        }
    }

    /// A failure whose message is already written (a capacity chain).
    pub(crate) fn unsaved(
        message: String,
        checks: Vec<Check>,
        location: &'static Location<'static>,
    ) -> Self {
        Failure {
            message,
            checks,
            location,
            saved: None,
        }
    }
}

/// Evaluate the guard, record the checks, and decide.
pub(crate) fn conclude(
    report: &Report,
    mut rows: Vec<Row>,
    allow_inconclusive: bool,
    location: &'static Location<'static>,
) -> Result<Verified, Failure> {
    let (guard_row, reasons) = guard(report, allow_inconclusive);
    let inconclusive = guard_row.verdict == RowVerdict::Inconclusive;
    // Checks left inconclusive by thin windows.
    let mut thin: Vec<String> = Vec::new();
    for row in &mut rows {
        if row.verdict == RowVerdict::Inconclusive {
            if allow_inconclusive {
                row.verdict = RowVerdict::Allowed;
            } else {
                thin.push(format!("{}, {}: {}", row.check, row.scope, row.actual));
            }
        }
    }
    rows.push(guard_row);
    let checks: Vec<Check> = rows.iter().map(Row::to_check).collect();
    let saved = record(report, &checks);
    let failed = rows.iter().filter(|r| !r.verdict.passed()).count();
    if failed == 0 {
        return Ok(Verified {
            checks,
            saved: saved.path().map(Path::to_path_buf),
        });
    }
    let mut message = format!(
        "spike: {failed} of {} checks failed for scenario `{}`\n  at {location}\n\n{}\n",
        rows.len(),
        report.scenario,
        table(&rows),
    );
    if inconclusive {
        // Inside `#[spike_test]`, a body that fails on an inconclusive run
        // is run again while it has attempts left.
        if let Some(test) = spike_core::harness::TestContext::current() {
            test.note_inconclusive(reasons.join("; "));
        }
        message.push_str(
            "\nThe generator did not apply the load the shape asked for, so this result is \
             inconclusive, not a pass:\n",
        );
        for reason in &reasons {
            message.push_str(&format!("  - {reason}\n"));
        }
        message.push_str(
            "Lower the load, raise `max_in_flight` or `lag_budget`, or accept it with \
             `.allow_inconclusive()`.\n",
        );
    }
    if !thin.is_empty() {
        message.push_str(
            "\nToo few samples per window to judge, so these checks are inconclusive, not a \
             pass:\n",
        );
        for t in &thin {
            message.push_str(&format!("  - {t}\n"));
        }
        message.push_str(
            "Lengthen the windows (`Scenario::window`) or raise the rate; or judge thinner \
             windows knowingly with `.min_samples(n)`, or accept it with \
             `.allow_inconclusive()`.\n",
        );
    }
    message.push('\n');
    message.push_str(&report.to_string());
    message.push_str("\n\n");
    message.push_str(&saved.line());
    Err(Failure {
        message,
        checks,
        location,
        saved: saved.path().map(Path::to_path_buf),
    })
}

/// Panic with the failure; the location is the caller's (`verify()`'s).
#[track_caller]
pub(crate) fn fail(failure: &Failure) -> ! {
    panic!("{failure}")
}

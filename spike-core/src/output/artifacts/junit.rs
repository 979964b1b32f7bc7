//! `junit.xml`: a spike test as a JUnit test suite, one test case per
//! check, for the test reports CI systems show (GitLab, Jenkins, GitHub
//! test-report actions).
//!
//! Each [`Check`] of each run becomes a case named `<check> · <scope>`
//! (`· <scenario>` added when the run is not named after the test) with the
//! test name as its class name, and the properties `expected`, `actual`,
//! `scope`, `window` (the run's window length) and `scenario`. A failed
//! check is a `failure` whose message is one line and whose text is the
//! failure message the test panicked with (the check table, the summary and
//! the report path), or, when the test did not panic with it, the table of
//! the run's checks. A failed regression gate is a `failure` case
//! `regression gate`; a test that failed without a failed check (a panic in
//! the body, an error it returned, a timeout) gets an `error` case `run`
//! saying why; a passing test with no checks one passing case `run`.
//! The suite's properties: `attempts` (how many times the body ran),
//! `inconclusive` (why the last attempt's load was not applied as planned,
//! if it was not), `started_at_unix_ms` (the first run's start); attempts
//! run again are listed in its system-out. Every text goes through
//! [`crate::redact::redact`].

use std::path::{Path, PathBuf};

use quick_junit::{NonSuccessKind, Property, TestCase, TestCaseStatus, TestSuite};

use crate::fmt::Table;
use crate::redact::redact;
use crate::report::{Check, Report};

/// The file name of a test's JUnit XML, in its artifact folder.
pub const JUNIT_XML: &str = "junit.xml";

/// How a spike test ended, beyond the checks its reports hold: what
/// [`junit_suite`] needs to tell a failure or an error from a pass.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TestEnding {
    /// Whether the test failed (for any reason, checks included).
    pub failed: bool,
    /// The message the body panicked with, if it panicked with one.
    pub panic: Option<String>,
    /// The regression gate's failure message, if the gate failed.
    pub gate: Option<String>,
    /// The test's timeout (as written, e.g. `90s`), if it fired.
    pub timeout: Option<String>,
    /// Why the last attempt's load was not applied as planned, if it was
    /// not (its verdicts were inconclusive).
    pub inconclusive: Vec<String>,
    /// One line per earlier attempt that was inconclusive and run again.
    pub retried: Vec<String>,
}

/// The test suite of the spike test `test`: one case per check of each of
/// `reports`, and the cases `ending` calls for (see the module docs).
///
/// ```
/// use spike_core::artifacts::{junit_suite, TestEnding};
///
/// let suite = junit_suite("api::burst", &[], &TestEnding::default());
/// assert_eq!(suite.name.as_str(), "api::burst");
/// assert_eq!(suite.test_cases.len(), 1); // passed with no checks: one case `run`
/// assert_eq!(suite.failures + suite.errors, 0);
/// ```
#[must_use]
pub fn junit_suite(test: &str, reports: &[Report], ending: &TestEnding) -> TestSuite {
    let mut suite = TestSuite::new(clean(test));
    let mut failed_checks = 0;
    for report in reports {
        for check in &report.checks {
            failed_checks += usize::from(!check.passed);
            suite.add_test_case(check_case(test, report, check, ending));
        }
    }
    if let Some(gate) = &ending.gate {
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
        status
            .set_message("the regression gate failed (SPIKE_BASELINE)")
            .set_type("regression")
            .set_description(clean(gate));
        suite.add_test_case(case("regression gate", test, status));
    }
    let unexplained = ending.failed && failed_checks == 0 && ending.gate.is_none();
    if ending.timeout.is_some() || unexplained {
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
        let (message, ty) = why(ending);
        status.set_message(clean(&message)).set_type(ty);
        if let Some(panic) = &ending.panic {
            status.set_description(clean(panic));
        }
        suite.add_test_case(case("run", test, status));
    }
    if suite.test_cases.is_empty() {
        suite.add_test_case(case("run", test, TestCaseStatus::success()));
    }
    let elapsed = reports.iter().map(|r| r.elapsed).sum();
    suite.set_time(elapsed);
    suite.add_property(Property::new(
        "attempts",
        (ending.retried.len() + 1).to_string(),
    ));
    if let Some(first) = reports.first() {
        let started = first.environment.started_at_unix_ms.to_string();
        suite.add_property(Property::new("started_at_unix_ms", started));
    }
    if !ending.inconclusive.is_empty() {
        suite.add_property(Property::new(
            "inconclusive",
            clean(&ending.inconclusive.join("; ")),
        ));
    }
    if !ending.retried.is_empty() {
        suite.set_system_out(clean(&ending.retried.join("\n")));
    }
    suite
}

/// Write `suite` alone, as a JUnit report, to `dir/junit.xml`, atomically.
///
/// # Errors
/// Any I/O error; a serialization error as `io::ErrorKind::InvalidData`.
pub fn write_junit(suite: &TestSuite, dir: &Path) -> std::io::Result<PathBuf> {
    let mut report = quick_junit::Report::new("spike");
    report.add_test_suite(suite.clone());
    let xml = report
        .to_string()
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
    crate::report::write_atomic(dir, JUNIT_XML, xml.as_bytes())
}

/// The case of one check.
fn check_case(test: &str, report: &Report, check: &Check, ending: &TestEnding) -> TestCase {
    let mut name = format!("{} · {}", check.check, check.scope);
    if report.scenario != test {
        name.push_str(&format!(" · {}", report.scenario));
    }
    let status = if check.passed {
        TestCaseStatus::success()
    } else {
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
        // The message the user saw, when the test panicked with this check
        // in it; else the run's checks as the assertion table shows them.
        let text = match &ending.panic {
            Some(panic) if panic.contains(&check.check) && panic.contains(&check.actual) => {
                panic.clone()
            }
            _ => checks_table(&report.checks),
        };
        status
            .set_message(clean(&format!(
                "{name}: expected {}, actual {}",
                check.expected, check.actual
            )))
            .set_type("check failed")
            .set_description(clean(&text));
        status
    };
    let mut case = case(&name, test, status);
    case.add_properties([
        Property::new("expected", clean(&check.expected)),
        Property::new("actual", clean(&check.actual)),
        Property::new("scope", clean(&check.scope)),
        Property::new("window", crate::fmt::duration(report.window)),
        Property::new("scenario", clean(&report.scenario)),
    ]);
    case
}

/// Why a test failed without a failed check, and the error's type.
fn why(ending: &TestEnding) -> (String, &'static str) {
    if let Some(label) = &ending.timeout {
        return (
            format!("the test reached its timeout of {label}"),
            "timeout",
        );
    }
    if !ending.inconclusive.is_empty() {
        let attempts = ending.retried.len() + 1;
        return (
            format!(
                "inconclusive after {attempts} attempt(s): {}",
                ending.inconclusive.join("; ")
            ),
            "inconclusive",
        );
    }
    match &ending.panic {
        Some(panic) => (
            format!(
                "the test body panicked: {}",
                panic.lines().next().unwrap_or_default()
            ),
            "panic",
        ),
        None => (
            "the test body failed (it panicked without a message or returned an error)".to_owned(),
            "error",
        ),
    }
}

fn case(name: &str, test: &str, status: TestCaseStatus) -> TestCase {
    let mut case = TestCase::new(clean(name), status);
    case.set_classname(clean(test));
    case
}

/// The checks as the assertion table prints them (spike's one table
/// renderer, plain style).
fn checks_table(checks: &[Check]) -> String {
    let mut t = Table::new(&["check", "scope", "expected", "actual", "verdict"], &[]).plain();
    for c in checks {
        let verdict = if c.passed { "ok" } else { "FAILED" };
        t.row(vec![
            c.check.clone(),
            c.scope.clone(),
            c.expected.clone(),
            c.actual.clone(),
            verdict.to_owned(),
        ]);
    }
    t.render().trim_end_matches('\n').to_owned()
}

/// A text as it may be written: redacted.
fn clean(text: &str) -> String {
    redact(text).into_owned()
}

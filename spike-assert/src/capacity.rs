//! Checks on a capacity search's answer:
//! `expect(&cap).capacity().at_least(rps(800))`.
//!
//! A generator-bound search has no capacity to compare: its check fails
//! saying "generator-bound at X", never with a number, and inside
//! `#[spike_test]` the test is told the result was inconclusive (so a test
//! with `attempts` runs again).

use std::panic::Location;

use spike_core::stress::{CapacityReport, CapacityVerdict};
use spike_core::Level;

use crate::verdict::{self, Failure, Row, RowVerdict, Verified};

/// A chain of checks on a [`CapacityReport`], started by
/// [`expect`](crate::expect).
///
/// ```
/// use spike_assert::expect;
/// use spike_core::stress::{CapacityReport, CapacityVerdict, GeneratorCertificate, Slo};
/// use spike_core::rps;
///
/// let cap = CapacityReport {
///     name: "doc".into(),
///     slo: Slo::new(),
///     precision: 0.03,
///     verdict: CapacityVerdict::AtLeast { rate: 1_000.0 },
///     bracket: (Some(1_000.0), None),
///     steps: Vec::new(),
///     generator: GeneratorCertificate {
///         healthy: true, steps: vec![], lag_budget_us: 25_000,
///         worst_lag_p99_us: 0, worst_pacer_cpu: 0.0, dropped: 0,
///     },
/// };
/// expect(&cap).capacity().at_least(rps(800)).verify();
/// assert!(expect(&cap).capacity().at_least(rps(2_000)).try_verify().is_err());
/// ```
#[must_use = "checks decide nothing until `.verify()` or `.try_verify()`"]
#[derive(Debug)]
pub struct ExpectCapacity<'c> {
    report: &'c CapacityReport,
    rows: Vec<Row>,
}

/// A half-built check of R*, from [`ExpectCapacity::capacity`].
#[must_use = "a check needs a comparator: `.at_least(rps(800))`"]
#[derive(Debug)]
pub struct CapacityCheck<'c> {
    chain: ExpectCapacity<'c>,
}

pub(crate) fn start(report: &CapacityReport) -> ExpectCapacity<'_> {
    ExpectCapacity {
        report,
        rows: Vec::new(),
    }
}

impl<'c> ExpectCapacity<'c> {
    /// Check R*, the highest rate that met every SLO.
    pub fn capacity(self) -> CapacityCheck<'c> {
        CapacityCheck { chain: self }
    }

    fn push(mut self, expected: String, pass: impl Fn(f64) -> bool) -> Self {
        let report = self.report;
        let (actual, verdict) = match &report.verdict {
            CapacityVerdict::GeneratorBound { at, reason } => (
                format!("generator-bound at {at:.0} rps ({reason})"),
                RowVerdict::Inconclusive,
            ),
            CapacityVerdict::Interrupted { at, reason } => (
                format!("none: interrupted at {at:.0} rps ({reason})"),
                RowVerdict::Inconclusive,
            ),
            CapacityVerdict::BelowLowest { rate, failed_first } => (
                format!("none: {rate:.0} rps, the lowest probed, broke ({failed_first})"),
                RowVerdict::Fail,
            ),
            CapacityVerdict::AtLeast { rate } => (
                format!("≥ {rate:.1} rps (every step passed)"),
                if pass(*rate) {
                    RowVerdict::Pass
                } else {
                    RowVerdict::Fail
                },
            ),
            CapacityVerdict::Capacity {
                rate, first_bad, ..
            } => (
                format!("{rate:.1} rps (bracket [{rate:.1}, {first_bad:.1}])"),
                if pass(*rate) {
                    RowVerdict::Pass
                } else {
                    RowVerdict::Fail
                },
            ),
        };
        self.rows.push(Row {
            check: "capacity R*".to_owned(),
            scope: format!("search {}", report.name),
            expected,
            actual,
            verdict,
        });
        self
    }

    /// End the chain: panic, once, with the table of every check unless all
    /// held.
    ///
    /// # Panics
    /// When a check failed or the search was generator-bound.
    #[track_caller]
    pub fn verify(self) -> Verified {
        match self.conclude(Location::caller()) {
            Ok(v) => v,
            Err(failure) => verdict::fail(&failure),
        }
    }

    /// End the chain without panicking.
    ///
    /// # Errors
    /// A [`Failure`] when a check failed or the search was generator-bound.
    #[track_caller]
    pub fn try_verify(self) -> Result<Verified, Failure> {
        self.conclude(Location::caller())
    }

    fn conclude(self, location: &'static Location<'static>) -> Result<Verified, Failure> {
        let checks = self.rows.iter().map(Row::to_check).collect::<Vec<_>>();
        let failed = self.rows.iter().filter(|r| !r.verdict.passed()).count();
        if failed == 0 {
            return Ok(Verified::unsaved(checks));
        }
        let mut message = format!(
            "spike: {failed} of {} checks failed for capacity search `{}`\n  at {location}\n\n{}\n",
            self.rows.len(),
            self.report.name,
            verdict::table(&self.rows),
        );
        if let CapacityVerdict::GeneratorBound { at, reason } = &self.report.verdict {
            let why = format!("generator-bound at {at:.0} rps: {reason}");
            if let Some(test) = spike_core::harness::TestContext::current() {
                test.note_inconclusive(why.clone());
            }
            message.push_str(&format!(
                "\nThe generator, not the service, limited the search ({why}), so there is no \
                 capacity to compare: this is inconclusive, not a pass. Give the generator more \
                 cores or workers, raise `max_in_flight`, or run it on a quieter machine.\n"
            ));
        }
        message.push('\n');
        message.push_str(&self.report.to_string());
        Err(Failure::unsaved(message, checks, location))
    }
}

/// The rate of an open-model level, or why it is not one.
fn rate_of(level: Level) -> Result<f64, String> {
    match level {
        Level::Rps(r) => Ok(r),
        Level::Users(u) => Err(format!("{u} users: a capacity is a rate, rps(..)")),
    }
}

impl<'c> CapacityCheck<'c> {
    /// R* ≥ `rate` (`rps(800)`).
    pub fn at_least(self, rate: Level) -> ExpectCapacity<'c> {
        match rate_of(rate) {
            Ok(r) => self.chain.push(format!("≥ {r:.1} rps"), move |v| v >= r),
            Err(why) => self.chain.push(why, |_| false),
        }
    }

    /// R* ≤ `rate`.
    pub fn at_most(self, rate: Level) -> ExpectCapacity<'c> {
        match rate_of(rate) {
            Ok(r) => self.chain.push(format!("≤ {r:.1} rps"), move |v| v <= r),
            Err(why) => self.chain.push(why, |_| false),
        }
    }

    /// `low` ≤ R* ≤ `high`.
    pub fn between(self, low: Level, high: Level) -> ExpectCapacity<'c> {
        match (rate_of(low), rate_of(high)) {
            (Ok(lo), Ok(hi)) => self
                .chain
                .push(format!("≥ {lo:.1} rps and ≤ {hi:.1} rps"), move |v| {
                    lo <= v && v <= hi
                }),
            (Err(why), _) | (_, Err(why)) => self.chain.push(why, |_| false),
        }
    }
}

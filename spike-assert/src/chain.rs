//! The chain itself: [`expect`] starts it, [`Expect`] carries its scope and
//! the rows of the checks evaluated so far. Its methods live beside it:
//! quantities in `chain_metrics.rs`, scope methods and chain settings in
//! `chain_scopes.rs`, the ends of the chain in `chain_verify.rs`.

use std::time::Duration;

use spike_core::Report;

use crate::cmp::Cmp;
use crate::eval::{self, DEFAULT_MIN_SAMPLES};
use crate::quantity::Quantity;
use crate::scope::Scope;
use crate::verdict::{Row, RowVerdict};

/// Start a chain of checks on a [`Report`] (an [`Expect`]) or on a
/// capacity search's [`CapacityReport`](spike_core::stress::CapacityReport)
/// (an [`ExpectCapacity`](crate::ExpectCapacity)). Nothing is decided until
/// `verify()` or `try_verify()`.
///
/// ```
/// # use spike_assert::expect;
/// # use spike_core::{ms, pct, rps, secs, Ctx, Scenario, Shape};
/// # tokio::runtime::Builder::new_multi_thread().enable_time().build().unwrap().block_on(async {
/// # let shape = Shape::builder().hold(rps(100), ms(300)).build().unwrap();
/// # let report = Scenario::new("doc").shape(shape).window(ms(100)).lag_budget(secs(1))
/// #     .run(|_ctx: Ctx| async {}).await.unwrap();
/// expect(&report).error_rate().below(pct(1)).verify();
/// # });
/// ```
pub fn expect<S: Subject + ?Sized>(subject: &S) -> S::Chain<'_> {
    subject.chain()
}

/// What [`expect`] starts a chain on: a [`Report`] or a
/// [`CapacityReport`](spike_core::stress::CapacityReport).
pub trait Subject {
    /// The chain of checks on it.
    type Chain<'a>
    where
        Self: 'a;

    /// Start the chain.
    fn chain(&self) -> Self::Chain<'_>;
}

impl Subject for Report {
    type Chain<'a> = Expect<'a>;

    fn chain(&self) -> Expect<'_> {
        Expect {
            report: self,
            scope: Scope::Run,
            rows: Vec::new(),
            allow_inconclusive: false,
            min_samples: DEFAULT_MIN_SAMPLES,
        }
    }
}

impl Subject for spike_core::stress::CapacityReport {
    type Chain<'a> = crate::capacity::ExpectCapacity<'a>;

    fn chain(&self) -> crate::capacity::ExpectCapacity<'_> {
        crate::capacity::start(self)
    }
}

/// A chain of checks on one report, built by [`expect`].
///
/// Each quantity method (`error_rate()`, `p95()`, ...) returns a half-built
/// check; its comparator (`below` `<`, `at_most` `≤`, `above` `>`,
/// `at_least` `≥`, `between` `≤ … ≤`) evaluates it in the chain's current
/// scope and hands the chain back. A scope method (`run()`, `phase(..)`,
/// `every_window()`, `window(..)`) sets the scope of every later check until
/// the next scope method; `recovery()` and `no_regression_against(..)` are
/// run-level and ignore it. The chain never fails on its own: end it with
/// [`Expect::verify`] (panics) or [`Expect::try_verify`] (returns a
/// `Result`).
#[must_use = "checks decide nothing until `.verify()` or `.try_verify()`"]
#[derive(Debug)]
pub struct Expect<'r> {
    pub(crate) report: &'r Report,
    pub(crate) scope: Scope,
    pub(crate) rows: Vec<Row>,
    pub(crate) allow_inconclusive: bool,
    pub(crate) min_samples: u64,
}

impl<'r> Expect<'r> {
    /// Record one check in the current scope.
    pub(crate) fn push(mut self, quantity: &Quantity, cmp: Cmp, each: &str) -> Self {
        self.record(quantity, cmp, each);
        self
    }

    /// Record one check in the current scope (of the named request the
    /// quantity is of, if any).
    pub(crate) fn record(&mut self, quantity: &Quantity, cmp: Cmp, each: &str) {
        let outcome = eval::evaluate(self.report, &self.scope, quantity, cmp, self.min_samples);
        self.rows.push(Row {
            check: quantity.name(),
            scope: self.scope.label_for(quantity.request()),
            expected: format!("{each}{}", cmp.describe(quantity.kind())),
            actual: outcome.actual,
            verdict: if outcome.passed {
                RowVerdict::Pass
            } else if outcome.inconclusive {
                RowVerdict::Inconclusive
            } else {
                RowVerdict::Fail
            },
        });
    }

    /// Record a recovery check: recovered at all, or within `limit`. A
    /// run-level check: the scope column says which scope it ignored.
    pub(crate) fn push_recovery(self, limit: Option<Duration>) -> Self {
        let outcome = eval::recovery_outcome(self.report, limit);
        self.push_run_level("recovery".to_owned(), outcome)
    }

    /// Add a run-level row for `check` from its `(expected, actual,
    /// passed)` outcome.
    pub(crate) fn push_run_level(
        mut self,
        check: String,
        (expected, actual, passed): (String, String, bool),
    ) -> Self {
        self.rows.push(Row {
            check,
            scope: self.scope.run_level_label("run"),
            expected,
            actual,
            verdict: if passed {
                RowVerdict::Pass
            } else {
                RowVerdict::Fail
            },
        });
        self
    }
}

//! `recovery_from("db-cut").within(d)`: the recovery from the end of a
//! fault of the run's chaos plan, a run-level check like `recovery()`.

use std::time::Duration;

use spike_core::Report;

use crate::chain::Expect;
use crate::eval;
use crate::suggest;
use crate::units::{fmt_us, us_of};

impl<'r> Expect<'r> {
    /// A run-level check that ignores the chain's scope: recovery from the
    /// end of the fault called `fault` (see `spike_core::faults`),
    /// `.recovery_from("db-cut").within(secs(5))` or
    /// `.recovery_from("db-cut").recovered()`.
    ///
    /// Fails, saying which, when the run has no fault of that name (with
    /// the closest name when it looks like a typo), when the fault never
    /// ran to its end, when there was no reference before it, when the
    /// service did not recover before the next fault or the run's end, or
    /// when it took longer than the limit.
    ///
    /// ```
    /// # use std::sync::atomic::{AtomicBool, Ordering};
    /// # use std::sync::Arc;
    /// # use spike_assert::expect;
    /// # use spike_core::faults::{at, lasting, Chaos, Fault};
    /// # use spike_core::{ms, rps, secs, Ctx, Scenario, Shape};
    /// # struct Flag(Arc<AtomicBool>);
    /// # impl Fault for Flag {
    /// #     fn describe(&self) -> String { "flag".to_owned() }
    /// #     fn start(&self) { self.0.store(true, Ordering::SeqCst) }
    /// #     fn stop(&self) { self.0.store(false, Ordering::SeqCst) }
    /// # }
    /// # tokio::runtime::Builder::new_multi_thread().enable_time().build().unwrap().block_on(async {
    /// # let flag = Arc::new(AtomicBool::new(false));
    /// # let shape = Shape::builder().hold(rps(100), ms(1_000)).build().unwrap();
    /// let report = Scenario::new("doc").shape(shape).window(ms(100))
    /// #   .lag_budget(secs(1))
    /// #   .recovery_criteria(spike_core::RecoveryCriteria { slack: secs(1), ..Default::default() })
    ///     .chaos(Chaos::new().fault("db-cut", Flag(flag), at(ms(300)), lasting(ms(200))))
    ///     .run(|_ctx: Ctx| async {}).await.unwrap();
    /// expect(&report).recovery_from("db-cut").within(ms(400)).verify();
    /// # });
    /// ```
    pub fn recovery_from(self, fault: &str) -> FaultRecoveryCheck<'r> {
        FaultRecoveryCheck {
            expect: self,
            fault: fault.to_owned(),
        }
    }

    fn push_fault_recovery(self, fault: &str, limit: Option<Duration>) -> Self {
        let outcome = fault_recovery_outcome(self.report, fault, limit);
        self.push_run_level(format!("recovery from fault `{fault}`"), outcome)
    }
}

/// The recovery from a fault's end, waiting for its expectation. From
/// [`Expect::recovery_from`].
#[must_use = "recovery_from without an expectation checks nothing"]
#[derive(Debug)]
pub struct FaultRecoveryCheck<'r> {
    expect: Expect<'r>,
    fault: String,
}

impl<'r> FaultRecoveryCheck<'r> {
    /// Passes when the service recovered after the fault ended and its
    /// recovery time (the fault's actual end to recovery) is `≤ limit`
    /// (shown ``recovered ≤ limit after `fault` ended``).
    pub fn within(self, limit: Duration) -> Expect<'r> {
        self.expect.push_fault_recovery(&self.fault, Some(limit))
    }

    /// Passes when the service recovered at all before the next fault or
    /// the run's end (shown ``recovered after `fault` ended``).
    pub fn recovered(self) -> Expect<'r> {
        self.expect.push_fault_recovery(&self.fault, None)
    }
}

/// Expected, actual and verdict of a recovery-from-a-fault check.
pub(crate) fn fault_recovery_outcome(
    report: &Report,
    fault: &str,
    limit: Option<Duration>,
) -> (String, String, bool) {
    let expected = match limit {
        Some(d) => format!("recovered ≤ {} after `{fault}` ended", fmt_us(us_of(d))),
        None => format!("recovered after `{fault}` ended"),
    };
    let fail = |actual: String| (expected.clone(), actual, false);
    let Some(span) = report.fault(fault) else {
        if report.faults.is_empty() {
            return fail(format!(
                "no fault named `{fault}`: the run had no faults (`Scenario::chaos`)"
            ));
        }
        let names: Vec<&str> = report.faults.iter().map(|f| f.name.as_str()).collect();
        let guess = suggest::closest(fault, names.iter().copied())
            .map(|g| format!(" (did you mean `{g}`?)"))
            .unwrap_or_default();
        return fail(format!(
            "no fault named `{fault}`{guess}; the faults are: {}",
            names.join(", ")
        ));
    };
    let Some(r) = report.recovery_from(fault) else {
        return fail(match span.actual_start {
            None => "not measured: the fault never started (the run ended first)".to_owned(),
            Some(_) => "not measured: the fault never ended".to_owned(),
        });
    };
    if !r.measured() {
        return fail("not measured: no window before the fault to judge health against".to_owned());
    }
    match r.recovery_time {
        Some(t) => (
            expected.clone(),
            format!("recovered {} after `{fault}` ended", fmt_us(us_of(t))),
            limit.is_none_or(|d| t <= d),
        ),
        None => {
            let unhealthy = eval::unhealthy_list(&r.unhealthy_windows);
            fail(format!(
                "did not recover in the {} after `{fault}` ended (unhealthy windows {unhealthy})",
                fmt_us(us_of(r.until.saturating_sub(r.fault_end))),
            ))
        }
    }
}

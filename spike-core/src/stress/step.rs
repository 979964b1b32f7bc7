//! One step of the search: a hold at one rate as an ordinary
//! [`Scenario`] run, then its verdict.
//!
//! # Generator or service?
//!
//! A step is **generator-bound** when spike, not the service, limited it:
//! * schedule-lag p99 over the lag budget (iterations started late: the
//!   runtime or the pacer could not keep the schedule);
//! * the pacer thread using more than [`PACER_CPU_LIMIT`] of a core;
//! * iterations abandoned (a workload blocking its thread);
//! * iterations dropped at the in-flight cap **while the latency SLOs
//!   held**: by Little's law the cap needed is rate × latency, so drops
//!   with a healthy latency mean the cap was too small for the rate.
//!
//! Drops at the cap when the latency SLO was already broken are the
//! service's failure: a slow service piles up iterations in flight until
//! the cap. The step's abort rules (the same SLOs for K windows) usually
//! end such a step before the cap is reached.

use std::sync::Arc;
use std::time::Duration;

use crate::abort::{Abort, Aborted, WindowCheck, WindowMetric};
use crate::recording::ctx::Ctx;
use crate::recording::histogram::micros;
use crate::report::{Report, WindowStats};
use crate::scenario::Scenario;
use crate::shape::level::rps;
use crate::shape::Shape;
use crate::sink::Sink;
use crate::workload::Workload;

use super::outcome::{FailedFirst, Slo, StepRow, StepVerdict};

/// Pacer CPU share (of one core) above which a step is generator-bound.
pub const PACER_CPU_LIMIT: f64 = 0.9;

/// The workload shared by every step of a search.
pub(crate) struct Shared<W>(pub(crate) Arc<W>);

impl<W: Workload> Workload for Shared<W> {
    type Future = W::Future;
    type Output = W::Output;

    fn call(&self, ctx: Ctx) -> W::Future {
        self.0.call(ctx)
    }

    fn check(&self) -> Result<(), String> {
        self.0.check()
    }
}

/// How every step runs.
#[derive(Clone)]
pub(crate) struct StepPlan {
    pub(crate) name: String,
    pub(crate) slo: Slo,
    pub(crate) warm_up: Duration,
    pub(crate) hold: Duration,
    pub(crate) min_samples: u64,
    pub(crate) window: Duration,
    pub(crate) abort_windows: u32,
    pub(crate) lag_budget: Duration,
    pub(crate) max_in_flight: u64,
    pub(crate) iteration_timeout: Duration,
    pub(crate) sinks: Vec<Arc<dyn Sink>>,
}

/// Name of the phase a step is judged on.
pub(crate) const STEP_PHASE: &str = "step";

impl StepPlan {
    /// How long the step holds its rate after the warm-up: the hold, or
    /// longer when `min_samples` need it.
    pub(crate) fn hold_for(&self, rate: f64) -> Duration {
        let needed = Duration::from_secs_f64(self.min_samples as f64 / rate);
        self.hold.max(needed)
    }

    /// The abort rules: each SLO, broken for K windows in a row.
    fn abort_rules(&self) -> Vec<Abort> {
        let mut checks = vec![WindowCheck::dropped_above(0)];
        if let Some(d) = self.slo.p95 {
            checks.push(WindowCheck::p95_above(d));
        }
        if let Some(d) = self.slo.p99 {
            checks.push(WindowCheck::p99_above(d));
        }
        if let Some(e) = self.slo.error_rate {
            checks.push(WindowCheck::ErrorRateAbove(e));
        }
        checks
            .into_iter()
            .map(|c| Abort::when(c).for_windows(self.abort_windows))
            .collect()
    }

    /// Run step `number` at `rate`.
    pub(crate) async fn run<W: Workload>(
        &self,
        number: u32,
        rate: f64,
        workload: &Arc<W>,
    ) -> Result<(Report, StepRow), crate::SpikeError> {
        let mut shape = Shape::builder();
        if !self.warm_up.is_zero() {
            shape = shape.hold(rps(rate), self.warm_up).named("warm-up");
        }
        let shape = shape
            .hold(rps(rate), self.hold_for(rate))
            .named(STEP_PHASE)
            .build()?;
        let scenario = format!("{}.step-{number}-{:.0}rps", self.name, rate);
        let mut run = Scenario::new(scenario.clone())
            .shape(shape)
            .window(self.window)
            .lag_budget(self.lag_budget)
            .max_in_flight(self.max_in_flight)
            .iteration_timeout(self.iteration_timeout)
            .drain_timeout(self.iteration_timeout)
            .without_env_scale();
        for rule in self.abort_rules() {
            run = run.abort_when(rule);
        }
        for sink in &self.sinks {
            run = run.sink(sink.clone());
        }
        let report = run.run(Shared(workload.clone())).await?;
        let row = judge(number, rate, &self.slo, &report);
        Ok((report, row))
    }
}

/// The verdict and the row of a step's report.
pub(crate) fn judge(number: u32, rate: f64, slo: &Slo, report: &Report) -> StepRow {
    // A step stopped during its warm-up measured nothing after it: its
    // row shows the whole run instead.
    let stats = report
        .phase(STEP_PHASE)
        .filter(|p| p.stats.completed > 0)
        .map_or(&report.total, |p| &p.stats);
    let g = &report.generator;
    let windows = measured_windows(report);
    let served_rate = rate_over(&windows, |w| w.served);
    let success_rate = rate_over(&windows, |w| {
        w.stats.completed.saturating_sub(w.stats.errors)
    });
    let estimate = match (served_rate, success_rate) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let latency_broke = first_failure(slo, stats, &windows, report.aborted.as_ref())
        .filter(|f| *f != FailedFirst::Drops);
    let verdict = if let Some(why) = &report.interrupted {
        StepVerdict::Interrupted(why.clone())
    } else if let Some(why) = generator_problem(report, latency_broke.is_some()) {
        StepVerdict::GeneratorBound(why)
    } else {
        match first_failure(slo, stats, &windows, report.aborted.as_ref()) {
            Some(first) => StepVerdict::Bad(first),
            None => StepVerdict::Good,
        }
    };
    StepRow {
        step: number,
        scenario: report.scenario.clone(),
        rate,
        samples: stats.completed,
        p95_us: stats.latency.p95_us,
        p99_us: stats.latency.p99_us,
        error_rate: stats.error_rate,
        served_rate,
        estimate,
        dropped: g.dropped,
        lag_p99_us: g.schedule_lag.p99_us,
        pacer_cpu: g.pacer_cpu,
        verdict,
        aborted: report.aborted.clone(),
        // Whole microseconds, as `capacity.json` keeps it.
        elapsed: Duration::from_micros(micros(report.elapsed)),
    }
}

/// Why the generator, not the service, limited the step (see the module
/// docs), if it did. `service_broke`: a latency or error SLO broke.
fn generator_problem(report: &Report, service_broke: bool) -> Option<String> {
    let g = &report.generator;
    let fmt = crate::fmt::duration_us;
    if g.schedule_lag.p99_us > g.lag_budget_us {
        return Some(format!(
            "schedule lag p99 {} over the {} budget",
            fmt(g.schedule_lag.p99_us),
            fmt(g.lag_budget_us)
        ));
    }
    if g.pacer_cpu > PACER_CPU_LIMIT {
        return Some(format!(
            "pacer thread at {:.0}% of a core",
            g.pacer_cpu * 100.0
        ));
    }
    if g.abandoned > 0 {
        return Some(format!(
            "{} iterations abandoned (a workload blocking its thread)",
            g.abandoned
        ));
    }
    if g.dropped > 0 && !service_broke {
        return Some(format!(
            "{} iterations dropped at the in-flight cap of {} while latency held: \
             the cap is too small for this rate",
            g.dropped, g.in_flight_cap
        ));
    }
    None
}

/// The windows whose numbers are final and not cut by an abort: after the
/// first (the start transient), and up to the window whose close fired
/// the abort, ending before the run was stopped.
fn measured_windows(report: &Report) -> Vec<&WindowStats> {
    let planned = report.shape.duration();
    report
        .windows
        .iter()
        .filter(|w| w.index > 0 && w.end <= planned)
        .filter(|w| {
            report
                .aborted
                .as_ref()
                .is_none_or(|a| w.index <= a.window && w.end <= a.at)
        })
        .collect()
}

/// Count per second over `windows`.
fn rate_over(windows: &[&WindowStats], count: impl Fn(&WindowStats) -> u64) -> Option<f64> {
    let (n, len) = windows.iter().fold((0u64, Duration::ZERO), |(n, len), w| {
        (n + count(w), len + w.span())
    });
    (!len.is_zero()).then(|| n as f64 / len.as_secs_f64())
}

/// Which SLO broke first: the abort rule's, else the first window of the
/// step phase that broke one (p95, p99, errors, drops in that order within
/// a window), else the step's whole numbers.
fn first_failure(
    slo: &Slo,
    stats: &crate::Stats,
    windows: &[&WindowStats],
    aborted: Option<&Aborted>,
) -> Option<FailedFirst> {
    if let Some(a) = aborted {
        return Some(match a.metric {
            WindowMetric::P95 => FailedFirst::LatencyP95,
            WindowMetric::P99 => FailedFirst::LatencyP99,
            WindowMetric::ErrorRate => FailedFirst::Errors,
            WindowMetric::Dropped => FailedFirst::Drops,
        });
    }
    let broken = |s: &crate::Stats| -> Option<FailedFirst> {
        let measured = s.completed > 0;
        if measured && slo.p95.is_some_and(|d| s.latency.p95_us > micros(d)) {
            Some(FailedFirst::LatencyP95)
        } else if measured && slo.p99.is_some_and(|d| s.latency.p99_us > micros(d)) {
            Some(FailedFirst::LatencyP99)
        } else if measured && slo.error_rate.is_some_and(|e| s.error_rate > e) {
            Some(FailedFirst::Errors)
        } else if s.dropped > 0 {
            Some(FailedFirst::Drops)
        } else {
            None
        }
    };
    // The whole step decides pass or fail; the windows only say what broke
    // first.
    broken(stats)?;
    windows
        .iter()
        .filter(|w| w.phase == STEP_PHASE)
        .find_map(|w| broken(&w.stats))
        .or_else(|| broken(stats))
}

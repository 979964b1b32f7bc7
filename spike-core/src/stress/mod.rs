//! Capacity search: the highest open-model rate at which every SLO held.
//!
//! [`Stress::find_capacity`] runs the workload in steps, each an ordinary
//! [`Scenario`](crate::Scenario) run holding one rate (a warm-up, then the
//! measured hold, long enough for `min_samples`). It climbs by doubling
//! from the start rate until a step breaks an SLO, then narrows the
//! bracket [last good, first bad] until it is within the precision
//! (default 3 %). An overloaded step's served rate estimates the capacity,
//! so the next probe goes just below it rather than to the middle of the
//! bracket: that is what reaches ±3 % in a handful of steps (see
//! `search.rs` for the rule). Each step stops itself once an SLO has been
//! broken for K windows in a row ([`Scenario::abort_when`](crate::Scenario::abort_when)).
//!
//! The answer, a [`CapacityReport`], is R* (the last good rate), the
//! bracket, what failed first at the first bad step, a row per step, and a
//! generator-health certificate: when the generator, not the service,
//! limited a deciding step (see `step.rs`: schedule lag over budget, a busy
//! pacer, drops at the in-flight cap while the latency held), the verdict
//! is [`CapacityVerdict::GeneratorBound`], never a capacity.
//!
//! Every step's report goes through the installed sinks like any run (named
//! `<name>.step-<n>-<rate>rps`); the capacity report goes to
//! [`Sink::capacity_found`], so inside `#[spike_test]` the test's artifact
//! folder gets `capacity.json` and `capacity.html`. `SPIKE_TIME_SCALE`
//! scales the warm-up and the hold; `SPIKE_SCALE` does not apply (the
//! search chooses the rates).
//!
//! ```
//! use spike_core::stress::{Slo, Stress};
//! use spike_core::{ms, pct, Ctx};
//! use std::sync::{Arc, Mutex};
//! use std::time::Duration;
//!
//! # tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
//! // A FIFO server that serves one request per 2 ms: 500 requests/s.
//! let free_at = Arc::new(Mutex::new(tokio::time::Instant::now()));
//! let server = move |_ctx: Ctx| {
//!     let free_at = free_at.clone();
//!     async move {
//!         let done = {
//!             let mut at = free_at.lock().unwrap();
//!             *at = (*at).max(tokio::time::Instant::now()) + Duration::from_millis(2);
//!             *at
//!         };
//!         tokio::time::sleep_until(done).await;
//!     }
//! };
//! let cap = Stress::new("fifo-500")
//!     .slo(Slo::new().p95(ms(25)).error_rate(pct(1)))
//!     .start_rate(125.0)
//!     .step(ms(200), ms(1_000))
//!     .find_capacity(server)
//!     .await?;
//! match cap.capacity() {
//!     // R* is within 3 % below the capacity, or a hair above it (a step
//!     // 1-2 % over capacity queues slowly and may still pass).
//!     Some(r) => assert!(r > 500.0 * 0.94 && r < 500.0 * 1.03, "{cap}"),
//!     // A machine too busy to keep the schedule: no capacity is claimed.
//!     None => assert!(cap.generator_bound_at().is_some(), "{cap}"),
//! }
//! # Ok::<(), spike_core::SpikeError>(())
//! # }).unwrap();
//! ```

pub(crate) mod outcome;
mod search;
mod step;

use std::sync::Arc;
use std::time::Duration;

pub use outcome::{
    CapacityReport, CapacityVerdict, FailedFirst, GeneratorCertificate, Slo, StepRow, StepVerdict,
};
pub use step::PACER_CPU_LIMIT;

use crate::error::SpikeError;
use crate::installed::Installed;
use crate::scale_env::parse_scale;
use crate::sink::Sink;
use crate::workload::Workload;
use search::{Next, Search};
use step::StepPlan;

/// Default relative width of the final bracket (3 %).
pub const DEFAULT_PRECISION: f64 = 0.03;
/// Default most steps a search runs.
pub const DEFAULT_MAX_STEPS: u32 = 8;
/// Default consecutive failing windows that end a step early.
pub const DEFAULT_STRESS_ABORT_WINDOWS: u32 = 3;

/// A capacity search, built then run with [`Stress::find_capacity`].
#[must_use]
#[derive(Clone)]
pub struct Stress {
    name: String,
    slo: Slo,
    start_rate: f64,
    max_rate: f64,
    warm_up: Duration,
    hold: Duration,
    min_samples: u64,
    window: Duration,
    precision: f64,
    max_steps: u32,
    abort_windows: u32,
    lag_budget: Duration,
    max_in_flight: u64,
    iteration_timeout: Duration,
    sinks: Vec<Arc<dyn Sink>>,
}

impl std::fmt::Debug for Stress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stress")
            .field("name", &self.name)
            .field("slo", &self.slo)
            .field("start_rate", &self.start_rate)
            .field("max_rate", &self.max_rate)
            .field("precision", &self.precision)
            .field("max_steps", &self.max_steps)
            .finish_non_exhaustive()
    }
}

impl Stress {
    /// A search named `name` (step runs are named `<name>.step-<n>-<rate>rps`)
    /// with the defaults: no SLO bound but no drops (set them with
    /// [`Stress::slo`]), start at 100 rps, at most 100,000 rps, 500 ms
    /// warm-up, 2 s hold, 200 samples per step at least, 100 ms windows,
    /// 3 % precision, 8 steps, abort after 3 failing windows, 25 ms lag
    /// budget, 10,000 in flight at most, 10 s iteration timeout.
    pub fn new(name: impl Into<String>) -> Self {
        Stress {
            name: name.into(),
            slo: Slo::default(),
            start_rate: 100.0,
            max_rate: 100_000.0,
            warm_up: Duration::from_millis(500),
            hold: Duration::from_secs(2),
            min_samples: 200,
            window: Duration::from_millis(100),
            precision: DEFAULT_PRECISION,
            max_steps: DEFAULT_MAX_STEPS,
            abort_windows: DEFAULT_STRESS_ABORT_WINDOWS,
            lag_budget: crate::DEFAULT_LAG_BUDGET,
            max_in_flight: crate::DEFAULT_MAX_IN_FLIGHT,
            iteration_timeout: Duration::from_secs(10),
            sinks: Vec::new(),
        }
    }

    /// The SLOs a step must meet after its warm-up to count as good.
    pub fn slo(mut self, slo: Slo) -> Self {
        self.slo = slo;
        self
    }

    /// The first rate probed (default 100 rps).
    pub fn start_rate(mut self, rate: f64) -> Self {
        self.start_rate = rate;
        self
    }

    /// The highest rate probed (default 100,000 rps).
    pub fn max_rate(mut self, rate: f64) -> Self {
        self.max_rate = rate;
        self
    }

    /// Each step's warm-up (not judged) and measured hold.
    pub fn step(mut self, warm_up: Duration, hold: Duration) -> Self {
        self.warm_up = warm_up;
        self.hold = hold;
        self
    }

    /// Fewest iterations a step measures after its warm-up: the hold grows
    /// to `min_samples / rate` when that is longer (default 200).
    pub fn min_samples(mut self, samples: u64) -> Self {
        self.min_samples = samples;
        self
    }

    /// Window length of the step runs (default 100 ms); the early stop
    /// counts these.
    pub fn window(mut self, window: Duration) -> Self {
        self.window = window;
        self
    }

    /// Relative width the bracket must reach: `first bad ≤ last good × (1 +
    /// precision)` (default 0.03; from 0.001 to 0.5).
    pub fn precision(mut self, precision: f64) -> Self {
        self.precision = precision;
        self
    }

    /// Most steps (default 8).
    pub fn max_steps(mut self, steps: u32) -> Self {
        self.max_steps = steps;
        self
    }

    /// Windows in a row an SLO must be broken for to end a step early
    /// (default 3).
    pub fn abort_after(mut self, windows: u32) -> Self {
        self.abort_windows = windows;
        self
    }

    /// Schedule-lag p99 above which a step is generator-bound (default 25 ms).
    pub fn lag_budget(mut self, budget: Duration) -> Self {
        self.lag_budget = budget;
        self
    }

    /// In-flight cap of each step (default 10,000).
    pub fn max_in_flight(mut self, cap: u64) -> Self {
        self.max_in_flight = cap;
        self
    }

    /// Per-iteration timeout of each step (default 10 s).
    pub fn iteration_timeout(mut self, timeout: Duration) -> Self {
        self.iteration_timeout = timeout;
        self
    }

    /// Feed every step's run and the capacity report to `sink` too (after
    /// the installed sinks).
    pub fn sink(mut self, sink: Arc<dyn Sink>) -> Self {
        self.sinks.push(sink);
        self
    }

    /// Check the settings.
    fn problem(&self) -> Option<(&'static str, String, &'static str)> {
        let positive_rate = "a finite rate above zero";
        let f = |v: f64| v.to_string();
        let rate_ok = |r: f64| r.is_finite() && r > 0.0;
        let bound_ok = |d: Option<Duration>| d.is_none_or(|d| !d.is_zero());
        if !rate_ok(self.start_rate) {
            return Some(("start_rate", f(self.start_rate), positive_rate));
        }
        if !rate_ok(self.max_rate) || self.max_rate < self.start_rate {
            return Some((
                "max_rate",
                f(self.max_rate),
                "a finite rate at or above the start rate",
            ));
        }
        if !(self.precision.is_finite() && (0.001..=0.5).contains(&self.precision)) {
            return Some(("precision", f(self.precision), "from 0.001 to 0.5"));
        }
        if self.max_steps == 0 {
            return Some(("max_steps", "0".into(), "at least 1"));
        }
        if self.abort_windows == 0 {
            return Some(("abort_after", "0".into(), "at least 1 window"));
        }
        if self.hold.is_zero() {
            return Some(("hold", "0s".into(), "above zero"));
        }
        if !bound_ok(self.slo.p95) || !bound_ok(self.slo.p99) {
            return Some(("slo latency bound", "0s".into(), "above zero"));
        }
        if let Some(e) = self.slo.error_rate {
            if !(e.is_finite() && (0.0..1.0).contains(&e)) {
                return Some((
                    "slo error rate",
                    f(e),
                    "a finite fraction from 0 % to below 100 %",
                ));
            }
        }
        None
    }

    /// Run the search against `workload` and return what it found. The
    /// workload is shared by every step (it is called from each step's
    /// run; it is not cloned).
    ///
    /// # Errors
    /// [`SpikeError::BadStress`] naming a bad setting, or the error a
    /// step's run refused with (a bad workload, no runtime); nothing is
    /// sent before the settings are checked.
    pub async fn find_capacity<W: Workload>(
        self,
        workload: W,
    ) -> Result<CapacityReport, SpikeError> {
        if let Some((setting, value, expected)) = self.problem() {
            return Err(SpikeError::BadStress {
                search: self.name,
                setting,
                value,
                expected,
            });
        }
        let installed = Installed::current().unwrap_or_default();
        let time_scale = if installed.scales_from_env() {
            parse_scale("SPIKE_TIME_SCALE")?
        } else {
            1.0
        };
        let plan = StepPlan {
            name: self.name.clone(),
            slo: self.slo,
            warm_up: self.warm_up.mul_f64(time_scale),
            hold: self.hold.mul_f64(time_scale),
            min_samples: self.min_samples,
            window: self.window,
            abort_windows: self.abort_windows,
            lag_budget: self.lag_budget,
            max_in_flight: self.max_in_flight,
            iteration_timeout: self.iteration_timeout,
            sinks: self.sinks.clone(),
        };
        let workload = Arc::new(workload);
        let mut search = Search::new(
            self.start_rate,
            self.max_rate,
            self.precision,
            self.max_steps,
        );
        let mut rows: Vec<StepRow> = Vec::new();
        let mut stopped: Option<CapacityVerdict> = None;
        while let Next::Probe(rate) = search.next() {
            let number = search.steps() + 1;
            let (_, row) = plan.run(number, rate, &workload).await?;
            let verdict = row.verdict.clone();
            search.record(
                rate,
                verdict == StepVerdict::Good,
                (verdict != StepVerdict::Good)
                    .then_some(row.estimate)
                    .flatten(),
            );
            rows.push(row);
            // No verdict about the service can come from here on.
            match verdict {
                StepVerdict::GeneratorBound(reason) => {
                    stopped = Some(CapacityVerdict::GeneratorBound { at: rate, reason });
                    break;
                }
                StepVerdict::Interrupted(reason) => {
                    stopped = Some(CapacityVerdict::Interrupted { at: rate, reason });
                    break;
                }
                StepVerdict::Good | StepVerdict::Bad(_) => {}
            }
        }
        let report = conclude(&self, &search, rows, stopped);
        for sink in installed.sinks().iter().chain(self.sinks.iter()) {
            sink.capacity_found(&report);
        }
        Ok(report)
    }
}

/// The verdict and certificate from the steps run.
fn conclude(
    stress: &Stress,
    search: &Search,
    steps: Vec<StepRow>,
    stopped: Option<CapacityVerdict>,
) -> CapacityReport {
    let bracket = search.bracket();
    let step_at =
        |rate: Option<f64>| rate.and_then(|r| steps.iter().find(|s| (s.rate - r).abs() < 1e-9));
    let mut deciding: Vec<&StepRow> = [step_at(bracket.0), step_at(bracket.1)]
        .into_iter()
        .flatten()
        .collect();
    if stopped.is_some() {
        deciding.extend(steps.last());
    }
    deciding.sort_by_key(|s| s.step);
    deciding.dedup_by_key(|s| s.step);
    let healthy = !matches!(stopped, Some(CapacityVerdict::GeneratorBound { .. }));
    let verdict = match (stopped, bracket) {
        (Some(verdict), _) => verdict,
        (None, (Some(good), Some(bad))) => CapacityVerdict::Capacity {
            rate: good,
            first_bad: bad,
            failed_first: failed_first_of(step_at(Some(bad))),
            precise: search.is_bracketed(),
        },
        (None, (Some(good), None)) => CapacityVerdict::AtLeast { rate: good },
        (None, (None, bad)) => CapacityVerdict::BelowLowest {
            rate: bad.unwrap_or(stress.start_rate),
            failed_first: failed_first_of(step_at(bad)),
        },
    };
    let generator = GeneratorCertificate {
        healthy,
        steps: deciding.iter().map(|s| s.step).collect(),
        lag_budget_us: crate::recording::histogram::micros(stress.lag_budget),
        worst_lag_p99_us: deciding.iter().map(|s| s.lag_p99_us).max().unwrap_or(0),
        worst_pacer_cpu: deciding.iter().map(|s| s.pacer_cpu).fold(0.0, f64::max),
        dropped: deciding.iter().map(|s| s.dropped).sum(),
    };
    CapacityReport {
        name: stress.name.clone(),
        slo: stress.slo,
        precision: stress.precision,
        verdict,
        bracket,
        steps,
        generator,
    }
}

fn failed_first_of(step: Option<&StepRow>) -> FailedFirst {
    match step.map(|s| &s.verdict) {
        Some(StepVerdict::Bad(first)) => *first,
        _ => FailedFirst::LatencyP95,
    }
}

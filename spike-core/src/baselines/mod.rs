//! Named baselines and the regression gate.
//!
//! * `SPIKE_SAVE_BASELINE=main` saves each run of a spike test as the
//!   baseline `main`, under the test's folder:
//!   `target/spike/<test>/baselines/main/` (the same files as the run:
//!   `report.json`, `report.html`, `timeline.csv`, `latency.hlog`).
//! * `SPIKE_BASELINE=main` compares each run with that baseline. A missing
//!   (or misspelt) baseline fails the test when `CI` is set (see
//!   [`crate::notice::is_ci`]) or `SPIKE_BASELINE_STRICT=1`; otherwise it
//!   passes with a notice on the terminal (`SPIKE_BASELINE_STRICT=0` makes a
//!   CI run lenient too).
//! * [`compare`] is a pure function of two reports and the [`Bands`]: each
//!   metric (p50, p95, p99, error rate, throughput, recovery time) is
//!   *regressed* when it got worse by more than its band, *improved* when
//!   it got better by more than the band, else *unchanged*. A regression
//!   fails the test with a table (metric, baseline, now, change, band,
//!   verdict) and the paths of both reports; an improvement is only
//!   reported.
//! * A run that is not conclusive (iterations dropped, generator saturated,
//!   interrupted, abandoned iterations), or a baseline that was not, fails
//!   the gate as *inconclusive*: the gate cannot vouch for a run that did
//!   not apply its load. A test that accepts that sets
//!   [`Bands::allow_inconclusive`].
//! * A baseline that recovered and a run that did not is a regression,
//!   whatever the noise.
//!
//! The default bands come from running the same build repeatedly on a
//! busy 2-core machine (see "Reports" in `docs/spike_testing_guide.md`): latency may move by 50%
//! and 5 ms plus twice the runs' schedule-lag p99 (machine noise, the lag
//! capped at 25 ms so that a saturated run cannot widen its own band),
//! error rate by 1 percentage point, throughput by 10%, recovery time by
//! 50% and 5 windows before the gate says anything.
//!
//! The module's parts, one job each: `bands` (how much change is noise),
//! `compare` (two reports → a [`Comparison`]), `store` (where baselines live,
//! saving and loading them) and `check` (one report against a named
//! baseline). The environment variables, the per-test bands and the gate
//! `#[spike_test]` runs after its body are the harness's
//! ([`crate::harness::gate`]; also reachable as `spike_core::baseline::*`).

pub(crate) mod bands;
pub(crate) mod check;
pub(crate) mod compare;
pub(crate) mod store;

pub use bands::{Bands, TimeBand, DEFAULT_LATENCY_BAND, DEFAULT_NOISE_CAP};
pub use check::{check, GateOutcome};
#[allow(deprecated)]
pub use compare::Verdict;
pub use compare::{compare, Change, Comparison, MetricComparison};
pub use store::{
    baseline_dir, load_baseline, report_dir, save_baseline, saved_baselines, BaselineError,
};

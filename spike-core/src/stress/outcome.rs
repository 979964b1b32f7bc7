//! The result of a capacity search: plain serde data, a human summary and
//! an atomic `capacity.json` writer.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::abort::Aborted;
use crate::fmt::duration_us;
use crate::recording::histogram::micros;
use crate::report::write_atomic;

/// The service-level objectives a step must meet as a whole (after its
/// warm-up) to count as good. A bound left unset is not checked; dropped
/// iterations always fail a step.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[must_use]
pub struct Slo {
    /// Latency p95 must be at most this.
    #[serde(default, with = "crate::serde_micros::option")]
    pub p95: Option<Duration>,
    /// Latency p99 must be at most this.
    #[serde(default, with = "crate::serde_micros::option")]
    pub p99: Option<Duration>,
    /// Error rate (fraction) must be at most this.
    #[serde(default)]
    pub error_rate: Option<f64>,
}

impl Slo {
    /// No bound yet.
    pub fn new() -> Self {
        Slo::default()
    }

    /// Latency p95 at most `limit`.
    pub fn p95(mut self, limit: Duration) -> Self {
        self.p95 = Some(limit);
        self
    }

    /// Latency p99 at most `limit`.
    pub fn p99(mut self, limit: Duration) -> Self {
        self.p99 = Some(limit);
        self
    }

    /// Error rate at most `limit` (`pct(1)`).
    pub fn error_rate(mut self, limit: crate::Percent) -> Self {
        self.error_rate = Some(limit.fraction());
        self
    }
}

impl std::fmt::Display for Slo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        if let Some(d) = self.p95 {
            parts.push(format!("p95 ≤ {}", duration_us(micros(d))));
        }
        if let Some(d) = self.p99 {
            parts.push(format!("p99 ≤ {}", duration_us(micros(d))));
        }
        if let Some(e) = self.error_rate {
            parts.push(format!("error rate ≤ {:.2}%", e * 100.0));
        }
        parts.push("no drops".to_owned());
        f.write_str(&parts.join(", "))
    }
}

/// What broke an SLO first in a failing step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailedFirst {
    /// Latency p95 over its bound.
    LatencyP95,
    /// Latency p99 over its bound.
    LatencyP99,
    /// Error rate over its bound.
    Errors,
    /// Iterations dropped at the in-flight cap while the service was slow
    /// (the service's failure: see [`StepVerdict`]).
    Drops,
}

impl std::fmt::Display for FailedFirst {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            FailedFirst::LatencyP95 => "latency p95",
            FailedFirst::LatencyP99 => "latency p99",
            FailedFirst::Errors => "errors",
            FailedFirst::Drops => "drops",
        })
    }
}

/// The verdict on one step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "verdict", content = "detail")]
pub enum StepVerdict {
    /// Every SLO held over the step.
    Good,
    /// An SLO broke; what broke first.
    Bad(FailedFirst),
    /// The generator, not the service, limited the step: schedule-lag p99
    /// over its budget, a busy pacer, abandoned iterations, or drops at the
    /// in-flight cap while the latency SLOs still held (the cap, not the
    /// service, was too small for rate × latency). The reason says which.
    GeneratorBound(String),
    /// The step's run was interrupted from outside (the test's timeout):
    /// it says nothing about the service.
    Interrupted(String),
}

impl std::fmt::Display for StepVerdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StepVerdict::Good => f.write_str("good"),
            StepVerdict::Bad(first) => write!(f, "bad ({first})"),
            StepVerdict::GeneratorBound(why) => write!(f, "generator-bound ({why})"),
            StepVerdict::Interrupted(why) => write!(f, "interrupted ({why})"),
        }
    }
}

/// One step of the search: its rate, what it measured and its verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepRow {
    /// Step number, from 1.
    pub step: u32,
    /// Scenario name of the step's run (`<search>.step-3-800rps`).
    pub scenario: String,
    /// Offered rate, iterations per second.
    pub rate: f64,
    /// Iterations measured after the warm-up.
    pub samples: u64,
    /// Latency p95 after the warm-up, µs.
    pub p95_us: u64,
    /// Latency p99 after the warm-up, µs.
    pub p99_us: u64,
    /// Error rate after the warm-up.
    pub error_rate: f64,
    /// Served rate: completions per second by completion instant over the
    /// step's windows (up to the abort, if any).
    pub served_rate: Option<f64>,
    /// Capacity estimate of an overloaded step: the lower of the served
    /// rate and the successes per second by intended start.
    pub estimate: Option<f64>,
    /// Iterations dropped at the in-flight cap.
    pub dropped: u64,
    /// Schedule-lag p99, µs.
    pub lag_p99_us: u64,
    /// The pacer thread's CPU share (fraction of one core).
    pub pacer_cpu: f64,
    /// The verdict.
    pub verdict: StepVerdict,
    /// Why the step was stopped early, if it was.
    pub aborted: Option<Aborted>,
    /// Wall time of the step's run.
    #[serde(with = "crate::serde_micros")]
    pub elapsed: Duration,
}

/// The answer of a capacity search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum CapacityVerdict {
    /// R*: the highest rate that met every SLO, with the lowest that did
    /// not; `precise` when `first_bad ≤ rate × (1 + precision)`.
    Capacity {
        /// R*, iterations per second.
        rate: f64,
        /// The lowest failing rate.
        first_bad: f64,
        /// What broke first at `first_bad`.
        failed_first: FailedFirst,
        /// Whether the bracket is within the precision.
        precise: bool,
    },
    /// Every step up to the maximum rate met the SLOs: the capacity is at
    /// least `rate`.
    AtLeast {
        /// The maximum rate, which passed.
        rate: f64,
    },
    /// Not even the lowest rate probed met the SLOs.
    BelowLowest {
        /// The lowest rate probed.
        rate: f64,
        /// What broke first there.
        failed_first: FailedFirst,
    },
    /// The generator was saturated at a step of the bracket: no capacity
    /// can be claimed.
    GeneratorBound {
        /// The rate of that step.
        at: f64,
        /// What showed it.
        reason: String,
    },
    /// A step's run was interrupted from outside (the test's timeout):
    /// the search stopped there without an answer.
    Interrupted {
        /// The rate of that step.
        at: f64,
        /// Why the run was interrupted.
        reason: String,
    },
}

/// Whether the generator applied the load the steps claim, at the steps
/// that decide the answer (the last good and the first bad).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GeneratorCertificate {
    /// True when no deciding step was generator-bound.
    pub healthy: bool,
    /// Numbers of the steps checked.
    pub steps: Vec<u32>,
    /// The schedule-lag budget, µs.
    pub lag_budget_us: u64,
    /// Worst schedule-lag p99 among them, µs.
    pub worst_lag_p99_us: u64,
    /// Worst pacer CPU share among them.
    pub worst_pacer_cpu: f64,
    /// Dropped iterations among them.
    pub dropped: u64,
}

/// What [`Stress::find_capacity`](super::Stress::find_capacity) returns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CapacityReport {
    /// The search's name.
    pub name: String,
    /// The SLOs every good step met.
    pub slo: Slo,
    /// Relative width the bracket had to reach (0.03 = 3 %).
    pub precision: f64,
    /// The answer.
    pub verdict: CapacityVerdict,
    /// [last good, first bad] rates, each when known.
    pub bracket: (Option<f64>, Option<f64>),
    /// Every step, in order.
    pub steps: Vec<StepRow>,
    /// The generator-health certificate of the deciding steps.
    pub generator: GeneratorCertificate,
}

impl CapacityReport {
    /// R* when the search found one (or every step up to the maximum
    /// passed); `None` when generator-bound or not even the lowest rate
    /// passed.
    #[must_use]
    pub fn capacity(&self) -> Option<f64> {
        match self.verdict {
            CapacityVerdict::Capacity { rate, .. } | CapacityVerdict::AtLeast { rate } => {
                Some(rate)
            }
            _ => None,
        }
    }

    /// The rate at which the generator was saturated, when it was.
    #[must_use]
    pub fn generator_bound_at(&self) -> Option<f64> {
        match self.verdict {
            CapacityVerdict::GeneratorBound { at, .. } => Some(at),
            _ => None,
        }
    }

    /// The verdict in a few words: `R* = 1089 rps (bracket [1089, 1120],
    /// latency p95 failed first)`, `generator-bound at 800 rps (…)`.
    #[must_use]
    pub fn verdict_text(&self) -> String {
        match &self.verdict {
            CapacityVerdict::Capacity {
                rate,
                first_bad,
                failed_first,
                precise,
            } => format!(
                "R* = {} (bracket [{}, {}], {failed_first} failed first{})",
                rate_text(*rate),
                rate_text(*rate),
                rate_text(*first_bad),
                if *precise {
                    String::new()
                } else {
                    format!(
                        "; wider than the {:.1}% precision: the step budget ran out",
                        self.precision * 100.0
                    )
                }
            ),
            CapacityVerdict::AtLeast { rate } => format!(
                "R* ≥ {}: every step up to the maximum rate met the SLOs",
                rate_text(*rate)
            ),
            CapacityVerdict::BelowLowest { rate, failed_first } => format!(
                "no capacity: the lowest rate probed, {}, broke the SLOs ({failed_first} first)",
                rate_text(*rate)
            ),
            CapacityVerdict::GeneratorBound { at, reason } => format!(
                "generator-bound at {}: {reason}; no capacity can be claimed",
                rate_text(*at)
            ),
            CapacityVerdict::Interrupted { at, reason } => format!(
                "interrupted at {}: {reason}; the search stopped without an answer",
                rate_text(*at)
            ),
        }
    }

    /// The report as pretty JSON.
    ///
    /// # Panics
    /// Never in practice: the report holds only serializable plain data.
    #[must_use]
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a capacity report is plain data")
    }

    /// Write `capacity.json` into `dir` (created if missing), atomically.
    ///
    /// # Errors
    /// Any I/O error.
    pub fn write_to(&self, dir: impl AsRef<Path>) -> std::io::Result<PathBuf> {
        write_atomic(dir.as_ref(), "capacity.json", self.to_json().as_bytes())
    }
}

/// A rate for people: `800 rps`, `1089.4 rps`.
pub(crate) fn rate_text(r: f64) -> String {
    if (r - r.round()).abs() < 0.05 {
        format!("{r:.0} rps")
    } else {
        format!("{r:.1} rps")
    }
}

impl std::fmt::Display for CapacityReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "capacity search `{}`: {}",
            self.name,
            self.verdict_text()
        );
        let _ = writeln!(out, "  SLO: {}", self.slo);
        let _ = writeln!(
            out,
            "  {:>4} {:>11} {:>9} {:>9} {:>7} {:>11} {:>7} {:>9}  verdict",
            "step", "rate", "p95", "p99", "errors", "served", "dropped", "lag p99"
        );
        for s in &self.steps {
            let _ = writeln!(
                out,
                "  {:>4} {:>11} {:>9} {:>9} {:>6.2}% {:>11} {:>7} {:>9}  {}{}",
                s.step,
                rate_text(s.rate),
                duration_us(s.p95_us),
                duration_us(s.p99_us),
                s.error_rate * 100.0,
                s.served_rate.map_or_else(|| "—".to_owned(), rate_text),
                s.dropped,
                duration_us(s.lag_p99_us),
                s.verdict,
                if s.aborted.is_some() { ", aborted" } else { "" },
            );
        }
        let g = &self.generator;
        let _ = writeln!(
            out,
            "  generator: {} at steps {:?} (lag p99 worst {} of {} budget, pacer cpu {:.1}%, {} dropped)",
            if g.healthy { "healthy" } else { "SATURATED" },
            g.steps,
            duration_us(g.worst_lag_p99_us),
            duration_us(g.lag_budget_us),
            g.worst_pacer_cpu * 100.0,
            g.dropped,
        );
        f.write_str(out.trim_end())
    }
}

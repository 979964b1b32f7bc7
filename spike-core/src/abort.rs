//! Stopping a run early once its answer is known (k6's `abortOnFail`).
//!
//! A rule is a check on one closed window ([`WindowCheck`]) that must fail
//! for K consecutive closed windows ([`Abort::for_windows`]) before the run
//! stops. Several rules given to [`Scenario::abort_when`](crate::Scenario::abort_when)
//! are OR-ed: the first one to hold ends the run. The run then stops
//! sending, gives the iterations in flight the interrupt grace, and builds a
//! complete report whose [`Report::aborted`](crate::Report::aborted) says
//! which rule fired, at which window and when.
//!
//! An aborted run is a verdict about the service (it broke the rule), not
//! an inconclusive run: [`Report::is_conclusive`](crate::Report::is_conclusive)
//! stays true.
//!
//! ```
//! use spike_core::abort::{Abort, WindowCheck};
//! use spike_core::{ms, pct, rps, Ctx, Scenario, Shape};
//!
//! # tokio::runtime::Builder::new_multi_thread().enable_time().build().unwrap().block_on(async {
//! let shape = Shape::builder().hold(rps(100), ms(2_000)).build()?;
//! let report = Scenario::new("abort-doc")
//!     .shape(shape)
//!     .window(ms(100))
//!     .abort_when(Abort::when(WindowCheck::error_rate_above(pct(50))).for_windows(2))
//!     .run(|_ctx: Ctx| async { Err::<(), _>(spike_core::IterError::new("broken")) })
//!     .await?;
//! let aborted = report.aborted.as_ref().expect("every window failed");
//! assert_eq!(aborted.window, 1); // the second failing window in a row
//! assert!(report.elapsed < ms(2_000));
//! # Ok::<(), spike_core::SpikeError>(())
//! # }).unwrap();
//! ```

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::fmt::duration_us;
use crate::recording::histogram::micros;
use crate::report::window::WindowStats;
use crate::shape::units::Percent;

/// A check on one closed window that an [`Abort`] rule counts failures of.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum WindowCheck {
    /// The window's latency p95 is above this.
    P95Above(Duration),
    /// The window's latency p99 is above this.
    P99Above(Duration),
    /// The window's error rate (errors / completed) is above this fraction.
    ErrorRateAbove(f64),
    /// More than this many iterations of the window were dropped at the
    /// in-flight cap.
    DroppedAbove(u64),
}

/// What an abort rule watches, named for reports: `latency p95`,
/// `latency p99`, `error rate`, `dropped`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowMetric {
    /// Latency p95.
    P95,
    /// Latency p99.
    P99,
    /// Error rate.
    ErrorRate,
    /// Dropped iterations.
    Dropped,
}

impl std::fmt::Display for WindowMetric {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            WindowMetric::P95 => "latency p95",
            WindowMetric::P99 => "latency p99",
            WindowMetric::ErrorRate => "error rate",
            WindowMetric::Dropped => "dropped",
        })
    }
}

impl WindowCheck {
    /// Fails when a window's latency p95 is above `limit`.
    #[must_use]
    pub fn p95_above(limit: Duration) -> Self {
        WindowCheck::P95Above(limit)
    }

    /// Fails when a window's latency p99 is above `limit`.
    #[must_use]
    pub fn p99_above(limit: Duration) -> Self {
        WindowCheck::P99Above(limit)
    }

    /// Fails when a window's error rate is above `limit` (`pct(5)`).
    #[must_use]
    pub fn error_rate_above(limit: Percent) -> Self {
        WindowCheck::ErrorRateAbove(limit.fraction())
    }

    /// Fails when more than `limit` iterations of a window were dropped
    /// (`dropped_above(0)`: any drop).
    #[must_use]
    pub fn dropped_above(limit: u64) -> Self {
        WindowCheck::DroppedAbove(limit)
    }

    /// The metric this check reads.
    #[must_use]
    pub fn metric(&self) -> WindowMetric {
        match self {
            WindowCheck::P95Above(_) => WindowMetric::P95,
            WindowCheck::P99Above(_) => WindowMetric::P99,
            WindowCheck::ErrorRateAbove(_) => WindowMetric::ErrorRate,
            WindowCheck::DroppedAbove(_) => WindowMetric::Dropped,
        }
    }

    /// Whether `window` fails this check. A window with no completed
    /// iteration fails no latency or error check (nothing was measured).
    #[must_use]
    pub fn fails(&self, window: &WindowStats) -> bool {
        let s = &window.stats;
        match *self {
            WindowCheck::P95Above(limit) => s.completed > 0 && s.latency.p95_us > micros(limit),
            WindowCheck::P99Above(limit) => s.completed > 0 && s.latency.p99_us > micros(limit),
            WindowCheck::ErrorRateAbove(limit) => s.completed > 0 && s.error_rate > limit,
            WindowCheck::DroppedAbove(limit) => s.dropped > limit,
        }
    }

    /// The window's value of the metric, as text (`p95 84.0ms`).
    #[must_use]
    pub fn actual(&self, window: &WindowStats) -> String {
        let s = &window.stats;
        match self {
            WindowCheck::P95Above(_) => duration_us(s.latency.p95_us),
            WindowCheck::P99Above(_) => duration_us(s.latency.p99_us),
            WindowCheck::ErrorRateAbove(_) => format!("{:.2}%", s.error_rate * 100.0),
            WindowCheck::DroppedAbove(_) => s.dropped.to_string(),
        }
    }

    /// Why the value is unusable, if it is (a NaN or negative error rate).
    fn problem(&self) -> Option<&'static str> {
        match *self {
            WindowCheck::ErrorRateAbove(v) if !(v.is_finite() && (0.0..1.0).contains(&v)) => {
                Some("the error-rate threshold must be a finite fraction from 0 % to below 100 %")
            }
            _ => None,
        }
    }
}

impl std::fmt::Display for WindowCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            WindowCheck::P95Above(d) => write!(f, "latency p95 > {}", duration_us(micros(d))),
            WindowCheck::P99Above(d) => write!(f, "latency p99 > {}", duration_us(micros(d))),
            WindowCheck::ErrorRateAbove(v) => write!(f, "error rate > {:.2}%", v * 100.0),
            WindowCheck::DroppedAbove(n) => write!(f, "dropped > {n}"),
        }
    }
}

/// One abort rule: a [`WindowCheck`] failing for K consecutive closed
/// windows (default 3).
#[derive(Debug, Clone, Copy, PartialEq)]
#[must_use]
pub struct Abort {
    check: WindowCheck,
    windows: u32,
}

/// Consecutive failing windows an [`Abort`] rule waits for by default.
pub const DEFAULT_ABORT_WINDOWS: u32 = 3;

impl Abort {
    /// Abort when `check` fails for [`DEFAULT_ABORT_WINDOWS`] consecutive
    /// windows (change it with [`Abort::for_windows`]).
    pub fn when(check: WindowCheck) -> Self {
        Abort {
            check,
            windows: DEFAULT_ABORT_WINDOWS,
        }
    }

    /// How many consecutive failing windows end the run (at least 1; 0 is
    /// refused when the run starts).
    pub fn for_windows(mut self, k: u32) -> Self {
        self.windows = k;
        self
    }

    /// The check.
    #[must_use]
    pub fn check(&self) -> WindowCheck {
        self.check
    }

    /// Consecutive failing windows needed.
    #[must_use]
    pub fn windows(&self) -> u32 {
        self.windows
    }

    /// Why the rule is unusable, if it is: a K of 0, or a threshold that is
    /// not a number or out of range.
    #[must_use]
    pub fn problem(&self) -> Option<&'static str> {
        if self.windows == 0 {
            return Some("the number of consecutive windows must be at least 1");
        }
        self.check.problem()
    }
}

impl std::fmt::Display for Abort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = if self.windows == 1 { "" } else { "s" };
        write!(f, "{} for {} window{s} in a row", self.check, self.windows)
    }
}

/// The first rule of `rules` that is unusable, as text, with why.
pub(crate) fn first_problem(rules: &[Abort]) -> Option<(String, &'static str)> {
    rules
        .iter()
        .find_map(|r| r.problem().map(|why| (r.to_string(), why)))
}

/// Why and when a run was stopped by an [`Abort`] rule; kept in
/// [`Report::aborted`](crate::Report::aborted).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Aborted {
    /// The rule that fired, as text: `latency p95 > 200.0ms for 3 windows in a row`.
    pub rule: String,
    /// The metric the rule watched.
    pub metric: WindowMetric,
    /// The value of the last failing window (`p95 412.0ms` as `412.0ms`).
    pub actual: String,
    /// Index of the window whose close made the rule fire (the K-th
    /// failing window in a row).
    pub window: u64,
    /// Index of the first window of the failing run of windows.
    pub first_window: u64,
    /// Start offset of the first failing window: when the break began, on
    /// the schedule's clock.
    #[serde(with = "crate::serde_micros")]
    pub broke_at: Duration,
    /// Offset from the run start at which the run was stopped (wall clock).
    #[serde(with = "crate::serde_micros")]
    pub at: Duration,
}

impl std::fmt::Display for Aborted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} (windows #{}–#{}, last {}); failing from {}, stopped at {}",
            self.rule,
            self.first_window,
            self.window,
            self.actual,
            duration_us(micros(self.broke_at)),
            duration_us(micros(self.at)),
        )
    }
}

/// One rule's failing streak: its length, and the first window's index
/// and start.
type Streak = (u32, Option<(u64, Duration)>);

/// Watches closed windows against a set of rules (OR-ed).
#[derive(Debug, Clone)]
pub(crate) struct AbortWatch {
    rules: Vec<(Abort, Streak)>,
}

impl AbortWatch {
    pub(crate) fn new(rules: &[Abort]) -> Self {
        AbortWatch {
            rules: rules.iter().map(|r| (*r, (0, None))).collect(),
        }
    }

    /// Take in one closed window (in order); the first rule that reached
    /// its K consecutive failing windows, if any. `now` is the offset from
    /// the run start.
    pub(crate) fn observe(&mut self, window: &WindowStats, now: Duration) -> Option<Aborted> {
        // Whole microseconds, as the report serializes durations.
        let now = Duration::from_micros(micros(now));
        let mut fired = None;
        for (rule, (streak, first)) in &mut self.rules {
            if rule.check.fails(window) {
                *streak += 1;
                let (first_window, broke_at) = *first.get_or_insert((window.index, window.start));
                if *streak >= rule.windows && fired.is_none() {
                    fired = Some(Aborted {
                        rule: rule.to_string(),
                        metric: rule.check.metric(),
                        actual: rule.check.actual(window),
                        window: window.index,
                        first_window,
                        broke_at,
                        at: now,
                    });
                }
            } else {
                *streak = 0;
                *first = None;
            }
        }
        fired
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recording::stats::Stats;

    fn window(index: u64, p95_ms: u64, error_rate: f64) -> WindowStats {
        let mut stats = Stats {
            completed: 100,
            error_rate,
            ..Stats::default()
        };
        stats.latency.p95_us = p95_ms * 1000;
        WindowStats {
            index,
            start: Duration::from_millis(100 * index),
            end: Duration::from_millis(100 * (index + 1)),
            phase: "hold".into(),
            stats,
            served: 100,
            faults: Vec::new(),
            resources: Default::default(),
        }
    }

    #[test]
    fn fires_on_the_kth_consecutive_failing_window_only() {
        let rule = Abort::when(WindowCheck::p95_above(Duration::from_millis(50))).for_windows(3);
        let mut watch = AbortWatch::new(&[rule]);
        let p95s = [10, 60, 70, 10, 60, 60, 60, 60];
        let fired: Vec<_> = p95s
            .iter()
            .enumerate()
            .filter_map(|(i, &p)| watch.observe(&window(i as u64, p, 0.0), Duration::ZERO))
            .collect();
        // The streak at 1–2 is broken by window 3; 4, 5, 6 make three.
        assert_eq!(fired[0].window, 6);
        assert_eq!(fired[0].first_window, 4);
        assert_eq!(fired[0].broke_at, Duration::from_millis(400));
        assert_eq!(fired[0].metric, WindowMetric::P95);
    }

    #[test]
    fn rules_are_or_ed() {
        let slow = Abort::when(WindowCheck::p95_above(Duration::from_millis(50))).for_windows(5);
        let errors = Abort::when(WindowCheck::error_rate_above(crate::pct(10))).for_windows(2);
        let mut watch = AbortWatch::new(&[slow, errors]);
        assert!(watch.observe(&window(0, 10, 0.5), Duration::ZERO).is_none());
        let fired = watch.observe(&window(1, 10, 0.5), Duration::ZERO).unwrap();
        assert_eq!(fired.metric, WindowMetric::ErrorRate);
        assert_eq!(fired.rule, "error rate > 10.00% for 2 windows in a row");
    }

    #[test]
    fn bad_rules_say_why() {
        let check = WindowCheck::p95_above(Duration::from_millis(1));
        assert!(Abort::when(check).for_windows(0).problem().is_some());
        assert!(
            Abort::when(WindowCheck::error_rate_above(crate::pct(f64::NAN)))
                .problem()
                .is_some()
        );
        assert!(Abort::when(WindowCheck::error_rate_above(crate::pct(-1)))
            .problem()
            .is_some());
        assert!(Abort::when(check).problem().is_none());
    }
}

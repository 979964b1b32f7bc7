//! Soak checks, run-level like `recovery()`: memory growth and leaks of a
//! sampled resource series, and latency drift of window p95, each judged
//! over the windows after a warm-up (see `spike_core::soak`).
//!
//! | check | passes when | expected column |
//! | --- | --- | --- |
//! | `memory_of(pid).growth().below(b)` | last − first `< b` | ``growth of `pid:…` < b`` |
//! | `memory_of(pid).leak_rate().below(b)` | the slope's 95 % band lower end `< b` per second | `leak rate < b/s (95% band low end)` |
//! | `memory_of(pid).not_leaking()` | the band's lower end × span `≤` the floor (10 MB) | `not leaking (…)` |
//! | `latency_drift().below(p)` | the drift band's lower end `< p` | `p95 drift < p (95% band low end)` |
//!
//! A series the report has no samples of, or too few samples after the
//! warm-up, fails the check and says which series exist.

use std::time::Duration;

use spike_core::soak::{
    drift_verdict, fmt_bytes, memory_verdict, pid_series, MemoryVerdict, SoakCriteria, SELF_SERIES,
};
use spike_core::Percent;

use crate::chain::Expect;

impl<'r> Expect<'r> {
    /// Soak checks on the memory of the process `pid`, sampled with
    /// `Scenario::sample_resources(Resources::pid(pid))` (series
    /// `pid:<pid>`). Run-level: ignores the chain's scope.
    ///
    /// ```
    /// # use spike_assert::expect;
    /// # use spike_core::soak::Resources;
    /// # use spike_core::{mb, ms, rps, secs, Ctx, Scenario, Shape};
    /// # tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
    /// let me = std::process::id();
    /// let report = Scenario::new("soak-doc")
    ///     .shape(Shape::builder().hold(rps(50), ms(1_500)).build().unwrap())
    ///     .window(ms(100))
    /// #   .lag_budget(secs(1))
    ///     .sample_resources(Resources::pid(me).and_self())
    ///     .run(|_ctx: Ctx| async {})
    ///     .await
    ///     .unwrap();
    /// expect(&report)
    ///     .memory_of(me).warm_up(ms(300)).growth().below(mb(200))
    ///     .memory_of_self().warm_up(ms(300)).growth().below(mb(200))
    ///     .verify();
    /// # });
    /// ```
    pub fn memory_of(self, pid: u32) -> MemoryCheck<'r> {
        self.memory_series(&pid_series(pid))
    }

    /// Soak checks on spike's own memory (series `spike`, sampled with
    /// `Resources::this_process()` or `.and_self()`): the load generator
    /// must not grow either, and for a service running inside the test
    /// process this is the service's memory too.
    pub fn memory_of_self(self) -> MemoryCheck<'r> {
        self.memory_series(SELF_SERIES)
    }

    /// Soak checks on any sampled series by name (a custom probe's name,
    /// `pid:<pid>`, `spike`).
    pub fn memory_series(self, series: &str) -> MemoryCheck<'r> {
        MemoryCheck {
            expect: self,
            series: series.to_owned(),
            criteria: SoakCriteria::default(),
        }
    }

    /// Drift of window p95 over the run after the warm-up (default 5 s):
    /// the Theil–Sen slope of p95 carried over the span, relative to the
    /// warm p95. A bound fails on evidence only — when the lower end of the
    /// drift's 95 % band reaches it — so window-to-window noise does not
    /// fail a flat run; the message shows the estimate and its band.
    /// Run-level: ignores the chain's scope.
    ///
    /// ```
    /// # use spike_assert::expect;
    /// # use spike_core::{ms, pct, rps, secs, Ctx, Scenario, Shape};
    /// # tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
    /// let report = Scenario::new("drift-doc")
    ///     .shape(Shape::builder().hold(rps(100), ms(1_500)).build().unwrap())
    ///     .window(ms(100))
    /// #   .lag_budget(secs(1))
    ///     .run(|_ctx: Ctx| async { tokio::time::sleep(std::time::Duration::from_millis(5)).await })
    ///     .await
    ///     .unwrap();
    /// expect(&report).latency_drift().warm_up(ms(300)).below(pct(50)).verify();
    /// # });
    /// ```
    pub fn latency_drift(self) -> DriftCheck<'r> {
        DriftCheck {
            expect: self,
            warm_up: SoakCriteria::default().warm_up,
        }
    }
}

/// Memory checks on one resource series, waiting for a verdict method.
/// From [`Expect::memory_of`], [`Expect::memory_of_self`],
/// [`Expect::memory_series`].
#[must_use = "memory_of without a check checks nothing"]
#[derive(Debug)]
pub struct MemoryCheck<'r> {
    expect: Expect<'r>,
    series: String,
    criteria: SoakCriteria,
}

impl<'r> MemoryCheck<'r> {
    /// Judge only the windows starting at or after `warm_up` (default 5 s).
    pub fn warm_up(mut self, warm_up: Duration) -> Self {
        self.criteria.warm_up = warm_up;
        self
    }

    /// The growth floor of [`MemoryCheck::not_leaking`] (default 10 MB over
    /// the judged span).
    pub fn leak_floor(mut self, bytes: u64) -> Self {
        self.criteria.leak_floor_bytes = bytes;
        self
    }

    /// Growth: the last judged sample minus the first, bytes.
    pub fn growth(self) -> GrowthCheck<'r> {
        GrowthCheck { memory: self }
    }

    /// Leak rate: the lower end of the Theil–Sen slope's 95 % band, bytes
    /// per second — what the series grows by at least, with 95 %
    /// confidence. A sawtooth widens the band below zero and passes.
    pub fn leak_rate(self) -> LeakRateCheck<'r> {
        LeakRateCheck { memory: self }
    }

    /// Passes unless the series is leaking: the slope band's lower end,
    /// carried over the judged span, is above the floor (10 MB unless
    /// [`MemoryCheck::leak_floor`] says otherwise).
    pub fn not_leaking(self) -> Expect<'r> {
        let floor = fmt_bytes(self.criteria.leak_floor_bytes as f64);
        self.finish(
            "leak",
            format!("not leaking (band low end × span ≤ {floor})"),
            |v| {
                let (_, low, _) = v.trend_bytes();
                (
                    format!(
                        "{}: band low end × {:.0}s = {}",
                        if v.leaking { "leaking" } else { "not leaking" },
                        v.span_s(),
                        fmt_bytes(low)
                    ),
                    !v.leaking,
                )
            },
        )
    }

    /// Evaluate the series' verdict and push one row; `judge` gives the
    /// actual text's head and the verdict.
    fn finish(
        self,
        what: &str,
        expected: String,
        judge: impl FnOnce(&MemoryVerdict) -> (String, bool),
    ) -> Expect<'r> {
        let MemoryCheck {
            expect,
            series,
            criteria,
        } = self;
        let outcome = match memory_verdict(expect.report, &series, criteria) {
            Ok(v) => {
                let (head, passed) = judge(&v);
                (expected, format!("{head} ({v})"), passed)
            }
            Err(e) => (expected, format!("not judged: {e}"), false),
        };
        expect.push_run_level(format!("memory {what} of `{series}`"), outcome)
    }
}

/// Growth of a series, waiting for its bound. From [`MemoryCheck::growth`].
#[must_use = "growth() without a bound checks nothing"]
#[derive(Debug)]
pub struct GrowthCheck<'r> {
    memory: MemoryCheck<'r>,
}

impl<'r> GrowthCheck<'r> {
    /// Passes when the growth is `< bytes` (`mb(200)`).
    pub fn below(self, bytes: u64) -> Expect<'r> {
        self.bound(bytes, "<", |g, b| g < b)
    }

    /// Passes when the growth is `≤ bytes`.
    pub fn at_most(self, bytes: u64) -> Expect<'r> {
        self.bound(bytes, "≤", |g, b| g <= b)
    }

    fn bound(self, bytes: u64, sign: &str, ok: fn(f64, f64) -> bool) -> Expect<'r> {
        let limit = bytes as f64;
        self.memory.finish(
            "growth",
            format!("growth {sign} {}", fmt_bytes(limit)),
            |v| {
                (
                    format!("growth {}", fmt_bytes(v.growth_bytes)),
                    ok(v.growth_bytes, limit),
                )
            },
        )
    }
}

/// Leak rate of a series, waiting for its bound. From
/// [`MemoryCheck::leak_rate`].
#[must_use = "leak_rate() without a bound checks nothing"]
#[derive(Debug)]
pub struct LeakRateCheck<'r> {
    memory: MemoryCheck<'r>,
}

impl<'r> LeakRateCheck<'r> {
    /// Passes when the slope band's lower end is `< bytes_per_sec`: the
    /// series is not shown, with 95 % confidence, to grow that fast.
    pub fn below(self, bytes_per_sec: u64) -> Expect<'r> {
        let limit = bytes_per_sec as f64;
        self.memory.finish(
            "leak rate",
            format!("leak rate < {}/s (95% band low end)", fmt_bytes(limit)),
            |v| {
                (
                    format!("band low end {}/s", fmt_bytes(v.slope.low)),
                    v.slope.low < limit,
                )
            },
        )
    }
}

/// Latency drift, waiting for its bound. From [`Expect::latency_drift`].
#[must_use = "latency_drift() without a bound checks nothing"]
#[derive(Debug)]
pub struct DriftCheck<'r> {
    expect: Expect<'r>,
    warm_up: Duration,
}

impl<'r> DriftCheck<'r> {
    /// Judge only the windows starting at or after `warm_up` (default 5 s).
    pub fn warm_up(mut self, warm_up: Duration) -> Self {
        self.warm_up = warm_up;
        self
    }

    /// Passes when the drift's 95 % band lower end (slope band low end ×
    /// span / warm p95) is `< limit`.
    pub fn below(self, limit: Percent) -> Expect<'r> {
        self.bound(limit, "<", |d, l| d < l)
    }

    /// Passes when the drift's band lower end is `≤ limit`.
    pub fn at_most(self, limit: Percent) -> Expect<'r> {
        self.bound(limit, "≤", |d, l| d <= l)
    }

    fn bound(self, limit: Percent, sign: &str, ok: fn(f64, f64) -> bool) -> Expect<'r> {
        let expected = format!("p95 drift {sign} {limit} (95% band low end)");
        let outcome = match drift_verdict(self.expect.report, self.warm_up) {
            Ok(d) => (expected, d.to_string(), ok(d.drift_low, limit.fraction())),
            Err(e) => (expected, format!("not judged: {e}"), false),
        };
        self.expect
            .push_run_level("latency drift".to_owned(), outcome)
    }
}

//! Fluent, soft assertions over a spike [`Report`].
//!
//! [`expect`] starts a chain; each quantity (`error_rate()`, `p95()`, ...)
//! takes a comparator; [`Expect::verify`] ends the chain. Every check runs,
//! then one failure lists them all as a table (check, scope, expected,
//! actual, verdict), followed by the report summary, where the chain was
//! verified and the path of the saved report.
//!
//! # Scopes: every later check, until the next scope method
//!
//! A chain starts in the `run` scope. A scope method — [`Expect::run`],
//! [`Expect::phase`], [`Expect::every_window`], [`Expect::window`] — sets
//! the scope of **every later check in the chain, until the next scope
//! method**; the table's scope column names it on every row (`run`,
//! `phase burst`, `every window of burst`, `every window`, `window #7`).
//! Two checks are run-level and ignore the scope: [`Expect::recovery`] and
//! [`Expect::no_regression_against`]. Their scope column says `run` (or
//! ``run vs baseline `main` ``), followed by `(ignores phase burst)` when
//! another scope was in force; the scope stays in force for the checks
//! after them.
//!
//! # Comparators: one meaning each
//!
//! | comparator | passes when | expected column |
//! | --- | --- | --- |
//! | `below(t)` | `value < t` | `< t` |
//! | `at_most(t)` | `value ≤ t` | `≤ t` |
//! | `above(t)` | `value > t` | `> t` |
//! | `at_least(t)` | `value ≥ t` | `≥ t` |
//! | `between(lo, hi)` | `lo ≤ value ≤ hi` | `≥ lo and ≤ hi` |
//! | `recovery().within(d)` | recovered, recovery time `≤ d` | `recovered ≤ d after the spike` |
//!
//! `within` is only for a time to an event (recovery); on a latency
//! percentile it is a deprecated alias of `at_most`.
//!
//! ```
//! use spike_assert::expect;
//! use spike_core::{ms, pct, rps, secs, Ctx, Scenario, Shape};
//!
//! # tokio::runtime::Builder::new_multi_thread().enable_time().build().unwrap().block_on(async {
//! let shape = Shape::builder()
//!     .hold(rps(100), ms(300)).named("baseline")
//!     .burst(rps(400), ms(200))
//!     .recover(rps(100), ms(500))
//!     .build()?;
//! let report = Scenario::new("checkout")
//!     .shape(shape)
//!     .window(ms(100))
//! #   .lag_budget(secs(1))
//! #   .recovery_criteria(spike_core::RecoveryCriteria { slack: secs(1), ..Default::default() })
//!     .run(|ctx: Ctx| async move { ctx.count("calls", 1); })
//!     .await?;
//!
//! expect(&report)
//!     .error_rate().below(pct(2))
//!     .p95().below(secs(5))
//!     .throughput().at_least(50.0)
//!     .recovery().within(ms(500))                    // run-level
//!     .phase("burst").p99().below(secs(5))           // phase burst
//!     .every_window().error_rate().at_most(pct(0))   // every window of burst
//!     .run()
//!     .dropped().at_most(0)                          // run
//!     .verify();
//! # Ok::<(), spike_core::SpikeError>(())
//! # }).unwrap();
//! ```
//!
//! A report whose generator dropped iterations, was saturated, abandoned
//! iterations or was interrupted fails the chain as inconclusive unless
//! [`Expect::allow_inconclusive`] says otherwise. Inside `#[spike_test]`
//! the evaluated checks are also written into the run's `report.json`.

mod eval;
mod measure;
mod regression;
mod verdict;

use std::panic::Location;
use std::time::Duration;

use spike_core::{Quantile, Report};

use eval::{Quantity, Scope};
use verdict::{Row, RowVerdict};

pub use eval::DEFAULT_MIN_SAMPLES;
pub use measure::{Measure, Recorded, RecoveryCheck, ServiceTime, TagShares, Threshold};
pub use verdict::{Failure, Verified};

/// Start a chain of checks on `report`. Nothing is decided until
/// [`Expect::verify`] or [`Expect::try_verify`].
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
pub fn expect(report: &Report) -> Expect<'_> {
    Expect {
        report,
        scope: Scope::Run,
        rows: Vec::new(),
        allow_inconclusive: false,
        min_samples: DEFAULT_MIN_SAMPLES,
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
    report: &'r Report,
    scope: Scope,
    rows: Vec<Row>,
    allow_inconclusive: bool,
    min_samples: u64,
}

impl<'r> Expect<'r> {
    /// Record one check in the current scope.
    fn push(mut self, quantity: &Quantity, cmp: eval::Cmp, each: &str) -> Self {
        let outcome = eval::evaluate(self.report, &self.scope, quantity, cmp, self.min_samples);
        self.rows.push(Row {
            check: quantity.name(),
            scope: self.scope.label(),
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
        self
    }

    /// Record a recovery check: recovered at all, or within `limit`. A
    /// run-level check: the scope column says which scope it ignored.
    fn push_recovery(mut self, limit: Option<Duration>) -> Self {
        let (expected, actual, passed) = recovery_outcome(self.report, limit);
        self.rows.push(Row {
            check: "recovery".to_owned(),
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

    fn measure<T: Threshold>(self, quantity: Quantity) -> Measure<'r, T> {
        Measure::new(self, quantity)
    }

    fn percentile(self, q: Quantile) -> Measure<'r, Duration> {
        self.measure(Quantity::Latency(q))
    }

    /// Errors / completed iterations in the chain's current scope, as a
    /// [`spike_core::Percent`]. Fails with "no iteration completed" when
    /// nothing completed in the scope.
    ///
    /// ```
    /// # use spike_assert::expect;
    /// # use spike_core::{ms, pct, rps, secs, Ctx, Scenario, Shape};
    /// # tokio::runtime::Builder::new_multi_thread().enable_time().build().unwrap().block_on(async {
    /// # let shape = Shape::builder().hold(rps(100), ms(300)).build().unwrap();
    /// # let report = Scenario::new("doc").shape(shape).window(ms(100)).lag_budget(secs(1))
    /// #     .run(|_ctx: Ctx| async {}).await.unwrap();
    /// expect(&report).error_rate().below(pct(2)).verify();
    /// # });
    /// ```
    pub fn error_rate(self) -> Measure<'r, spike_core::Percent> {
        self.measure(Quantity::ErrorRate)
    }

    measure::percentiles! {
        /// Median latency in the chain's current scope. Latency runs from
        /// the intended start in the open model (corrected for coordinated
        /// omission) and from the actual start in the closed model.
        ///
        /// ```
        /// # use spike_assert::expect;
        /// # use spike_core::{ms, rps, secs, Ctx, Scenario, Shape};
        /// # tokio::runtime::Builder::new_multi_thread().enable_time().build().unwrap().block_on(async {
        /// # let shape = Shape::builder().hold(rps(100), ms(300)).build().unwrap();
        /// # let report = Scenario::new("doc").shape(shape).window(ms(100)).lag_budget(secs(1))
        /// #     .run(|_ctx: Ctx| async {}).await.unwrap();
        /// expect(&report)
        ///     .p50().below(secs(1))
        ///     .p90().below(secs(1))
        ///     .p95().below(secs(2))
        ///     .p99().below(secs(3))
        ///     .p999().below(secs(4))
        ///     .max().at_most(secs(5))
        ///     .verify();
        /// # });
        /// ```
        p50 => P50,
        /// 90th percentile latency (see [`Expect::p50`]).
        p90 => P90,
        /// 95th percentile latency (see [`Expect::p50`]).
        p95 => P95,
        /// 99th percentile latency (see [`Expect::p50`]).
        p99 => P99,
        /// 99.9th percentile latency (see [`Expect::p50`]).
        p999 => P999,
        /// Longest latency (see [`Expect::p50`]).
        max => Max,
    }

    /// Service time (completion − actual start) in the chain's current
    /// scope, then a percentile: `.service_time().p99().below(ms(50))`. See
    /// [`ServiceTime`].
    pub fn service_time(self) -> ServiceTime<'r> {
        ServiceTime::new(self)
    }

    /// Percentiles of a duration the workload recorded with
    /// `ctx.record(name, ..)` (a pool wait, a handshake, a round trip), in
    /// the current scope: `.metric("pool_wait").p95().below(ms(50))`. A name
    /// nothing was recorded under fails, listing the names that were.
    /// See [`Recorded`].
    pub fn metric(self, name: impl Into<String>) -> Recorded<'r> {
        Recorded::new(self, name.into())
    }

    /// Successful iterations per second over the span of the chain's
    /// current scope.
    ///
    /// ```
    /// # use spike_assert::expect;
    /// # use spike_core::{ms, rps, secs, Ctx, Scenario, Shape};
    /// # tokio::runtime::Builder::new_multi_thread().enable_time().build().unwrap().block_on(async {
    /// # let shape = Shape::builder().hold(rps(100), ms(300)).build().unwrap();
    /// # let report = Scenario::new("doc").shape(shape).window(ms(100)).lag_budget(secs(1))
    /// #     .run(|_ctx: Ctx| async {}).await.unwrap();
    /// expect(&report).throughput().between(50.0, 150.0).verify();
    /// # });
    /// ```
    pub fn throughput(self) -> Measure<'r, f64> {
        self.measure(Quantity::Throughput)
    }

    /// A run-level check that ignores the chain's scope: recovery time after
    /// the spike, `.recovery().within(secs(30))` or `.recovery().recovered()`.
    ///
    /// Recovery is measured once per run (end of the spike to the first
    /// sustained healthy windows), so a `phase(..)` or window scope does not
    /// apply to it: the row's scope column says `run`, or `run (ignores
    /// phase burst)` when such a scope was in force, and that scope stays in
    /// force for the checks after it. See [`RecoveryCheck`]. Fails, saying
    /// so, when the shape has no burst followed by a recover phase.
    ///
    /// ```
    /// # use spike_assert::expect;
    /// # use spike_core::{ms, rps, secs, Ctx, Scenario, Shape};
    /// # tokio::runtime::Builder::new_multi_thread().enable_time().build().unwrap().block_on(async {
    /// # let shape = Shape::builder().hold(rps(100), ms(300)).named("baseline")
    /// #     .burst(rps(300), ms(200)).recover(rps(100), ms(500)).build().unwrap();
    /// # let report = Scenario::new("doc").shape(shape).window(ms(100)).lag_budget(secs(1))
    /// #   .recovery_criteria(spike_core::RecoveryCriteria { slack: secs(1), ..Default::default() })
    /// #     .run(|_ctx: Ctx| async {}).await.unwrap();
    /// let verified = expect(&report)
    ///     .phase("burst")
    ///     .recovery().within(secs(1))
    ///     .p99().below(secs(5))
    ///     .verify();
    /// let scopes: Vec<&str> = verified.checks().iter().map(|c| c.scope.as_str()).collect();
    /// assert_eq!(scopes, ["run (ignores phase burst)", "phase burst", "generator"]);
    /// # });
    /// ```
    pub fn recovery(self) -> RecoveryCheck<'r> {
        RecoveryCheck::new(self)
    }

    /// Iterations not started because the in-flight cap was reached, in
    /// the chain's current scope.
    ///
    /// ```
    /// # use spike_assert::expect;
    /// # use spike_core::{ms, rps, secs, Ctx, Scenario, Shape};
    /// # tokio::runtime::Builder::new_multi_thread().enable_time().build().unwrap().block_on(async {
    /// # let shape = Shape::builder().hold(rps(100), ms(300)).build().unwrap();
    /// # let report = Scenario::new("doc").shape(shape).window(ms(100)).lag_budget(secs(1))
    /// #     .run(|_ctx: Ctx| async {}).await.unwrap();
    /// expect(&report).dropped().at_most(0).verify();
    /// # });
    /// ```
    pub fn dropped(self) -> Measure<'r, u64> {
        self.measure(Quantity::Dropped)
    }

    /// Errors of one class key in the chain's current scope (`connect`,
    /// `timeout`, `http_4xx`, `http_5xx`, `protocol`, `pool_timeout`,
    /// `panic`, or a name of your own). A count of 0 while other classes
    /// occurred names them, in case the key is misspelled.
    ///
    /// ```
    /// # use spike_assert::expect;
    /// # use spike_core::{ms, rps, secs, Ctx, IterError, Scenario, Shape};
    /// # tokio::runtime::Builder::new_multi_thread().enable_time().build().unwrap().block_on(async {
    /// # let shape = Shape::builder().hold(rps(100), ms(300)).build().unwrap();
    /// let report = Scenario::new("doc").shape(shape).window(ms(100))
    /// #   .lag_budget(secs(1))
    ///     .run(|ctx: Ctx| async move {
    ///         if ctx.iteration() % 10 == 0 { Err(IterError::http(503)) } else { Ok(()) }
    ///     })
    ///     .await?;
    /// expect(&report)
    ///     .errors("http_5xx").between(1, 10)
    ///     .errors("timeout").at_most(0)
    ///     .allow_inconclusive()
    ///     .verify();
    /// # Ok::<(), spike_core::SpikeError>(())
    /// # }).unwrap();
    /// ```
    pub fn errors(self, class: &str) -> Measure<'r, u64> {
        self.measure(Quantity::Errors(class.to_owned()))
    }

    /// `counter(numerator) / counter(denominator)` of the user counters
    /// (`ctx.count(..)`) in the chain's current scope, as a
    /// [`spike_core::Percent`]. Fails, saying so,
    /// when the denominator is 0.
    ///
    /// ```
    /// # use spike_assert::expect;
    /// # use spike_core::{ms, pct, rps, secs, Ctx, Scenario, Shape};
    /// # tokio::runtime::Builder::new_multi_thread().enable_time().build().unwrap().block_on(async {
    /// # let shape = Shape::builder().hold(rps(100), ms(300)).build().unwrap();
    /// let report = Scenario::new("doc").shape(shape).window(ms(100))
    /// #   .lag_budget(secs(1))
    ///     .run(|ctx: Ctx| async move {
    ///         ctx.count("cache_lookup", 1);
    ///         if ctx.iteration() % 4 != 0 { ctx.count("cache_hit", 1); }
    ///     })
    ///     .await?;
    /// expect(&report).ratio("cache_hit", "cache_lookup").above(pct(70)).verify();
    /// # Ok::<(), spike_core::SpikeError>(())
    /// # }).unwrap();
    /// ```
    pub fn ratio(self, numerator: &str, denominator: &str) -> Measure<'r, spike_core::Percent> {
        self.measure(Quantity::Ratio(
            numerator.to_owned(),
            denominator.to_owned(),
        ))
    }

    /// The share of each value of a tag key (`Outcome::ok().tag(key, v)`)
    /// among the iterations of the chain's current scope that carried it.
    /// See [`TagShares`].
    pub fn tag_share(self, key: &str) -> TagShares<'r> {
        TagShares::new(self, key)
    }

    /// Scope method: every later check in this chain looks at phase `name`
    /// only, until the next scope method (`run()`, `phase(..)`,
    /// `every_window()`, `window(..)`).
    ///
    /// The scope column says `phase name`. Run-level checks (`recovery()`,
    /// `no_regression_against(..)`) ignore it and say so. A phase that does
    /// not exist fails every check in its scope with a message listing the
    /// phases.
    ///
    /// ```
    /// # use spike_assert::expect;
    /// # use spike_core::{ms, pct, rps, secs, Ctx, Scenario, Shape};
    /// # tokio::runtime::Builder::new_multi_thread().enable_time().build().unwrap().block_on(async {
    /// # let shape = Shape::builder().hold(rps(100), ms(300)).named("baseline")
    /// #     .burst(rps(300), ms(200)).recover(rps(100), ms(500)).build().unwrap();
    /// # let report = Scenario::new("doc").shape(shape).window(ms(100)).lag_budget(secs(1))
    /// #     .run(|_ctx: Ctx| async {}).await.unwrap();
    /// let failure = expect(&report).phase("brust").p99().below(secs(1)).try_verify().unwrap_err();
    /// assert!(failure.to_string().contains("no phase named `brust`; the phases are: baseline, burst, recover"));
    /// # });
    /// ```
    pub fn phase(mut self, name: &str) -> Self {
        self.scope = Scope::Phase(name.to_owned());
        self
    }

    /// Scope method: every later check in this chain must hold in each
    /// window of the current phase (of the whole run when no phase is in
    /// force), until the next scope method.
    ///
    /// After `phase(p)` (or `every_window()` of `p`) the scope column says
    /// `every window of p`; after `run()`, `window(..)` or at the start of a
    /// chain it says `every window`. The table names the worst window.
    /// Windows in which no iteration was due are skipped; a window with
    /// iterations due but none completed fails latency and error-rate
    /// checks.
    ///
    /// Percentiles and error rates are judged only in windows with at least
    /// [`DEFAULT_MIN_SAMPLES`] samples (see [`Expect::min_samples`]); thinner
    /// windows are skipped and listed, and a check whose windows are mostly
    /// skipped is inconclusive.
    ///
    /// ```
    /// # use spike_assert::expect;
    /// # use spike_core::{ms, pct, rps, secs, Ctx, Scenario, Shape};
    /// # tokio::runtime::Builder::new_multi_thread().enable_time().build().unwrap().block_on(async {
    /// // 30 to 60 samples in every 100 ms window.
    /// let shape = Shape::builder().hold(rps(300), ms(300)).named("baseline")
    ///     .burst(rps(600), ms(200)).recover(rps(300), ms(500)).build().unwrap();
    /// let report = Scenario::new("doc").shape(shape).window(ms(100)).lag_budget(secs(1))
    ///     .run(|_ctx: Ctx| async {}).await.unwrap();
    /// expect(&report)
    ///     .phase("burst").every_window().error_rate().below(pct(2))
    ///     .run().every_window().p99().below(secs(5))
    ///     .verify();
    /// # });
    /// ```
    pub fn every_window(mut self) -> Self {
        self.scope = match self.scope {
            Scope::Phase(p) | Scope::EveryWindow(Some(p)) => Scope::EveryWindow(Some(p)),
            Scope::Run | Scope::Window(_) | Scope::EveryWindow(None) => Scope::EveryWindow(None),
        };
        self
    }

    /// Scope method: every later check in this chain looks at window number
    /// `index` only, until the next scope method.
    ///
    /// Windows are numbered from the start of the run
    /// (`report.windows[..].index`), whatever phase was in force; the scope
    /// column says `window #index`.
    ///
    /// ```
    /// # use spike_assert::expect;
    /// # use spike_core::{ms, rps, secs, Ctx, Scenario, Shape};
    /// # tokio::runtime::Builder::new_multi_thread().enable_time().build().unwrap().block_on(async {
    /// # let shape = Shape::builder().hold(rps(300), ms(300)).build().unwrap();
    /// # let report = Scenario::new("doc").shape(shape).window(ms(100)).lag_budget(secs(1))
    /// #     .run(|_ctx: Ctx| async {}).await.unwrap();
    /// expect(&report).window(0).p99().below(secs(5)).verify();
    /// # });
    /// ```
    pub fn window(mut self, index: u64) -> Self {
        self.scope = Scope::Window(index);
        self
    }

    /// Every later per-window check in this chain (`every_window()`,
    /// `window(i)`) judges only windows with at least `n` samples, until the
    /// next `min_samples`; default [`DEFAULT_MIN_SAMPLES`] (20).
    ///
    /// It does not change the scope. Samples are completed iterations for
    /// latency, service time and error rate, recorded values for a
    /// `ctx.record` duration; counts, rates and ratios need no minimum.
    ///
    /// A thinner window is skipped and listed in the table. When more
    /// windows are skipped than judged, the check is *inconclusive*: it
    /// fails the chain (unless [`Expect::allow_inconclusive`]) with a hint,
    /// since a window's p99 over a handful of samples is just its slowest
    /// call. Prefer longer windows or a higher rate over lowering this.
    ///
    /// ```
    /// # use spike_assert::expect;
    /// # use spike_core::{ms, rps, secs, Ctx, Scenario, Shape};
    /// # tokio::runtime::Builder::new_multi_thread().enable_time().build().unwrap().block_on(async {
    /// // 100 rps in 100 ms windows: 10 samples per window.
    /// let shape = Shape::builder().hold(rps(100), ms(500)).build().unwrap();
    /// let report = Scenario::new("doc").shape(shape).window(ms(100)).lag_budget(secs(1))
    ///     .run(|_ctx: Ctx| async {}).await.unwrap();
    /// let failure = expect(&report).every_window().p99().below(secs(1)).try_verify().unwrap_err();
    /// assert!(failure.to_string().contains("INCONCLUSIVE"));
    /// // Knowingly judging 10-sample windows:
    /// expect(&report).min_samples(10).every_window().p99().below(secs(1)).verify();
    /// # });
    /// ```
    pub fn min_samples(mut self, n: u64) -> Self {
        self.min_samples = n;
        self
    }

    /// Scope method: every later check in this chain looks at the whole run
    /// (`report.total`), until the next scope method; the scope a chain
    /// starts with. The scope column says `run`.
    pub fn run(mut self) -> Self {
        self.scope = Scope::Run;
        self
    }

    /// For the whole chain, wherever it is called: accept a report whose
    /// load was not applied as planned, and checks left inconclusive.
    ///
    /// A report whose load was not applied as planned (iterations dropped,
    /// generator saturated, iterations abandoned, run interrupted) fails as
    /// inconclusive without this call: a generator that could not apply the
    /// load proves nothing about the service. It also accepts per-window checks left inconclusive by too
    /// few samples (see [`Expect::min_samples`]); their rows show `allowed`.
    ///
    /// ```
    /// # use spike_assert::expect;
    /// # use spike_core::{ms, rps, secs, Ctx, Scenario, Shape};
    /// # tokio::runtime::Builder::new_multi_thread().enable_time().build().unwrap().block_on(async {
    /// # let shape = Shape::builder().hold(rps(200), ms(300)).build().unwrap();
    /// // One iteration in flight at a time, each 50 ms: most are dropped.
    /// let report = Scenario::new("doc").shape(shape).window(ms(100)).max_in_flight(1)
    ///     .run(|_ctx: Ctx| async { tokio::time::sleep(ms(50)).await; })
    ///     .await?;
    /// assert!(expect(&report).try_verify().is_err());
    /// expect(&report).allow_inconclusive().verify();
    /// # Ok::<(), spike_core::SpikeError>(())
    /// # }).unwrap();
    /// ```
    pub fn allow_inconclusive(mut self) -> Self {
        self.allow_inconclusive = true;
        self
    }

    /// End the chain: panic, once, with the table of every check unless
    /// all held. The panic (and the message) point at this call.
    ///
    /// When the run was saved (`report.artifacts`, set inside
    /// `#[spike_test]`), the evaluated checks are written into its
    /// `report.json` first.
    ///
    /// # Panics
    /// When a check failed or the report is inconclusive (see
    /// [`Expect::allow_inconclusive`]).
    ///
    /// ```should_panic
    /// # use spike_assert::expect;
    /// # use spike_core::{ms, pct, rps, secs, Ctx, Scenario, Shape};
    /// # tokio::runtime::Builder::new_multi_thread().enable_time().build().unwrap().block_on(async {
    /// # let shape = Shape::builder().hold(rps(100), ms(300)).build().unwrap();
    /// # let report = Scenario::new("doc").shape(shape).window(ms(100)).lag_budget(secs(1))
    /// #     .run(|_ctx: Ctx| async {}).await.unwrap();
    /// expect(&report).throughput().at_least(1_000_000.0).verify(); // panics here
    /// # });
    /// ```
    #[track_caller]
    pub fn verify(self) -> Verified {
        match self.conclude(Location::caller()) {
            Ok(verified) => verified,
            Err(failure) => verdict::fail(&failure),
        }
    }

    /// End the chain without panicking: [`Verified`] when every check held,
    /// else a [`Failure`] carrying the same message `verify()` would panic
    /// with. The checks are recorded in `report.json` either way.
    ///
    /// # Errors
    /// A [`Failure`] when a check failed or the report is inconclusive.
    ///
    /// ```
    /// # use spike_assert::expect;
    /// # use spike_core::{ms, pct, rps, secs, Ctx, Scenario, Shape};
    /// # tokio::runtime::Builder::new_multi_thread().enable_time().build().unwrap().block_on(async {
    /// # let shape = Shape::builder().hold(rps(100), ms(300)).build().unwrap();
    /// # let report = Scenario::new("doc").shape(shape).window(ms(100)).lag_budget(secs(1))
    /// #     .run(|_ctx: Ctx| async {}).await.unwrap();
    /// match expect(&report).error_rate().below(pct(1)).try_verify() {
    ///     Ok(verified) => assert!(verified.checks().iter().all(|c| c.passed)),
    ///     Err(failure) => panic!("{failure}"),
    /// }
    /// # });
    /// ```
    #[track_caller]
    pub fn try_verify(self) -> Result<Verified, Failure> {
        self.conclude(Location::caller())
    }

    fn conclude(self, location: &'static Location<'static>) -> Result<Verified, Failure> {
        verdict::conclude(self.report, self.rows, self.allow_inconclusive, location)
    }
}

/// Expected, actual and verdict of a recovery check.
fn recovery_outcome(report: &Report, limit: Option<Duration>) -> (String, String, bool) {
    let expected = match limit {
        Some(d) => format!(
            "recovered ≤ {} after the spike",
            eval::fmt_us(eval::us_of(d))
        ),
        None => "recovered".to_owned(),
    };
    let Some(r) = &report.recovery else {
        return (
            expected,
            "not measured: the shape has no burst followed by a recover phase".to_owned(),
            false,
        );
    };
    match r.recovery_time {
        Some(t) => (
            expected,
            format!("recovered {} after the spike", eval::fmt_us(eval::us_of(t))),
            limit.is_none_or(|d| t <= d),
        ),
        None => {
            let shown: Vec<String> = r
                .unhealthy_windows
                .iter()
                .take(5)
                .map(|i| format!("#{i}"))
                .collect();
            let more = r.unhealthy_windows.len().saturating_sub(shown.len());
            let mut unhealthy = shown.join(", ");
            if more > 0 {
                unhealthy.push_str(&format!(" and {more} more"));
            }
            (
                expected,
                format!(
                    "did not recover in the {} `{}` phase (unhealthy windows {unhealthy})",
                    eval::fmt_us(eval::us_of(r.recover_end.saturating_sub(r.spike_end))),
                    r.recover_phase,
                ),
                false,
            )
        }
    }
}

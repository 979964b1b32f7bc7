//! The quantity methods of the chain: each returns a half-built check
//! waiting for its comparator, evaluated in the chain's current scope
//! (`recovery()` is run-level and ignores it).

use std::time::Duration;

use spike_core::Quantile;

use crate::chain::Expect;
use crate::measure::{self, Measure, Recorded, RecoveryCheck, ServiceTime, TagShares, Threshold};
use crate::quantity::Quantity;

impl<'r> Expect<'r> {
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
}

//! The scope methods of the chain (`phase(..)`, `every_window()`,
//! `window(..)`, `run()`), each setting the scope of every later check, and
//! the chain-wide settings (`min_samples(..)`, `allow_inconclusive()`).

use crate::chain::Expect;
use crate::scope::Scope;

impl Expect<'_> {
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
    /// [`DEFAULT_MIN_SAMPLES`](crate::DEFAULT_MIN_SAMPLES) samples (see [`Expect::min_samples`]); thinner
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
    /// next `min_samples`; default [`DEFAULT_MIN_SAMPLES`](crate::DEFAULT_MIN_SAMPLES) (20).
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
}

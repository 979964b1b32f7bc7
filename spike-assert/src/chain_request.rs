//! Checks of one named request: [`Expect::request`] starts them, and
//! [`ForRequest`] offers only what one request has numbers for (latency
//! percentiles, error rate, errors by class, count), in the same scopes as
//! the rest of the chain.

use std::time::Duration;

use spike_core::{Percent, Quantile};

use crate::chain::Expect;
use crate::measure::{self, Measure};
use crate::quantity::{Quantity, RequestMetric};
use crate::verdict::{Failure, Verified};

impl<'r> Expect<'r> {
    /// Request scope: every later check looks at the request named `name`
    /// only (an entry of a mix, a step of a sequence, a named HTTP
    /// request), until [`ForRequest::all_requests`] or another
    /// [`ForRequest::request`].
    ///
    /// It composes with the time scope, in either order:
    /// `.request("checkout").phase("burst")` and
    /// `.phase("burst").request("checkout")` both check the `checkout`
    /// requests of phase `burst`, and the scope column says
    /// `request checkout, phase burst` (`request checkout` alone in the run
    /// scope, `request checkout, every window of burst` per window). The
    /// later scope methods (`phase(..)`, `every_window()`, `window(..)`,
    /// `run()`) change the time scope and keep the request.
    ///
    /// A request has its own latency percentiles, error rate, errors by
    /// class and count; the other checks (throughput, recovery, dropped
    /// iterations, service time, ratios, tag shares, recorded metrics, the
    /// regression gate) are about whole iterations or the whole run, and do
    /// not compile in a request scope (see [`ForRequest`]).
    ///
    /// A name the report has no numbers for fails every check of it, with
    /// the names the report has and the closest one
    /// (``no request named `checkot` (did you mean `checkout`?); the
    /// requests are: browse, checkout, search``): a misspelled name never
    /// passes, not even `count().at_most(0)`. A request that did not finish
    /// once in a phase (or the run) fails its latency and error-rate checks
    /// there (``no `checkout` request completed``), as a phase where no
    /// iteration completed does; its count and errors there are a true 0.
    /// Per window, see [`ForRequest::every_window`].
    ///
    /// ```
    /// # use spike_assert::expect;
    /// # use spike_core::{ms, rps, secs, Ctx, Scenario, Shape};
    /// # tokio::runtime::Builder::new_multi_thread().enable_time().build().unwrap().block_on(async {
    /// # let shape = Shape::builder().hold(rps(100), ms(300)).named("baseline")
    /// #     .burst(rps(300), ms(200)).recover(rps(100), ms(500)).build().unwrap();
    /// # let report = Scenario::new("doc").shape(shape).window(ms(100)).lag_budget(secs(1))
    /// #     .run(|_ctx: Ctx| async {}).await.unwrap();
    /// // This workload names no request, so a check of one fails, saying so.
    /// let failure = expect(&report)
    ///     .request("checkout").phase("burst").p95().below(ms(300))
    ///     .try_verify()
    ///     .unwrap_err();
    /// let check = failure.failed().next().unwrap();
    /// assert_eq!(check.scope, "request checkout, phase burst");
    /// assert_eq!(check.actual, "no request named `checkout`; the run recorded no named request");
    /// # });
    /// ```
    pub fn request(self, name: &str) -> ForRequest<'r> {
        ForRequest {
            expect: self,
            name: name.to_owned(),
        }
    }
}

/// A chain of checks on one named request, from [`Expect::request`]: its
/// latency percentiles ([`p50`](ForRequest::p50) to
/// [`max`](ForRequest::max)), [`error_rate`](ForRequest::error_rate),
/// [`errors`](ForRequest::errors) of a class and
/// [`count`](ForRequest::count), in the chain's time scope (run, phase,
/// every window, one window).
///
/// The checks about whole iterations or the whole run are not methods of
/// this type, so asking one of a request does not compile; leave the
/// request scope first with [`ForRequest::all_requests`].
///
/// ```compile_fail
/// # fn f(report: &spike_core::Report) {
/// // Throughput is of whole iterations, not of one request.
/// spike_assert::expect(report).request("checkout").throughput().at_least(10.0).verify();
/// # }
/// ```
///
/// ```compile_fail
/// # fn f(report: &spike_core::Report) {
/// // Recovery is measured once per run.
/// spike_assert::expect(report).request("checkout").recovery().within(spike_core::secs(5));
/// # }
/// ```
///
/// ```compile_fail
/// # fn f(report: &spike_core::Report) {
/// // Dropped iterations were never started: they made no request.
/// spike_assert::expect(report).request("checkout").dropped().at_most(0);
/// # }
/// ```
///
/// ```
/// # fn f(report: &spike_core::Report) {
/// // What a request has: its percentiles, error rate, errors, count.
/// use spike_core::{ms, pct};
/// spike_assert::expect(report)
///     .request("checkout").phase("burst")
///     .p95().below(ms(300))
///     .error_rate().below(pct(1))
///     .errors("timeout").at_most(0)
///     .count().at_least(100)
///     .all_requests()
///     .throughput().at_least(10.0)
///     .verify();
/// # }
/// ```
#[must_use = "checks decide nothing until `.verify()` or `.try_verify()`"]
#[derive(Debug)]
pub struct ForRequest<'r> {
    pub(crate) expect: Expect<'r>,
    name: String,
}

impl<'r> ForRequest<'r> {
    fn measure<T: measure::Threshold>(self, metric: RequestMetric) -> Measure<'r, T, Self> {
        let quantity = Quantity::Request(self.name.clone(), metric);
        Measure::new(self, quantity)
    }

    fn percentile(self, q: Quantile) -> Measure<'r, Duration, Self> {
        self.measure(RequestMetric::Latency(q))
    }

    /// Switch to another named request; the time scope stays.
    pub fn request(mut self, name: &str) -> Self {
        name.clone_into(&mut self.name);
        self
    }

    /// Leave the request scope: later checks look at whole iterations again
    /// (every request of them), in the time scope in force.
    pub fn all_requests(self) -> Expect<'r> {
        self.expect
    }

    /// Time scope: later checks look at this request in phase `name`
    /// (see [`Expect::phase`]); the scope column says
    /// `request checkout, phase burst`.
    pub fn phase(mut self, name: &str) -> Self {
        self.expect = self.expect.phase(name);
        self
    }

    /// Time scope: later checks of this request must hold in each window
    /// of the current phase (of the run when no phase is in force); see
    /// [`Expect::every_window`]. The scope column says
    /// `request checkout, every window of burst`.
    ///
    /// Percentiles and error rates are judged in windows with at least
    /// [`ForRequest::min_samples`] finished requests. A window where
    /// iterations completed but none made this request (a rare entry of a
    /// mix) is thin like one with too few, skipped and listed; a window
    /// where iterations were due and none completed fails, as for whole
    /// iterations.
    pub fn every_window(mut self) -> Self {
        self.expect = self.expect.every_window();
        self
    }

    /// Time scope: later checks look at this request in window number
    /// `index` only (see [`Expect::window`]); the scope column says
    /// `request checkout, window #4`.
    pub fn window(mut self, index: u64) -> Self {
        self.expect = self.expect.window(index);
        self
    }

    /// Time scope: later checks look at this request over the whole run;
    /// the scope column says `request checkout`.
    pub fn run(mut self) -> Self {
        self.expect = self.expect.run();
        self
    }

    /// Fewest finished requests a window needs before a per-window check
    /// judges it; see [`Expect::min_samples`].
    pub fn min_samples(mut self, n: u64) -> Self {
        self.expect = self.expect.min_samples(n);
        self
    }

    /// For the whole chain: accept an inconclusive report and checks left
    /// inconclusive; see [`Expect::allow_inconclusive`].
    pub fn allow_inconclusive(mut self) -> Self {
        self.expect = self.expect.allow_inconclusive();
        self
    }

    /// This request's errors / its finished requests in the current time
    /// scope, as a [`Percent`]. Fails with ``no `checkout` request
    /// completed`` when it never finished there.
    pub fn error_rate(self) -> Measure<'r, Percent, Self> {
        self.measure(RequestMetric::ErrorRate)
    }

    measure::percentiles! {
        returns Measure<'r, Duration, Self>;
        /// Median latency of this request in the current time scope. A
        /// request's latency runs from the iteration's intended start for
        /// the first request of an iteration (corrected for coordinated
        /// omission, as the iteration's own latency) and from its own start
        /// for the later requests of a sequence.
        p50 => P50,
        /// 90th percentile latency of this request (see [`ForRequest::p50`]).
        p90 => P90,
        /// 95th percentile latency of this request (see [`ForRequest::p50`]).
        p95 => P95,
        /// 99th percentile latency of this request (see [`ForRequest::p50`]).
        p99 => P99,
        /// 99.9th percentile latency of this request (see [`ForRequest::p50`]).
        p999 => P999,
        /// Longest latency of this request (see [`ForRequest::p50`]).
        max => Max,
    }

    /// This request's errors of one class key (`connect`, `timeout`,
    /// `http_5xx`, ...) in the current time scope (see [`Expect::errors`]).
    /// A count of 0 while the request had errors of other classes names
    /// them, in case the key is misspelled.
    pub fn errors(self, class: &str) -> Measure<'r, u64, Self> {
        self.measure(RequestMetric::Errors(class.to_owned()))
    }

    /// Times this request finished (success or error) in the current time
    /// scope: `.count().at_least(100)` proves a mix sent it enough for its
    /// percentiles to mean something.
    pub fn count(self) -> Measure<'r, u64, Self> {
        self.measure(RequestMetric::Count)
    }

    /// End the chain: panic with the table unless every check held; see
    /// [`Expect::verify`].
    ///
    /// # Panics
    /// When a check failed or the report is inconclusive.
    #[track_caller]
    pub fn verify(self) -> Verified {
        self.expect.verify()
    }

    /// End the chain without panicking; see [`Expect::try_verify`].
    ///
    /// # Errors
    /// A [`Failure`] when a check failed or the report is inconclusive.
    #[track_caller]
    pub fn try_verify(self) -> Result<Verified, Failure> {
        self.expect.try_verify()
    }
}

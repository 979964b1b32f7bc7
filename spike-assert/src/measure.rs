//! The half-built checks a chain passes through: a metric waiting for its
//! comparator.

use std::marker::PhantomData;
use std::time::Duration;

use spike_core::{Percent, Quantile};

use crate::chain::Expect;
use crate::chain_request::ForRequest;
use crate::cmp::Cmp;
use crate::quantity::Quantity;
use crate::units::us_of;

mod sealed {
    /// Keeps [`super::Threshold`] to the types spike knows how to show.
    #[allow(unreachable_pub)]
    pub trait Sealed {
        /// The value in the unit checks compare in (µs, fraction, count, /s).
        fn value(self) -> f64;
    }

    /// Keeps [`super::Chain`] to spike's own chains.
    #[allow(unreachable_pub)]
    pub trait SealedChain<'r> {
        /// The chain of checks underneath, where a check is recorded.
        fn expect_mut(&mut self) -> &mut crate::chain::Expect<'r>;
    }
}

/// A chain a [`Measure`]'s comparator hands back: [`Expect`] (checks of
/// whole iterations) or [`ForRequest`] (checks of one named request).
/// Sealed: it decides which quantities come next, so a check that makes no
/// sense for one request (throughput, recovery, dropped iterations) does
/// not compile after `request(..)`.
pub trait Chain<'r>: sealed::SealedChain<'r> {}

impl<'r> sealed::SealedChain<'r> for Expect<'r> {
    fn expect_mut(&mut self) -> &mut Expect<'r> {
        self
    }
}
impl<'r> Chain<'r> for Expect<'r> {}

impl<'r> sealed::SealedChain<'r> for ForRequest<'r> {
    fn expect_mut(&mut self) -> &mut Expect<'r> {
        &mut self.expect
    }
}
impl<'r> Chain<'r> for ForRequest<'r> {}

/// A threshold a [`Measure`] compares against: [`Percent`] for rates and
/// shares, [`Duration`] for latencies, `f64` for throughput (iterations/s),
/// `u64` for counts. Sealed: the unit decides how the table shows values.
pub trait Threshold: sealed::Sealed + Copy {}

impl sealed::Sealed for Percent {
    fn value(self) -> f64 {
        self.fraction()
    }
}
impl Threshold for Percent {}

impl sealed::Sealed for Duration {
    fn value(self) -> f64 {
        us_of(self)
    }
}
impl Threshold for Duration {}

impl sealed::Sealed for f64 {
    fn value(self) -> f64 {
        self
    }
}
impl Threshold for f64 {}

impl sealed::Sealed for u64 {
    fn value(self) -> f64 {
        self as f64
    }
}
impl Threshold for u64 {}

/// One quantity in the chain's current scope, waiting for a comparator;
/// each comparator returns the chain it came from (`C`: [`Expect`], or
/// [`ForRequest`] after `request(..)`). `T` is the threshold type
/// ([`Threshold`]).
///
/// Each comparator has one meaning, and the table's "expected" column shows
/// it as an operator:
///
/// | comparator | passes when | expected column |
/// | --- | --- | --- |
/// | `below(t)` | `value < t` | `< t` |
/// | `at_most(t)` | `value ≤ t` | `≤ t` |
/// | `above(t)` | `value > t` | `> t` |
/// | `at_least(t)` | `value ≥ t` | `≥ t` |
/// | `between(lo, hi)` | `lo ≤ value ≤ hi` | `≥ lo and ≤ hi` |
///
/// `within(d)` is for a time to an event: [`RecoveryCheck::within`].
///
/// ```
/// # use spike_assert::expect;
/// # use spike_core::{ms, pct, rps, secs, Ctx, Scenario, Shape};
/// # tokio::runtime::Builder::new_multi_thread().enable_time().build().unwrap().block_on(async {
/// # let shape = Shape::builder().hold(rps(100), ms(300)).build().unwrap();
/// # let report = Scenario::new("doc").shape(shape).window(ms(100)).lag_budget(secs(1))
/// #     .run(|_ctx: Ctx| async {}).await.unwrap();
/// expect(&report)
///     .error_rate().below(pct(1))          // < 1.00%
///     .p99().at_most(secs(5))              // ≤ 5s
///     .throughput().above(10.0)            // > 10/s
///     .dropped().at_least(0)               // ≥ 0
///     .p50().between(ms(0), secs(5))       // ≥ 0s and ≤ 5s
///     .verify();
/// # });
/// ```
#[must_use = "a metric without a comparator checks nothing"]
#[derive(Debug)]
pub struct Measure<'r, T, C = Expect<'r>> {
    chain: C,
    quantity: Quantity,
    unit: PhantomData<(&'r (), T)>,
}

impl<'r, T: Threshold, C: Chain<'r>> Measure<'r, T, C> {
    pub(crate) fn new(chain: C, quantity: Quantity) -> Self {
        Measure {
            chain,
            quantity,
            unit: PhantomData,
        }
    }

    fn check(self, cmp: Cmp) -> C {
        let mut chain = self.chain;
        chain.expect_mut().record(&self.quantity, cmp, "");
        chain
    }

    /// Passes when `value < limit` (strictly below; shown `< limit`).
    ///
    /// A value equal to `limit` fails; use [`Measure::at_most`] to accept it.
    pub fn below(self, limit: T) -> C {
        self.check(Cmp::Below(limit.value()))
    }

    /// Passes when `value ≤ limit` (at or below; shown `≤ limit`).
    pub fn at_most(self, limit: T) -> C {
        self.check(Cmp::AtMost(limit.value()))
    }

    /// Passes when `value > limit` (strictly above; shown `> limit`).
    ///
    /// A value equal to `limit` fails; use [`Measure::at_least`] to accept it.
    pub fn above(self, limit: T) -> C {
        self.check(Cmp::Above(limit.value()))
    }

    /// Passes when `value ≥ limit` (at or above; shown `≥ limit`).
    pub fn at_least(self, limit: T) -> C {
        self.check(Cmp::AtLeast(limit.value()))
    }

    /// Passes when `low ≤ value ≤ high`, both ends included (shown
    /// `≥ low and ≤ high`).
    ///
    /// A `low` above `high` (or a NaN bound) fails the check as an invalid
    /// expectation.
    pub fn between(self, low: T, high: T) -> C {
        self.check(Cmp::Between(low.value(), high.value()))
    }
}

impl<'r, C: Chain<'r>> Measure<'r, Duration, C> {
    /// Deprecated alias of [`Measure::at_most`]: passes when
    /// `value ≤ limit`, shown `≤ limit`.
    ///
    /// `within` is kept for a time to an event, [`RecoveryCheck::within`];
    /// a latency percentile has one comparator per meaning (`below` for
    /// `<`, `at_most` for `≤`). This alias tests exactly what it always did.
    #[deprecated(
        since = "0.1.0",
        note = "use `at_most` (value ≤ limit) or `below` (value < limit); `within` is for `recovery()`"
    )]
    pub fn within(self, limit: Duration) -> C {
        self.check(Cmp::AtMost(us_of(limit)))
    }
}

/// Service time (completion − actual start, without the time an iteration
/// waited for its turn) in the chain's current scope, waiting for a
/// percentile. From
/// [`Expect::service_time`].
///
/// ```
/// # use spike_assert::expect;
/// # use spike_core::{ms, rps, secs, Ctx, Scenario, Shape};
/// # tokio::runtime::Builder::new_multi_thread().enable_time().build().unwrap().block_on(async {
/// # let shape = Shape::builder().hold(rps(100), ms(300)).build().unwrap();
/// # let report = Scenario::new("doc").shape(shape).window(ms(100)).lag_budget(secs(1))
/// #     .run(|_ctx: Ctx| async {}).await.unwrap();
/// expect(&report).service_time().p99().below(secs(5)).verify();
/// # });
/// ```
#[must_use = "service time without a percentile checks nothing"]
#[derive(Debug)]
pub struct ServiceTime<'r> {
    expect: Expect<'r>,
}

macro_rules! percentiles {
    (returns $ret:ty; $($(#[$doc:meta])* $name:ident => $q:ident,)*) => {
        $(
            $(#[$doc])*
            pub fn $name(self) -> $ret {
                self.percentile(Quantile::$q)
            }
        )*
    };
    ($($(#[$doc:meta])* $name:ident => $q:ident,)*) => {
        $crate::measure::percentiles! {
            returns Measure<'r, Duration>;
            $($(#[$doc])* $name => $q,)*
        }
    };
}
pub(crate) use percentiles;

/// Percentiles of a duration the workload recorded with
/// `ctx.record(name, ..)`, in the chain's current scope:
/// `.metric("pool_wait").p95().below(ms(50))`.
/// Returned by [`Expect::metric`](crate::Expect::metric).
#[must_use = "pick a percentile, then a comparator"]
#[derive(Debug)]
pub struct Recorded<'r> {
    expect: Expect<'r>,
    name: String,
}

impl<'r> Recorded<'r> {
    pub(crate) fn new(expect: Expect<'r>, name: String) -> Self {
        Recorded { expect, name }
    }

    fn percentile(self, q: Quantile) -> Measure<'r, Duration> {
        Measure::new(self.expect, Quantity::Recorded(self.name, q))
    }

    percentiles! {
        /// Median of the recorded durations.
        p50 => P50,
        /// 90th percentile of the recorded durations.
        p90 => P90,
        /// 95th percentile of the recorded durations.
        p95 => P95,
        /// 99th percentile of the recorded durations.
        p99 => P99,
        /// 99.9th percentile of the recorded durations.
        p999 => P999,
        /// Longest recorded duration.
        max => Max,
    }
}

impl<'r> ServiceTime<'r> {
    pub(crate) fn new(expect: Expect<'r>) -> Self {
        ServiceTime { expect }
    }

    fn percentile(self, q: Quantile) -> Measure<'r, Duration> {
        Measure::new(self.expect, Quantity::ServiceTime(q))
    }

    percentiles! {
        /// Median service time.
        p50 => P50,
        /// 90th percentile service time.
        p90 => P90,
        /// 95th percentile service time.
        p95 => P95,
        /// 99th percentile service time.
        p99 => P99,
        /// 99.9th percentile service time.
        p999 => P999,
        /// Longest service time.
        max => Max,
    }
}

/// The share of each value of a tag key among the iterations that carried
/// it, in the chain's current scope, waiting for a range every value must
/// lie in. From
/// [`Expect::tag_share`].
///
/// ```
/// # use spike_assert::expect;
/// # use spike_core::{ms, pct, rps, secs, Ctx, Outcome, Scenario, Shape};
/// # tokio::runtime::Builder::new_multi_thread().enable_time().build().unwrap().block_on(async {
/// # let shape = Shape::builder().hold(rps(100), ms(300)).build().unwrap();
/// let report = Scenario::new("doc").shape(shape).window(ms(100))
/// #   .lag_budget(secs(1))
///     .run(|ctx: Ctx| async move {
///         let backend = ["a", "b"][(ctx.iteration() % 2) as usize];
///         Outcome::ok().tag("x-backend", backend)
///     })
///     .await?;
/// expect(&report).tag_share("x-backend").each_between(pct(45), pct(55)).verify();
/// # Ok::<(), spike_core::SpikeError>(())
/// # }).unwrap();
/// ```
#[must_use = "a tag share without a range checks nothing"]
#[derive(Debug)]
pub struct TagShares<'r> {
    expect: Expect<'r>,
    key: String,
}

impl<'r> TagShares<'r> {
    pub(crate) fn new(expect: Expect<'r>, key: &str) -> Self {
        TagShares {
            expect,
            key: key.to_owned(),
        }
    }

    fn check(self, cmp: Cmp) -> Expect<'r> {
        self.expect
            .push(&Quantity::TagShare(self.key), cmp, "each ")
    }

    /// Passes when every value's share is in `low ≤ share ≤ high`, both
    /// ends included (shown `each ≥ low and ≤ high`).
    pub fn each_between(self, low: Percent, high: Percent) -> Expect<'r> {
        self.check(Cmp::Between(low.fraction(), high.fraction()))
    }

    /// Passes when every value's share is `≥ low` (shown `each ≥ low`).
    pub fn each_at_least(self, low: Percent) -> Expect<'r> {
        self.check(Cmp::AtLeast(low.fraction()))
    }

    /// Passes when every value's share is `≤ high` (shown `each ≤ high`).
    pub fn each_at_most(self, high: Percent) -> Expect<'r> {
        self.check(Cmp::AtMost(high.fraction()))
    }
}

/// A run-level check, whatever the chain's scope: recovery after the spike,
/// waiting for its expectation. From [`Expect::recovery`].
///
/// Recovery is a property of the whole run (from the end of the spike to
/// the first sustained healthy windows). Its row's scope column says `run`,
/// or `run (ignores phase burst)` when the chain had another scope; that
/// scope stays in force for the checks after it.
///
/// ```
/// # use spike_assert::expect;
/// # use spike_core::{ms, rps, secs, Ctx, Scenario, Shape};
/// # tokio::runtime::Builder::new_multi_thread().enable_time().build().unwrap().block_on(async {
/// let shape = Shape::builder()
///     .hold(rps(100), ms(300)).named("baseline")
///     .burst(rps(300), ms(200))
///     .recover(rps(100), ms(500))
///     .build()?;
/// let report = Scenario::new("doc").shape(shape).window(ms(100))
/// #   .lag_budget(secs(1))
/// #   .recovery_criteria(spike_core::RecoveryCriteria { slack: secs(1), ..Default::default() })
///     .run(|_ctx: Ctx| async {}).await?;
/// expect(&report).recovery().within(ms(500)).verify();
/// # Ok::<(), spike_core::SpikeError>(())
/// # }).unwrap();
/// ```
#[must_use = "recovery without an expectation checks nothing"]
#[derive(Debug)]
pub struct RecoveryCheck<'r> {
    expect: Expect<'r>,
}

impl<'r> RecoveryCheck<'r> {
    pub(crate) fn new(expect: Expect<'r>) -> Self {
        RecoveryCheck { expect }
    }

    /// Passes when the service recovered and its recovery time (end of the
    /// spike to recovery) is `≤ limit` (shown `recovered ≤ limit after the
    /// spike`).
    ///
    /// This is the one `within` of the chain: a time to an event, limit
    /// included.
    pub fn within(self, limit: Duration) -> Expect<'r> {
        self.expect.push_recovery(Some(limit))
    }

    /// Passes when the service recovered at all inside the recover phase
    /// (shown `recovered`).
    pub fn recovered(self) -> Expect<'r> {
        self.expect.push_recovery(None)
    }
}

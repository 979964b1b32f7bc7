//! The ends of the chain: [`Expect::verify`] panics with the table unless
//! every check held, [`Expect::try_verify`] returns it.

use std::panic::Location;

use crate::chain::Expect;
use crate::verdict::{self, Failure, Verified};

impl Expect<'_> {
    /// End the chain: panic, once, with the table of every check unless
    /// all held. The panic (and the message) point at this call.
    ///
    /// First the evaluated checks are handed, in memory, to the sinks
    /// installed around the task: inside `#[spike_test]` the test keeps
    /// them with the report and writes them into its `report.json` and
    /// `report.html` after the body.
    ///
    /// On a shard's report ([`Report::shard`](spike_core::Report::shard)
    /// set) it never panics: the checks are recorded all the same, but the
    /// verdict belongs to the merged report, so a failure only writes a
    /// notice to the raw stderr handle (`shard 1/4 of <test>: 2 of 5 checks
    /// failed on this shard's share; the merged report decides`) and
    /// returns a [`Verified`] whose checks say which failed.
    ///
    /// # Panics
    /// When a check failed or the report is inconclusive (see
    /// [`Expect::allow_inconclusive`]), except on a shard's report.
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
        let shard = self.report.shard;
        let scenario = self.report.scenario.clone();
        match (self.conclude(Location::caller()), shard) {
            (Ok(verified), _) => verified,
            (Err(failure), Some(shard)) => {
                let failed = failure.failed().count();
                let total = failure.checks().len();
                let test =
                    spike_core::TestContext::current().map_or(scenario, |t| t.name().to_owned());
                spike_core::notice::notice(&format!(
                    "shard {}/{} of {test}: {failed} of {total} checks failed on this shard's \
                     share; the merged report decides",
                    shard.index, shard.count
                ));
                failure.into_recorded()
            }
            (Err(failure), None) => verdict::fail(&failure),
        }
    }

    /// End the chain without panicking: [`Verified`] when every check held,
    /// else a [`Failure`] carrying the same message `verify()` would panic
    /// with. The checks are handed to the installed sinks either way (see
    /// [`Expect::verify`]).
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

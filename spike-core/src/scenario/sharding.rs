//! A scenario as one shard of a schedule split over several generators
//! (see [`crate::shard`]): which shard, and the agreed start instant.

use std::time::SystemTime;

use super::Scenario;
use crate::engine::RunConfig;
use crate::error::SpikeError;
use crate::shard::{start_at_from_env, Shard};

impl Scenario {
    /// Run only `shard`'s part of the schedule (see [`crate::shard`]): in
    /// the open model the iterations `k ≡ index (mod count)` of the global
    /// schedule, at their global instants; in the closed model the users
    /// `u ≡ index (mod count)` of each level. The report keeps the global
    /// shape, counts only this shard's iterations, and sets
    /// [`Report::shard`](crate::Report::shard); each `Stats::target` is the
    /// shard's share. Inside `#[spike_test]`, `SPIKE_SHARD` (or
    /// `SPIKE_SHARD_COUNT` with `JOB_COMPLETION_INDEX`) replaces it when set.
    ///
    /// ```
    /// use spike_core::shard::Shard;
    /// use spike_core::{ms, rps, Ctx, Scenario, Shape};
    /// # tokio::runtime::Builder::new_multi_thread().enable_time().build().unwrap().block_on(async {
    /// let shape = Shape::builder().hold(rps(1_000), ms(200)).build()?;
    /// let report = Scenario::new("shard-doc")
    ///     .shape(shape)
    ///     .shard(Shard::new(1, 4)?)
    ///     .run(|_ctx: Ctx| async {})
    ///     .await?;
    /// // 200 iterations planned in all; this shard runs k = 1, 5, 9, .., 197.
    /// assert_eq!(report.total.completed, 50);
    /// assert_eq!(report.shard.map(|s| (s.index, s.count)), Some((1, 4)));
    /// # Ok::<(), spike_core::SpikeError>(())
    /// # }).unwrap();
    /// ```
    pub fn shard(mut self, shard: Shard) -> Self {
        self.shard = Some(shard);
        self
    }

    /// Start the schedule at this wall-clock instant, agreed in advance by
    /// every shard of a run (see [`crate::shard`]): the run waits for it
    /// (sleeping, then spinning for the last 200 µs), starts, and records in
    /// [`ShardInfo::start_offset_us`](crate::ShardInfo::start_offset_us)
    /// how far from it it actually started (positive: late). An instant in
    /// the past starts at once, and the offset says how late. An instant
    /// more than [`MAX_START_DISTANCE`](crate::shard::MAX_START_DISTANCE)
    /// (24 h) from now is refused with [`SpikeError::BadShard`] before any
    /// traffic. Inside `#[spike_test]`, `SPIKE_START_AT` replaces it when
    /// set. The offset is kept in the report of a sharded run only. The
    /// wait counts toward a `#[spike_test]`'s timeout, and an interrupt
    /// during it (the timeout, [`Scenario::max_wall_time`]) ends the run
    /// before it sends anything.
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use spike_core::shard::Shard;
    /// use spike_core::{ms, rps, Ctx, Scenario, Shape};
    /// # tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
    /// let at = SystemTime::now() + Duration::from_millis(50);
    /// let report = Scenario::new("start-doc")
    ///     .shape(Shape::builder().hold(rps(100), ms(100)).build()?)
    ///     .shard(Shard::new(0, 2)?)
    ///     .start_at(at)
    ///     .run(|_ctx: Ctx| async {})
    ///     .await?;
    /// let info = report.shard.unwrap();
    /// assert!(info.start_at_unix_us.is_some());
    /// println!("started {} µs after the agreed start", info.start_offset_us);
    /// # Ok::<(), spike_core::SpikeError>(())
    /// # }).unwrap();
    /// ```
    pub fn start_at(mut self, at: SystemTime) -> Self {
        self.start_at = Some(at);
        self
    }

    /// Read the shard (`SPIKE_SHARD`, else `SPIKE_SHARD_COUNT` with
    /// `JOB_COMPLETION_INDEX`: [`Shard::from_env`]) and the start instant
    /// (`SPIKE_START_AT`: [`start_at_from_env`]); each, when set, replaces
    /// what the builder said. Once: calling it again changes nothing.
    /// `#[spike_test]` calls it for every run, as it applies `SPIKE_SCALE`.
    ///
    /// # Errors
    /// [`SpikeError::BadShard`] for a value that is not a shard or a start
    /// instant, or shard variables that disagree.
    pub fn shard_from_env(mut self) -> Result<Self, SpikeError> {
        if self.env_sharded {
            return Ok(self);
        }
        self.env_sharded = true;
        if let Some(shard) = Shard::from_env()? {
            self.shard = Some(shard);
        }
        if let Some(at) = start_at_from_env()? {
            self.start_at = Some(at);
        }
        Ok(self)
    }
}

/// One shard of several without a start instant: its schedule cannot be
/// aligned with the others', so say so before it runs.
pub(super) fn notice_unaligned(cfg: &RunConfig) {
    if let (Some(shard), None) = (cfg.shard, cfg.start_at) {
        if shard.count() > 1 {
            crate::notice::notice(&format!(
                "spike: shard {shard} of `{}` runs without an agreed start instant \
                 (SPIKE_START_AT): it starts now, so its schedule cannot be aligned with the \
                 other shards' and the merge will call the set inconclusive",
                cfg.scenario
            ));
        }
    }
}

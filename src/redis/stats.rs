//! The views of a report: the cache numbers ([`CacheStats`]) and the
//! hit-rate recovery ([`hit_rate_recovery`]).

use std::time::Duration;

use spike_core::Report;

use super::{counters, metrics};
use spike_core::MetricStats;

/// What the cache-aside workloads of a run measured, read from its report
/// ([`CacheStats::of`]): a view over the counters and durations they
/// recorded through `Ctx`.
#[derive(Debug, Clone, PartialEq)]
pub struct CacheStats {
    /// The Redis `GET` of each lookup (`redis.lookup`), per phase and
    /// window.
    pub lookup: MetricStats,
    /// Loading a missed value from the origin (`redis.load`), per phase and
    /// window.
    pub load: MetricStats,
    /// Lookups (`cache_lookup`).
    pub lookups: u64,
    /// Hits (`cache_hit`).
    pub hits: u64,
    /// Misses (`cache_miss`).
    pub misses: u64,
    /// Values written back (`cache_set`).
    pub sets: u64,
    /// Misses on keys this cache had set, expired or evicted (`eviction`).
    pub evictions: u64,
}

impl CacheStats {
    /// The cache numbers of `report` (whole run; per phase and window for
    /// the durations).
    ///
    /// ```
    /// use spike::prelude::*;
    /// use spike::redis::{counters, metrics, CacheStats};
    ///
    /// # tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
    /// // What the workload records, without a server: every 4th lookup misses.
    /// let shape = Shape::builder().hold(rps(100), ms(200)).build()?;
    /// let report = Scenario::new("cache-view").shape(shape)
    ///     .run(|ctx: Ctx| async move {
    ///         ctx.count(counters::LOOKUP, 1);
    ///         ctx.record(metrics::LOOKUP, ms(1));
    ///         let hit = ctx.iteration() % 4 != 0;
    ///         ctx.count(if hit { counters::HIT } else { counters::MISS }, 1);
    ///     })
    ///     .await?;
    /// let stats = CacheStats::of(&report);
    /// assert_eq!((stats.lookups, stats.hits, stats.misses), (20, 15, 5));
    /// assert_eq!(stats.hit_rate(), Some(0.75));
    /// assert_eq!(stats.lookup.total.count, 20);
    /// # Ok::<(), SpikeError>(())
    /// # }).unwrap();
    /// ```
    #[must_use]
    pub fn of(report: &Report) -> Self {
        let total = &report.total;
        CacheStats {
            lookup: MetricStats::of(report, metrics::LOOKUP),
            load: MetricStats::of(report, metrics::LOAD),
            lookups: total.counter(counters::LOOKUP),
            hits: total.counter(counters::HIT),
            misses: total.counter(counters::MISS),
            sets: total.counter(counters::SET),
            evictions: total.counter(counters::EVICTION),
        }
    }

    /// `hits / lookups`, `None` before the first lookup.
    #[must_use]
    pub fn hit_rate(&self) -> Option<f64> {
        (self.lookups > 0).then(|| self.hits as f64 / self.lookups as f64)
    }
}

/// The hit-rate recovery of a run: from the spike end (start of the recover
/// phase) to the start of the first run of `sustain` windows whose
/// `cache_hit / cache_lookup` is above `threshold` and that no later window
/// breaks ([`spike_core::recovery_time_by`] on the ratio). Also returns the
/// indexes of the recover-phase windows below the threshold. `None` when
/// the shape has no burst followed by a recover phase.
///
/// ```
/// use spike::prelude::*;
/// use spike::redis::{counters, hit_rate_recovery};
///
/// # tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
/// // A stand-in for a cache that misses for 300 ms after the spike.
/// let shape = Shape::builder().hold(rps(100), ms(500)).burst(rps(200), ms(200))
///     .recover(rps(100), ms(1_000)).build()?;
/// let report = Scenario::new("hit-rate").shape(shape).window(ms(100))
///     .run(|ctx: Ctx| async move {
///         ctx.count(counters::LOOKUP, 1);
///         let cold = ctx.intended_start() >= ms(500) && ctx.intended_start() < ms(1_000);
///         ctx.count(if cold { counters::MISS } else { counters::HIT }, 1);
///     })
///     .await?;
/// let (time, cold_windows) = hit_rate_recovery(&report, 0.9, 3).unwrap();
/// assert_eq!(time, Some(ms(300)));
/// assert_eq!(cold_windows, vec![7, 8, 9]);
/// # Ok::<(), SpikeError>(())
/// # }).unwrap();
/// ```
#[must_use]
pub fn hit_rate_recovery(
    report: &spike_core::Report,
    threshold: f64,
    sustain: u32,
) -> Option<(Option<Duration>, Vec<u64>)> {
    let recovery = report.recovery.as_ref()?;
    Some(spike_core::recovery_time_by(
        &report.windows,
        recovery.spike_end,
        recovery.recover_end,
        sustain,
        |w| {
            w.stats
                .ratio(counters::HIT, counters::LOOKUP)
                .is_some_and(|r| r > threshold)
        },
    ))
}

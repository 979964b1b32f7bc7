//! The view of a report that [`PgStats`] gives.

use spike_core::Report;

use super::{counters, metrics};
use spike_core::MetricStats;

/// What the Postgres workloads of a run measured, read from its report
/// ([`PgStats::of`]): a view over the counters, gauges and durations they
/// recorded through `Ctx`.
#[derive(Debug, Clone, PartialEq)]
pub struct PgStats {
    /// Iteration start → connection in hand, or the pool gave up
    /// (`pg.pool_wait`), per phase and window.
    pub pool_wait: MetricStats,
    /// Connection in hand → the closure returned (`pg.query`), per phase
    /// and window.
    pub query: MetricStats,
    /// Connections handed out (`pg_acquired`).
    pub acquired: u64,
    /// Iterations that got no connection within the wait timeout
    /// (`pg_pool_timeout`).
    pub pool_timeouts: u64,
    /// Most iterations seen waiting for a connection at once (the largest
    /// value of the `pg_pool_waiting` gauge).
    pub peak_waiting: u64,
}

impl PgStats {
    /// The Postgres numbers of `report` (whole run; per phase and window
    /// for the durations).
    ///
    /// ```
    /// use spike::prelude::*;
    /// use spike::postgres::{counters, metrics, PgStats};
    ///
    /// # tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
    /// // What the workload records, without a database.
    /// let shape = Shape::builder().hold(rps(50), ms(200)).build()?;
    /// let report = Scenario::new("pg-view").shape(shape)
    ///     .run(|ctx: Ctx| async move {
    ///         ctx.count(counters::ACQUIRED, 1);
    ///         ctx.record(metrics::POOL_WAIT, ms(4));
    ///     })
    ///     .await?;
    /// let stats = PgStats::of(&report);
    /// assert_eq!(stats.acquired, 10);
    /// assert_eq!(stats.pool_wait.total.count, 10);
    /// assert_eq!(stats.query.total.count, 0);
    /// # Ok::<(), SpikeError>(())
    /// # }).unwrap();
    /// ```
    #[must_use]
    pub fn of(report: &Report) -> Self {
        let total = &report.total;
        PgStats {
            pool_wait: MetricStats::of(report, metrics::POOL_WAIT),
            query: MetricStats::of(report, metrics::QUERY),
            acquired: total.counter(counters::ACQUIRED),
            pool_timeouts: total.counter(counters::POOL_TIMEOUT),
            peak_waiting: total.gauge_peak(counters::POOL_WAITING),
        }
    }
}

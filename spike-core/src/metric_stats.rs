//! Durations a driver records, read back from the report.
//!
//! The engine's histograms measure whole iterations. A driver often knows
//! more: *where* the time of an iteration went (the WebSocket handshake,
//! the Postgres pool wait, the Redis lookup). It records that part with
//! `ctx.record(name, duration)` like any workload, so the report keeps it
//! per window, phase and run in `Stats::metrics`, on the scenario's window
//! and with the engine's precision (2 significant digits). A driver keeps no
//! histogram, counter or window of its own.
//!
//! [`MetricStats::of`] reads one such metric back from a [`Report`] as plain
//! numbers for the whole run, per phase and per window; the drivers' stats
//! types (`WsStats`, `PgStats`, `CacheStats` in the `spike` facade) are made
//! of these.
//!
//! ```
//! use spike_core::{ms, rps, Ctx, MetricStats, Scenario, Shape};
//!
//! # tokio::runtime::Builder::new_multi_thread().enable_time().build().unwrap().block_on(async {
//! let shape = Shape::builder().hold(rps(100), ms(300)).build()?;
//! let report = Scenario::new("side-metric")
//!     .shape(shape)
//!     .window(ms(100))
//!     .run(|ctx: Ctx| async move { ctx.record("demo.wait", ms(2)) })
//!     .await?;
//! let wait = MetricStats::of(&report, "demo.wait");
//! assert_eq!(wait.total.count, 30);
//! assert_eq!(wait.phase("hold").unwrap().count, 30);
//! assert_eq!(wait.windows.len(), 3);
//! assert!(wait.windows.iter().all(|w| w.latency.count == 10));
//! # Ok::<(), spike_core::SpikeError>(())
//! # }).unwrap();
//! ```

use std::collections::BTreeMap;
use std::time::Duration;

use crate::recording::histogram::Percentiles;
use crate::report::Report;

/// One window of a [`MetricStats`]: a window of the report in which the
/// metric was recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricWindowStats {
    /// Window number from the run start (the report's window index).
    pub index: u64,
    /// Window start offset.
    pub start: Duration,
    /// Window end offset.
    pub end: Duration,
    /// Phase active at the window start.
    pub phase: String,
    /// The values recorded by the iterations whose intended start lies in
    /// the window.
    pub latency: Percentiles,
}

/// One duration metric recorded with `ctx.record(name, ..)`, read from a
/// report: whole run, per phase, per window.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricStats {
    /// Metric name (`ws.handshake`, `pg.pool_wait`, ...).
    pub name: String,
    /// Whole run (all zeros when nothing was recorded).
    pub total: Percentiles,
    /// Per phase name, for the phases in which something was recorded.
    pub phases: BTreeMap<String, Percentiles>,
    /// Per window in which something was recorded, in order.
    pub windows: Vec<MetricWindowStats>,
}

impl MetricStats {
    /// The metric `name` as `report` keeps it (`report.total`, each phase's
    /// and each window's `Stats::metrics`).
    #[must_use]
    pub fn of(report: &Report, name: &str) -> Self {
        let recorded = |p: Option<&Percentiles>| p.filter(|p| p.count > 0).copied();
        MetricStats {
            name: name.to_owned(),
            total: recorded(report.total.metric(name)).unwrap_or_default(),
            phases: report
                .phases
                .iter()
                .filter_map(|p| Some((p.name.clone(), recorded(p.stats.metric(name))?)))
                .collect(),
            windows: report
                .windows
                .iter()
                .filter_map(|w| {
                    Some(MetricWindowStats {
                        index: w.index,
                        start: w.start,
                        end: w.end,
                        phase: w.phase.clone(),
                        latency: recorded(w.stats.metric(name))?,
                    })
                })
                .collect(),
        }
    }

    /// The numbers of one phase; `None` when nothing was recorded in it.
    #[must_use]
    pub fn phase(&self, name: &str) -> Option<&Percentiles> {
        self.phases.get(name)
    }

    /// The windows of one phase.
    pub fn windows_of<'a>(
        &'a self,
        phase: &'a str,
    ) -> impl Iterator<Item = &'a MetricWindowStats> + 'a {
        self.windows.iter().filter(move |w| w.phase == phase)
    }
}

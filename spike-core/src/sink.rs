//! Outputs of a run as observers: live progress, the artifact writer, the
//! baseline store, exporters.
//!
//! A run owns its [`Report`] in memory from start to end; a [`Sink`] only
//! watches it go by. Every method has a no-op default, so a sink implements
//! what it needs (criterion's `Report` fan-out is the model). Sinks reach a
//! run two ways: [`Scenario::sink`](crate::Scenario::sink) for one scenario,
//! and [`Installed`](crate::installed::Installed) for every run of a task
//! (what `#[spike_test]` uses).
//!
//! ```
//! use std::sync::{Arc, Mutex};
//! use spike_core::sink::{RunInfo, Sink};
//! use spike_core::{ms, rps, Ctx, Report, Scenario, Shape, WindowStats};
//!
//! #[derive(Default)]
//! struct CountWindows(Mutex<(usize, Option<u64>)>);
//!
//! impl Sink for CountWindows {
//!     fn window_closed(&self, _run: &RunInfo, _window: &WindowStats) {
//!         self.0.lock().unwrap().0 += 1;
//!     }
//!     fn run_finished(&self, _run: &RunInfo, report: &Report) {
//!         self.0.lock().unwrap().1 = Some(report.total.completed);
//!     }
//! }
//!
//! # tokio::runtime::Builder::new_multi_thread().enable_time().build().unwrap().block_on(async {
//! let windows = Arc::new(CountWindows::default());
//! let shape = Shape::builder().hold(rps(100), ms(300)).build()?;
//! Scenario::new("observed")
//!     .shape(shape)
//!     .window(ms(100))
//!     .sink(windows.clone())
//!     .run(|_ctx: Ctx| async {})
//!     .await?;
//! assert_eq!(*windows.0.lock().unwrap(), (3, Some(30)));
//! # Ok::<(), spike_core::SpikeError>(())
//! # }).unwrap();
//! ```

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::engine::Progress;
use crate::error::SpikeError;
use crate::recorded::Recorded;
use crate::report::{Check, Report, WindowStats};
use crate::shape::level::Model;
use crate::stress::outcome::CapacityReport;

/// What a sink learns about a run when it starts: enough to label its
/// output before the first window closes.
#[derive(Debug, Clone, PartialEq)]
pub struct RunInfo {
    /// A number no other run of this process has (the same in every call
    /// about this run).
    pub id: u64,
    /// Scenario name.
    pub scenario: String,
    /// Load model of the shape.
    pub model: Model,
    /// Planned duration of the shape (after scaling).
    pub planned: Duration,
    /// Window length.
    pub window: Duration,
}

/// An observer of runs. Every method defaults to doing nothing.
///
/// Methods are called from the run's task (progress and windows from its
/// aggregator, once per tick and once per closed window): keep them quick
/// and never block on the network.
pub trait Sink: Send + Sync {
    /// The run's settings were checked and it is about to send traffic.
    /// An error here (a bad setting of the sink itself, such as an
    /// unparsable environment variable) refuses the run before any traffic.
    ///
    /// # Errors
    /// A [`SpikeError`] naming what the sink refuses.
    fn run_started(&self, _run: &RunInfo) -> Result<(), SpikeError> {
        Ok(())
    }

    /// A snapshot of the run in progress (once per aggregation tick).
    fn progress(&self, _run: &RunInfo, _progress: &Progress) {}

    /// A window closed (in order, once each).
    fn window_closed(&self, _run: &RunInfo, _window: &WindowStats) {}

    /// The run's totals took in `batch`: a closed (window, phase), or
    /// iterations recorded after their window closed. The batches of a run
    /// add up to its report's totals (counts and histograms); for sinks
    /// that export histograms (see [`crate::recorded`]).
    fn recorded(&self, _run: &RunInfo, _batch: &Recorded<'_>) {}

    /// The run ended; `report` is what [`Scenario::run`](crate::Scenario::run)
    /// returns.
    fn run_finished(&self, _run: &RunInfo, _report: &Report) {}

    /// An assertion chain evaluated `checks` against `report` (a report a
    /// run of this sink returned, or a clone of one). Returns where the
    /// checks will be recorded (the `report.json` path), when this sink
    /// records them.
    fn checks_evaluated(&self, _report: &Report, _checks: &[Check]) -> Option<PathBuf> {
        None
    }

    /// A capacity search ([`crate::stress::Stress::find_capacity`]) ended
    /// with `report` (its steps' runs went by as ordinary runs before).
    fn capacity_found(&self, _report: &CapacityReport) {}
}

/// Several sinks as one, called in order.
#[derive(Clone, Default)]
pub struct Sinks(Vec<Arc<dyn Sink>>);

impl std::fmt::Debug for Sinks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sinks({})", self.0.len())
    }
}

impl Sinks {
    /// Add a sink after the others.
    pub fn push(&mut self, sink: Arc<dyn Sink>) {
        self.0.push(sink);
    }

    /// Whether there is no sink at all.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every sink, in order.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<dyn Sink>> {
        self.0.iter()
    }
}

impl Sink for Sinks {
    fn run_started(&self, run: &RunInfo) -> Result<(), SpikeError> {
        self.0.iter().try_for_each(|s| s.run_started(run))
    }

    fn progress(&self, run: &RunInfo, progress: &Progress) {
        for s in &self.0 {
            s.progress(run, progress);
        }
    }

    fn window_closed(&self, run: &RunInfo, window: &WindowStats) {
        for s in &self.0 {
            s.window_closed(run, window);
        }
    }

    fn recorded(&self, run: &RunInfo, batch: &Recorded<'_>) {
        for s in &self.0 {
            s.recorded(run, batch);
        }
    }

    fn run_finished(&self, run: &RunInfo, report: &Report) {
        for s in &self.0 {
            s.run_finished(run, report);
        }
    }

    fn checks_evaluated(&self, report: &Report, checks: &[Check]) -> Option<PathBuf> {
        // Every sink hears the checks; the first place named is returned.
        self.0
            .iter()
            .map(|s| s.checks_evaluated(report, checks))
            .fold(None, |first, here| first.or(here))
    }

    fn capacity_found(&self, report: &CapacityReport) {
        for s in &self.0 {
            s.capacity_found(report);
        }
    }
}

/// Route the engine's progress and window observers through `sinks` too.
pub(crate) fn feed_sinks(cfg: &mut crate::engine::RunConfig, sinks: &Sinks, run: &RunInfo) {
    let existing = cfg.on_progress.take();
    let (to_sinks, info) = (sinks.clone(), run.clone());
    cfg.on_progress = Some(Arc::new(move |p: &Progress| {
        if let Some(f) = &existing {
            f(p);
        }
        to_sinks.progress(&info, p);
    }));
    let mut existing = cfg.on_window.take();
    let (to_sinks, info) = (sinks.clone(), run.clone());
    cfg.on_window = Some(Box::new(move |w: &WindowStats| {
        if let Some(f) = &mut existing {
            f(w);
        }
        to_sinks.window_closed(&info, w);
    }));
    let (to_sinks, info) = (sinks.clone(), run.clone());
    cfg.on_recorded = Some(Box::new(move |batch: &Recorded<'_>| {
        to_sinks.recorded(&info, batch);
    }));
}

//! Settings and sinks a harness installs around every run of a task.
//!
//! [`Scenario::run`](crate::Scenario::run) never asks whether it runs inside
//! a test. It asks only what was installed around it: sinks to feed, a
//! default scenario name, an artifact folder to name in the report, whether
//! `SPIKE_SCALE` / `SPIKE_TIME_SCALE` apply, and a future that interrupts
//! the run. `#[spike_test]` (see [`crate::harness`]) installs all of them;
//! outside it nothing is installed and a run does only what its builder says.
//!
//! ```
//! use std::sync::Arc;
//! use spike_core::installed::Installed;
//! use spike_core::{ms, rps, Ctx, Scenario, Shape};
//!
//! # tokio::runtime::Builder::new_multi_thread().enable_time().build().unwrap().block_on(async {
//! let installed = Installed::new().default_name("nightly");
//! let report = installed
//!     .scope(async {
//!         let shape = Shape::builder().hold(rps(50), ms(200)).build()?;
//!         Scenario::default().shape(shape).run(|_ctx: Ctx| async {}).await
//!     })
//!     .await?;
//! assert_eq!(report.scenario, "nightly");
//! # Ok::<(), spike_core::SpikeError>(())
//! # }).unwrap();
//! ```

use std::path::PathBuf;
use std::sync::Arc;

use crate::engine::StopFuture;
use crate::report::{Check, Report};
use crate::sink::{Sink, Sinks};

/// Makes the future that interrupts a run (a fresh one per run).
pub type StopSource = Arc<dyn Fn() -> StopFuture + Send + Sync>;

/// Makes a sink for each spike test (see [`add_test_sinks`]).
pub type TestSinkFactory = fn() -> Arc<dyn Sink>;

static TEST_SINKS: std::sync::Mutex<Vec<TestSinkFactory>> = std::sync::Mutex::new(Vec::new());

/// Have every spike test from now on install a sink `factory` makes (one
/// per test), after the harness's own. How a crate above this one (the
/// `spike` facade's environment-enabled exporters) reaches `#[spike_test]`.
pub fn add_test_sinks(factory: TestSinkFactory) {
    TEST_SINKS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push(factory);
}

/// A fresh sink of each factory [`add_test_sinks`] was given.
pub(crate) fn test_sinks() -> Vec<Arc<dyn Sink>> {
    let factories = TEST_SINKS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    factories.into_iter().map(|make| make()).collect()
}

/// Where a scenario's artifacts go, by scenario name.
pub type ArtifactPlace = Arc<dyn Fn(&str) -> PathBuf + Send + Sync>;

/// What every run of a task gets without asking: built by a harness, made
/// current with [`Installed::scope`] or [`Installed::sync_scope`].
#[derive(Clone, Default)]
#[must_use]
pub struct Installed {
    sinks: Sinks,
    default_name: Option<String>,
    artifacts: Option<ArtifactPlace>,
    scale_from_env: bool,
    stop: Option<StopSource>,
}

impl std::fmt::Debug for Installed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Installed")
            .field("sinks", &self.sinks)
            .field("default_name", &self.default_name)
            .field("scale_from_env", &self.scale_from_env)
            .finish_non_exhaustive()
    }
}

tokio::task_local! {
    static CURRENT: Installed;
}

impl Installed {
    /// Nothing installed yet.
    pub fn new() -> Self {
        Installed::default()
    }

    /// Feed every run's progress, windows, report and checks to `sink`.
    pub fn sink(mut self, sink: Arc<dyn Sink>) -> Self {
        self.sinks.push(sink);
        self
    }

    /// The name [`Scenario::default`](crate::Scenario::default) gives.
    pub fn default_name(mut self, name: impl Into<String>) -> Self {
        self.default_name = Some(name.into());
        self
    }

    /// Where each scenario's artifacts will be written (recorded in
    /// `Report::artifacts`; a sink writes them).
    pub fn artifacts(mut self, place: ArtifactPlace) -> Self {
        self.artifacts = Some(place);
        self
    }

    /// Apply `SPIKE_SCALE` / `SPIKE_TIME_SCALE` to every run
    /// ([`Scenario::scale_from_env`](crate::Scenario::scale_from_env)).
    pub fn scale_from_env(mut self) -> Self {
        self.scale_from_env = true;
        self
    }

    /// Interrupt every run when a future made by `stop` completes.
    pub fn interrupt_with(mut self, stop: StopSource) -> Self {
        self.stop = Some(stop);
        self
    }

    /// What is installed around the current task, if anything.
    #[must_use]
    pub fn current() -> Option<Installed> {
        CURRENT.try_with(Clone::clone).ok()
    }

    /// Run `body` with this installed.
    pub async fn scope<F: std::future::Future>(self, body: F) -> F::Output {
        CURRENT.scope(self, body).await
    }

    /// Run a synchronous `body` with this installed.
    pub fn sync_scope<R>(self, body: impl FnOnce() -> R) -> R {
        CURRENT.sync_scope(self, body)
    }

    /// The installed sinks.
    #[must_use]
    pub fn sinks(&self) -> &Sinks {
        &self.sinks
    }

    /// The default scenario name, if one was installed.
    #[must_use]
    pub fn name(&self) -> Option<&str> {
        self.default_name.as_deref()
    }

    /// Where the artifacts of `scenario` go, if a place was installed.
    #[must_use]
    pub fn artifact_dir(&self, scenario: &str) -> Option<PathBuf> {
        self.artifacts.as_ref().map(|place| place(scenario))
    }

    /// Whether runs apply the scale variables.
    #[must_use]
    pub fn scales_from_env(&self) -> bool {
        self.scale_from_env
    }

    /// Hand the checks an assertion chain evaluated to the sinks installed
    /// around the current task. Returns where they will be recorded, when
    /// a sink records them (inside `#[spike_test]`: the run's
    /// `report.json`, written after the body). What `spike-assert` calls
    /// at the end of every chain.
    pub fn deliver_checks(report: &Report, checks: &[Check]) -> Option<PathBuf> {
        Installed::current().and_then(|i| i.sinks.checks_evaluated(report, checks))
    }

    /// A fresh interrupting future, if a source was installed.
    #[must_use]
    pub fn stop(&self) -> Option<StopFuture> {
        self.stop.as_ref().map(|source| source())
    }
}

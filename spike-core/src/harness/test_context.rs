//! What a running spike test knows about itself: its name, its artifact
//! folder, how to interrupt its runs, the reports they returned and the
//! regression-gate bands it chose.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use tokio_util::sync::CancellationToken;

use crate::baselines::bands::Bands;
use crate::installed::Installed;
use crate::paths::{folder_name, spike_home};
use crate::report::Report;

use super::collector::Collector;
use super::progress_sink::ProgressSink;

/// The context `#[spike_test]` sets around a test body.
///
/// The harness installs (see [`Installed`]) around the body: `SPIKE_SCALE`
/// / `SPIKE_TIME_SCALE` for every run, live progress, the test's timeout as
/// an interrupt, and a sink that keeps every report in memory with the
/// checks its assertions evaluated. After the body the harness writes each
/// report's artifacts once ([`TestContext::write_artifacts`]) and runs the
/// regression gate on the reports in memory.
#[derive(Debug, Clone)]
pub struct TestContext {
    name: String,
    artifact_dir: PathBuf,
    interrupt: CancellationToken,
    interrupt_reason: Arc<Mutex<Option<String>>>,
    collector: Arc<Collector>,
    bands: Arc<Mutex<Option<Bands>>>,
    inconclusive: Arc<Mutex<Vec<String>>>,
}

tokio::task_local! {
    static CURRENT: TestContext;
}

impl TestContext {
    /// A context for the test `name`, with artifacts in
    /// `spike_home()/<name>/`; in shard mode (`SPIKE_SHARD`, or
    /// `SPIKE_SHARD_COUNT` with `JOB_COMPLETION_INDEX`, and `SPIKE_MERGE`
    /// not `1`) in its sub-folder [`crate::shard::folder`]`(i, n)`, so the
    /// shards of one run can share one spike home.
    #[must_use]
    pub fn new(name: impl Into<String>) -> Self {
        let name = name.into();
        let mut artifact_dir = spike_home().join(folder_name(&name));
        if let Some(sub) = shard_folder() {
            artifact_dir.push(sub);
        }
        TestContext::in_dir(name, artifact_dir)
    }

    /// A context for the test `name` with its artifacts in `artifact_dir`.
    #[must_use]
    pub fn in_dir(name: impl Into<String>, artifact_dir: impl Into<PathBuf>) -> Self {
        let name = name.into();
        let artifact_dir = artifact_dir.into();
        TestContext {
            name,
            artifact_dir,
            interrupt: CancellationToken::new(),
            interrupt_reason: Arc::default(),
            collector: Arc::default(),
            bands: Arc::default(),
            inconclusive: Arc::default(),
        }
    }

    /// The context of the spike test running this task, if any.
    #[must_use]
    pub fn current() -> Option<TestContext> {
        CURRENT.try_with(Clone::clone).ok()
    }

    /// What this test installs around its runs (see the type's docs).
    pub fn installed(&self) -> Installed {
        let root = self.artifact_dir.clone();
        let name = self.name.clone();
        let ctx = self.clone();
        let installed = Installed::new()
            .default_name(self.name.clone())
            .scale_from_env()
            .sink(self.collector.clone())
            .sink(Arc::new(ProgressSink::new()));
        crate::installed::test_sinks()
            .into_iter()
            .fold(installed, Installed::sink)
            .artifacts(Arc::new(move |scenario: &str| {
                dir_for(&root, &name, scenario)
            }))
            .interrupt_with(Arc::new(move || Box::pin(ctx.interrupted())))
    }

    /// Run `body` with this context current and its runs' settings and
    /// sinks installed.
    pub async fn scope<F: Future>(self, body: F) -> F::Output {
        let installed = self.installed();
        CURRENT.scope(self, installed.scope(body)).await
    }

    /// Run a synchronous `body` likewise (for plain `fn` spike tests that
    /// block on runs themselves).
    pub fn sync_scope<R>(self, body: impl FnOnce() -> R) -> R {
        let installed = self.installed();
        CURRENT.sync_scope(self, || installed.sync_scope(body))
    }

    /// The test name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The test's artifact folder.
    #[must_use]
    pub fn artifact_dir(&self) -> &Path {
        &self.artifact_dir
    }

    /// Where a scenario's artifacts go: the test folder itself when the
    /// scenario is named after the test, else a sub-folder per scenario.
    #[must_use]
    pub fn dir_for(&self, scenario: &str) -> PathBuf {
        dir_for(&self.artifact_dir, &self.name, scenario)
    }

    /// Ask every run in this test to stop now (the test's timeout fired).
    pub fn interrupt(&self, reason: impl Into<String>) {
        *self
            .interrupt_reason
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(reason.into());
        self.interrupt.cancel();
    }

    /// Whether [`TestContext::interrupt`] was called.
    #[must_use]
    pub fn is_interrupted(&self) -> bool {
        self.interrupt.is_cancelled()
    }

    /// Completes, with the reason, when the test is interrupted.
    pub fn interrupted(&self) -> impl Future<Output = String> + Send + 'static {
        let token = self.interrupt.clone();
        let reason = self.interrupt_reason.clone();
        async move {
            token.cancelled().await;
            reason
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone()
                .unwrap_or_else(|| "interrupted".to_owned())
        }
    }

    /// The reports this test's runs returned so far, each with the checks
    /// its assertion chains evaluated, in the order the runs ended.
    #[must_use]
    pub fn reports(&self) -> Vec<Report> {
        self.collector.reports()
    }

    /// Where the `report.json` of each run so far goes (written after the
    /// body by [`TestContext::write_artifacts`]).
    #[must_use]
    pub fn report_paths(&self) -> Vec<PathBuf> {
        self.collector.report_paths()
    }

    /// Use `bands` for this test's regression gate.
    pub fn set_bands(&self, bands: Bands) {
        *self.bands.lock().unwrap_or_else(PoisonError::into_inner) = Some(bands);
    }

    /// The bands of this test's regression gate: the ones
    /// [`TestContext::set_bands`] chose, else the defaults.
    #[must_use]
    pub fn bands(&self) -> Bands {
        self.bands
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .unwrap_or_default()
    }

    /// Record that a verdict of this test could not be given because the
    /// load was not applied as planned (`why`, e.g. `schedule lag p99
    /// 31ms is over the 25ms budget`). A body that then fails is run again
    /// when it has attempts left (see [`crate::harness::SpikeTest::attempts`]):
    /// spike-assert calls this when its load guard makes a chain
    /// inconclusive, and a test's own timing guard may call it too.
    pub fn note_inconclusive(&self, why: impl Into<String>) {
        self.inconclusive
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(why.into());
    }

    /// Every reason noted with [`TestContext::note_inconclusive`], in order.
    #[must_use]
    pub fn inconclusive_reasons(&self) -> Vec<String> {
        self.inconclusive
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Write every collected report's artifacts (`report.json` with its
    /// checks, `report.html`, `timeline.csv`, `latency.hlog`; see
    /// [`crate::artifacts`]), each capacity search's `capacity.json` and
    /// `capacity.html` (in the test's folder when the test ran one search,
    /// else in a sub-folder per search name), and save each report as the baseline
    /// `SPIKE_SAVE_BASELINE` names, if set. Returns the paths of the
    /// `report.json` files written; a write that fails is reported as a
    /// [`crate::notice::notice`] and the others still go ahead.
    pub fn write_artifacts(&self) -> Vec<PathBuf> {
        let mut written = Vec::new();
        // `reports()` hands out copies: each one is told its folder in
        // place, with no further copy.
        for mut report in self.collector.reports() {
            let dir = report
                .artifacts
                .get_or_insert_with(|| self.dir_for(&report.scenario))
                .clone();
            match super::gate::write_run(&report, &dir) {
                Ok(path) => written.push(path),
                Err(e) => crate::notice::notice(&format!(
                    "could not write the report of `{}` to {}: {e}",
                    report.scenario,
                    dir.display()
                )),
            }
        }
        // One search: its files go into the test's own folder; several: a
        // sub-folder per search name.
        let capacities = self.collector.capacities();
        let alone = capacities.len() == 1;
        for capacity in capacities {
            let dir = if alone {
                self.artifact_dir.clone()
            } else {
                self.dir_for(&capacity.name)
            };
            if let Err(e) = crate::artifacts::write_capacity(&capacity, &dir) {
                crate::notice::notice(&format!(
                    "could not write the capacity report of `{}` to {}: {e}",
                    capacity.name,
                    dir.display()
                ));
            }
        }
        written
    }

    /// The capacity searches this test ran so far, in the order they ended
    /// (their `capacity.json` and `capacity.html` are written after the
    /// body by [`TestContext::write_artifacts`]).
    #[must_use]
    pub fn capacities(&self) -> Vec<crate::stress::outcome::CapacityReport> {
        self.collector.capacities()
    }
}

/// True when the environment makes this process a shard (its artifacts go
/// to a shard sub-folder).
pub(crate) fn in_shard_mode() -> bool {
    shard_folder().is_some()
}

/// The shard sub-folder the environment names, if any. A bad shard value
/// names none here: the run itself refuses it before any traffic.
fn shard_folder() -> Option<String> {
    if crate::merge::step::requested() {
        return None;
    }
    let shard = crate::shard::Shard::from_env().ok()??;
    Some(crate::shard::folder(shard.index(), shard.count()))
}

fn dir_for(root: &Path, test: &str, scenario: &str) -> PathBuf {
    if scenario == test {
        root.to_path_buf()
    } else {
        root.join(folder_name(scenario))
    }
}

//! The context `#[spike_test]` sets around a test body.
//!
//! Inside it, [`crate::Scenario::run`] applies `SPIKE_SCALE` and
//! `SPIKE_TIME_SCALE`, stops early when the test's wall-clock timeout fires,
//! and writes `report.json` under the test's artifact folder. Outside it,
//! nothing of the sort happens implicitly.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tokio_util::sync::CancellationToken;

use crate::report::Report;

/// What a running spike test knows about itself.
#[derive(Debug, Clone)]
pub struct TestContext {
    name: String,
    artifact_dir: PathBuf,
    interrupt: CancellationToken,
    interrupt_reason: Arc<Mutex<Option<String>>>,
    reports: Arc<Mutex<Vec<PathBuf>>>,
}

tokio::task_local! {
    static CURRENT: TestContext;
}

/// Folder all spike artifacts go under: `$SPIKE_HOME`, else
/// `$CARGO_TARGET_DIR/spike`, else `target/spike` in the current directory
/// (cargo runs tests from the package root).
#[must_use]
pub fn spike_home() -> PathBuf {
    if let Some(home) = std::env::var_os("SPIKE_HOME") {
        return PathBuf::from(home);
    }
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| PathBuf::from("target"), PathBuf::from);
    target.join("spike")
}

/// Make a test or scenario name safe as one folder name.
#[must_use]
pub fn folder_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

impl TestContext {
    /// A context for the test `name`, with artifacts in
    /// `spike_home()/<name>/`.
    #[must_use]
    pub fn new(name: impl Into<String>) -> Self {
        let name = name.into();
        let artifact_dir = spike_home().join(folder_name(&name));
        TestContext {
            name,
            artifact_dir,
            interrupt: CancellationToken::new(),
            interrupt_reason: Arc::default(),
            reports: Arc::default(),
        }
    }

    /// The context of the spike test running this task, if any.
    #[must_use]
    pub fn current() -> Option<TestContext> {
        CURRENT.try_with(Clone::clone).ok()
    }

    /// Run `body` with this context current.
    pub async fn scope<F: std::future::Future>(self, body: F) -> F::Output {
        CURRENT.scope(self, body).await
    }

    /// Run a synchronous `body` with this context current (for plain `fn`
    /// spike tests that block on runs themselves).
    pub fn sync_scope<R>(self, body: impl FnOnce() -> R) -> R {
        CURRENT.sync_scope(self, body)
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
        if scenario == self.name {
            self.artifact_dir.clone()
        } else {
            self.artifact_dir.join(folder_name(scenario))
        }
    }

    /// Ask every run in this test to stop now (the test's timeout fired).
    pub fn interrupt(&self, reason: impl Into<String>) {
        *self
            .interrupt_reason
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(reason.into());
        self.interrupt.cancel();
    }

    /// Whether [`TestContext::interrupt`] was called.
    #[must_use]
    pub fn is_interrupted(&self) -> bool {
        self.interrupt.is_cancelled()
    }

    /// Completes, with the reason, when the test is interrupted.
    pub fn interrupted(&self) -> impl std::future::Future<Output = String> + Send + 'static {
        let token = self.interrupt.clone();
        let reason = self.interrupt_reason.clone();
        async move {
            token.cancelled().await;
            reason
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clone()
                .unwrap_or_else(|| "interrupted".to_owned())
        }
    }

    /// Write a report's artifacts (`report.json`, `report.html`,
    /// `timeline.csv`, `latency.hlog`; see [`crate::artifacts`]), save it as
    /// the baseline `SPIKE_SAVE_BASELINE` names, if set, and remember the
    /// path of `report.json`, which is returned.
    ///
    /// # Errors
    /// Any I/O error writing them.
    pub fn save(&self, report: &Report) -> std::io::Result<PathBuf> {
        let dir = self.dir_for(&report.scenario);
        let mut saved = report.clone();
        saved.artifacts = Some(dir.clone());
        let path = crate::artifacts::write_all(&saved, &dir)?.report_json;
        if let Some(baseline) = crate::baseline::save_if_asked(&saved)? {
            crate::notice::notice(&format!(
                "saved `{}` as baseline {}",
                report.scenario,
                baseline.display()
            ));
        }
        self.reports
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(path.clone());
        Ok(path)
    }

    /// Paths of the reports saved so far in this test.
    #[must_use]
    pub fn saved_reports(&self) -> Vec<PathBuf> {
        self.reports
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

//! Scenario files with HTTP requests and SLOs (feature `http`): a spike
//! described in TOML, run and checked without writing the workload in Rust.
//!
//! The scenario part of the file (name, shape, settings) is read by
//! [`spike_core::scenario_file`]; this module adds the file's `[target]`,
//! its `[[request]]` entries (picked by weight every iteration, each
//! recorded under its name) and its `[[slo]]` checks. Chapter 22 of the
//! guide describes the format key by key.
//!
//! ```
//! use spike::file::SpikeFile;
//! # spike::__private::tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
//! let file = SpikeFile::parse(r#"
//!     name = "home-page"
//!     window = "100ms"
//!     [target]
//!     demo = true            # spike's demo service, on a free loopback port
//!     [[phase]]
//!     kind = "hold"
//!     rps = 50
//!     duration = "400ms"
//!     [[request]]
//!     name = "home"
//!     path = "/"
//!     [[slo]]
//!     metric = "error_rate"
//!     below = "1%"
//! "#, "home.toml")?;
//! let report = file.run().await?;
//! assert_eq!(report.total.requests["home"].count, 20);
//! file.verify(&report);
//! # Ok::<(), spike::SpikeError>(()) }).unwrap();
//! ```

mod requests;
mod slo;

use std::path::Path;
use std::time::Duration;

use spike_core::scenario_file::{key, FileSource, ScenarioFile};
use spike_core::{Report, Scenario, ScenarioSettings, SpikeError};

use crate::http::Http;

/// A parsed scenario file: the scenario, the HTTP requests with their
/// weights, the target and the SLO checks. Every value was checked when
/// it was parsed; see [the module](self).
pub struct SpikeFile {
    source: FileSource,
    settings: ScenarioSettings,
    requests: Vec<requests::Request>,
    slos: Vec<slo::Slo>,
    base_url: Option<String>,
    demo: bool,
    timeout: Option<Duration>,
}

impl std::fmt::Debug for SpikeFile {
    /// Names and settings, never header values (they may be secrets).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpikeFile")
            .field("origin", &self.source.origin())
            .field("scenario", &self.settings.name)
            .field("requests", &self.requests)
            .field("slos", &self.slos.len())
            .field("demo", &self.demo)
            .finish_non_exhaustive()
    }
}

impl SpikeFile {
    /// Read and parse the file at `path`.
    ///
    /// # Errors
    /// As [`SpikeFile::parse`], or the file cannot be read.
    pub fn load(path: impl AsRef<Path>) -> Result<SpikeFile, SpikeError> {
        let path = path.as_ref();
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| {
            FileSource::new("", &origin).error_span(
                None,
                format!("cannot read the scenario file: {e}"),
                None,
            )
        })?;
        Self::parse(&text, &origin)
    }

    /// Parse a scenario file's text; `origin` names it in errors. Header
    /// values' `${env:NAME}` are read from the environment now.
    ///
    /// # Errors
    /// [`SpikeError::ScenarioFile`] with the line and column of the first
    /// problem: syntax, an unknown key (with the closest known one), a
    /// value of the wrong type or unit, a shape the builder refuses, a
    /// request without a path, an SLO bound in the wrong unit, an SLO
    /// naming a phase or request the file does not have, an unset
    /// environment variable.
    pub fn parse(text: &str, origin: &str) -> Result<SpikeFile, SpikeError> {
        Self::parse_with_env(text, origin, &|var| std::env::var(var).ok())
    }

    fn parse_with_env(
        text: &str,
        origin: &str,
        read_env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<SpikeFile, SpikeError> {
        let parsed = ScenarioFile::parse(text, origin)?;
        let settings = parsed.scenario()?.settings();
        let src = parsed.source;
        let file = parsed.file;
        let requests = requests::check(&file.request, &src, read_env)?;
        let phases: Vec<&str> = settings
            .shape
            .as_ref()
            .map(|s| s.phases().iter().map(|p| p.name.as_str()).collect())
            .unwrap_or_default();
        let names: Vec<&str> = requests.iter().map(|r| r.name.as_str()).collect();
        let slos = slo::check(&file.slo, &src, &phases, &names)?;
        let target = file
            .target
            .unwrap_or(spike_core::scenario_file::FileTarget {
                base_url: None,
                demo: false,
                timeout: None,
            });
        if target.demo && target.base_url.is_some() {
            let msg = "`[target]` gives both `base_url` and `demo = true`: keep one";
            return Err(src.error_at(&[key("target"), key("demo")], msg, None));
        }
        Ok(SpikeFile {
            source: src,
            settings,
            requests,
            slos,
            base_url: target.base_url,
            demo: target.demo,
            timeout: target.timeout.map(|t| t.0),
        })
    }

    /// The file's scenario (name, shape, settings): a fresh [`Scenario`]
    /// each call, to run with a workload of your own.
    pub fn scenario(&self) -> Scenario {
        Scenario::from(self.settings.clone())
    }

    /// Send the requests to `url` instead of the file's target (a server on
    /// an ephemeral port in a test, `cargo spike run --base-url`).
    #[must_use]
    pub fn base_url(mut self, url: &str) -> Self {
        self.base_url = Some(url.to_owned());
        self.demo = false;
        self
    }

    /// Run the file: one HTTP client on the target (the demo service is
    /// started for the run when the file says `demo = true`), a mix of the
    /// requests by weight, through the file's scenario.
    ///
    /// # Errors
    /// No target; a target the HTTP driver refuses (not loopback, a bad
    /// URL) as [`SpikeError::BadWorkload`]; the scenario's own errors.
    /// Nothing is sent when an error comes back.
    pub async fn run(&self) -> Result<Report, SpikeError> {
        let scenario = self.settings.name.clone();
        let refused = |reason: String| SpikeError::BadWorkload {
            scenario: scenario.clone(),
            reason,
        };
        let demo = match (&self.base_url, self.demo) {
            (None, true) => Some(
                crate::demo::DemoService::builder()
                    .start()
                    .await
                    .map_err(|e| refused(format!("the demo service did not start: {e}")))?,
            ),
            _ => None,
        };
        let url = match (&self.base_url, &demo) {
            (Some(url), _) => url.clone(),
            (None, Some(demo)) => demo.url(),
            (None, None) => {
                let msg = "no target: set `[target] base_url = \"http://127.0.0.1:PORT\"` or \
                           `demo = true`, or pass a base URL (`SpikeFile::base_url`, \
                           `cargo spike run --base-url`)";
                return Err(self.source.error_span(None, msg, None));
            }
        };
        let mut builder = Http::builder(url);
        if let Some(t) = self.timeout {
            builder = builder.timeout(t);
        }
        let http = builder.build().map_err(|e| refused(e.to_string()))?;
        let report = self
            .scenario()
            .run(requests::mix(&http, &self.requests))
            .await;
        drop(demo);
        report
    }

    /// Check the file's SLOs on `report` with spike's soft assertions:
    /// every SLO is evaluated, with the generator's own check (the load
    /// was applied as planned) that every `expect(&report)...verify()`
    /// adds, then one failure lists them all as a table.
    ///
    /// # Panics
    /// When a check fails, with the table of every check.
    #[track_caller]
    pub fn verify(&self, report: &Report) {
        self.chain(report).verify();
    }

    /// [`SpikeFile::verify`] without the panic: the checks that passed, or
    /// the [`Failure`](crate::Failure) with its table (what `cargo spike
    /// run` prints before exiting 1).
    ///
    /// # Errors
    /// The failure when a check failed.
    #[track_caller]
    pub fn try_verify(&self, report: &Report) -> Result<crate::Verified, crate::Failure> {
        self.chain(report).try_verify()
    }

    fn chain<'r>(&self, report: &'r Report) -> crate::Expect<'r> {
        self.slos
            .iter()
            .fold(crate::expect(report), |chain, slo| slo.apply(chain))
    }
}

#[cfg(test)]
mod tests;

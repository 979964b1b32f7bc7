//! The files a run leaves under `target/spike/<test name>/`:
//!
//! | file | what |
//! |---|---|
//! | `report.json` | every number of the [`Report`] |
//! | `report.html` | one self-contained page: load, latency over time with the recovery point, errors, latency distribution, checks, environment; with resource sampling, a memory chart per series and its soak verdict |
//! | `latency.hlog` | HdrHistogram interval log, one histogram per (window, phase), tagged with the phase, and one per named request and window, tagged `request=<name>`; a window with active faults adds `;fault=<names>` to its tags ([`LatencyLog`] reads it) |
//! | `histograms.hlog` | every other histogram of each (window, phase), in the same format: service time, schedule lag, each named request, `ctx.record` metric and tag value, tagged `kind=..;window=..;phase=..` (see [`parse_histograms_hlog`]); with `latency.hlog` it lets the outputs of shards merge exactly ([`crate::merge`]) |
//! | `timeline.csv` | one row per window (with `request_<name>_count`, `_errors`, `_p95_us` columns per named request, and `resource_<series>_rss_bytes`, `_fds`, `_threads` per sampled resource series) |
//! | `junit.xml` | the test as a JUnit suite, one case per check ([`junit_suite`]; in the test's folder; with `SPIKE_JUNIT=path` also added to one file for the whole run, [`add_to_junit_file`]) |
//! | `capacity.json`, `capacity.html` | a capacity search's answer, steps and chart ([`write_capacity`]; in the search's folder) |
//!
//! Inside `#[spike_test]` the harness writes them all once, after the test
//! body, with the checks its assertions evaluated
//! ([`crate::TestContext::write_artifacts`]); elsewhere call [`write_all`]
//! (or write them from your own [`crate::sink::Sink`]).

mod capacity_html;
mod charts;
mod histograms;
mod hlog;
mod hlog_tags;
mod html;
mod junit;
mod junit_file;
mod memory_chart;
mod svg;
mod timeline;

use std::path::{Path, PathBuf};

/// The JUnit XML data model, writer and reader spike uses (`junit.xml`,
/// `SPIKE_JUNIT`): read a file back with
/// `quick_junit::Report::deserialize_from_str`.
pub use quick_junit;

pub use capacity_html::{capacity_html, write_capacity};
pub use histograms::{
    detail_tag, histograms_hlog_bytes, parse_histograms_hlog, write_histograms_hlog,
    HISTOGRAMS_HLOG,
};
pub use hlog::{
    hlog_bytes, phase_tag, request_tag, with_faults, write_hlog, HlogError, LatencyLog,
    LoggedInterval, FAULT_TAG_SEPARATOR, REQUEST_TAG_PREFIX,
};
pub use html::{report_html, write_html};
pub use junit::{junit_suite, write_junit, TestEnding, JUNIT_XML};
pub use junit_file::{
    add_to_junit_file, binary_name, junit_from_env, junit_path, JunitError, BINARY_PROPERTY,
    JUNIT_VAR, SHARD_PROPERTY,
};
pub use timeline::{timeline_csv, write_timeline};

use crate::report::{Check, Report};

/// Paths of the files [`write_all`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactPaths {
    /// `report.json`.
    pub report_json: PathBuf,
    /// `report.html`.
    pub report_html: PathBuf,
    /// `timeline.csv`.
    pub timeline_csv: PathBuf,
    /// `latency.hlog`; `None` when the report holds no interval histograms
    /// (a report read back from JSON), in which case no log is written.
    pub latency_hlog: Option<PathBuf>,
    /// `histograms.hlog`; `None` when the report holds no detail
    /// histograms (a report read back from JSON).
    pub histograms_hlog: Option<PathBuf>,
}

/// Write every artifact of `report` into `dir` (created if missing), each
/// atomically.
///
/// # Errors
/// The first I/O error, or an [`HlogError`] turned into
/// `io::ErrorKind::InvalidData`.
pub fn write_all(report: &Report, dir: &Path) -> std::io::Result<ArtifactPaths> {
    let report_json = report.write_to(dir)?;
    let report_html = write_html(report, dir)?;
    let timeline_csv = write_timeline(report, dir)?;
    let latency_hlog = if report.interval_histograms.is_empty() {
        None
    } else {
        Some(write_hlog(report, dir).map_err(invalid_data)?)
    };
    let histograms_hlog = if report.detail_histograms.is_empty() {
        None
    } else {
        Some(write_histograms_hlog(report, dir).map_err(invalid_data)?)
    };
    Ok(ArtifactPaths {
        report_json,
        report_html,
        timeline_csv,
        latency_hlog,
        histograms_hlog,
    })
}

fn invalid_data(e: HlogError) -> std::io::Error {
    match e {
        HlogError::Io(e) => e,
        other => std::io::Error::new(std::io::ErrorKind::InvalidData, other),
    }
}

/// Rewrite `report.json` and `report.html` of a saved report with `checks`
/// added to the ones it holds, so the page and the JSON show what the
/// assertions found. Does nothing for a report that was never saved
/// (`report.artifacts` is `None`). Returns the updated report.
///
/// Assertions call this once they evaluated their checks.
///
/// # Errors
/// Any I/O error.
pub fn record_checks(report: &Report, checks: &[Check]) -> std::io::Result<Report> {
    let mut updated = report.clone();
    updated.checks.extend_from_slice(checks);
    if let Some(dir) = &report.artifacts {
        updated.write_to(dir)?;
        write_html(&updated, dir)?;
    }
    Ok(updated)
}

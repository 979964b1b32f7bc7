//! The harness's in-memory sink: every report a test's runs returned, with
//! the checks its assertion chains evaluated, written once after the body.

use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};

use crate::report::{Check, Report};
use crate::sink::{RunInfo, Sink};
use crate::stress::outcome::CapacityReport;

/// Reports collected during a test body, in the order their runs ended.
#[derive(Debug, Default)]
pub(crate) struct Collector {
    reports: Mutex<Vec<Report>>,
    capacities: Mutex<Vec<CapacityReport>>,
}

/// Whether `a` and `b` are the same run (a report and its clone).
fn same_run(a: &Report, b: &Report) -> bool {
    a.scenario == b.scenario
        && a.environment.started_at_unix_ms == b.environment.started_at_unix_ms
        && a.elapsed == b.elapsed
}

impl Collector {
    /// The collected reports, checks included.
    pub(crate) fn reports(&self) -> Vec<Report> {
        self.reports
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The capacity searches' reports, in the order they ended.
    pub(crate) fn capacities(&self) -> Vec<CapacityReport> {
        self.capacities
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Where each collected report's `report.json` goes.
    pub(crate) fn report_paths(&self) -> Vec<PathBuf> {
        self.reports
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .filter_map(|r| r.artifacts.as_ref().map(|d| d.join("report.json")))
            .collect()
    }
}

impl Sink for Collector {
    fn capacity_found(&self, report: &CapacityReport) {
        self.capacities
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(report.clone());
    }

    fn run_finished(&self, _run: &RunInfo, report: &Report) {
        self.reports
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(report.clone());
    }

    fn checks_evaluated(&self, report: &Report, checks: &[Check]) -> Option<PathBuf> {
        let mut reports = self.reports.lock().unwrap_or_else(PoisonError::into_inner);
        let held = reports.iter_mut().rev().find(|r| same_run(r, report))?;
        held.checks.extend_from_slice(checks);
        held.artifacts.as_ref().map(|d| d.join("report.json"))
    }
}

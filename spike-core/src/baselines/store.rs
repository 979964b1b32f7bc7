//! Where baselines live and how they are saved and loaded:
//! `<report dir>/baselines/<name>/report.json` and the run's other files.

use std::path::{Path, PathBuf};

use crate::paths::{folder_name, spike_home};
use crate::report::Report;

/// The folder, inside a run's artifact folder, that holds its saved
/// baselines.
pub(crate) const BASELINES: &str = "baselines";

/// Folder of the baseline `name` for a run whose artifacts go to
/// `report_dir`: `<report_dir>/baselines/<name>`.
#[must_use]
pub fn baseline_dir(report_dir: &Path, name: &str) -> PathBuf {
    report_dir.join(BASELINES).join(folder_name(name))
}

/// Where a report's artifacts are (or would be, for an unsaved report):
/// `report.artifacts`, else `spike_home()/<scenario>`.
#[must_use]
pub fn report_dir(report: &Report) -> PathBuf {
    report
        .artifacts
        .clone()
        .unwrap_or_else(|| spike_home().join(folder_name(&report.scenario)))
}

/// Save `report` (all its artifacts) as the baseline `name`; returns the
/// baseline's `report.json`.
///
/// # Errors
/// Any I/O error.
pub fn save_baseline(report: &Report, name: &str) -> std::io::Result<PathBuf> {
    let dir = baseline_dir(&report_dir(report), name);
    let mut saved = report.clone();
    saved.artifacts = Some(dir.clone());
    Ok(crate::output::artifacts::write_all(&saved, &dir)?.report_json)
}

/// Why a baseline could not be used.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum BaselineError {
    /// The baseline file exists but could not be read.
    #[error("could not read baseline {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The baseline file is not a spike report.
    #[error("baseline {path} is not a spike report: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// The parse error.
        source: serde_json::Error,
    },
}

crate::__debug_as_display!(BaselineError);

/// Load the baseline `name` of a report, `Ok(None)` when there is none.
///
/// # Errors
/// [`BaselineError`] when the file exists but cannot be read or parsed.
pub fn load_baseline(
    report: &Report,
    name: &str,
) -> Result<Option<(Report, PathBuf)>, BaselineError> {
    let dir = baseline_dir(&report_dir(report), name);
    let path = dir.join("report.json");
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(BaselineError::Io { path, source }),
    };
    let mut baseline: Report =
        serde_json::from_str(&text).map_err(|source| BaselineError::Json {
            path: path.clone(),
            source,
        })?;
    baseline.artifacts = Some(dir);
    Ok(Some((baseline, path)))
}

/// The names of the baselines saved for a report's scenario, sorted.
#[must_use]
pub fn saved_baselines(report: &Report) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(report_dir(report).join(BASELINES)) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|e| e.path().join("report.json").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

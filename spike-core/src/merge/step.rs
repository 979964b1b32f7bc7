//! The final step of a sharded run: with `SPIKE_MERGE=1` a spike test's
//! scenario merges the shard outputs under its artifact folder instead of
//! sending load.

use std::path::Path;
use std::time::Duration;

use super::error::MergeError;
use super::{merge_dirs, shard_dirs, MergeOptions};
use crate::installed::Installed;
use crate::report::Report;
use crate::shape::Shape;
use crate::shard::env::SPIKE_MERGE;

/// True when `SPIKE_MERGE=1`.
pub(crate) fn requested() -> bool {
    std::env::var(SPIKE_MERGE).is_ok_and(|v| v.trim() == "1")
}

/// True when `SPIKE_MERGE=1` and a `#[spike_test]` (or another
/// [`Installed`] context) runs the scenario.
fn merging() -> bool {
    requested() && Installed::current().is_some()
}

/// With `SPIKE_MERGE=1` under an [`Installed`] context: the merge of the
/// shard folders under `artifacts` (the scenario's artifact folder),
/// checked to have run `shape` (after scaling) with `window`, with
/// `report.artifacts` set to `artifacts`; `None` otherwise (run the load).
///
/// # Errors
/// [`MergeError::NoArtifactFolder`] without an artifact folder,
/// [`MergeError::NoShards`] when it holds no shard folder,
/// [`MergeError::ShapeDiffers`] / [`MergeError::Mismatch`] when the shards
/// ran another shape or window, and the errors of [`merge_dirs`].
pub(crate) fn merge_step(
    scenario: &str,
    artifacts: Option<&Path>,
    shape: &Shape,
    window: Duration,
) -> Result<Option<Report>, MergeError> {
    if !merging() {
        return Ok(None);
    }
    let Some(dir) = artifacts else {
        return Err(MergeError::NoArtifactFolder {
            scenario: scenario.to_owned(),
        });
    };
    let dirs = shard_dirs(dir).unwrap_or_default();
    if dirs.is_empty() {
        return Err(MergeError::NoShards {
            under: Some(dir.to_owned()),
        });
    }
    let mut report = merge_dirs(&dirs, &MergeOptions::default())?;
    if &report.shape != shape {
        return Err(MergeError::ShapeDiffers {
            scenario: scenario.to_owned(),
            dir: dir.to_owned(),
            shards: super::check::shape_text(&report.shape),
            scenario_shape: super::check::shape_text(shape),
        });
    }
    if report.window != window {
        return Err(MergeError::Mismatch {
            what: "window",
            first: dirs[0].clone(),
            first_value: crate::fmt::duration(report.window),
            other: dir.to_owned(),
            other_value: format!("{} (the scenario's)", crate::fmt::duration(window)),
        });
    }
    if report.scenario != scenario {
        return Err(MergeError::Mismatch {
            what: "scenario",
            first: dirs[0].clone(),
            first_value: report.scenario,
            other: dir.to_owned(),
            other_value: format!("{scenario} (the running scenario)"),
        });
    }
    report.artifacts = Some(dir.to_owned());
    Ok(Some(report))
}

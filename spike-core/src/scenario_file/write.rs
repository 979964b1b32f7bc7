//! A [`Scenario`]'s settings written as a [`ScenarioFile`], then as TOML:
//! what the builder set, so that reading it back gives the same scenario.

use super::types::{FileModel, FilePhase, FilePhaseKind, FileRecovery, FileScale, ScenarioFile};
use super::values::{Count, FileDuration};
use crate::error::SpikeError;
use crate::recovery::RecoveryCriteria;
use crate::scenario::settings::ScenarioSettings;
use crate::scenario::{
    DEFAULT_DRAIN_TIMEOUT, DEFAULT_ITERATION_TIMEOUT, DEFAULT_LAG_BUDGET, DEFAULT_MAX_IN_FLIGHT,
};
use crate::shape::level::{Level, Model};
use crate::shape::PhaseKind;

/// The file for these settings; settings at their defaults are left out.
pub(super) fn from_settings(s: &ScenarioSettings) -> Result<ScenarioFile, SpikeError> {
    let Some(shape) = &s.shape else {
        return Err(SpikeError::NoShape {
            scenario: s.name.clone(),
        });
    };
    let phase = shape
        .phases()
        .iter()
        .map(|p| {
            let (rps, users) = match p.to {
                Level::Rps(v) => (Some(v), None),
                Level::Users(v) => (None, Some(v)),
            };
            FilePhase {
                kind: match p.kind {
                    PhaseKind::Ramp => FilePhaseKind::Ramp,
                    PhaseKind::Hold => FilePhaseKind::Hold,
                    PhaseKind::Burst => FilePhaseKind::Burst,
                    PhaseKind::Recover => FilePhaseKind::Recover,
                },
                rps,
                users,
                duration: FileDuration(p.duration),
                name: Some(p.name.clone()),
                reference: p.reference,
            }
        })
        .collect();
    let unless = |value, default| (value != default).then_some(FileDuration(value));
    let d = RecoveryCriteria::default();
    let r = s.recovery;
    let recovery = (r != d).then(|| FileRecovery {
        tolerance: (r.tolerance != d.tolerance).then_some(r.tolerance),
        slack: unless(r.slack, d.slack),
        epsilon: (r.epsilon != d.epsilon).then_some(r.epsilon),
        sustain: (r.sustain != d.sustain).then_some(r.sustain),
    });
    let scale = (s.rate_scale != 1.0 || s.time_scale != 1.0).then_some(FileScale {
        rate: s.rate_scale,
        time: s.time_scale,
    });
    Ok(ScenarioFile {
        name: s.name.clone(),
        model: Some(match shape.model() {
            Model::Open => FileModel::Open,
            Model::Closed => FileModel::Closed,
        }),
        window: s.window.map(FileDuration),
        seed: s.seed.map(Count),
        max_in_flight: (s.max_in_flight != DEFAULT_MAX_IN_FLIGHT).then_some(Count(s.max_in_flight)),
        iteration_timeout: unless(s.iteration_timeout, DEFAULT_ITERATION_TIMEOUT),
        drain_timeout: unless(s.drain_timeout, DEFAULT_DRAIN_TIMEOUT),
        think_time: unless(s.think_time, std::time::Duration::ZERO),
        lag_budget: unless(s.lag_budget, DEFAULT_LAG_BUDGET),
        scale,
        recovery,
        phase,
        target: None,
        request: Vec::new(),
        slo: Vec::new(),
    })
}

/// The file as TOML text.
pub(super) fn to_text(file: &ScenarioFile) -> Result<String, SpikeError> {
    toml::to_string(file).map_err(|e| SpikeError::ScenarioFile {
        file: file.name.clone(),
        line: 0,
        column: 0,
        message: format!("cannot be written as TOML: {e}"),
        suggestion: None,
    })
}

//! [`ScenarioFile`] to [`Scenario`]: every value checked, every refusal
//! placed at the key it is about (the builder's own errors at their phase).

use std::time::Duration;

use super::source::{key, FileSource, Seg};
use super::types::{FileModel, FilePhase, FilePhaseKind, ScenarioFile};
use crate::error::SpikeError;
use crate::recovery::RecoveryCriteria;
use crate::scenario::{Scenario, MAX_SETTING_DURATION};
use crate::shape::builder::ShapeBuilder;
use crate::shape::error::ShapeError;
use crate::shape::level::{Level, Model};
use crate::shape::Shape;

/// The scenario a checked file describes.
pub(super) fn to_scenario(file: &ScenarioFile, src: &FileSource) -> Result<Scenario, SpikeError> {
    if file.name.trim().is_empty() {
        return Err(src.error_at(&[key("name")], "`name` must not be empty", None));
    }
    let shape = shape(file, src)?;
    let length = shape.duration().as_secs_f64() * file.scale.map_or(1.0, |s| s.time);
    let mut scenario = Scenario::new(file.name.clone()).shape(shape);
    if let Some(w) = file.window {
        if w.0 < Duration::from_millis(10) {
            return Err(src.error_at(&[key("window")], "`window` must be at least 10ms", None));
        }
        if w.0.as_secs_f64() > length {
            let msg = format!(
                "`window` = {:?} is longer than the shape ({length}s): a window must fit in the run",
                w.0
            );
            return Err(src.error_at(&[key("window")], msg, None));
        }
        scenario = scenario.window(w.0);
    }
    if let Some(seed) = file.seed {
        scenario = scenario.seed(seed.0);
    }
    if let Some(cap) = file.max_in_flight {
        if cap.0 == 0 {
            let msg = "`max_in_flight` must be above zero";
            return Err(src.error_at(&[key("max_in_flight")], msg, None));
        }
        scenario = scenario.max_in_flight(cap.0);
    }
    for (name, value, zero_ok) in [
        ("iteration_timeout", file.iteration_timeout, false),
        ("drain_timeout", file.drain_timeout, true),
        ("think_time", file.think_time, true),
    ] {
        let Some(value) = value else { continue };
        if value.0.is_zero() && !zero_ok {
            return Err(src.error_at(&[key(name)], format!("`{name}` must be above zero"), None));
        }
        if value.0 > MAX_SETTING_DURATION {
            let msg = format!("`{name}` must be at most 24h: every run stops by itself");
            return Err(src.error_at(&[key(name)], msg, None));
        }
        scenario = match name {
            "iteration_timeout" => scenario.iteration_timeout(value.0),
            "drain_timeout" => scenario.drain_timeout(value.0),
            _ => scenario.think_time(value.0),
        };
    }
    if let Some(lag) = file.lag_budget {
        scenario = scenario.lag_budget(lag.0);
    }
    if let Some(scale) = file.scale {
        for (name, v) in [("rate", scale.rate), ("time", scale.time)] {
            if !(v.is_finite() && v > 0.0) {
                let msg = format!("scale `{name}` = {v} must be a finite number above zero");
                return Err(src.error_at(&[key("scale"), key(name)], msg, None));
            }
        }
        scenario = scenario.scale(scale.rate, scale.time);
    }
    if let Some(r) = file.recovery {
        let d = RecoveryCriteria::default();
        let criteria = RecoveryCriteria {
            tolerance: r.tolerance.unwrap_or(d.tolerance),
            slack: r.slack.map_or(d.slack, |s| s.0),
            epsilon: r.epsilon.unwrap_or(d.epsilon),
            sustain: r.sustain.unwrap_or(d.sustain),
        };
        for (name, v) in [
            ("tolerance", criteria.tolerance),
            ("epsilon", criteria.epsilon),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                let msg = format!("recovery `{name}` = {v} must be a finite number, zero or above");
                return Err(src.error_at(&[key("recovery"), key(name)], msg, None));
            }
        }
        if criteria.sustain == 0 {
            let msg = "recovery `sustain` must be at least 1 window";
            return Err(src.error_at(&[key("recovery"), key("sustain")], msg, None));
        }
        scenario = scenario.recovery_criteria(criteria);
    }
    Ok(scenario)
}

/// The shape of the file's phases, each level checked where it is written.
pub(super) fn shape(file: &ScenarioFile, src: &FileSource) -> Result<Shape, SpikeError> {
    if file.phase.is_empty() {
        let msg = "the shape has no phases: add at least one `[[phase]]` with a kind, a level \
                   (`rps` or `users`) and a duration";
        return Err(src.error_at(&[key("phase")], msg, None));
    }
    let mut levels = Vec::with_capacity(file.phase.len());
    for (i, phase) in file.phase.iter().enumerate() {
        let (level, path) = level(phase, i, src)?;
        if let Some(model) = file.model {
            let wanted = match model {
                FileModel::Open => Model::Open,
                FileModel::Closed => Model::Closed,
            };
            if level.model() != wanted {
                let msg = format!(
                    "phase {} gives `{}` but the file says `model = \"{}\"`: write its level in `{}`",
                    i + 1,
                    level.model().unit(),
                    if wanted == Model::Open { "open" } else { "closed" },
                    wanted.unit()
                );
                return Err(src.error_at(&path, msg, None));
            }
        }
        levels.push(level);
    }
    let build = |n: usize| builder(&file.phase[..n], &levels[..n]).build();
    match build(file.phase.len()) {
        Ok(shape) => Ok(shape),
        Err(err) => {
            // The first prefix the builder refuses ends at the phase to blame.
            let (mut lo, mut hi) = (1, file.phase.len());
            while lo < hi {
                let mid = (lo + hi) / 2;
                if build(mid).is_err() {
                    hi = mid;
                } else {
                    lo = mid + 1;
                }
            }
            let err = build(lo).err().unwrap_or(err);
            Err(phase_error(src, lo - 1, &err))
        }
    }
}

fn phase_error(src: &FileSource, index: usize, err: &ShapeError) -> SpikeError {
    let msg = format!("phase {} is refused: {err}", index + 1);
    src.error_at(&[key("phase"), Seg::Index(index)], msg, None)
}

fn builder(phases: &[FilePhase], levels: &[Level]) -> ShapeBuilder {
    let mut b = Shape::builder();
    for (p, &level) in phases.iter().zip(levels) {
        b = match p.kind {
            FilePhaseKind::Ramp => b.ramp(level, p.duration.0),
            FilePhaseKind::Hold => b.hold(level, p.duration.0),
            FilePhaseKind::Burst => b.burst(level, p.duration.0),
            FilePhaseKind::Recover => b.recover(level, p.duration.0),
        };
        if let Some(name) = &p.name {
            b = b.named(name.clone());
        }
        if p.reference {
            b = b.reference();
        }
    }
    b
}

/// The phase's level and the path of the key that gives it.
fn level(phase: &FilePhase, i: usize, src: &FileSource) -> Result<(Level, Vec<Seg>), SpikeError> {
    let at = |k: &str| vec![key("phase"), Seg::Index(i), key(k)];
    let (level, unit) = match (phase.rps, phase.users) {
        (Some(v), None) => (Level::Rps(v), "rps"),
        (None, Some(v)) => (Level::Users(v), "users"),
        (Some(_), Some(_)) => {
            let msg = format!(
                "phase {} gives both `rps` and `users`: a phase has one level (`rps` for the \
                 open model, `users` for the closed model)",
                i + 1
            );
            return Err(src.error_at(&at("users"), msg, None));
        }
        (None, None) => {
            let msg = format!(
                "phase {} has no level: add `rps = <number>` (open model) or `users = <number>` \
                 (closed model)",
                i + 1
            );
            return Err(src.error_at(&[key("phase"), Seg::Index(i)], msg, None));
        }
    };
    let v = level.value();
    if !(v.is_finite() && v > 0.0) {
        let msg = format!(
            "phase {}: `{unit}` = {v} must be a number above zero",
            i + 1
        );
        return Err(src.error_at(&at(unit), msg, None));
    }
    if unit == "users" && v.fract() != 0.0 {
        let msg = format!("phase {}: `users` = {v} must be a whole number", i + 1);
        return Err(src.error_at(&at(unit), msg, None));
    }
    Ok((level, at(unit)))
}

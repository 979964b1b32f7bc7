//! Building a shape: phases described one by one, then checked all at once
//! by [`ShapeBuilder::build`]; scaling a shape rebuilds it the same way.

use std::time::Duration;

use crate::shape::error::ShapeError;
use crate::shape::level::{Level, Model};
use crate::shape::limits::{ShapeLimits, MAX_PHASES, MAX_RUN_DURATION, MAX_VIRTUAL_USERS};
use crate::shape::{Phase, PhaseKind, Shape};

impl Shape {
    /// Start describing a shape.
    pub fn builder() -> ShapeBuilder {
        ShapeBuilder::default()
    }

    /// The same shape with every level multiplied by `rate` and every
    /// duration by `time` (what `SPIKE_SCALE` and `SPIKE_TIME_SCALE` do).
    /// Closed-model levels are rounded to whole users (at least one).
    ///
    /// ```
    /// use spike_core::{rps, secs, Shape, ShapeError};
    ///
    /// let shape = Shape::builder().hold(rps(100), secs(10)).build()?;
    /// assert_eq!(shape.scaled(2.0, 0.5)?.duration(), secs(5));
    /// // A factor no run could honour is an error, not a panic.
    /// assert!(matches!(shape.scaled(1.0, 1e20), Err(ShapeError::ScaledTooLong { .. })));
    /// # Ok::<(), ShapeError>(())
    /// ```
    ///
    /// # Errors
    /// A factor that is not finite and above zero, a scaled duration beyond
    /// [`MAX_RUN_DURATION`], or a scaled shape that breaks a rule or a limit.
    pub fn scaled(&self, rate: f64, time: f64) -> Result<Shape, ShapeError> {
        self.scaled_with_limits(rate, time, ShapeLimits::default())
    }

    /// The shape rebuilt from its phases' kinds, levels, durations, names
    /// and reference marks, checked by every rule and the hard caps: a shape
    /// that did not come from [`ShapeBuilder::build`] (deserialized from an
    /// edited report, say) is refused instead of reaching the engine.
    pub(crate) fn revalidated(&self) -> Result<Shape, ShapeError> {
        let specs = self
            .phases
            .iter()
            .map(|p| PhaseSpec {
                kind: p.kind,
                level: p.to,
                duration: p.duration,
                name: Some(p.name.clone()),
                reference: p.reference,
            })
            .collect();
        ShapeBuilder {
            specs,
            marker_error: None,
            limits: ShapeLimits {
                max_duration: MAX_RUN_DURATION,
                max_iterations: u64::MAX,
                max_users: MAX_VIRTUAL_USERS,
            },
        }
        .build()
    }

    /// [`Shape::scaled`] with explicit limits.
    ///
    /// # Errors
    /// As [`Shape::scaled`].
    pub fn scaled_with_limits(
        &self,
        rate: f64,
        time: f64,
        limits: ShapeLimits,
    ) -> Result<Shape, ShapeError> {
        for (name, value) in [("rate", rate), ("time", time)] {
            if !(value.is_finite() && value > 0.0) {
                return Err(ShapeError::BadScale { name, value });
            }
        }
        let scale = |l: Level| match l {
            Level::Rps(v) => Level::Rps(v * rate),
            Level::Users(v) => Level::Users((v * rate).round().max(1.0)),
        };
        let mut specs = Vec::with_capacity(self.phases.len());
        for p in &self.phases {
            let seconds = p.duration.as_secs_f64() * time;
            let duration = Duration::try_from_secs_f64(seconds)
                .ok()
                .filter(|d| *d <= MAX_RUN_DURATION)
                .ok_or_else(|| ShapeError::ScaledTooLong {
                    phase: p.name.clone(),
                    duration: p.duration,
                    factor: time,
                })?;
            specs.push(PhaseSpec {
                kind: p.kind,
                level: scale(p.to),
                duration,
                name: Some(p.name.clone()),
                reference: p.reference,
            });
        }
        ShapeBuilder {
            specs,
            marker_error: None,
            limits,
        }
        .build()
    }
}

#[derive(Debug, Clone)]
struct PhaseSpec {
    kind: PhaseKind,
    level: Level,
    duration: Duration,
    name: Option<String>,
    reference: bool,
}

/// Describes a [`Shape`] phase by phase; nothing is checked until
/// [`ShapeBuilder::build`], which reports the first rule broken.
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct ShapeBuilder {
    specs: Vec<PhaseSpec>,
    marker_error: Option<ShapeError>,
    limits: ShapeLimits,
}

impl ShapeBuilder {
    fn push(mut self, kind: PhaseKind, level: Level, duration: Duration) -> Self {
        self.specs.push(PhaseSpec {
            kind,
            level,
            duration,
            name: None,
            reference: false,
        });
        self
    }

    /// Change the level linearly from the previous level (zero at the very
    /// start) to `to` over `duration`.
    pub fn ramp(self, to: Level, duration: Duration) -> Self {
        self.push(PhaseKind::Ramp, to, duration)
    }

    /// Keep `level` for `duration`.
    pub fn hold(self, level: Level, duration: Duration) -> Self {
        self.push(PhaseKind::Hold, level, duration)
    }

    /// Jump to `level`, which must be above the level before it, and keep it
    /// for `duration`.
    pub fn burst(self, level: Level, duration: Duration) -> Self {
        self.push(PhaseKind::Burst, level, duration)
    }

    /// Drop to `level` after a burst and keep it for `duration`. Recovery
    /// time is measured inside this phase.
    pub fn recover(self, level: Level, duration: Duration) -> Self {
        self.push(PhaseKind::Recover, level, duration)
    }

    /// Name the phase added just before (names appear in reports and in
    /// `.phase("name")` assertions).
    pub fn named(mut self, name: impl Into<String>) -> Self {
        match self.specs.last_mut() {
            Some(spec) => spec.name = Some(name.into()),
            None => {
                self.marker_error
                    .get_or_insert(ShapeError::MarkerWithoutPhase { marker: "named" });
            }
        }
        self
    }

    /// Mark the phase added just before as the reference phase that
    /// recovery is compared with (by default: the last `hold` before the
    /// first `burst`).
    pub fn reference(mut self) -> Self {
        match self.specs.last_mut() {
            Some(spec) => spec.reference = true,
            None => {
                self.marker_error
                    .get_or_insert(ShapeError::MarkerWithoutPhase {
                        marker: "reference",
                    });
            }
        }
        self
    }

    /// The old name of [`ShapeBuilder::reference`] ("baseline" now means
    /// only a saved run).
    #[deprecated(since = "0.2.0", note = "renamed to `reference()`")]
    pub fn baseline(self) -> Self {
        self.reference()
    }

    /// Replace the safety limits checked by [`ShapeBuilder::build`].
    pub fn limits(mut self, limits: ShapeLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Validate and build the shape.
    ///
    /// # Errors
    /// The first rule broken, as a [`ShapeError`] naming the phase and value.
    pub fn build(self) -> Result<Shape, ShapeError> {
        if let Some(err) = self.marker_error {
            return Err(err);
        }
        let first = self.specs.first().ok_or(ShapeError::Empty)?;
        if self.specs.len() > MAX_PHASES {
            return Err(ShapeError::TooManyPhases {
                count: self.specs.len(),
                limit: MAX_PHASES,
            });
        }
        let model = first.level.model();
        let names = assign_names(&self.specs)?;
        let mut phases: Vec<Phase> = Vec::with_capacity(self.specs.len());
        let mut start = Duration::ZERO;
        let mut reference_name: Option<&str> = None;
        let mut seen_burst = false;
        for (spec, name) in self.specs.iter().zip(&names) {
            let phase = name.clone();
            let level = spec.level;
            if level.model() != model {
                return Err(ShapeError::MixedModels {
                    phase,
                    level,
                    expected: model,
                    found: level.model(),
                });
            }
            let v = level.value();
            if !(v.is_finite() && v > 0.0) {
                return Err(ShapeError::NonPositiveLevel { phase, level });
            }
            if model == Model::Closed {
                if v.fract() != 0.0 {
                    return Err(ShapeError::FractionalUsers { phase, level });
                }
                let limit = self.limits.max_users.min(MAX_VIRTUAL_USERS);
                if v > limit as f64 {
                    return Err(ShapeError::TooManyUsers {
                        phase,
                        level,
                        limit,
                    });
                }
            }
            if spec.duration.is_zero() {
                return Err(ShapeError::ZeroDuration {
                    phase,
                    duration: spec.duration,
                });
            }
            let before = phases.last().map_or(level.with_value(0.0), |p| p.to);
            match spec.kind {
                PhaseKind::Burst if v <= before.value() => {
                    return Err(ShapeError::BurstNotAboveBefore {
                        phase,
                        burst: level,
                        before,
                    })
                }
                PhaseKind::Burst => seen_burst = true,
                PhaseKind::Recover if !seen_burst => {
                    return Err(ShapeError::RecoverWithoutBurst { phase })
                }
                _ => {}
            }
            if spec.reference {
                if let Some(first) = reference_name {
                    return Err(ShapeError::MultipleReferences {
                        first: first.to_owned(),
                        second: phase,
                    });
                }
                reference_name = Some(name);
            }
            let from = if spec.kind == PhaseKind::Ramp {
                before
            } else {
                level
            };
            let Some(end) = start.checked_add(spec.duration) else {
                return Err(ShapeError::DurationOverflow { phase });
            };
            phases.push(Phase {
                name: phase,
                kind: spec.kind,
                from,
                to: level,
                start,
                duration: spec.duration,
                reference: spec.reference,
            });
            start = end;
        }
        let limit = self.limits.max_duration.min(MAX_RUN_DURATION);
        if start > limit {
            return Err(ShapeError::TooLong {
                total: start,
                limit,
            });
        }
        let shape = Shape { model, phases };
        let planned = shape.planned_iterations();
        if planned > self.limits.max_iterations {
            return Err(ShapeError::TooManyIterations {
                planned,
                limit: self.limits.max_iterations,
            });
        }
        Ok(shape)
    }
}

/// Default names are the kind (`burst`), numbered from the second use on
/// (`burst-2`); explicit names must be unique.
fn assign_names(specs: &[PhaseSpec]) -> Result<Vec<String>, ShapeError> {
    let mut names: Vec<String> = Vec::with_capacity(specs.len());
    let mut per_kind = std::collections::HashMap::new();
    for spec in specs {
        let name = match &spec.name {
            Some(n) => n.clone(),
            None => {
                let count = per_kind.entry(spec.kind).or_insert(0u32);
                *count += 1;
                if *count == 1 {
                    spec.kind.as_str().to_owned()
                } else {
                    format!("{}-{}", spec.kind.as_str(), count)
                }
            }
        };
        if names.contains(&name) {
            return Err(ShapeError::DuplicatePhaseName { name });
        }
        names.push(name);
    }
    Ok(names)
}

//! Load shapes: a sequence of phases (ramp, hold, burst, recover) over one
//! load model, validated before any traffic is sent.

pub(crate) mod error;
pub(crate) mod level;
pub(crate) mod schedule;
pub(crate) mod units;

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::shape::error::ShapeError;
use crate::shape::level::{Level, Model};
use crate::shape::schedule::RateProfile;

/// What a phase does to the load level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhaseKind {
    /// Change the level linearly from the previous level (zero for the first
    /// phase) to the target over the duration.
    Ramp,
    /// Keep a constant level.
    Hold,
    /// Jump to a level above the previous one and keep it: the spike.
    Burst,
    /// Drop back to a level after a burst and keep it; recovery time is
    /// measured inside this phase.
    Recover,
}

impl PhaseKind {
    /// The lowercase name used as a default phase name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            PhaseKind::Ramp => "ramp",
            PhaseKind::Hold => "hold",
            PhaseKind::Burst => "burst",
            PhaseKind::Recover => "recover",
        }
    }
}

/// One validated phase of a [`Shape`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Phase {
    /// Unique name (defaults to the kind, `burst`, then `burst-2`, ...).
    pub name: String,
    /// What the phase does.
    pub kind: PhaseKind,
    /// Level at the start of the phase.
    pub from: Level,
    /// Level at the end of the phase.
    pub to: Level,
    /// Offset of the phase start from the start of the run.
    #[serde(with = "crate::serde_micros")]
    pub start: Duration,
    /// How long the phase lasts.
    #[serde(with = "crate::serde_micros")]
    pub duration: Duration,
    /// Whether this phase is the baseline for recovery.
    pub baseline: bool,
}

impl Phase {
    /// Offset of the phase end from the start of the run.
    #[must_use]
    pub fn end(&self) -> Duration {
        self.start.saturating_add(self.duration)
    }

    /// Whether `offset` (from run start) falls inside this phase.
    #[must_use]
    pub fn contains(&self, offset: Duration) -> bool {
        offset >= self.start && offset < self.end()
    }
}

/// The longest a run can last, whatever [`ShapeLimits::max_duration`] says
/// (365 days): the engine's clocks and window indexes are sized for it.
pub const MAX_RUN_DURATION: Duration = Duration::from_secs(365 * 24 * 3600);

/// The most phases a shape may have.
pub const MAX_PHASES: usize = 10_000;

/// The most virtual users a closed-model level may ask for, whatever
/// [`ShapeLimits::max_users`] says (the engine keeps one slot per user).
pub const MAX_VIRTUAL_USERS: u64 = 1_000_000;

/// Safety limits checked when a shape is built. Defaults: 24 h, 100 million
/// open-model iterations, 100,000 virtual users. A shape never lasts longer
/// than [`MAX_RUN_DURATION`], has more than [`MAX_PHASES`] phases or more
/// than [`MAX_VIRTUAL_USERS`] users, whatever the limits say.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShapeLimits {
    /// Longest total duration accepted.
    pub max_duration: Duration,
    /// Most open-model iterations a shape may plan.
    pub max_iterations: u64,
    /// Most virtual users a closed-model level may ask for.
    pub max_users: u64,
}

impl Default for ShapeLimits {
    fn default() -> Self {
        ShapeLimits {
            max_duration: Duration::from_secs(24 * 3600),
            max_iterations: 100_000_000,
            max_users: 100_000,
        }
    }
}

/// A validated load shape. Build one with [`Shape::builder`].
///
/// ```
/// use spike_core::{rps, secs, Shape};
///
/// let shape = Shape::builder()
///     .ramp(rps(100), secs(5))
///     .hold(rps(100), secs(10))
///     .burst(rps(1_000), secs(10))
///     .recover(rps(100), secs(30))
///     .build()?;
/// assert_eq!(shape.duration(), secs(55));
/// assert_eq!(shape.phase("burst").unwrap().start, secs(15));
/// # Ok::<(), spike_core::ShapeError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shape {
    model: Model,
    phases: Vec<Phase>,
}

impl Shape {
    /// Start describing a shape.
    pub fn builder() -> ShapeBuilder {
        ShapeBuilder::default()
    }

    /// The load model every phase uses.
    #[must_use]
    pub fn model(&self) -> Model {
        self.model
    }

    /// The phases in order.
    #[must_use]
    pub fn phases(&self) -> &[Phase] {
        &self.phases
    }

    /// The phase with this name.
    #[must_use]
    pub fn phase(&self, name: &str) -> Option<&Phase> {
        self.phases.iter().find(|p| p.name == name)
    }

    /// Total duration of all phases.
    #[must_use]
    pub fn duration(&self) -> Duration {
        self.phases.last().map_or(Duration::ZERO, Phase::end)
    }

    /// Index of the phase active at `offset` from the run start (the last
    /// phase for offsets at or past the end).
    #[must_use]
    pub fn phase_index_at(&self, offset: Duration) -> usize {
        self.phases
            .iter()
            .position(|p| offset < p.end())
            .unwrap_or(self.phases.len() - 1)
    }

    /// The load level at `offset` from the run start (linear inside ramps).
    #[must_use]
    pub fn level_at(&self, offset: Duration) -> Level {
        let phase = &self.phases[self.phase_index_at(offset)];
        let into = offset.saturating_sub(phase.start).as_secs_f64();
        let frac = (into / phase.duration.as_secs_f64()).clamp(0.0, 1.0);
        let value = phase.from.value() + (phase.to.value() - phase.from.value()) * frac;
        phase.to.with_value(value)
    }

    /// The baseline phase: the one marked `.baseline()`, else the last
    /// `hold` before the first `burst`.
    #[must_use]
    pub fn baseline_index(&self) -> Option<usize> {
        if let Some(i) = self.phases.iter().position(|p| p.baseline) {
            return Some(i);
        }
        let first_burst = self
            .phases
            .iter()
            .position(|p| p.kind == PhaseKind::Burst)?;
        self.phases[..first_burst]
            .iter()
            .rposition(|p| p.kind == PhaseKind::Hold)
    }

    /// The first `recover` phase after a burst: where recovery is measured.
    #[must_use]
    pub fn recover_index(&self) -> Option<usize> {
        let first_burst = self
            .phases
            .iter()
            .position(|p| p.kind == PhaseKind::Burst)?;
        self.phases[first_burst..]
            .iter()
            .position(|p| p.kind == PhaseKind::Recover)
            .map(|i| i + first_burst)
    }

    /// For the open model: iterations the shape plans to start.
    #[must_use]
    pub fn planned_iterations(&self) -> u64 {
        match self.model {
            Model::Open => RateProfile::new(self).total_iterations(),
            Model::Closed => 0,
        }
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
    /// and baseline marks, checked by every rule and the hard caps: a shape
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
                baseline: p.baseline,
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
                baseline: p.baseline,
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
    baseline: bool,
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
            baseline: false,
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

    /// Mark the phase added just before as the baseline that recovery is
    /// compared with (by default: the last `hold` before the first `burst`).
    pub fn baseline(mut self) -> Self {
        match self.specs.last_mut() {
            Some(spec) => spec.baseline = true,
            None => {
                self.marker_error
                    .get_or_insert(ShapeError::MarkerWithoutPhase { marker: "baseline" });
            }
        }
        self
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
        let mut baseline_name: Option<&str> = None;
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
            if spec.baseline {
                if let Some(first) = baseline_name {
                    return Err(ShapeError::MultipleBaselines {
                        first: first.to_owned(),
                        second: phase,
                    });
                }
                baseline_name = Some(name);
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
                baseline: spec.baseline,
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

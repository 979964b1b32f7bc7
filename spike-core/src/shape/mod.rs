//! Load shapes: a sequence of phases (ramp, hold, burst, recover) over one
//! load model, validated before any traffic is sent.

pub(crate) mod builder;
pub(crate) mod error;
pub(crate) mod level;
pub(crate) mod limits;
pub(crate) mod schedule;
pub(crate) mod units;

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::shape::level::{Level, Model};

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
    /// Whether this phase is the reference phase recovery is compared with
    /// (read from `"baseline"` too, its name in older reports).
    #[serde(alias = "baseline")]
    pub reference: bool,
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

    /// The reference phase: the one marked `.reference()`, else the last
    /// `hold` before the first `burst`.
    #[must_use]
    pub fn reference_index(&self) -> Option<usize> {
        if let Some(i) = self.phases.iter().position(|p| p.reference) {
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

    /// The old name of [`Shape::reference_index`].
    #[deprecated(since = "0.2.0", note = "renamed to `reference_index()`")]
    #[must_use]
    pub fn baseline_index(&self) -> Option<usize> {
        self.reference_index()
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
}

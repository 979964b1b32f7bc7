//! The typed error a bad load shape produces, before any traffic is sent.

use std::time::Duration;

use crate::shape::level::{Level, Model};

/// Why a load shape was refused. Every variant names the phase and the value
/// at fault, so the message says what to change.
///
/// `Debug` prints the same sentence as `Display`, so `.unwrap()` and
/// `.expect(..)` show why the shape was refused.
#[derive(Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ShapeError {
    /// The shape has no phase at all.
    #[error("the load shape is empty: add at least one phase (ramp, hold, burst or recover)")]
    Empty,
    /// A level is zero, negative or not a finite number.
    #[error("phase `{phase}`: level {level} must be a finite number above zero")]
    NonPositiveLevel {
        /// The phase at fault.
        phase: String,
        /// The level given.
        level: Level,
    },
    /// A phase lasts zero time.
    #[error("phase `{phase}`: duration must be above zero, got {duration:?}")]
    ZeroDuration {
        /// The phase at fault.
        phase: String,
        /// The duration given.
        duration: Duration,
    },
    /// The shape mixes `rps(..)` and `users(..)` levels.
    #[error("phase `{phase}`: level {level} uses the {found} model but the shape started with the {expected} model; one shape uses one model")]
    MixedModels {
        /// The phase at fault.
        phase: String,
        /// The level given.
        level: Level,
        /// The model of the first phase.
        expected: Model,
        /// The model of this phase.
        found: Model,
    },
    /// A `recover` phase with no `burst` before it.
    #[error("phase `{phase}`: a recover phase needs a burst before it to recover from")]
    RecoverWithoutBurst {
        /// The phase at fault.
        phase: String,
    },
    /// A `burst` whose level is not above the level the load was at just before.
    #[error("phase `{phase}`: burst level {burst} is not above the level before it ({before})")]
    BurstNotAboveBefore {
        /// The phase at fault.
        phase: String,
        /// The burst level.
        burst: Level,
        /// The level the load was at when the burst starts.
        before: Level,
    },
    /// A `users(..)` level that is not a whole number.
    #[error("phase `{phase}`: {level} is not a whole number of users")]
    FractionalUsers {
        /// The phase at fault.
        phase: String,
        /// The level given.
        level: Level,
    },
    /// Two phases share one name.
    #[error("phase name `{name}` is used twice; names identify phases in reports and assertions")]
    DuplicatePhaseName {
        /// The name used twice.
        name: String,
    },
    /// More than one phase is marked `.reference()`.
    #[error("phases `{first}` and `{second}` are both marked as the reference phase; mark one")]
    MultipleReferences {
        /// The first phase marked.
        first: String,
        /// The second phase marked.
        second: String,
    },
    /// `.named(..)` or `.reference()` was called before any phase was added.
    #[error(
        "`.{marker}()` was called before any phase; it applies to the phase added just before it"
    )]
    MarkerWithoutPhase {
        /// The marker method called.
        marker: &'static str,
    },
    /// The whole shape would last longer than the safety limit.
    #[error("the shape lasts {total:?}, above the limit of {limit:?}; raise it with `ShapeLimits` if this is intended (up to {:?}, the most a run can last)", crate::shape::limits::MAX_RUN_DURATION)]
    TooLong {
        /// Sum of all phase durations.
        total: Duration,
        /// The limit in force.
        limit: Duration,
    },
    /// The open-model shape would start more iterations than the safety limit.
    #[error("the shape would start {planned} iterations, above the limit of {limit}; raise it with `ShapeLimits` if this is intended")]
    TooManyIterations {
        /// Iterations the shape plans to start.
        planned: u64,
        /// The limit in force.
        limit: u64,
    },
    /// A closed-model level above the safety limit on virtual users.
    #[error("phase `{phase}`: {level} is above the limit of {limit} virtual users; raise it with `ShapeLimits` if this is intended (up to {})", crate::shape::limits::MAX_VIRTUAL_USERS)]
    TooManyUsers {
        /// The phase at fault.
        phase: String,
        /// The level given.
        level: Level,
        /// The limit in force.
        limit: u64,
    },
    /// A scale factor (`SPIKE_SCALE`, `SPIKE_TIME_SCALE`) that is not a finite number above zero.
    #[error("scale factor `{name}` must be a finite number above zero, got {value}")]
    BadScale {
        /// Which factor.
        name: &'static str,
        /// The value given.
        value: f64,
    },
    /// Scaling a phase's duration by the time factor gives a duration
    /// beyond what a run can last.
    #[error("phase `{phase}`: {duration:?} × time scale {factor} is beyond {:?}, the most a run can last", crate::shape::limits::MAX_RUN_DURATION)]
    ScaledTooLong {
        /// The phase at fault.
        phase: String,
        /// Its duration before scaling.
        duration: Duration,
        /// The time factor.
        factor: f64,
    },
    /// The phases' durations add up to more than a run can last (the sum
    /// overflows before any limit applies).
    #[error("phase `{phase}`: the durations up to this phase add up to more than {:?}, the most a run can last", crate::shape::limits::MAX_RUN_DURATION)]
    DurationOverflow {
        /// The phase at which the sum overflowed.
        phase: String,
    },
    /// More phases than a report can index.
    #[error("the shape has {count} phases, above the limit of {limit}")]
    TooManyPhases {
        /// Phases given.
        count: usize,
        /// The most phases a shape may have.
        limit: usize,
    },
}

crate::__debug_as_display!(ShapeError);

//! What a scenario was told, as plain data: for scenario files (written
//! back as TOML) and for comparing two scenarios.

use std::time::Duration;

use super::Scenario;
use crate::recovery::RecoveryCriteria;
use crate::shape::Shape;

/// Every setting of a [`Scenario`] that describes the load, as given to the
/// builder (before `SPIKE_SCALE` and the run's checks). Hooks, sinks, chaos
/// plans and abort rules are code, not settings, and are not in it.
///
/// ```
/// use spike_core::{ms, rps, Scenario, Shape};
/// let shape = Shape::builder().hold(rps(50), ms(500)).build()?;
/// let a = Scenario::new("a").shape(shape.clone()).seed(7);
/// let b = Scenario::new("a").shape(shape).seed(7);
/// assert_eq!(a.settings(), b.settings());
/// assert_eq!(a.settings().seed, Some(7));
/// # Ok::<(), spike_core::ShapeError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ScenarioSettings {
    /// The scenario's name.
    pub name: String,
    /// The load shape, once given.
    pub shape: Option<Shape>,
    /// The window length, when set (else chosen from the shape's duration).
    pub window: Option<Duration>,
    /// Most iterations in flight at once.
    pub max_in_flight: u64,
    /// Per-iteration timeout.
    pub iteration_timeout: Duration,
    /// Time iterations still in flight get after the shape ends.
    pub drain_timeout: Duration,
    /// Pause between a user's iterations (closed model).
    pub think_time: Duration,
    /// What "recovered" means.
    pub recovery: RecoveryCriteria,
    /// Schedule-lag p99 above which the generator counts as saturated.
    pub lag_budget: Duration,
    /// The seed, when set (else derived from the name).
    pub seed: Option<u64>,
    /// Factor on every rate and user count.
    pub rate_scale: f64,
    /// Factor on every duration.
    pub time_scale: f64,
}

impl Scenario {
    /// The settings this scenario was given (see [`ScenarioSettings`]).
    #[must_use]
    pub fn settings(&self) -> ScenarioSettings {
        ScenarioSettings {
            name: self.name.clone(),
            shape: self.shape.clone(),
            window: self.window,
            max_in_flight: self.max_in_flight,
            iteration_timeout: self.iteration_timeout,
            drain_timeout: self.drain_timeout,
            think_time: self.think_time,
            recovery: self.recovery,
            lag_budget: self.lag_budget,
            seed: self.seed,
            rate_scale: self.rate_scale,
            time_scale: self.time_scale,
        }
    }
}

impl From<ScenarioSettings> for Scenario {
    /// A scenario with these settings (and no hooks, sinks, chaos or abort
    /// rules): `Scenario::from(a.settings())` describes the same load as `a`.
    fn from(s: ScenarioSettings) -> Self {
        let mut scenario = Scenario::new(s.name)
            .max_in_flight(s.max_in_flight)
            .iteration_timeout(s.iteration_timeout)
            .drain_timeout(s.drain_timeout)
            .think_time(s.think_time)
            .recovery_criteria(s.recovery)
            .lag_budget(s.lag_budget)
            .scale(s.rate_scale, s.time_scale);
        scenario.shape = s.shape;
        scenario.window = s.window;
        scenario.seed = s.seed;
        scenario
    }
}

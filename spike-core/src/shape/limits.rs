//! The safety limits a shape is checked against when it is built.

use std::time::Duration;

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

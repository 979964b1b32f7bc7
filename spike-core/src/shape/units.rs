//! Small constructors for the values a spike test is written in: durations,
//! percentages.

use std::time::Duration;

/// `secs(30)` is a [`Duration`] of thirty seconds.
///
/// ```
/// assert_eq!(spike_core::secs(2), std::time::Duration::from_secs(2));
/// ```
#[must_use]
pub const fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// `ms(250)` is a [`Duration`] of 250 milliseconds.
///
/// ```
/// assert_eq!(spike_core::ms(250), std::time::Duration::from_millis(250));
/// ```
#[must_use]
pub const fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A percentage, stored as a fraction: `pct(2)` is `0.02`.
///
/// ```
/// assert_eq!(spike_core::pct(2).fraction(), 0.02);
/// assert_eq!(spike_core::pct(2.5).to_string(), "2.50%");
/// ```
#[must_use]
pub fn pct(n: impl Into<f64>) -> Percent {
    Percent(n.into() / 100.0)
}

/// A percentage such as an error rate or a share; see [`pct`].
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, serde::Serialize, serde::Deserialize)]
pub struct Percent(f64);

impl Percent {
    /// A percentage from a fraction (`0.02` is 2%).
    #[must_use]
    pub const fn from_fraction(fraction: f64) -> Self {
        Percent(fraction)
    }

    /// The value as a fraction in `[0, 1]` for ordinary rates.
    #[must_use]
    pub const fn fraction(self) -> f64 {
        self.0
    }
}

impl std::fmt::Display for Percent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:.2}%", self.0 * 100.0)
    }
}

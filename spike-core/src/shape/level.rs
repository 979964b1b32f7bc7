//! Load levels: an arrival rate (open model) or a number of virtual users
//! (closed model).

use serde::{Deserialize, Serialize};

/// Which load model a shape uses. One shape uses exactly one model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Model {
    /// Iterations *start* at scheduled instants whether or not earlier ones
    /// finished (arrival rate, `rps(n)`). Latency is measured from the
    /// intended start, which corrects for coordinated omission.
    Open,
    /// N virtual users each loop `iteration; think time` (`users(n)`).
    /// Latency starts at the actual start.
    Closed,
}

impl Model {
    /// The unit a level of this model is given in: `rps` or `users`.
    ///
    /// ```
    /// use spike_core::Model;
    /// assert_eq!(Model::Open.unit(), "rps");
    /// assert_eq!(Model::Closed.unit(), "users");
    /// ```
    #[must_use]
    pub fn unit(self) -> &'static str {
        match self {
            Model::Open => "rps",
            Model::Closed => "users",
        }
    }
}

impl std::fmt::Display for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Model::Open => "open (arrival rate)",
            Model::Closed => "closed (virtual users)",
        })
    }
}

/// A load level: `rps(500)` or `users(50)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "model", content = "value", rename_all = "snake_case")]
pub enum Level {
    /// Iterations started per second (open model).
    Rps(f64),
    /// Concurrent virtual users (closed model). Kept as a float so that a
    /// negative or fractional input can be reported rather than truncated.
    Users(f64),
}

impl Level {
    /// The model this level belongs to.
    #[must_use]
    pub fn model(self) -> Model {
        match self {
            Level::Rps(_) => Model::Open,
            Level::Users(_) => Model::Closed,
        }
    }

    /// The numeric value (iterations per second or users).
    #[must_use]
    pub fn value(self) -> f64 {
        match self {
            Level::Rps(v) | Level::Users(v) => v,
        }
    }

    pub(crate) fn with_value(self, value: f64) -> Level {
        match self {
            Level::Rps(_) => Level::Rps(value),
            Level::Users(_) => Level::Users(value),
        }
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", trim_float(self.value()), self.model().unit())
    }
}

pub(crate) fn trim_float(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v:.3}")
    }
}

/// An open-model level: `n` iterations started per second.
///
/// ```
/// use spike_core::{rps, Level};
/// assert_eq!(rps(500), Level::Rps(500.0));
/// assert_eq!(rps(0.5).to_string(), "0.500 rps");
/// ```
#[must_use]
pub fn rps(n: impl Into<f64>) -> Level {
    Level::Rps(n.into())
}

/// A closed-model level: `n` concurrent virtual users.
///
/// ```
/// use spike_core::{users, Level};
/// assert_eq!(users(50), Level::Users(50.0));
/// ```
#[must_use]
pub fn users(n: impl Into<f64>) -> Level {
    Level::Users(n.into())
}

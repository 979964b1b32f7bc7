//! Errors a scenario reports before sending any traffic.

use std::time::Duration;

use crate::shape_error::ShapeError;

/// Why a scenario refused to run. Nothing was sent when this is returned.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SpikeError {
    /// The load shape is invalid.
    #[error("{}invalid load shape: {source}", scenario_prefix(.scenario))]
    Shape {
        /// Scenario name, when the shape was checked for a scenario.
        scenario: Option<String>,
        /// What is wrong with the shape.
        #[source]
        source: ShapeError,
    },
    /// No shape was given.
    #[error("scenario `{scenario}` has no load shape: call `.shape(..)` before `.run(..)`")]
    NoShape {
        /// Scenario name.
        scenario: String,
    },
    /// The window length is unusable.
    #[error("scenario `{scenario}`: window {window:?} must be at least 10ms and at most the shape's duration ({shape:?})")]
    BadWindow {
        /// Scenario name.
        scenario: String,
        /// The window asked for.
        window: Duration,
        /// The shape's duration.
        shape: Duration,
    },
    /// A setting that must be above zero is zero.
    #[error("scenario `{scenario}`: `{setting}` must be above zero")]
    ZeroSetting {
        /// Scenario name.
        scenario: String,
        /// The setting.
        setting: &'static str,
    },
    /// An environment variable spike reads has a bad value.
    #[error("environment variable {var}={value:?} is not a number above zero")]
    BadEnv {
        /// The variable.
        var: &'static str,
        /// Its value.
        value: String,
    },
    /// `run` was called outside a tokio runtime.
    #[error("spike needs a tokio runtime with the time driver enabled: call `run` inside `#[spike_test]`, `#[tokio::test]` or `Runtime::block_on`")]
    NoRuntime,
}

fn scenario_prefix(scenario: &Option<String>) -> String {
    scenario
        .as_ref()
        .map_or_else(String::new, |s| format!("scenario `{s}`: "))
}

impl From<ShapeError> for SpikeError {
    fn from(source: ShapeError) -> Self {
        SpikeError::Shape {
            scenario: None,
            source,
        }
    }
}

//! Checking a scenario's settings before any traffic: every bad value is a
//! [`SpikeError`] naming it; a good set becomes the engine's [`RunConfig`].

use std::time::Duration;

use super::{Scenario, DEFAULT_WINDOW, MAX_SETTING_DURATION, SHORT_SHAPE, SHORT_WINDOW};
use crate::engine::RunConfig;
use crate::error::SpikeError;

impl Scenario {
    /// Check every setting and return the run configuration.
    pub(super) fn validate(self) -> Result<RunConfig, SpikeError> {
        let scenario = self.name;
        let Some(shape) = self.shape else {
            return Err(SpikeError::NoShape { scenario });
        };
        // A deserialized shape skipped the builder's checks.
        let shape = shape.revalidated().map_err(|source| SpikeError::Shape {
            scenario: Some(scenario.clone()),
            source,
        })?;
        let shape = if self.rate_scale == 1.0 && self.time_scale == 1.0 {
            shape
        } else {
            shape
                .scaled(self.rate_scale, self.time_scale)
                .map_err(|source| SpikeError::Shape {
                    scenario: Some(scenario.clone()),
                    source,
                })?
        };
        let chaos = self.chaos.scaled(self.time_scale);
        if let Some((fault, reason)) = chaos.problem(shape.duration()) {
            return Err(SpikeError::BadFault {
                scenario,
                fault,
                reason,
            });
        }
        let window = self.window.unwrap_or(if shape.duration() < SHORT_SHAPE {
            SHORT_WINDOW
        } else {
            DEFAULT_WINDOW
        });
        if window < Duration::from_millis(10) || window > shape.duration() {
            return Err(SpikeError::BadWindow {
                scenario,
                window,
                shape: shape.duration(),
            });
        }
        for (setting, zero) in [
            ("max_in_flight", self.max_in_flight == 0),
            ("iteration_timeout", self.iteration_timeout.is_zero()),
            ("recovery sustain", self.recovery.sustain == 0),
        ] {
            if zero {
                return Err(SpikeError::ZeroSetting { scenario, setting });
            }
        }
        for (setting, value) in [
            ("iteration_timeout", self.iteration_timeout),
            ("drain_timeout", self.drain_timeout),
            ("think_time", self.think_time),
        ] {
            if value > MAX_SETTING_DURATION {
                return Err(SpikeError::BadSetting {
                    scenario,
                    setting,
                    value: format!("{value:?}"),
                    expected: "at most 24h (MAX_SETTING_DURATION): every run stops by itself",
                });
            }
        }
        for (setting, value) in [
            ("recovery tolerance", self.recovery.tolerance),
            ("recovery epsilon", self.recovery.epsilon),
        ] {
            if !(value.is_finite() && value >= 0.0) {
                return Err(SpikeError::BadSetting {
                    scenario,
                    setting,
                    value: value.to_string(),
                    expected: "a finite number, zero or above",
                });
            }
        }
        if let Some((rule, reason)) = crate::abort::first_problem(&self.abort) {
            return Err(SpikeError::BadAbort {
                scenario,
                rule,
                reason,
            });
        }
        let resources =
            self.resources
                .open()
                .map_err(|(series, reason)| SpikeError::BadResources {
                    scenario: scenario.clone(),
                    series,
                    reason,
                })?;
        if let Some(at) = self.start_at {
            crate::shard::check_distance("Scenario::start_at", at, std::time::SystemTime::now())?;
        }
        let seed = self.seed.unwrap_or_else(|| {
            scenario.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
            })
        });
        Ok(RunConfig {
            scenario,
            shape,
            window,
            max_in_flight: self.max_in_flight,
            iteration_timeout: self.iteration_timeout,
            drain_timeout: self.drain_timeout,
            think_time: self.think_time,
            recovery: self.recovery,
            lag_budget: self.lag_budget,
            seed,
            rate_scale: self.rate_scale,
            time_scale: self.time_scale,
            stop: self.stop,
            on_progress: self.on_progress,
            on_window: self.on_window,
            on_recorded: None,
            chaos,
            abort: self.abort,
            resources,
            shard: self.shard,
            start_at: self.start_at,
        })
    }
}

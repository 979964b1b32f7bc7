//! Errors a scenario reports before sending any traffic.

use std::time::Duration;

use crate::shape::error::ShapeError;

/// Why a scenario refused to run. Nothing was sent when this is returned.
///
/// `Debug` prints the same sentence as `Display`, so `.unwrap()` and
/// `.expect(..)` show why a value was refused, not just its fields.
#[derive(Clone, PartialEq, thiserror::Error)]
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
    /// A setting outside the values it accepts (a timeout beyond
    /// [`MAX_SETTING_DURATION`](crate::MAX_SETTING_DURATION), a
    /// recovery tolerance that is not a number, ...).
    #[error("scenario `{scenario}`: `{setting}` = {value} is refused: it must be {expected}")]
    BadSetting {
        /// Scenario name.
        scenario: String,
        /// The setting.
        setting: &'static str,
        /// The value given, as text.
        value: String,
        /// What the setting accepts.
        expected: &'static str,
    },
    /// An environment variable spike reads has a bad value.
    #[error("environment variable {var}={value:?} is refused: it must be {expected}")]
    BadEnv {
        /// The variable.
        var: &'static str,
        /// Its value (lossily decoded when it is not Unicode).
        value: String,
        /// What the variable accepts.
        expected: &'static str,
    },
    /// The workload's own settings are unusable (a header name that is not
    /// one, a request path that does not start with `/`, ...): the run is
    /// refused before any traffic. See [`crate::Workload::check`].
    #[error("scenario `{scenario}`: the workload is refused: {reason}")]
    BadWorkload {
        /// Scenario name.
        scenario: String,
        /// What is wrong, as the workload said it.
        reason: String,
    },
    /// A fault of the scenario's chaos plan is unusable (an empty or
    /// repeated name, a zero length, a start at or after the shape's end).
    #[error("scenario `{scenario}`: fault `{fault}` is refused: {reason}")]
    BadFault {
        /// Scenario name.
        scenario: String,
        /// The fault's name, as given.
        fault: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An abort rule of [`Scenario::abort_when`](crate::Scenario::abort_when)
    /// is unusable (K = 0 windows, a threshold that is not a number).
    #[error("scenario `{scenario}`: abort rule `{rule}` is refused: {reason}")]
    BadAbort {
        /// Scenario name.
        scenario: String,
        /// The rule, as text.
        rule: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A setting of a capacity search ([`crate::stress::Stress`]) is
    /// unusable; nothing was sent.
    #[error("capacity search `{search}`: `{setting}` = {value} is refused: it must be {expected}")]
    BadStress {
        /// The search's name.
        search: String,
        /// The setting.
        setting: &'static str,
        /// The value given, as text.
        value: String,
        /// What the setting accepts.
        expected: &'static str,
    },
    /// A resource series of [`Scenario::sample_resources`](crate::Scenario::sample_resources)
    /// cannot be sampled: a pid not running, a process where the platform
    /// has no procfs, an empty or repeated series name.
    #[error("scenario `{scenario}`: resource series `{series}` cannot be sampled: {reason}")]
    BadResources {
        /// Scenario name.
        scenario: String,
        /// The series (`pid:<pid>`, `spike`, or the probe's name).
        series: String,
        /// What is wrong with it.
        reason: String,
    },
    /// `run` was called outside a tokio runtime.
    #[error("spike needs a tokio runtime with the time driver enabled: call `run` inside `#[spike_test]`, `#[tokio::test]` or `Runtime::block_on`")]
    NoRuntime,
    /// A shard setting (see [`crate::shard`]) is refused: a shard `i/n`
    /// with `n` = 0 or `i` ≥ `n`, text that is not `i/n`, `SPIKE_SHARD`
    /// disagreeing with `SPIKE_SHARD_COUNT` / `JOB_COMPLETION_INDEX`, a start
    /// instant that is not RFC 3339 or Unix seconds, or one more than 24 h
    /// away.
    #[error("shard setting {setting} = {value:?} is refused: {reason}")]
    BadShard {
        /// Where the value came from: an environment variable
        /// (`SPIKE_SHARD`, `SPIKE_START_AT`, ...) or a builder method
        /// (`Shard::new`, `Scenario::start_at`).
        setting: &'static str,
        /// The value given, as text.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A scenario file (TOML, see [`crate::scenario_file`]) is refused: a
    /// syntax error, an unknown key, a value of the wrong type or unit, or
    /// a setting the builder refuses. `line` and `column` are 1-based (0
    /// when the problem is the whole file, e.g. it cannot be read);
    /// `suggestion` is the closest known key or value for a misspelt one.
    #[error("{}", file_message(.file, *.line, *.column, .message, .suggestion.as_deref()))]
    ScenarioFile {
        /// The file's path (or the origin given to the parser).
        file: String,
        /// 1-based line, 0 for the whole file.
        line: usize,
        /// 1-based column (in characters), 0 for the whole file.
        column: usize,
        /// What is wrong.
        message: String,
        /// The closest known key or value, for a misspelt one.
        suggestion: Option<String>,
    },
    /// The merge step of a sharded run (`SPIKE_MERGE=1`) could not merge
    /// the shard outputs ([`crate::merge`]).
    #[error("{0}")]
    Merge(#[from] crate::merge::error::MergeError),
}

/// Implement `Debug` as the type's `Display` sentence, so that `.unwrap()`
/// and `{:?}` say why a value was refused rather than listing fields. For
/// spike's error types (the facade's drivers use it too).
#[doc(hidden)]
#[macro_export]
macro_rules! __debug_as_display {
    ($($error:ty),+ $(,)?) => {$(
        /// The `Display` sentence: what `.unwrap()` prints.
        impl ::std::fmt::Debug for $error {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::fmt::Display::fmt(self, f)
            }
        }
    )+};
}

crate::__debug_as_display!(SpikeError);

fn scenario_prefix(scenario: &Option<String>) -> String {
    scenario
        .as_ref()
        .map_or_else(String::new, |s| format!("scenario `{s}`: "))
}

fn file_message(
    file: &str,
    line: usize,
    column: usize,
    message: &str,
    suggestion: Option<&str>,
) -> String {
    let place = if line == 0 {
        format!("{file}: ")
    } else {
        format!("{file}:{line}:{column}: ")
    };
    let hint = suggestion.map_or_else(String::new, |s| format!(" (did you mean `{s}`?)"));
    format!("{place}{message}{hint}")
}

impl From<ShapeError> for SpikeError {
    fn from(source: ShapeError) -> Self {
        SpikeError::Shape {
            scenario: None,
            source,
        }
    }
}

/// The value of environment variable `var`: `None` when unset, an error
/// naming the variable and `expected` when it is not valid Unicode.
pub(crate) fn env_text(
    var: &'static str,
    expected: &'static str,
) -> Result<Option<String>, SpikeError> {
    match std::env::var(var) {
        Ok(v) => Ok(Some(v)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(v)) => Err(SpikeError::BadEnv {
            var,
            value: v.to_string_lossy().into_owned(),
            expected,
        }),
    }
}

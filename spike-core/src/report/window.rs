//! The stats of one time window of a run.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::recording::stats::Stats;
use crate::report::resource_sample::ResourceSample;

/// Stats of one time window, keyed by intended start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WindowStats {
    /// Window number from the run start.
    pub index: u64,
    /// Window start offset.
    #[serde(with = "crate::serde_micros")]
    pub start: Duration,
    /// Window end offset (the last window may be shorter).
    #[serde(with = "crate::serde_micros")]
    pub end: Duration,
    /// Phase active at the window start.
    pub phase: String,
    /// Metrics of the iterations whose intended start lies in the window.
    pub stats: Stats,
    /// Served: iterations (success or error) whose *completion* instant lies
    /// in the window, whenever they were due. Where `stats` counts what was
    /// offered in the window, this counts what the target got through in it;
    /// under overload the two differ (see [`WindowStats::served_rate`]).
    /// Completions after the planned end (the drain) are in no window.
    /// Final in the report; in a window handed to an `on_window` observer
    /// (at close) it may still grow by completions recorded a moment late.
    #[serde(default)]
    pub served: u64,
    /// Names of the faults active during any part of the window (by their
    /// actual edges), in plan order; empty without faults.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<String>,
    /// Resource samples taken at the window's end, by series name (see
    /// [`crate::soak`]); empty without
    /// [`Scenario::sample_resources`](crate::Scenario::sample_resources), and
    /// without an entry for a series that could not be read then (a
    /// process that exited). Filled in the report; a window handed to an
    /// `on_window` observer at close has none yet.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub resources: BTreeMap<String, ResourceSample>,
}

impl WindowStats {
    /// Length of the window (the last one may be shorter).
    #[must_use]
    pub fn span(&self) -> Duration {
        self.end.saturating_sub(self.start)
    }

    /// Offered rate: iterations started per second, counted by intended
    /// start (`stats.achieved_rate`).
    #[must_use]
    pub fn offered_rate(&self) -> f64 {
        self.stats.achieved_rate
    }

    /// Served rate: completions per second, counted by completion instant
    /// (`served / window length`; 0 for an empty span).
    #[must_use]
    pub fn served_rate(&self) -> f64 {
        let len = self.span().as_secs_f64();
        if len > 0.0 {
            self.served as f64 / len
        } else {
            0.0
        }
    }
}

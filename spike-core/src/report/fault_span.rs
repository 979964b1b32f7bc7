//! A fault of the run as the report keeps it: when it was planned and when
//! the fault clock really switched it.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// One planned fault with its planned and actual edges, as offsets from the
/// run start (µs in `report.json`, like the other durations).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultSpan {
    /// The fault's name in the plan.
    pub name: String,
    /// What it does ([`Fault::describe`](crate::faults::Fault::describe)).
    pub description: String,
    /// Planned start.
    #[serde(with = "crate::serde_micros")]
    pub planned_start: Duration,
    /// Planned end (start + length), which may lie after the shape's end.
    #[serde(with = "crate::serde_micros")]
    pub planned_end: Duration,
    /// When the fault clock called `start()`; `None` when the run stopped
    /// before the fault was due.
    #[serde(with = "crate::serde_micros::option")]
    pub actual_start: Option<Duration>,
    /// When the fault clock called `stop()`; `None` when it never started.
    #[serde(with = "crate::serde_micros::option")]
    pub actual_end: Option<Duration>,
    /// True when the run's end stopped the fault before its planned end
    /// (the shape ended first, or the run was interrupted): then
    /// `actual_end` is that end, not an edge of the plan.
    pub stopped_at_run_end: bool,
}

impl FaultSpan {
    /// How far the edges landed from plan: the larger of |actual start −
    /// planned start| and, unless the run's end stopped the fault,
    /// |actual end − planned end|. `None` when the fault never started.
    ///
    /// ```
    /// use spike_core::{ms, FaultSpan};
    /// let span = FaultSpan {
    ///     name: "db-cut".to_owned(),
    ///     description: "reset connections".to_owned(),
    ///     planned_start: ms(100),
    ///     planned_end: ms(300),
    ///     actual_start: Some(ms(101)),
    ///     actual_end: Some(ms(300)),
    ///     stopped_at_run_end: false,
    /// };
    /// assert_eq!(span.edge_error(), Some(ms(1)));
    /// ```
    #[must_use]
    pub fn edge_error(&self) -> Option<Duration> {
        let start = self.actual_start?.abs_diff(self.planned_start);
        let end = match self.actual_end {
            Some(end) if !self.stopped_at_run_end => end.abs_diff(self.planned_end),
            _ => Duration::ZERO,
        };
        Some(start.max(end))
    }

    /// Whether the fault was on during any part of `[start, end)` (by its
    /// actual edges; a fault with no recorded end counts as on from its
    /// start onwards).
    #[must_use]
    pub fn active_during(&self, start: Duration, end: Duration) -> bool {
        match self.actual_start {
            Some(on) => on < end && self.actual_end.is_none_or(|off| off > start),
            None => false,
        }
    }
}

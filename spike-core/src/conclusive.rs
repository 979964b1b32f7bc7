//! Why a report does not describe the load its shape asked for.
//!
//! One list of reasons, used by the assertions' load guard and by the
//! regression gate, so both say the same thing in the same words.

use crate::fmt::duration_us;
use crate::report::Report;

/// One reason a run is inconclusive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InconclusiveReason {
    /// A few words, for a table cell: `lag p99 922.0ms`.
    pub short: String,
    /// A sentence, for the explanation under a table.
    pub long: String,
}

impl Report {
    /// Every reason this report is not conclusive (empty when
    /// [`Report::is_conclusive`]): iterations dropped at the in-flight cap,
    /// schedule lag over its budget (or a generator that reported itself
    /// saturated), abandoned iterations, an interrupted run. For a merged
    /// report, the problems the merge found instead
    /// ([`crate::merge::MergeInfo::problems`]: a missing shard, a shard
    /// started too far from the agreed instant, each reason a shard was
    /// itself inconclusive, prefixed `shard i/n:`). A run stopped
    /// by an abort rule is not among them: it is a verdict about the
    /// service ([`Report::aborted`](crate::Report::aborted)).
    #[must_use]
    pub fn inconclusive_reasons(&self) -> Vec<InconclusiveReason> {
        self.inconclusive_reasons_with(duration_us)
    }

    /// [`Report::inconclusive_reasons`] with durations (in µs) written by
    /// `fmt`, for a caller whose tables write durations their own way.
    #[must_use]
    pub fn inconclusive_reasons_with(
        &self,
        fmt: impl Fn(u64) -> String,
    ) -> Vec<InconclusiveReason> {
        if let Some(merged) = &self.merged {
            // A merged report's generator numbers are its shards' summed:
            // each shard's own reasons are among the problems, named with
            // the shard they come from.
            return merged
                .problems
                .iter()
                .map(|p| InconclusiveReason {
                    short: p.short.clone(),
                    long: p.long.clone(),
                })
                .collect();
        }
        let g = &self.generator;
        let budget = fmt(g.lag_budget_us);
        let lag = fmt(g.schedule_lag.p99_us);
        let mut reasons = Vec::new();
        let mut push =
            |short: String, long: String| reasons.push(InconclusiveReason { short, long });
        if g.dropped > 0 {
            push(
                format!("{} dropped", g.dropped),
                format!(
                    "{} iterations were dropped at the in-flight cap of {}",
                    g.dropped, g.in_flight_cap
                ),
            );
        }
        if g.schedule_lag.p99_us > g.lag_budget_us {
            push(
                format!("lag p99 {lag}"),
                format!("schedule lag p99 {lag} is over the {budget} budget"),
            );
        } else if g.saturated && g.dropped == 0 {
            push(
                "saturated".to_owned(),
                "the generator reported itself saturated".to_owned(),
            );
        }
        if g.abandoned > 0 {
            push(
                format!("{} abandoned", g.abandoned),
                format!(
                    "{} iterations were abandoned: they blocked their thread and are missing \
                     from the metrics",
                    g.abandoned
                ),
            );
        }
        if let Some(why) = &self.interrupted {
            push(
                "interrupted".to_owned(),
                format!("the run was interrupted: {why}"),
            );
        }
        reasons
    }
}

//! Merge the outputs of the shards of one run into the report of a single
//! generator (DESIGN.md §14).
//!
//! Shard `i` of `n` (`SPIKE_SHARD=i/n`) ran the iterations `k ≡ i (mod n)`
//! of the one global schedule from one agreed start instant
//! (`SPIKE_START_AT`) and wrote `report.json`, `latency.hlog` and
//! `histograms.hlog` to its folder ([`crate::shard::folder`]). Every
//! percentile a report shows comes from a histogram kept per (window,
//! phase) in those two logs, so the merge is exact: each merged
//! percentile is the one of a single histogram fed every shard's samples.
//!
//! # Semantics (the specification)
//!
//! * **Matching.** Windows are matched by index: every shard has the same
//!   window length, and its windows are offsets from its own start, which
//!   is the agreed instant ± its [`start offset`](crate::ShardInfo::start_offset_us).
//!   Phases are matched by name (the shapes are equal). A window missing
//!   from an interrupted shard counts that shard as 0 there.
//! * **Counts add**: scheduled, started, dropped, completed, errors,
//!   served, out of range, errors by class, HTTP statuses, counters, each
//!   tag value's count and errors, each named request's count, errors and
//!   classes. `target` adds too: a shard's target is its own share.
//! * **Rates** (achieved rate, throughput, error rate) are recomputed from
//!   the summed counts over the span: the window's length; for a phase and
//!   the run, the longest span of any shard (the same for shards that ran
//!   to the end).
//! * **Percentiles** are recomputed from the summed histograms: latency,
//!   service time and schedule lag per (window, phase), each named
//!   request's latency, each `ctx.record` metric and each tag value's
//!   latency per (window, phase). A window's numbers sum its phases', a
//!   phase's its windows', the run's all of them, and the engine's own code
//!   ([`Stats`](crate::Stats)) computes them, so they are identical to the
//!   ones of one histogram fed every sample. Records that reached a shard
//!   after their window closed (`generator.late_records`) are in its phase
//!   and run counts but in no window histogram: with late records the
//!   merged phase and run percentiles leave those samples out.
//! * **Gauges**: min of the minimums, max of the maximums; `last` is the
//!   one of the highest shard index that set the gauge (the shards' windows
//!   are aligned on one start; which one set it last in wall time is not
//!   recorded).
//! * **Error samples**: per class, the first shard's (lowest index).
//! * **Generator**: schedule-lag percentiles from the summed lag
//!   histograms; dropped, drain timeouts, abandoned and late records
//!   summed; `max_in_flight` and `in_flight_cap` summed (each shard had its
//!   own cap, so the summed cap is what the shards together allowed, and
//!   the summed peaks bound the peak from above); `saturated` when any
//!   shard was; `pacer_cpu` the largest shard's; `lag_budget_us` shard
//!   0's.
//! * **Interrupted / aborted**: every shard's interruption, each prefixed
//!   `shard i/n: ` and joined by `; `; the first aborted shard's abort, its
//!   rule prefixed the same way.
//! * **Elapsed**: the longest. **Environment**: the lowest shard's, with
//!   `started_at_unix_ms` the earliest of all.
//! * **Faults**: the lowest shard's fault spans (each shard runs the same
//!   plan on the same agreed clock); the windows' fault names, the
//!   recovery from each fault and the recovery after the spike are
//!   recomputed on the merged windows with the engine's functions and the
//!   shards' recovery criteria.
//! * **Resources** (soak sampling): each shard's series is kept under
//!   `shard-<i>/<series>`.
//! * **Checks** are empty: the merged report's own assertions fill them.
//! * **Histograms**: the summed ones, so the merged `latency.hlog`,
//!   `histograms.hlog`, HTML page and timeline are those of a normal run.
//!
//! # Inconclusive, never silently partial
//!
//! A merge that leaves a report but cannot vouch for it lists why in
//! [`MergeInfo::problems`]; [`Report::inconclusive_reasons`] and
//! [`Report::is_conclusive`] include them, so the regression gate and the
//! assertions' load guard say INCONCLUSIVE with the reason:
//!
//! * a shard index in `0..n` with no output: `shard 2/4 is missing`;
//! * with `n > 1`, a shard given no agreed start (`SPIKE_START_AT`);
//! * a shard that started more than [`MergeOptions::max_skew`] from the
//!   agreed instant (`shard 3/4 started 500.2 ms after SPIKE_START_AT; the
//!   bound is 25 ms`), or shards whose starts lie further apart than it;
//! * a shard that was itself inconclusive: its reasons, prefixed
//!   `shard i/n: `.
//!
//! Outputs that are not shards of one run are a [`MergeError`] instead.
//!
//! ```
//! use spike_core::merge::{merge_dirs, MergeError, MergeOptions};
//! let none: [&str; 0] = [];
//! assert!(matches!(merge_dirs(&none, &MergeOptions::default()), Err(MergeError::NoShards { .. })));
//! ```
//!
//! [`Report::inconclusive_reasons`]: crate::Report::inconclusive_reasons
//! [`Report::is_conclusive`]: crate::Report::is_conclusive

mod assemble;
mod check;
mod combine;
pub(crate) mod error;
pub(crate) mod info;
mod read;
pub(crate) mod step;

use std::path::{Path, PathBuf};
use std::time::Duration;

pub use error::MergeError;
pub use info::{MergeInfo, MergeProblem};
pub use read::ShardOutput;

use crate::report::Report;

/// How strict a merge is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct MergeOptions {
    /// The largest |start offset| a shard may have from the agreed start,
    /// and the largest distance between the shards' starts, before the
    /// merged report is inconclusive. Default 25 ms: the engine's default
    /// schedule-lag budget ([`DEFAULT_LAG_BUDGET`](crate::DEFAULT_LAG_BUDGET)),
    /// the lateness at which one generator already counts as saturated. On
    /// NTP-synced hosts clocks agree within a few milliseconds, so 25 ms
    /// lets a sound run through and a shard 500 ms late falls twenty times
    /// outside.
    pub max_skew: Duration,
}

impl Default for MergeOptions {
    fn default() -> Self {
        MergeOptions {
            // DEFAULT_LAG_BUDGET, written out: the scenario module reaches
            // this one (the merge step), so this one does not reach back.
            max_skew: Duration::from_millis(25),
        }
    }
}

impl MergeOptions {
    /// These options with another skew bound.
    #[must_use]
    pub fn max_skew(mut self, bound: Duration) -> Self {
        self.max_skew = bound;
        self
    }
}

/// Merge the shard outputs in `dirs` (each a folder holding `report.json`,
/// `latency.hlog` and `histograms.hlog` of one shard) into one report, by
/// the rules of the [module docs](self). The merged report has
/// [`Report::merged`] set, `shard` and `artifacts` unset.
///
/// # Errors
/// A [`MergeError`] when there is nothing to merge, a folder is not a
/// shard output, or the outputs are not distinct shards of one run.
pub fn merge_dirs(dirs: &[impl AsRef<Path>], opts: &MergeOptions) -> Result<Report, MergeError> {
    let outputs = dirs
        .iter()
        .map(ShardOutput::read)
        .collect::<Result<Vec<_>, _>>()?;
    merge_outputs(outputs, opts)
}

/// [`merge_dirs`] for outputs already read.
///
/// # Errors
/// As for [`merge_dirs`].
pub fn merge_outputs(
    mut outputs: Vec<ShardOutput>,
    opts: &MergeOptions,
) -> Result<Report, MergeError> {
    if outputs.is_empty() {
        return Err(MergeError::NoShards { under: None });
    }
    for o in &outputs {
        if o.report.shard.is_none() {
            return Err(MergeError::NotAShard { dir: o.dir.clone() });
        }
    }
    check::same_run(&mut outputs)?;
    let info = check::merge_info(&outputs, opts.max_skew);
    Ok(assemble::assemble(&outputs, info))
}

/// The shard folders (`shard-<i>-of-<n>`, [`crate::shard::folder`]) inside
/// a spike test's artifact folder, sorted by name.
///
/// # Errors
/// Any I/O error reading the folder (`NotFound` when it does not exist).
pub fn shard_dirs(artifact_dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut dirs = Vec::new();
    for entry in std::fs::read_dir(artifact_dir)? {
        let entry = entry?;
        let name = entry.file_name();
        if entry.file_type()?.is_dir() && crate::shard::is_folder(&name.to_string_lossy()) {
            dirs.push(entry.path());
        }
    }
    dirs.sort();
    Ok(dirs)
}

//! Why shard outputs could not be merged.

use std::path::PathBuf;

/// Why [`merge_dirs`](super::merge_dirs) merged nothing. Problems that
/// still leave a report (a missing shard, clock skew) are not errors: they
/// make the merged report inconclusive ([`MergeInfo`](super::MergeInfo)).
/// `Debug` prints the `Display` sentence.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MergeError {
    /// No shard output to merge.
    #[error("no shard outputs to merge{}", .under.as_ref().map(|d| format!(" under {}: no shard-<i>-of-<n> folder", d.display())).unwrap_or_default())]
    NoShards {
        /// The artifact folder searched, when one was.
        under: Option<PathBuf>,
    },
    /// A file of a shard output could not be read.
    #[error("{}: cannot be read: {reason}", .path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// What the system said.
        reason: String,
    },
    /// A `report.json` is not a spike report.
    #[error("{}: not a spike report: {reason}", .path.display())]
    NotAReport {
        /// The file.
        path: PathBuf,
        /// What the JSON reader said.
        reason: String,
    },
    /// A shard output has no histogram archive (`latency.hlog` or
    /// `histograms.hlog`), so its percentiles cannot be merged exactly.
    #[error("{}: missing; a shard output needs report.json, latency.hlog and histograms.hlog", .path.display())]
    MissingHistograms {
        /// The missing file.
        path: PathBuf,
    },
    /// A histogram archive does not read, or does not fit its report.
    #[error("{}: {reason}", .path.display())]
    BadHistograms {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A histogram of an archive has another configuration than the
    /// engine's for its kind (bounds or significant digits).
    #[error("{}: a {kind} histogram tracks {low}..{high} µs with {sigfig} significant digits; spike's track 1..60000000 µs with {expected}", .path.display())]
    HistogramConfig {
        /// The file.
        path: PathBuf,
        /// The histogram's kind (`latency`, `service`, `metric db.wait`, …).
        kind: String,
        /// Its lowest discernible value.
        low: u64,
        /// Its highest trackable value.
        high: u64,
        /// Its significant digits.
        sigfig: u8,
        /// The significant digits spike uses for that kind.
        expected: u8,
    },
    /// A folder holds a report that is not a shard's (`report.shard` is
    /// `None`).
    #[error("{}: not a shard output (its report has no `shard`: it was not run with SPIKE_SHARD)", .dir.display())]
    NotAShard {
        /// The folder.
        dir: PathBuf,
    },
    /// Two outputs claim the same shard.
    #[error("{} and {} both claim shard {index}/{count}", .first.display(), .second.display())]
    DuplicateShard {
        /// The shard index.
        index: u32,
        /// The shard count.
        count: u32,
        /// The first folder.
        first: PathBuf,
        /// The second folder.
        second: PathBuf,
    },
    /// Shards disagree on how many shards there are.
    #[error("{} is shard {first_index}/{first_count} but {} is shard {other_index}/{other_count}: the shards disagree on n", .first.display(), .other.display())]
    ShardCountMismatch {
        /// The first folder.
        first: PathBuf,
        /// Its index.
        first_index: u32,
        /// Its count.
        first_count: u32,
        /// The folder that disagrees.
        other: PathBuf,
        /// Its index.
        other_index: u32,
        /// Its count.
        other_count: u32,
    },
    /// A shard's index is not below its count.
    #[error("{}: shard {index}/{count} is out of range", .dir.display())]
    BadShardIndex {
        /// The folder.
        dir: PathBuf,
        /// The index.
        index: u32,
        /// The count.
        count: u32,
    },
    /// Two shards ran different things: another scenario, shape, window,
    /// load model or agreed start instant.
    #[error("{} and {} differ in {what}: {first_value} vs {other_value}", .first.display(), .other.display())]
    Mismatch {
        /// What differs: `scenario`, `shape`, `window`, `model`, `agreed start`.
        what: &'static str,
        /// The first folder.
        first: PathBuf,
        /// Its value.
        first_value: String,
        /// The folder that differs.
        other: PathBuf,
        /// Its value.
        other_value: String,
    },
    /// The merge step (`SPIKE_MERGE=1`) found shards of another shape than
    /// the scenario it runs in (after scaling).
    #[error("scenario `{scenario}`: the shards under {} ran another shape than this scenario's (after scaling): {shards} vs {scenario_shape}", .dir.display())]
    ShapeDiffers {
        /// The scenario.
        scenario: String,
        /// The artifact folder the shards were found in.
        dir: PathBuf,
        /// The shards' shape, as text.
        shards: String,
        /// The scenario's shape, as text.
        scenario_shape: String,
    },
    /// The merge step (`SPIKE_MERGE=1`) ran where no artifact folder is
    /// installed, so there is nowhere to find shard outputs.
    #[error("scenario `{scenario}`: SPIKE_MERGE=1 needs a spike test's artifact folder to find the shard outputs in")]
    NoArtifactFolder {
        /// The scenario.
        scenario: String,
    },
}

crate::__debug_as_display!(MergeError);

//! The environment variables of a sharded run, by name.
//!
//! ```
//! use spike_core::shard::env;
//! assert!(env::ALL.contains(&env::SPIKE_SHARD));
//! ```

/// `i/n`: this process runs shard `i` (0-based) of `n`.
pub const SPIKE_SHARD: &str = "SPIKE_SHARD";
/// `n`: the number of shards, when the index comes from
/// [`JOB_COMPLETION_INDEX`] (a Kubernetes Indexed Job) instead of
/// [`SPIKE_SHARD`].
pub const SPIKE_SHARD_COUNT: &str = "SPIKE_SHARD_COUNT";
/// Set by Kubernetes in each pod of an Indexed Job (`completionMode:
/// Indexed`): the pod's index, used as the shard index with
/// [`SPIKE_SHARD_COUNT`].
pub const JOB_COMPLETION_INDEX: &str = "JOB_COMPLETION_INDEX";
/// The wall-clock instant every shard starts its schedule at, agreed in
/// advance (RFC 3339, e.g. `2026-12-01T10:00:00Z`, or seconds since the
/// Unix epoch).
pub const SPIKE_START_AT: &str = "SPIKE_START_AT";
/// Set (to `1`) in the final step: instead of sending load, a spike test
/// merges the shard outputs found under its artifact folder and runs its
/// checks and the regression gate on the merged report.
pub const SPIKE_MERGE: &str = "SPIKE_MERGE";
/// Where every spike artifact goes (see [`crate::spike_home`]); shards that
/// share one volume write under it side by side.
pub const SPIKE_HOME: &str = "SPIKE_HOME";

/// Every variable above.
pub const ALL: [&str; 6] = [
    SPIKE_SHARD,
    SPIKE_SHARD_COUNT,
    JOB_COMPLETION_INDEX,
    SPIKE_START_AT,
    SPIKE_MERGE,
    SPIKE_HOME,
];

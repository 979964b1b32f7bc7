//! Shards of one schedule (DESIGN.md §14): shard `i` of `n` runs the
//! iterations `k ≡ i (mod n)` of the one global schedule from one agreed
//! start instant, and the shards' outputs merge into the report of a single
//! generator.
//!
//! [`env`] names the environment variables a sharded run reads, so that the
//! Kubernetes manifest under `deploy/` and its test name the same ones.

pub mod env;

/// The folder, inside a spike test's artifact folder, that holds shard
/// `index` of `count`'s outputs: `shard-<index>-of-<count>` (index from 0).
///
/// ```
/// assert_eq!(spike_core::shard::folder(2, 4), "shard-2-of-4");
/// ```
#[must_use]
pub fn folder(index: u32, count: u32) -> String {
    format!("shard-{index}-of-{count}")
}

//! Which shard of a sharded run produced a report.

use serde::{Deserialize, Serialize};

/// The shard a report comes from (see [`crate::shard`]): shard `index` of
/// `count` ran the iterations `k ≡ index (mod count)` of the global
/// schedule, from the agreed start instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardInfo {
    /// This shard's index, from 0.
    pub index: u32,
    /// How many shards the schedule was split into.
    pub count: u32,
    /// The agreed start instant (`SPIKE_START_AT`), microseconds since the
    /// Unix epoch; `None` when the shard was given none and started at once.
    pub start_at_unix_us: Option<u64>,
    /// When this shard's schedule actually started, minus the agreed start,
    /// in microseconds (positive: late). 0 without an agreed start.
    pub start_offset_us: i64,
}

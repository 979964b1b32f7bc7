//! What a merged report says about its merge.

use serde::{Deserialize, Serialize};

/// How a report was merged from shard outputs ([`Report::merged`](crate::Report::merged)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeInfo {
    /// How many shards the run was split into (`n`, from the shards).
    pub count: u32,
    /// The indexes of the shards merged, in order.
    pub shards: Vec<u32>,
    /// The indexes of the shards whose output was not found, in order.
    pub missing: Vec<u32>,
    /// Each merged shard's start minus the agreed start, µs (positive:
    /// late), in the order of `shards`.
    pub start_offsets_us: Vec<i64>,
    /// The largest offset minus the smallest, µs: how far apart the shards
    /// started.
    pub spread_us: u64,
    /// The bound the offsets and the spread were held to
    /// ([`MergeOptions::max_skew`](super::MergeOptions::max_skew)), µs.
    pub max_skew_us: u64,
    /// Why the merged report is inconclusive; empty when it is not. Listed
    /// by [`Report::inconclusive_reasons`](crate::Report::inconclusive_reasons).
    pub problems: Vec<MergeProblem>,
}

/// One reason a merged report is inconclusive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeProblem {
    /// A few words, for a table cell: `shard 2/4 missing`.
    pub short: String,
    /// A sentence: `shard 2/4 is missing`.
    pub long: String,
}

impl MergeInfo {
    /// `merged from 4 shards (0, 1, 2, 3 of 4; spread 1.2ms, bound 25.0ms)`,
    /// as the report's summary writes it.
    #[must_use]
    pub fn summary(&self) -> String {
        let list: Vec<String> = self.shards.iter().map(u32::to_string).collect();
        let missing = if self.missing.is_empty() {
            String::new()
        } else {
            let m: Vec<String> = self.missing.iter().map(u32::to_string).collect();
            format!("; missing {}", m.join(", "))
        };
        format!(
            "merged from {} shard{} ({} of {}{missing}; spread {}, bound {})",
            self.shards.len(),
            if self.shards.len() == 1 { "" } else { "s" },
            list.join(", "),
            self.count,
            crate::fmt::duration_us(self.spread_us),
            crate::fmt::duration_us(self.max_skew_us),
        )
    }
}

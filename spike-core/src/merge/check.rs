//! Before merging: are these outputs shards of one run (else a
//! [`MergeError`]), and what makes their merge inconclusive (a
//! [`MergeProblem`]).

use std::time::Duration;

use super::error::MergeError;
use super::info::{MergeInfo, MergeProblem};
use super::read::ShardOutput;
use crate::report::ShardInfo;

/// The shard of an output (read checked it has one).
fn shard(o: &ShardOutput) -> ShardInfo {
    o.report.shard.unwrap_or(ShardInfo {
        index: 0,
        count: 1,
        start_at_unix_us: None,
        start_offset_us: 0,
    })
}

/// Check that `outputs` are distinct shards of one run and sort them by
/// index.
///
/// # Errors
/// [`MergeError::BadShardIndex`], [`MergeError::ShardCountMismatch`],
/// [`MergeError::DuplicateShard`], [`MergeError::Mismatch`].
pub(super) fn same_run(outputs: &mut [ShardOutput]) -> Result<(), MergeError> {
    for o in outputs.iter() {
        let s = shard(o);
        if s.index >= s.count {
            return Err(MergeError::BadShardIndex {
                dir: o.dir.clone(),
                index: s.index,
                count: s.count,
            });
        }
    }
    let (first, rest) = outputs
        .split_first()
        .ok_or(MergeError::NoShards { under: None })?;
    let f = shard(first);
    for o in rest {
        let s = shard(o);
        if s.count != f.count {
            return Err(MergeError::ShardCountMismatch {
                first: first.dir.clone(),
                first_index: f.index,
                first_count: f.count,
                other: o.dir.clone(),
                other_index: s.index,
                other_count: s.count,
            });
        }
        let (a, b) = (&first.report, &o.report);
        let mismatch = |what: &'static str, x: String, y: String| MergeError::Mismatch {
            what,
            first: first.dir.clone(),
            first_value: x,
            other: o.dir.clone(),
            other_value: y,
        };
        if a.scenario != b.scenario {
            return Err(mismatch("scenario", a.scenario.clone(), b.scenario.clone()));
        }
        if a.model != b.model {
            return Err(mismatch(
                "model",
                format!("{:?}", a.model),
                format!("{:?}", b.model),
            ));
        }
        if a.window != b.window {
            return Err(mismatch(
                "window",
                crate::fmt::duration(a.window),
                crate::fmt::duration(b.window),
            ));
        }
        if a.shape != b.shape {
            return Err(mismatch(
                "shape",
                shape_text(&a.shape),
                shape_text(&b.shape),
            ));
        }
        if f.start_at_unix_us != s.start_at_unix_us
            && f.start_at_unix_us.is_some()
            && s.start_at_unix_us.is_some()
        {
            return Err(mismatch(
                "agreed start",
                format!("{:?} µs", f.start_at_unix_us),
                format!("{:?} µs", s.start_at_unix_us),
            ));
        }
    }
    outputs.sort_by_key(|o| shard(o).index);
    for pair in outputs.windows(2) {
        let (a, b) = (shard(&pair[0]), shard(&pair[1]));
        if a.index == b.index {
            return Err(MergeError::DuplicateShard {
                index: a.index,
                count: a.count,
                first: pair[0].dir.clone(),
                second: pair[1].dir.clone(),
            });
        }
    }
    Ok(())
}

/// A shape as one line of text, for an error message.
pub(super) fn shape_text(shape: &crate::shape::Shape) -> String {
    serde_json::to_string(shape).unwrap_or_else(|_| format!("{shape:?}"))
}

/// `500.2 ms`, `25 ms`: an offset in µs, to a tenth of a millisecond,
/// its sign read out by the caller.
fn ms(us: u64) -> String {
    let text = format!("{:.1}", us as f64 / 1000.0);
    format!("{} ms", text.strip_suffix(".0").unwrap_or(&text))
}

/// What the merge of `outputs` (checked and sorted by [`same_run`]) tells
/// about itself, with every problem found.
pub(super) fn merge_info(outputs: &[ShardOutput], max_skew: Duration) -> MergeInfo {
    let shards: Vec<ShardInfo> = outputs.iter().map(shard).collect();
    let n = shards[0].count;
    let bound_us = u64::try_from(max_skew.as_micros()).unwrap_or(u64::MAX);
    let mut problems = Vec::new();
    let mut problem = |short: String, long: String| problems.push(MergeProblem { short, long });
    let missing: Vec<u32> = (0..n)
        .filter(|i| !shards.iter().any(|s| s.index == *i))
        .collect();
    for i in &missing {
        problem(
            format!("shard {i}/{n} missing"),
            format!("shard {i}/{n} is missing"),
        );
    }
    for s in &shards {
        let name = format!("shard {}/{n}", s.index);
        if n > 1 && s.start_at_unix_us.is_none() {
            problem(
                format!("{name} no start"),
                format!(
                    "{name} had no agreed start ({}), so its schedule is not aligned with the others'",
                    crate::shard::env::SPIKE_START_AT
                ),
            );
        } else if s.start_offset_us.unsigned_abs() > bound_us {
            let when = if s.start_offset_us > 0 {
                "after"
            } else {
                "before"
            };
            problem(
                format!("{name} {} {when}", ms(s.start_offset_us.unsigned_abs())),
                format!(
                    "{name} started {} {when} {}; the bound is {}",
                    ms(s.start_offset_us.unsigned_abs()),
                    crate::shard::env::SPIKE_START_AT,
                    ms(bound_us)
                ),
            );
        }
    }
    let offsets: Vec<i64> = shards.iter().map(|s| s.start_offset_us).collect();
    let (lo, hi) = (
        offsets.iter().copied().min().unwrap_or(0),
        offsets.iter().copied().max().unwrap_or(0),
    );
    let spread_us = hi.abs_diff(lo);
    if spread_us > bound_us {
        let at = |v: i64| shards[offsets.iter().position(|&o| o == v).unwrap_or(0)].index;
        problem(
            format!("shards {} apart", ms(spread_us)),
            format!(
                "the shards started {} apart (shard {}/{n} earliest, shard {}/{n} latest); the bound is {}",
                ms(spread_us),
                at(lo),
                at(hi),
                ms(bound_us)
            ),
        );
    }
    for (o, s) in outputs.iter().zip(&shards) {
        let name = format!("shard {}/{n}", s.index);
        for r in o.report.inconclusive_reasons() {
            problem(
                format!("{name}: {}", r.short),
                format!("{name}: {}", r.long),
            );
        }
    }
    MergeInfo {
        count: n,
        shards: shards.iter().map(|s| s.index).collect(),
        missing,
        start_offsets_us: offsets,
        spread_us,
        max_skew_us: bound_us,
        problems,
    }
}

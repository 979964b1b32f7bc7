//! Shards of one schedule (DESIGN.md §14): shard `i` of `n` runs the
//! iterations `k ≡ i (mod n)` of the one global schedule from one agreed
//! start instant, and the shards' outputs merge into the report of a single
//! generator.
//!
//! * [`Shard`] says which shard a process is:
//!   [`Scenario::shard`](crate::Scenario::shard), or, inside `#[spike_test]`, `SPIKE_SHARD=i/n`
//!   or `SPIKE_SHARD_COUNT=n` with `JOB_COMPLETION_INDEX=i` (a Kubernetes
//!   Indexed Job) — see [`Shard::from_env`].
//! * The agreed start instant: [`Scenario::start_at`](crate::Scenario::start_at),
//!   or `SPIKE_START_AT` ([`parse_start_at`]). Every shard waits for it,
//!   then starts the schedule, and records how far from it it started
//!   ([`ShardInfo::start_offset_us`](crate::ShardInfo::start_offset_us)).
//!
//! What a shard runs:
//!
//! * Open model: iteration `k` (counted from 0 over the whole run, across
//!   phases) runs on shard `k mod n`, at its intended instant in the global
//!   schedule. The pacer skips the others without computing or sleeping on
//!   them. `Ctx::iteration()` is the global `k`.
//! * Closed model: virtual user `u` (numbered from 0 at each level) runs on
//!   shard `u mod n`; `Ctx::user()` is the global `u`. A shard's `c`-th
//!   iteration (from 0) has `Ctx::iteration()` = `c·n + i`, unique across
//!   shards.
//! * The shard's report keeps the global shape; its windows, phases and
//!   total count only its own iterations, and each `Stats::target` is its
//!   share: the planned rate divided by `n` (open), or its users
//!   ([`Shard::users_share`], closed), so the targets of the `n` shards add
//!   up to the global target.
//! * `Report::shard` is set for every sharded run, `0/1` included (which
//!   runs the whole schedule, as a plain run does, but writes its artifacts
//!   to `shard-0-of-1/` and is not gated, like any shard).
//!
//! [`env`](mod@env) names the environment variables a sharded run reads, so that the
//! Kubernetes manifest under `deploy/` and its test name the same ones.

pub mod env;
mod spec;
mod start_at;

pub use spec::Shard;
pub(crate) use start_at::{check_distance, offset_us, unix_us, wait_until, Waited};
pub use start_at::{parse_start_at, start_at_from_env, MAX_START_DISTANCE};

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

/// Whether a folder name is a shard's output folder, `shard-<i>-of-<n>`
/// with decimal `i` and `n` (the names [`folder`] gives): the merge looks
/// for these, and `cargo spike` tells them from runs.
///
/// ```
/// use spike_core::shard::{folder, is_folder};
/// assert!(is_folder(&folder(2, 4)));
/// assert!(!is_folder("shard-2-of-4.attempt-1"));
/// ```
#[must_use]
pub fn is_folder(name: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    name.strip_prefix("shard-")
        .and_then(|rest| rest.split_once("-of-"))
        .is_some_and(|(i, n)| digits(i) && digits(n))
}

#[cfg(test)]
mod tests {
    use super::{folder, is_folder};

    #[test]
    fn shard_folders_are_recognised_by_name() {
        assert!(is_folder(&folder(2, 4)));
        assert!(is_folder("shard-10-of-12"));
        for other in [
            "shard-a-of-4",
            "shard--of-4",
            "shard-1-of-",
            "shard-1-4",
            "shard-0-of-",
            "x",
        ] {
            assert!(!is_folder(other), "{other}");
        }
    }
}

//! [`Shard`]: which part of one global schedule this process runs.

use std::str::FromStr;

use super::env;
use crate::error::{env_text, SpikeError};

/// Shard `index` of `count` (index from 0): the part of one global schedule
/// this process runs (see [`crate::shard`]).
///
/// * Open model: the iterations `k` with `k mod count = index`, at their
///   intended instants in the global schedule.
/// * Closed model: the virtual users `u` (numbered from 0 at each level)
///   with `u mod count = index`.
///
/// A shard is valid by construction: `count ≥ 1` and `index < count`.
///
/// ```
/// use spike_core::shard::Shard;
///
/// let shard: Shard = "1/4".parse()?;
/// assert_eq!((shard.index(), shard.count()), (1, 4));
/// assert_eq!(shard, Shard::new(1, 4)?);
/// assert_eq!(shard.to_string(), "1/4");
/// assert!("4/4".parse::<Shard>().is_err());
/// # Ok::<(), spike_core::SpikeError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Shard {
    index: u32,
    count: u32,
}

impl Shard {
    /// Shard `index` of `count`.
    ///
    /// # Errors
    /// [`SpikeError::BadShard`] when `count` is 0 or `index` is not below
    /// `count`.
    ///
    /// ```
    /// use spike_core::{shard::Shard, SpikeError};
    /// assert!(Shard::new(0, 1).is_ok());
    /// assert!(matches!(Shard::new(1, 0), Err(SpikeError::BadShard { .. })));
    /// ```
    pub fn new(index: u32, count: u32) -> Result<Shard, SpikeError> {
        checked("Shard::new", index, count)
    }

    /// This shard's index, from 0.
    #[must_use]
    pub fn index(&self) -> u32 {
        self.index
    }

    /// How many shards the schedule is split into.
    #[must_use]
    pub fn count(&self) -> u32 {
        self.count
    }

    /// Whether this shard runs global iteration (open model) or virtual user
    /// (closed model) number `k`: `k mod count = index`.
    ///
    /// ```
    /// let shard = spike_core::shard::Shard::new(1, 3)?;
    /// let mine: Vec<u64> = (0..8).filter(|&k| shard.owns(k)).collect();
    /// assert_eq!(mine, [1, 4, 7]);
    /// # Ok::<(), spike_core::SpikeError>(())
    /// ```
    #[must_use]
    pub fn owns(&self, k: u64) -> bool {
        k % u64::from(self.count) == u64::from(self.index)
    }

    /// This shard's share of `level` virtual users (closed model): how many
    /// of the users `0, 1, ..` of the level it runs, extended linearly
    /// between whole levels (user `u` counts `clamp(level − u, 0, 1)`), so
    /// the shares of all `count` shards add up to `level`.
    ///
    /// ```
    /// let shard = spike_core::shard::Shard::new(1, 3)?;
    /// assert_eq!(shard.users_share(5.0), 2.0); // users 1 and 4 of 0..5
    /// assert_eq!(shard.users_share(4.5), 1.5); // and half of user 4
    /// assert_eq!(shard.users_share(1.0), 0.0);
    /// # Ok::<(), spike_core::SpikeError>(())
    /// ```
    #[must_use]
    pub fn users_share(&self, level: f64) -> f64 {
        let x = level - f64::from(self.index);
        if x.is_nan() || x <= 0.0 {
            return 0.0;
        }
        let n = f64::from(self.count);
        let last = (x / n).floor();
        last + (x - last * n).min(1.0)
    }

    /// This shard's share of a `rate` (open model): `rate / count`, the rate
    /// of the iterations `k ≡ index (mod count)` of the schedule.
    #[must_use]
    pub fn rate_share(&self, rate: f64) -> f64 {
        rate / f64::from(self.count)
    }

    /// The shard the environment names: `SPIKE_SHARD=i/n`, else
    /// `SPIKE_SHARD_COUNT=n` with the index from `JOB_COMPLETION_INDEX` (a
    /// Kubernetes Indexed Job). `None` when neither names one (an empty
    /// value counts as unset; `JOB_COMPLETION_INDEX` alone names none). See
    /// [`Shard::from_values`] for the rules.
    ///
    /// # Errors
    /// [`SpikeError::BadShard`] for a value that is not a shard, or
    /// variables that disagree.
    pub fn from_env() -> Result<Option<Shard>, SpikeError> {
        const EXPECTED: &str = "Unicode text";
        let shard = env_text(env::SPIKE_SHARD, EXPECTED)?;
        let count = env_text(env::SPIKE_SHARD_COUNT, EXPECTED)?;
        let index = env_text(env::JOB_COMPLETION_INDEX, EXPECTED)?;
        Shard::from_values(shard.as_deref(), count.as_deref(), index.as_deref())
    }

    /// [`Shard::from_env`] on given values of `SPIKE_SHARD`,
    /// `SPIKE_SHARD_COUNT` and `JOB_COMPLETION_INDEX` (`None` or blank:
    /// unset):
    ///
    /// * `SPIKE_SHARD` set: that shard; `SPIKE_SHARD_COUNT`, when set, must
    ///   equal its count, and `JOB_COMPLETION_INDEX`, when set together
    ///   with `SPIKE_SHARD_COUNT`, its index.
    /// * else `SPIKE_SHARD_COUNT` set: shard `JOB_COMPLETION_INDEX` of it
    ///   (an error when the index is missing).
    /// * else none.
    ///
    /// ```
    /// use spike_core::shard::Shard;
    /// assert_eq!(Shard::from_values(None, Some("4"), Some("2"))?, Some(Shard::new(2, 4)?));
    /// assert_eq!(Shard::from_values(Some("1/2"), None, None)?, Some(Shard::new(1, 2)?));
    /// assert_eq!(Shard::from_values(None, None, Some("3"))?, None);
    /// assert!(Shard::from_values(Some("1/4"), Some("4"), Some("2")).is_err());
    /// # Ok::<(), spike_core::SpikeError>(())
    /// ```
    ///
    /// # Errors
    /// [`SpikeError::BadShard`] naming the variable and what is wrong.
    pub fn from_values(
        shard: Option<&str>,
        count: Option<&str>,
        index: Option<&str>,
    ) -> Result<Option<Shard>, SpikeError> {
        let (shard, count, index) = (set(shard), set(count), set(index));
        let count = count
            .map(|c| number(env::SPIKE_SHARD_COUNT, c).map(|n| (c, n)))
            .transpose()?;
        let Some(text) = shard else {
            let Some((_, count)) = count else {
                return Ok(None);
            };
            let Some(index) = index else {
                return Err(bad(
                    env::SPIKE_SHARD_COUNT,
                    &count.to_string(),
                    "JOB_COMPLETION_INDEX is not set: give the shard index with it, or set \
                     SPIKE_SHARD=i/n instead",
                ));
            };
            let index = number(env::JOB_COMPLETION_INDEX, index)?;
            return checked(env::JOB_COMPLETION_INDEX, index, count).map(Some);
        };
        let parsed = parse(env::SPIKE_SHARD, text)?;
        if let Some((c, n)) = count {
            if n != parsed.count {
                return Err(bad(
                    env::SPIKE_SHARD,
                    text,
                    &format!("it disagrees with SPIKE_SHARD_COUNT={c}"),
                ));
            }
            if let Some(i) = index {
                if number(env::JOB_COMPLETION_INDEX, i)? != parsed.index {
                    return Err(bad(
                        env::SPIKE_SHARD,
                        text,
                        &format!("it disagrees with JOB_COMPLETION_INDEX={i}"),
                    ));
                }
            }
        }
        Ok(Some(parsed))
    }
}

impl FromStr for Shard {
    type Err = SpikeError;

    /// `i/n`, blanks around either number allowed.
    fn from_str(text: &str) -> Result<Shard, SpikeError> {
        parse(env::SPIKE_SHARD, text)
    }
}

impl std::fmt::Display for Shard {
    /// `index/count`, as [`FromStr`] reads it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// A value that is set and not blank, trimmed.
fn set(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

fn bad(setting: &'static str, value: &str, reason: &str) -> SpikeError {
    SpikeError::BadShard {
        setting,
        value: value.to_owned(),
        reason: reason.to_owned(),
    }
}

fn checked(setting: &'static str, index: u32, count: u32) -> Result<Shard, SpikeError> {
    let value = format!("{index}/{count}");
    if count == 0 {
        return Err(bad(setting, &value, "the shard count must be at least 1"));
    }
    if index >= count {
        return Err(bad(
            setting,
            &value,
            &format!(
                "the shard index must be below the count {count} (shards are numbered from 0)"
            ),
        ));
    }
    Ok(Shard { index, count })
}

/// A whole number 0 ≤ n < 2³², digits only.
fn number(setting: &'static str, text: &str) -> Result<u32, SpikeError> {
    let t = text.trim();
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad(setting, text, "it must be a whole number, 0 or above"));
    }
    t.parse()
        .map_err(|_| bad(setting, text, "it must be a whole number below 2^32"))
}

fn parse(setting: &'static str, text: &str) -> Result<Shard, SpikeError> {
    let Some((i, n)) = text.split_once('/') else {
        return Err(bad(
            setting,
            text,
            "it must be `i/n`: shard i (from 0) of n, such as 0/4",
        ));
    };
    let (Ok(index), Ok(count)) = (number(setting, i), number(setting, n)) else {
        return Err(bad(
            setting,
            text,
            "it must be `i/n` with whole numbers 0 ≤ i < n, such as 0/4",
        ));
    };
    checked(setting, index, count).map_err(|e| match e {
        SpikeError::BadShard { reason, .. } => bad(setting, text, &reason),
        other => other,
    })
}

//! [`Mix`]: one of several workloads per iteration, picked by weight.

use crate::recording::ctx::{splitmix64, Ctx};
use crate::recording::outcome::{IterError, Outcome};
use crate::workload::base::Workload;
use crate::workload::boxed::{ready, BoxOutcome, DynWorkload};

/// Weyl-sequence steps, one per draw of an iteration: the fractional parts
/// of the golden ratio and of √2, √3, √7, √11, √13, √17, √19 as 64-bit
/// fixed point. Being irrationals that 1 and each other do not relate
/// rationally, a mix inside a mix (or in each step of a sequence) draws a
/// stream independent of the outer one.
const STEPS: [u64; 8] = [
    0x9E37_79B9_7F4A_7C15,
    0x6A09_E667_F3BC_C908,
    0xBB67_AE85_84CA_A73B,
    0xA54F_F53A_5F1D_36F1,
    0x510E_527F_ADE6_82D1,
    0x9B05_688C_2B3E_6C1F,
    0x1F83_D9AB_FB41_BD6B,
    0x5BE0_CD19_137E_2179,
];

/// Salt of the seed-derived offset of a mix's stream.
const MIX_SALT: u64 = 0x4D49_5800_0000_0000;

/// A workload that runs one of its entries per iteration, chosen by weight:
/// real traffic is a mix (browse 70 %, search 20 %, checkout 10 %).
///
/// The pick is a low-discrepancy (Weyl) sequence over the iteration number,
/// `u = offset + n·φ (mod 1)`, with `offset` derived from the scenario
/// seed: the same seed gives the same entry for every iteration, another
/// seed another sequence, and the realised shares match the weights
/// closely even over short spans (over any `n` consecutive iterations an
/// entry's count is within a few iterations of `n × share`, where
/// independent random picks would drift by about `√n`).
///
/// A mix records nothing of its own; wrap entries in [`named`](crate::named)
/// to get each one's numbers in [`Stats::requests`](crate::Stats::requests).
/// An empty mix, or one whose weights add up to 0, is refused before any
/// traffic ([`SpikeError::BadWorkload`](crate::SpikeError::BadWorkload)),
/// and so is a mix with an entry whose own [`Workload::check`] fails.
///
/// ```
/// use spike_core::{ms, named, rps, Ctx, Mix, Scenario, Shape};
/// # tokio::runtime::Builder::new_multi_thread().enable_time().build().unwrap().block_on(async {
/// let browse = named("browse", |_ctx: Ctx| async {});
/// let search = named("search", |_ctx: Ctx| async {});
/// let checkout = named("checkout", |_ctx: Ctx| async {});
/// let mix = Mix::new().weight(7, browse).weight(2, search).weight(1, checkout);
/// let shape = Shape::builder().hold(rps(500), ms(400)).build().unwrap();
/// let report = Scenario::new("mix-doc").shape(shape).run(mix).await.unwrap();
/// let count = |name: &str| report.total.request(name).unwrap().count;
/// assert_eq!(count("browse") + count("search") + count("checkout"), 200);
/// assert!((138..=142).contains(&count("browse")));
/// assert!((38..=42).contains(&count("search")));
/// # });
/// ```
#[derive(Default)]
pub struct Mix {
    entries: Vec<(u32, Box<dyn DynWorkload>)>,
    total: u64,
}

impl std::fmt::Debug for Mix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let weights: Vec<u32> = self.entries.iter().map(|(w, _)| *w).collect();
        f.debug_struct("Mix").field("weights", &weights).finish()
    }
}

impl Mix {
    /// An empty mix: add entries with [`Mix::weight`].
    #[must_use]
    pub fn new() -> Self {
        Mix::default()
    }

    /// Add an entry run in `weight / total weight` of the iterations. An
    /// entry of weight 0 never runs (a way to switch one off).
    #[must_use]
    pub fn weight<W: Workload>(mut self, weight: u32, workload: W) -> Self {
        self.total += u64::from(weight);
        self.entries.push((weight, Box::new(workload)));
        self
    }

    /// Number of entries.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the mix has no entry.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The sum of the weights.
    #[must_use]
    pub fn total_weight(&self) -> u64 {
        self.total
    }

    /// The index of the entry this iteration runs (`None` for an empty or
    /// all-zero mix).
    #[must_use]
    pub fn pick(&self, ctx: &Ctx) -> Option<usize> {
        pick_index(
            self.entries.iter().map(|(w, _)| *w),
            self.total,
            ctx.run.seed,
            ctx.iteration,
            ctx.local.draw,
        )
    }
}

/// The Weyl pick: the entry whose cumulative-weight interval holds
/// `u × total`, `u = offset(seed, draw) + iteration × STEPS[draw] (mod 2⁶⁴)`.
fn pick_index(
    weights: impl Iterator<Item = u32>,
    total: u64,
    seed: u64,
    iteration: u64,
    draw: u32,
) -> Option<usize> {
    if total == 0 {
        return None;
    }
    let step = STEPS[draw as usize % STEPS.len()];
    let offset = splitmix64(seed ^ splitmix64(MIX_SALT ^ u64::from(draw)));
    let u = offset.wrapping_add(iteration.wrapping_mul(step));
    let target = ((u128::from(u) * u128::from(total)) >> 64) as u64;
    let mut upto = 0u64;
    for (i, w) in weights.enumerate() {
        upto += u64::from(w);
        if target < upto {
            return Some(i);
        }
    }
    None
}

impl Workload for Mix {
    type Future = BoxOutcome;
    type Output = Outcome;

    fn call(&self, mut ctx: Ctx) -> BoxOutcome {
        let Some(i) = self.pick(&ctx) else {
            return ready(Outcome::err(
                IterError::new("bad_workload").with_message("the mix has no entry with a weight"),
            ));
        };
        ctx.local.draw = ctx.local.draw.wrapping_add(1);
        self.entries[i].1.call_boxed(ctx)
    }

    fn check(&self) -> Result<(), String> {
        if self.entries.is_empty() {
            return Err("the mix has no entries: add some with `Mix::weight`".to_owned());
        }
        if self.total == 0 {
            return Err(format!(
                "the weights of the mix's {} entries add up to 0: nothing would run",
                self.entries.len()
            ));
        }
        for (i, (_, w)) in self.entries.iter().enumerate() {
            w.check_dyn()
                .map_err(|e| format!("mix entry {} (from 1): {e}", i + 1))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::pick_index;

    /// Over any 1000 consecutive iterations each share is within 0.5 % of
    /// its weight (independent random picks would miss by ~1.4 % at 1 σ for
    /// the 70 % entry); the arithmetic is the test's own.
    #[test]
    fn shares_follow_the_weights_over_short_spans() {
        for seed in [0, 1, 42, u64::MAX] {
            for start in [0u64, 12_345, 1 << 40] {
                let mut counts = [0u64; 3];
                for n in start..start + 1000 {
                    let i = pick_index([7, 2, 1].into_iter(), 10, seed, n, 0).unwrap();
                    counts[i] += 1;
                }
                for (c, want) in counts.iter().zip([700, 200, 100]) {
                    assert!(
                        c.abs_diff(want) <= 5,
                        "seed {seed} start {start}: {counts:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn zero_weights_never_run_and_empty_picks_nothing() {
        for n in 0..1000 {
            assert_ne!(pick_index([0, 3, 0].into_iter(), 3, 9, n, 0), Some(0));
        }
        assert_eq!(pick_index([0, 0].into_iter(), 0, 9, 1, 0), None);
    }

    /// A mix inside a mix: the inner 50/50 split holds within the outer
    /// entry's iterations (a shared stream would correlate the two).
    #[test]
    fn a_nested_draw_is_independent_of_the_outer_one() {
        let mut inner = [0u64; 2];
        for n in 0..10_000 {
            if pick_index([7, 3].into_iter(), 10, 5, n, 0) == Some(0) {
                inner[pick_index([1, 1].into_iter(), 2, 5, n, 1).unwrap()] += 1;
            }
        }
        assert_eq!(inner[0] + inner[1], 7000);
        assert!(inner[0].abs_diff(3500) <= 70, "{inner:?}");
    }
}

//! The context each iteration receives.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use crate::recording::run::RunShared;

/// What an iteration knows about itself, and where it records user metrics.
///
/// Cheap to clone. Counters and gauges recorded here land in the window of
/// the iteration's intended start, its phase, and the whole run.
#[derive(Clone)]
pub struct Ctx {
    pub(crate) run: Arc<RunShared>,
    pub(crate) iteration: u64,
    pub(crate) phase: u16,
    pub(crate) window: u64,
    pub(crate) intended: Duration,
    pub(crate) user: Option<u32>,
}

impl std::fmt::Debug for Ctx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ctx")
            .field("scenario", &self.run.scenario)
            .field("iteration", &self.iteration)
            .field("phase", &self.phase())
            .field("intended_start", &self.intended)
            .field("user", &self.user)
            .finish()
    }
}

/// SplitMix64: a fast, well-mixed 64-bit hash used for per-iteration seeds.
#[must_use]
pub(crate) fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

impl Ctx {
    /// Iteration number, from 0, in order of intended start (open model) or
    /// of start (closed model).
    #[must_use]
    pub fn iteration(&self) -> u64 {
        self.iteration
    }

    /// Name of the phase the iteration belongs to.
    #[must_use]
    pub fn phase(&self) -> &str {
        &self.run.phase_names[usize::from(self.phase)]
    }

    /// Index of that phase in the shape.
    #[must_use]
    pub fn phase_index(&self) -> usize {
        usize::from(self.phase)
    }

    /// The scenario name.
    #[must_use]
    pub fn scenario(&self) -> &str {
        &self.run.scenario
    }

    /// Intended start as an offset from the run start.
    #[must_use]
    pub fn intended_start(&self) -> Duration {
        self.intended
    }

    /// The instant the run started (offset zero).
    #[must_use]
    pub fn run_start(&self) -> std::time::Instant {
        self.run.t0.into_std()
    }

    /// Time since the run start, now.
    #[must_use]
    pub fn elapsed(&self) -> Duration {
        self.run.t0.elapsed()
    }

    /// The virtual user running this iteration (closed model only).
    #[must_use]
    pub fn user(&self) -> Option<u32> {
        self.user
    }

    /// A per-iteration seed: the same scenario seed and iteration give the
    /// same value, so a run's random choices are reproducible.
    #[must_use]
    pub fn seed(&self) -> u64 {
        splitmix64(self.run.seed ^ splitmix64(self.iteration))
    }

    /// A reproducible pseudo-random number in `0..n` for this iteration
    /// (`salt` tells several draws apart). Returns 0 when `n` is 0.
    #[must_use]
    pub fn random_below(&self, n: u64, salt: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        // Lemire's multiply-shift: unbiased enough for picking test data.
        let x = splitmix64(self.seed() ^ salt);
        ((u128::from(x) * u128::from(n)) >> 64) as u64
    }

    /// Pick an item from a list, reproducibly for this iteration.
    ///
    /// # Panics
    /// If `items` is empty.
    #[must_use]
    pub fn pick<'a, T>(&self, items: &'a [T]) -> &'a T {
        assert!(!items.is_empty(), "Ctx::pick needs a non-empty list");
        &items[self.random_below(items.len() as u64, 0x5049_434B) as usize]
    }

    /// Add `n` to a user counter (e.g. `ctx.count("cache_hit", 1)`).
    pub fn count(&self, name: impl Into<Cow<'static, str>>, n: u64) {
        let name = name.into();
        self.with_tally(|tally| tally.count(name, n));
    }

    /// Record a duration under a name (a pool wait, a handshake, a message
    /// round trip): the report keeps its percentiles per window, phase and
    /// run in `Stats::metrics`, next to the iteration's own latency.
    ///
    /// ```
    /// use spike_core::{ms, rps, Ctx, Scenario, Shape};
    /// # tokio::runtime::Builder::new_multi_thread().enable_time().build().unwrap().block_on(async {
    /// let shape = Shape::builder().hold(rps(100), ms(200)).build().unwrap();
    /// let report = Scenario::new("doc")
    ///     .shape(shape)
    ///     .run(|ctx: Ctx| async move { ctx.record("pool_wait", ms(3)) })
    ///     .await
    ///     .unwrap();
    /// let wait = report.total.metric("pool_wait").unwrap();
    /// assert_eq!(wait.count, 20);
    /// assert!((2_900..=3_100).contains(&wait.p50_us));
    /// # });
    /// ```
    pub fn record(&self, name: impl Into<Cow<'static, str>>, value: Duration) {
        let name = name.into();
        let us = crate::recording::histogram::micros(value);
        self.with_tally(|tally| tally.record_metric(name, us));
    }

    /// Set a user gauge (last, min and max are kept per window, phase, run).
    pub fn gauge(&self, name: impl Into<Cow<'static, str>>, value: f64) {
        let name = name.into();
        self.with_tally(|tally| tally.gauge(name, value));
    }

    /// Run `f` on this thread's accumulator for the iteration's window and
    /// phase.
    fn with_tally(&self, f: impl FnOnce(&mut crate::recording::shards::Tally)) {
        let key = (self.window, self.phase);
        self.run.shards.with(|s| f(s.tally(key)));
    }
}

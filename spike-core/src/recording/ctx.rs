//! The context each iteration receives.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use crate::recording::outcome::IterError;
use crate::recording::request::{IterLocal, RequestTimer};
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
    /// Inline per-iteration state: the first-named-request flag and the
    /// weighted-pick counter (no allocation per iteration).
    pub(crate) local: IterLocal,
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

    /// Start timing a named request (an endpoint, a step of a sequence):
    /// [`RequestTimer::finish`] records its count, error class and latency
    /// under `name` in [`Stats::requests`](crate::Stats::requests) of the
    /// iteration's window, phase and the run. A timer dropped without
    /// `finish` records nothing.
    ///
    /// Name requests by what they do (`"checkout"`), not by their URL: at
    /// most 100 distinct names are kept per window and phase, further ones
    /// count under `(other)`.
    ///
    /// Latency origin: the iteration's **first** named request counts from
    /// the iteration's intended start (a late start is charged to it, as to
    /// the iteration's latency); every later one counts from its own start.
    ///
    /// ```
    /// use spike_core::{ms, rps, Ctx, IterError, Scenario, Shape};
    /// # tokio::runtime::Builder::new_multi_thread().enable_time().build().unwrap().block_on(async {
    /// let shape = Shape::builder().hold(rps(100), ms(200)).build().unwrap();
    /// let report = Scenario::new("doc")
    ///     .shape(shape)
    ///     .run(|ctx: Ctx| async move {
    ///         let login = ctx.request("login");
    ///         tokio::time::sleep(ms(2)).await;
    ///         login.finish(None);
    ///         let fetch = ctx.request("fetch");
    ///         let failed = (ctx.iteration() % 4 == 0).then(|| IterError::new("not_found"));
    ///         fetch.finish(failed.as_ref());
    ///     })
    ///     .await
    ///     .unwrap();
    /// let login = report.total.request("login").unwrap();
    /// assert_eq!(login.count, 20);
    /// assert!(login.latency.p50_us >= 2_000);
    /// let fetch = report.total.request("fetch").unwrap();
    /// assert_eq!((fetch.count, fetch.errors), (20, 5));
    /// assert_eq!(fetch.errors_by_class["not_found"], 5);
    /// # });
    /// ```
    pub fn request(&self, name: impl Into<Cow<'static, str>>) -> RequestTimer {
        let origin = if self.local.start_request() {
            self.run.t0 + self.intended
        } else {
            tokio::time::Instant::now()
        };
        RequestTimer::new(
            self.run.clone(),
            (self.window, self.phase),
            name.into(),
            origin,
        )
    }

    /// Record a named request the caller timed itself (a driver that has
    /// its own clock): `latency` is taken as given, and the request counts
    /// as started for the latency-origin rule of [`Ctx::request`] (later
    /// timers of the iteration count from their own start).
    pub fn record_request(
        &self,
        name: impl Into<Cow<'static, str>>,
        latency: Duration,
        error: Option<&IterError>,
    ) {
        self.local.start_request();
        let us = crate::recording::histogram::micros(latency);
        crate::recording::request::record(
            &self.run,
            (self.window, self.phase),
            name.into(),
            us,
            error,
        );
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

//! The scenario builder: a shape, a workload and the run settings.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::abort::Abort;
use crate::engine::{self, Progress, StopFuture};
use crate::error::SpikeError;
use crate::faults::Chaos;
use crate::installed::Installed;
use crate::recovery::RecoveryCriteria;
use crate::report::{Report, WindowStats};
use crate::scale_env::parse_scale;
use crate::shape::Shape;
use crate::sink::{RunInfo, Sink, Sinks};
use crate::workload::Workload;

pub(crate) mod settings;
mod sharding;
mod validate;

/// A named run: a load shape, settings, then `run(workload)`.
///
/// ```
/// use spike_core::{rps, ms, secs, Ctx, Scenario, Shape};
///
/// # tokio::runtime::Builder::new_multi_thread().enable_time().build().unwrap().block_on(async {
/// let shape = Shape::builder()
///     .hold(rps(200), ms(300))
///     .burst(rps(1_000), ms(200))
///     .recover(rps(200), ms(500))
///     .build()?;
/// let report = Scenario::new("doc-example")
///     .shape(shape)
///     .window(ms(100))
///     .run(|ctx: Ctx| async move {
///         ctx.count("calls", 1);
///     })
///     .await?;
/// assert_eq!(report.total.completed, 60 + 200 + 100);
/// assert_eq!(report.total.counter("calls"), 360);
/// println!("{report}");
/// # Ok::<(), spike_core::SpikeError>(())
/// # }).unwrap();
/// ```
///
/// # Pacing (open model)
///
/// A dedicated OS thread, `spike-pacer`, starts each iteration at its
/// intended instant: it sleeps on the OS's high-resolution timer (not
/// tokio's 1 ms timer) until the next one is due, then hands it to the
/// runtime, so at low rates an iteration starts within tens of
/// microseconds of its instant. Iterations due less than 200 µs apart start
/// in batches, at most that late, so the thread stays well below one core
/// at any rate. The rate is exact either way (every window starts the
/// integral of the rate over it, ±1), and latency counts from the intended
/// start. The report keeps how late iterations started
/// ([`GeneratorHealth::schedule_lag`](crate::GeneratorHealth::schedule_lag))
/// and the pacer's CPU share
/// ([`GeneratorHealth::pacer_cpu`](crate::GeneratorHealth::pacer_cpu)).
#[must_use]
pub struct Scenario {
    name: String,
    shape: Option<Shape>,
    window: Option<Duration>,
    max_in_flight: u64,
    iteration_timeout: Duration,
    drain_timeout: Duration,
    think_time: Duration,
    recovery: RecoveryCriteria,
    lag_budget: Duration,
    seed: Option<u64>,
    rate_scale: f64,
    time_scale: f64,
    env_scaled: bool,
    stop: Vec<StopFuture>,
    on_progress: Option<engine::ProgressFn>,
    on_window: Option<engine::WindowFn>,
    sinks: Sinks,
    chaos: Chaos,
    abort: Vec<Abort>,
    resources: crate::soak::Resources,
    shard: Option<crate::shard::Shard>,
    start_at: Option<std::time::SystemTime>,
    env_sharded: bool,
}

impl std::fmt::Debug for Scenario {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scenario")
            .field("name", &self.name)
            .field("shape", &self.shape)
            .field("window", &self.window)
            .field("max_in_flight", &self.max_in_flight)
            .field("chaos", &self.chaos)
            .field("resources", &self.resources)
            .field("shard", &self.shard)
            .field("start_at", &self.start_at)
            .finish_non_exhaustive()
    }
}

/// Default window length.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(1);
/// Default window length for shapes shorter than 10 s.
pub const SHORT_WINDOW: Duration = Duration::from_millis(100);
pub(crate) const SHORT_SHAPE: Duration = Duration::from_secs(10);
/// Default cap on iterations in flight (open model).
pub const DEFAULT_MAX_IN_FLIGHT: u64 = 10_000;
/// Default per-iteration timeout.
pub const DEFAULT_ITERATION_TIMEOUT: Duration = Duration::from_secs(30);
/// Default time iterations still in flight get after the shape ends.
pub const DEFAULT_DRAIN_TIMEOUT: Duration = Duration::from_secs(10);
/// Default schedule-lag p99 above which the generator counts as saturated.
pub const DEFAULT_LAG_BUDGET: Duration = Duration::from_millis(25);

/// The longest `iteration_timeout`, `drain_timeout` and `think_time`
/// accepted (24 h): longer ones are refused with
/// [`SpikeError::BadSetting`], since every run must stop by itself.
pub const MAX_SETTING_DURATION: Duration = Duration::from_secs(24 * 3600);

impl Default for Scenario {
    /// A scenario with the default name installed around this task (a
    /// `#[spike_test]` installs the test's name, so its report goes
    /// straight into the test's artifact folder), else `scenario`.
    fn default() -> Self {
        Scenario::new(
            Installed::current()
                .and_then(|i| i.name().map(str::to_owned))
                .unwrap_or_else(|| "scenario".to_owned()),
        )
    }
}

impl Scenario {
    /// A scenario with this name and default settings. Inside a
    /// `#[spike_test]`, [`Scenario::default`] names it after the test.
    pub fn new(name: impl Into<String>) -> Self {
        Scenario {
            name: name.into(),
            shape: None,
            window: None,
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            iteration_timeout: DEFAULT_ITERATION_TIMEOUT,
            drain_timeout: DEFAULT_DRAIN_TIMEOUT,
            think_time: Duration::ZERO,
            recovery: RecoveryCriteria::default(),
            lag_budget: DEFAULT_LAG_BUDGET,
            seed: None,
            rate_scale: 1.0,
            time_scale: 1.0,
            env_scaled: false,
            stop: Vec::new(),
            on_progress: None,
            on_window: None,
            sinks: Sinks::default(),
            chaos: Chaos::new(),
            abort: Vec::new(),
            resources: crate::soak::Resources::default(),
            shard: None,
            start_at: None,
            env_sharded: false,
        }
    }

    /// The scenario name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The load shape.
    pub fn shape(mut self, shape: Shape) -> Self {
        self.shape = Some(shape);
        self
    }

    /// Window length for per-window metrics, at least 10 ms and at most the
    /// shape's duration. Default: 1 s, or 100 ms for shapes shorter than
    /// 10 s (so short runs still have windows to look at).
    pub fn window(mut self, window: Duration) -> Self {
        self.window = Some(window);
        self
    }

    /// Most iterations in flight at once (open model, default 10,000). When
    /// reached, a due iteration is dropped and counted, never delayed.
    pub fn max_in_flight(mut self, cap: u64) -> Self {
        self.max_in_flight = cap;
        self
    }

    /// Formerly: pace the open model by keeping a worker busy. Changes
    /// nothing now: every open-model run is paced by a dedicated thread
    /// that sleeps on the OS's high-resolution timer and starts iterations
    /// within tens of microseconds of their intended start, without a busy
    /// core (see "Pacing" on [`Scenario`] and `docs/performance.md`).
    #[deprecated(
        note = "the default pacing is now exact (a pacer thread on the OS timer); remove the call"
    )]
    pub fn precise_pacing(self, _precise: bool) -> Self {
        self
    }

    /// Per-iteration timeout, measured from the intended start (default
    /// 30 s, at most [`MAX_SETTING_DURATION`]). A timed-out iteration is a
    /// `timeout` error whose latency is the time it took.
    pub fn iteration_timeout(mut self, timeout: Duration) -> Self {
        self.iteration_timeout = timeout;
        self
    }

    /// How long iterations still in flight get after the shape ends
    /// (default 10 s, at most [`MAX_SETTING_DURATION`]); the ones still
    /// running then are recorded as `timeout`, never lost.
    pub fn drain_timeout(mut self, timeout: Duration) -> Self {
        self.drain_timeout = timeout;
        self
    }

    /// Closed model: pause between a user's iterations (default none, at
    /// most [`MAX_SETTING_DURATION`]).
    pub fn think_time(mut self, think: Duration) -> Self {
        self.think_time = think;
        self
    }

    /// What "recovered" means (tolerance, slack, epsilon, sustain). The
    /// tolerance and epsilon must be finite and not negative, the sustain
    /// above zero; the run refuses other values with a [`SpikeError`].
    pub fn recovery_criteria(mut self, criteria: RecoveryCriteria) -> Self {
        self.recovery = criteria;
        self
    }

    /// Schedule-lag p99 above which the generator counts as saturated
    /// (default 25 ms).
    pub fn lag_budget(mut self, budget: Duration) -> Self {
        self.lag_budget = budget;
        self
    }

    /// Seed for per-iteration seeds (default: derived from the name).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Multiply every rate and user count by `rate` and every duration by
    /// `time` (validated when the run starts: see [`Shape::scaled`]).
    pub fn scale(mut self, rate: f64, time: f64) -> Self {
        self.rate_scale = rate;
        self.time_scale = time;
        self
    }

    /// Read `SPIKE_SCALE` and `SPIKE_TIME_SCALE` (each defaults to 1) and
    /// multiply them into the scale factors (once: calling it again, or
    /// running inside `#[spike_test]`, which calls it, changes nothing).
    /// Each value is parsed by [`parse_scale_value`](crate::parse_scale_value).
    ///
    /// # Errors
    /// [`SpikeError::BadEnv`] when a variable is set but is not a finite
    /// number above zero (or not Unicode).
    pub fn scale_from_env(mut self) -> Result<Self, SpikeError> {
        if self.env_scaled {
            return Ok(self);
        }
        self.env_scaled = true;
        self.rate_scale *= parse_scale("SPIKE_SCALE")?;
        self.time_scale *= parse_scale("SPIKE_TIME_SCALE")?;
        Ok(self)
    }

    /// Stop the run early when `stop` completes; its output is the reason
    /// the report records. Iterations in flight get 1 s, then are recorded
    /// as `interrupted`: nothing already started is lost.
    pub fn interrupt_on(mut self, stop: impl Future<Output = String> + Send + 'static) -> Self {
        self.stop.push(Box::pin(stop));
        self
    }

    /// Stop the run early once `limit` of wall-clock time has passed.
    pub fn max_wall_time(self, limit: Duration) -> Self {
        self.interrupt_on(async move {
            tokio::time::sleep(limit).await;
            format!("wall-clock limit of {limit:?} reached")
        })
    }

    /// Call `observer` once per aggregation tick with a snapshot.
    pub fn on_progress(mut self, observer: impl Fn(&Progress) + Send + Sync + 'static) -> Self {
        self.on_progress = Some(Arc::new(observer));
        self
    }

    /// Call `observer` with each window when it closes.
    pub fn on_window(mut self, observer: impl FnMut(&WindowStats) + Send + 'static) -> Self {
        self.on_window = Some(Box::new(observer));
        self
    }

    /// Feed this run's progress, windows, report and checks to `sink`
    /// (after the sinks installed around the task; see [`crate::sink`]).
    pub fn sink(mut self, sink: Arc<dyn Sink>) -> Self {
        self.sinks.push(sink);
        self
    }

    /// Switch faults on and off during the run, on the load's clock (see
    /// [`crate::faults`]). Calling it again replaces the plan. Before any
    /// traffic the run refuses, with [`SpikeError::BadFault`] naming the
    /// fault, an empty or repeated name, a zero length, or a fault starting
    /// at or after the shape's end; a fault may end after the shape, it is
    /// then stopped at the shape's end. Starts and lengths are scaled by
    /// the time scale like the shape. Example: [`crate::faults`].
    pub fn chaos(mut self, chaos: Chaos) -> Self {
        self.chaos = chaos;
        self
    }

    /// End the run early once `rule` holds: its window check failed for K
    /// consecutive closed windows (k6's `abortOnFail`). Call it again to add
    /// rules; they are OR-ed. The run then stops sending, gives iterations
    /// in flight 1 s (then records them as `interrupted`), and returns a
    /// complete report whose [`Report::aborted`] says which rule fired, at
    /// which window and when. A rule with K = 0 or a threshold that is not a
    /// number is refused with [`SpikeError::BadAbort`] before any traffic.
    /// Example: [`crate::abort`].
    pub fn abort_when(mut self, rule: Abort) -> Self {
        self.abort.push(rule);
        self
    }

    /// Ignore `SPIKE_SCALE` / `SPIKE_TIME_SCALE` for this run even inside a
    /// harness that installs them (the capacity search scales its steps
    /// itself).
    pub(crate) fn without_env_scale(mut self) -> Self {
        self.env_scaled = true;
        self
    }

    /// Sample these resources once per window, at each window's end (see
    /// [`crate::soak`]): RSS, open fds and threads of a process by pid,
    /// spike's own process, custom probes. The samples land in
    /// [`WindowStats::resources`], `timeline.csv` and `report.html`, and
    /// feed the soak verdicts. Calling it again replaces the list. Before
    /// any traffic the run refuses, with [`SpikeError::BadResources`], a pid
    /// that is not running, a process where the platform has no procfs
    /// (anything but Linux), or an empty or repeated series name; a process
    /// that exits during the run leaves gaps and a notice.
    ///
    /// ```
    /// use spike_core::soak::Resources;
    /// use spike_core::{ms, rps, Ctx, Scenario, Shape, SpikeError};
    /// # tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
    /// let err = Scenario::new("soak")
    ///     .shape(Shape::builder().hold(rps(10), ms(200)).build().unwrap())
    ///     .sample_resources(Resources::pid(4_194_305)) // above any pid_max
    ///     .run(|_ctx: Ctx| async {})
    ///     .await
    ///     .unwrap_err();
    /// assert!(matches!(err, SpikeError::BadResources { .. }), "{err}");
    /// # });
    /// ```
    pub fn sample_resources(mut self, resources: crate::soak::Resources) -> Self {
        self.resources = resources;
        self
    }

    /// Run the workload through the shape and return the report. Every
    /// setting is checked first; nothing is sent when an error comes back.
    /// A failing or panicking workload yields a report, not an error.
    ///
    /// The run also does what was installed around its task
    /// ([`Installed`]): inside a `#[spike_test]` that means it applies
    /// `SPIKE_SCALE` / `SPIKE_TIME_SCALE`, shows live progress
    /// (`SPIKE_PROGRESS=0` turns it off), stops when the test's timeout
    /// fires, and hands its report to the test, which writes
    /// `report.json`, `report.html`, `latency.hlog` and `timeline.csv` to
    /// `report.artifacts` after the test body, with the checks its
    /// assertions evaluated.
    ///
    /// # Errors
    /// A [`SpikeError`] naming the bad setting, before any traffic.
    pub async fn run<W: Workload>(self, workload: W) -> Result<Report, SpikeError> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(SpikeError::NoRuntime);
        }
        let installed = Installed::current().unwrap_or_default();
        let mut this = self;
        if installed.scales_from_env() {
            this = this.scale_from_env()?.shard_from_env()?;
        }
        if let Some(stop) = installed.stop() {
            this.stop.push(stop);
        }
        let mut sinks = installed.sinks().clone();
        for sink in std::mem::take(&mut this.sinks).iter() {
            sinks.push(sink.clone());
        }
        workload.check().map_err(|reason| SpikeError::BadWorkload {
            scenario: this.name.clone(),
            reason,
        })?;
        let artifacts = installed.artifact_dir(&this.name);
        let mut cfg = this.validate()?;
        sharding::notice_unaligned(&cfg);
        // The final step of a sharded run (SPIKE_MERGE=1): no load, the
        // shards' merged report.
        let merged = crate::merge::step::merge_step(
            &cfg.scenario,
            artifacts.as_deref(),
            &cfg.shape,
            cfg.window,
        )?;
        let run = RunInfo {
            id: next_run_id(),
            scenario: cfg.scenario.clone(),
            model: cfg.shape.model(),
            planned: cfg.shape.duration(),
            window: cfg.window,
        };
        sinks.run_started(&run)?;
        if !sinks.is_empty() {
            crate::sink::feed_sinks(&mut cfg, &sinks, &run);
        }
        let mut report = match merged {
            Some(report) => report,
            // On the heap: the engine's future is large (in a debug build
            // several runs joined on one thread's stack overflowed it).
            None => engine::run(cfg, workload).await,
        };
        report.artifacts = artifacts;
        sinks.run_finished(&run, &report);
        Ok(report)
    }
}

/// A number no other run of this process has.
fn next_run_id() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

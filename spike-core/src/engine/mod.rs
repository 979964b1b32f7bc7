//! The engine: runs a shape against a workload and builds the report.
//!
//! * Open model (`open`): a dedicated OS thread, `spike-pacer`, walks the
//!   exact schedule. It sleeps on the OS's high-resolution timer until the
//!   next intended start (never on tokio's 1 ms timer, never spinning),
//!   sends every iteration due by then, in one batch, to a spawner task on
//!   the runtime, and wakes at most once per 200 µs at high rates. A stop unparks it at once. It reports its own
//!   CPU share (`GeneratorHealth::pacer_cpu`).
//! * Closed model (`closed`): a controller task on the runtime keeps the
//!   number of virtual users at the level, each user a task looping
//!   `iteration; think time`.
//! * Faults (`fault_clock`): when the scenario has a chaos plan, a third
//!   OS thread, `spike-faults`, switches each fault on and off at its
//!   planned offset from the same run start, sleeping like the pacer, and
//!   records the actual edges; the run stops every fault still on before it
//!   returns. `fault_report` turns the edges into the report's fault spans,
//!   window tags and recoveries from each fault.
//! * Resources (`crate::soak::sampler`): when the scenario samples
//!   resources, a small OS thread, `spike-resources`, sleeping the same
//!   way, reads every series at each window's end; the samples are filed
//!   into the report's windows when the run ends.
//! * Both hand iterations to `iteration`, which times, bounds and records
//!   them into per-thread shards; the loop in `run` drains the shards
//!   once per tick, closes windows and feeds progress observers.

mod closed;
mod fault_clock;
pub(crate) mod fault_report;
mod iteration;
mod open;
pub(crate) mod thread_clock;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::abort::{AbortWatch, Aborted};
use crate::recording::aggregate::Aggregator;
pub use crate::recording::aggregate::WindowFn;
use crate::recording::histogram::micros;
use crate::recording::run::RunShared;
use crate::recording::shards::Shards;
use crate::recovery::{self, RecoveryCriteria};
use crate::report::{Environment, GeneratorHealth, PhaseReport, Report, WindowStats};
use crate::shape::level::Model;
use crate::shape::Shape;
use crate::workload::Workload;

/// One run at work: the state its iterations share plus the workload each
/// of them calls. The pacer (open model) or the users (closed model) hold it.
pub(crate) struct Job<W> {
    pub(crate) run: Arc<RunShared>,
    pub(crate) workload: W,
}

/// A snapshot of a run in progress, handed to progress observers once per
/// aggregation tick.
#[derive(Debug, Clone)]
pub struct Progress {
    /// Scenario name.
    pub scenario: String,
    /// Time since the run start.
    pub elapsed: Duration,
    /// Planned duration of the shape.
    pub planned: Duration,
    /// Phase active now.
    pub phase: String,
    /// Planned level now (rps or users).
    pub target: f64,
    /// Iterations in flight now.
    pub in_flight: u64,
    /// Iterations finished so far.
    pub completed: u64,
    /// Of those, errors.
    pub errors: u64,
    /// The most recently closed window.
    pub last_window: Option<WindowStats>,
}

/// A progress observer.
pub type ProgressFn = Arc<dyn Fn(&Progress) + Send + Sync>;
/// A future that interrupts the run when it completes, with the reason.
pub type StopFuture = Pin<Box<dyn Future<Output = String> + Send>>;

/// Everything the engine needs besides the workload; built by `Scenario`.
pub(crate) struct RunConfig {
    pub(crate) scenario: String,
    pub(crate) shape: Shape,
    pub(crate) window: Duration,
    pub(crate) max_in_flight: u64,
    pub(crate) iteration_timeout: Duration,
    pub(crate) drain_timeout: Duration,
    pub(crate) think_time: Duration,
    pub(crate) recovery: RecoveryCriteria,
    pub(crate) lag_budget: Duration,
    pub(crate) seed: u64,
    pub(crate) rate_scale: f64,
    pub(crate) time_scale: f64,
    pub(crate) stop: Vec<StopFuture>,
    pub(crate) on_progress: Option<ProgressFn>,
    pub(crate) on_window: Option<WindowFn>,
    /// Observer of the recorded batches (sinks exporting histograms).
    pub(crate) on_recorded: Option<crate::recorded::RecordedFn>,
    pub(crate) chaos: crate::faults::Chaos,
    /// Rules that stop the run once a check failed for K windows in a row.
    pub(crate) abort: Vec<crate::abort::Abort>,
    /// Resource series to sample at each window's end (opened, so a pid
    /// not running was refused before traffic); empty for none.
    pub(crate) resources: Vec<crate::soak::Probe>,
    /// The part of the schedule this run sends (see [`crate::shard`]).
    pub(crate) shard: Option<crate::shard::Shard>,
    /// Wall-clock instant to start the schedule at (checked to be within
    /// 24 h of now).
    pub(crate) start_at: Option<std::time::SystemTime>,
}

/// How long iterations get after an interruption before they are cancelled.
const INTERRUPT_GRACE: Duration = Duration::from_secs(1);
/// How long cancelled iterations get to record before they count as abandoned.
const CANCEL_GRACE: Duration = Duration::from_secs(2);
/// Closed model: a window closes this long after its end.
const CLOSED_GRACE: Duration = Duration::from_millis(50);

fn first_of(stops: Vec<StopFuture>) -> StopFuture {
    if stops.is_empty() {
        return Box::pin(std::future::pending());
    }
    Box::pin(async move { futures_util::future::select_all(stops).await.0 })
}

/// File each window's resource samples (taken at its end) into it.
fn tag_resources(windows: &mut [WindowStats], samples: crate::soak::sampler::Samples) {
    for (index, resources) in samples {
        if let Ok(i) = windows.binary_search_by_key(&index, |w| w.index) {
            windows[i].resources = resources;
        }
    }
}

pub(crate) async fn run<W: Workload>(cfg: RunConfig, workload: W) -> Report {
    let environment = Environment::capture(cfg.rate_scale, cfg.time_scale);
    let shape = cfg.shape;
    let duration = shape.duration();
    let chaos = cfg.chaos;
    let fault_log = (!chaos.is_empty()).then(|| fault_clock::FaultLog::new(&chaos));
    let on_window = match (&fault_log, cfg.on_window) {
        (Some(log), Some(mut observer)) => {
            let log = log.clone();
            Some(Box::new(move |w: &WindowStats| {
                let mut tagged = w.clone();
                tagged.faults = log.active_in(w.start, w.end);
                observer(&tagged);
            }) as WindowFn)
        }
        (_, observer) => observer,
    };
    let mut stop = first_of(cfg.stop);
    // A start instant: wait for it (an interrupt meanwhile stops the run
    // before it sends anything), then start at once.
    let waited = match cfg.start_at {
        Some(at) => crate::shard::wait_until(at, &mut stop).await,
        None => crate::shard::Waited::Past,
    };
    let (t0, started, interrupted_early) = match waited {
        // The schedule's zero is the moment the wall clock reached the
        // instant, not the later moment this task woke up.
        crate::shard::Waited::Reached(mono, wall) => (Instant::from_std(mono), wall, None),
        crate::shard::Waited::Past => (Instant::now(), std::time::SystemTime::now(), None),
        crate::shard::Waited::Stopped(reason) => {
            (Instant::now(), std::time::SystemTime::now(), Some(reason))
        }
    };
    let shard = cfg.shard.map(|s| crate::report::ShardInfo {
        index: s.index(),
        count: s.count(),
        start_at_unix_us: cfg.start_at.map(crate::shard::unix_us),
        start_offset_us: cfg
            .start_at
            .map_or(0, |at| crate::shard::offset_us(started, at)),
    });
    // Abort rules watch each window as it closes; the loop below reads the
    // verdict after every close and stops the run like an interrupt.
    let abort_slot: Arc<std::sync::Mutex<Option<Aborted>>> = Arc::default();
    let on_window = if cfg.abort.is_empty() {
        on_window
    } else {
        let mut watch = AbortWatch::new(&cfg.abort);
        let slot = abort_slot.clone();
        let mut observer = on_window;
        Some(Box::new(move |w: &WindowStats| {
            if let Some(fired) = watch.observe(w, t0.elapsed()) {
                let mut held = slot
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                held.get_or_insert(fired);
            }
            if let Some(observer) = &mut observer {
                observer(w);
            }
        }) as WindowFn)
    };
    let mut agg = Aggregator::new(&shape, cfg.window, on_window)
        .with_shard(cfg.shard)
        .with_recorded(cfg.on_recorded);
    let run = Arc::new(RunShared {
        t0,
        scenario: cfg.scenario.clone(),
        phase_names: shape.phases().iter().map(|p| p.name.clone()).collect(),
        window_us: micros(cfg.window).max(1),
        windows_total: agg.windows_total(),
        seed: cfg.seed,
        shards: Shards::new(),
        in_flight: AtomicU64::new(0),
        position_us: AtomicU64::new(0),
        cancel: CancellationToken::new(),
        iteration_timeout: cfg.iteration_timeout,
        drain_deadline: t0 + duration + cfg.drain_timeout,
    });
    let job = Arc::new(Job {
        run: run.clone(),
        workload,
    });
    let stop_driver = CancellationToken::new();
    if interrupted_early.is_some() {
        // Interrupted before the start instant: send nothing.
        stop_driver.cancel();
    }
    let progress_log = fault_log.clone();
    let clock = fault_log.map(|log| {
        fault_clock::FaultClock::start(
            chaos,
            log,
            t0.into_std(),
            duration,
            stop_driver.child_token(),
        )
    });
    let sampler = (!cfg.resources.is_empty()).then(|| {
        crate::soak::sampler::Sampler::start(
            cfg.resources,
            t0.into_std(),
            cfg.window,
            duration,
            stop_driver.child_token(),
        )
    });
    let model = shape.model();
    // The driver ends with the most iterations in flight at once and the
    // pacer thread's CPU share (open model; 0 for the closed one).
    let mut driver: Pin<Box<dyn Future<Output = (u64, f64)> + Send>> = match model {
        Model::Open => {
            let fut = open::pace(
                job.clone(),
                shape.clone(),
                cfg.max_in_flight,
                cfg.shard,
                stop_driver.clone(),
            );
            Box::pin(async move {
                let end = fut.await;
                (end.max_in_flight, end.cpu)
            })
        }
        Model::Closed => {
            let fut = closed::drive(
                job.clone(),
                shape.clone(),
                cfg.think_time,
                cfg.shard,
                stop_driver.clone(),
            );
            let users = tokio::spawn(async move { fut.await.max_in_flight });
            Box::pin(async move { (users.await.unwrap_or(0), 0.0) })
        }
    };
    drop(job);

    let tick = (cfg.window / 2).clamp(Duration::from_millis(10), Duration::from_millis(250));
    let mut ticker = tokio::time::interval(tick);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut interrupted: Option<String> = None;
    let mut aborted: Option<Aborted> = None;
    let mut cancel_at = run.drain_deadline;
    if let Some(reason) = interrupted_early {
        interrupted = Some(reason);
        cancel_at = Instant::now();
    }
    let mut cancelled_at: Option<Instant> = None;
    let mut max_in_flight: Option<u64> = None;
    let mut pacer_cpu = 0.0;
    let mut abandoned = 0;
    loop {
        tokio::select! {
            biased;
            reason = &mut stop, if interrupted.is_none() && aborted.is_none() => {
                interrupted = Some(reason);
                stop_driver.cancel();
                cancel_at = cancel_at.min(Instant::now() + INTERRUPT_GRACE);
            }
            (most, cpu) = &mut driver, if max_in_flight.is_none() => {
                max_in_flight = Some(most);
                pacer_cpu = cpu;
            }
            _ = ticker.tick() => {}
        }
        // Read the position BEFORE draining: every iteration due before it
        // was flushed into a shard before it was published, so the drain
        // below sees all of their scheduled counts. (Draining first could
        // close a window whose last scheduled counts were flushed between
        // the drain and the read.)
        let position = match model {
            Model::Open => Duration::from_micros(run.position_us.load(Ordering::Acquire)),
            Model::Closed if max_in_flight.is_some() => Duration::MAX,
            Model::Closed => run.t0.elapsed().saturating_sub(CLOSED_GRACE),
        };
        // Stopped early: the schedule past now will never run, so only the
        // windows reached so far may close (`finish` closes the one the run
        // is in); closing the whole plan would cost time and memory in
        // proportion to the planned length.
        let position = if interrupted.is_some() || aborted.is_some() {
            position.min(run.t0.elapsed())
        } else {
            position
        };
        agg.absorb(run.shards.drain());
        agg.close_ready(position);
        if aborted.is_none() && interrupted.is_none() {
            let fired = abort_slot
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take();
            if let Some(fired) = fired {
                // The same path as an interrupt: stop sending, grace, cancel.
                aborted = Some(fired);
                stop_driver.cancel();
                cancel_at = cancel_at.min(Instant::now() + INTERRUPT_GRACE);
            }
        }
        if let Some(observer) = &cfg.on_progress {
            let elapsed = run.t0.elapsed();
            let (completed, errors) = agg.progress_counts();
            let at = elapsed.min(duration.saturating_sub(Duration::from_nanos(1)));
            observer(&Progress {
                scenario: cfg.scenario.clone(),
                elapsed,
                planned: duration,
                phase: shape.phases()[shape.phase_index_at(at)].name.clone(),
                target: level_share(&shape, cfg.shard, at),
                in_flight: run.in_flight.load(Ordering::Relaxed),
                completed,
                errors,
                last_window: agg.last_window().map(|w| {
                    let mut w = w.clone();
                    if let Some(log) = &progress_log {
                        w.faults = log.active_in(w.start, w.end);
                    }
                    w
                }),
            });
        }
        let in_flight = run.in_flight.load(Ordering::Acquire);
        if max_in_flight.is_some() && in_flight == 0 {
            break;
        }
        let now = Instant::now();
        match cancelled_at {
            None if now >= cancel_at => {
                run.cancel.cancel();
                cancelled_at = Some(now);
            }
            Some(at) if now >= at + CANCEL_GRACE => {
                abandoned = in_flight;
                stop_driver.cancel();
                break;
            }
            _ => {}
        }
    }
    // The shape's planned end will not come: the fault clock and the
    // resource sampler stop now instead of waiting for it.
    let stopped_early = interrupted.is_some() || aborted.is_some() || abandoned > 0;
    let faults = match clock {
        Some(clock) => clock.finish(stopped_early).await,
        None => Vec::new(),
    };
    let elapsed = run.t0.elapsed();
    agg.absorb(run.shards.drain());
    let span = if interrupted.is_some() || aborted.is_some() {
        elapsed.min(duration)
    } else {
        duration
    };
    let crate::recording::aggregate::RunTotals {
        phases: phase_stats,
        total,
        mut windows,
        drain_timeouts,
        late_records,
        interval_histograms,
        detail_histograms,
    } = agg.finish(span);
    fault_report::tag_windows(&mut windows, &faults);
    if let Some(sampler) = sampler {
        let samples = sampler.finish(stopped_early).await;
        tag_resources(&mut windows, samples);
    }
    let fault_recovery =
        fault_report::recoveries(cfg.recovery, &faults, &windows, &interval_histograms);
    let phases: Vec<PhaseReport> = shape
        .phases()
        .iter()
        .zip(phase_stats)
        .map(|(p, stats)| PhaseReport {
            phase: p.clone(),
            stats,
        })
        .collect();
    let recovery = match (shape.reference_index(), shape.recover_index()) {
        (Some(b), Some(r)) => Some(recovery::evaluate(
            cfg.recovery,
            &phases[b].name,
            &phases[b].stats,
            &phases[r].name,
            phases[r].start,
            phases[r].start + phases[r].duration,
            &windows,
        )),
        _ => None,
    };
    let lag_budget_us = micros(cfg.lag_budget);
    let generator = GeneratorHealth {
        schedule_lag: total.schedule_lag,
        dropped: total.dropped,
        max_in_flight: max_in_flight.unwrap_or(0),
        in_flight_cap: cfg.max_in_flight,
        drain_timeouts,
        abandoned,
        late_records,
        lag_budget_us,
        saturated: total.dropped > 0 || total.schedule_lag.p99_us > lag_budget_us,
        pacer_cpu,
    };
    Report {
        scenario: cfg.scenario,
        model,
        shape,
        window: cfg.window,
        environment,
        elapsed,
        total,
        phases,
        windows,
        recovery,
        generator,
        interrupted,
        aborted,
        checks: Vec::new(),
        artifacts: None,
        interval_histograms,
        detail_histograms,
        faults,
        fault_recovery,
        shard,
        merged: None,
    }
}

/// The planned level at `at`, as `shard`'s share of it.
fn level_share(shape: &Shape, shard: Option<crate::shard::Shard>, at: Duration) -> f64 {
    let level = shape.level_at(at).value();
    match (shard, shape.model()) {
        (None, _) => level,
        (Some(s), Model::Open) => s.rate_share(level),
        (Some(s), Model::Closed) => s.users_share(level),
    }
}

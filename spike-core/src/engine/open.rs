//! The open-model pacer: starts every iteration at its intended instant.
//!
//! The pacer runs on a dedicated OS thread named `spike-pacer`, not on the
//! runtime. It sleeps on the OS's high-resolution timer
//! ([`std::thread::park_timeout`]: a futex wait on Linux, with the thread's
//! timer slack lowered to 1 µs) until the next intended start, then hands
//! every iteration due by now to the runtime in one message and sleeps
//! again; a spawner task on the runtime starts them (a batch costs one
//! cross-thread wake-up, and the tasks it spawns land in a worker's local
//! queue, where they start sooner than from the runtime's shared queue
//! when the workers are busy). Before the end of a sleep longer than
//! 1 ms it wakes a worker 100 µs early ([`WARM_LEAD`]), so the batch finds
//! one awake. Tokio's timer (1 ms resolution, rounded up) no longer bounds
//! when load arrives: at low rates an iteration starts within tens of
//! microseconds of its instant.
//!
//! At rates above one iteration per [`MIN_TICK`] the thread wakes at most
//! once per tick and starts every iteration due by then in one batch, so it
//! uses a few percent of one core even at 50k rps, never a busy core; the
//! rate stays exact (every window gets the integral of the rate ±1) and
//! latency still counts from the intended start. Stopping the run wakes the
//! thread at once ([`std::thread::Thread::unpark`]). The thread measures its
//! own CPU time, which the report keeps as
//! [`GeneratorHealth::pacer_cpu`](crate::GeneratorHealth::pacer_cpu).
//!
//! Should the OS refuse a thread, the same pacer runs as a task on tokio's
//! timer instead: the rate is as exact, the schedule lag is coarser (and
//! shows in the report).

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::iteration::{iteration_deadline, run_iteration, IterId};
use super::thread_clock::{lower_timer_slack, sleep_until, thread_cpu_time};
use super::Job;
use crate::recording::histogram::micros;
use crate::recording::shards::TallyKey;
use crate::shape::schedule::{Arrivals, RateProfile};
use crate::shape::Shape;
use crate::shard::Shard;
use crate::workload::Workload;

/// Shortest time between two wake-ups of the pacer thread. Iterations due
/// closer together than this start in batches, at most this late.
pub(crate) const MIN_TICK: Duration = Duration::from_micros(200);
/// A sleep longer than this ends with a warm-up: see [`WARM_LEAD`].
pub(crate) const WARM_AFTER: Duration = Duration::from_millis(1);
/// After a long sleep the runtime's workers are idle too, and waking an
/// idle worker costs about 100 µs (the CPU's idle state, or a VM's halted
/// virtual CPU). So a sleep longer than [`WARM_AFTER`] stops this much
/// early to wake a worker with an empty batch, then sleeps to the instant
/// and hands the real batch to a worker that is awake: at 200 rps this
/// halves the schedule lag, for one more wake-up per iteration below
/// 1,000 rps. Nothing starts early.
pub(crate) const WARM_LEAD: Duration = Duration::from_micros(100);
/// Iterations started between two looks at the stop token.
const BATCH: u32 = 256;
/// Name of the pacer thread.
pub(crate) const THREAD_NAME: &str = "spike-pacer";

/// What the pacer hands back when the schedule is done or the run stopped.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PacerEnd {
    pub(crate) max_in_flight: u64,
    /// CPU time of the pacer thread over its wall time (a fraction of one
    /// core); 0 when it ran on the runtime or the OS has no thread clock.
    pub(crate) cpu: f64,
}

/// Scheduled and dropped counts not yet flushed into a shard.
#[derive(Default)]
struct Pending {
    counts: Vec<(TallyKey, u64, u64)>,
}

impl Pending {
    fn add(&mut self, key: TallyKey, dropped: bool) {
        match self.counts.last_mut() {
            Some((k, s, d)) if *k == key => {
                *s += 1;
                *d += u64::from(dropped);
            }
            _ => self.counts.push((key, 1, u64::from(dropped))),
        }
    }

    fn flush<W>(&mut self, job: &Job<W>) {
        if self.counts.is_empty() {
            return;
        }
        job.run.shards.with(|s| {
            for (key, sched, dropped) in self.counts.drain(..) {
                let tally = s.tally(key);
                tally.scheduled += sched;
                tally.dropped += dropped;
            }
        });
    }
}

/// Batches of iterations to start, from the pacer to the spawner task.
type ToSpawner = mpsc::UnboundedSender<Vec<IterId>>;

/// The schedule walked in order: which iteration is next, and starting
/// every one that is due. Whoever drives it only decides when to look.
struct Pacer<'p, W> {
    job: Arc<Job<W>>,
    /// Where due iterations go (the in-flight cap bounds what is queued:
    /// a queued iteration already counts as in flight).
    spawner: ToSpawner,
    outbox: Vec<IterId>,
    arrivals: Arrivals<'p>,
    /// The next iteration this pacer starts: its global number and its
    /// intended start.
    next: Option<(u64, Duration)>,
    /// Shard count: after each iteration the pacer passes over the
    /// `stride − 1` that belong to the other shards.
    stride: u64,
    phase_ends: Vec<Duration>,
    last_window: u64,
    cap: u64,
    phase: usize,
    max_in_flight: u64,
    pending: Pending,
}

impl<'p, W: Workload> Pacer<'p, W> {
    fn new(
        job: Arc<Job<W>>,
        spawner: ToSpawner,
        profile: &'p RateProfile,
        shape: &Shape,
        cap: u64,
        shard: Option<Shard>,
    ) -> Self {
        let mut arrivals = profile.arrivals();
        let (first, stride) = shard.map_or((0, 1), |s| (s.index(), s.count()));
        let stride = u64::from(stride);
        // Shard i's first iteration is k = i.
        arrivals.skip_ahead(u64::from(first));
        let next = advance(&mut arrivals, stride);
        let last_window = job.run.windows_total - 1;
        Pacer {
            job,
            spawner,
            outbox: Vec::new(),
            arrivals,
            next,
            stride,
            phase_ends: shape.phases().iter().map(|p| p.end()).collect(),
            last_window,
            cap,
            phase: 0,
            max_in_flight: 0,
            pending: Pending::default(),
        }
    }

    /// Intended start of the next iteration, as an offset from the run start.
    fn next_due(&self) -> Option<Duration> {
        self.next.map(|(_, due)| due)
    }

    /// Start every iteration due at or before `now` (an offset from the run
    /// start), or drop it when the in-flight cap is reached; count them,
    /// then publish `now` as the position. False when `stop` fired midway.
    fn start_due(&mut self, now: Duration, stop: &CancellationToken) -> bool {
        let run = self.job.run.clone();
        let mut in_batch = 0u32;
        while let Some((k, due)) = self.next {
            if due > now {
                break;
            }
            while self.phase + 1 < self.phase_ends.len() && due >= self.phase_ends[self.phase] {
                self.phase += 1;
            }
            let window = (micros(due) / run.window_us).min(self.last_window);
            let key = (window, self.phase as u16);
            if run.in_flight.load(Ordering::Relaxed) >= self.cap {
                self.pending.add(key, true);
            } else {
                self.pending.add(key, false);
                let in_flight = run.in_flight.fetch_add(1, Ordering::Relaxed) + 1;
                self.max_in_flight = self.max_in_flight.max(in_flight);
                self.outbox.push(IterId {
                    iteration: k,
                    phase: key.1,
                    window,
                    offset: due,
                    user: None,
                });
            }
            self.next = advance(&mut self.arrivals, self.stride);
            in_batch += 1;
            if in_batch.is_multiple_of(BATCH) {
                self.hand_over();
                self.pending.flush(&self.job);
                if stop.is_cancelled() {
                    return false;
                }
            }
        }
        self.hand_over();
        self.pending.flush(&self.job);
        // Every iteration due by `now` is scheduled and counted.
        run.position_us.store(micros(now), Ordering::Release);
        true
    }

    /// Wake a runtime worker ahead of a batch (an empty batch).
    fn warm_up(&self) {
        let _ = self.spawner.send(Vec::new());
    }

    /// Send the iterations gathered so far to the spawner task.
    fn hand_over(&mut self) {
        if !self.outbox.is_empty() {
            let batch = std::mem::replace(&mut self.outbox, Vec::with_capacity(16));
            // No receiver: the runtime is gone, and the run with it.
            let _ = self.spawner.send(batch);
        }
    }

    /// Flush the last counts and tell the aggregator the schedule is done.
    fn finish(mut self) -> u64 {
        self.hand_over();
        self.pending.flush(&self.job);
        self.job.run.position_us.store(u64::MAX, Ordering::Release);
        self.max_in_flight
    }
}

/// The next iteration of `arrivals` (its global number and intended
/// start), then pass over the `stride − 1` after it (other shards' ones).
fn advance(arrivals: &mut Arrivals<'_>, stride: u64) -> Option<(u64, Duration)> {
    let k = arrivals.next_index();
    let due = arrivals.next()?;
    arrivals.skip_ahead(stride - 1);
    Some((k, due))
}

/// Wakes the pacer thread when the run stops, and stops it when the run
/// is dropped before the schedule ends.
struct WakeOnDrop {
    thread: std::thread::Thread,
    stop: CancellationToken,
}

impl Drop for WakeOnDrop {
    fn drop(&mut self) {
        self.stop.cancel();
        self.thread.unpark();
    }
}

/// Start every iteration the pacer sends, each as its own task; ends when
/// the pacer is done and everything it sent is started.
async fn spawner<W: Workload>(job: Arc<Job<W>>, mut batches: mpsc::UnboundedReceiver<Vec<IterId>>) {
    while let Some(batch) = batches.recv().await {
        for id in batch {
            let job = job.clone();
            tokio::spawn(async move {
                let (until, _) = iteration_deadline(&job.run, &id);
                let deadline = std::pin::pin!(tokio::time::sleep_until(until));
                let cancelled = std::pin::pin!(job.run.cancel.cancelled());
                run_iteration(&job.run, &job.workload, id, deadline, cancelled).await;
                job.run.in_flight.fetch_sub(1, Ordering::Release);
            });
        }
    }
}

/// Run the open-model schedule of `shape` (only `shard`'s iterations, when
/// given) with at most `cap` iterations in flight until it ends or `stop`
/// fires.
pub(crate) async fn pace<W: Workload>(
    job: Arc<Job<W>>,
    shape: Shape,
    cap: u64,
    shard: Option<Shard>,
    stop: CancellationToken,
) -> PacerEnd {
    let stop = stop.child_token();
    let (to_spawner, batches) = mpsc::unbounded_channel();
    tokio::spawn(spawner(job.clone(), batches));
    let (done, end) = oneshot::channel();
    let spawned = std::thread::Builder::new()
        .name(THREAD_NAME.to_owned())
        .spawn({
            let (job, shape, stop, to_spawner) =
                (job.clone(), shape.clone(), stop.clone(), to_spawner.clone());
            move || {
                let profile = RateProfile::new(&shape);
                let pacer = Pacer::new(job, to_spawner, &profile, &shape, cap, shard);
                let _ = done.send(pace_on_thread(pacer, &stop));
            }
        });
    let thread = match spawned {
        Ok(handle) => handle.thread().clone(),
        Err(_) => {
            // No thread to be had: pace on the runtime's timer instead.
            let runner = tokio::spawn(pace_on_timer(job, shape, cap, shard, to_spawner, stop));
            return runner.await.unwrap_or_default();
        }
    };
    drop(to_spawner);
    let _wake = WakeOnDrop {
        thread: thread.clone(),
        stop: stop.clone(),
    };
    let mut end = end;
    tokio::select! {
        biased;
        r = &mut end => return r.unwrap_or_default(),
        () = stop.cancelled() => thread.unpark(),
    }
    end.await.unwrap_or_default()
}

/// The pacer thread's loop: sleep to the next due instant (but at least
/// [`MIN_TICK`] after the last wake-up; a long sleep warms a worker up
/// [`WARM_LEAD`] before its end), start what is due, repeat.
fn pace_on_thread<W: Workload>(mut pacer: Pacer<'_, W>, stop: &CancellationToken) -> PacerEnd {
    lower_timer_slack();
    let cpu_start = thread_cpu_time();
    let wall_start = std::time::Instant::now();
    let t0 = pacer.job.run.t0.into_std();
    let mut earliest = Duration::ZERO;
    while let Some(due) = pacer.next_due() {
        let at = t0 + due.max(earliest);
        if at.saturating_duration_since(std::time::Instant::now()) > WARM_AFTER {
            if !sleep_until(at - WARM_LEAD, stop) {
                break;
            }
            pacer.warm_up();
        }
        if !sleep_until(at, stop) {
            break;
        }
        let now = t0.elapsed();
        if !pacer.start_due(now, stop) {
            break;
        }
        earliest = now + MIN_TICK;
    }
    let max_in_flight = pacer.finish();
    let wall = wall_start.elapsed();
    let cpu = match (cpu_start, thread_cpu_time()) {
        (Some(a), Some(b)) if !wall.is_zero() => {
            b.saturating_sub(a).as_secs_f64() / wall.as_secs_f64()
        }
        _ => 0.0,
    };
    PacerEnd { max_in_flight, cpu }
}

/// The same schedule on tokio's timer (1 ms resolution), for when the OS
/// gives no thread.
async fn pace_on_timer<W: Workload>(
    job: Arc<Job<W>>,
    shape: Shape,
    cap: u64,
    shard: Option<Shard>,
    spawner: ToSpawner,
    stop: CancellationToken,
) -> PacerEnd {
    let profile = RateProfile::new(&shape);
    let t0 = job.run.t0;
    let mut pacer = Pacer::new(job, spawner, &profile, &shape, cap, shard);
    while let Some(due) = pacer.next_due() {
        let slept = tokio::select! {
            biased;
            () = stop.cancelled() => false,
            () = tokio::time::sleep_until(t0 + due) => true,
        };
        if !slept || !pacer.start_due(t0.elapsed(), &stop) {
            break;
        }
        // A long catch-up batch must not hold this worker.
        tokio::task::yield_now().await;
    }
    PacerEnd {
        max_in_flight: pacer.finish(),
        cpu: 0.0,
    }
}

#[cfg(test)]
#[path = "open_tests.rs"]
mod tests;

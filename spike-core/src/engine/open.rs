//! The open-model pacer: starts every iteration at its intended instant.
//!
//! It wakes, starts every iteration whose intended start is not in the
//! future, then sleeps until the next one. Tokio's timer has a 1 ms
//! resolution, so at high rates one wake-up starts several iterations: the
//! rate stays exact and latency still counts from the intended start.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::iteration::{run_iteration, IterId};
use super::Job;
use crate::recording::shards::TallyKey;
use crate::shape::schedule::RateProfile;
use crate::shape::Shape;
use crate::workload::Workload;

/// Iterations started between two yields to the runtime.
const BATCH: u32 = 256;

pub(crate) struct PacerResult {
    pub(crate) max_in_flight: u64,
}

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

/// Wait until `due`: on the timer (1 ms resolution), or, with precise
/// pacing, on the timer until 1 ms before and then yielding to the runtime
/// until the instant (sub-millisecond, at the price of a busy pacer).
/// Returns false when the run was stopped.
async fn wait_until(due: Instant, precise: bool, stop: &CancellationToken) -> bool {
    if !precise {
        return tokio::select! {
            biased;
            () = stop.cancelled() => false,
            () = tokio::time::sleep_until(due) => true,
        };
    }
    let early = due.checked_sub(SPIN_WINDOW).unwrap_or(due);
    if Instant::now() < early {
        let slept = tokio::select! {
            biased;
            () = stop.cancelled() => false,
            () = tokio::time::sleep_until(early) => true,
        };
        if !slept {
            return false;
        }
    }
    while Instant::now() < due {
        if stop.is_cancelled() {
            return false;
        }
        tokio::task::yield_now().await;
    }
    true
}

/// How long before a due instant precise pacing stops sleeping and spins.
const SPIN_WINDOW: Duration = Duration::from_millis(1);

pub(crate) async fn pace<W: Workload>(
    job: Arc<Job<W>>,
    shape: Shape,
    cap: u64,
    precise: bool,
    stop: CancellationToken,
) -> PacerResult {
    let run = job.run.clone();
    let profile = RateProfile::new(&shape);
    let phase_ends: Vec<Duration> = shape.phases().iter().map(|p| p.end()).collect();
    let window_us = run.window_us;
    let last_window = run.windows_total - 1;
    let mut arrivals = profile.arrivals();
    let mut next = arrivals.next();
    let mut iteration = 0u64;
    let mut phase = 0usize;
    let mut max_in_flight = 0u64;
    let mut pending = Pending::default();
    'outer: while let Some(first_due) = next {
        if !wait_until(run.t0 + first_due, precise, &stop).await {
            break 'outer;
        }
        let now = run.t0.elapsed();
        let mut in_batch = 0u32;
        while let Some(due) = next {
            if due > now {
                break;
            }
            while phase + 1 < phase_ends.len() && due >= phase_ends[phase] {
                phase += 1;
            }
            let window = (crate::recording::histogram::micros(due) / window_us).min(last_window);
            let key = (window, phase as u16);
            if run.in_flight.load(Ordering::Relaxed) >= cap {
                pending.add(key, true);
            } else {
                pending.add(key, false);
                let in_flight = run.in_flight.fetch_add(1, Ordering::Relaxed) + 1;
                max_in_flight = max_in_flight.max(in_flight);
                let job = job.clone();
                let id = IterId {
                    iteration,
                    phase: key.1,
                    window,
                    offset: due,
                    user: None,
                };
                tokio::spawn(async move {
                    run_iteration(&job.run, &job.workload, id).await;
                    job.run.in_flight.fetch_sub(1, Ordering::Release);
                });
            }
            iteration += 1;
            next = arrivals.next();
            in_batch += 1;
            if in_batch.is_multiple_of(BATCH) {
                pending.flush(&job);
                tokio::task::yield_now().await;
                if stop.is_cancelled() {
                    break 'outer;
                }
            }
        }
        pending.flush(&job);
        // Every iteration due by `now` is scheduled and counted.
        run.position_us
            .store(crate::recording::histogram::micros(now), Ordering::Release);
    }
    pending.flush(&job);
    run.position_us.store(u64::MAX, Ordering::Release);
    PacerResult { max_in_flight }
}

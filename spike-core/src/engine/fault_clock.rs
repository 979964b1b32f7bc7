//! The fault clock: switches the planned faults on and off on the run's
//! clock and records when it really did.
//!
//! A dedicated OS thread, `spike-faults`, sleeps on the OS's
//! high-resolution timer (the pacer's [`sleep_until`], with the thread's
//! timer slack lowered to 1 µs) until the next planned edge, measured from
//! the same run start as the schedule, calls [`Fault::start`] or
//! [`Fault::stop`] and records the instant. A fault that would outlive the
//! shape is stopped at the shape's end. When the run is interrupted, or the
//! clock is dropped with the run, the thread wakes at once and stops every
//! fault still on: a fault never outlives its run. Should the OS refuse a
//! thread, the same plan runs as a task on tokio's timer (1 ms resolution).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

use super::thread_clock::{lower_timer_slack, sleep_until};
use crate::faults::{Chaos, Fault};
use crate::report::FaultSpan;

/// Name of the fault clock's thread.
pub(crate) const THREAD_NAME: &str = "spike-faults";

/// The recorded edges of one fault.
#[derive(Debug, Clone, Copy, Default)]
struct Edges {
    on: Option<Duration>,
    off: Option<Duration>,
    cut: bool,
}

/// The faults of a run and their edges so far, shared by the clock (which
/// writes) and the engine (which tags windows as they close).
#[derive(Debug)]
pub(crate) struct FaultLog {
    names: Vec<String>,
    edges: Mutex<Vec<Edges>>,
}

impl FaultLog {
    pub(crate) fn new(chaos: &Chaos) -> Arc<Self> {
        Arc::new(FaultLog {
            names: chaos.faults().iter().map(|f| f.name.clone()).collect(),
            edges: Mutex::new(vec![Edges::default(); chaos.len()]),
        })
    }

    fn record(&self, fault: usize, f: impl FnOnce(&mut Edges)) {
        let mut edges = self.edges.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut edges[fault]);
    }

    /// Names of the faults on during any part of `[start, end)` by the
    /// edges recorded so far (a fault not yet stopped counts as on).
    pub(crate) fn active_in(&self, start: Duration, end: Duration) -> Vec<String> {
        let edges = self.edges.lock().unwrap_or_else(PoisonError::into_inner);
        self.names
            .iter()
            .zip(edges.iter())
            .filter(|(_, e)| e.on.is_some_and(|on| on < end) && e.off.is_none_or(|off| off > start))
            .map(|(n, _)| n.clone())
            .collect()
    }
}

/// One planned edge.
#[derive(Debug, Clone, Copy)]
struct Edge {
    at: Duration,
    fault: usize,
    on: bool,
    /// A stop moved to the shape's end.
    cut: bool,
}

/// The plan as edges in time order (stops before starts at one instant).
fn edges_of(chaos: &Chaos, shape_end: Duration) -> Vec<Edge> {
    let mut edges = Vec::with_capacity(chaos.len() * 2);
    for (i, f) in chaos.faults().iter().enumerate() {
        let end = f.start.saturating_add(f.length);
        edges.push(Edge {
            at: f.start,
            fault: i,
            on: true,
            cut: false,
        });
        edges.push(Edge {
            at: end.min(shape_end),
            fault: i,
            on: false,
            cut: end > shape_end,
        });
    }
    edges.sort_by_key(|e| (e.at, e.on));
    edges
}

/// What the clock thread (or task) works on.
struct Switcher {
    faults: Vec<Arc<dyn Fault>>,
    log: Arc<FaultLog>,
    t0: Instant,
}

impl Switcher {
    fn apply(&self, edge: Edge) {
        let fault = &self.faults[edge.fault];
        let at = self.t0.elapsed();
        // A fault that panics is still recorded (and later stopped): the
        // clock goes on with the other faults.
        let call = |f: &dyn Fn()| {
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
        };
        if edge.on {
            call(&|| fault.start());
            self.log.record(edge.fault, |e| e.on = Some(at));
        } else {
            call(&|| fault.stop());
            self.log.record(edge.fault, |e| {
                e.off = Some(at);
                e.cut = edge.cut;
            });
        }
    }

    /// Stop every fault still on (the run ends).
    fn stop_all(&self) {
        let on: Vec<usize> = {
            let edges = self
                .log
                .edges
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            (0..edges.len())
                .filter(|&i| edges[i].on.is_some() && edges[i].off.is_none())
                .collect()
        };
        for i in on {
            self.apply(Edge {
                at: Duration::ZERO,
                fault: i,
                on: false,
                cut: true,
            });
        }
    }
}

/// A running fault clock; dropping it stops every active fault.
pub(crate) struct FaultClock {
    chaos: Chaos,
    log: Arc<FaultLog>,
    stop: CancellationToken,
    thread: Option<std::thread::Thread>,
    done: Option<oneshot::Receiver<()>>,
}

impl FaultClock {
    /// Start switching `chaos` on the clock of `t0`; `stop` (cancelled on
    /// interrupt) stops every active fault at once.
    pub(crate) fn start(
        chaos: Chaos,
        log: Arc<FaultLog>,
        t0: Instant,
        shape_end: Duration,
        stop: CancellationToken,
    ) -> Self {
        let edges = edges_of(&chaos, shape_end);
        let switcher = Switcher {
            faults: chaos.faults().iter().map(|f| f.fault.clone()).collect(),
            log: log.clone(),
            t0,
        };
        let (done_tx, done) = oneshot::channel();
        let (thread_stop, task_stop) = (stop.clone(), stop.clone());
        let spawned = std::thread::Builder::new()
            .name(THREAD_NAME.to_owned())
            .spawn(move || {
                lower_timer_slack();
                for edge in edges {
                    if !sleep_until(t0 + edge.at, &thread_stop) {
                        break;
                    }
                    switcher.apply(edge);
                }
                switcher.stop_all();
                let _ = done_tx.send(());
            });
        let thread = match spawned {
            Ok(handle) => {
                let thread = handle.thread().clone();
                // A stop wakes the sleeping thread.
                let waker = thread.clone();
                tokio::spawn(async move {
                    task_stop.cancelled().await;
                    waker.unpark();
                });
                Some(thread)
            }
            Err(_) => {
                // No thread to be had: the same plan on tokio's timer. The
                // closure above was dropped with its sender; make a new one.
                let (done_tx, fallback_done) = oneshot::channel();
                let switcher = Switcher {
                    faults: chaos.faults().iter().map(|f| f.fault.clone()).collect(),
                    log: log.clone(),
                    t0,
                };
                let edges = edges_of(&chaos, shape_end);
                let t0 = tokio::time::Instant::from_std(t0);
                tokio::spawn(async move {
                    for edge in edges {
                        tokio::select! {
                            biased;
                            () = task_stop.cancelled() => break,
                            () = tokio::time::sleep_until(t0 + edge.at) => switcher.apply(edge),
                        }
                    }
                    switcher.stop_all();
                    let _ = done_tx.send(());
                });
                return FaultClock {
                    chaos,
                    log,
                    stop,
                    thread: None,
                    done: Some(fallback_done),
                };
            }
        };
        FaultClock {
            chaos,
            log,
            stop,
            thread,
            done: Some(done),
        }
    }

    /// End the clock: at once when `now` (the run was interrupted), else
    /// after its last planned edge (at the latest the shape's end). Every
    /// fault is off when this returns; the spans are in plan order.
    pub(crate) async fn finish(mut self, now: bool) -> Vec<FaultSpan> {
        if now {
            self.wake();
        }
        if let Some(done) = self.done.take() {
            // An error means the thread is gone (a fault panicked in it):
            // what it recorded stands.
            let _ = done.await;
        }
        let edges = self
            .log
            .edges
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        self.chaos
            .faults()
            .iter()
            .zip(edges)
            .map(|(f, e)| FaultSpan {
                name: f.name.clone(),
                description: crate::redact::redact(&f.fault.describe()).into_owned(),
                planned_start: f.start,
                planned_end: f.start.saturating_add(f.length),
                actual_start: e.on,
                actual_end: e.off,
                stopped_at_run_end: e.cut,
            })
            .collect()
    }

    fn wake(&self) {
        self.stop.cancel();
        if let Some(t) = &self.thread {
            t.unpark();
        }
    }
}

impl Drop for FaultClock {
    fn drop(&mut self) {
        self.wake();
    }
}

//! The resource sampler: a small OS thread, `spike-resources`, that reads
//! every series once per window, at the window's end.
//!
//! It sleeps like the pacer and the fault clock (the OS's timer, a stop
//! unparks it) until `t0 + (k + 1) · window` — the end of window `k`, the
//! last one cut at the shape's end — reads every probe and files the
//! samples under window `k`. Sampling stays off the runtime, so a slow
//! `/proc` read never delays an iteration, and exactly one sample per
//! series per window is taken (none for a series that could not be read:
//! a gap, announced once as a notice).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

use super::probe::Probe;
use crate::engine::thread_clock::sleep_until;
use crate::report::ResourceSample;

/// Name of the sampling thread.
pub(crate) const THREAD_NAME: &str = "spike-resources";

/// Samples filed by window index.
pub(crate) type Samples = Vec<(u64, BTreeMap<String, ResourceSample>)>;

/// A running sampler; dropping it stops the thread.
pub(crate) struct Sampler {
    log: Arc<Mutex<Samples>>,
    stop: CancellationToken,
    thread: Option<std::thread::Thread>,
    done: Option<oneshot::Receiver<()>>,
}

/// The end of window `k` (the last window ends at `shape_end`).
fn boundary(k: u64, window: Duration, shape_end: Duration) -> Duration {
    let nanos = window.as_nanos().saturating_mul(u128::from(k) + 1);
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX)).min(shape_end)
}

impl Sampler {
    /// Start sampling `probes` at each window end of the run started at
    /// `t0`; `stop` (the run's interruption) ends it at once.
    pub(crate) fn start(
        probes: Vec<Probe>,
        t0: Instant,
        window: Duration,
        shape_end: Duration,
        stop: CancellationToken,
    ) -> Self {
        let log = Arc::new(Mutex::new(Samples::new()));
        let (done_tx, done) = oneshot::channel();
        let (thread_log, thread_stop) = (log.clone(), stop.clone());
        let spawned = std::thread::Builder::new()
            .name(THREAD_NAME.to_owned())
            .spawn(move || {
                let mut lost = vec![false; probes.len()];
                for k in 0u64.. {
                    let at = boundary(k, window, shape_end);
                    if !sleep_until(t0 + at, &thread_stop) {
                        break;
                    }
                    let mut samples = BTreeMap::new();
                    for (probe, lost) in probes.iter().zip(lost.iter_mut()) {
                        match probe.read() {
                            Some(s) => {
                                samples.insert(probe.name.clone(), s);
                            }
                            None if !*lost => {
                                *lost = true;
                                crate::notice::notice(&format!(
                                    "resource series `{}` could not be read at {:.1}s (process exited, or the probe panicked): its windows from there on have gaps",
                                    probe.name,
                                    at.as_secs_f64()
                                ));
                            }
                            None => {}
                        }
                    }
                    thread_log
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push((k, samples));
                    if at >= shape_end {
                        break;
                    }
                }
                let _ = done_tx.send(());
            });
        let thread = match spawned {
            Ok(handle) => {
                let thread = handle.thread().clone();
                let (waker, task_stop) = (thread.clone(), stop.clone());
                tokio::spawn(async move {
                    task_stop.cancelled().await;
                    waker.unpark();
                });
                Some(thread)
            }
            Err(e) => {
                crate::notice::notice(&format!(
                    "no thread for resource sampling ({e}): this run has no resource samples"
                ));
                None
            }
        };
        let done = thread.is_some().then_some(done);
        Sampler {
            log,
            stop,
            thread,
            done,
        }
    }

    /// End sampling: at once when `now` (the run was interrupted), else
    /// after the sample at the shape's end. Returns the samples by window.
    pub(crate) async fn finish(mut self, now: bool) -> Samples {
        if now {
            self.wake();
        }
        if let Some(done) = self.done.take() {
            let _ = done.await;
        }
        std::mem::take(&mut *self.log.lock().unwrap_or_else(PoisonError::into_inner))
    }

    fn wake(&self) {
        self.stop.cancel();
        if let Some(t) = &self.thread {
            t.unpark();
        }
    }
}

impl Drop for Sampler {
    fn drop(&mut self) {
        self.wake();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries_are_window_ends_cut_at_the_shape_end() {
        let w = Duration::from_millis(300);
        let end = Duration::from_millis(1_000);
        let b: Vec<Duration> = (0..4).map(|k| boundary(k, w, end)).collect();
        assert_eq!(
            b,
            [300, 600, 900, 1_000].map(Duration::from_millis).to_vec()
        );
        assert_eq!(boundary(u64::MAX, w, end), end);
    }
}

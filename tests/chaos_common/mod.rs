//! Helpers shared by the chaos tests: servers whose behaviour is known by
//! construction, medians, and a fault clock on the run's clock.
//!
//! `FaultClock` stands in for the engine's `Scenario::chaos` plan until it
//! lands: it learns the run's start from the first iteration
//! (`Ctx::run_start`), sleeps to each planned edge and switches the fault,
//! recording when each edge really happened. Replace it (and `Clocked`)
//! with `.chaos(Chaos::new().fault(..))` then.
#![allow(dead_code, unreachable_pub)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use spike::faults::Fault;
use spike::prelude::*;
use spike::Workload;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::Notify;

/// An echo server on 127.0.0.1: every byte read is written back.
pub async fn echo_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind echo");
    let addr = listener.local_addr().expect("echo addr");
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16 * 1024];
                loop {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => {
                            if stream.write_all(&buf[..n]).await.is_err() {
                                return;
                            }
                        }
                    }
                }
            });
        }
    });
    addr
}

/// A server on 127.0.0.1 that, for each byte `b'g'` it reads, writes
/// `size` bytes (the pattern `i % 251`).
pub async fn blob_server(size: usize) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind blob");
    let addr = listener.local_addr().expect("blob addr");
    let blob: Arc<Vec<u8>> = Arc::new((0..size).map(|i| (i % 251) as u8).collect());
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let blob = blob.clone();
            tokio::spawn(async move {
                let mut byte = [0u8; 1];
                while let Ok(1) = stream.read(&mut byte).await {
                    if byte[0] == b'g' && stream.write_all(&blob).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    addr
}

/// A server on 127.0.0.1 that reads requests and never answers; counts
/// the bytes it received.
pub async fn silent_server() -> (SocketAddr, Arc<std::sync::atomic::AtomicU64>) {
    use std::sync::atomic::{AtomicU64, Ordering};
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind silent");
    let addr = listener.local_addr().expect("silent addr");
    let received = Arc::new(AtomicU64::new(0));
    let counted = received.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let counted = counted.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 1024];
                while let Ok(n) = stream.read(&mut buf).await {
                    if n == 0 {
                        return;
                    }
                    counted.fetch_add(n as u64, Ordering::SeqCst);
                }
            });
        }
    });
    (addr, received)
}

/// The median of `samples` (sorted in place).
pub fn median(samples: &mut [Duration]) -> Duration {
    samples.sort_unstable();
    samples[samples.len() / 2]
}

/// The 1-minute load average, if the machine tells.
pub fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// When an edge of a planned fault happened.
#[derive(Debug, Clone)]
pub struct Edge {
    /// The fault's name.
    pub name: String,
    /// `true` for the start edge.
    pub on: bool,
    /// Planned offset from the run start.
    pub planned: Duration,
    /// Actual offset from the run start.
    pub actual: Duration,
}

/// One planned fault: name, fault, start, length.
type Planned = (String, Arc<dyn Fault>, Duration, Duration);

/// Switches faults on the run's clock (see the module docs).
#[derive(Clone, Default)]
pub struct FaultClock {
    run_start: Arc<OnceLock<Instant>>,
    started: Arc<Notify>,
    plan: Arc<Mutex<Vec<Planned>>>,
}

impl FaultClock {
    pub fn new() -> Self {
        FaultClock::default()
    }

    /// Plan `fault`, called `name`, on from `at` for `lasting`.
    pub fn fault(self, name: &str, fault: impl Fault, at: Duration, lasting: Duration) -> Self {
        self.plan
            .lock()
            .unwrap()
            .push((name.to_owned(), Arc::new(fault), at, lasting));
        self
    }

    /// Wrap a workload so its iterations tell the clock the run's start.
    pub fn clocked<W: Workload>(&self, inner: W) -> Clocked<W> {
        Clocked {
            clock: self.clone(),
            inner,
        }
    }

    fn mark(&self, ctx: &Ctx) {
        if self.run_start.set(ctx.run_start()).is_ok() {
            self.started.notify_one();
        }
    }

    /// Start the clock task: it waits for the run's start, then switches
    /// each planned edge; its result is the edges as they happened.
    pub fn spawn(&self) -> tokio::task::JoinHandle<Vec<Edge>> {
        let clock = self.clone();
        tokio::spawn(async move {
            let notified = clock.started.notified();
            let start = match clock.run_start.get() {
                Some(s) => *s,
                None => {
                    notified.await;
                    *clock.run_start.get().expect("set before the notice")
                }
            };
            let mut edges: Vec<(Duration, bool, String, Arc<dyn Fault>)> = Vec::new();
            for (name, fault, at, lasting) in clock.plan.lock().unwrap().iter() {
                edges.push((*at, true, name.clone(), fault.clone()));
                edges.push((*at + *lasting, false, name.clone(), fault.clone()));
            }
            edges.sort_by_key(|e| e.0);
            let mut done = Vec::new();
            for (planned, on, name, fault) in edges {
                // The timer wakes up to ~2 ms late: sleep to 3 ms before
                // the edge, then yield until it, to keep within 1 ms.
                let edge = start + planned;
                let early = edge.checked_sub(Duration::from_millis(3)).unwrap_or(edge);
                tokio::time::sleep_until(early.into()).await;
                while Instant::now() < edge {
                    tokio::task::yield_now().await;
                }
                if on {
                    fault.start();
                } else {
                    fault.stop();
                }
                done.push(Edge {
                    name,
                    on,
                    planned,
                    actual: start.elapsed(),
                });
            }
            done
        })
    }
}

/// A workload that marks the run's start on a [`FaultClock`].
pub struct Clocked<W> {
    clock: FaultClock,
    inner: W,
}

impl<W: Workload> Workload for Clocked<W> {
    type Future = W::Future;
    type Output = W::Output;

    fn call(&self, ctx: Ctx) -> Self::Future {
        self.clock.mark(&ctx);
        self.inner.call(ctx)
    }

    fn check(&self) -> Result<(), String> {
        self.inner.check()
    }
}

/// The instants of `name`'s edges: (on, off), from the run start.
pub fn window_of(edges: &[Edge], name: &str) -> (Duration, Duration) {
    let on = edges
        .iter()
        .find(|e| e.name == name && e.on)
        .expect("start edge")
        .actual;
    let off = edges
        .iter()
        .find(|e| e.name == name && !e.on)
        .expect("stop edge")
        .actual;
    (on, off)
}

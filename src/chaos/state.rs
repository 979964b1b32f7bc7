//! What the proxy's tasks share: the target, the counters and the set of
//! faults that are on (a watch channel, so connections wake on a change).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::sync::watch;

use super::fault::{Direction, FaultInner, Kind};

/// The faults that are on, in the order they were switched on.
pub(crate) type Active = Arc<Vec<Arc<FaultInner>>>;

/// Counters of a proxy (see [`ProxyStats`](super::ProxyStats)).
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) accepted: AtomicU64,
    pub(crate) open: AtomicU64,
    pub(crate) refused: AtomicU64,
    pub(crate) reset: AtomicU64,
    pub(crate) closed_by_fault: AtomicU64,
    pub(crate) upstream_failed: AtomicU64,
    pub(crate) bytes_upstream: AtomicU64,
    pub(crate) bytes_downstream: AtomicU64,
}

pub(crate) struct Shared {
    pub(crate) target: SocketAddr,
    pub(crate) counters: Counters,
    active: watch::Sender<Active>,
    next_id: AtomicU64,
    /// How late the timer wakes, a moving average in ns (see
    /// `pump::sleep_on_time`).
    pub(crate) timer_late_ns: AtomicU64,
    /// How many faults are on (the passthrough's one check per chunk).
    on: AtomicUsize,
}

impl Shared {
    pub(crate) fn new(target: SocketAddr) -> Self {
        Shared {
            target,
            counters: Counters::default(),
            active: watch::Sender::new(Arc::new(Vec::new())),
            next_id: AtomicU64::new(0),
            timer_late_ns: AtomicU64::new(0),
            on: AtomicUsize::new(0),
        }
    }

    pub(crate) fn next_fault_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Make the active set agree with the fault's switch. Runs under the
    /// channel's lock, so concurrent starts and stops end as the last
    /// switch says; never waits for I/O.
    pub(crate) fn sync(&self, fault: &Arc<FaultInner>) {
        self.active.send_if_modified(|active| {
            let present = active.iter().any(|f| f.id == fault.id);
            match (fault.is_on(), present) {
                (true, false) => {
                    let mut next = Vec::clone(active);
                    next.push(fault.clone());
                    self.on.store(next.len(), Ordering::SeqCst);
                    *active = Arc::new(next);
                    true
                }
                (false, true) => {
                    let next: Vec<_> = active
                        .iter()
                        .filter(|f| f.id != fault.id)
                        .cloned()
                        .collect();
                    self.on.store(next.len(), Ordering::SeqCst);
                    *active = Arc::new(next);
                    true
                }
                _ => false,
            }
        });
    }

    /// Whether any fault is on.
    pub(crate) fn any_on(&self) -> bool {
        self.on.load(Ordering::SeqCst) > 0
    }

    /// A receiver that wakes on every change of the active set.
    pub(crate) fn subscribe(&self) -> watch::Receiver<Active> {
        self.active.subscribe()
    }

    /// The faults on now.
    pub(crate) fn active(&self) -> Active {
        self.active.borrow().clone()
    }
}

/// Whether new connections are refused.
pub(crate) fn refusing(active: &[Arc<FaultInner>]) -> bool {
    active
        .iter()
        .any(|f| matches!(f.kind, Kind::Refuse | Kind::Down))
}

/// Whether connections are reset.
pub(crate) fn resetting(active: &[Arc<FaultInner>]) -> bool {
    active
        .iter()
        .any(|f| matches!(f.kind, Kind::ResetAll | Kind::Down))
}

/// Whether bytes of `way` are held.
pub(crate) fn stalled(active: &[Arc<FaultInner>], way: Direction) -> bool {
    active
        .iter()
        .any(|f| matches!(f.kind, Kind::Stall { dir } if dir.covers(way)))
}

//! One backend's capacity: a FIFO semaphore of `slots` with a bounded
//! number of waiters; beyond it requests are shed.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use tokio::sync::{Semaphore, SemaphorePermit};

pub(super) struct Gate {
    sem: Semaphore,
    slots: AtomicUsize,
    queue: usize,
    waiting: AtomicUsize,
    served: AtomicU64,
    shed: AtomicU64,
}

impl Gate {
    pub(super) fn new(slots: usize, queue: usize) -> Self {
        Gate {
            sem: Semaphore::new(slots),
            slots: AtomicUsize::new(slots),
            queue,
            waiting: AtomicUsize::new(0),
            served: AtomicU64::new(0),
            shed: AtomicU64::new(0),
        }
    }

    /// A slot, waiting in line if the queue has room; `None`: shed.
    pub(super) async fn admit(&self) -> Option<SemaphorePermit<'_>> {
        if let Ok(p) = self.sem.try_acquire() {
            return Some(p);
        }
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.queue {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            self.shed.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        let permit = self.sem.acquire().await.ok();
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        permit
    }

    pub(super) fn done(&self) {
        self.served.fetch_add(1, Ordering::Relaxed);
    }

    /// Whether a request is waiting for a slot.
    pub(super) fn is_saturated(&self) -> bool {
        self.waiting.load(Ordering::SeqCst) > 0
    }

    /// Whether the queue is full (the next request that finds no slot is shed).
    pub(super) fn is_full(&self) -> bool {
        self.waiting.load(Ordering::SeqCst) >= self.queue
    }

    pub(super) fn add_slots(&self, n: usize) -> usize {
        self.sem.add_permits(n);
        self.slots.fetch_add(n, Ordering::SeqCst) + n
    }

    pub(super) fn slots(&self) -> usize {
        self.slots.load(Ordering::SeqCst)
    }

    pub(super) fn served(&self) -> u64 {
        self.served.load(Ordering::Relaxed)
    }

    pub(super) fn shed(&self) -> u64 {
        self.shed.load(Ordering::Relaxed)
    }
}

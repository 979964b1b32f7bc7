//! One backend's capacity: a FIFO semaphore of `slots` with a bounded
//! number of waiters; beyond it requests are shed.
//!
//! Each slot serves one request at a time for exactly `work`: a request
//! that waited for a slot starts at the instant that slot was planned to
//! be free, not when its previous holder's timer happened to wake (tokio's
//! timer rounds a sleep up to the next millisecond). So the timer's
//! lateness never adds up, and a saturated backend serves exactly
//! `slots / work` requests per second: the capacity is known by
//! construction.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::{Semaphore, SemaphorePermit};
use tokio::time::Instant;

pub(super) struct Gate {
    /// When each slot is planned to be free, earliest first.
    free_at: Mutex<BinaryHeap<Reverse<Instant>>>,
    sem: Semaphore,
    slots: AtomicUsize,
    queue: usize,
    waiting: AtomicUsize,
    served: AtomicU64,
    shed: AtomicU64,
}

impl Gate {
    pub(super) fn new(slots: usize, queue: usize) -> Self {
        let now = Instant::now();
        Gate {
            free_at: Mutex::new((0..slots).map(|_| Reverse(now)).collect()),
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

    /// Hold the admitted slot for `work`, from the later of `arrived` (when
    /// the request reached the backend) and the instant the slot was
    /// planned to be free.
    pub(super) async fn serve(&self, arrived: Instant, work: Duration) {
        let finish = {
            let mut free_at = self.free_at.lock().unwrap_or_else(|e| e.into_inner());
            let start = free_at.pop().map_or(arrived, |Reverse(t)| t.max(arrived));
            let finish = start + work;
            free_at.push(Reverse(finish));
            finish
        };
        tokio::time::sleep_until(finish).await;
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
        {
            let now = Instant::now();
            let mut free_at = self.free_at.lock().unwrap_or_else(|e| e.into_inner());
            free_at.extend((0..n).map(|_| Reverse(now)));
        }
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

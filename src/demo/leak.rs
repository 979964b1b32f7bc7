//! The demo service's leak mode: every request keeps a buffer of a set
//! size for the service's lifetime, its pages touched so the resident set
//! really grows, the way a cache without eviction leaks.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// Bytes per page touched (the smallest page size of the platforms spike
/// runs on): writing one byte per page makes the whole buffer resident.
const PAGE: usize = 4096;

/// What the service has leaked so far.
#[derive(Debug, Default)]
pub(super) struct Leak {
    per_request: usize,
    kept: Mutex<Vec<Box<[u8]>>>,
    bytes: Arc<AtomicU64>,
}

impl Leak {
    pub(super) fn new(per_request: usize) -> Self {
        Leak {
            per_request,
            ..Leak::default()
        }
    }

    /// One request served: keep `per_request` more bytes (nothing without
    /// a leak).
    pub(super) fn on_request(&self) {
        if self.per_request == 0 {
            return;
        }
        let mut buf = vec![0u8; self.per_request].into_boxed_slice();
        for i in (0..buf.len()).step_by(PAGE) {
            buf[i] = 1;
        }
        self.kept
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(buf);
        self.bytes
            .fetch_add(self.per_request as u64, Ordering::Relaxed);
    }

    /// Bytes kept so far.
    pub(super) fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// A counter of the bytes kept that outlives a borrow of the service.
    pub(super) fn counter(&self) -> Arc<AtomicU64> {
        self.bytes.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_request_keeps_its_bytes_and_none_without_a_leak() {
        let leak = Leak::new(10_000);
        for _ in 0..3 {
            leak.on_request();
        }
        assert_eq!(leak.bytes(), 30_000);
        let kept = leak.kept.lock().unwrap();
        assert!(kept
            .iter()
            .all(|b| b.len() == 10_000 && b[0] == 1 && b[8192] == 1));
        let none = Leak::new(0);
        none.on_request();
        assert_eq!(none.bytes(), 0);
    }
}

//! Shared helpers for the engine's integration tests.
#![allow(dead_code, unreachable_pub)]

use std::sync::{Mutex, MutexGuard};

/// Timing-sensitive tests in one binary take this lock so they do not
/// compete for the two cores with each other.
static TIMING: Mutex<()> = Mutex::new(());

pub fn timing_lock() -> MutexGuard<'static, ()> {
    TIMING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub fn runtime(workers: usize) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_time()
        .build()
        .expect("runtime")
}

/// `|a - b| <= tol`, with a message.
#[track_caller]
pub fn assert_close(what: &str, measured: f64, expected: f64, tol: f64) {
    assert!(
        (measured - expected).abs() <= tol,
        "{what}: measured {measured:.3}, expected {expected:.3} ± {tol:.3}"
    );
}

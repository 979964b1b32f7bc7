//! Shared helpers for the engine's integration tests.
#![allow(dead_code, unreachable_pub)]

use spike_core::run_lock::RunLock;

/// Timing-sensitive tests take the machine's run lock (what
/// `#[spike_test]` takes), so they never compete for the two cores with
/// each other, in this binary or another.
pub fn timing_lock() -> RunLock {
    RunLock::exclusive()
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

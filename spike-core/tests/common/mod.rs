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

/// A timing check is only meaningful when the generator kept its schedule:
/// when the machine is too busy for that, fail as INCONCLUSIVE with the
/// generator's figures, never with a bare number that looks like a bug.
/// `what` names the lag measured (`schedule lag p99 of the run`), `lag` is
/// its value and `budget` what the check needs.
#[track_caller]
pub fn require_kept_up(
    what: &str,
    lag: std::time::Duration,
    budget: std::time::Duration,
    report: &spike_core::Report,
) {
    if lag > budget {
        let g = &report.generator;
        panic!(
            "INCONCLUSIVE, not a wrong number: the machine was too busy for this timing check: \
             {what} {lag:?} is over the {budget:?} it needs (run: schedule lag p99 {}µs, max {}µs, \
             dropped {}, saturated {}); rerun on a quieter machine\n{report}",
            g.schedule_lag.p99_us, g.schedule_lag.max_us, g.dropped, g.saturated
        );
    }
}

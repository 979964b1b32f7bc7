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

/// How many times a timing test runs while its machine is too busy for it.
pub const ATTEMPTS: u32 = 3;

/// Run a timing test's `attempt` until the generator kept up (`Ok`), at
/// most [`ATTEMPTS`] times: an `Err` is an INCONCLUSIVE message (from
/// [`kept_up`]), written to stderr before the next attempt. After the last
/// attempt the test fails with that message, never with a bare number that
/// looks like a bug.
#[track_caller]
pub fn until_conclusive<T>(mut attempt: impl FnMut() -> Result<T, String>) -> T {
    let mut last = String::new();
    for n in 1..=ATTEMPTS {
        match attempt() {
            Ok(out) => return out,
            Err(message) => {
                eprintln!("attempt {n} of {ATTEMPTS}: {message}");
                last = message;
            }
        }
    }
    panic!("{last}")
}

/// A timing check is only meaningful when the generator kept its schedule:
/// `Err` with an INCONCLUSIVE message (the generator's figures) when the
/// machine was too busy for it. `what` names the lag measured (`schedule
/// lag p99 of the run`), `lag` is its value and `budget` what the check
/// needs.
pub fn kept_up(
    what: &str,
    lag: std::time::Duration,
    budget: std::time::Duration,
    report: &spike_core::Report,
) -> Result<(), String> {
    if lag <= budget {
        return Ok(());
    }
    let g = &report.generator;
    Err(format!(
        "INCONCLUSIVE, not a wrong number: the machine was too busy for this timing check: \
         {what} {lag:?} is over the {budget:?} it needs (run: schedule lag p99 {}µs, max {}µs, \
         dropped {}, saturated {}); rerun on a quieter machine\n{report}",
        g.schedule_lag.p99_us, g.schedule_lag.max_us, g.dropped, g.saturated
    ))
}

//! The `#[spike_test]` harness. It depends on the engine; the engine never
//! depends on it.
//!
//! For each test it takes the machine's run lock ([`RunLock`]), builds the
//! tokio runtime, installs the test's settings and sinks around the body
//! ([`TestContext`], [`crate::installed::Installed`]), enforces the
//! wall-clock timeout with a watchdog thread, and after the body writes each
//! run's artifacts once (with the checks its assertions evaluated), runs the
//! regression gate on the reports in memory ([`gate`]) and makes a failing
//! test's message end with the report paths. The code `#[spike_test]`
//! generates reaches it through `spike::__private` ([`SpikeTest`]).

mod aside;
mod collector;
mod failure_text;
pub mod gate;
mod junit;
mod progress_sink;
pub mod run_lock;
mod spike_test;
mod test_context;
mod watchdog;

#[cfg(test)]
mod tests;

pub use run_lock::RunLock;
pub use spike_test::{test_name, SpikeTest, TestOutcome, DEFAULT_ATTEMPTS, DEFAULT_GRACE};
pub use test_context::TestContext;

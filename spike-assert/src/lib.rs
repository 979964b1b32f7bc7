//! Fluent, soft assertions over a spike [`Report`](spike_core::Report).
//!
//! [`expect`] starts a chain; each quantity (`error_rate()`, `p95()`, ...)
//! takes a comparator; [`Expect::verify`] ends the chain. Every check runs,
//! then one failure lists them all as a table (check, scope, expected,
//! actual, verdict), followed by the report summary, where the chain was
//! verified and the path of the saved report.
//!
//! # Scopes: every later check, until the next scope method
//!
//! A chain starts in the `run` scope. A scope method — [`Expect::run`],
//! [`Expect::phase`], [`Expect::every_window`], [`Expect::window`] — sets
//! the scope of **every later check in the chain, until the next scope
//! method**; the table's scope column names it on every row (`run`,
//! `phase burst`, `every window of burst`, `every window`, `window #7`).
//! Two checks are run-level and ignore the scope: [`Expect::recovery`] and
//! [`Expect::no_regression_against`]. Their scope column says `run` (or
//! ``run vs baseline `main` ``), followed by `(ignores phase burst)` when
//! another scope was in force; the scope stays in force for the checks
//! after them. The soak checks — [`Expect::memory_of`],
//! [`Expect::memory_of_self`], [`Expect::memory_series`] and
//! [`Expect::latency_drift`] — are run-level too (see [`MemoryCheck`]).
//!
//! # Requests: one named request, in any scope
//!
//! [`Expect::request`] scopes every later check to one named request (an
//! entry of a mix, a step of a sequence) until
//! [`ForRequest::all_requests`]; it composes with the scope methods, which
//! keep the request: `.request("checkout").phase("burst").p95()` checks the
//! checkout requests of phase burst, and the scope column says
//! `request checkout, phase burst`. A request scope offers only what a
//! request has numbers for (latency percentiles, error rate, errors by
//! class, count): throughput, recovery and the other checks of whole
//! iterations do not compile there. A name the report does not have fails,
//! naming the ones it has and the closest.
//!
//! # Comparators: one meaning each
//!
//! | comparator | passes when | expected column |
//! | --- | --- | --- |
//! | `below(t)` | `value < t` | `< t` |
//! | `at_most(t)` | `value ≤ t` | `≤ t` |
//! | `above(t)` | `value > t` | `> t` |
//! | `at_least(t)` | `value ≥ t` | `≥ t` |
//! | `between(lo, hi)` | `lo ≤ value ≤ hi` | `≥ lo and ≤ hi` |
//! | `recovery().within(d)` | recovered, recovery time `≤ d` | `recovered ≤ d after the spike` |
//! | `recovery_from("db-cut").within(d)` | recovered after the fault's end, in `≤ d` | ``recovered ≤ d after `db-cut` ended`` |
//!
//! `within` is only for a time to an event (recovery); on a latency
//! percentile it is a deprecated alias of `at_most`.
//!
//! ```
//! use spike_assert::expect;
//! use spike_core::{ms, pct, rps, secs, Ctx, Scenario, Shape};
//!
//! # tokio::runtime::Builder::new_multi_thread().enable_time().build().unwrap().block_on(async {
//! let shape = Shape::builder()
//!     .hold(rps(100), ms(300)).named("baseline")
//!     .burst(rps(400), ms(200))
//!     .recover(rps(100), ms(500))
//!     .build()?;
//! let report = Scenario::new("checkout")
//!     .shape(shape)
//!     .window(ms(100))
//! #   .lag_budget(secs(1))
//! #   .recovery_criteria(spike_core::RecoveryCriteria { slack: secs(1), ..Default::default() })
//!     .run(|ctx: Ctx| async move { ctx.count("calls", 1); })
//!     .await?;
//!
//! expect(&report)
//!     .error_rate().below(pct(2))
//!     .p95().below(secs(5))
//!     .throughput().at_least(50.0)
//!     .recovery().within(ms(500))                    // run-level
//!     .phase("burst").p99().below(secs(5))           // phase burst
//!     .every_window().error_rate().at_most(pct(0))   // every window of burst
//!     .run()
//!     .dropped().at_most(0)                          // run
//!     .verify();
//! # Ok::<(), spike_core::SpikeError>(())
//! # }).unwrap();
//! ```
//!
//! A report whose generator dropped iterations, was saturated, abandoned
//! iterations or was interrupted fails the chain as inconclusive unless
//! [`Expect::allow_inconclusive`] says otherwise. A run an abort rule
//! stopped (`Report::aborted`) is not inconclusive: its checks are judged,
//! and a failure's message shows the rule that stopped it.
//!
//! # Capacity
//!
//! `expect(&cap)` on a capacity search's
//! [`CapacityReport`](spike_core::stress::CapacityReport) starts an
//! [`ExpectCapacity`] chain: `expect(&cap).capacity().at_least(rps(800))`.
//! A generator-bound search fails it saying "generator-bound at X", never
//! with a number ([`Subject`] is what `expect` accepts). Inside `#[spike_test]`
//! the evaluated checks are handed to the test in memory and written into
//! the run's `report.json` after the test body.

mod capacity;
mod chain;
mod chain_metrics;
mod chain_request;
mod chain_scopes;
mod chain_verify;
mod cmp;
mod eval;
mod fault_recovery;
mod measure;
mod quantity;
mod regression;
mod scope;
mod soak;
mod suggest;
mod units;
mod verdict;

pub use capacity::{CapacityCheck, ExpectCapacity};
pub use chain::{expect, Expect, Subject};
pub use chain_request::ForRequest;
pub use eval::DEFAULT_MIN_SAMPLES;
pub use fault_recovery::FaultRecoveryCheck;
pub use measure::{Chain, Measure, Recorded, RecoveryCheck, ServiceTime, TagShares, Threshold};
pub use soak::{DriftCheck, GrowthCheck, LeakRateCheck, MemoryCheck};
pub use verdict::{Failure, Verified};

//! # spike
//!
//! Spike tests for Rust services, written as ordinary `cargo test`
//! functions. Describe a sudden surge (ramp, burst, hold, recover), drive a
//! real workload through it, and get exact numbers back: latency corrected
//! for coordinated omission, error classes, throughput, and the time your
//! service took to recover.
//!
//! ```
//! use spike::prelude::*;
//!
//! # spike::__private::tokio::runtime::Builder::new_multi_thread().enable_time().build().unwrap().block_on(async {
//! let shape = Shape::builder()
//!     .hold(rps(200), ms(500)).named("baseline")
//!     .burst(rps(1_000), ms(500))
//!     .recover(rps(200), ms(1_000))
//!     .build()?;
//! let report = Scenario::new("readme")
//!     .shape(shape)
//!     .window(ms(100))
//!     .run(|ctx: Ctx| async move { ctx.count("calls", 1); })
//!     .await?;
//! assert_eq!(report.total.counter("calls"), 100 + 500 + 200);
//! # Ok::<(), SpikeError>(())
//! # }).unwrap();
//! ```
//!
//! The concepts (open vs closed model, coordinated omission, windows,
//! recovery time) are explained in `docs/spike_testing_guide.md`.

pub use spike_core::*;

// Fluent, soft assertions over a `Report` (spike-assert, docs/spike_testing_guide.md, "Assertions").
pub use spike_assert::{
    expect, CapacityCheck, Chain, DriftCheck, Expect, ExpectCapacity, Failure, ForRequest,
    GrowthCheck, LeakRateCheck, Measure, MemoryCheck, Recorded, RecoveryCheck, ServiceTime,
    Subject, TagShares, Threshold, Verified,
};

/// Marks a spike test: an ordinary `cargo test` function that runs on a tokio
/// runtime built for load, is skipped unless your crate's `spike` feature is
/// on, names its report after the test and fails with the report's path.
///
/// Add the feature to your crate's `Cargo.toml` once:
///
/// ```toml
/// [features]
/// spike = []
/// ```
///
/// then run the spike tests with `cargo test --features spike`:
///
/// ```
/// use spike::prelude::*;
///
/// #[spike_test(timeout = "30s")]
/// async fn checkout_survives_a_burst() -> Result<(), SpikeError> {
///     let shape = Shape::builder()
///         .hold(rps(50), ms(300))
///         .burst(rps(200), ms(300))
///         .recover(rps(50), ms(600))
///         .build()?;
///     let report = Scenario::new("checkout")
///         .shape(shape)
///         .window(ms(100))
///         .run(|_ctx: Ctx| async {})
///         .await?;
///     assert_eq!(report.total.errors, 0);
///     Ok(())
/// }
/// # fn main() {}
/// ```
///
/// Arguments (all optional): `worker_threads = 4`, `flavor =
/// "multi_thread" | "current_thread"`, `timeout = "90s"` (units `ms`, `s`,
/// `m`) and `crate = "path"`. See the "Writing spike tests" chapter of the
/// guide (`docs/spike_testing_guide.md`, "Writing spike tests").
pub use spike_macros::spike_test;

#[cfg(feature = "chaos")]
pub mod chaos;
#[cfg(feature = "http")]
pub mod demo;
#[cfg(feature = "http")]
pub mod file;
#[cfg(feature = "http")]
pub mod http;
#[cfg(any(feature = "prometheus", feature = "otlp"))]
pub mod live;

#[cfg(any(feature = "ws", feature = "postgres", feature = "redis"))]
mod macros;
#[cfg(any(feature = "ws", feature = "postgres", feature = "redis"))]
pub mod target_check;

/// What the WebSocket, Postgres and Redis drivers shared, under its old
/// name: [`MetricStats`] now lives in the engine (`spike::MetricStats`) and
/// the target checks in [`target_check`].
#[cfg(any(feature = "ws", feature = "postgres", feature = "redis"))]
#[deprecated(
    since = "0.2.0",
    note = "use `spike::MetricStats` and `spike::target_check`"
)]
pub mod driver {
    pub use crate::target_check::{
        check_target_host, check_target_url, judge_target, TargetRefused,
    };
    pub use spike_core::{MetricStats, MetricWindowStats};
}
#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(feature = "redis")]
pub mod redis;
#[cfg(feature = "ws")]
pub mod ws;

/// Everything a spike test usually needs: `use spike::prelude::*;`.
pub mod prelude {
    pub use spike_core::soak::Resources;
    pub use spike_core::{
        mb, ms, named, pct, rps, secs, users, Ctx, ErrorClass, IterError, IterResult, Mix, Outcome,
        RecoveryCriteria, Report, Scenario, Sequence, Shape, SpikeError, WorkloadExt,
    };

    pub use spike_core::abort::{Abort, WindowCheck};
    pub use spike_core::stress::{Slo, Stress};

    pub use crate::spike_test;

    pub use crate::expect;
}

/// Items generated code reaches through; not part of the public API.
#[doc(hidden)]
pub mod __private;

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

/// Everything a spike test usually needs: `use spike::prelude::*;`.
pub mod prelude {
    pub use spike_core::{
        ms, pct, rps, secs, users, Ctx, ErrorClass, IterError, IterResult, Outcome,
        RecoveryCriteria, Report, Scenario, Shape, SpikeError,
    };
}

/// Items generated code reaches through; not part of the public API.
#[doc(hidden)]
pub mod __private {
    pub use spike_core::TestContext;
    pub use tokio;
}

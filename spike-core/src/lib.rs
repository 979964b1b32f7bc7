//! The engine of [spike](https://docs.rs/spike-test) (package `spike-test`, library `spike`): load shapes, exact
//! open/closed-model scheduling, latency corrected for coordinated omission,
//! HdrHistogram metrics per run, phase and window, recovery time, and the
//! report. Most users depend on the facade instead (package `spike-test`,
//! used as `spike`).
//!
//! ```
//! use spike_core::{rps, ms, Ctx, Scenario, Shape};
//!
//! # tokio::runtime::Builder::new_multi_thread().enable_time().build().unwrap().block_on(async {
//! let shape = Shape::builder()
//!     .hold(rps(100), ms(500))
//!     .burst(rps(400), ms(500))
//!     .recover(rps(100), ms(500))
//!     .build()?;
//! let report = Scenario::new("quick").shape(shape).window(ms(100))
//!     .run(|_ctx: Ctx| async {}).await?;
//! assert_eq!(report.phase("burst").unwrap().stats.completed, 200);
//! # Ok::<(), spike_core::SpikeError>(())
//! # }).unwrap();
//! ```

mod aggregate;
pub mod artifacts;
#[path = "baseline.rs"]
mod baseline_store;
/// Saved runs and the regression gate: bands, comparison and storage,
/// and the environment-driven gate of spike tests ([`harness::gate`]).
pub mod baseline {
    pub use crate::baseline_store::*;
    pub use crate::harness::gate::{
        compare_from_env, current_bands, gate_test, missing_baseline_fails, save_from_env,
        save_if_asked, set_test_bands, strict_from_env,
    };
}
mod conclusive;
mod ctx;
mod engine;
mod error;
pub mod harness;
mod histogram;
pub mod installed;
mod level;
pub mod notice;
mod outcome;
mod paths;
pub mod progress;
mod recorder;
mod recovery;
pub mod redact;
mod report;
pub use harness::run_lock;
pub mod safety;
mod scenario;
mod schedule;
mod serde_micros;
mod shape;
mod shape_error;
pub mod sim;
pub mod sink;
mod stats;
mod units;
mod workload;

pub use conclusive::InconclusiveReason;
pub use ctx::Ctx;
pub use engine::{Progress, ProgressFn, StopFuture, WindowFn};
pub use error::SpikeError;
pub use harness::TestContext;
pub use histogram::{
    fmt_micros, new_latency_histogram, Percentiles, Quantile, HIGHEST_TRACKABLE_US,
    SIGNIFICANT_DIGITS,
};
pub use level::{rps, users, Level, Model};
pub use outcome::{class_of_io, ErrorClass, IntoOutcome, IterError, IterResult, Outcome};
pub use paths::{folder_name, spike_home};
#[doc(hidden)]
pub use recorder::BenchRecorder;
pub use recovery::{recovery_time_by, Recovery, RecoveryCriteria};
pub use report::{
    write_atomic, Check, Environment, GeneratorHealth, IntervalHistogram, PhaseReport, Report,
    WindowStats,
};
pub use scenario::{
    parse_scale_value, Scenario, DEFAULT_DRAIN_TIMEOUT, DEFAULT_ITERATION_TIMEOUT,
    DEFAULT_LAG_BUDGET, DEFAULT_MAX_IN_FLIGHT, DEFAULT_WINDOW, MAX_SETTING_DURATION, SHORT_WINDOW,
};
pub use schedule::{Arrivals, RateProfile};
pub use shape::{
    Phase, PhaseKind, Shape, ShapeBuilder, ShapeLimits, MAX_PHASES, MAX_RUN_DURATION,
    MAX_VIRTUAL_USERS,
};
pub use shape_error::ShapeError;
pub use stats::{GaugeStats, Stats, TagStats};
pub use units::{ms, pct, secs, Percent};
pub use workload::Workload;

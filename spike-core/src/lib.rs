//! The engine of [spike](https://docs.rs/spike): load shapes, exact
//! open/closed-model scheduling, latency corrected for coordinated omission,
//! HdrHistogram metrics per run, phase and window, recovery time, and the
//! report. Most users depend on the `spike` facade crate instead.
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

pub mod abort;
pub mod baselines;
mod conclusive;
mod engine;
mod error;
pub mod faults;
pub mod fmt;
pub mod harness;
pub mod installed;
pub mod merge;
mod metric_stats;
pub mod notice;
mod output;
mod paths;
pub mod recorded;
mod recording;
mod recovery;
pub mod redact;
mod report;
pub use harness::run_lock;
pub mod safety;
mod scale_env;
mod scenario;
pub mod scenario_file;
mod serde_micros;
mod shape;
pub mod shard;
pub mod sink;
pub mod soak;
pub mod stress;
pub mod targets;
mod workload;

/// Simulated targets, under their old module name.
#[deprecated(since = "0.2.0", note = "renamed to `spike_core::targets`")]
pub mod sim {
    pub use crate::targets::*;
}

/// Named baselines ([`baselines`]) and the environment-driven regression
/// gate of spike tests ([`harness::gate`]), under the old module name.
pub mod baseline {
    #[allow(deprecated)]
    pub use crate::baselines::*;
    pub use crate::harness::gate::{
        compare_from_env, current_bands, gate_test, missing_baseline_fails, save_from_env,
        save_if_asked, set_test_bands, strict_from_env,
    };
}
pub use output::{artifacts, progress};

pub use conclusive::InconclusiveReason;
pub use engine::{Progress, ProgressFn, StopFuture, WindowFn};
pub use error::SpikeError;
pub use harness::TestContext;
pub use metric_stats::{MetricStats, MetricWindowStats};
pub use paths::{folder_name, spike_home};
pub use recording::ctx::Ctx;
pub use recording::histogram::{
    new_latency_histogram, Percentiles, Quantile, HIGHEST_TRACKABLE_US, SIGNIFICANT_DIGITS,
};
pub use recording::outcome::{
    class_of_io, ErrorClass, IntoOutcome, IterError, IterResult, Outcome,
};
pub use recording::request::RequestTimer;
#[doc(hidden)]
pub use recording::shards::BenchRecorder;
pub use recording::stats::{GaugeStats, RequestStats, Stats, TagStats};
pub use recovery::{recovery_time_by, FaultRecovery, Recovery, RecoveryCriteria};
pub use report::{
    write_atomic, Check, DetailHistogram, Environment, FaultSpan, GeneratorHealth, HistogramKind,
    IntervalHistogram, PhaseReport, Report, ShardInfo, WindowStats,
};
pub use scale_env::parse_scale_value;
pub use scenario::settings::ScenarioSettings;
pub use scenario::{
    Scenario, DEFAULT_DRAIN_TIMEOUT, DEFAULT_ITERATION_TIMEOUT, DEFAULT_LAG_BUDGET,
    DEFAULT_MAX_IN_FLIGHT, DEFAULT_WINDOW, MAX_SETTING_DURATION, SHORT_WINDOW,
};
pub use shape::builder::ShapeBuilder;
pub use shape::error::ShapeError;
pub use shape::level::{rps, users, Level, Model};
pub use shape::limits::{ShapeLimits, MAX_PHASES, MAX_RUN_DURATION, MAX_VIRTUAL_USERS};
pub use shape::schedule::{Arrivals, RateProfile};
pub use shape::units::{ms, pct, secs, Percent};
pub use shape::{Phase, PhaseKind, Shape};
pub use soak::mb;
pub use workload::{named, Mix, Named, Sequence, Workload, WorkloadExt};

/// Format microseconds for people: `850µs`, `12.3ms`, `4.20s`.
#[deprecated(since = "0.2.0", note = "use `spike_core::fmt::duration_us`")]
#[must_use]
pub fn fmt_micros(us: u64) -> String {
    fmt::duration_us(us)
}

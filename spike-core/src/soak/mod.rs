//! Soak runs: resource samples per window, and verdicts on memory growth,
//! leaks and latency drift.
//!
//! [`Resources`] names what to sample — a process by pid, spike's own
//! process, a custom probe — and
//! [`Scenario::sample_resources`](crate::Scenario::sample_resources) turns
//! sampling on: a small thread reads every series once per window, at the
//! window's end, into [`WindowStats::resources`](crate::WindowStats::resources).
//! The verdicts ([`memory_verdict`], [`drift_verdict`]) are pure functions
//! over a report's windows after a warm-up; `spike_assert` checks them
//! (`expect(&r).memory_of(pid).growth().below(mb(200))`).
//!
//! ```
//! use spike_core::soak::{memory_verdict, Resources, SoakCriteria, SELF_SERIES};
//! use spike_core::{ms, rps, Ctx, Scenario, Shape};
//!
//! # tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
//! let report = Scenario::new("soak-doc")
//!     .shape(Shape::builder().hold(rps(50), ms(1_000)).build()?)
//!     .window(ms(100))
//!     .sample_resources(Resources::this_process())
//!     .run(|_ctx: Ctx| async {})
//!     .await?;
//! assert!(report.windows.iter().all(|w| w.resources.contains_key(SELF_SERIES)));
//! let criteria = SoakCriteria { warm_up: ms(200), ..SoakCriteria::default() };
//! let v = memory_verdict(&report, SELF_SERIES, criteria).unwrap();
//! assert_eq!(v.samples, 8);
//! # Ok::<(), spike_core::SpikeError>(())
//! # }).unwrap();
//! ```

mod probe;
pub(crate) mod sampler;
mod slope;
mod units;
mod verdict;

pub use crate::report::ResourceSample;
pub(crate) use probe::Probe;
pub use probe::{pid_series, ProbeFn, Resources, SELF_SERIES};
pub(crate) use slope::median as slope_median;
pub use slope::{theil_sen, Slope};
pub use units::{fmt_bytes, mb, MB};
pub use verdict::{
    drift_verdict, judge_drift, judge_memory, memory_points, memory_verdict, series_names,
    DriftVerdict, MemoryVerdict, NotJudged, SoakCriteria, DEFAULT_LEAK_FLOOR_BYTES,
    DEFAULT_WARM_UP, MIN_SOAK_SAMPLES,
};

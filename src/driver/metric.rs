//! Latency metrics a driver records beside the engine's iteration latency:
//! the WebSocket handshake and message round trip, the Postgres pool wait
//! and query time, the Redis lookup and source load time.
//!
//! The engine's histograms measure whole iterations. A driver often knows
//! more: *where* the time of an iteration went. A [`LatencyMetric`] keeps one
//! such part in HdrHistograms for the whole run, per phase and per window
//! (keyed, like the engine's, by the iteration's intended start), and
//! [`LatencyMetric::snapshot`] turns them into plain numbers a test asserts
//! on.
//!
//! ```
//! use spike::driver::LatencyMetric;
//! use spike::prelude::*;
//!
//! # spike::__private::tokio::runtime::Builder::new_multi_thread().enable_time().build().unwrap().block_on(async {
//! let wait = LatencyMetric::new("wait", ms(100));
//! let recorder = wait.clone();
//! let shape = Shape::builder().hold(rps(100), ms(300)).build()?;
//! Scenario::new("side-metric")
//!     .shape(shape)
//!     .window(ms(100))
//!     .run(move |ctx: Ctx| {
//!         let recorder = recorder.clone();
//!         async move { recorder.record(&ctx, ms(2)) }
//!     })
//!     .await?;
//! let snap = wait.snapshot();
//! assert_eq!(snap.total.count, 30);
//! assert_eq!(snap.phase("hold").unwrap().count, 30);
//! assert_eq!(snap.windows.len(), 3);
//! # Ok::<(), SpikeError>(())
//! # }).unwrap();
//! ```

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use hdrhistogram::Histogram;
use spike_core::{Ctx, Percentiles, HIGHEST_TRACKABLE_US};

/// Significant digits of side-metric histograms: 1% precision keeps one
/// histogram near 20 KB, so a long run's windows stay cheap.
const SIDE_DIGITS: u8 = 2;
/// Recording shards: records from different threads rarely share a lock.
const SHARDS: usize = 4;

fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, HIGHEST_TRACKABLE_US, SIDE_DIGITS)
        .expect("static histogram bounds are valid")
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros())
        .unwrap_or(u64::MAX)
        .clamp(1, HIGHEST_TRACKABLE_US)
}

#[derive(Default)]
struct Shard {
    total: Option<Histogram<u64>>,
    phases: BTreeMap<String, Histogram<u64>>,
    windows: BTreeMap<u64, (String, Histogram<u64>)>,
    out_of_range: u64,
}

struct Inner {
    name: String,
    window: Duration,
    shards: Vec<Mutex<Shard>>,
}

/// One named latency metric recorded by a driver, per run, phase and window.
///
/// Cheap to clone (clones share the data). Record with
/// [`record`](Self::record) from inside an iteration; read with
/// [`snapshot`](Self::snapshot) after the run (or during it).
#[derive(Clone)]
pub struct LatencyMetric {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for LatencyMetric {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LatencyMetric")
            .field("name", &self.inner.name)
            .field("window", &self.inner.window)
            .finish_non_exhaustive()
    }
}

impl LatencyMetric {
    /// A metric named `name` whose windows are `window` long (use the
    /// scenario's window so both line up; anything under 10 ms counts as
    /// 10 ms).
    #[must_use]
    pub fn new(name: impl Into<String>, window: Duration) -> Self {
        LatencyMetric {
            inner: Arc::new(Inner {
                name: name.into(),
                window: window.max(Duration::from_millis(10)),
                shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            }),
        }
    }

    /// The metric's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The window length.
    #[must_use]
    pub fn window(&self) -> Duration {
        self.inner.window
    }

    /// Record one value for the iteration `ctx`: it lands in the whole run,
    /// the iteration's phase and the window of its intended start. Values
    /// above 60 s are clamped and counted as out of range. The value is
    /// also recorded in the report under this metric's name
    /// (`Stats::metrics`, `expect(..).metric(name)`).
    pub fn record(&self, ctx: &Ctx, value: Duration) {
        ctx.record(self.inner.name.clone(), value);
        let window = u64::try_from(ctx.intended_start().as_nanos() / self.inner.window.as_nanos())
            .unwrap_or(u64::MAX);
        let us = micros(value);
        let shard = shard_index(ctx.iteration());
        let mut s = self.inner.shards[shard]
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if value.as_micros() > u128::from(HIGHEST_TRACKABLE_US) {
            s.out_of_range += 1;
        }
        s.total
            .get_or_insert_with(new_histogram)
            .saturating_record(us);
        let phase = ctx.phase();
        match s.phases.get_mut(phase) {
            Some(h) => h.saturating_record(us),
            None => {
                let mut h = new_histogram();
                h.saturating_record(us);
                s.phases.insert(phase.to_owned(), h);
            }
        }
        s.windows
            .entry(window)
            .or_insert_with(|| (phase.to_owned(), new_histogram()))
            .1
            .saturating_record(us);
    }

    /// Merge every shard into plain numbers: whole run, per phase, per
    /// window (only windows that received a value, in order).
    #[must_use]
    pub fn snapshot(&self) -> MetricSnapshot {
        let mut total = new_histogram();
        let mut phases: BTreeMap<String, Histogram<u64>> = BTreeMap::new();
        let mut windows: BTreeMap<u64, (String, Histogram<u64>)> = BTreeMap::new();
        let mut out_of_range = 0;
        for shard in &self.inner.shards {
            let s = shard.lock().unwrap_or_else(PoisonError::into_inner);
            out_of_range += s.out_of_range;
            if let Some(h) = &s.total {
                total.add(h).expect("same histogram bounds");
            }
            for (name, h) in &s.phases {
                phases
                    .entry(name.clone())
                    .or_insert_with(new_histogram)
                    .add(h)
                    .expect("same histogram bounds");
            }
            for (index, (phase, h)) in &s.windows {
                windows
                    .entry(*index)
                    .or_insert_with(|| (phase.clone(), new_histogram()))
                    .1
                    .add(h)
                    .expect("same histogram bounds");
            }
        }
        let w = self.inner.window;
        MetricSnapshot {
            name: self.inner.name.clone(),
            window: w,
            total: Percentiles::of(&total),
            phases: phases
                .iter()
                .map(|(k, h)| (k.clone(), Percentiles::of(h)))
                .collect(),
            windows: windows
                .into_iter()
                .map(|(index, (phase, h))| {
                    let n = u32::try_from(index).unwrap_or(u32::MAX);
                    MetricWindow {
                        index,
                        start: w * n,
                        end: w * n.saturating_add(1),
                        phase,
                        latency: Percentiles::of(&h),
                    }
                })
                .collect(),
            out_of_range,
        }
    }
}

fn shard_index(iteration: u64) -> usize {
    // Consecutive iterations start on different workers; spreading them
    // over the shards keeps concurrent records on different locks.
    (iteration % SHARDS as u64) as usize
}

/// One window of a [`MetricSnapshot`].
#[derive(Debug, Clone, PartialEq)]
pub struct MetricWindow {
    /// Window number from the run start.
    pub index: u64,
    /// Window start offset (intended start of its iterations).
    pub start: Duration,
    /// Window end offset.
    pub end: Duration,
    /// Phase of the first iteration recorded in the window.
    pub phase: String,
    /// The values recorded in the window.
    pub latency: Percentiles,
}

/// The numbers of one [`LatencyMetric`]: whole run, per phase, per window.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricSnapshot {
    /// Metric name (`pool_wait`, `handshake`, ...).
    pub name: String,
    /// Window length.
    pub window: Duration,
    /// Whole run.
    pub total: Percentiles,
    /// Per phase name.
    pub phases: BTreeMap<String, Percentiles>,
    /// Per window that received a value, in order.
    pub windows: Vec<MetricWindow>,
    /// Values above 60 s (clamped to it).
    pub out_of_range: u64,
}

impl MetricSnapshot {
    /// The numbers of one phase; `None` when nothing was recorded in it.
    #[must_use]
    pub fn phase(&self, name: &str) -> Option<&Percentiles> {
        self.phases.get(name)
    }

    /// The windows of one phase.
    pub fn windows_of<'a>(&'a self, phase: &'a str) -> impl Iterator<Item = &'a MetricWindow> + 'a {
        self.windows.iter().filter(move |w| w.phase == phase)
    }
}

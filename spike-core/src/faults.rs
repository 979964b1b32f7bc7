//! Faults on the load's clock (DESIGN §faults): something that can be
//! switched on and off during a run, and the plan of when.
//!
//! The engine knows faults only through [`Fault`]: it switches each planned
//! fault on and off at its planned instants, on the same clock as the
//! schedule, records when each edge really happened, and shows in the
//! report, the windows and the artifacts when each fault was active. What a
//! fault does (a TCP proxy that resets connections, a demo service turned
//! slow, a flag a test flips) lives with whoever implements the trait; the
//! `spike` crate's `chaos` feature brings a fault proxy.
//!
//! * `Scenario::chaos(plan)` attaches a plan; before any traffic the run
//!   refuses (with `SpikeError::BadFault`, naming the fault) an empty or
//!   repeated name, a zero length, or a start at or after the shape's end.
//!   Faults of one plan may overlap. `SPIKE_TIME_SCALE` scales their
//!   starts and lengths like every duration of the shape.
//! * The fault clock, an OS thread named `spike-faults`, calls
//!   [`Fault::start`] and [`Fault::stop`] at the planned offsets from the
//!   same run start as the schedule, sleeping on the OS's high-resolution
//!   timer like the pacer (edges land within a millisecond of plan: 30 to
//!   500 µs measured on a shared 2-core machine, debug build), and records
//!   the instant of every edge.
//! * A fault that would outlive the shape is stopped at the shape's end; an
//!   interrupted (or dropped) run stops every active fault at once: a fault
//!   never outlives its run.
//! * The report keeps each fault's planned and actual edges
//!   (`Report::faults`, `Report::fault(name)`), tags every window the fault
//!   was active in (`WindowStats::faults`), and measures the recovery from
//!   each fault's end (`Report::recovery_from(name)`).
//!
//! ```
//! use std::sync::atomic::{AtomicBool, Ordering};
//! use std::sync::Arc;
//! use spike_core::faults::{at, lasting, Chaos, Fault};
//! use spike_core::{ms, rps, Ctx, Scenario, Shape};
//!
//! /// A fault that is a flag the service under test reads.
//! struct Flag(Arc<AtomicBool>);
//! impl Fault for Flag {
//!     fn describe(&self) -> String { "the flag is up".to_owned() }
//!     fn start(&self) { self.0.store(true, Ordering::SeqCst) }
//!     fn stop(&self) { self.0.store(false, Ordering::SeqCst) }
//! }
//!
//! # tokio::runtime::Builder::new_multi_thread().enable_time().build().unwrap().block_on(async {
//! let flag = Arc::new(AtomicBool::new(false));
//! let report = Scenario::new("chaos-doc")
//!     .shape(Shape::builder().hold(rps(100), ms(500)).build()?)
//!     .window(ms(100))
//!     .chaos(Chaos::new().fault("flag", Flag(flag.clone()), at(ms(150)), lasting(ms(200))))
//!     .run(|_ctx: Ctx| async {})
//!     .await?;
//! let span = report.fault("flag").unwrap();
//! assert!(span.actual_start.is_some() && span.actual_end.is_some());
//! assert!(!flag.load(Ordering::SeqCst));
//! # Ok::<(), spike_core::SpikeError>(())
//! # }).unwrap();
//! ```

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// Something that can be switched on and off while load runs.
///
/// [`Fault::start`] and [`Fault::stop`] are called from the engine's fault
/// clock, a thread that must keep every edge within a millisecond of its
/// plan: they must return at once (set state, signal tasks), never block on
/// I/O or wait for the fault to take effect.
pub trait Fault: Send + Sync + 'static {
    /// What the fault does, in a few words, for reports and messages:
    /// `reset every connection to 127.0.0.1:5432`. No secrets.
    fn describe(&self) -> String;
    /// Switch the fault on.
    fn start(&self);
    /// Switch the fault off (the target is reachable as before).
    fn stop(&self);
}

impl<F: Fault + ?Sized> Fault for Arc<F> {
    fn describe(&self) -> String {
        (**self).describe()
    }
    fn start(&self) {
        (**self).start();
    }
    fn stop(&self) {
        (**self).stop();
    }
}

/// When a fault starts, from the run start: `at(secs(12))`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct At(pub Duration);

/// How long a fault lasts once started: `lasting(secs(3))`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lasting(pub Duration);

/// A fault's start, as an offset from the run start.
#[must_use]
pub fn at(offset: Duration) -> At {
    At(offset)
}

/// A fault's length.
#[must_use]
pub fn lasting(length: Duration) -> Lasting {
    Lasting(length)
}

/// One fault of a [`Chaos`] plan.
#[derive(Clone)]
pub struct PlannedFault {
    /// Its name, unique in the plan: what reports, windows and
    /// `recovery_from(..)` call it.
    pub name: String,
    /// What it does.
    pub fault: Arc<dyn Fault>,
    /// Planned start, from the run start.
    pub start: Duration,
    /// Planned length.
    pub length: Duration,
}

impl fmt::Debug for PlannedFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlannedFault")
            .field("name", &self.name)
            .field("fault", &self.fault.describe())
            .field("start", &self.start)
            .field("length", &self.length)
            .finish()
    }
}

/// The faults of a run and when each is active, on the run's clock
/// (`Scenario::chaos`).
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct Chaos {
    faults: Vec<PlannedFault>,
}

impl Chaos {
    /// An empty plan.
    pub fn new() -> Self {
        Chaos::default()
    }

    /// Add `fault`, called `name`, active from `start` for `length`.
    /// Names must be unique and faults must lie inside the shape: the
    /// scenario checks that before any traffic.
    pub fn fault(
        mut self,
        name: impl Into<String>,
        fault: impl Fault,
        start: At,
        length: Lasting,
    ) -> Self {
        self.faults.push(PlannedFault {
            name: name.into(),
            fault: Arc::new(fault),
            start: start.0,
            length: length.0,
        });
        self
    }

    /// The planned faults, in the order they were added.
    #[must_use]
    pub fn faults(&self) -> &[PlannedFault] {
        &self.faults
    }

    /// How many faults are planned.
    #[must_use]
    pub fn len(&self) -> usize {
        self.faults.len()
    }

    /// Whether no fault is planned.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.faults.is_empty()
    }

    /// The first fault of the plan that cannot run against a shape lasting
    /// `shape_end`: its name and what is wrong with it.
    pub(crate) fn problem(&self, shape_end: Duration) -> Option<(String, String)> {
        for (i, f) in self.faults.iter().enumerate() {
            let reason = if f.name.trim().is_empty() {
                Some("a fault needs a name (reports and `recovery_from(..)` use it)".to_owned())
            } else if self.faults[..i].iter().any(|g| g.name == f.name) {
                Some("another fault of the plan has this name; names must be unique".to_owned())
            } else if f.length.is_zero() {
                Some("its length is zero".to_owned())
            } else if f.start >= shape_end {
                Some(format!(
                    "it starts at {:?}, at or after the end of the shape ({shape_end:?})",
                    f.start
                ))
            } else {
                None
            };
            if let Some(reason) = reason {
                return Some((f.name.clone(), reason));
            }
        }
        None
    }

    /// The plan with every start and length multiplied by `time` (the
    /// scenario's time scale; a finite factor above zero, checked with the
    /// shape's scaling).
    pub(crate) fn scaled(mut self, time: f64) -> Self {
        if (time - 1.0).abs() > f64::EPSILON {
            // Saturating: a start scaled past any shape is refused later.
            let scale = |d: Duration| {
                Duration::try_from_secs_f64(d.as_secs_f64() * time).unwrap_or(Duration::MAX)
            };
            for f in &mut self.faults {
                f.start = scale(f.start);
                f.length = scale(f.length);
            }
        }
        self
    }
}

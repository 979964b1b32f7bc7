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
//! ```
//! use std::sync::atomic::{AtomicBool, Ordering};
//! use std::sync::Arc;
//! use spike_core::faults::{at, lasting, Chaos, Fault};
//! use spike_core::secs;
//!
//! /// A fault that is a flag the service under test reads.
//! struct Outage(Arc<AtomicBool>);
//!
//! impl Fault for Outage {
//!     fn describe(&self) -> String {
//!         "the service answers 503".to_owned()
//!     }
//!     fn start(&self) {
//!         self.0.store(true, Ordering::SeqCst);
//!     }
//!     fn stop(&self) {
//!         self.0.store(false, Ordering::SeqCst);
//!     }
//! }
//!
//! let down = Arc::new(AtomicBool::new(false));
//! let chaos = Chaos::new().fault("outage", Outage(down.clone()), at(secs(2)), lasting(secs(3)));
//! assert_eq!(chaos.len(), 1);
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
}

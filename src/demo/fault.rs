//! Faults of the demo service's downstream dependency, to switch on the
//! load's clock (`Scenario::chaos`): the dependency turned slow, or down.

use std::fmt;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use spike_core::faults::Fault;

use super::State;

/// What a [`DemoFault`] does while it is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Every downstream call takes this long instead of the configured
    /// latency (calls beyond the downstream's capacity still fail at once).
    Slow(Duration),
    /// Every downstream call fails at once.
    Down,
}

/// A fault of a running [`super::DemoService`]'s downstream dependency,
/// made by [`super::DemoService::slow_downstream`] or
/// [`super::DemoService::downstream_down`]. It implements
/// [`Fault`]: `start` switches it on, `stop` off, both at once.
#[derive(Clone)]
pub struct DemoFault {
    state: Arc<State>,
    kind: Kind,
}

impl fmt::Debug for DemoFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DemoFault")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl DemoFault {
    pub(super) fn slow(state: Arc<State>, latency: Duration) -> Self {
        DemoFault {
            state,
            kind: Kind::Slow(latency),
        }
    }

    pub(super) fn down(state: Arc<State>) -> Self {
        DemoFault {
            state,
            kind: Kind::Down,
        }
    }
}

/// A latency in µs for the slow-downstream override, never 0 (0 means
/// "not slow").
fn override_us(latency: Duration) -> u64 {
    u64::try_from(latency.as_micros())
        .unwrap_or(u64::MAX)
        .max(1)
}

impl Fault for DemoFault {
    fn describe(&self) -> String {
        match self.kind {
            Kind::Slow(latency) => format!("demo downstream takes {latency:?} per call"),
            Kind::Down => "demo downstream fails every call".to_owned(),
        }
    }

    fn start(&self) {
        match self.kind {
            Kind::Slow(latency) => self
                .state
                .downstream_slow_us
                .store(override_us(latency), Ordering::SeqCst),
            Kind::Down => self.state.downstream_down.store(true, Ordering::SeqCst),
        }
    }

    fn stop(&self) {
        match self.kind {
            Kind::Slow(_) => self.state.downstream_slow_us.store(0, Ordering::SeqCst),
            Kind::Down => self.state.downstream_down.store(false, Ordering::SeqCst),
        }
    }
}

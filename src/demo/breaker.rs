//! The circuit breaker guarding the downstream dependency.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The breaker's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    /// Calls go through.
    Closed,
    /// Calls get the fallback.
    Open,
    /// One trial call is in flight; the others get the fallback.
    HalfOpen,
}

/// What to do with one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Decision {
    Call,
    Trial,
    Fallback,
}

enum Inner {
    Closed { failures: u32 },
    Open { until: Instant },
    HalfOpen,
}

pub(super) struct Breaker {
    failures: u32,
    cool_down: Duration,
    inner: Mutex<Inner>,
}

/// A state change the service records as an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Change {
    Opened,
    HalfOpen,
    Closed,
}

impl Breaker {
    pub(super) fn new(failures: u32, cool_down: Duration) -> Self {
        Breaker {
            failures,
            cool_down,
            inner: Mutex::new(Inner::Closed { failures: 0 }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(super) fn state(&self) -> BreakerState {
        match *self.lock() {
            Inner::Closed { .. } => BreakerState::Closed,
            Inner::Open { .. } => BreakerState::Open,
            Inner::HalfOpen => BreakerState::HalfOpen,
        }
    }

    pub(super) fn before(&self, now: Instant) -> (Decision, Option<Change>) {
        let mut inner = self.lock();
        match *inner {
            Inner::Closed { .. } => (Decision::Call, None),
            Inner::Open { until } if now >= until => {
                *inner = Inner::HalfOpen;
                (Decision::Trial, Some(Change::HalfOpen))
            }
            Inner::Open { .. } | Inner::HalfOpen => (Decision::Fallback, None),
        }
    }

    pub(super) fn after(&self, decision: Decision, ok: bool, now: Instant) -> Option<Change> {
        let mut inner = self.lock();
        match (decision, &mut *inner) {
            (Decision::Trial, _) if ok => {
                *inner = Inner::Closed { failures: 0 };
                Some(Change::Closed)
            }
            (Decision::Trial, _) => {
                *inner = Inner::Open {
                    until: now + self.cool_down,
                };
                Some(Change::Opened)
            }
            (Decision::Call, Inner::Closed { failures }) => {
                if ok {
                    *failures = 0;
                    return None;
                }
                *failures += 1;
                if *failures >= self.failures {
                    *inner = Inner::Open {
                        until: now + self.cool_down,
                    };
                    return Some(Change::Opened);
                }
                None
            }
            // Results of calls that started before the breaker opened.
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_n_failures_and_closes_after_a_good_trial() {
        let b = Breaker::new(3, Duration::from_millis(100));
        let t = Instant::now();
        for i in 0..2 {
            assert_eq!(b.before(t).0, Decision::Call);
            assert_eq!(b.after(Decision::Call, false, t), None, "failure {i}");
        }
        // a success resets the count
        assert_eq!(b.after(Decision::Call, true, t), None);
        for _ in 0..2 {
            assert_eq!(b.after(Decision::Call, false, t), None);
        }
        assert_eq!(b.after(Decision::Call, false, t), Some(Change::Opened));
        assert_eq!(b.state(), BreakerState::Open);
        assert_eq!(
            b.before(t + Duration::from_millis(99)).0,
            Decision::Fallback
        );
        let later = t + Duration::from_millis(100);
        assert_eq!(b.before(later), (Decision::Trial, Some(Change::HalfOpen)));
        assert_eq!(b.before(later).0, Decision::Fallback, "one trial at a time");
        assert_eq!(b.after(Decision::Trial, false, later), Some(Change::Opened));
        let again = later + Duration::from_millis(100);
        assert_eq!(b.before(again).0, Decision::Trial);
        assert_eq!(b.after(Decision::Trial, true, again), Some(Change::Closed));
        assert_eq!(b.state(), BreakerState::Closed);
    }
}

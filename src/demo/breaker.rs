//! The circuit breaker guarding the downstream dependency.

use std::collections::VecDeque;
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

/// Failures older than this no longer count towards opening the breaker.
pub(super) const FAILURE_WINDOW: Duration = Duration::from_secs(1);

enum Inner {
    /// Times of the failures within the last [`FAILURE_WINDOW`].
    Closed {
        failures: VecDeque<Instant>,
    },
    Open {
        until: Instant,
    },
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
            inner: Mutex::new(Inner::Closed {
                failures: VecDeque::new(),
            }),
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
                *inner = Inner::Closed {
                    failures: VecDeque::new(),
                };
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
                    return None;
                }
                while failures
                    .front()
                    .is_some_and(|t| now.duration_since(*t) >= FAILURE_WINDOW)
                {
                    failures.pop_front();
                }
                failures.push_back(now);
                if failures.len() >= self.failures as usize {
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
    fn opens_after_n_failures_within_a_second_and_closes_after_a_good_trial() {
        let b = Breaker::new(3, Duration::from_millis(100));
        let t0 = Instant::now();
        for i in 0..2 {
            assert_eq!(b.before(t0).0, Decision::Call);
            assert_eq!(b.after(Decision::Call, false, t0), None, "failure {i}");
        }
        // successes in between do not reset the count; failures a second
        // old do not count
        assert_eq!(b.after(Decision::Call, true, t0), None);
        let t = t0 + FAILURE_WINDOW;
        assert_eq!(b.after(Decision::Call, false, t), None);
        assert_eq!(b.after(Decision::Call, false, t), None);
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

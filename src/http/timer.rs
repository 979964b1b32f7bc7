//! Request timers kept for reuse. A tokio timer moved to a later deadline
//! is an atomic update; a new one costs a timer-wheel insert on its first
//! poll and a removal when dropped. Requests of one client in one runtime
//! have the same timeout, so each next deadline is later: a kept timer
//! makes the request timeout almost free.

use std::pin::Pin;
use std::sync::{Mutex, PoisonError};

use tokio::runtime::{Handle, Id};
use tokio::time::{Instant, Sleep};

/// Idle timers, each with the runtime whose timer driver it belongs to
/// (a client may outlive a runtime and serve another).
#[derive(Debug, Default)]
pub(super) struct Timers {
    idle: Mutex<Vec<Timer>>,
}

/// A timer taken for one request; back with [`Timers::keep`].
#[derive(Debug)]
pub(super) struct Timer {
    runtime: Id,
    pub(super) sleep: Pin<Box<Sleep>>,
}

impl Timers {
    /// A timer that fires at `deadline`: a kept one of the current runtime
    /// moved there, or a new one. Must run inside a tokio runtime.
    pub(super) fn start(&self, deadline: Instant) -> Timer {
        let runtime = Handle::current().id();
        let kept = {
            let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
            match idle.pop() {
                Some(t) if t.runtime == runtime => Some(t),
                // Another runtime's timers are of no use here.
                Some(_) => {
                    idle.retain(|t| t.runtime == runtime);
                    None
                }
                None => None,
            }
        };
        match kept {
            Some(mut timer) => {
                timer.sleep.as_mut().reset(deadline);
                timer
            }
            None => Timer {
                runtime,
                sleep: Box::pin(tokio::time::sleep_until(deadline)),
            },
        }
    }

    /// Keep `timer` for a later request.
    pub(super) fn keep(&self, timer: Timer) {
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(timer);
    }
}

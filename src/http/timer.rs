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

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::task::Poll;
    use std::time::Duration;

    use super::*;

    /// Poll the timer once, so that it is registered with the driver.
    async fn pending(timer: &mut Timer) -> bool {
        std::future::poll_fn(|cx| Poll::Ready(timer.sleep.as_mut().poll(cx).is_pending())).await
    }

    #[tokio::test]
    async fn a_kept_timer_fires_at_its_new_deadline_not_its_old_one() {
        let timers = Timers::default();
        let start = Instant::now();
        let mut timer = timers.start(start + Duration::from_millis(20));
        assert!(pending(&mut timer).await);
        timers.keep(timer);
        // Moved later (the cheap path), then awaited past the old deadline.
        let mut timer = timers.start(start + Duration::from_millis(150));
        timer.sleep.as_mut().await;
        assert!(start.elapsed() >= Duration::from_millis(150));
        timers.keep(timer);
        // A timer that fired is moved too.
        let again = Instant::now();
        let mut timer = timers.start(again + Duration::from_millis(30));
        assert!(pending(&mut timer).await);
        timer.sleep.as_mut().await;
        assert!(again.elapsed() >= Duration::from_millis(30));
    }

    #[test]
    fn a_timer_is_not_reused_in_another_runtime() {
        let timers = Timers::default();
        let runtime = || {
            tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .build()
                .unwrap()
        };
        let first = runtime();
        let id = first.block_on(async {
            let timer = timers.start(Instant::now() + Duration::from_secs(10));
            let id = timer.runtime;
            timers.keep(timer);
            id
        });
        drop(first);
        runtime().block_on(async {
            let mut timer = timers.start(Instant::now() + Duration::from_millis(10));
            assert_ne!(timer.runtime, id);
            timer.sleep.as_mut().await;
        });
        assert_eq!(timers.idle.lock().unwrap().len(), 0);
    }
}

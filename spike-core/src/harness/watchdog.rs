//! A thread that interrupts a test's runs when its timeout fires.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use super::test_context::TestContext;

/// A thread that interrupts the test's runs when its timeout fires. It works
/// whatever the runtime flavor and even when the body blocks its thread.
/// Dropping it (the body ended) stops it.
pub(crate) struct Watchdog {
    pub(crate) fired: Arc<AtomicBool>,
    stop: Option<mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Watchdog {
    pub(crate) fn start(ctx: TestContext, limit: Duration, reason: String) -> Self {
        let fired = Arc::new(AtomicBool::new(false));
        let (stop, stopped) = mpsc::channel::<()>();
        let flag = fired.clone();
        let thread = std::thread::Builder::new()
            .name("spike-timeout".to_owned())
            .spawn(move || {
                if let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(limit) {
                    flag.store(true, Ordering::SeqCst);
                    ctx.interrupt(reason);
                }
            })
            .unwrap_or_else(|e| panic!("spike: could not start the timeout thread: {e}"));
        Watchdog {
            fired,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    pub(crate) fn fired(&self) -> bool {
        self.fired.load(Ordering::SeqCst)
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

//! One `#[spike_test]` run: the machine's run lock, the tokio runtime, the
//! test's context and sinks, the timeout, then the artifacts, the gate and
//! the test's verdict.

use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use super::failure_text::{reports_line, with_reports};
use super::run_lock::RunLock;
use super::test_context::TestContext;
use super::watchdog::Watchdog;

/// How long a test body gets, once its timeout fired and its runs were
/// interrupted, to finish with its partial report before the test fails
/// without waiting for it any more. A run stops within about a second of
/// the interrupt (in-flight iterations get 1 s), so this leaves room for the
/// body's assertions.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(5);

/// How long dropping the runtime may wait for blocking tasks the test left
/// behind.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(1);

/// The name cargo prints for a test: its module path inside the crate and
/// the function name, without the crate name (`module_path` is what
/// `module_path!()` gives at the test's definition).
///
/// ```
/// use spike_core::harness::test_name;
/// assert_eq!(test_name("my_service::api::tests", "burst"), "api::tests::burst");
/// assert_eq!(test_name("spike_tests", "burst"), "burst");
/// ```
#[must_use]
pub fn test_name(module_path: &str, fn_name: &str) -> String {
    match module_path.split_once("::") {
        Some((_crate, inner)) => format!("{inner}::{fn_name}"),
        None => fn_name.to_owned(),
    }
}

/// Which tokio runtime runs the test body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flavor {
    MultiThread,
    CurrentThread,
}

/// One `#[spike_test]` about to run: the settings its arguments asked for.
#[derive(Debug)]
#[must_use]
pub struct SpikeTest {
    name: String,
    flavor: Flavor,
    worker_threads: Option<usize>,
    timeout: Option<(Duration, String)>,
    grace: Duration,
    exclusive: bool,
}

/// Why the body stopped being polled.
enum Ending<T> {
    /// It finished (the timeout never fired).
    Finished(T),
    /// The timeout fired; the body finished within the grace period.
    TimedOut,
    /// The timeout fired and the body was still running after the grace
    /// period.
    Abandoned,
}

impl SpikeTest {
    /// A test named `name` (see [`test_name`]): multi-thread runtime with
    /// one worker per core, no timeout.
    pub fn new(name: impl Into<String>) -> Self {
        SpikeTest {
            name: name.into(),
            flavor: Flavor::MultiThread,
            worker_threads: None,
            timeout: None,
            grace: DEFAULT_GRACE,
            exclusive: true,
        }
    }

    /// Take the machine's run lock shared instead of exclusive
    /// (`exclusive = false`): this test may overlap other such tests, never
    /// an exclusive one. See [`RunLock`].
    pub fn shared_run(mut self) -> Self {
        self.exclusive = false;
        self
    }

    /// Wait for the machine's run lock (not part of the timeout: the
    /// watchdog starts after it).
    fn lock(&self) -> RunLock {
        RunLock::acquire(self.exclusive)
    }

    /// Run on a current-thread runtime (`flavor = "current_thread"`).
    pub fn current_thread(mut self) -> Self {
        self.flavor = Flavor::CurrentThread;
        self
    }

    /// Number of runtime worker threads (`worker_threads = N`).
    pub fn worker_threads(mut self, n: usize) -> Self {
        self.worker_threads = Some(n);
        self
    }

    /// Wall-clock limit (`timeout = "90s"`); `label` is how the test wrote
    /// it, used in messages.
    pub fn timeout(mut self, limit: Duration, label: impl Into<String>) -> Self {
        self.timeout = Some((limit, label.into()));
        self
    }

    /// How long the body gets after its timeout fired (default
    /// [`DEFAULT_GRACE`]).
    pub fn grace(mut self, grace: Duration) -> Self {
        self.grace = grace;
        self
    }

    /// The test's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    fn runtime(&self) -> tokio::runtime::Runtime {
        let mut builder = match self.flavor {
            Flavor::MultiThread => tokio::runtime::Builder::new_multi_thread(),
            Flavor::CurrentThread => tokio::runtime::Builder::new_current_thread(),
        };
        if let Some(n) = self.worker_threads {
            builder.worker_threads(n);
        }
        builder
            .enable_all()
            .thread_name("spike-worker")
            .build()
            .unwrap_or_else(|e| {
                panic!(
                    "spike test `{}`: could not build the tokio runtime: {e}",
                    self.name
                )
            })
    }

    /// Run an `async fn` test body on the runtime, inside the test's
    /// [`TestContext`], under the timeout. Returns the body's output.
    ///
    /// # Panics
    /// When the body panics (the panic goes on, its message followed by the
    /// saved report paths), or when the timeout fires (the message names the
    /// timeout and ends with the saved report paths).
    #[track_caller]
    pub fn run_async<T>(self, body: impl Future<Output = T>) -> T {
        let _lock = self.lock();
        let rt = self.runtime();
        let ctx = TestContext::new(self.name.clone());
        let watchdog = self.watchdog(&ctx);
        let grace = self.grace;
        let timed_out = watchdog.as_ref().map(|w| w.fired.clone());
        let scoped = ctx.clone().scope(body);
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
            rt.block_on(drive(scoped, &ctx, timed_out, grace))
        }));
        let fired = watchdog.as_ref().is_some_and(Watchdog::fired);
        drop(watchdog);
        rt.shutdown_timeout(SHUTDOWN_TIMEOUT);
        self.conclude(&ctx, outcome, fired)
    }

    /// Run a plain `fn` test body on the test thread, with the runtime
    /// entered and the test's [`TestContext`] current, under the timeout.
    ///
    /// The body may block: it can drive a run with
    /// `tokio::runtime::Handle::current().block_on(..)`. The timeout then
    /// interrupts the run, but a body that blocks on something else cannot be
    /// stopped and is only judged when it returns.
    ///
    /// # Panics
    /// As [`SpikeTest::run_async`].
    #[track_caller]
    pub fn run_sync<T>(self, body: impl FnOnce() -> T) -> T {
        let _lock = self.lock();
        let rt = self.runtime();
        let ctx = TestContext::new(self.name.clone());
        let watchdog = self.watchdog(&ctx);
        let outcome = {
            let _entered = rt.enter();
            let scoped = ctx.clone().scope(async move { body() });
            panic::catch_unwind(AssertUnwindSafe(|| poll_once(scoped)))
        };
        let fired = watchdog.as_ref().is_some_and(Watchdog::fired);
        drop(watchdog);
        rt.shutdown_timeout(SHUTDOWN_TIMEOUT);
        self.conclude(&ctx, outcome.map(Ending::Finished), fired)
    }

    fn watchdog(&self, ctx: &TestContext) -> Option<Watchdog> {
        let (limit, label) = self.timeout.as_ref()?;
        Some(Watchdog::start(
            ctx.clone(),
            *limit,
            format!("test timeout of {label} reached"),
        ))
    }

    /// Turn how the body ended into the test's result or panic. A body that
    /// finished after the timeout fired (its run stopped early, or it simply
    /// took that long) fails the test all the same.
    #[track_caller]
    fn conclude<T>(
        &self,
        ctx: &TestContext,
        outcome: std::thread::Result<Ending<T>>,
        timed_out: bool,
    ) -> T {
        // The artifacts are written once, here, with every check the body's
        // assertion chains handed to the test's sink.
        let reports = ctx.write_artifacts();
        let label = self
            .timeout
            .as_ref()
            .map_or("", |(_, label)| label.as_str());
        match outcome {
            Ok(Ending::Finished(out)) if !timed_out => {
                // `SPIKE_BASELINE=name`: the regression gate against a saved
                // baseline (no-op when the variable is not set).
                if let Err(table) = super::gate::gate_test(ctx) {
                    panic!("{table}");
                }
                out
            }
            Ok(Ending::Finished(_) | Ending::TimedOut) => panic!(
                "spike test `{}` reached its timeout of {label}: its runs were interrupted \
                 and stopped with a partial report.\n{}",
                self.name,
                reports_line(&reports),
            ),
            Ok(Ending::Abandoned) => panic!(
                "spike test `{}` reached its timeout of {label} and was still running {:?} \
                 after its runs were interrupted; it was abandoned.\n{}",
                self.name,
                self.grace,
                reports_line(&reports),
            ),
            Err(payload) => {
                let timeout = timed_out.then_some(label);
                panic::resume_unwind(with_reports(payload, &reports, timeout))
            }
        }
    }
}

/// Poll the body; once the watchdog fired, give it `grace` more.
async fn drive<F: Future>(
    body: F,
    ctx: &TestContext,
    timed_out: Option<Arc<AtomicBool>>,
    grace: Duration,
) -> Ending<F::Output> {
    let mut body = std::pin::pin!(body);
    let Some(timed_out) = timed_out else {
        return Ending::Finished(body.await);
    };
    // Completes only when the watchdog (not the test itself) interrupted.
    let interrupted = ctx.interrupted();
    let timeout_fired = async move {
        interrupted.await;
        if !timed_out.load(Ordering::SeqCst) {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        biased;
        out = &mut body => return Ending::Finished(out),
        () = timeout_fired => {}
    }
    match tokio::time::timeout(grace, body).await {
        Ok(_) => Ending::TimedOut,
        Err(_) => Ending::Abandoned,
    }
}

/// Poll a future that cannot be pending (an `async` block without `.await`)
/// to its end on this thread.
fn poll_once<F: Future>(fut: F) -> F::Output {
    let fut = std::pin::pin!(fut);
    match fut.poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(out) => out,
        Poll::Pending => unreachable!("a synchronous test body never awaits"),
    }
}

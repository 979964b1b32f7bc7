//! One `#[spike_test]` run: the machine's run lock, the tokio runtime, the
//! test's context and sinks, the timeout, then the artifacts, the gate and
//! the test's verdict.

use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use super::aside::restore_baselines;

use super::failure_text::{reports_line, with_reports};
use super::junit::Ended;
use super::run_lock::RunLock;
use super::test_context::TestContext;
use super::watchdog::Watchdog;

/// How long a test body gets, once its timeout fired and its runs were
/// interrupted, to finish with its partial report before the test fails
/// without waiting for it any more. A run stops within about a second of
/// the interrupt (in-flight iterations get 1 s), so this leaves room for the
/// body's assertions.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(5);

/// How many times a `#[spike_test]` body may run when its runs were
/// inconclusive: see [`SpikeTest::attempts`].
pub const DEFAULT_ATTEMPTS: u32 = 3;

/// What a test body returned, as libtest judges it: a `Result` that is an
/// `Err` fails the test.
pub trait TestOutcome {
    /// Whether libtest fails the test on this value.
    fn is_failure(&self) -> bool;
}

impl TestOutcome for () {
    fn is_failure(&self) -> bool {
        false
    }
}

impl<T, E> TestOutcome for Result<T, E> {
    fn is_failure(&self) -> bool {
        self.is_err()
    }
}

/// How long dropping the runtime may wait for blocking tasks the test left
/// behind.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(1);

/// The stack a test body is polled on, whatever thread libtest gave it
/// (2 MiB unless `RUST_MIN_STACK`): in a debug build every local of the
/// engine's poll functions has a slot of its own, and four runs side by
/// side overflowed 2 MiB (tests/memory_flat.rs). Reserved, not touched:
/// only the pages used are memory.
const BODY_STACK: usize = 32 * 1024 * 1024;

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
    attempts: u32,
}

/// How one attempt ended, and whether its timeout fired.
type Attempt<T> = (std::thread::Result<Ending<T>>, bool);

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
            attempts: DEFAULT_ATTEMPTS,
        }
    }

    /// Take the machine's run lock shared instead of exclusive
    /// (`exclusive = false`): this test may overlap other such tests, never
    /// an exclusive one. See [`RunLock`].
    pub fn shared_run(mut self) -> Self {
        self.exclusive = false;
        self
    }

    /// How many times the body may run in all (`attempts = N`, at least 1,
    /// default [`DEFAULT_ATTEMPTS`]). A body runs again only when it failed
    /// and a verdict of it was inconclusive because the load was not applied
    /// as planned (the generator lagged or dropped, see
    /// [`TestContext::note_inconclusive`]): a loaded machine, not the
    /// service. A failure on a conclusive run, a timeout or a pass ends the
    /// test at once. Every attempt gets the full timeout.
    pub fn attempts(mut self, attempts: u32) -> Self {
        self.attempts = attempts.max(1);
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

    /// Run an `async fn` test body once on the runtime, inside the test's
    /// [`TestContext`], under the timeout. Returns the body's output.
    ///
    /// A future runs once whatever [`SpikeTest::attempts`] says;
    /// [`SpikeTest::run_async_attempts`] can run a body again.
    ///
    /// # Panics
    /// When the body panics (the panic goes on, its message followed by the
    /// saved report paths), or when the timeout fires (the message names the
    /// timeout and ends with the saved report paths).
    #[track_caller]
    pub fn run_async<T>(self, body: impl Future<Output = T>) -> T {
        let mut body = Some(body);
        self.attempts(1).run_each(
            |test, ctx| {
                let body = body.take().expect("a single attempt takes the body once");
                test.attempt_async(ctx, body)
            },
            |_| false,
        )
    }

    /// Run the `async fn` test body `make` builds, as
    /// [`SpikeTest::run_async`] does, and run it again (a fresh body, a
    /// fresh runtime and context) when it failed on a run whose load was not
    /// applied as planned, while attempts are left (see
    /// [`SpikeTest::attempts`]). This is what `#[spike_test]` calls.
    ///
    /// # Panics
    /// As [`SpikeTest::run_async`], for the last attempt.
    #[track_caller]
    pub fn run_async_attempts<T: TestOutcome, F: Future<Output = T>>(
        self,
        mut make: impl FnMut() -> F,
    ) -> T {
        self.run_each(
            |test, ctx| test.attempt_async(ctx, make()),
            TestOutcome::is_failure,
        )
    }

    /// Run a plain `fn` test body once on the test thread, with the runtime
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
        let mut body = Some(body);
        self.attempts(1).run_each(
            |test, ctx| {
                let body = body.take().expect("a single attempt takes the body once");
                test.attempt_sync(ctx, body)
            },
            |_| false,
        )
    }

    /// Run a plain `fn` test body as [`SpikeTest::run_sync`] does, again
    /// while it fails on an inconclusive run and attempts are left, as
    /// [`SpikeTest::run_async_attempts`]. This is what `#[spike_test]`
    /// calls.
    ///
    /// # Panics
    /// As [`SpikeTest::run_async`], for the last attempt.
    #[track_caller]
    pub fn run_sync_attempts<T: TestOutcome>(self, mut body: impl FnMut() -> T) -> T {
        self.run_each(
            |test, ctx| test.attempt_sync(ctx, &mut body),
            TestOutcome::is_failure,
        )
    }

    /// Hold the run lock over every attempt; give each attempt a fresh
    /// context; run again while an attempt failed (`failed` judges a body
    /// that returned) with an inconclusive verdict noted and attempts left;
    /// conclude on the last attempt.
    #[track_caller]
    fn run_each<T>(
        &self,
        mut attempt: impl FnMut(&Self, &TestContext) -> Attempt<T>,
        failed: impl Fn(&T) -> bool,
    ) -> T {
        let _lock = self.lock();
        // Everything but the final panic runs on the harness's stack
        // ([`BODY_STACK`]); the panic stays here, at the test's location.
        let (outcome, fired, gate, reports) = stacker::grow(BODY_STACK, || {
            let (mut number, mut retried) = (1, Vec::new());
            loop {
                let ctx = TestContext::new(self.name.clone());
                let (outcome, fired) = attempt(self, &ctx);
                // `SPIKE_BASELINE=name`: the regression gate against a saved
                // baseline (`Ok` when the variable is not set), after a body
                // that finished in time. It notes this run's inconclusive
                // reasons, so a gate that failed only because this machine could
                // not apply the load runs the body again like a failed check.
                let gate = match &outcome {
                    Ok(Ending::Finished(_)) if !fired => super::gate::gate_test(&ctx),
                    _ => Ok(()),
                };
                let body_failed = match &outcome {
                    Err(_) => true,
                    Ok(Ending::Finished(out)) => failed(out) || gate.is_err(),
                    Ok(_) => false,
                };
                let reasons = ctx.inconclusive_reasons();
                // Never again for a merge step (it would find its shards set aside)
                // or a shard (a second attempt would start after SPIKE_START_AT).
                let again = number < self.attempts
                    && !crate::merge::step::requested()
                    && !super::test_context::in_shard_mode();
                if body_failed && !fired && !reasons.is_empty() && again {
                    self.set_aside(&ctx, number, &reasons);
                    retried.push(super::junit::retry_line(number, &reasons));
                    number += 1;
                    continue;
                }
                // The artifacts are written once, here, with every check the
                // body's assertion chains handed to the test's sink.
                let reports = ctx.write_artifacts();
                let timeout = self.timeout.as_ref().filter(|_| fired);
                let ended = Ended::of(body_failed || fired, &outcome, &gate, timeout);
                super::junit::write(&ctx, ended.after(&retried, reasons));
                return (outcome, fired, gate, reports);
            }
        });
        self.conclude(outcome, fired, gate, &reports)
    }

    /// One attempt of an async body: its runtime, watchdog and scope.
    fn attempt_async<T>(&self, ctx: &TestContext, body: impl Future<Output = T>) -> Attempt<T> {
        let rt = self.runtime();
        let watchdog = self.watchdog(ctx);
        let timed_out = watchdog.as_ref().map(|w| w.fired.clone());
        let scoped = ctx.clone().scope(body);
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
            rt.block_on(drive(scoped, ctx, timed_out, self.grace))
        }));
        let fired = watchdog.as_ref().is_some_and(Watchdog::fired);
        drop(watchdog);
        rt.shutdown_timeout(SHUTDOWN_TIMEOUT);
        (outcome, fired)
    }

    /// One attempt of a sync body: the runtime entered, the body polled
    /// once on this thread.
    fn attempt_sync<T>(&self, ctx: &TestContext, body: impl FnOnce() -> T) -> Attempt<T> {
        let rt = self.runtime();
        let watchdog = self.watchdog(ctx);
        let outcome = {
            let _entered = rt.enter();
            let scoped = ctx.clone().scope(async move { body() });
            panic::catch_unwind(AssertUnwindSafe(|| poll_once(scoped)))
        };
        let fired = watchdog.as_ref().is_some_and(Watchdog::fired);
        drop(watchdog);
        rt.shutdown_timeout(SHUTDOWN_TIMEOUT);
        (outcome.map(Ending::Finished), fired)
    }

    /// An inconclusive attempt that will be run again: write its artifacts,
    /// move them beside the test's folder (`<folder>.attempt-<n>`) so the
    /// next attempt starts clean and nothing is lost, and say so on the raw
    /// stderr handle (libtest hides a passing test's output).
    fn set_aside(&self, ctx: &TestContext, number: u32, reasons: &[String]) {
        let written = ctx.write_artifacts();
        let dir = ctx.artifact_dir();
        let mut kept = String::new();
        if !written.is_empty() && dir.exists() {
            let mut aside = dir.as_os_str().to_owned();
            aside.push(format!(".attempt-{number}"));
            let aside = std::path::PathBuf::from(aside);
            let _ = std::fs::remove_dir_all(&aside);
            match std::fs::rename(dir, &aside) {
                Ok(()) => {
                    kept = format!(" Its reports are in {}.", aside.display());
                    if let Err(e) = restore_baselines(&aside, dir) {
                        kept.push_str(&format!(
                            " Its saved baselines could not be moved back: {e}."
                        ));
                    }
                }
                Err(e) => kept = format!(" Its reports could not be moved aside: {e}."),
            }
        }
        crate::notice::notice(&format!(
            "spike test `{}`: attempt {number} of {} failed on an inconclusive run ({}); \
             running it again.{kept}",
            self.name,
            self.attempts,
            reasons.join("; "),
        ));
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
    /// took that long) fails the test all the same. `gate` is the
    /// regression gate's verdict on a body that finished in time; `reports`
    /// the artifacts written.
    #[track_caller]
    fn conclude<T>(
        &self,
        outcome: std::thread::Result<Ending<T>>,
        timed_out: bool,
        gate: Result<(), String>,
        reports: &[std::path::PathBuf],
    ) -> T {
        let label = self
            .timeout
            .as_ref()
            .map_or("", |(_, label)| label.as_str());
        match outcome {
            Ok(Ending::Finished(out)) if !timed_out => {
                if let Err(table) = gate {
                    panic!("{table}");
                }
                out
            }
            Ok(Ending::Finished(_) | Ending::TimedOut) => panic!(
                "spike test `{}` reached its timeout of {label}: its runs were interrupted \
                 and stopped with a partial report.\n{}",
                self.name,
                reports_line(reports),
            ),
            Ok(Ending::Abandoned) => panic!(
                "spike test `{}` reached its timeout of {label} and was still running {:?} \
                 after its runs were interrupted; it was abandoned.\n{}",
                self.name,
                self.grace,
                reports_line(reports),
            ),
            Err(payload) => {
                let timeout = timed_out.then_some(label);
                panic::resume_unwind(with_reports(payload, reports, timeout))
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

//! Running one iteration: time it, catch panics, enforce deadlines, record.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::time::Duration;

use futures_util::FutureExt as _;
use tokio::time::{Instant, Sleep};

use crate::recording::ctx::Ctx;
use crate::recording::histogram::micros;
use crate::recording::outcome::{ErrorClass, IntoOutcome, IterError, Outcome};
use crate::recording::run::RunShared;
use crate::recording::shards::Sample;
use crate::workload::Workload;

/// Identity of one iteration.
pub(crate) struct IterId {
    pub(crate) iteration: u64,
    pub(crate) phase: u16,
    pub(crate) window: u64,
    /// Intended start as an offset from the run start.
    pub(crate) offset: Duration,
    pub(crate) user: Option<u32>,
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "workload panicked".to_owned()
    }
}

enum Ended {
    Done(Outcome),
    Panicked(String),
    TimedOut { drain: bool },
    Interrupted,
}

/// When the iteration `id` times out, and whether that is the run's drain
/// deadline (earlier than its own).
pub(crate) fn iteration_deadline(run: &RunShared, id: &IterId) -> (Instant, bool) {
    let own = run.t0 + id.offset + run.iteration_timeout;
    if run.drain_deadline < own {
        (run.drain_deadline, true)
    } else {
        (own, false)
    }
}

/// Run one iteration of `workload` and record it. Never panics because the
/// workload did.
///
/// `deadline` is moved to the iteration's deadline and `cancelled` is the
/// run's cancellation: a closed-model user keeps both across its
/// iterations, so that moving the timer to a later deadline is an atomic
/// update instead of a timer-wheel insert and removal, and the
/// cancellation waiter stays registered.
pub(crate) async fn run_iteration<W: Workload, C: Future<Output = ()>>(
    run: &std::sync::Arc<RunShared>,
    workload: &W,
    id: IterId,
    mut deadline: Pin<&mut Sleep>,
    mut cancelled: Pin<&mut C>,
) {
    let intended = run.t0 + id.offset;
    // Closed model: a user starts when it starts; its intended start is its
    // actual start (schedule lag is an open-model notion).
    let actual = if id.user.is_some() {
        intended
    } else {
        Instant::now()
    };
    let ctx = Ctx {
        run: run.clone(),
        iteration: id.iteration,
        phase: id.phase,
        window: id.window,
        intended: id.offset,
        user: id.user,
        local: Default::default(),
    };
    let (until, drain) = iteration_deadline(run, &id);
    if deadline.deadline() != until {
        deadline.as_mut().reset(until);
    }
    let work =
        AssertUnwindSafe(async move { workload.call(ctx).await.into_outcome() }).catch_unwind();
    let ended = tokio::select! {
        biased;
        r = work => match r {
            Ok(outcome) => Ended::Done(outcome),
            Err(payload) => Ended::Panicked(panic_message(payload.as_ref())),
        },
        () = &mut deadline => Ended::TimedOut { drain },
        () = &mut cancelled => Ended::Interrupted,
    };
    let end = Instant::now();
    let (error, tags, drain_timeout) = match ended {
        Ended::Done(outcome) => {
            let (e, t) = outcome.into_parts();
            (e, t, false)
        }
        Ended::Panicked(msg) => (
            Some(IterError::of(ErrorClass::Panic).with_message(msg)),
            Vec::new(),
            false,
        ),
        Ended::TimedOut { drain } => {
            let msg = if drain {
                "still running when the run's drain timeout ended"
            } else {
                "iteration timeout"
            };
            (
                Some(IterError::of(ErrorClass::Timeout).with_message(msg)),
                Vec::new(),
                drain,
            )
        }
        Ended::Interrupted => (
            Some(
                IterError::new("interrupted")
                    .with_message("the run was interrupted while this iteration was in flight"),
            ),
            Vec::new(),
            false,
        ),
    };
    let sample = Sample {
        latency_us: micros(end.saturating_duration_since(intended)),
        service_us: micros(end.saturating_duration_since(actual)),
        lag_us: micros(actual.saturating_duration_since(intended)),
        error: error.as_ref(),
        tags: &tags,
        drain_timeout,
    };
    // Served throughput counts a completion in the window of its completion
    // instant (windows past the planned end included: the drain).
    let done_window = micros(end.saturating_duration_since(run.t0)) / run.window_us;
    run.shards
        .with(|s| s.record((id.window, id.phase), done_window, &sample));
}

//! Named requests: one iteration may make several requests (a mix entry, the
//! steps of a login-then-fetch sequence, an HTTP request given a name), and
//! each name gets its own count, errors, error classes and latency per
//! window, phase and run ([`Stats::requests`](crate::Stats::requests)).
//!
//! # Latency origin
//!
//! The **first** named request of an iteration counts from the iteration's
//! *intended* start, exactly like the iteration's own latency: when the
//! generator (or an overloaded service holding the previous request) starts
//! it late, the delay is charged to the request, so coordinated omission
//! does not hide it. Every **later** named request of the same iteration
//! counts from its *own* start, so in a login-then-fetch sequence the fetch
//! gets its own time, not the login's plus its own.
//!
//! "First" is tracked by the [`Ctx`](crate::Ctx) without an allocation: a
//! flag inline in the context, copied when the context is cloned. A clone
//! taken *after* the first named request started knows it; clones taken
//! before (e.g. to spawn two requests concurrently) each count their first
//! request from the intended start. [`Sequence`](crate::Sequence) shares the
//! flag between its steps.

use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use crate::recording::histogram::micros;
use crate::recording::outcome::IterError;
use crate::recording::run::RunShared;
use crate::recording::shards::TallyKey;

/// Per-iteration state a [`Ctx`](crate::Ctx) carries inline (no
/// allocation): whether the iteration's first named request started, and
/// how many weighted picks were made on the way to this context.
#[derive(Debug, Default)]
pub(crate) struct IterLocal {
    /// The first named request started (inline flag).
    first_started: AtomicBool,
    /// The same flag shared between the steps of a sequence.
    shared: Option<Arc<AtomicBool>>,
    /// Index of the next weighted pick of this iteration (a mix inside a
    /// mix, or a mix in each step of a sequence, draws its own stream).
    pub(crate) draw: u32,
}

impl Clone for IterLocal {
    fn clone(&self) -> Self {
        IterLocal {
            first_started: AtomicBool::new(self.first_started.load(Ordering::Relaxed)),
            shared: self.shared.clone(),
            draw: self.draw,
        }
    }
}

impl IterLocal {
    /// Mark a named request as started; true when it is the iteration's
    /// first.
    pub(crate) fn start_request(&self) -> bool {
        let flag = self.shared.as_deref().unwrap_or(&self.first_started);
        !flag.swap(true, Ordering::Relaxed)
    }

    /// A copy whose flag is shared with every clone of it (one allocation,
    /// for a sequence that runs several steps in one iteration).
    pub(crate) fn sharing(&self) -> IterLocal {
        let shared = self.shared.clone().unwrap_or_else(|| {
            Arc::new(AtomicBool::new(self.first_started.load(Ordering::Relaxed)))
        });
        IterLocal {
            first_started: AtomicBool::new(false),
            shared: Some(shared),
            draw: self.draw,
        }
    }
}

/// Times one named request; made by [`Ctx::request`](crate::Ctx::request).
///
/// [`RequestTimer::finish`] records one sample under the name. A timer
/// dropped without `finish` records **nothing**: a request abandoned
/// half-way (its iteration timed out, a `?` returned early) leaves no
/// sample, and the iteration's own outcome says what happened.
#[must_use = "a request timer records only when `finish` is called"]
pub struct RequestTimer {
    run: Arc<RunShared>,
    key: TallyKey,
    name: Cow<'static, str>,
    origin: Instant,
}

impl std::fmt::Debug for RequestTimer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestTimer")
            .field("name", &self.name)
            .field("elapsed", &self.elapsed())
            .finish()
    }
}

impl RequestTimer {
    pub(crate) fn new(
        run: Arc<RunShared>,
        key: TallyKey,
        name: Cow<'static, str>,
        origin: Instant,
    ) -> Self {
        RequestTimer {
            run,
            key,
            name,
            origin,
        }
    }

    /// The request's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Time since the request's latency origin (see the module docs of
    /// [`Ctx::request`](crate::Ctx::request)).
    #[must_use]
    pub fn elapsed(&self) -> Duration {
        self.origin.elapsed()
    }

    /// Record the request: one count, its latency, and its error (counted
    /// by class key) when it failed.
    pub fn finish(self, error: Option<&IterError>) {
        let us = micros(Instant::now().saturating_duration_since(self.origin));
        let RequestTimer { run, key, name, .. } = self;
        record(&run, key, name, us, error);
    }
}

/// Record one named-request sample into this thread's accumulator.
pub(crate) fn record(
    run: &RunShared,
    key: TallyKey,
    name: Cow<'static, str>,
    latency_us: u64,
    error: Option<&IterError>,
) {
    run.shards
        .with(|s| s.tally(key).record_request(name, latency_us, error));
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::IterLocal;
    use crate::recording::shards::{Tally, MAX_REQUEST_NAMES, OTHER_REQUESTS};

    #[test]
    fn the_inline_state_and_the_timer_cross_threads() {
        fn ok<T: Send + Sync + Clone + 'static>() {}
        ok::<IterLocal>();
        fn send<T: Send>() {}
        send::<super::RequestTimer>();
    }

    #[test]
    fn only_the_first_request_is_first_and_clones_copy_or_share_the_flag() {
        let local = IterLocal::default();
        let before = local.clone();
        assert!(local.start_request());
        assert!(!local.start_request());
        // A clone taken after the first request knows it; one taken before
        // does not (it is a copy, not shared).
        let after = local.clone();
        assert!(!after.start_request());
        assert!(before.start_request());
        assert!(!local.start_request());

        let seq = IterLocal::default().sharing();
        let (a, b) = (seq.clone(), seq.clone());
        assert!(a.start_request());
        assert!(!b.start_request(), "steps share the flag");
        assert!(!seq.start_request());
        // Sharing keeps a flag already set.
        let started = IterLocal::default();
        assert!(started.start_request());
        assert!(!started.sharing().start_request());
    }

    #[test]
    fn request_names_past_the_cap_share_one_entry() {
        let mut t = Tally::default();
        for i in 0..MAX_REQUEST_NAMES + 5 {
            t.record_request(Cow::Owned(format!("/item/{i}")), 10, None);
        }
        t.record_request(Cow::Borrowed("/item/0"), 10, None);
        assert_eq!(t.requests.len(), MAX_REQUEST_NAMES + 1);
        assert_eq!(t.requests[OTHER_REQUESTS].count, 5);
        assert_eq!(t.requests["/item/0"].count, 2);
    }
}

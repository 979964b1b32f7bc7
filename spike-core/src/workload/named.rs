//! [`named`]: a workload that records itself as a named request.

use std::borrow::Cow;

use crate::recording::ctx::Ctx;
use crate::recording::outcome::{IntoOutcome as _, Outcome};
use crate::workload::base::Workload;
use crate::workload::boxed::BoxOutcome;

/// A workload recorded as a named request: see [`named`].
#[derive(Debug, Clone)]
pub struct Named<W> {
    name: Cow<'static, str>,
    inner: W,
}

/// Wrap `workload` so each call is recorded as the named request `name`:
/// a [`Ctx::request`] timer around the inner call, finished with the
/// outcome's error. Its count, errors (by class) and latency appear in
/// [`Stats::requests`](crate::Stats::requests) of every window, phase and
/// the run, next to the iteration's own numbers; the outcome passes
/// through unchanged. An empty name is refused before any traffic.
///
/// ```
/// use spike_core::{ms, named, rps, Ctx, IterError, Scenario, Shape};
/// # tokio::runtime::Builder::new_multi_thread().enable_time().build().unwrap().block_on(async {
/// let checkout = named("checkout", |ctx: Ctx| async move {
///     if ctx.iteration() % 5 == 0 {
///         return Err(IterError::new("payment_declined"));
///     }
///     Ok(())
/// });
/// let shape = Shape::builder().hold(rps(100), ms(200)).build().unwrap();
/// let report = Scenario::new("named-doc").shape(shape).run(checkout).await.unwrap();
/// let stats = report.total.request("checkout").unwrap();
/// assert_eq!((stats.count, stats.errors), (20, 4));
/// assert_eq!(stats.top_error_class(), Some(("payment_declined", 4)));
/// # });
/// ```
#[must_use]
pub fn named<W: Workload>(name: impl Into<Cow<'static, str>>, workload: W) -> Named<W> {
    Named {
        name: name.into(),
        inner: workload,
    }
}

impl<W> Named<W> {
    /// The request name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The wrapped workload.
    #[must_use]
    pub fn inner(&self) -> &W {
        &self.inner
    }
}

impl<W: Workload> Workload for Named<W> {
    type Future = BoxOutcome;
    type Output = Outcome;

    fn call(&self, ctx: Ctx) -> BoxOutcome {
        let timer = ctx.request(self.name.clone());
        let fut = self.inner.call(ctx);
        Box::pin(async move {
            let outcome = fut.await.into_outcome();
            timer.finish(outcome.error());
            outcome
        })
    }

    fn check(&self) -> Result<(), String> {
        if self.name.trim().is_empty() {
            return Err("a named request needs a non-empty name".to_owned());
        }
        self.inner
            .check()
            .map_err(|e| format!("request `{}`: {e}", self.name))
    }
}

/// Combinators on every [`Workload`].
pub trait WorkloadExt: Workload + Sized {
    /// Record this workload as the named request `name` (see [`named`]).
    ///
    /// ```
    /// use spike_core::{Ctx, Mix, WorkloadExt};
    /// let browse = (|_ctx: Ctx| async {}).named("browse");
    /// assert_eq!(browse.name(), "browse");
    /// let _mix = Mix::new().weight(9, browse).weight(1, (|_ctx: Ctx| async {}).named("buy"));
    /// ```
    #[must_use]
    fn named(self, name: impl Into<Cow<'static, str>>) -> Named<Self> {
        named(name, self)
    }
}

impl<W: Workload> WorkloadExt for W {}

//! The [`Workload`] trait, and its implementation for async functions.

use std::future::Future;

use crate::recording::ctx::Ctx;
use crate::recording::outcome::IntoOutcome;

/// What one iteration does. Any `Fn(Ctx) -> impl Future` whose output is an
/// [`IntoOutcome`] (`()`, `Outcome`, `Result<(), E: Into<IterError>>`) is a
/// workload; drivers (HTTP, WebSocket, Postgres, Redis) implement it too.
///
/// ```
/// use spike_core::{Ctx, IterResult, Workload};
///
/// async fn login(ctx: Ctx) -> IterResult {
///     ctx.count("login_attempt", 1);
///     Ok(())
/// }
/// fn takes<W: Workload>(_: W) {}
/// takes(login);
/// takes(|_ctx: Ctx| async { Ok::<(), spike_core::IterError>(()) });
/// ```
pub trait Workload: Send + Sync + 'static {
    /// The iteration's future.
    type Future: Future<Output = Self::Output> + Send + 'static;
    /// What the future returns.
    type Output: IntoOutcome;

    /// Start one iteration.
    fn call(&self, ctx: Ctx) -> Self::Future;

    /// Check the workload's own settings before any traffic. The default
    /// has nothing to check; drivers whose builders take user values (a
    /// header name, a request path) keep what was wrong instead of
    /// panicking and say it here, and [`Scenario::run`](crate::Scenario::run)
    /// refuses the run with [`SpikeError::BadWorkload`](crate::SpikeError::BadWorkload).
    ///
    /// # Errors
    /// A sentence saying what is wrong.
    fn check(&self) -> Result<(), String> {
        Ok(())
    }
}

impl<F, Fut> Workload for F
where
    F: Fn(Ctx) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: IntoOutcome,
{
    type Future = Fut;
    type Output = Fut::Output;

    fn call(&self, ctx: Ctx) -> Fut {
        self(ctx)
    }
}

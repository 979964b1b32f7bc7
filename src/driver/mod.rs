//! What the WebSocket, Postgres and Redis drivers share: reading the
//! durations they record back from a report ([`MetricStats`]) and the
//! loopback-only target check ([`check_target_host`]).
//!
//! The drivers record only through the iteration's `Ctx` (`ctx.count`,
//! `ctx.gauge`, `ctx.record`): their numbers are in the report, per window,
//! phase and run, on the scenario's window; their stats types (`WsStats`,
//! `PgStats`, `CacheStats`) are views over a report. They use nothing of
//! spike-core but its public API.

mod metric;
mod target;

pub use metric::{MetricStats, MetricWindowStats};
#[cfg(feature = "ws")]
pub(crate) use target::Endpoint;
pub use target::{check_target_host, check_target_url, judge_target, TargetRefused};

/// Implement `Debug` as the type's `Display` sentence, so that `.unwrap()`
/// and `{:?}` say why a value was refused rather than listing fields.
macro_rules! debug_as_display {
    ($($error:ty),+ $(,)?) => {$(
        /// The `Display` sentence: what `.unwrap()` prints.
        impl ::std::fmt::Debug for $error {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::fmt::Display::fmt(self, f)
            }
        }
    )+};
}
pub(crate) use debug_as_display;

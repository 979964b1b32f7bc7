//! Names of the durations the Postgres workloads record (`ctx.record`), in
//! the report's `Stats::metrics` (`expect(&report).metric(..)`).

/// Iteration start → connection in hand (or the pool gave up).
pub const POOL_WAIT: &str = "pg.pool_wait";
/// Connection in hand → the closure returned.
pub const QUERY: &str = "pg.query";

//! Names of the durations the cache-aside helpers record (`ctx.record`), in
//! the report's `Stats::metrics` (`expect(&report).metric(..)`).

/// The Redis `GET` of each lookup.
pub const LOOKUP: &str = "redis.lookup";
/// Loading a missed value from the origin.
pub const LOAD: &str = "redis.load";

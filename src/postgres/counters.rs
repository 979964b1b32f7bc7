//! Names of the counters and gauges the Postgres workloads record.

/// Iterations that asked the pool for a connection.
pub const ACQUIRE: &str = "pg_acquire";
/// Iterations that got one.
pub const ACQUIRED: &str = "pg_acquired";
/// Iterations that got none within the wait timeout (their error class
/// is `pool_timeout`).
pub const POOL_TIMEOUT: &str = "pg_pool_timeout";
/// Gauge: iterations waiting for a connection, sampled at each acquire.
pub const POOL_WAITING: &str = "pg_pool_waiting";
/// Gauge: connections in use, sampled at each acquire.
pub const POOL_IN_USE: &str = "pg_pool_in_use";

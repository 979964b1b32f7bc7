//! PostgreSQL driver (feature `postgres`, deadpool-postgres): queries and
//! transactions from a pool the driver builds, with the pool wait measured
//! apart from the query.
//!
//! * [`PgPool::builder`] sets the pool size, the wait timeout (how long an
//!   iteration may wait for a free connection), the connect timeout and the
//!   statement timeout (sent to the server as `statement_timeout`).
//! * [`PgPool::workload`] turns an async closure `(Ctx, PgClient) → Result`
//!   into a [`Workload`](spike_core::Workload); [`PgPool::statement`] is
//!   the shorthand for one fixed SQL text.
//! * Every iteration records through its `Ctx`, so the report keeps them
//!   per window, phase and run: its **pool wait** (`pg.pool_wait`: waiting
//!   for a free connection, and creating one while the pool grows) and its
//!   **query time** (`pg.query`: connection in hand → done) as durations
//!   (names in [`metrics`]); the iteration latency is their sum.
//!   [`PgStats::of`] reads them back from a report.
//!
//! Errors keep their cause: no connection within the wait timeout is
//! `pool_timeout`; a refused or reset connection is `connect`; a database
//! error keeps its SQLSTATE as the class `sqlstate_<code>`
//! (`sqlstate_57014` for a statement cancelled by `statement_timeout`,
//! `sqlstate_40001` for a serialization failure, `sqlstate_23505` for a
//! unique violation ...). Counters in the report: `pg_acquire`,
//! `pg_acquired`, `pg_pool_timeout`; gauges: `pg_pool_waiting` (iterations
//! waiting for a connection) and `pg_pool_in_use` (names in [`counters`]).
//!
//! [`TempSchema`] gives each test run its own schema and drops it after.
//!
//! ```no_run
//! use spike::prelude::*;
//! use spike::postgres::{PgPool, PgStats};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let pg = PgPool::builder("postgres://postgres:postgres@127.0.0.1:5432/postgres")
//!     .pool_size(8)
//!     .wait_timeout(ms(250))
//!     .statement_timeout(secs(2))
//!     .build()?;
//! let workload = pg.workload(|ctx: Ctx, client| async move {
//!     let id = ctx.random_below(1_000, 0) as i64;
//!     client.execute("UPDATE accounts SET hits = hits + 1 WHERE id = $1", &[&id]).await?;
//!     Ok(())
//! });
//! let shape = Shape::builder().hold(rps(50), secs(2)).burst(rps(400), secs(1)).recover(rps(50), secs(3)).build()?;
//! let report = Scenario::new("accounts").shape(shape).window(ms(100)).run(workload).await?;
//! println!("{report}\npool wait p95 in the burst: {} µs",
//!     PgStats::of(&report).pool_wait.phase("burst").map_or(0, |p| p.p95_us));
//! # Ok(()) }
//! ```

pub mod counters;
mod error;
pub mod metrics;
mod pool;
mod schema;
mod stats;
mod target;
mod workload;

pub use deadpool_postgres::Client as PgClient;
pub use error::{classify, PgError, PgSetupError};
pub use pool::{PgPool, PgPoolBuilder};
pub use schema::TempSchema;
pub use stats::PgStats;
/// The tokio-postgres crate the driver uses (types, `NoTls`, errors).
pub use tokio_postgres;
pub use workload::PgWorkload;

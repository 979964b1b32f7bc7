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

mod schema;
mod workload;

use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, PoolError, RecyclingMethod, Runtime};
use spike_core::{class_of_io, ErrorClass, IterError, Report};

pub use deadpool_postgres::Client as PgClient;
pub use schema::TempSchema;
/// The tokio-postgres crate the driver uses (types, `NoTls`, errors).
pub use tokio_postgres;
pub use workload::PgWorkload;

use crate::driver::{judge_target, MetricStats, TargetRefused};

/// Names of the counters and gauges the Postgres workloads record.
pub mod counters {
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
}

/// Names of the durations the Postgres workloads record (`ctx.record`), in
/// the report's `Stats::metrics` (`expect(&report).metric(..)`).
pub mod metrics {
    /// Iteration start → connection in hand (or the pool gave up).
    pub const POOL_WAIT: &str = "pg.pool_wait";
    /// Connection in hand → the closure returned.
    pub const QUERY: &str = "pg.query";
}

/// Why a [`PgPool`] could not be built, or a [`TempSchema`] step failed.
#[non_exhaustive]
pub enum PgSetupError {
    /// The connection string does not parse.
    BadUrl(tokio_postgres::Error),
    /// A host is neither loopback nor allowed.
    Refused(TargetRefused),
    /// The pool settings are invalid.
    Pool(String),
    /// A database error while setting up or cleaning up (e.g. creating a
    /// [`TempSchema`]).
    Db(tokio_postgres::Error),
}

crate::driver::debug_as_display!(PgSetupError);

impl std::fmt::Display for PgSetupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PgSetupError::BadUrl(e) => write!(f, "bad Postgres connection string: {e}"),
            PgSetupError::Refused(r) => r.fmt(f),
            PgSetupError::Pool(e) => write!(f, "bad Postgres pool settings: {e}"),
            PgSetupError::Db(e) => write!(f, "Postgres setup failed: {e}"),
        }
    }
}

impl std::error::Error for PgSetupError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PgSetupError::BadUrl(e) => Some(e),
            PgSetupError::Refused(r) => Some(r),
            PgSetupError::Pool(_) => None,
            PgSetupError::Db(e) => Some(e),
        }
    }
}

/// The error a Postgres workload closure returns: a database error (classed
/// by SQLSTATE or cause) or an [`IterError`] of the workload's own choosing.
/// `?` converts both.
pub enum PgError {
    /// An error from tokio-postgres.
    Db(tokio_postgres::Error),
    /// A failure the workload classed itself.
    Iteration(IterError),
}

crate::driver::debug_as_display!(PgError);

impl From<tokio_postgres::Error> for PgError {
    fn from(e: tokio_postgres::Error) -> Self {
        PgError::Db(e)
    }
}

impl From<IterError> for PgError {
    fn from(e: IterError) -> Self {
        PgError::Iteration(e)
    }
}

impl std::fmt::Display for PgError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PgError::Db(e) => e.fmt(f),
            PgError::Iteration(e) => e.fmt(f),
        }
    }
}

impl PgError {
    /// The report's view of this error (see [`classify`]).
    #[must_use]
    pub fn into_iter_error(self) -> IterError {
        match self {
            PgError::Db(e) => classify(&e),
            PgError::Iteration(e) => e,
        }
    }
}

/// Class a tokio-postgres error: a database error keeps its SQLSTATE
/// (`sqlstate_57014`), an I/O cause is classed by kind (refused →
/// `connect`), a closed connection is `protocol`.
#[must_use]
pub fn classify(err: &tokio_postgres::Error) -> IterError {
    if let Some(db) = err.as_db_error() {
        return IterError::new(format!("sqlstate_{}", db.code().code())).with_message(format!(
            "{}: {}",
            db.severity(),
            db.message()
        ));
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            return IterError::of(class_of_io(io.kind())).with_message(err.to_string());
        }
        source = e.source();
    }
    IterError::of(ErrorClass::Protocol).with_message(err.to_string())
}

fn classify_pool(err: PoolError, wait_timeout: Duration) -> IterError {
    use deadpool_postgres::TimeoutType;
    match err {
        PoolError::Timeout(TimeoutType::Wait) => IterError::of(ErrorClass::PoolTimeout)
            .with_message(format!("no pooled connection free within {wait_timeout:?}")),
        PoolError::Timeout(TimeoutType::Create) => {
            IterError::of(ErrorClass::Connect).with_message("connecting to the database timed out")
        }
        PoolError::Timeout(TimeoutType::Recycle) => IterError::of(ErrorClass::Timeout)
            .with_message("checking a pooled connection timed out"),
        PoolError::Backend(e) => classify(&e),
        other => IterError::of(ErrorClass::Protocol).with_message(other.to_string()),
    }
}

impl std::fmt::Debug for PgPoolBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgPoolBuilder")
            .field("url", &spike_core::redact::redact_url(&self.url))
            .field("pool_size", &self.pool_size)
            .field("wait_timeout", &self.wait_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("statement_timeout", &self.statement_timeout)
            .field("search_path", &self.search_path)
            .field("allowed", &self.allowed)
            .finish_non_exhaustive()
    }
}

/// Parse a connection string and check every host it may connect to,
/// before any socket is opened. Loopback hosts are pinned: each host gets
/// the `hostaddr` it was judged by (`localhost` → `127.0.0.1`), so the
/// connection never asks a resolver. With a `hostaddr` list, the addresses
/// are what is connected and what is judged. With a host allowed by name,
/// nothing is pinned, and a `localhost` beside it must resolve to loopback
/// addresses only. The password is registered for redaction.
pub(crate) fn checked_config(
    url: &str,
    allowed: &[String],
) -> Result<tokio_postgres::Config, PgSetupError> {
    use spike_core::safety::{is_localhost_name, is_loopback_ip, Verdict};
    use tokio_postgres::config::Host;

    let mut config: tokio_postgres::Config = url.parse().map_err(PgSetupError::BadUrl)?;
    if let Some(pw) = config.get_password() {
        spike_core::redact::register_secret(&String::from_utf8_lossy(pw));
    }
    if !config.get_hostaddrs().is_empty() {
        for addr in config.get_hostaddrs() {
            judge_target("postgres", &addr.to_string(), allowed).map_err(PgSetupError::Refused)?;
        }
        return Ok(config);
    }
    let mut pins = Vec::new();
    let mut all_pinned = true;
    for host in config.get_hosts() {
        match host {
            Host::Tcp(name) => {
                match judge_target("postgres", name, allowed).map_err(PgSetupError::Refused)? {
                    Verdict::Loopback(ips) => pins.extend(ips.first().copied()),
                    Verdict::Allowed => all_pinned = false,
                }
            }
            #[cfg(unix)]
            Host::Unix(_) => all_pinned = false,
        }
    }
    if all_pinned {
        for ip in pins {
            config.hostaddr(ip);
        }
        return Ok(config);
    }
    let port = config.get_ports().first().copied().unwrap_or(5432);
    for host in config.get_hosts() {
        if let Host::Tcp(name) = host {
            if is_localhost_name(name) {
                let resolved: Vec<std::net::SocketAddr> =
                    std::net::ToSocketAddrs::to_socket_addrs(&(name.as_str(), port))
                        .map(Iterator::collect)
                        .unwrap_or_default();
                if resolved.is_empty() || !resolved.iter().all(|a| is_loopback_ip(a.ip())) {
                    return Err(PgSetupError::Refused(TargetRefused {
                        driver: "postgres",
                        host: name.clone(),
                        note: " (it does not resolve to loopback addresses only)",
                    }));
                }
            }
        }
    }
    Ok(config)
}

/// What the Postgres workloads of a run measured, read from its report
/// ([`PgStats::of`]): a view over the counters, gauges and durations they
/// recorded through `Ctx`.
#[derive(Debug, Clone, PartialEq)]
pub struct PgStats {
    /// Iteration start → connection in hand, or the pool gave up
    /// (`pg.pool_wait`), per phase and window.
    pub pool_wait: MetricStats,
    /// Connection in hand → the closure returned (`pg.query`), per phase
    /// and window.
    pub query: MetricStats,
    /// Connections handed out (`pg_acquired`).
    pub acquired: u64,
    /// Iterations that got no connection within the wait timeout
    /// (`pg_pool_timeout`).
    pub pool_timeouts: u64,
    /// Most iterations seen waiting for a connection at once (the largest
    /// value of the `pg_pool_waiting` gauge).
    pub peak_waiting: u64,
}

impl PgStats {
    /// The Postgres numbers of `report` (whole run; per phase and window
    /// for the durations).
    ///
    /// ```
    /// use spike::prelude::*;
    /// use spike::postgres::{counters, metrics, PgStats};
    ///
    /// # tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
    /// // What the workload records, without a database.
    /// let shape = Shape::builder().hold(rps(50), ms(200)).build()?;
    /// let report = Scenario::new("pg-view").shape(shape)
    ///     .run(|ctx: Ctx| async move {
    ///         ctx.count(counters::ACQUIRED, 1);
    ///         ctx.record(metrics::POOL_WAIT, ms(4));
    ///     })
    ///     .await?;
    /// let stats = PgStats::of(&report);
    /// assert_eq!(stats.acquired, 10);
    /// assert_eq!(stats.pool_wait.total.count, 10);
    /// assert_eq!(stats.query.total.count, 0);
    /// # Ok::<(), SpikeError>(())
    /// # }).unwrap();
    /// ```
    #[must_use]
    pub fn of(report: &Report) -> Self {
        let total = &report.total;
        PgStats {
            pool_wait: MetricStats::of(report, metrics::POOL_WAIT),
            query: MetricStats::of(report, metrics::QUERY),
            acquired: total.counter(counters::ACQUIRED),
            pool_timeouts: total.counter(counters::POOL_TIMEOUT),
            peak_waiting: total
                .gauges
                .get(counters::POOL_WAITING)
                .map_or(0, |g| g.max.max(0.0) as u64),
        }
    }
}

#[derive(Debug)]
struct Shared {
    pool: Pool,
    wait_timeout: Duration,
}

/// A connection pool built by the driver. Cheap to clone (clones share the
/// pool). Its workloads record into the run's report ([`PgStats::of`]).
#[derive(Debug, Clone)]
pub struct PgPool {
    shared: Arc<Shared>,
}

/// Settings of a [`PgPool`]; see [`PgPool::builder`]. Its `Debug` output
/// shows the connection string without its password.
#[derive(Clone)]
#[must_use]
pub struct PgPoolBuilder {
    url: String,
    pool_size: usize,
    wait_timeout: Duration,
    connect_timeout: Duration,
    statement_timeout: Option<Duration>,
    search_path: Option<String>,
    allowed: Vec<String>,
}

impl PgPool {
    /// Settings for a pool on `url` (`postgres://user:pw@host:port/db`):
    /// 10 connections, 1 s wait timeout, 2 s connect timeout, no statement
    /// timeout.
    pub fn builder(url: impl Into<String>) -> PgPoolBuilder {
        PgPoolBuilder {
            url: url.into(),
            pool_size: 10,
            wait_timeout: Duration::from_secs(1),
            connect_timeout: Duration::from_secs(2),
            statement_timeout: None,
            search_path: None,
            allowed: Vec::new(),
        }
    }

    /// The deadpool pool, for setup and checks outside the measured run.
    #[must_use]
    pub fn pool(&self) -> &Pool {
        &self.shared.pool
    }

    /// The pool's maximum size.
    #[must_use]
    pub fn pool_size(&self) -> usize {
        self.shared.pool.status().max_size
    }

    /// Open every connection of the pool now (outside the measured run), so
    /// the run measures a warm pool rather than connection setup.
    ///
    /// # Errors
    /// The first failure to acquire a connection, classed as in a run.
    pub async fn warm_up(&self) -> Result<(), IterError> {
        let size = self.shared.pool.status().max_size;
        let mut held = Vec::with_capacity(size);
        for _ in 0..size {
            held.push(
                self.shared
                    .pool
                    .get()
                    .await
                    .map_err(|e| classify_pool(e, self.shared.wait_timeout))?,
            );
        }
        Ok(())
    }

    /// Close the pool: its connections are dropped now (the server frees
    /// them), and later acquires fail.
    pub fn close(&self) {
        self.shared.pool.close();
    }
}

impl PgPoolBuilder {
    /// Most connections open at once.
    pub fn pool_size(mut self, size: usize) -> Self {
        self.pool_size = size;
        self
    }

    /// How long an iteration may wait for a free connection before it fails
    /// with `pool_timeout`.
    pub fn wait_timeout(mut self, timeout: Duration) -> Self {
        self.wait_timeout = timeout;
        self
    }

    /// How long opening a connection may take (then `connect`).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The server cancels any statement running longer (SQLSTATE 57014).
    pub fn statement_timeout(mut self, timeout: Duration) -> Self {
        self.statement_timeout = Some(timeout);
        self
    }

    /// Set `search_path` on every connection, e.g. to a [`TempSchema`].
    pub fn search_path(mut self, schema: impl Into<String>) -> Self {
        self.search_path = Some(schema.into());
        self
    }

    /// Allow a non-loopback host (`SPIKE_ALLOW_HOSTS` is always honoured).
    pub fn allow_host(mut self, host: impl Into<String>) -> Self {
        self.allowed.push(host.into());
        self
    }

    /// Check the settings and build the pool. No connection is opened yet:
    /// the pool grows on demand, so an unreachable server shows up as
    /// `connect` errors in the report, not here.
    ///
    /// # Errors
    /// [`PgSetupError`] for a bad connection string, a refused host or
    /// invalid pool settings.
    pub fn build(self) -> Result<PgPool, PgSetupError> {
        let mut config = checked_config(&self.url, &self.allowed)?;
        let mut options: Vec<String> = config
            .get_options()
            .map(str::to_owned)
            .into_iter()
            .collect();
        if let Some(t) = self.statement_timeout {
            options.push(format!("-c statement_timeout={}", t.as_millis().max(1)));
        }
        if let Some(path) = &self.search_path {
            options.push(format!("-c search_path={path}"));
        }
        if !options.is_empty() {
            config.options(options.join(" "));
        }
        config.connect_timeout(self.connect_timeout);
        let manager = Manager::from_config(
            config,
            tokio_postgres::NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(self.pool_size)
            .wait_timeout(Some(self.wait_timeout))
            .create_timeout(Some(self.connect_timeout))
            .recycle_timeout(Some(self.connect_timeout))
            .runtime(Runtime::Tokio1)
            .build()
            .map_err(|e| PgSetupError::Pool(e.to_string()))?;
        Ok(PgPool {
            shared: Arc::new(Shared {
                pool,
                wait_timeout: self.wait_timeout,
            }),
        })
    }
}

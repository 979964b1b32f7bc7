//! The pool the driver builds: its settings, the build, and warming it up.

use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use spike_core::IterError;

use super::error::{classify_pool, PgSetupError};
use super::target::checked_config;

#[derive(Debug)]
pub(super) struct Shared {
    pub(super) pool: Pool,
    pub(super) wait_timeout: Duration,
}

/// A connection pool built by the driver. Cheap to clone (clones share the
/// pool). Its workloads record into the run's report
/// ([`PgStats::of`](super::PgStats::of)).
#[derive(Debug, Clone)]
pub struct PgPool {
    pub(super) shared: Arc<Shared>,
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

    /// Set `search_path` on every connection, e.g. to a
    /// [`TempSchema`](super::TempSchema).
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

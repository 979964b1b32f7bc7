//! The Postgres workload: acquire a pooled connection, run the closure.

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use deadpool_postgres::{Client as PgClient, PoolError, TimeoutType};
use futures_util::future::BoxFuture;
use spike_core::{Ctx, IterResult, Workload};

use super::error::{classify_pool, PgError};
use super::pool::{PgPool, Shared};
use super::{counters, metrics};

/// A workload that runs an async closure with a pooled connection; build it
/// with [`PgPool::workload`] or [`PgPool::statement`]. The connection goes
/// back to the pool when the closure's future ends.
pub struct PgWorkload<F> {
    shared: Arc<Shared>,
    op: Arc<F>,
}

impl<F> Clone for PgWorkload<F> {
    fn clone(&self) -> Self {
        PgWorkload {
            shared: Arc::clone(&self.shared),
            op: Arc::clone(&self.op),
        }
    }
}

impl<F> std::fmt::Debug for PgWorkload<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgWorkload")
            .field("pool", &self.shared.pool.status())
            .finish_non_exhaustive()
    }
}

impl PgPool {
    /// A workload running `op` with a connection from this pool. The
    /// iteration fails with `pool_timeout` when no connection is free within
    /// the wait timeout; the closure's errors are classed by
    /// [`PgError::into_iter_error`].
    ///
    /// ```no_run
    /// # use spike::prelude::*;
    /// # fn f(pg: spike::postgres::PgPool) {
    /// let transfer = pg.workload(|ctx: Ctx, mut client| async move {
    ///     let tx = client.transaction().await?;
    ///     let from = ctx.random_below(100, 1) as i64;
    ///     tx.execute("UPDATE accounts SET balance = balance - 1 WHERE id = $1", &[&from]).await?;
    ///     tx.commit().await?;
    ///     Ok(())
    /// });
    /// # }
    /// ```
    pub fn workload<F, Fut>(&self, op: F) -> PgWorkload<F>
    where
        F: Fn(Ctx, PgClient) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), PgError>> + Send + 'static,
    {
        PgWorkload {
            shared: Arc::clone(&self.shared),
            op: Arc::new(op),
        }
    }

    /// A workload running one fixed SQL text (simple query protocol, so
    /// several `;`-separated statements are allowed), e.g.
    /// `SELECT pg_sleep(0.05)`.
    pub fn statement(
        &self,
        sql: impl Into<String>,
    ) -> PgWorkload<impl Fn(Ctx, PgClient) -> BoxFuture<'static, Result<(), PgError>> + Send + Sync>
    {
        let sql: Arc<str> = sql.into().into();
        self.workload(move |_ctx: Ctx, client: PgClient| {
            let sql = Arc::clone(&sql);
            let fut: BoxFuture<'static, Result<(), PgError>> = Box::pin(async move {
                client.batch_execute(&sql).await?;
                Ok(())
            });
            fut
        })
    }
}

impl<F, Fut> Workload for PgWorkload<F>
where
    F: Fn(Ctx, PgClient) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), PgError>> + Send + 'static,
{
    type Future = BoxFuture<'static, IterResult>;
    type Output = IterResult;

    fn call(&self, ctx: Ctx) -> Self::Future {
        let shared = Arc::clone(&self.shared);
        let op = Arc::clone(&self.op);
        Box::pin(async move {
            ctx.count(counters::ACQUIRE, 1);
            let waiting = shared.pool.status().waiting as u64;
            ctx.gauge(counters::POOL_WAITING, waiting as f64);
            let asked = Instant::now();
            let client = match shared.pool.get().await {
                Ok(client) => client,
                Err(e) => {
                    if matches!(e, PoolError::Timeout(TimeoutType::Wait)) {
                        ctx.record(metrics::POOL_WAIT, asked.elapsed());
                        ctx.count(counters::POOL_TIMEOUT, 1);
                    }
                    return Err(classify_pool(e, shared.wait_timeout));
                }
            };
            ctx.record(metrics::POOL_WAIT, asked.elapsed());
            ctx.count(counters::ACQUIRED, 1);
            let status = shared.pool.status();
            ctx.gauge(
                counters::POOL_IN_USE,
                status.size.saturating_sub(status.available) as f64,
            );
            let started = Instant::now();
            let result = op(ctx.clone(), client).await;
            ctx.record(metrics::QUERY, started.elapsed());
            result.map_err(PgError::into_iter_error)
        })
    }
}

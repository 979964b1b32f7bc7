//! The ready-made cache-aside workload.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use futures_util::future::BoxFuture;
use spike_core::{Ctx, IterResult, Workload};

use super::cache::CacheAside;

/// The ready-made cache-aside workload: one lookup of a uniformly chosen
/// key per iteration ([`CacheAside::workload`]).
#[derive(Debug, Clone)]
pub struct CacheWorkload {
    cache: CacheAside,
    keys: u64,
    flush_at: Option<(String, Arc<AtomicBool>)>,
}

impl CacheAside {
    /// A workload that looks up one of `keys` keys per iteration
    /// (`item:0` … `item:<keys-1>`, uniformly, reproducibly per iteration).
    pub fn workload(&self, keys: u64) -> CacheWorkload {
        CacheWorkload {
            cache: self.clone(),
            keys: keys.max(1),
            flush_at: None,
        }
    }

    /// The key names [`workload`](Self::workload) uses, for
    /// [`warm`](Self::warm).
    pub fn key_names(keys: u64) -> impl Iterator<Item = String> {
        (0..keys).map(|i| format!("item:{i}"))
    }
}

impl CacheWorkload {
    /// Flush the cache when the first iteration of phase `phase` arrives
    /// (that iteration flushes, then does its lookup): a cold cache right
    /// at the start of the burst.
    #[must_use]
    pub fn flush_at_start_of(mut self, phase: impl Into<String>) -> Self {
        self.flush_at = Some((phase.into(), Arc::new(AtomicBool::new(false))));
        self
    }
}

impl Workload for CacheWorkload {
    type Future = BoxFuture<'static, IterResult>;
    type Output = IterResult;

    fn call(&self, ctx: Ctx) -> Self::Future {
        let this = self.clone();
        Box::pin(async move {
            if let Some((phase, done)) = &this.flush_at {
                if ctx.phase() == phase && !done.swap(true, Ordering::AcqRel) {
                    this.cache.flush().await?;
                }
            }
            let key = format!("item:{}", ctx.random_below(this.keys, 0xCAC4E));
            this.cache.get_or_load(&ctx, &key).await.map(drop)
        })
    }
}

//! The cache-aside client: its connection pool, lookups with loads on a
//! miss, eviction detection, warming and flushing.

use std::collections::HashMap;
use std::hash::{BuildHasher as _, RandomState};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use fred::prelude::{Builder, ClientLike as _, ErrorKind, Expiration};
use fred::prelude::{KeysInterface as _, Pool};
use fred::types::Key;
use futures_util::StreamExt as _;
use spike_core::{Ctx, ErrorClass, IterError};
use tokio::sync::OnceCell;

use super::error::classify;
use super::source::Source;
use super::{counters, metrics};

pub(super) const KNOWN_SHARDS: usize = 16;

pub(super) struct Shared {
    pub(super) builder: Builder,
    pub(super) pool_size: usize,
    pub(super) pool: OnceCell<Pool>,
    pub(super) prefix: String,
    pub(super) ttl: Duration,
    pub(super) source: Box<dyn Source>,
    /// Keys this cache set (and when) and did not flush: a miss on one set
    /// before the lookup was sent is an eviction.
    pub(super) known: Vec<Mutex<HashMap<String, Instant>>>,
    pub(super) hasher: RandomState,
}

/// A cache-aside client: `GET`, on a miss load from the origin and `SET`
/// with a TTL, counting hits, misses, loads, sets and evictions into the
/// run's report ([`CacheStats::of`](super::CacheStats::of)). Cheap to
/// clone (clones share the connection pool and the origin).
#[derive(Clone)]
pub struct CacheAside {
    pub(super) shared: Arc<Shared>,
}

impl std::fmt::Debug for CacheAside {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CacheAside")
            .field("prefix", &self.shared.prefix)
            .field("ttl", &self.shared.ttl)
            .field("connected", &self.shared.pool.initialized())
            .finish_non_exhaustive()
    }
}

impl CacheAside {
    /// The prefix every key of this cache starts with.
    #[must_use]
    pub fn prefix(&self) -> &str {
        &self.shared.prefix
    }

    /// The connection pool, connecting on first use.
    ///
    /// # Errors
    /// `connect` (or `timeout`) when the server cannot be reached; the next
    /// call tries again.
    pub async fn pool(&self) -> Result<&Pool, IterError> {
        let s = &self.shared;
        s.pool
            .get_or_try_init(|| async {
                let pool = s
                    .builder
                    .build_pool(s.pool_size)
                    .map_err(|e| classify(&e))?;
                match pool.init().await {
                    Ok(_task) => Ok(pool),
                    Err(e) => {
                        let class = if *e.kind() == ErrorKind::Timeout {
                            ErrorClass::Timeout
                        } else {
                            ErrorClass::Connect
                        };
                        Err(IterError::of(class).with_message(e.to_string()))
                    }
                }
            })
            .await
    }

    fn known(&self, key: &str) -> &Mutex<HashMap<String, Instant>> {
        let s = &self.shared;
        let shard = (s.hasher.hash_one(key) % KNOWN_SHARDS as u64) as usize;
        &s.known[shard]
    }

    /// Look `key` up (the prefix is added); on a miss load it from the
    /// origin and write it back with the TTL. Records the counters and
    /// metrics for the iteration `ctx`.
    ///
    /// # Errors
    /// A Redis error (classed by [`classify`]) or the origin's error.
    pub async fn get_or_load(&self, ctx: &Ctx, key: &str) -> Result<String, IterError> {
        let s = &self.shared;
        let pool = self.pool().await?;
        let full = format!("{}{key}", s.prefix);
        ctx.count(counters::LOOKUP, 1);
        let asked = Instant::now();
        let found: Option<String> = pool.get(full.as_str()).await.map_err(|e| classify(&e))?;
        ctx.record(metrics::LOOKUP, asked.elapsed());
        if let Some(value) = found {
            ctx.count(counters::HIT, 1);
            return Ok(value);
        }
        ctx.count(counters::MISS, 1);
        // Set before this lookup was sent, yet missing: expired or evicted.
        // (Set after it: a concurrent miss on the same key already refilled
        // it, not an eviction.)
        let evicted = {
            let mut known = self
                .known(&full)
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let before = known.get(&full).is_some_and(|set_at| *set_at < asked);
            if before {
                known.remove(&full);
            }
            before
        };
        if evicted {
            ctx.count(counters::EVICTION, 1);
        }
        let loading = Instant::now();
        let value = s.source.load(key.to_owned()).await?;
        ctx.record(metrics::LOAD, loading.elapsed());
        ctx.count(counters::LOAD, 1);
        self.set(&full, &value).await?;
        ctx.count(counters::SET, 1);
        Ok(value)
    }

    async fn set(&self, full: &str, value: &str) -> Result<(), IterError> {
        let s = &self.shared;
        let ttl_ms = i64::try_from(s.ttl.as_millis()).unwrap_or(i64::MAX).max(1);
        self.pool()
            .await?
            .set::<(), _, _>(full, value, Some(Expiration::PX(ttl_ms)), None, false)
            .await
            .map_err(|e| classify(&e))?;
        self.known(full)
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(full.to_owned(), Instant::now());
        Ok(())
    }

    /// Write `key → value` with the TTL (outside any iteration: warming up).
    ///
    /// # Errors
    /// As for [`get_or_load`](Self::get_or_load).
    pub async fn put(&self, key: &str, value: &str) -> Result<(), IterError> {
        self.set(&format!("{}{key}", self.shared.prefix), value)
            .await
    }

    /// Load every key from the origin and write it: a warm cache. Returns
    /// how many keys were written.
    ///
    /// # Errors
    /// The first error of a load or a write.
    pub async fn warm(&self, keys: impl IntoIterator<Item = String>) -> Result<u64, IterError> {
        let keys: Vec<String> = keys.into_iter().collect();
        let mut written = 0;
        for chunk in keys.chunks(64) {
            let loads = chunk.iter().map(|key| async move {
                let value = self.shared.source.load(key.clone()).await?;
                self.put(key, &value).await
            });
            futures_util::future::try_join_all(loads).await?;
            written += chunk.len() as u64;
        }
        Ok(written)
    }

    /// Delete every key under the prefix (`SCAN` + `UNLINK`) and forget
    /// them (a later miss on them is not an eviction). Returns how many
    /// keys were deleted.
    ///
    /// # Errors
    /// A Redis error.
    pub async fn flush(&self) -> Result<u64, IterError> {
        let pool = self.pool().await?;
        let pattern = format!("{}*", glob_escape(&self.shared.prefix));
        let keys: Vec<Key> = pool
            .next()
            .scan_buffered(pattern, Some(1_000), None)
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect::<Result<_, _>>()
            .map_err(|e| classify(&e))?;
        for shard in &self.shared.known {
            shard.lock().unwrap_or_else(PoisonError::into_inner).clear();
        }
        let mut deleted = 0;
        for chunk in keys.chunks(500) {
            deleted += pool
                .unlink::<u64, _>(chunk.to_vec())
                .await
                .map_err(|e| classify(&e))?;
        }
        Ok(deleted)
    }

    /// How many keys exist under the prefix now.
    ///
    /// # Errors
    /// A Redis error.
    pub async fn count_keys(&self) -> Result<u64, IterError> {
        let pool = self.pool().await?;
        let pattern = format!("{}*", glob_escape(&self.shared.prefix));
        let mut n = 0;
        let mut keys = std::pin::pin!(pool.next().scan_buffered(pattern, Some(1_000), None));
        while let Some(key) = keys.next().await {
            key.map_err(|e| classify(&e))?;
            n += 1;
        }
        Ok(n)
    }

    /// Close the connections (after a final [`flush`](Self::flush)).
    pub async fn close(&self) {
        if let Some(pool) = self.shared.pool.get() {
            let _ = pool.quit().await;
        }
    }
}

fn glob_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

//! Redis driver (feature `redis`, fred): cache-aside workloads and the
//! counters that make a hit rate assertable.
//!
//! [`CacheAside`] does what a service in front of a cache does: `GET` the
//! key; on a miss, load the value from the origin (a [`Source`], e.g. the
//! simulated slow [`SlowSource`]) and `SET` it with a TTL. It records into
//! the report, per window, phase and run, the counters
//!
//! | counter | counts |
//! |---|---|
//! | `cache_lookup` | lookups |
//! | `cache_hit` / `cache_miss` | lookups that found / did not find the key |
//! | `cache_load` | values loaded from the origin |
//! | `cache_set` | values written back |
//! | `eviction` | misses on a key this cache had set and not flushed itself: the server expired (TTL) or evicted (maxmemory) it |
//!
//! so `stats.ratio("cache_hit", "cache_lookup")` is the hit rate, and
//! [`spike_core::recovery_time_by`] on that ratio per window is the time the
//! cache took to warm up again after a flush. Beside the iteration latency
//! it records two durations (`ctx.record`, names in [`metrics`]):
//! `redis.lookup` (the Redis `GET` of each lookup) and `redis.load`
//! (loading a missed value from the origin). Everything goes through the
//! iteration's `Ctx`, on the scenario's window; [`CacheStats::of`] reads
//! it back from a report.
//!
//! Every key lives under the cache's prefix (unique per instance unless
//! set), [`CacheAside::flush`] deletes them all (`SCAN` + `UNLINK`), and
//! [`CacheWorkload::flush_at_start_of`] does so when a phase starts: the
//! cold-cache spike. The connection is made on first use, so an
//! unreachable server shows up as `connect` errors in the report.
//!
//! ```no_run
//! use spike::prelude::*;
//! use spike::redis::{CacheAside, SlowSource};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let cache = CacheAside::builder("redis://127.0.0.1:6379")
//!     .ttl(secs(60))
//!     .source(SlowSource::new(ms(20)).capacity(8))
//!     .build()?;
//! let shape = Shape::builder().hold(rps(100), secs(1)).burst(rps(600), ms(500)).recover(rps(100), secs(2)).build()?;
//! let report = Scenario::new("catalog").shape(shape).window(ms(100))
//!     .run(cache.workload(500).flush_at_start_of("burst")).await?;
//! println!("hit rate in the burst: {:?}", report.phase("burst").unwrap().stats.ratio("cache_hit", "cache_lookup"));
//! cache.flush().await.map_err(|e| e.to_string())?; // delete this run's keys
//! # Ok(()) }
//! ```

mod source;

use std::collections::HashMap;
use std::hash::{BuildHasher as _, RandomState};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use fred::prelude::{Builder, ClientLike as _, Config, Error as RedisError, ErrorKind, Expiration};
use fred::prelude::{KeysInterface as _, Pool};
use fred::types::Key;
use futures_util::future::BoxFuture;
use futures_util::StreamExt as _;
use spike_core::{Ctx, ErrorClass, IterError, IterResult, Report, Workload};
use tokio::sync::OnceCell;

pub use source::{SlowSource, Source};

use crate::driver::{judge_target, MetricStats, TargetRefused};

/// Names of the counters the cache-aside helpers record.
pub mod counters {
    /// Lookups.
    pub const LOOKUP: &str = "cache_lookup";
    /// Lookups that found the key.
    pub const HIT: &str = "cache_hit";
    /// Lookups that did not.
    pub const MISS: &str = "cache_miss";
    /// Values loaded from the origin.
    pub const LOAD: &str = "cache_load";
    /// Values written back.
    pub const SET: &str = "cache_set";
    /// Misses on keys this cache had set: expired or evicted by the server.
    pub const EVICTION: &str = "eviction";
}

/// Names of the durations the cache-aside helpers record (`ctx.record`), in
/// the report's `Stats::metrics` (`expect(&report).metric(..)`).
pub mod metrics {
    /// The Redis `GET` of each lookup.
    pub const LOOKUP: &str = "redis.lookup";
    /// Loading a missed value from the origin.
    pub const LOAD: &str = "redis.load";
}

/// Why a [`CacheAside`] could not be built.
#[non_exhaustive]
pub enum RedisSetupError {
    /// The URL does not parse, or a setting is invalid.
    Config(RedisError),
    /// The host is neither loopback nor allowed.
    Refused(TargetRefused),
}

crate::driver::debug_as_display!(RedisSetupError);

impl std::fmt::Display for RedisSetupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RedisSetupError::Config(e) => write!(
                f,
                "bad Redis settings: {}",
                spike_core::redact::redact(&e.to_string())
            ),
            RedisSetupError::Refused(r) => r.fmt(f),
        }
    }
}

impl std::error::Error for RedisSetupError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RedisSetupError::Config(e) => Some(e),
            RedisSetupError::Refused(r) => Some(r),
        }
    }
}

/// Class a Redis error: timeouts are `timeout`, a broken or impossible
/// connection `connect`, a bad frame `protocol`, anything else
/// `redis_error` (with the server's message).
#[must_use]
pub fn classify(err: &RedisError) -> IterError {
    let class = match err.kind() {
        ErrorKind::Timeout => ErrorClass::Timeout,
        ErrorKind::IO | ErrorKind::Canceled => ErrorClass::Connect,
        ErrorKind::Protocol | ErrorKind::Parse => ErrorClass::Protocol,
        _ => ErrorClass::Named("redis_error".into()),
    };
    IterError::of(class).with_message(err.to_string())
}

/// What the cache-aside workloads of a run measured, read from its report
/// ([`CacheStats::of`]): a view over the counters and durations they
/// recorded through `Ctx`.
#[derive(Debug, Clone, PartialEq)]
pub struct CacheStats {
    /// The Redis `GET` of each lookup (`redis.lookup`), per phase and
    /// window.
    pub lookup: MetricStats,
    /// Loading a missed value from the origin (`redis.load`), per phase and
    /// window.
    pub load: MetricStats,
    /// Lookups (`cache_lookup`).
    pub lookups: u64,
    /// Hits (`cache_hit`).
    pub hits: u64,
    /// Misses (`cache_miss`).
    pub misses: u64,
    /// Values written back (`cache_set`).
    pub sets: u64,
    /// Misses on keys this cache had set, expired or evicted (`eviction`).
    pub evictions: u64,
}

impl CacheStats {
    /// The cache numbers of `report` (whole run; per phase and window for
    /// the durations).
    ///
    /// ```
    /// use spike::prelude::*;
    /// use spike::redis::{counters, metrics, CacheStats};
    ///
    /// # tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
    /// // What the workload records, without a server: every 4th lookup misses.
    /// let shape = Shape::builder().hold(rps(100), ms(200)).build()?;
    /// let report = Scenario::new("cache-view").shape(shape)
    ///     .run(|ctx: Ctx| async move {
    ///         ctx.count(counters::LOOKUP, 1);
    ///         ctx.record(metrics::LOOKUP, ms(1));
    ///         let hit = ctx.iteration() % 4 != 0;
    ///         ctx.count(if hit { counters::HIT } else { counters::MISS }, 1);
    ///     })
    ///     .await?;
    /// let stats = CacheStats::of(&report);
    /// assert_eq!((stats.lookups, stats.hits, stats.misses), (20, 15, 5));
    /// assert_eq!(stats.hit_rate(), Some(0.75));
    /// assert_eq!(stats.lookup.total.count, 20);
    /// # Ok::<(), SpikeError>(())
    /// # }).unwrap();
    /// ```
    #[must_use]
    pub fn of(report: &Report) -> Self {
        let total = &report.total;
        CacheStats {
            lookup: MetricStats::of(report, metrics::LOOKUP),
            load: MetricStats::of(report, metrics::LOAD),
            lookups: total.counter(counters::LOOKUP),
            hits: total.counter(counters::HIT),
            misses: total.counter(counters::MISS),
            sets: total.counter(counters::SET),
            evictions: total.counter(counters::EVICTION),
        }
    }

    /// `hits / lookups`, `None` before the first lookup.
    #[must_use]
    pub fn hit_rate(&self) -> Option<f64> {
        (self.lookups > 0).then(|| self.hits as f64 / self.lookups as f64)
    }
}

const KNOWN_SHARDS: usize = 16;

struct Shared {
    builder: Builder,
    pool_size: usize,
    pool: OnceCell<Pool>,
    prefix: String,
    ttl: Duration,
    source: Box<dyn Source>,
    /// Keys this cache set (and when) and did not flush: a miss on one set
    /// before the lookup was sent is an eviction.
    known: Vec<Mutex<HashMap<String, Instant>>>,
    hasher: RandomState,
}

/// A cache-aside client: `GET`, on a miss load from the origin and `SET`
/// with a TTL, counting hits, misses, loads, sets and evictions into the
/// run's report ([`CacheStats::of`]). Cheap to clone (clones share the
/// connection pool and the origin).
#[derive(Clone)]
pub struct CacheAside {
    shared: Arc<Shared>,
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

/// Settings of a [`CacheAside`]; see [`CacheAside::builder`].
#[must_use]
pub struct CacheAsideBuilder {
    url: String,
    prefix: Option<String>,
    ttl: Duration,
    source: Box<dyn Source>,
    pool_size: usize,
    connect_timeout: Duration,
    command_timeout: Duration,
    allowed: Vec<String>,
}

impl std::fmt::Debug for CacheAsideBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CacheAsideBuilder")
            .field("url", &spike_core::redact::redact_url(&self.url))
            .field("prefix", &self.prefix)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl CacheAside {
    /// Settings for a cache on `url` (`redis://[user:pw@]host:port[/db]`):
    /// a unique key prefix, 5 min TTL, a [`SlowSource`] of 10 ms, 4
    /// connections, 2 s connect and 1 s command timeouts.
    pub fn builder(url: impl Into<String>) -> CacheAsideBuilder {
        CacheAsideBuilder {
            url: url.into(),
            prefix: None,
            ttl: Duration::from_secs(300),
            source: Box::new(SlowSource::new(Duration::from_millis(10))),
            pool_size: 4,
            connect_timeout: Duration::from_secs(2),
            command_timeout: Duration::from_secs(1),
            allowed: Vec::new(),
        }
    }

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

/// The hit-rate recovery of a run: from the spike end (start of the recover
/// phase) to the start of the first run of `sustain` windows whose
/// `cache_hit / cache_lookup` is above `threshold` and that no later window
/// breaks ([`spike_core::recovery_time_by`] on the ratio). Also returns the
/// indexes of the recover-phase windows below the threshold. `None` when
/// the shape has no burst followed by a recover phase.
///
/// ```
/// use spike::prelude::*;
/// use spike::redis::{counters, hit_rate_recovery};
///
/// # tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
/// // A stand-in for a cache that misses for 300 ms after the spike.
/// let shape = Shape::builder().hold(rps(100), ms(500)).burst(rps(200), ms(200))
///     .recover(rps(100), ms(1_000)).build()?;
/// let report = Scenario::new("hit-rate").shape(shape).window(ms(100))
///     .run(|ctx: Ctx| async move {
///         ctx.count(counters::LOOKUP, 1);
///         let cold = ctx.intended_start() >= ms(500) && ctx.intended_start() < ms(1_000);
///         ctx.count(if cold { counters::MISS } else { counters::HIT }, 1);
///     })
///     .await?;
/// let (time, cold_windows) = hit_rate_recovery(&report, 0.9, 3).unwrap();
/// assert_eq!(time, Some(ms(300)));
/// assert_eq!(cold_windows, vec![7, 8, 9]);
/// # Ok::<(), SpikeError>(())
/// # }).unwrap();
/// ```
#[must_use]
pub fn hit_rate_recovery(
    report: &spike_core::Report,
    threshold: f64,
    sustain: u32,
) -> Option<(Option<Duration>, Vec<u64>)> {
    let recovery = report.recovery.as_ref()?;
    Some(spike_core::recovery_time_by(
        &report.windows,
        recovery.spike_end,
        recovery.recover_end,
        sustain,
        |w| {
            w.stats
                .ratio(counters::HIT, counters::LOOKUP)
                .is_some_and(|r| r > threshold)
        },
    ))
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

impl CacheAsideBuilder {
    /// The prefix of every key (default `spike:<pid>:<time>:`, unique).
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = Some(prefix.into());
        self
    }

    /// TTL of written values (at least 1 ms).
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// The origin misses load from.
    pub fn source(mut self, source: impl Source) -> Self {
        self.source = Box::new(source);
        self
    }

    /// Connections to Redis (commands are spread over them).
    pub fn pool_size(mut self, size: usize) -> Self {
        self.pool_size = size.max(1);
        self
    }

    /// How long connecting may take.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long one command may take (then `timeout`).
    pub fn command_timeout(mut self, timeout: Duration) -> Self {
        self.command_timeout = timeout;
        self
    }

    /// Allow a non-loopback host (`SPIKE_ALLOW_HOSTS` is always honoured).
    pub fn allow_host(mut self, host: impl Into<String>) -> Self {
        self.allowed.push(host.into());
        self
    }

    /// Check the settings. No connection is made yet.
    ///
    /// # Errors
    /// [`RedisSetupError`] for a bad URL or a refused host.
    pub fn build(self) -> Result<CacheAside, RedisSetupError> {
        let mut config = Config::from_url(&self.url).map_err(RedisSetupError::Config)?;
        check_servers(&mut config, &self.allowed).map_err(RedisSetupError::Refused)?;
        let mut builder = Builder::from_config(config);
        let (connect, command) = (self.connect_timeout, self.command_timeout);
        builder
            .with_connection_config(|c| {
                c.connection_timeout = connect;
                c.internal_command_timeout = connect;
                c.max_command_attempts = 1;
            })
            .with_performance_config(|p| p.default_command_timeout = command);
        let prefix = self.prefix.unwrap_or_else(|| {
            let nanos = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos());
            format!("spike:{}:{nanos}:", std::process::id())
        });
        Ok(CacheAside {
            shared: Arc::new(Shared {
                builder,
                pool_size: self.pool_size,
                pool: OnceCell::new(),
                prefix,
                ttl: self.ttl.max(Duration::from_millis(1)),
                source: self.source,
                known: (0..KNOWN_SHARDS)
                    .map(|_| Mutex::new(HashMap::new()))
                    .collect(),
                hasher: RandomState::new(),
            }),
        })
    }
}

/// Check every host of a parsed client config before any socket is opened,
/// and pin a loopback server to the address it was judged by (`localhost`
/// → `127.0.0.1`), so the client never asks a resolver. Cluster and
/// sentinel configs discover further servers from the ones named, which
/// may point anywhere: they are refused unless every seed host is allowed
/// by name (`allow_host` or `SPIKE_ALLOW_HOSTS`), even a loopback one.
/// The password (and username) are registered for redaction.
fn check_servers(config: &mut Config, allowed: &[String]) -> Result<(), TargetRefused> {
    use fred::types::config::ServerConfig;
    use spike_core::safety::{allowed_by_name, bare_host, Verdict};

    for secret in [&config.username, &config.password].into_iter().flatten() {
        spike_core::redact::register_secret(secret);
    }
    match &mut config.server {
        ServerConfig::Centralized { server } => {
            if let Verdict::Loopback(ips) = judge_target("redis", &server.host, allowed)? {
                if let Some(ip) = ips.first() {
                    server.host = match ip {
                        std::net::IpAddr::V4(v4) => v4.to_string(),
                        std::net::IpAddr::V6(v6) => format!("[{v6}]"),
                    }
                    .into();
                }
            }
            Ok(())
        }
        ServerConfig::Clustered { hosts, .. } | ServerConfig::Sentinel { hosts, .. } => {
            for server in hosts.iter() {
                judge_target("redis", &server.host, allowed)?;
                if !allowed_by_name(&server.host, allowed) {
                    return Err(TargetRefused {
                        driver: "redis",
                        host: bare_host(&server.host).to_owned(),
                        note: " (cluster and sentinel discovery connect wherever the servers \
                               point, so every seed host must be allowed by name, even a \
                               loopback one)",
                    });
                }
            }
            Ok(())
        }
    }
}

/// The ready-made cache-aside workload: one lookup of a uniformly chosen
/// key per iteration ([`CacheAside::workload`]).
#[derive(Debug, Clone)]
pub struct CacheWorkload {
    cache: CacheAside,
    keys: u64,
    flush_at: Option<(String, Arc<AtomicBool>)>,
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

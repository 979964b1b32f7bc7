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

mod builder;
mod cache;
pub mod counters;
mod error;
pub mod metrics;
mod source;
mod stats;
mod target;
mod workload;

pub use builder::CacheAsideBuilder;
pub use cache::CacheAside;
pub use error::{classify, RedisSetupError};
pub use source::{SlowSource, Source};
pub use stats::{hit_rate_recovery, CacheStats};
pub use workload::CacheWorkload;

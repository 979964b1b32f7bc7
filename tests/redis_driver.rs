//! Redis cache-aside driver against the Redis server on 127.0.0.1
//! (`SPIKE_REDIS_URL`). Each test uses its own key prefix and deletes its
//! keys after.
#![cfg(feature = "redis")]

mod drivers_common;

use drivers_common::{closed_port, redis_url, server_up, unique};
use spike::prelude::*;
use spike::recovery_time_by;
use spike::redis::{counters, CacheAside, CacheStats, RedisSetupError, SlowSource};

fn redis_up() -> bool {
    server_up("Redis", &redis_url(), 6379)
}

const KEYS: u64 = 150;

/// 100/s baseline, 150 lookups in a 250 ms burst, 300/s after.
fn spike_shape() -> Shape {
    Shape::builder()
        .hold(rps(100), secs(1))
        .named("baseline")
        .burst(rps(600), ms(250))
        .recover(rps(300), ms(2_000))
        .build()
        .expect("valid shape")
}

fn cache(name: &str, origin: &SlowSource) -> CacheAside {
    CacheAside::builder(redis_url())
        .prefix(format!("{}:", unique(name)))
        .ttl(secs(60))
        .source(origin.clone())
        .build()
        .expect("cache settings")
}

async fn clean_up(cache: &CacheAside, expect_at_least: u64) {
    let deleted = cache.flush().await.expect("flush");
    assert!(deleted >= expect_at_least, "deleted {deleted} keys");
    assert_eq!(
        cache.count_keys().await.expect("scan"),
        0,
        "keys left behind"
    );
    cache.close().await;
}

/// A warm cache takes the spike: the hit rate stays above 90% in every
/// phase and the origin is never called.
#[spike_test(timeout = "60s")]
async fn a_warm_cache_keeps_its_hit_rate_through_a_spike() {
    if !redis_up() {
        return;
    }
    let origin = SlowSource::new(ms(20)).capacity(8);
    let cache = cache("spike-warm", &origin);
    let warmed = cache.warm(CacheAside::key_names(KEYS)).await.expect("warm");
    assert_eq!(warmed, KEYS);
    let report = Scenario::new("redis-warm-cache")
        .shape(spike_shape())
        .window(ms(250))
        .run(cache.workload(KEYS))
        .await
        .expect("valid scenario");
    println!("{report}");
    spike::expect(&report)
        .error_rate()
        .at_most(pct(0))
        .phase("baseline")
        .ratio(counters::HIT, counters::LOOKUP)
        .above(pct(90))
        .phase("burst")
        .ratio(counters::HIT, counters::LOOKUP)
        .above(pct(90))
        .phase("recover")
        .ratio(counters::HIT, counters::LOOKUP)
        .above(pct(90))
        .verify();
    assert_eq!(
        report.total.counter(counters::LOOKUP),
        report.total.scheduled
    );
    assert_eq!(report.total.counter(counters::MISS), 0);
    assert_eq!(report.total.counter(counters::EVICTION), 0);
    assert_eq!(
        origin.loads(),
        KEYS,
        "only the warm-up loaded from the origin"
    );
    let stats = CacheStats::of(&report);
    assert_eq!(stats.lookup.total.count, report.total.scheduled);
    assert_eq!(stats.load.total.count, 0);
    // No lookup waited for the 20 ms origin.
    let burst = &report.phase("burst").unwrap().stats;
    assert!(burst.latency.p50_us < 15_000, "{report}");
    clean_up(&cache, KEYS).await;
}

/// A cold-cache spike: the cache is flushed as the burst starts. The report
/// shows the miss storm, what it costs, and how long the hit rate takes to
/// come back above 90%.
#[spike_test(timeout = "60s")]
async fn a_cold_cache_spike_shows_the_miss_storm_its_cost_and_the_hit_rate_recovery() {
    if !redis_up() {
        return;
    }
    let origin = SlowSource::new(ms(20)).capacity(8);
    let cache = cache("spike-cold", &origin);
    cache.warm(CacheAside::key_names(KEYS)).await.expect("warm");
    let report = Scenario::new("redis-cold-cache")
        .shape(spike_shape())
        .window(ms(250))
        .iteration_timeout(secs(5))
        .run(cache.workload(KEYS).flush_at_start_of("burst"))
        .await
        .expect("valid scenario");
    println!("{report}");
    let base = &report.phase("baseline").unwrap().stats;
    let burst = &report.phase("burst").unwrap().stats;
    // The miss storm: the flush empties the cache as the burst starts.
    spike::expect(&report)
        .error_rate()
        .at_most(pct(0))
        .phase("baseline")
        .ratio(counters::HIT, counters::LOOKUP)
        .above(pct(99))
        .phase("burst")
        .ratio(counters::HIT, counters::LOOKUP)
        .below(pct(60))
        .verify();
    assert!(burst.counter(counters::MISS) >= 75, "{:?}", burst.counters);
    // Every miss loaded from the origin and wrote the value back.
    let misses = report.total.counter(counters::MISS);
    assert_eq!(report.total.counter(counters::LOAD), misses);
    assert_eq!(report.total.counter(counters::SET), misses);
    assert_eq!(
        report.total.counter(counters::HIT) + misses,
        report.total.counter(counters::LOOKUP)
    );
    // Flushed on purpose: those misses are not evictions.
    assert_eq!(report.total.counter(counters::EVICTION), 0);
    // Its cost: misses wait for the slow origin (20 ms, 8 at a time).
    assert!(burst.latency.p50_us >= 20_000, "{report}");
    assert!(burst.latency.p50_us > 5 * base.latency.p50_us, "{report}");
    let load = CacheStats::of(&report).load;
    assert_eq!(load.total.count, misses);
    assert!(load.phase("burst").unwrap().p50_us >= 20_000, "{load:?}");
    // The time until the hit rate is back above 90%, by the recovery
    // machinery applied to the counter ratio per window.
    let recovery = report.recovery.as_ref().expect("burst then recover");
    let (time, unhealthy) = recovery_time_by(
        &report.windows,
        recovery.spike_end,
        recovery.recover_end,
        3,
        |w| {
            w.stats
                .ratio(counters::HIT, counters::LOOKUP)
                .is_some_and(|r| r > 0.9)
        },
    );
    let per_window: Vec<String> = report
        .windows
        .iter()
        .map(|w| {
            format!(
                "{:.2}",
                w.stats
                    .ratio(counters::HIT, counters::LOOKUP)
                    .unwrap_or(0.0)
            )
        })
        .collect();
    println!("hit rate per 250 ms window: {per_window:?}; recovered after {time:?}");
    assert_eq!(
        spike::redis::hit_rate_recovery(&report, 0.9, 3),
        Some((time, unhealthy.clone()))
    );
    let time = time.expect("the hit rate recovered inside the recover phase");
    assert!(
        !unhealthy.is_empty(),
        "the first recover window is still cold"
    );
    assert!(
        time >= ms(250) && time <= ms(1_250),
        "hit-rate recovery {time:?}"
    );
    clean_up(&cache, KEYS / 2).await;
}

#[spike_test(timeout = "60s")]
async fn keys_that_expire_under_the_workload_count_as_evictions() {
    if !redis_up() {
        return;
    }
    let origin = SlowSource::new(ms(2));
    let cache = CacheAside::builder(redis_url())
        .prefix(format!("{}:", unique("spike-ttl")))
        .ttl(ms(300))
        .source(origin.clone())
        .build()
        .expect("cache settings");
    let shape = Shape::builder().hold(rps(100), ms(1_500)).build().unwrap();
    let report = Scenario::new("redis-ttl")
        .shape(shape)
        .window(ms(250))
        .run(cache.workload(10))
        .await
        .expect("valid scenario");
    println!("{report}");
    let misses = report.total.counter(counters::MISS);
    let evictions = report.total.counter(counters::EVICTION);
    // 10 keys living 300 ms each over 1.5 s: every key expires several
    // times; the first miss of each key is not an eviction.
    assert!(evictions >= 20, "{:?}", report.total.counters);
    assert!(misses >= evictions + 10, "{:?}", report.total.counters);
    assert_eq!(origin.loads(), misses);
    clean_up(&cache, 0).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_closed_port_gives_a_report_full_of_connect_errors() {
    let cache = CacheAside::builder(format!("redis://127.0.0.1:{}", closed_port()))
        .build()
        .expect("cache settings");
    let shape = Shape::builder().hold(rps(50), ms(400)).build().unwrap();
    let report = Scenario::new("redis-closed-port")
        .shape(shape)
        .window(ms(100))
        .run(cache.workload(10))
        .await
        .expect("valid scenario");
    println!("{report}");
    assert_eq!(report.total.completed, 20);
    assert_eq!(report.total.errors_of("connect"), 20, "{report}");
    assert_eq!(report.total.counter(counters::LOOKUP), 0);
    assert!(report.total.latency.max_us < 1_000_000, "{report}");
}

#[test]
fn non_loopback_hosts_are_refused_before_any_traffic() {
    let err = CacheAside::builder("redis://cache.prod.example:6379")
        .build()
        .unwrap_err();
    assert!(
        matches!(err, RedisSetupError::Refused(ref r) if r.host == "cache.prod.example"),
        "{err}"
    );
    assert!(CacheAside::builder("redis://cache.staging:6379")
        .allow_host("cache.staging")
        .build()
        .is_ok());
    assert!(matches!(
        CacheAside::builder("nonsense://").build(),
        Err(RedisSetupError::Config(_))
    ));
}

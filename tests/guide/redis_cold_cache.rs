use spike::prelude::*;
use spike::recovery_time_by;
use spike::redis::{counters, CacheAside, SlowSource};

#[spike_test(timeout = "60s")]
async fn a_cold_cache_spike() {
    let cache = CacheAside::builder("redis://127.0.0.1:6379")
        .ttl(secs(60))
        .source(SlowSource::new(ms(20)).capacity(8))  // origin: 20 ms, 8 at a time
        .build().unwrap();
    cache.warm(CacheAside::key_names(150)).await.unwrap();
    let shape = Shape::builder()
        .hold(rps(100), secs(1)).named("baseline")
        .burst(rps(600), ms(250))
        .recover(rps(300), secs(2))
        .build().unwrap();
    let report = Scenario::new("redis-cold-cache").shape(shape).window(ms(250))
        .iteration_timeout(secs(5))
        // The first iteration of the burst flushes the cache: cold, right now.
        .run(cache.workload(150).flush_at_start_of("burst")).await.unwrap();

    expect(&report)
        .phase("baseline").ratio(counters::HIT, counters::LOOKUP).above(pct(99))
        .phase("burst").ratio(counters::HIT, counters::LOOKUP).below(pct(60))
        .verify();
    // Recovery time of the hit rate, by the same machinery as the latency's.
    let r = report.recovery.as_ref().unwrap();
    let (time, _unhealthy) = recovery_time_by(&report.windows, r.spike_end, r.recover_end, 3,
        |w| w.stats.ratio(counters::HIT, counters::LOOKUP).is_some_and(|h| h > 0.9));
    println!("hit rate back above 90% after {time:?}");
    cache.flush().await.unwrap();     // delete this run's keys
}

//! A 60 s run of every driver at once keeps the heap flat: drivers record
//! only through `Ctx`, so their windows are the engine's, and a closed
//! window keeps only its summary (issue 10, "Must show").
//!
//! The test binary counts live heap bytes with a counting global allocator
//! (`cap::Cap` around `System`), samples them once a second while four
//! scenarios run side by side for 60 s (HTTP against the demo service,
//! WebSocket against the echo server, Postgres `SELECT 1`, Redis cache
//! lookups), and checks the growth against what the reports may keep.
//! Loopback only, bounded by the shapes and the test's timeout. Needs the
//! Postgres and Redis servers on 127.0.0.1 (`bash .ci/services.sh`);
//! without them it is skipped loudly, or fails under CI.
#![cfg(all(
    feature = "spike",
    feature = "http",
    feature = "ws",
    feature = "postgres",
    feature = "redis"
))]

mod drivers_common;

use std::alloc::System;

use cap::Cap;

use drivers_common::{pg_url, redis_url, server_up, unique};
use spike::demo::DemoService;
use spike::http::Http;
use spike::postgres::PgPool;
use spike::prelude::*;
use spike::redis::{CacheAside, SlowSource};
use spike::ws::{EchoServer, WsAvalanche};
use spike::{IntervalHistogram, WindowStats};

/// `System`, counting the bytes currently allocated (no limit).
#[global_allocator]
static ALLOCATOR: Cap<System> = Cap::new(System, usize::MAX);

/// Length of each of the four runs.
const RUN_SECS: u64 = 60;

/// One sample of the live heap per second, `RUN_SECS` of them (t = 1..=60 s).
async fn sample_heap() -> Vec<usize> {
    let mut samples = Vec::with_capacity(RUN_SECS as usize + 1);
    let mut tick = tokio::time::interval(secs(1));
    tick.tick().await; // t = 0
    for _ in 0..RUN_SECS {
        tick.tick().await;
        samples.push(ALLOCATOR.allocated());
    }
    samples
}

fn hold_60s(rate: f64) -> Shape {
    Shape::builder()
        .hold(rps(rate), secs(RUN_SECS))
        .build()
        .expect("valid shape")
}

/// The heap level around second `t` (1-based): the median of the samples
/// at t−2 ..= t+2 (fewer at the end), so one sample taken while a burst of
/// connections or a progress line was being allocated does not decide it.
fn level_at(samples: &[usize], t: usize) -> f64 {
    let lo = t.saturating_sub(3);
    let hi = (t + 2).min(samples.len());
    let mut around: Vec<usize> = samples[lo..hi].to_vec();
    around.sort_unstable();
    around[around.len() / 2] as f64
}

/// Per map entry kept in a closed window's `Stats` (counters, gauges,
/// metrics, error classes, statuses, samples, tags): a B-tree leaf node
/// holds up to 11 entries in ~400–600 bytes, plus the key's own heap; a
/// map of a few entries costs at most ~600 bytes, so 256 bytes per entry
/// plus 600 per map is an upper bound.
const ENTRY_BYTES: usize = 256;
const MAP_BYTES: usize = 600;

/// An upper bound of the bytes one closed window of `report` keeps while
/// the run goes on: its `WindowStats` (summary numbers and maps) and the
/// encoded latency histogram of each of its (window, phase) pairs, plus
/// its served counter.
fn kept_per_window(report: &Report) -> usize {
    let stats_heap = |w: &WindowStats| {
        let s = &w.stats;
        let entries = s.counters.len()
            + s.gauges.len()
            + s.metrics.len()
            + s.errors_by_class.len()
            + s.http_statuses.len()
            + s.error_samples.len()
            + s.tags.values().map(|v| 1 + v.len()).sum::<usize>();
        let samples: usize = s.error_samples.values().map(String::len).sum();
        7 * MAP_BYTES + entries * ENTRY_BYTES + samples + w.phase.len()
    };
    let window = report
        .windows
        .iter()
        .map(|w| std::mem::size_of::<WindowStats>() + stats_heap(w))
        .max()
        .unwrap_or(0);
    let histogram = report
        .interval_histograms
        .iter()
        .map(|h| std::mem::size_of::<IntervalHistogram>() + h.encoded.len() + h.phase.len())
        .max()
        .unwrap_or(0);
    window + histogram + std::mem::size_of::<u64>()
}

/// Four drivers for 60 s each, side by side, 1 s windows: the live heap
/// grows from t = 15 s to t = 60 s by no more than what the four reports
/// legitimately keep for the 45 windows closed in between, plus slack, and
/// does not grow faster in the last 30 s than in the middle.
#[spike_test(timeout = "150s")]
async fn sixty_seconds_of_every_driver_keep_the_heap_flat() {
    if !server_up("PostgreSQL", &pg_url(), 5432) || !server_up("Redis", &redis_url(), 6379) {
        return;
    }
    let demo = DemoService::builder()
        .work(ms(1))
        .start()
        .await
        .expect("start the demo service");
    let http = Http::builder(demo.url()).build().expect("loopback URL");
    let echo = EchoServer::start(64).await.expect("start the echo server");
    let avalanche = WsAvalanche::new(echo.url())
        .expect("loopback URL")
        .hold(ms(200))
        .message_every(ms(100));
    let pg = PgPool::builder(pg_url())
        .pool_size(4)
        .build()
        .expect("pool settings");
    pg.warm_up().await.expect("open the pool's connections");
    let cache = CacheAside::builder(redis_url())
        .prefix(format!("{}:", unique("spike-memory")))
        .ttl(secs(2))
        .source(SlowSource::new(ms(1)))
        .build()
        .expect("cache settings");

    let scenario = |name: &str, rate: f64| {
        Scenario::new(name)
            .shape(hold_60s(rate))
            .window(secs(1))
            .iteration_timeout(secs(5))
    };
    let (http_report, ws_report, pg_report, redis_report, samples) = tokio::join!(
        scenario("memory-http", 25.0).run(http.get("/work")),
        scenario("memory-ws", 10.0).run(avalanche),
        scenario("memory-pg", 25.0).run(pg.statement("SELECT 1")),
        scenario("memory-redis", 25.0).run(cache.workload(100)),
        sample_heap(),
    );
    let reports = [
        http_report.expect("http run"),
        ws_report.expect("ws run"),
        pg_report.expect("pg run"),
        redis_report.expect("redis run"),
    ];
    pg.close();
    let _ = cache.flush().await;
    cache.close().await;

    // Every run did its work: an empty run would keep the heap flat too.
    for report in &reports {
        println!("{report}");
        assert_eq!(report.windows.len(), RUN_SECS as usize, "{report}");
        assert!(
            report.total.errors * 20 <= report.total.completed,
            "more than 5% errors: {report}"
        );
    }

    // What the reports legitimately keep: per closed window, at most
    // `kept_per_window` bytes each (its summary and encoded histogram);
    // from t = 15 s to t = 60 s another 45 windows close in each run.
    // Slack: 1 MiB for what is in flight at a sampling instant (connections
    // opening and closing, buffers, tasks) and allocator bookkeeping.
    let per_second: usize = reports.iter().map(kept_per_window).sum();
    let slack = 1 << 20;
    let bound = (45 * per_second + slack) as f64;
    let (t15, t30, t60) = (
        level_at(&samples, 15),
        level_at(&samples, 30),
        level_at(&samples, 60),
    );
    let mib = |b: f64| b / (1024.0 * 1024.0);
    let per_sec_kib: Vec<String> = samples
        .windows(2)
        .map(|w| format!("{:+.0}", (w[1] as f64 - w[0] as f64) / 1024.0))
        .collect();
    println!(
        "live heap: t=15s {:.2} MiB, t=30s {:.2} MiB, t=60s {:.2} MiB; reports keep ≤ {} B per second of run; bound {:.2} MiB\n\
         growth per second (KiB): {}",
        mib(t15),
        mib(t30),
        mib(t60),
        per_second,
        mib(bound),
        per_sec_kib.join(" ")
    );
    let growth = t60 - t15;
    assert!(
        growth <= bound,
        "the live heap grew by {:.2} MiB from t=15s to t=60s, above the {:.2} MiB the reports may keep (+ slack)",
        mib(growth),
        mib(bound)
    );
    // Slopes, bytes per second: the middle (15–30 s) and the last 30 s.
    // Legitimately both are the reports' per-second growth; a leak that
    // speeds up shows in the last 30 s. Noise allowance: the slack spread
    // over the 30 s.
    let middle = (t30 - t15) / 15.0;
    let last = (t60 - t30) / 30.0;
    let allowed = middle.max(per_second as f64) + slack as f64 / 30.0;
    assert!(
        last <= allowed,
        "the heap grew {:.0} B/s in the last 30 s, faster than in the middle ({:.0} B/s; allowed {:.0} B/s)",
        last,
        middle,
        allowed
    );
}

//! The classic spike scenarios of issue 4, each a `#[spike_test]` against
//! the built-in demo service on 127.0.0.1. Skipped unless the `spike`
//! feature is on: `cargo test --features spike --test scenarios`.
//! Their thresholds and the numbers behind them are explained in
//! `docs/spike_testing_guide.md` ("Spike scenarios").
#![cfg(feature = "http")]

use std::time::{Duration, Instant};

use spike::demo::{Autoscale, BreakerState, DemoEventKind, DemoService};
use spike::faults::{at, lasting, Chaos};
use spike::http::{Http, CONNECTIONS_OPENED};
use spike::prelude::*;

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Offset of a service event from the run start.
fn offset(at: Instant, t0: Instant) -> Duration {
    at.saturating_duration_since(t0)
}

/// 1. Thundering-herd login: 500 new clients arrive at once, each on its
///    own new connection, each a different user.
#[spike_test(timeout = "60s")]
async fn thundering_herd_login() -> TestResult {
    // 2 backends × 8 slots / 10 ms = 1,600 logins/s; 250 may wait per backend.
    let demo = DemoService::builder()
        .backends(2)
        .capacity(8)
        .queue(250)
        .work(ms(10))
        .start()
        .await?;
    let http = Http::builder(demo.url())
        .new_connection_per_iteration()
        .build()?;
    http.health("/health").wait_healthy("before run").await?;
    let login = http
        .post("/login")
        .header("content-type", "application/json")
        .body(r#"{"user":"user-{iteration}"}"#)
        .expect_status(200)
        .expect_json("/token");
    let shape = Shape::builder()
        .hold(rps(20), secs(1))
        .named("baseline")
        .burst(rps(2_500), ms(200))
        .named("herd")
        .recover(rps(20), secs(3))
        .build()?;
    // 500 new connections within 200 ms cost the in-process generator and
    // service more CPU than a 2-core CI machine has in a debug build: the
    // pacer falls behind by up to ~150 ms. Latency counts from the intended
    // start, so that lag is in the numbers, not hidden; the budget says how
    // much of it we accept.
    let report = Scenario::new("thundering_herd_login")
        .shape(shape)
        .window(ms(250))
        .lag_budget(ms(500))
        .run(login)
        .await?;
    let herd = &report.phase("herd").ok_or("no herd phase")?.stats;
    assert_eq!(herd.completed, 500, "{report}");
    // Every iteration opened its own connection.
    assert_eq!(
        report.total.counter(CONNECTIONS_OPENED),
        report.total.completed
    );
    assert_eq!(
        demo.stats().distinct_users,
        report.total.completed - report.total.errors
    );
    expect(&report)
        .error_rate()
        .below(pct(5))
        .recovery()
        .within(secs(30))
        .phase("herd")
        .error_rate()
        .below(pct(5))
        .verify();
    Ok(())
}

/// 2. A graduated ramp past capacity makes the autoscaler add capacity;
///    p95 comes back once it has.
#[spike_test(timeout = "60s")]
async fn ramp_triggers_autoscaler() -> TestResult {
    // 4 slots / 40 ms = 100 requests/s; after 1 s of saturation and a 1 s
    // cold start, +8 slots: 300 requests/s.
    let demo = DemoService::builder()
        .capacity(4)
        .queue(400)
        .work(ms(40))
        .autoscale(Autoscale {
            after: secs(1),
            cold_start: secs(1),
            add: 8,
            max_steps: 1,
        })
        .start()
        .await?;
    let http = Http::builder(demo.url()).build()?;
    let shape = Shape::builder()
        .hold(rps(50), secs(2))
        .named("baseline")
        .ramp(rps(150), secs(2))
        .named("ramp-up")
        .hold(rps(150), secs(3))
        .named("saturated")
        .hold(rps(150), secs(3))
        .named("scaled")
        .build()?;
    let t0 = Instant::now();
    let report = Scenario::new("ramp_triggers_autoscaler")
        .shape(shape)
        .window(ms(250))
        .lag_budget(ms(100))
        .run(http.get("/work"))
        .await?;
    let events = demo.events();
    let done = events
        .iter()
        .find(|e| matches!(e.kind, DemoEventKind::ScaleUpDone { .. }))
        .ok_or_else(|| format!("the autoscaler never added capacity: {events:?}\n{report}"))?;
    // The load passes capacity at 3.0 s; saturation for 1 s and a 1 s cold
    // start put the new capacity at 5.0 s (± one 50 ms sample and timer
    // jitter). The issue's bound is "within 30 s".
    let at = offset(done.at, t0);
    assert!(at <= secs(30), "scale-up at {at:?}");
    assert!(at >= ms(4_500) && at <= ms(6_000), "scale-up at {at:?}");
    assert_eq!(demo.capacity(), 12);
    // p95 came back: the scaled phase is as fast as the baseline give or
    // take the recovery criteria's band (+25% or +10 ms).
    let base = report
        .phase("baseline")
        .ok_or("no baseline")?
        .stats
        .latency
        .p95_us;
    let band = Duration::from_micros((base as f64 * 1.25).max(base as f64 + 10_000.0) as u64);
    expect(&report)
        .error_rate()
        .below(pct(1))
        .phase("saturated")
        .p95()
        .above(band)
        .phase("scaled")
        .p95()
        .below(band)
        .verify();
    Ok(())
}

/// 3. Downstream failures during a burst trip the breaker; fallbacks are
///    fast; the breaker closes again in the recover phase.
#[spike_test(timeout = "60s")]
async fn circuit_breaker_trips_and_closes() -> TestResult {
    // Downstream: 20 ms per call, 4 calls at once (200 calls/s). Breaker:
    // 5 failures within 1 s open it for 500 ms.
    let demo = DemoService::builder()
        .downstream_latency(ms(20))
        .downstream_capacity(4)
        .breaker(5, ms(500))
        .start()
        .await?;
    let http = Http::builder(demo.url()).build()?;
    let checkout = http.get("/checkout").tag_from_header("x-path");
    let shape = Shape::builder()
        .hold(rps(50), secs(2))
        .named("baseline")
        .burst(rps(400), secs(2))
        .recover(rps(50), secs(3))
        .build()?;
    let t0 = Instant::now();
    let report = Scenario::new("circuit_breaker_trips_and_closes")
        .shape(shape)
        .window(ms(250))
        .lag_budget(ms(100))
        // Recovery is judged on errors (the breaker's fallbacks and 502s):
        // with ~12 requests per 250 ms window, a window's p95 is its slowest
        // request, which on a loaded 2-core machine in a debug build is
        // noise (one run: 2.25 s "recovery" from 40–56 ms stragglers while
        // the breaker had long closed). A 1 s slack takes latency out of it.
        .recovery_criteria(RecoveryCriteria {
            slack: secs(1),
            ..RecoveryCriteria::default()
        })
        .run(checkout)
        .await?;
    let events = demo.events();
    let burst = report.phase("burst").ok_or("no burst")?;
    let recover = report.phase("recover").ok_or("no recover")?;
    // Opened during the burst, not before.
    let first_open = events
        .iter()
        .find(|e| e.kind == DemoEventKind::BreakerOpened)
        .ok_or_else(|| format!("the breaker never opened\n{report}"))?;
    let opened_at = offset(first_open.at, t0);
    assert!(
        opened_at >= burst.start && opened_at < burst.start + burst.duration,
        "opened at {opened_at:?}"
    );
    // The last change is a close, inside the recover phase, and it stays
    // closed.
    let last = events.last().ok_or("no events")?;
    assert_eq!(last.kind, DemoEventKind::BreakerClosed, "{events:?}");
    assert!(offset(last.at, t0) >= recover.start, "{events:?}");
    assert_eq!(demo.breaker_state(), BreakerState::Closed);
    // Fallbacks are fast: no downstream call, so well under its 20 ms.
    // Latency counts from the intended start, so a loaded machine's
    // schedule lag adds to every answer: allow the run's lag p99 on top
    // (a breaker that still called downstream queues behind its 200 calls/s
    // during a 400 rps burst and misses this by far more).
    let fallback = report.total.tags["x-path"]
        .get("fallback")
        .ok_or("no fallback answer")?;
    assert!(fallback.count > 100, "{fallback:?}");
    let allowed_us = 15_000 + report.generator.schedule_lag.p99_us;
    assert!(
        fallback.p95_us < allowed_us,
        "fallback p95 {}µs over {allowed_us}µs (15 ms + lag p99)",
        fallback.p95_us
    );
    expect(&report)
        .recovery()
        .within(secs(2))
        .phase("burst")
        .error_rate()
        .below(pct(10))
        .phase("recover")
        .error_rate()
        .below(pct(2))
        .verify();
    Ok(())
}

/// 4. A 10x burst held for 5 minutes: error rate under 2% in every window
///    of the burst. By default the shape runs at 1/60 of its length (a 5 s
///    burst); `SPIKE_TIME_SCALE=1` runs it full length (6.5 minutes).
#[spike_test(timeout = "8m")]
async fn ten_x_burst_held() -> TestResult {
    // 2 backends × 4 slots / 20 ms = 400 requests/s: the 10x burst (300/s)
    // fits, with a queue of 50 per backend for jitter.
    let demo = DemoService::builder()
        .backends(2)
        .capacity(4)
        .queue(50)
        .work(ms(20))
        .start()
        .await?;
    let http = Http::builder(demo.url()).build()?;
    let shape = Shape::builder()
        .hold(rps(30), secs(30))
        .named("baseline")
        .burst(rps(300), secs(300))
        .recover(rps(30), secs(60))
        .build()?;
    let full_length = std::env::var_os("SPIKE_TIME_SCALE").is_some();
    let mut scenario = Scenario::new("ten_x_burst_held")
        .shape(shape)
        .lag_budget(ms(100));
    scenario = if full_length {
        scenario.window(secs(1))
    } else {
        scenario.scale(1.0, 1.0 / 60.0).window(ms(250))
    };
    let report = scenario.run(http.get("/work")).await?;
    let burst = report.phase("burst").ok_or("no burst")?;
    assert!(burst.duration >= secs(5), "{report}");
    expect(&report)
        .phase("burst")
        .every_window()
        .error_rate()
        .below(pct(2))
        .run()
        .error_rate()
        .below(pct(2))
        .recovery()
        .within(secs(30))
        .verify();
    Ok(())
}

/// 5. The load balancer spreads the spike evenly over its 3 backends.
#[spike_test(timeout = "60s")]
async fn load_balancer_spread() -> TestResult {
    // 3 backends × 4 slots / 20 ms = 600 requests/s, round robin.
    let demo = DemoService::builder()
        .backends(3)
        .capacity(4)
        .work(ms(20))
        .start()
        .await?;
    let http = Http::builder(demo.url()).build()?;
    let work = http.get("/work").tag_from_header("x-backend");
    let shape = Shape::builder()
        .hold(rps(60), secs(1))
        .named("baseline")
        .burst(rps(300), secs(2))
        .recover(rps(60), secs(2))
        .build()?;
    let report = Scenario::new("load_balancer_spread")
        .shape(shape)
        .window(ms(250))
        .lag_budget(ms(100))
        .run(work)
        .await?;
    // Round robin: each backend gets a third, ±1 request: 33.3% ± 0.2 pts
    // over 900 requests. The band below leaves room for nothing else.
    expect(&report)
        .tag_share("x-backend")
        .each_between(pct(33), pct(34))
        .phase("burst")
        .tag_share("x-backend")
        .each_between(pct(33), pct(34))
        .error_rate()
        .below(pct(1))
        .verify();
    let served = demo.stats().served;
    assert_eq!(served.len(), 3);
    assert!(
        served.iter().max().unwrap() - served.iter().min().unwrap() <= 1,
        "{served:?}"
    );
    Ok(())
}

/// 6. A deliberately fragile service: its spike test fails, and this test
///    pins what the failure says.
#[spike_test(timeout = "60s")]
async fn fragile_service_fails_its_spike_test() -> TestResult {
    // 2 slots / 50 ms = 40 requests/s, 4 may wait: a 200/s burst sheds
    // about 80% of it.
    let demo = DemoService::builder()
        .capacity(2)
        .queue(4)
        .work(ms(50))
        .start()
        .await?;
    let http = Http::builder(demo.url()).build()?;
    let shape = Shape::builder()
        .hold(rps(20), secs(1))
        .named("baseline")
        .burst(rps(200), secs(1))
        .recover(rps(20), secs(2))
        .build()?;
    let report = Scenario::new("fragile_service")
        .shape(shape)
        .window(ms(250))
        .lag_budget(ms(100))
        .run(http.get("/work"))
        .await?;
    let failure = expect(&report)
        .error_rate()
        .below(pct(5))
        .phase("burst")
        .every_window()
        .error_rate()
        .below(pct(2))
        .run()
        .recovery()
        .within(secs(30))
        .try_verify()
        .expect_err("the fragile service must fail its spike test");
    let failed: Vec<&str> = failure.failed().map(|c| c.check.as_str()).collect();
    assert!(failed.contains(&"error rate"), "{failure}");
    // Burst: 200 arrivals, at most 40/s × 1 s + 2 running + 4 queued served.
    let burst = &report.phase("burst").ok_or("no burst")?.stats;
    assert!(burst.error_rate > 0.6, "{report}");
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"\d+(\.\d+)?(µs|ms|s)\b", "[time]");
    settings.add_filter(r"\d+(\.\d+)?%", "[pct]");
    settings.add_filter(r"\d+(\.\d+)?/s", "[rate]");
    settings.add_filter(r"(?m)^ *\d+ +\d+ ", "[counts] ");
    settings.add_filter(r"\d+", "[n]");
    settings.add_filter(r"report: \S+", "report: [path]");
    settings.add_filter(r" {2,}", "  ");
    settings.add_filter(r"(?m)[ \t]+$", "");
    settings.bind(|| insta::assert_snapshot!("fragile_service_failure", failure.message()));
    Ok(())
}

/// 7. Chaos during a burst: the downstream turns slow (2 s per call) for
///    2 s. Its 8 call slots fill with slow calls, further calls fail at
///    once, the breaker trips during the fault and closes after it, and
///    the service recovers measured from the fault's end.
#[spike_test(timeout = "60s")]
async fn slow_downstream_trips_the_breaker_and_recovers() -> TestResult {
    // Downstream: 10 ms per call, 8 at once (800 calls/s, 4x the burst).
    // Breaker: 5 failures within 1 s open it for 500 ms.
    let demo = DemoService::builder()
        .downstream_latency(ms(10))
        .downstream_capacity(8)
        .breaker(5, ms(500))
        .start()
        .await?;
    let http = Http::builder(demo.url()).build()?;
    let checkout = http.get("/checkout").tag_from_header("x-path");
    let shape = Shape::builder()
        .hold(rps(50), secs(2))
        .named("baseline")
        .burst(rps(200), secs(4))
        .recover(rps(50), secs(4))
        .build()?;
    let chaos = Chaos::new().fault(
        "slow-downstream",
        demo.slow_downstream(secs(2)),
        at(ms(2_500)),
        lasting(secs(2)),
    );
    let t0 = Instant::now();
    let report = Scenario::new("slow_downstream_trips_the_breaker_and_recovers")
        .shape(shape)
        .window(ms(250))
        .lag_budget(ms(100))
        // As in scenario 3: recovery judged on errors; a 1 s latency slack
        // keeps a loaded machine's stragglers out of it.
        .recovery_criteria(RecoveryCriteria {
            slack: secs(1),
            ..RecoveryCriteria::default()
        })
        .chaos(chaos)
        .run(checkout)
        .await?;
    let fault = report.fault("slow-downstream").ok_or("no fault span")?;
    let (start, end) = (
        fault.actual_start.ok_or("never started")?,
        fault.actual_end.ok_or("never ended")?,
    );
    // The edges are on the load's clock: within 1 ms of plan, plus what
    // a loaded machine's schedule lag shows it delays every wake-up by.
    let edge = fault.edge_error().ok_or("no edge error")?;
    let allowed = ms(1) + report.generator.schedule_lag.p99();
    assert!(
        edge <= allowed,
        "fault edges {edge:?} off plan, over {allowed:?}\n{report}"
    );
    // Nothing failed before the fault (2 calls in flight of 8 at 200 rps).
    let before: u64 = report
        .windows
        .iter()
        .filter(|w| w.end <= start)
        .map(|w| w.stats.errors)
        .sum();
    assert_eq!(before, 0, "{report}");
    // The breaker opened during the fault, not before.
    let events = demo.events();
    let opened = events
        .iter()
        .find(|e| e.kind == DemoEventKind::BreakerOpened)
        .ok_or_else(|| format!("the breaker never opened\n{report}"))?;
    let opened_at = offset(opened.at, t0);
    assert!(
        opened_at >= start && opened_at < end,
        "opened at {opened_at:?}, fault {start:?}..{end:?}"
    );
    // The last change is a close after the fault, and it stays closed.
    let last = events.last().ok_or("no events")?;
    assert_eq!(last.kind, DemoEventKind::BreakerClosed, "{events:?}");
    assert!(offset(last.at, t0) >= end, "{events:?}");
    assert_eq!(demo.breaker_state(), BreakerState::Closed);
    // By construction the slow calls started before the fault's end are
    // done 2 s after it; one cool-down (0.5 s) later the breaker's trial
    // closes it: recovered within 3 s of the fault's end.
    expect(&report)
        .recovery_from("slow-downstream")
        .within(secs(3))
        .verify();
    Ok(())
}

//! Engine behaviour that must hold whatever the target does: drops at the
//! in-flight cap, panics as errors, timeouts in the latency histogram, the
//! drain at the end, interruption, closed-model ramps, user metrics.

mod common;

use std::time::Duration;

use spike_core::{
    ms, rps, secs, users, Ctx, ErrorClass, IterError, Outcome, Report, Scenario, Shape,
};

fn run<W: spike_core::Workload>(scenario: Scenario, workload: W) -> Report {
    common::runtime(2)
        .block_on(scenario.run(workload))
        .expect("valid scenario")
}

fn hold(level: spike_core::Level, d: Duration) -> Shape {
    Shape::builder().hold(level, d).build().unwrap()
}

#[test]
fn iterations_over_the_in_flight_cap_are_dropped_and_counted_never_delayed() {
    let _guard = common::timing_lock();
    // 1,000 rps of 100 ms calls needs ~100 in flight; the cap is 10, so
    // about 100 starts/s fit and ~900/s are dropped.
    let report = run(
        Scenario::new("cap")
            .shape(hold(rps(1_000), secs(1)))
            .max_in_flight(10),
        |_ctx: Ctx| async { tokio::time::sleep(ms(100)).await },
    );
    let t = &report.total;
    assert_eq!(t.scheduled, 1_000);
    assert_eq!(t.started + t.dropped, 1_000);
    assert!((850..=920).contains(&t.dropped), "dropped {}", t.dropped);
    assert_eq!(report.generator.max_in_flight, 10);
    assert_eq!(report.generator.dropped, t.dropped);
    assert!(report.generator.saturated);
    assert!(!report.is_conclusive());
    // Those that started were not delayed: latency ≈ the 100 ms call.
    assert!(t.latency.p99() < ms(130), "p99 {:?}", t.latency.p99());
    assert!(report.to_string().contains("SATURATED"));
}

#[test]
fn a_panicking_workload_yields_panic_errors_and_a_complete_report() {
    let _guard = common::timing_lock();
    let report = run(
        Scenario::new("panics").shape(hold(rps(300), secs(1))),
        |ctx: Ctx| async move {
            assert!(
                !ctx.iteration().is_multiple_of(3),
                "boom at {}",
                ctx.iteration()
            );
        },
    );
    assert_eq!(report.total.completed, 300);
    assert_eq!(report.total.errors_of("panic"), 100);
    assert_eq!(report.total.errors, 100);
    assert!(report.total.error_samples["panic"].starts_with("boom at"));
    assert!((report.total.error_rate - 1.0 / 3.0).abs() < 1e-9);
    // Panics cost the generator nothing: no drops, nothing abandoned.
    assert_eq!(report.generator.dropped, 0);
    assert_eq!(report.generator.abandoned, 0);
    assert!(report.interrupted.is_none());
}

#[test]
fn timeouts_are_errors_whose_latency_is_recorded() {
    let _guard = common::timing_lock();
    let report = run(
        Scenario::new("timeouts")
            .shape(hold(rps(100), ms(500)))
            .iteration_timeout(ms(50)),
        |_ctx: Ctx| async { tokio::time::sleep(secs(5)).await },
    );
    assert_eq!(report.total.completed, 50);
    assert_eq!(report.total.errors_of("timeout"), 50);
    // A p99 that ignored timeouts would be empty; it is the timeout.
    let p50 = report.total.latency.p50();
    assert!(p50 >= ms(50) && p50 < ms(70), "p50 {p50:?}");
    assert_eq!(report.generator.drain_timeouts, 0);
}

#[test]
fn iterations_still_running_at_the_drain_deadline_are_recorded_as_timeouts() {
    let _guard = common::timing_lock();
    let started = std::time::Instant::now();
    let report = run(
        Scenario::new("drain")
            .shape(hold(rps(100), ms(300)))
            .drain_timeout(ms(200)),
        |ctx: Ctx| async move {
            // The first half finish, the second half hang.
            if ctx.iteration() >= 15 {
                tokio::time::sleep(secs(60)).await;
            }
        },
    );
    assert!(started.elapsed() < secs(3), "the drain bounded the run");
    assert_eq!(report.total.completed, 30, "nothing is lost");
    assert_eq!(report.total.errors_of("timeout"), 15);
    assert_eq!(report.generator.drain_timeouts, 15);
    assert!(report.total.latency.max() >= ms(300));
}

#[test]
fn an_interrupted_run_keeps_everything_that_started() {
    let _guard = common::timing_lock();
    let report = run(
        Scenario::new("interrupt")
            .shape(hold(rps(100), secs(10)))
            .max_wall_time(ms(500)),
        |ctx: Ctx| async move {
            if ctx.iteration() % 2 == 1 {
                tokio::time::sleep(secs(60)).await;
            }
        },
    );
    let why = report.interrupted.as_deref().expect("interrupted");
    assert!(why.contains("wall-clock limit"), "{why}");
    let t = &report.total;
    assert!((45..=55).contains(&t.started), "started {}", t.started);
    assert_eq!(
        t.completed, t.started,
        "every started iteration is recorded"
    );
    assert_eq!(t.errors_of("interrupted"), t.started / 2);
    assert!(!report.is_conclusive());
    assert!(report.elapsed < secs(3));
}

#[test]
fn an_interrupted_run_keeps_only_the_windows_it_reached() {
    let _guard = common::timing_lock();
    // Two hours planned in 10 ms windows (720,000 of them), stopped after
    // 300 ms: the report keeps the ~30 windows that ran, not the plan.
    let report = run(
        Scenario::new("interrupt-long-plan")
            .shape(hold(rps(100), secs(7_200)))
            .window(ms(10))
            .max_wall_time(ms(300)),
        |_ctx: Ctx| async {},
    );
    assert_only_the_reached_windows(&report);
    let counted: u64 = report.windows.iter().map(|w| w.stats.completed).sum();
    assert_eq!(counted, report.total.completed, "no iteration lost");
}

/// An interrupted run of 10 ms windows keeps the windows it ran through
/// (one more at most, the one it was in), not the whole plan.
#[track_caller]
fn assert_only_the_reached_windows(report: &Report) {
    assert!(report.interrupted.is_some());
    let reached = report.elapsed.as_millis().div_ceil(10) as usize;
    assert!(
        report.windows.len() <= reached + 1,
        "{} windows for {:?} of running",
        report.windows.len(),
        report.elapsed
    );
}

#[test]
fn an_interrupted_closed_model_run_keeps_only_the_windows_it_reached() {
    let _guard = common::timing_lock();
    let report = run(
        Scenario::new("interrupt-long-plan-closed")
            .shape(hold(users(2), secs(7_200)))
            .window(ms(10))
            .think_time(ms(5))
            .max_wall_time(ms(300)),
        |_ctx: Ctx| async {},
    );
    assert_only_the_reached_windows(&report);
}

#[test]
fn closed_model_follows_the_user_ramp() {
    let _guard = common::timing_lock();
    let shape = Shape::builder()
        .ramp(users(10), secs(1))
        .hold(users(10), secs(1))
        .build()
        .unwrap();
    let report = run(
        Scenario::new("closed").shape(shape),
        |ctx: Ctx| async move {
            assert!(ctx.user().is_some());
            tokio::time::sleep(ms(10)).await;
        },
    );
    assert_eq!(report.generator.max_in_flight, 10);
    let hold = &report.phase("hold").unwrap().stats;
    // 10 users × one call per ~10–11 ms.
    assert!(
        (800.0..=1_000.0).contains(&hold.achieved_rate),
        "hold rate {}",
        hold.achieved_rate
    );
    assert_eq!(hold.target, 10.0);
    // The ramp averages 5 users: about half the hold's iterations.
    let ramp = &report.phase("ramp").unwrap().stats;
    let ratio = ramp.completed as f64 / hold.completed as f64;
    assert!((0.4..=0.6).contains(&ratio), "ramp/hold {ratio}");
    assert_eq!(report.total.completed, report.total.scheduled);
    assert_eq!(
        report.total.schedule_lag.max_us, 0,
        "closed model starts when it starts"
    );
}

#[test]
fn counters_gauges_tags_and_error_classes_are_kept_per_phase() {
    let shape = Shape::builder()
        .hold(rps(200), ms(500))
        .burst(rps(400), ms(500))
        .build()
        .unwrap();
    let report = run(
        Scenario::new("metrics").shape(shape).window(ms(100)),
        |ctx: Ctx| async move {
            ctx.count("lookup", 1);
            let hit = !ctx.iteration().is_multiple_of(4);
            if hit {
                ctx.count("hit", 1);
            }
            ctx.gauge("iteration", ctx.iteration() as f64);
            // A recorded duration: 2 ms in the hold, 8 ms in the burst.
            let wait = if ctx.phase() == "hold" { ms(2) } else { ms(8) };
            ctx.record("pool_wait", wait);
            let backend = ["a", "b"][(ctx.iteration() % 2) as usize];
            if ctx.iteration().is_multiple_of(10) {
                Outcome::err(IterError::http(503)).tag("backend", backend)
            } else if ctx.iteration() % 25 == 1 {
                Outcome::err(IterError::new("cache_miss_storm"))
            } else {
                Outcome::ok().tag("backend", backend)
            }
        },
    );
    let hold = &report.phase("hold").unwrap().stats;
    let burst = &report.phase("burst").unwrap().stats;
    assert_eq!(hold.counter("lookup"), 100);
    assert_eq!(burst.counter("lookup"), 200);
    assert_eq!(report.total.ratio("hit", "lookup"), Some(0.75));
    assert_eq!(report.total.ratio("hit", "nothing"), None);
    assert_eq!(report.total.errors_of("http_5xx"), 30);
    assert_eq!(report.total.http_statuses[&503], 30);
    assert_eq!(report.total.errors_of("cache_miss_storm"), 12);
    assert_eq!(report.total.gauges["iteration"].max, 299.0);
    let wait = |stats: &spike_core::Stats| *stats.metric("pool_wait").expect("recorded");
    assert_eq!(wait(hold).count, 100);
    assert_eq!(wait(burst).count, 200);
    assert_eq!(wait(&report.total).count, 300);
    // 2 significant digits: 2 ms and 8 ms come back within 1%.
    assert!(
        (1_980..=2_020).contains(&wait(hold).max_us),
        "{:?}",
        wait(hold)
    );
    assert!(
        (7_920..=8_080).contains(&wait(burst).p50_us),
        "{:?}",
        wait(burst)
    );
    assert_eq!(wait(&report.windows[9].stats).count, 40);
    assert!(report.total.metric("nothing").is_none());
    assert_eq!(report.total.gauges["iteration"].min, 0.0);
    let shares = report.total.tag_shares("backend");
    assert_eq!(shares.len(), 2);
    assert!((shares["a"] - 0.5).abs() < 0.01, "{shares:?}");
    assert_eq!(report.total.tags["backend"]["a"].errors, 30);
    // Windows: 10 of 100 ms, each with its own counters.
    assert_eq!(report.windows.len(), 10);
    assert_eq!(report.windows[0].stats.counter("lookup"), 20);
    assert_eq!(report.windows[9].stats.counter("lookup"), 40);
    assert_eq!(report.windows[9].phase, "burst");
    assert_eq!(IterError::http(404).class(), &ErrorClass::Http(404));
}

#[test]
fn report_round_trips_through_json_and_is_written_atomically() {
    let report = run(
        Scenario::new("json").shape(hold(rps(100), ms(200))),
        |_ctx: Ctx| async {},
    );
    let dir = std::env::temp_dir().join(format!("spike-report-{}", std::process::id()));
    let path = report.write_to(&dir).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let back: Report = serde_json::from_str(&text).unwrap();
    // Durations are stored in whole microseconds: compare the JSON forms.
    assert_eq!(back.to_json(), text);
    assert_eq!(back.total, report.total);
    assert_eq!(back.windows, report.windows);
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, vec![std::ffi::OsString::from("report.json")]);
    std::fs::remove_dir_all(dir).unwrap();
}

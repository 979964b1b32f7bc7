//! The open model's pacer thread: exact counts at high rates, a stop that
//! wakes it, a thread that lives only as long as its run, its CPU share in
//! the report, and a closed model that has no pacer at all.
//!
//! Counts are checked against integrals the test works out by hand; the
//! thread's presence is read from the OS (`/proc/self/task/*/comm`, Linux).
//! Timing checks have margins a loaded 2-core debug build meets: the tight
//! lag figures are measured by `benches/scheduler.rs`, not asserted here.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use spike_core::{ms, rps, secs, users, Ctx, Report, Scenario, Shape};

/// How many threads of this process are named `spike-pacer` (Linux only).
fn pacer_threads() -> Option<usize> {
    if !cfg!(target_os = "linux") {
        return None;
    }
    let tasks = std::fs::read_dir("/proc/self/task").ok()?;
    Some(
        tasks
            .filter_map(Result::ok)
            .filter(|t| {
                std::fs::read_to_string(t.path().join("comm"))
                    .is_ok_and(|name| name.trim_end() == "spike-pacer")
            })
            .count(),
    )
}

/// Wait up to 2 s for the pacer threads to be gone; their count then.
fn pacer_threads_after_run() -> Option<usize> {
    let until = Instant::now() + Duration::from_secs(2);
    loop {
        let n = pacer_threads()?;
        if n == 0 || Instant::now() > until {
            return Some(n);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn run_noop(scenario: Scenario) -> Report {
    common::runtime(2)
        .block_on(scenario.run(|_ctx: Ctx| async {}))
        .expect("a valid scenario")
}

/// The rate the test's shape plans, written by hand: 1,234 rps for 0.5 s,
/// a burst to 20,000 rps for 0.5 s, a ramp down to 5,000 rps over 0.5 s.
fn planned_rate(t: f64) -> f64 {
    if t < 0.5 {
        1_234.0
    } else if t < 1.0 {
        20_000.0
    } else {
        20_000.0 - 15_000.0 * (t - 1.0) / 0.5
    }
}

/// ∫ₐᵇ of a piecewise-linear rate whose pieces end on 0.5 s marks: the
/// trapezoid rule is exact on each linear piece.
fn planned_between(a: f64, b: f64) -> f64 {
    let marks = [0.5, 1.0];
    let mut edges = vec![a];
    edges.extend(marks.iter().copied().filter(|&m| a < m && m < b));
    edges.push(b);
    edges
        .windows(2)
        .map(|e| {
            let (x, y) = (e[0], e[1]);
            // Evaluate just inside the piece, so a step counts on its side.
            let (rx, ry) = (planned_rate(x), planned_rate(y - 1e-12));
            (rx + ry) / 2.0 * (y - x)
        })
        .sum()
}

#[test]
fn every_window_starts_the_integral_within_one_up_to_20k_rps() {
    let _lock = common::timing_lock();
    let shape = Shape::builder()
        .hold(rps(1_234), ms(500))
        .burst(rps(20_000), ms(500))
        .ramp(rps(5_000), ms(500))
        .build()
        .unwrap();
    let report = run_noop(
        Scenario::new("pacing-counts")
            .shape(shape)
            .window(ms(100))
            .max_in_flight(1_000_000),
    );
    // 617 + 10,000 + 6,250 planned.
    assert_eq!(report.total.scheduled, 16_867);
    assert_eq!(report.total.completed, 16_867);
    assert_eq!(report.total.dropped, 0);
    assert_eq!(report.windows.len(), 15);
    for w in &report.windows {
        let (a, b) = (w.start.as_secs_f64(), w.end.as_secs_f64());
        let planned = planned_between(a, b);
        let due = w.stats.scheduled as f64;
        assert!(
            (due - planned).abs() <= 1.0,
            "window {} [{a:.1} s, {b:.1} s): {due} due, the integral is {planned:.1}",
            w.index
        );
        assert_eq!(w.stats.started, w.stats.scheduled, "window {}", w.index);
    }
}

#[test]
fn a_stop_wakes_the_pacer_long_before_its_next_start() {
    let _lock = common::timing_lock();
    // One iteration at 0 s, the next at 5 s: a pacer that noticed the stop
    // only when it next woke would hold the run past 5 s.
    let shape = Shape::builder().hold(rps(0.2), secs(60)).build().unwrap();
    let started = Instant::now();
    let report = run_noop(
        Scenario::new("pacing-stop")
            .shape(shape)
            .window(secs(1))
            .max_wall_time(ms(200)),
    );
    let took = started.elapsed();
    assert!(report.interrupted.is_some(), "{report}");
    assert_eq!(report.total.completed, 1);
    assert!(
        took < Duration::from_secs(2),
        "a run stopped at 200 ms returned after {took:?}"
    );
    assert_eq!(pacer_threads_after_run().unwrap_or(0), 0);
}

#[test]
fn dropping_the_run_stops_its_pacer_thread() {
    let _lock = common::timing_lock();
    let Some(before) = pacer_threads() else {
        return; // No /proc to read the thread names from.
    };
    assert_eq!(before, 0);
    let shape = Shape::builder().hold(rps(0.2), secs(60)).build().unwrap();
    let rt = common::runtime(2);
    let during = rt.block_on(async {
        let mut run = Box::pin(
            Scenario::new("pacing-drop")
                .shape(shape)
                .window(secs(1))
                .run(|_ctx: Ctx| async {}),
        );
        // Its first sleep is 5 s long: look at 200 ms, then drop the run.
        assert!(tokio::time::timeout(ms(200), &mut run).await.is_err());
        let during = pacer_threads();
        drop(run);
        during
    });
    // Gone without waiting for its next start or for the runtime to end.
    let after = pacer_threads_after_run();
    drop(rt);
    assert_eq!(during, Some(1), "pacer threads during the run");
    assert_eq!(after, Some(0), "the pacer thread outlived its dropped run");
}

#[test]
fn the_pacer_thread_lives_for_its_run_and_reports_its_cpu() {
    let _lock = common::timing_lock();
    let during = Arc::new(AtomicUsize::new(usize::MAX));
    let seen = during.clone();
    let shape = Shape::builder().hold(rps(1_000), ms(500)).build().unwrap();
    let report = common::runtime(2)
        .block_on(
            Scenario::new("pacing-thread")
                .shape(shape)
                .window(ms(100))
                .run(move |ctx: Ctx| {
                    if ctx.iteration() == 100 {
                        seen.store(pacer_threads().unwrap_or(usize::MAX), Ordering::Relaxed);
                    }
                    async {}
                }),
        )
        .expect("a valid scenario");
    assert_eq!(report.total.completed, 500);
    let during = during.load(Ordering::Relaxed);
    if during != usize::MAX {
        assert_eq!(during, 1, "pacer threads during the run");
        assert_eq!(pacer_threads_after_run(), Some(0));
    }
    let cpu = report.generator.pacer_cpu;
    // A thread that woke 1,000 times did measurable work, and far less
    // than a core (the bench measures the real figure).
    if cfg!(any(target_os = "linux", target_os = "macos")) {
        assert!(cpu > 0.0 && cpu < 1.0, "pacer CPU {cpu}");
        assert!(report.to_string().contains("pacer CPU "), "{report}");
    }
    // Kept in the report's JSON, and a report written before the field
    // existed still reads.
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["generator"]["pacer_cpu"].as_f64(), Some(cpu));
    let mut old = json;
    old["generator"]
        .as_object_mut()
        .unwrap()
        .remove("pacer_cpu");
    let read: Report = serde_json::from_value(old).unwrap();
    assert_eq!(read.generator.pacer_cpu, 0.0);
}

#[test]
fn iterations_start_close_to_their_instant_at_200_rps() {
    let _lock = common::timing_lock();
    let shape = Shape::builder().hold(rps(200), secs(2)).build().unwrap();
    let report = run_noop(Scenario::new("pacing-lag").shape(shape).window(ms(500)));
    assert_eq!(report.total.completed, 400);
    let lag = &report.generator.schedule_lag;
    // tokio's timer rounds every sleep up to the next millisecond, so an
    // iteration paced on it starts on average ~0.5–1 ms late; the pacer
    // thread's OS timer starts it within tens of microseconds (about
    // 250 µs in a debug build on a 2-core machine at load 10). 700 µs
    // leaves room for that and still fails a 1 ms timer.
    assert!(
        lag.p50_us < 700,
        "schedule lag p50 {} µs\n{report}",
        lag.p50_us
    );
}

#[test]
fn the_closed_model_runs_without_a_pacer() {
    let _lock = common::timing_lock();
    let during = Arc::new(AtomicUsize::new(usize::MAX));
    let seen = during.clone();
    let shape = Shape::builder().hold(users(4), ms(300)).build().unwrap();
    let report = common::runtime(2)
        .block_on(
            Scenario::new("pacing-closed")
                .shape(shape)
                .window(ms(100))
                .think_time(ms(10))
                .run(move |ctx: Ctx| {
                    if ctx.iteration() == 10 {
                        seen.store(pacer_threads().unwrap_or(usize::MAX), Ordering::Relaxed);
                    }
                    async {}
                }),
        )
        .expect("a valid scenario");
    assert!(report.total.completed > 10, "{report}");
    let during = during.load(Ordering::Relaxed);
    assert!(
        during == 0 || during == usize::MAX,
        "{during} pacer threads"
    );
    assert_eq!(report.generator.pacer_cpu, 0.0);
    assert!(!report.to_string().contains("pacer CPU"), "{report}");
}

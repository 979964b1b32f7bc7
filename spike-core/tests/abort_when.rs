//! `Scenario::abort_when`: a run stops once a window check failed for K
//! windows in a row, and still returns a complete report saying why.
//!
//! The services here break at a known instant on the schedule's clock:
//! every iteration due at or after `BREAK` is slow (or fails), every one
//! before it is instant. So the first failing window is known by
//! arithmetic (`BREAK / window`), and so is the one whose close fires the
//! rule (K − 1 windows later).

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use spike_core::abort::{Abort, WindowCheck, WindowMetric};
use spike_core::soak::Resources;
use spike_core::{ms, pct, rps, Ctx, IterError, Scenario, Shape, SpikeError};

const BREAK: Duration = Duration::from_millis(1_000);
const WINDOW: Duration = Duration::from_millis(100);
const SLOW: Duration = Duration::from_millis(80);
const PLANNED: Duration = Duration::from_millis(5_000);

fn shape() -> Shape {
    Shape::builder().hold(rps(100), PLANNED).build().unwrap()
}

/// Slow (80 ms) from `BREAK` on.
async fn slows_down(ctx: Ctx) {
    if ctx.intended_start() >= BREAK {
        tokio::time::sleep(SLOW).await;
    }
}

/// Fails from `BREAK` on.
async fn breaks(ctx: Ctx) -> Result<(), IterError> {
    if ctx.intended_start() >= BREAK {
        Err(IterError::new("broken"))
    } else {
        Ok(())
    }
}

#[test]
fn a_service_that_slows_down_is_stopped_within_k_windows_with_a_complete_report() {
    let _lock = common::timing_lock();
    let k = 3u32;
    let report = common::until_conclusive(|| {
        let report = common::runtime(2)
            .block_on(
                Scenario::new("abort-latency")
                    .shape(shape())
                    .window(WINDOW)
                    .abort_when(Abort::when(WindowCheck::p95_above(ms(50))).for_windows(k))
                    .run(slows_down),
            )
            .unwrap();
        // The stop instant below is only meaningful when the generator kept
        // its schedule (an iteration started late closes its window late).
        let lag = Duration::from_micros(report.generator.schedule_lag.max_us);
        common::kept_up("schedule lag max", lag, ms(50), &report).map(|()| report)
    });
    let aborted = report.aborted.as_ref().expect("the rule fired");
    let first = (BREAK.as_millis() / WINDOW.as_millis()) as u64;
    assert_eq!(aborted.first_window, first, "{report}");
    assert_eq!(aborted.window, first + u64::from(k) - 1, "{report}");
    assert_eq!(aborted.broke_at, BREAK);
    assert_eq!(aborted.metric, WindowMetric::P95);
    assert_eq!(aborted.rule, "latency p95 > 50.0ms for 3 windows in a row");
    // Window `first + k − 1` ends K windows after the break; its last
    // iterations finish SLOW later; the loop sees the close within one
    // tick (window / 2), and iterations start at most `lag max` late.
    let lag = Duration::from_micros(report.generator.schedule_lag.max_us);
    let latest = BREAK + WINDOW * k + SLOW + WINDOW / 2 + lag + ms(20);
    let earliest = BREAK + WINDOW * k + SLOW;
    assert!(
        aborted.at >= earliest && aborted.at <= latest,
        "stopped at {:?}, expected within [{earliest:?}, {latest:?}]\n{report}",
        aborted.at
    );
    // Stopped: far less than the planned 5 s ran (the abort, 1 s of grace
    // at most for the 80 ms iterations in flight).
    assert!(report.elapsed < aborted.at + ms(1_200), "{report}");
    // Complete: every window from the start to the abort, contiguous; the
    // phase and the run count every iteration that started.
    let indices: Vec<u64> = report.windows.iter().map(|w| w.index).collect();
    let expected: Vec<u64> = (0..indices.len() as u64).collect();
    assert_eq!(indices, expected);
    assert!(indices.len() as u64 > aborted.window, "{report}");
    let phase = &report.phases[0].stats;
    assert_eq!(phase.completed, report.total.completed);
    assert_eq!(
        report.total.scheduled,
        report.total.completed + report.total.dropped
    );
    assert!(
        report.total.completed as f64 >= 100.0 * (BREAK + WINDOW * k).as_secs_f64(),
        "{report}"
    );
    // A verdict about the service, not an interrupted run.
    assert!(report.interrupted.is_none());
    assert!(report.is_conclusive(), "{report}");
    assert!(report.inconclusive_reasons().is_empty());
    // Said in the summary, the JSON and the page.
    let summary = report.to_string();
    assert!(
        summary.contains("ABORTED by rule latency p95 > 50.0ms"),
        "{summary}"
    );
    let back: spike_core::Report = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(back.aborted, report.aborted);
    let html = spike_core::artifacts::report_html(&report);
    assert!(html.contains("id=\"aborted\""));
}

#[test]
fn a_service_that_fails_is_stopped_by_the_error_rule_of_two() {
    let _lock = common::timing_lock();
    let report = common::runtime(2)
        .block_on(
            Scenario::new("abort-errors")
                .shape(shape())
                .window(WINDOW)
                .abort_when(Abort::when(WindowCheck::p95_above(ms(500))).for_windows(1))
                .abort_when(Abort::when(WindowCheck::error_rate_above(pct(50))).for_windows(2))
                .run(breaks),
        )
        .unwrap();
    let aborted = report.aborted.as_ref().expect("the error rule fired");
    assert_eq!(aborted.metric, WindowMetric::ErrorRate);
    assert_eq!((aborted.first_window, aborted.window), (10, 11), "{report}");
    assert_eq!(aborted.actual, "100.00%");
    assert!(report.elapsed < ms(3_000), "{report}");
    // The windows before the break are clean; the ones from it all failed.
    for w in &report.windows {
        let expected = if w.start >= BREAK { 1.0 } else { 0.0 };
        if w.stats.completed > 0 && w.index <= aborted.window {
            assert_eq!(w.stats.error_rate, expected, "window {}", w.index);
        }
    }
}

/// A run that samples resources ends when its rule fires, not at its
/// planned end: the sampler stops with the run. Planned 5 s; the error
/// rule fires at the close of window 11 (1.2 s), and failing iterations
/// end at once, so no grace is spent; 3.5 s leaves the machine 2.3 s.
#[test]
fn an_aborted_run_that_samples_resources_ends_at_the_abort() {
    let _lock = common::timing_lock();
    let started = std::time::Instant::now();
    let report = common::runtime(2)
        .block_on(
            Scenario::new("abort-sampled")
                .shape(shape())
                .window(WINDOW)
                .sample_resources(Resources::this_process())
                .abort_when(Abort::when(WindowCheck::error_rate_above(pct(50))).for_windows(2))
                .run(breaks),
        )
        .unwrap();
    let wall = started.elapsed();
    let aborted = report.aborted.as_ref().expect("the error rule fired");
    assert!(
        wall < ms(3_500),
        "the run took {wall:?} of its planned {PLANNED:?}\n{report}"
    );
    // Every window up to the abort was sampled at its end.
    let sampled = report
        .windows
        .iter()
        .filter(|w| w.index < aborted.window && !w.resources.is_empty())
        .count() as u64;
    assert_eq!(sampled, aborted.window, "{report}");
}

#[test]
fn a_healthy_run_is_not_aborted() {
    let _lock = common::timing_lock();
    let report = common::runtime(2)
        .block_on(
            Scenario::new("abort-healthy")
                .shape(Shape::builder().hold(rps(100), ms(1_000)).build().unwrap())
                .window(WINDOW)
                .abort_when(Abort::when(WindowCheck::p95_above(ms(500))))
                .abort_when(Abort::when(WindowCheck::error_rate_above(pct(1))).for_windows(1))
                .abort_when(Abort::when(WindowCheck::dropped_above(0)).for_windows(1))
                .run(|_ctx: Ctx| async {}),
        )
        .unwrap();
    assert_eq!(report.aborted, None, "{report}");
    assert_eq!(report.total.completed, 100);
    assert!(!report.to_string().contains("ABORTED"));
    assert!(!report.to_json().contains("\"aborted\""));
}

#[test]
fn bad_rules_are_typed_errors_before_traffic() {
    let rt = common::runtime(1);
    let calls = Arc::new(AtomicU64::new(0));
    let rules = [
        Abort::when(WindowCheck::p95_above(ms(10))).for_windows(0),
        Abort::when(WindowCheck::error_rate_above(pct(f64::NAN))),
        Abort::when(WindowCheck::error_rate_above(pct(-5))),
        Abort::when(WindowCheck::error_rate_above(pct(100))),
    ];
    for rule in rules {
        let c = calls.clone();
        let err = rt
            .block_on(
                Scenario::new("bad-abort")
                    .shape(shape())
                    .abort_when(rule)
                    .run(move |_ctx: Ctx| {
                        c.fetch_add(1, Ordering::Relaxed);
                        async {}
                    }),
            )
            .expect_err("refused");
        assert!(
            matches!(&err, SpikeError::BadAbort { scenario, .. } if scenario == "bad-abort"),
            "{err}"
        );
        assert!(err.to_string().contains("abort rule"), "{err}");
    }
    assert_eq!(calls.load(Ordering::Relaxed), 0);
}

//! Offered vs served throughput per window, against a target whose capacity
//! is known by construction.
//!
//! `FifoServer` completes exactly C = 200 requests per second while it has
//! a backlog (a request finishes 1/C after the previous one). Shape: hold
//! 100 rps for 2 s, burst 400 rps for 2 s, recover 100 rps for 5 s, windows
//! of 500 ms. By construction:
//! * offered (iterations started per window, by intended start) is the
//!   integral of the rate: 50 per hold/recover window, 200 per burst window;
//! * served (completions per window, by completion instant) is C × 0.5 s =
//!   100 in every burst window, and stays 100 after the burst while the
//!   backlog of (400 − 200) × 2 s = 400 requests drains at 200 − 100 = 100/s,
//!   i.e. for 4 s; then 50 per window again.
//!
//! Counting completions by intended start instead would give 200 per burst
//! window and 50 per drain window. The tolerance is computed from how late
//! the timer actually woke the completions in this run (the workload
//! measures it): a completion late by δ can move to the next window, so a
//! window's count is off by at most C × max δ (+1 for rounding).

mod common;

use std::sync::Arc;
use std::time::Duration;

use spike_core::targets::FifoServer;
use spike_core::{ms, rps, secs, Ctx, Report, Scenario, Shape};
use tokio::time::Instant;

const C: f64 = 200.0;
const WINDOW: Duration = Duration::from_millis(500);
/// Above this measured lateness the machine is too loaded for the test to
/// tell a right count from a wrong one: C × 100 ms = 20 of 100 per window.
const MAX_JITTER: Duration = Duration::from_millis(100);

fn run() -> Report {
    let server = Arc::new(FifoServer::new(C));
    let shape = Shape::builder()
        .hold(rps(0.5 * C), secs(2))
        .burst(rps(2.0 * C), secs(2))
        .recover(rps(0.5 * C), secs(5))
        .build()
        .unwrap();
    common::runtime(2)
        .block_on(
            Scenario::new("served")
                .shape(shape)
                .window(WINDOW)
                .run(move |ctx: Ctx| {
                    let server = server.clone();
                    async move {
                        let arrival = Instant::now();
                        let waited = server.serve().await;
                        // The server's planned completion instant; how late
                        // the timer woke us after it.
                        let planned = arrival + waited + server.service_time();
                        ctx.record("late", Instant::now().saturating_duration_since(planned));
                    }
                }),
        )
        .unwrap()
}

/// Completions per window the FIFO server makes by construction, for the
/// window starting at `start_s` seconds.
fn expected_served(start_s: f64) -> f64 {
    let len = WINDOW.as_secs_f64();
    if (2.0..8.0).contains(&start_s) {
        // Busy from the burst start until the backlog drained at 8 s.
        C * len
    } else {
        0.5 * C * len
    }
}

fn expected_offered(start_s: f64) -> f64 {
    let len = WINDOW.as_secs_f64();
    if (2.0..4.0).contains(&start_s) {
        2.0 * C * len
    } else {
        0.5 * C * len
    }
}

#[test]
fn served_counts_completions_by_completion_time_offered_by_intended_start() {
    let _guard = common::timing_lock();
    // A run the loaded machine could not keep (the generator saturated, or
    // completions recorded late) is repeated, and at last inconclusive.
    let (report, late) = common::until_conclusive(|| {
        let report = run();
        if !report.is_conclusive() {
            return Err(format!(
                "INCONCLUSIVE: the generator saturated on a loaded machine; rerun\n{report}"
            ));
        }
        // A completion recorded up to `late` after its planned instant may
        // move to the next window: at C per second, at most C × late per
        // boundary.
        let late = Duration::from_micros(report.total.metric("late").expect("recorded").max_us);
        if late > MAX_JITTER {
            return Err(format!(
                "INCONCLUSIVE: completions were up to {late:?} late (loaded machine); rerun"
            ));
        }
        Ok((report, late))
    });
    assert_eq!(report.windows.len(), 18);
    let tol = (C * late.as_secs_f64()).ceil() + 1.0;
    eprintln!("max lateness {late:?}: tolerance ±{tol} per window");
    let mut wrong = Vec::new();
    for w in &report.windows {
        let start = w.start.as_secs_f64();
        let offered = w.stats.started as f64;
        let served = w.served as f64;
        if (offered - expected_offered(start)).abs() > 1.0 {
            wrong.push(format!(
                "window {start}s offered {offered}, expected {} ± 1",
                expected_offered(start)
            ));
        }
        // The window where the backlog runs out (7.5–8 s) and the one after
        // it take the boundary's jitter on both sides; every window gets
        // the same bound.
        if (served - expected_served(start)).abs() > tol {
            wrong.push(format!(
                "window {start}s served {served}, expected {} ± {tol}",
                expected_served(start)
            ));
        }
        // The rates are the counts over the window length.
        let len = w.span().as_secs_f64();
        assert!((w.served_rate() - served / len).abs() < 1e-9);
        assert!((w.offered_rate() - offered / len).abs() < 1e-9);
    }
    assert!(wrong.is_empty(), "{}\n{report}", wrong.join("\n"));

    // Every completion is in some window or after the planned end; after
    // the end come only the last arrivals' completions (5 ms of service).
    let served: u64 = report.windows.iter().map(|w| w.served).sum();
    assert!(served <= report.total.completed);
    assert!(
        report.total.completed - served <= tol as u64,
        "{} completions after the end",
        report.total.completed - served
    );

    // Per phase, as the summary table shows it.
    let burst = report.phase("burst").unwrap();
    let served_burst = report
        .served_rate_between(burst.start, burst.start + burst.duration)
        .unwrap();
    assert!(
        (served_burst - C).abs() <= tol / WINDOW.as_secs_f64(),
        "burst served {served_burst}/s, capacity {C}/s"
    );
    assert!((burst.stats.achieved_rate - 2.0 * C).abs() <= 1.0);
    let summary = report.to_string();
    assert!(summary.contains("offered"), "{summary}");
    assert!(summary.contains("served"), "{summary}");
}

#[test]
fn served_is_in_report_json_and_timeline_csv() {
    let _guard = common::timing_lock();
    let shape = Shape::builder().hold(rps(200), ms(600)).build().unwrap();
    let report = common::runtime(2)
        .block_on(
            Scenario::new("served-json")
                .shape(shape)
                .window(ms(200))
                .run(|_ctx: Ctx| async {}),
        )
        .unwrap();
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    let windows = json["windows"].as_array().unwrap();
    assert_eq!(windows.len(), 3);
    for (w, j) in report.windows.iter().zip(windows) {
        assert_eq!(j["served"].as_u64(), Some(w.served));
    }
    let csv = spike_core::artifacts::timeline_csv(&report);
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (served, rate) = (col("served"), col("served_rate"));
    for (w, line) in report.windows.iter().zip(lines) {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(cells[served], w.served.to_string());
        let r: f64 = cells[rate].parse().unwrap();
        assert!((r - w.served as f64 / 0.2).abs() < 1e-3, "{line}");
    }
    // An instant workload completes in the window it was due in (up to the
    // boundary): the three windows together served every iteration.
    let total: u64 = report.windows.iter().map(|w| w.served).sum();
    assert!(report.total.completed - total <= 2, "{report}");
}

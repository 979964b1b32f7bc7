//! Recovery time end to end against a target whose recovery is known by
//! construction (DESIGN §5).
//!
//! `FifoServer` serves C requests/s from a FIFO queue. Baseline 0.5·C,
//! burst 2·C for D seconds, recover at 0.5·C: during the burst the backlog
//! grows by (2C − C)·D = C·D requests, i.e. D seconds of waiting; during
//! recovery it drains at C − 0.5C = 0.5C per second, so the queue is empty
//! (2C − C)·D / (C − 0.5C) = 2D seconds after the spike ends.

mod common;

use std::sync::Arc;
use std::time::Duration;

use spike_core::targets::FifoServer;
use spike_core::{rps, secs, Ctx, Report, Scenario, Shape};

const C: f64 = 400.0;
const D: u64 = 2;
const WINDOW: Duration = Duration::from_millis(250);

fn run(recover_for: Duration) -> Report {
    let server = Arc::new(FifoServer::new(C));
    let shape = Shape::builder()
        .hold(rps(0.5 * C), secs(3))
        .burst(rps(2.0 * C), secs(D))
        .recover(rps(0.5 * C), recover_for)
        .build()
        .unwrap();
    common::runtime(2)
        .block_on(
            Scenario::new("fifo")
                .shape(shape)
                .window(WINDOW)
                .run(move |_ctx: Ctx| {
                    let server = server.clone();
                    async move {
                        server.serve().await;
                    }
                }),
        )
        .unwrap()
}

#[test]
fn recovery_time_matches_the_analytic_drain_time_within_one_window() {
    let _guard = common::timing_lock();
    // Healthy means within 10 ms (the default slack) of the baseline p95:
    // a generator lagging more than that makes healthy windows noise, so
    // such a run is repeated (and at last inconclusive).
    let report = common::until_conclusive(|| {
        let report = run(secs(8));
        common::kept_up(
            "schedule lag p99",
            report.generator.schedule_lag.p99(),
            spike_core::ms(10),
            &report,
        )?;
        Ok(report)
    });
    let analytic = Duration::from_secs(2 * D);
    let rec = report
        .recovery
        .as_ref()
        .expect("shape has burst and recover");
    assert_eq!(rec.reference_phase, "hold");
    assert_eq!(rec.spike_end, secs(5));
    let measured = rec.recovery_time.expect("recovers within 8 s");
    common::assert_close(
        "recovery time (s)",
        measured.as_secs_f64(),
        analytic.as_secs_f64(),
        WINDOW.as_secs_f64(),
    );
    // The peak wait is the backlog at the end of the burst: D seconds.
    common::assert_close(
        "max latency (s)",
        report.total.latency.max().as_secs_f64(),
        D as f64,
        0.1 * D as f64,
    );
    // Baseline: no queue, latency ≈ service time 1/C = 2.5 ms.
    assert!(
        rec.reference_p95_us < 10_000,
        "baseline p95 {}µs",
        rec.reference_p95_us
    );
    // Every window from the recovery point on is healthy, and the one just
    // before it is not.
    let before = report
        .windows
        .iter()
        .find(|w| w.end == rec.spike_end + measured)
        .expect("window before recovery");
    assert!(!rec.is_healthy(before));
    assert!(report
        .windows
        .iter()
        .filter(|w| w.start >= rec.spike_end + measured && w.end <= rec.recover_end)
        .all(|w| rec.is_healthy(w)));
    eprintln!("{report}");
}

#[test]
fn a_recover_phase_shorter_than_the_drain_reports_none() {
    let _guard = common::timing_lock();
    // The queue needs 4 s to drain; 3 s of recovery is not enough.
    let report = run(secs(3));
    let rec = report.recovery.as_ref().unwrap();
    assert_eq!(rec.recovery_time, None);
    assert!(!rec.unhealthy_windows.is_empty());
    assert!(report
        .to_string()
        .contains("did not recover within the 3.0s recover phase"));
    // Sanity: with enough time the same target recovers; `None` is a
    // result, not a crash, and the report is complete.
    assert_eq!(report.total.completed, report.total.scheduled);
}

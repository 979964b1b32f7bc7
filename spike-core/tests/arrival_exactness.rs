//! The open-model scheduler does not drift: over every full 1 s window the
//! number of starts equals the integral of the rate, ±1 (DESIGN §3).
//!
//! A no-op workload records, for every iteration, the intended start the
//! engine gave it and the instant it actually started, measured by the test
//! itself. Counting by intended start checks the schedule (exactly ±1);
//! counting by actual start checks that the pacer really started them on
//! time (±1 plus what the run's lag budget, 10 ms, can move across a
//! window boundary).

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use spike_core::{ms, rps, secs, Ctx, Report, Scenario, Shape};

/// The schedule lag p99 a run must keep for its real starts to be judged,
/// and the slack those starts get at a window's edge.
const LAG_BUDGET: Duration = Duration::from_millis(10);

struct Starts {
    intended: Vec<f64>,
    actual: Vec<f64>,
}

fn run_recording(shape: &Shape) -> (Report, Starts) {
    let rt = common::runtime(2);
    let starts = Arc::new(Mutex::new(Starts {
        intended: Vec::new(),
        actual: Vec::new(),
    }));
    let sink = starts.clone();
    let report = rt
        .block_on(
            Scenario::new("arrivals")
                .shape(shape.clone())
                .run(move |ctx: Ctx| {
                    let actual = ctx.elapsed().as_secs_f64();
                    let mut s = sink.lock().unwrap();
                    s.intended.push(ctx.intended_start().as_secs_f64());
                    s.actual.push(actual);
                    async {}
                }),
        )
        .expect("valid scenario");
    drop(rt);
    let starts = Arc::try_unwrap(starts).ok().unwrap().into_inner().unwrap();
    (report, starts)
}

fn buckets(times: &[f64], len: f64, n: usize) -> Vec<u64> {
    let mut counts = vec![0u64; n];
    for &t in times {
        let i = ((t / len).floor() as usize).min(n - 1);
        counts[i] += 1;
    }
    counts
}

/// The test's own truth: the rate r(t) written by hand, integrated
/// numerically (independent of the engine's closed form).
struct Truth {
    rate: fn(f64) -> f64,
    duration: f64,
}

impl Truth {
    fn integral(&self, a: f64, b: f64) -> f64 {
        let steps = 20_000;
        let h = (b - a) / f64::from(steps);
        (0..steps)
            .map(|i| (self.rate)(a + (f64::from(i) + 0.5) * h) * h)
            .sum()
    }
}

/// Check every window: full windows ±1 (intended) or ±(1 + rate × slack)
/// (actual), the partial last window ±1% as well.
fn check_windows(label: &str, truth: &Truth, counts: &[u64], slack_secs: f64) {
    for (i, &count) in counts.iter().enumerate() {
        let a = i as f64;
        let b = (a + 1.0).min(truth.duration);
        let expected = truth.integral(a, b);
        let edge_rate = (truth.rate)(a).max((truth.rate)(b - 1e-9));
        let mut tol = 1.0 + slack_secs * edge_rate;
        if b - a < 1.0 {
            tol = tol.max(expected * 0.01);
        }
        common::assert_close(&format!("{label}, window {i}"), count as f64, expected, tol);
    }
}

fn check_shape(shape: &Shape, truth: &Truth) {
    let _guard = common::timing_lock();
    assert_eq!(shape.duration().as_secs_f64(), truth.duration);
    let planned = truth.integral(0.0, truth.duration).round() as u64;
    // Real starts need a generator that kept time: on a machine too busy
    // for it, the run is repeated (and at last inconclusive; the schedule
    // itself, checked below, holds whatever the load).
    let (report, starts) = common::until_conclusive(|| {
        let (report, starts) = run_recording(shape);
        common::kept_up(
            "schedule lag p99",
            report.generator.schedule_lag.p99(),
            LAG_BUDGET,
            &report,
        )?;
        Ok((report, starts))
    });
    let n = shape.duration().as_secs_f64().ceil() as usize;

    // Nothing lost, nothing doubled.
    assert_eq!(starts.intended.len() as u64, planned);
    assert_eq!(report.total.completed, planned);
    assert_eq!(report.total.dropped, 0);
    // Every record reached its window before the window closed.
    assert_eq!(report.generator.late_records, 0);

    // The schedule itself: exactly the integral, ±1, in every window.
    check_windows(
        "by intended start",
        truth,
        &buckets(&starts.intended, 1.0, n),
        0.0,
    );
    // The report's windows count the same iterations.
    for w in &report.windows {
        let expected = truth.integral(w.start.as_secs_f64(), w.end.as_secs_f64());
        common::assert_close(
            &format!("report window {}", w.index),
            w.stats.started as f64,
            expected,
            1.0,
        );
    }
    // Real starts: a start late by d near a boundary moves the iterations
    // of the last d before it to the next window. The run kept its lag
    // within LAG_BUDGET, so the edge may move by up to that much at the
    // window's edge rate (a single 8 ms stall of a loaded 2-core CI
    // machine moved 18 starts at 2,300 rps once, over a 3 ms slack).
    // A pacer that drifts or batches coarser than the budget still fails.
    check_windows(
        "by actual start",
        truth,
        &buckets(&starts.actual, 1.0, n),
        LAG_BUDGET.as_secs_f64(),
    );
}

#[test]
fn constant_2000_rps_matches_the_integral_in_every_window() {
    check_shape(
        &Shape::builder().hold(rps(2_000), secs(5)).build().unwrap(),
        &Truth {
            rate: |_| 2_000.0,
            duration: 5.0,
        },
    );
}

#[test]
fn ramp_100_to_3000_rps_matches_the_integral_in_every_window() {
    // 5.5 s so that the last window is partial (±1% there).
    let shape = Shape::builder()
        .hold(rps(100), ms(500))
        .ramp(rps(3_000), secs(5))
        .build()
        .unwrap();
    assert_eq!(shape.duration(), Duration::from_millis(5_500));
    check_shape(
        &shape,
        &Truth {
            rate: |t| {
                if t < 0.5 {
                    100.0
                } else {
                    100.0 + 2_900.0 * (t - 0.5) / 5.0
                }
            },
            duration: 5.5,
        },
    );
}

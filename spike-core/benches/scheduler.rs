//! Scheduler ceiling and accuracy (a bench binary, not a timed test).
//!
//! 1. Ceiling: a no-op open-model workload on ONE worker thread at
//!    increasing rates; a rate is sustained when every planned iteration
//!    started (no drops) and schedule-lag p99 stayed under 5 ms.
//! 2. Accuracy at 50k rps on the default two workers: schedule-lag p99 and
//!    achieved/target per full window.
//!
//! `cargo bench -p spike-test-core --bench scheduler` (add `-- quick` for shorter runs)

use std::time::Duration;

use spike_core::{rps, Ctx, Report, Scenario, Shape};

fn run(workers: usize, rate: f64, secs: f64, precise: bool) -> Report {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_time()
        .build()
        .unwrap();
    let shape = Shape::builder()
        .hold(rps(rate), Duration::from_secs_f64(secs))
        .build()
        .unwrap();
    rt.block_on(
        Scenario::new("scheduler-bench")
            .shape(shape)
            .window(Duration::from_secs(1))
            .max_in_flight(1_000_000)
            .precise_pacing(precise)
            .run(|_ctx: Ctx| async {}),
    )
    .unwrap()
}

fn main() {
    let quick = std::env::args().any(|a| a == "quick");
    let secs = if quick { 2.0 } else { 5.0 };
    println!("## ceiling: no-op open model, 1 worker thread, {secs} s per rate");
    println!("| target rps | achieved starts/s | lag p50 | lag p99 | sustained |");
    println!("|---:|---:|---:|---:|:--|");
    let mut ceiling = 0.0;
    for rate in [
        100_000.0,
        250_000.0,
        500_000.0,
        750_000.0,
        1_000_000.0,
        1_500_000.0,
    ] {
        let r = run(1, rate, secs, false);
        let achieved = r.total.started as f64 / r.elapsed.as_secs_f64().max(secs);
        let lag = r.generator.schedule_lag;
        let sustained =
            r.total.dropped == 0 && lag.p99_us < 5_000 && r.total.completed == r.total.scheduled;
        if sustained {
            ceiling = rate;
        }
        println!(
            "| {rate:.0} | {achieved:.0} | {}µs | {}µs | {} |",
            lag.p50_us,
            lag.p99_us,
            if sustained { "yes" } else { "no" }
        );
    }
    println!("\nceiling (highest sustained rate tried): {ceiling:.0} starts/s\n");

    for precise in [false, true] {
        println!(
            "## accuracy at 50,000 rps, 2 worker threads, {secs} s, {} pacing",
            if precise {
                "precise"
            } else {
                "timer (default)"
            }
        );
        let r = run(2, 50_000.0, secs, precise);
        let full: Vec<f64> = r
            .windows
            .iter()
            .filter(|w| w.end - w.start == Duration::from_secs(1))
            .map(|w| w.stats.started as f64 / w.stats.target)
            .collect();
        let worst = full.iter().map(|x| (x - 1.0).abs()).fold(0.0, f64::max);
        println!(
        "schedule lag p50 {}µs, p99 {}µs, max {}µs; achieved/target per full window: {:?} (worst deviation {:.4}%)",
        r.generator.schedule_lag.p50_us,
        r.generator.schedule_lag.p99_us,
        r.generator.schedule_lag.max_us,
        full.iter().map(|x| format!("{x:.5}")).collect::<Vec<_>>(),
        worst * 100.0
    );
    }
}

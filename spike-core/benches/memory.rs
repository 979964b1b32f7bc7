//! Memory independent of run length: peak RSS of a run at 20k rps for a
//! given number of seconds, read from /proc/self/status (VmHWM) at the end.
//! Run it once per length, in separate processes:
//!
//! `cargo bench -p spike-test-core --bench memory -- 10` and `... -- 60`

use std::time::Duration;

use spike_core::{rps, Ctx, Scenario, Shape};

fn vm_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    let secs: u64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(10);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap();
    let shape = Shape::builder()
        .hold(rps(20_000), Duration::from_secs(secs))
        .build()
        .unwrap();
    let report = rt
        .block_on(
            Scenario::new("memory-bench")
                .shape(shape)
                .run(|ctx: Ctx| async move {
                    // A little work and a counter, like a real workload.
                    ctx.count("calls", 1);
                    tokio::task::yield_now().await;
                }),
        )
        .unwrap();
    println!(
        "run {secs} s at 20k rps: {} iterations, {} windows, peak RSS {} KiB",
        report.total.completed,
        report.windows.len(),
        vm_hwm_kib()
    );
}

//! A spike test's body runs on a stack of the harness's size, not on the
//! thread libtest gave it (2 MiB unless `RUST_MIN_STACK`). In a debug build
//! one run's poll needs about 350 KiB of stack (measured: four runs joined
//! on a plain thread overflow 320 KiB and pass at 384 KiB), and four
//! drivers side by side overflowed libtest's 2 MiB (tests/memory_flat.rs).
//! Here the thread has 256 KiB: without the harness's own stack the body
//! overflows it and the process aborts.

use spike_core::harness::SpikeTest;
use spike_core::{ms, rps, Ctx, Scenario, Shape};

#[test]
fn four_runs_joined_in_a_body_fit_on_a_small_thread() {
    let thread = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(|| {
            SpikeTest::new("body_stack").run_async(async {
                let runs = (0..4).map(|i| {
                    let shape = Shape::builder().hold(rps(50), ms(200)).build().unwrap();
                    Scenario::new(format!("stack-{i}"))
                        .shape(shape)
                        .run(|_ctx: Ctx| async {})
                });
                let reports = futures_util::future::join_all(runs).await;
                reports
                    .into_iter()
                    .map(|r| r.expect("a run").total.completed)
                    .sum::<u64>()
            })
        })
        .expect("a thread");
    // 50/s for 200 ms: 10 iterations per run.
    assert_eq!(thread.join().expect("the body did not panic"), 40);
}

//! Scenarios shared by the artifact and baseline tests.
#![allow(dead_code, unreachable_pub)]

use std::sync::Arc;

use spike_core::targets::FifoServer;
use spike_core::{ms, rps, Ctx, IterError, RecoveryCriteria, Report, Scenario, Shape};

/// hold 100 rps 1 s, burst 400 rps 0.5 s, recover 100 rps 1.5 s (100 ms
/// windows) against a 250/s FIFO server: a backlog that drains. An
/// iteration for which `fails` holds is a `flaky` error.
pub fn spiky_report(name: &str, fails: impl Fn(&Ctx) -> bool + Send + Sync + 'static) -> Report {
    let _timing = crate::common::timing_lock();
    crate::common::runtime(2).block_on(async {
        let shape = Shape::builder()
            .hold(rps(100), ms(1000))
            .burst(rps(400), ms(500))
            .recover(rps(100), ms(1500))
            .build()
            .expect("valid shape");
        let server = Arc::new(FifoServer::new(250.0));
        let fails = Arc::new(fails);
        Scenario::new(name)
            .shape(shape)
            .window(ms(100))
            .run(move |ctx: Ctx| {
                let (server, fails) = (server.clone(), fails.clone());
                async move {
                    server.serve().await;
                    if fails(&ctx) {
                        Err(IterError::new("flaky").with_message("injected"))
                    } else {
                        Ok(())
                    }
                }
            })
            .await
            .expect("valid scenario")
    })
}

/// hold 300 rps 1 s, burst 600 rps 1 s, recover 300 rps 2 s (100 ms
/// windows, 30 to 60 iterations each) against a FIFO server of `capacity`
/// requests per second, with a recovery slack of `slack_ms`. At 5000/s the
/// burst leaves no backlog; at 450/s it leaves 150 requests that take a
/// further second to drain.
pub async fn fifo_spike(name: &str, capacity: f64, slack_ms: u64) -> Report {
    let shape = Shape::builder()
        .hold(rps(300), ms(1000))
        .burst(rps(600), ms(1000))
        .recover(rps(300), ms(2000))
        .build()
        .expect("valid shape");
    let server = Arc::new(FifoServer::new(capacity));
    Scenario::new(name)
        .shape(shape)
        .window(ms(100))
        // The gate tests judge the comparison, not pacing to the
        // millisecond: on a loaded 2-core machine the fast target's run
        // lags by tens of ms and must still be conclusive.
        .lag_budget(ms(100))
        .recovery_criteria(RecoveryCriteria {
            slack: ms(slack_ms),
            ..RecoveryCriteria::default()
        })
        .run(move |_ctx: Ctx| {
            let server = server.clone();
            async move {
                server.serve().await;
            }
        })
        .await
        .expect("valid scenario")
}

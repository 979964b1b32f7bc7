//! `verify()` on a shard's report (issue 14) records its checks but does
//! not fail the shard: the verdict belongs to the merged report. The same
//! chain on a plain report panics.

use std::panic::{catch_unwind, AssertUnwindSafe};

use spike_assert::expect;
use spike_core::shard::Shard;
use spike_core::{ms, rps, secs, Ctx, Report, Scenario, Shape, TestContext};

async fn run(shard: Option<Shard>) -> Report {
    let mut scenario = Scenario::new("verify-shard")
        .shape(Shape::builder().hold(rps(100), ms(300)).build().unwrap())
        .window(ms(100))
        .lag_budget(secs(5));
    if let Some(shard) = shard {
        scenario = scenario.shard(shard);
    }
    scenario.run(|_ctx: Ctx| async {}).await.unwrap()
}

#[test]
fn verify_on_a_shard_records_the_checks_and_does_not_panic() {
    // Real (if tiny) load: take the machine's run lock like a spike test.
    let _lock = spike_core::run_lock::RunLock::exclusive();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = std::env::temp_dir().join(format!("spike-shard-verify-{}", std::process::id()));
    let test = TestContext::in_dir("verify-shard", &dir);
    let verified = rt.block_on(test.clone().scope(async {
        let report = run(Some(Shard::new(1, 4).unwrap())).await;
        // 1 of 4 shards of 100 rps starts 25 per second: far below 1e9.
        expect(&report)
            .throughput()
            .at_least(1e9)
            .error_rate()
            .at_most(spike_core::pct(0))
            .verify()
    }));
    let checks = verified.checks();
    assert_eq!(checks.len(), 3, "{checks:?}");
    assert!(!checks[0].passed, "the throughput check failed: {checks:?}");
    assert!(checks[1].passed && checks[2].passed, "{checks:?}");
    // Recorded with the report the test will write.
    let reports = test.reports();
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].checks.len(), 3);
    assert!(!reports[0].checks[0].passed);
    assert!(reports[0].checks[0].check.contains("throughput"));

    // The same chain on a plain run fails as always.
    let plain = rt.block_on(run(None));
    let failed = catch_unwind(AssertUnwindSafe(|| {
        expect(&plain).throughput().at_least(1e9).verify();
    }));
    assert!(failed.is_err());
}

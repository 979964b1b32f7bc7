//! A `#[spike_test]` body that fails on an inconclusive run runs again
//! (issue: a loaded CI machine must not turn a lagging generator into a red
//! build), and only then: a failure on a conclusive run ends the test at
//! once. The inconclusive runs are made so by construction: one user slot
//! (`max_in_flight(1)`) for iterations that take 100 ms at 50 rps must drop
//! iterations, and a dropped iteration makes the load guard inconclusive.

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use spike_assert::expect;
use spike_core::harness::SpikeTest;
use spike_core::{ms, pct, rps, Ctx, Report, Scenario, Shape};

/// 300 ms at 50 rps; each iteration takes `work`, at most `cap` at once.
async fn run(work: Duration, cap: u64) -> Report {
    Scenario::new("attempt")
        .shape(Shape::builder().hold(rps(50), ms(300)).build().unwrap())
        .window(ms(100))
        .max_in_flight(cap)
        .run(move |_ctx: Ctx| async move { tokio::time::sleep(work).await })
        .await
        .expect("valid scenario")
}

/// A run that drops iterations: inconclusive whatever the service did.
async fn overloaded() -> Report {
    let report = run(ms(100), 1).await;
    assert!(report.generator.dropped > 0, "the construction must drop");
    report
}

/// A run the generator keeps up with: 15 iterations of nothing.
async fn kept_up() -> Report {
    run(Duration::ZERO, 100).await
}

fn panic_text(f: impl FnOnce()) -> String {
    let payload = panic::catch_unwind(AssertUnwindSafe(f)).expect_err("the test must fail");
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .expect("a text panic")
}

#[test]
fn an_inconclusive_failure_runs_again_and_a_pass_ends_it() {
    let calls = AtomicU32::new(0);
    let saved = std::sync::Mutex::new(None);
    SpikeTest::new("attempts::second_passes").run_async_attempts(|| async {
        let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
        let report = if n == 1 {
            overloaded().await
        } else {
            kept_up().await
        };
        *saved.lock().unwrap() = report.artifacts.clone();
        expect(&report).error_rate().at_most(pct(0)).verify();
    });
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    let dir = saved.into_inner().unwrap().expect("inside a spike test");
    // The first attempt's report is kept beside the test's folder, with its
    // INCONCLUSIVE guard row; the folder itself holds the passing attempt.
    let test_dir = dir.parent().expect("the scenario folder is in the test's");
    let mut aside = test_dir.as_os_str().to_owned();
    aside.push(".attempt-1");
    let first: serde_json::Value = serde_json::from_slice(
        &std::fs::read(std::path::Path::new(&aside).join("attempt/report.json"))
            .expect("the first attempt's report is kept"),
    )
    .unwrap();
    assert!(first["generator"]["dropped"].as_u64().unwrap() > 0);
    assert!(first["checks"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["check"] == "load applied as planned" && c["passed"] == false));
    let last: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("report.json")).unwrap()).unwrap();
    assert_eq!(last["generator"]["dropped"], 0);
}

#[test]
fn a_conclusive_failure_runs_once() {
    let calls = AtomicU32::new(0);
    let text = panic_text(|| {
        SpikeTest::new("attempts::conclusive").run_async_attempts(|| async {
            calls.fetch_add(1, Ordering::SeqCst);
            let report = kept_up().await;
            // 15 iterations cannot make 1,000 per second.
            expect(&report).throughput().at_least(1_000.0).verify();
        });
    });
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert!(text.contains("throughput"), "{text}");
    assert!(!text.contains("INCONCLUSIVE"), "{text}");
}

#[test]
fn attempts_are_bounded_and_the_last_failure_is_the_verdict() {
    let calls = AtomicU32::new(0);
    let text = panic_text(|| {
        SpikeTest::new("attempts::always_inconclusive")
            .attempts(2)
            .run_async_attempts(|| async {
                calls.fetch_add(1, Ordering::SeqCst);
                let report = overloaded().await;
                expect(&report).error_rate().at_most(pct(0)).verify();
            });
    });
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert!(text.contains("INCONCLUSIVE"), "{text}");
    assert!(text.contains("dropped"), "{text}");
}

#[test]
fn a_result_body_that_returns_an_inconclusive_failure_runs_again() {
    let calls = AtomicU32::new(0);
    let out: Result<(), spike_assert::Failure> = SpikeTest::new("attempts::result")
        .run_sync_attempts(|| {
            let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
            let handle = tokio::runtime::Handle::current();
            let report = if n == 1 {
                handle.block_on(overloaded())
            } else {
                handle.block_on(kept_up())
            };
            expect(&report).error_rate().at_most(pct(0)).try_verify()?;
            Ok(())
        });
    assert!(out.is_ok(), "{out:?}");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[test]
fn a_single_attempt_never_runs_again() {
    let calls = AtomicU32::new(0);
    panic_text(|| {
        SpikeTest::new("attempts::once")
            .attempts(1)
            .run_async_attempts(|| async {
                calls.fetch_add(1, Ordering::SeqCst);
                let report = overloaded().await;
                expect(&report).error_rate().at_most(pct(0)).verify();
            });
    });
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

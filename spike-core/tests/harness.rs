//! The `#[spike_test]` harness seen from outside: the timeout interrupts
//! the runs and fails the test with the report paths, a body that ignores
//! it is abandoned, a sync body runs with the runtime entered, artifacts
//! are written once after the body, and a folder that cannot be written is
//! a notice, not a crash. In its own test binary: these take the machine's
//! run lock exclusively.

use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;
use std::time::Duration;

use spike_core::harness::{SpikeTest, TestContext};

/// A run that would last `secs` seconds at 20 rps, unless interrupted.
async fn long_run(secs: u64) -> spike_core::Report {
    let shape = spike_core::Shape::builder()
        .hold(spike_core::rps(20), spike_core::secs(secs))
        .build()
        .expect("valid shape");
    spike_core::Scenario::new("long")
        .shape(shape)
        .window(spike_core::ms(100))
        .run(|_ctx: spike_core::Ctx| async {})
        .await
        .expect("valid scenario")
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
fn the_timeout_interrupts_the_run_and_fails_with_its_report() {
    let text = panic_text(|| {
        SpikeTest::new("unit::times_out")
            .timeout(Duration::from_millis(300), "300ms")
            .run_async(async {
                let report = long_run(30).await;
                assert_eq!(
                    report.interrupted.as_deref(),
                    Some("test timeout of 300ms reached")
                );
                assert!(report.elapsed < Duration::from_secs(5), "{report}");
            });
    });
    assert!(
        text.starts_with("spike test `unit::times_out` reached its timeout of 300ms"),
        "{text}"
    );
    let path = text
        .rsplit_once("report: ")
        .map(|(_, path)| PathBuf::from(path))
        .unwrap_or_else(|| panic!("no report path at the end of: {text}"));
    assert!(path.ends_with("unit__times_out/long/report.json"), "{text}");
    assert!(path.is_file(), "{} was not written", path.display());
}

#[test]
fn a_body_that_ignores_the_timeout_is_abandoned_after_the_grace() {
    // Timed from the body's start: waiting for the machine's run lock is
    // not part of the test.
    let started = std::sync::Arc::new(std::sync::OnceLock::new());
    let body_started = started.clone();
    let text = panic_text(|| {
        SpikeTest::new("unit::abandoned")
            .current_thread()
            .timeout(Duration::from_millis(100), "100ms")
            .grace(Duration::from_millis(200))
            .run_async(async move {
                body_started.get_or_init(std::time::Instant::now);
                tokio::time::sleep(Duration::from_secs(60)).await;
            });
    });
    let started = started.get().expect("the body ran");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        text,
        "spike test `unit::abandoned` reached its timeout of 100ms and was still running \
         200ms after its runs were interrupted; it was abandoned.\nNo report was saved."
    );
}

#[test]
fn a_failing_body_ends_with_the_report_path() {
    let text = panic_text(|| {
        SpikeTest::new("unit::fails").run_async(async {
            let report = long_run(1).await;
            assert!(
                report.total.completed > 1_000,
                "too few: {}",
                report.total.completed
            );
        });
    });
    assert!(text.starts_with("too few: 20\nreport: "), "{text}");
    assert!(text.ends_with("unit__fails/long/report.json"), "{text}");
}

#[test]
fn a_sync_body_runs_in_the_context_with_the_runtime_entered() {
    let out = SpikeTest::new("unit::sync")
        .worker_threads(2)
        .timeout(Duration::from_secs(60), "60s")
        .run_sync(|| {
            let ctx = TestContext::current().expect("the test context is set");
            assert_eq!(ctx.name(), "unit::sync");
            let handle = tokio::runtime::Handle::current();
            assert_eq!(handle.metrics().num_workers(), 2);
            let report = handle.block_on(long_run(1));
            assert_eq!(report.total.completed, 20);
            report.artifacts.expect("saved")
        });
    assert!(out.join("report.json").is_file());
}

#[test]
fn a_sync_body_over_its_timeout_fails_after_returning() {
    let text = panic_text(|| {
        SpikeTest::new("unit::sync_timeout")
            .timeout(Duration::from_millis(200), "200ms")
            .run_sync(|| {
                let report = tokio::runtime::Handle::current().block_on(long_run(30));
                assert!(report.interrupted.is_some());
            });
    });
    assert!(
        text.starts_with("spike test `unit::sync_timeout` reached its timeout of 200ms"),
        "{text}"
    );
    assert!(
        text.ends_with("unit__sync_timeout/long/report.json"),
        "{text}"
    );
}

#[test]
fn the_output_of_the_body_is_returned() {
    let out = SpikeTest::new("unit::output")
        .current_thread()
        .run_async(async { tokio::runtime::Handle::current().runtime_flavor() });
    assert_eq!(out, tokio::runtime::RuntimeFlavor::CurrentThread);
}

/// A folder that cannot be written does not stop the others, nor the
/// test's verdict: it becomes a notice.
#[test]
fn an_unwritable_folder_is_a_notice_not_a_crash() {
    let root = std::env::temp_dir().join(format!("spike-unwritable-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    // A file where the scenario `blocked` wants its folder.
    std::fs::write(root.join("blocked"), b"a file").unwrap();
    let ctx = TestContext::in_dir("unit", &root);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(ctx.clone().scope(async {
        let shape = spike_core::Shape::builder()
            .hold(spike_core::rps(20), spike_core::ms(200))
            .build()
            .unwrap();
        for name in ["blocked", "fine"] {
            spike_core::Scenario::new(name)
                .shape(shape.clone())
                .window(spike_core::ms(100))
                .run(|_ctx: spike_core::Ctx| async {})
                .await
                .unwrap();
        }
    }));
    assert_eq!(ctx.report_paths().len(), 2);
    assert_eq!(
        ctx.write_artifacts(),
        vec![root.join("fine").join("report.json")]
    );
    assert!(root.join("fine/report.json").is_file());
    std::fs::remove_dir_all(&root).unwrap();
}

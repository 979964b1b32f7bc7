//! What `#[spike_test]` generates, seen from a test: the runtime, the test
//! context, the report location, the timeout and the failure message. These
//! run with `cargo test --features spike` (they are spike tests themselves).

use std::time::Duration;

use spike::prelude::*;

/// 20 rps for `ms` milliseconds, no-op workload, 100 ms windows.
async fn run(name: &str, millis: u64) -> Report {
    let shape = Shape::builder().hold(rps(20), ms(millis)).build().unwrap();
    Scenario::new(name)
        .shape(shape)
        .window(ms(100))
        .run(|_ctx: Ctx| async {})
        .await
        .unwrap()
}

#[spike_test]
async fn names_the_context_and_the_report_after_the_test() {
    let ctx = spike::TestContext::current().expect("inside a spike test");
    assert_eq!(
        ctx.name(),
        "names_the_context_and_the_report_after_the_test"
    );
    // A previous run's files would hide when this one's are written.
    let _ = std::fs::remove_dir_all(ctx.artifact_dir());
    let report = run("quick", 200).await;
    let dir = report.artifacts.expect("saved inside a spike test");
    assert_eq!(
        dir,
        ctx.artifact_dir().join("quick"),
        "a scenario gets a folder inside the test's"
    );
    // The report is held in memory; its artifacts are written once, after
    // the body (with the checks its assertions evaluated).
    assert!(!dir.join("report.json").exists());
    assert_eq!(ctx.report_paths(), vec![dir.join("report.json")]);
    assert_eq!(ctx.reports().len(), 1);
    assert_eq!(
        ctx.artifact_dir(),
        spike::spike_home().join("names_the_context_and_the_report_after_the_test")
    );
}

mod nested {
    use spike::prelude::*;

    #[spike_test]
    fn names_include_the_module_path() {
        let ctx = spike::TestContext::current().expect("inside a spike test");
        assert_eq!(ctx.name(), "nested::names_include_the_module_path");
        assert!(ctx
            .artifact_dir()
            .ends_with("nested__names_include_the_module_path"));
    }
}

#[spike_test]
async fn runs_on_a_multi_thread_runtime_by_default() {
    let handle = tokio::runtime::Handle::current();
    assert_eq!(
        handle.runtime_flavor(),
        tokio::runtime::RuntimeFlavor::MultiThread
    );
}

#[spike_test(worker_threads = 3)]
async fn worker_threads_sets_the_worker_count() {
    assert_eq!(tokio::runtime::Handle::current().metrics().num_workers(), 3);
}

#[spike_test(flavor = "current_thread")]
async fn current_thread_flavor() {
    let handle = tokio::runtime::Handle::current();
    assert_eq!(
        handle.runtime_flavor(),
        tokio::runtime::RuntimeFlavor::CurrentThread
    );
}

#[spike_test]
fn a_plain_fn_runs_in_the_context_and_may_block_on_a_run() {
    let ctx = spike::TestContext::current().expect("inside a spike test");
    assert_eq!(
        ctx.name(),
        "a_plain_fn_runs_in_the_context_and_may_block_on_a_run"
    );
    let report = tokio::runtime::Handle::current().block_on(run("blocking", 200));
    assert_eq!(report.total.completed, 4);
    assert!(report.artifacts.is_some());
}

#[spike_test]
async fn returns_the_body_result() -> Result<(), SpikeError> {
    let shape = Shape::builder().hold(rps(20), ms(100)).build()?;
    let report = Scenario::new("result")
        .shape(shape)
        .run(|_ctx: Ctx| async {})
        .await?;
    assert_eq!(report.total.completed, 2);
    Ok(())
}

#[spike_test(timeout = "300ms")]
#[should_panic(expected = "reached its timeout of 300ms: its runs were interrupted")]
async fn the_timeout_interrupts_the_run_and_fails_the_test() {
    let started = std::time::Instant::now();
    let report = run("long", 30_000).await;
    // The run stopped early, with a partial report saved; then the test fails.
    assert_eq!(
        report.interrupted.as_deref(),
        Some("test timeout of 300ms reached")
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(report.artifacts.is_some());
}

#[spike_test]
#[should_panic(expected = "only 4 done\nreport: ")]
async fn a_failing_body_ends_with_the_report_path() {
    let report = run("short", 200).await;
    assert!(
        report.total.completed > 100,
        "only {} done",
        report.total.completed
    );
}

#[spike_test(timeout = "5s")]
#[should_panic(expected = "spike test `a_panic_before_any_run_is_untouched` fails early")]
async fn a_panic_before_any_run_is_untouched() {
    panic!("spike test `a_panic_before_any_run_is_untouched` fails early");
}

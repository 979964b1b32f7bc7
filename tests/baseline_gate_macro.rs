//! `#[spike_test]` applies the regression gate by itself when
//! `SPIKE_BASELINE` is set. Environment variables belong to the whole
//! process, so this lives in its own test binary with a single test.

use spike::prelude::*;

#[spike_test]
#[ignore = "called by `the_gate_runs_after_the_body` with the environment it needs"]
async fn a_run_compared_with_a_baseline_never_saved() {
    let shape = Shape::builder().hold(rps(50), ms(300)).build().unwrap();
    let report = Scenario::default()
        .shape(shape)
        .run(|_ctx: Ctx| async {})
        .await
        .unwrap();
    assert_eq!(report.total.completed, 15);
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default()
}

#[test]
fn the_gate_runs_after_the_body() {
    let name = format!("never-saved-{}", std::process::id());
    std::env::set_var("SPIKE_BASELINE", &name);
    std::env::set_var("SPIKE_PROGRESS", "0");

    // Strict: a missing baseline fails the test, after the body ran.
    std::env::set_var("SPIKE_BASELINE_STRICT", "1");
    let failed = std::panic::catch_unwind(a_run_compared_with_a_baseline_never_saved)
        .expect_err("the strict gate must fail without a baseline");
    let message = panic_text(failed.as_ref());
    assert!(
        message.contains(&name),
        "the failure names the baseline: {message}"
    );

    // Lenient (the default): the same run passes, with a note.
    std::env::remove_var("SPIKE_BASELINE_STRICT");
    a_run_compared_with_a_baseline_never_saved();

    std::env::remove_var("SPIKE_BASELINE");
}

//! `#[spike_test]` applies the regression gate by itself when
//! `SPIKE_BASELINE` is set. The gated test runs in a child process of this
//! binary, with the environment each case needs, so that what the terminal
//! shows (the raw standard error, past libtest's capture) can be read.

use std::process::{Command, Output};

use spike::prelude::*;

#[spike_test]
#[ignore = "run by `the_gate_runs_after_the_body` with the environment it needs"]
async fn a_run_compared_with_a_baseline_never_saved() {
    let shape = Shape::builder().hold(rps(50), ms(300)).build().unwrap();
    let report = Scenario::default()
        .shape(shape)
        .run(|_ctx: Ctx| async {})
        .await
        .unwrap();
    assert_eq!(report.total.completed, 15);
}

/// Run the gated test in a child process with `SPIKE_BASELINE=baseline`,
/// `CI` and `SPIKE_BASELINE_STRICT` as given (`None`: unset).
fn run_child(baseline: &str, ci: Option<&str>, strict: Option<&str>) -> Output {
    let mut command = Command::new(std::env::current_exe().expect("this test binary"));
    command
        .args([
            "a_run_compared_with_a_baseline_never_saved",
            "--exact",
            "--include-ignored",
        ])
        .env("SPIKE_BASELINE", baseline)
        .env("SPIKE_PROGRESS", "0")
        .env_remove("CI")
        .env_remove("SPIKE_BASELINE_STRICT");
    if let Some(ci) = ci {
        command.env("CI", ci);
    }
    if let Some(strict) = strict {
        command.env("SPIKE_BASELINE_STRICT", strict);
    }
    command.output().expect("run the child test")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn the_gate_runs_after_the_body() {
    let name = format!("never-saved-{}", std::process::id());
    let missing = format!("has no baseline `{name}`");

    // Strict: a missing baseline fails the test, after the body ran.
    let strict = run_child(&name, None, Some("1"));
    assert!(!strict.status.success(), "{}", text(&strict.stdout));
    assert!(
        text(&strict.stdout).contains(&missing),
        "{}",
        text(&strict.stdout)
    );

    // In CI a missing (or misspelt) baseline is strict by default.
    let ci = run_child(&name, Some("true"), None);
    assert!(!ci.status.success(), "{}", text(&ci.stdout));
    assert!(text(&ci.stdout).contains(&missing), "{}", text(&ci.stdout));

    // Outside CI it passes, and the notice still reaches the terminal: it is
    // on the raw standard error, which libtest does not capture.
    let lenient = run_child(&name, None, None);
    assert!(lenient.status.success(), "{}", text(&lenient.stdout));
    assert!(
        text(&lenient.stderr).contains(&format!(
            "spike: `a_run_compared_with_a_baseline_never_saved` {missing}"
        )),
        "stderr: {}",
        text(&lenient.stderr)
    );
    // ... and CI can be made lenient explicitly.
    let ci_lenient = run_child(&name, Some("1"), Some("0"));
    assert!(ci_lenient.status.success(), "{}", text(&ci_lenient.stdout));
}

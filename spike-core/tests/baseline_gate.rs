//! The regression gate end to end, the way a spike test meets it: save a
//! baseline with `SPIKE_SAVE_BASELINE`, slow the target down, run again with
//! `SPIKE_BASELINE`, and the gate fails with the table and both report
//! paths. In-process target only (a FIFO server simulation).
//!
//! One test in this binary: it sets process environment variables.

mod artifacts_support;
mod common;

use std::time::Duration;

use spike_core::baseline::{gate_test, Change};
use spike_core::{ms, Report, TestContext};

/// The shared FIFO spike inside the test's context. The 50 ms recovery
/// slack is above this busy machine's scheduler hiccups, so the fast
/// target recovers at once and the backlog of the slow one (~0.3 s
/// latencies) is what counts.
async fn run(test: &TestContext, capacity: f64) -> Report {
    test.clone()
        .scope(artifacts_support::fifo_spike("gate", capacity, 50))
        .await
}

/// What the harness does after a body: write the artifacts (saving the
/// baseline when asked), then gate the reports held in memory.
fn after_body(test: &TestContext) -> Result<(), String> {
    test.write_artifacts();
    gate_test(test)
}

#[test]
fn a_slowed_target_fails_the_gate_with_the_table() {
    let _timing = common::timing_lock();
    let home = std::env::temp_dir().join(format!("spike-gate-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    std::env::set_var("SPIKE_HOME", &home);
    std::env::set_var("SPIKE_PROGRESS", "plain");
    std::env::set_var("SPIKE_PROGRESS_INTERVAL", "1");
    std::env::remove_var("SPIKE_BASELINE");
    std::env::remove_var("SPIKE_BASELINE_STRICT");
    let rt = common::runtime(2);

    let ci = std::env::var_os("CI");

    // 1. No baseline yet: lenient outside CI, strict in CI (unless
    //    SPIKE_BASELINE_STRICT=0), strict with SPIKE_BASELINE_STRICT=1.
    std::env::set_var("SPIKE_BASELINE", "main");
    let test = TestContext::new("gate");
    let fast = rt.block_on(run(&test, 5000.0));
    assert!(fast.artifacts.is_some());
    std::env::remove_var("CI");
    assert_eq!(gate_test(&test), Ok(()));
    std::env::set_var("CI", "true");
    let err = gate_test(&test).unwrap_err();
    assert!(err.contains("has no baseline `main`"), "{err}");
    assert!(err.contains("no baseline is saved for it"), "{err}");
    std::env::set_var("SPIKE_BASELINE_STRICT", "0");
    assert_eq!(gate_test(&test), Ok(()));
    std::env::remove_var("CI");
    std::env::set_var("SPIKE_BASELINE_STRICT", "1");
    let err = gate_test(&test).unwrap_err();
    assert!(err.contains("has no baseline `main`"), "{err}");
    std::env::remove_var("SPIKE_BASELINE_STRICT");
    std::env::remove_var("SPIKE_BASELINE");

    // 2. Save the fast run as `main`.
    std::env::set_var("SPIKE_SAVE_BASELINE", "main");
    let test = TestContext::new("gate");
    let saved = rt.block_on(run(&test, 5000.0));
    assert_eq!(after_body(&test), Ok(()));
    std::env::remove_var("SPIKE_SAVE_BASELINE");
    let baseline_json = home.join("gate/baselines/main/report.json");
    assert!(baseline_json.is_file());
    for f in ["report.html", "timeline.csv", "latency.hlog"] {
        assert!(home.join("gate/baselines/main").join(f).is_file(), "{f}");
    }
    assert!(saved.recovery.is_some(), "{saved}");

    // 3. The same fast target again: no regression.
    std::env::set_var("SPIKE_BASELINE", "main");
    let test = TestContext::new("gate");
    let again = rt.block_on(run(&test, 5000.0));
    assert_eq!(gate_test(&test), Ok(()), "{again}");

    // 3b. A misspelt baseline name fails in CI and names the saved ones.
    std::env::set_var("SPIKE_BASELINE", "mian");
    std::env::set_var("CI", "true");
    let err = gate_test(&test).unwrap_err();
    assert!(err.contains("has no baseline `mian`"), "{err}");
    assert!(err.contains("saved baselines: main"), "{err}");
    std::env::remove_var("CI");
    std::env::set_var("SPIKE_BASELINE", "main");

    // 4. Slowed to 450/s: the gate fails with the table and both paths.
    let test = TestContext::new("gate");
    let slow = rt.block_on(run(&test, 450.0));
    let message = after_body(&test).unwrap_err();
    std::env::remove_var("SPIKE_BASELINE");
    eprintln!("{message}");
    assert!(
        message.contains("spike: `gate` against baseline `main`: "),
        "{message}"
    );
    assert!(message.contains("REGRESSED"), "{message}");
    let header = message.lines().nth(1).unwrap();
    for col in ["metric", "baseline", "now", "change", "band", "verdict"] {
        assert!(header.contains(col), "{header}");
    }
    assert!(message.contains(&format!("baseline report: {}", baseline_json.display())));
    assert!(message.contains(&format!(
        "this run's report: {}",
        home.join("gate/report.json").display()
    )));
    // Which rows regressed: the latency tail and recovery; the load applied
    // (throughput) and the error rate did not move.
    let (baseline, _) = spike_core::baseline::load_baseline(&slow, "main")
        .unwrap()
        .unwrap();
    let c =
        spike_core::baseline::compare(&baseline, &slow, &spike_core::baseline::Bands::default());
    let verdict = |m: &str| c.rows.iter().find(|r| r.metric == m).unwrap().verdict;
    assert_eq!(verdict("p95"), Change::Regressed, "{c}");
    assert_eq!(verdict("p99"), Change::Regressed, "{c}");
    assert_eq!(verdict("recovery time"), Change::Regressed, "{c}");
    assert_eq!(verdict("error rate"), Change::Unchanged, "{c}");
    assert_eq!(verdict("throughput"), Change::Unchanged, "{c}");
    assert!(
        slow.recovery_time().unwrap_or(Duration::MAX) >= ms(700),
        "the backlog takes ~1 s to drain: {slow}"
    );
    if let Some(ci) = ci {
        std::env::set_var("CI", ci);
    }
    std::fs::remove_dir_all(&home).unwrap();
}

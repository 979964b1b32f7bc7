//! The final step of a sharded run: with `SPIKE_MERGE=1` a `#[spike_test]`
//! sends no load, merges the shard outputs under its artifact folder and
//! runs its body's checks and the regression gate on the merged report.
//!
//! The spike test runs in a child process of this binary (the variables it
//! needs are process-wide), with `SPIKE_HOME` pointed at a folder this test
//! filled with four shard outputs of real runs.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU64, Ordering};

use spike::prelude::*;
use spike::ShardInfo;

/// The spike test below, by name (its scenario and folder name too).
const STEP: &str = "merged_by_the_merge_step";
/// Iterations per shard run: 100 rps for 300 ms.
const PER_SHARD: u64 = 30;

fn step_shape() -> Shape {
    Shape::builder().hold(rps(100), ms(300)).build().unwrap()
}

/// Iterations the merge step's workload ran (it must run none).
static CALLS: AtomicU64 = AtomicU64::new(0);

/// `MERGE_CASE`: `pass` checks p99 below 10 s, `fail` below 1 ms (the
/// shards slept 3 ms per iteration, so it fails), `gate` checks nothing
/// (only the gate can fail it).
#[spike_test]
#[ignore = "run by `the_merge_step_merges_checks_and_gates` with SPIKE_MERGE=1"]
async fn merged_by_the_merge_step() {
    let report = Scenario::default()
        .shape(step_shape())
        .window(ms(100))
        .run(|_ctx: Ctx| async {
            CALLS.fetch_add(1, Ordering::SeqCst);
        })
        .await
        .unwrap();
    assert_eq!(CALLS.load(Ordering::SeqCst), 0, "the merge step sent load");
    let merged = report.merged.as_ref().expect("a merged report");
    println!(
        "MERGED shards={} completed={}",
        merged.shards.len(),
        report.total.completed
    );
    match std::env::var("MERGE_CASE").as_deref() {
        Ok("pass") => {
            expect(&report).p99().below(secs(10)).verify();
        }
        Ok("fail") => {
            expect(&report).p99().below(ms(1)).verify();
        }
        _ => {}
    }
}

fn child(home: &Path, case: &str, vars: &[(&str, &str)]) -> Output {
    Command::new(std::env::current_exe().expect("this test binary"))
        .args([STEP, "--exact", "--include-ignored", "--nocapture"])
        .env("SPIKE_HOME", home)
        .env("SPIKE_MERGE", "1")
        .env("MERGE_CASE", case)
        .env("SPIKE_PROGRESS", "0")
        .env_remove("CI")
        .env_remove("SPIKE_SCALE")
        .env_remove("SPIKE_TIME_SCALE")
        .env_remove("SPIKE_BASELINE")
        .env_remove("SPIKE_SAVE_BASELINE")
        .env_remove("SPIKE_BASELINE_STRICT")
        .envs(vars.iter().copied())
        .output()
        .expect("run the child test")
}

fn text(o: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Four shard outputs of real runs (3 ms per iteration) in
/// `<home>/<test folder>/shard-<i>-of-4/`, as shards would leave them.
fn fill(home: &Path) -> PathBuf {
    let folder = home.join(spike::folder_name(STEP));
    let _lock = spike::run_lock::RunLock::exclusive();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap();
    for i in 0..4 {
        let mut report = rt
            .block_on(
                Scenario::new(STEP)
                    .shape(step_shape())
                    .window(ms(100))
                    .lag_budget(secs(1))
                    .run(|_ctx: Ctx| async { tokio::time::sleep(ms(3)).await }),
            )
            .unwrap();
        report.shard = Some(ShardInfo {
            index: i,
            count: 4,
            start_at_unix_us: Some(1_796_112_000_000_000),
            start_offset_us: 0,
        });
        spike::artifacts::write_all(&report, &folder.join(spike::shard::folder(i, 4))).unwrap();
    }
    folder
}

#[test]
fn the_merge_step_merges_checks_and_gates() {
    let home =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("merge-step-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    let folder = fill(&home);

    // Passing checks: the merged report, saved as a baseline.
    let pass = child(&home, "pass", &[("SPIKE_SAVE_BASELINE", "merged")]);
    assert!(pass.status.success(), "{}", text(&pass));
    assert!(
        text(&pass).contains(&format!("MERGED shards=4 completed={}", 4 * PER_SHARD)),
        "{}",
        text(&pass)
    );
    // The harness wrote the merged artifacts to the test's folder.
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(folder.join("report.json")).unwrap()).unwrap();
    assert_eq!(json["merged"]["shards"], serde_json::json!([0, 1, 2, 3]));
    assert_eq!(json["total"]["completed"], 4 * PER_SHARD);
    assert_eq!(json["checks"][0]["passed"], true);
    for file in [
        "latency.hlog",
        "histograms.hlog",
        "report.html",
        "timeline.csv",
    ] {
        assert!(folder.join(file).is_file(), "{file} missing");
    }

    // A failing check fails the step with the checks table.
    let fail = child(&home, "fail", &[]);
    assert!(!fail.status.success(), "{}", text(&fail));
    let out = text(&fail);
    assert!(out.contains("1 of 2 checks failed"), "{out}");
    let row = out
        .lines()
        .find(|l| l.contains("latency p99"))
        .unwrap_or_default();
    assert!(row.contains("< 1.0ms") && row.ends_with("FAILED"), "{out}");
    assert!(
        out.contains("merged from 4 shards (0, 1, 2, 3 of 4;"),
        "{out}"
    );

    // Another shape than the scenario's after scaling: a typed error, no
    // merge.
    let scaled = child(&home, "pass", &[("SPIKE_SCALE", "2")]);
    let out = text(&scaled);
    assert!(!scaled.status.success(), "{out}");
    assert!(
        out.contains("ran another shape than this scenario's (after scaling)"),
        "{out}"
    );
    assert!(!out.contains("MERGED"), "{out}");

    // Shard 2 missing: the gate says INCONCLUSIVE, naming it, and the body
    // runs once (running it again could not find another shard).
    std::fs::remove_dir_all(folder.join("shard-2-of-4")).unwrap();
    let gated = child(&home, "gate", &[("SPIKE_BASELINE", "merged")]);
    let out = text(&gated);
    assert!(!gated.status.success(), "{out}");
    assert!(
        out.contains("INCONCLUSIVE (a run did not apply its load)"),
        "{out}"
    );
    assert!(
        out.contains("inconclusive: this run: shard 2/4 is missing"),
        "{out}"
    );
    assert_eq!(out.matches("MERGED shards=3").count(), 1, "{out}");
    assert!(!out.contains("attempt 1 of"), "{out}");
}

//! `cargo spike merge`, end to end, on the outputs of a real sharded run:
//! four shards of one schedule (50 iterations per second for 1 s, 100 ms
//! windows) run side by side in this process from one agreed start, each
//! written to `<home>/sharded/shard-<i>-of-4/` as the harness lays them
//! out. What the merge must give follows from arithmetic on the schedule:
//! 50 iterations in all, 5 in every window.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use common::{cargo_spike, run};
use spike_core::run_lock::RunLock;
use spike_core::shard::Shard;
use spike_core::{ms, rps, secs, Ctx, IterError, Report, Scenario, Shape};

/// The four shard reports of one run, each marked with its shard and the
/// agreed start (kept in memory; each test writes them to its own home).
fn shards() -> &'static [Report] {
    static SHARDS: OnceLock<Vec<Report>> = OnceLock::new();
    SHARDS.get_or_init(|| {
        let _lock = RunLock::exclusive();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_time()
            .build()
            .expect("runtime");
        let start = SystemTime::now() + Duration::from_millis(300);
        rt.block_on(async {
            let runs: Vec<_> = (0..4)
                .map(|i| {
                    let shape = Shape::builder().hold(rps(50), ms(1_000)).build().unwrap();
                    Scenario::new("sharded")
                        .shape(shape)
                        .window(ms(100))
                        // Four generators share 2 cores with the rest of the
                        // suite: only the merge's own verdicts are under test.
                        .lag_budget(secs(1))
                        .shard(Shard::new(i, 4).unwrap())
                        .start_at(start)
                        .run(|_ctx: Ctx| async {
                            tokio::time::sleep(Duration::from_millis(2)).await;
                            Ok::<(), IterError>(())
                        })
                })
                .map(tokio::spawn)
                .collect();
            let mut reports = Vec::new();
            for run in runs {
                reports.push(run.await.expect("a shard task").expect("a shard run"));
            }
            reports
        })
    })
}

/// Write shards `which` under `<home>/sharded/`; returns that folder.
fn write_shards(home: &Path, which: &[usize]) -> PathBuf {
    let test = home.join("sharded");
    for &i in which {
        let mut r = shards()[i].clone();
        let dir = test.join(spike_core::shard::folder(i as u32, 4));
        r.artifacts = Some(dir.clone());
        spike_core::artifacts::write_all(&r, &dir).expect("shard written");
    }
    test
}

fn merged(dir: &Path) -> Report {
    serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap()
}

/// The lines after the summary, which hold no measured number.
fn tail(stdout: &str) -> String {
    let from = stdout
        .find("merged 4 shard folders")
        .or_else(|| stdout.find("merged 3 shard folders"));
    stdout[from.expect("the folder list")..].to_owned()
}

#[test]
fn merge_of_a_whole_shard_set_writes_one_report_with_every_iteration() {
    let home = tempfile::tempdir().unwrap();
    let test = write_shards(home.path(), &[0, 1, 2, 3]);
    let listed = run(&mut cargo_spike(home.path(), &["list"]), home.path());
    assert!(
        listed
            .stdout
            .contains("sharded: sharded has 4 shard output(s) (shard-0-of-4, shard-1-of-4, shard-2-of-4, shard-3-of-4), not merged: `cargo spike merge sharded`"),
        "{}",
        listed.stdout
    );

    let out = run(
        &mut cargo_spike(home.path(), &["merge", "sharded", "--max-skew-ms", "200"]),
        home.path(),
    );
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    insta::assert_snapshot!(tail(&out.stdout));
    assert!(
        out.stdout
            .contains("merged from 4 shards (0, 1, 2, 3 of 4;"),
        "{}",
        out.stdout
    );

    let report = merged(&test);
    let info = report.merged.as_ref().expect("a merged report");
    assert_eq!(info.shards, [0, 1, 2, 3]);
    assert!(info.missing.is_empty());
    // 50/s for 1 s: 50 iterations, 5 due in each 100 ms window.
    assert_eq!(report.total.scheduled, 50);
    assert_eq!(report.windows.len(), 10);
    for w in &report.windows {
        assert_eq!(w.stats.scheduled, 5, "window {}", w.index);
    }
    // Each shard kept only its own share: 13, 13, 12, 12 (k ≡ i mod 4).
    let own: Vec<u64> = shards().iter().map(|s| s.total.scheduled).collect();
    assert_eq!(own, [13, 13, 12, 12]);
    for file in [
        "report.html",
        "latency.hlog",
        "histograms.hlog",
        "timeline.csv",
    ] {
        assert!(test.join(file).is_file(), "{file} written");
    }
    let listed = run(&mut cargo_spike(home.path(), &["list"]), home.path());
    assert!(
        listed
            .stdout
            .contains("sharded: sharded has 4 shard output(s)")
            && listed.stdout.contains("merged into its report.json"),
        "{}",
        listed.stdout
    );
}

#[test]
fn a_missing_shard_makes_the_merge_inconclusive_and_exit_1() {
    let home = tempfile::tempdir().unwrap();
    let test = write_shards(home.path(), &[0, 1, 3]);
    let out = run(
        &mut cargo_spike(home.path(), &["merge", test.to_str().unwrap()]),
        home.path(),
    );
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("inconclusive: shard 2/4 is missing")
            && out
                .stdout
                .contains("merged from 3 shards (0, 1, 3 of 4; missing 2; spread "),
        "{}",
        out.stdout
    );
    insta::assert_snapshot!(tail(&out.stdout));
    assert_eq!(merged(&test).merged.unwrap().missing, [2]);
}

#[test]
fn a_shard_500_ms_late_makes_the_merge_inconclusive() {
    let home = tempfile::tempdir().unwrap();
    let test = write_shards(home.path(), &[0, 1, 2, 3]);
    // The test sets the offset the shard would have measured had it
    // started 500 ms after the agreed instant.
    let json = test.join("shard-3-of-4/report.json");
    let mut late: Report = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    late.shard.as_mut().unwrap().start_offset_us = 500_000;
    late.write_to(json.parent().unwrap()).unwrap();
    let out = run(
        &mut cargo_spike(home.path(), &["merge", "sharded", "--max-skew-ms", "200"]),
        home.path(),
    );
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("shard 3/4 started 500 ms after SPIKE_START_AT; the bound is 200 ms"),
        "{}",
        out.stdout
    );
}

#[test]
fn folders_that_are_not_shards_of_one_run_are_errors() {
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join("empty")).unwrap();
    let out = run(
        &mut cargo_spike(home.path(), &["merge", "empty"]),
        home.path(),
    );
    assert_eq!(out.code, 2);
    insta::assert_snapshot!(out.stderr);
    let out = run(
        &mut cargo_spike(home.path(), &["merge", "nothing-here"]),
        home.path(),
    );
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("no spike test `nothing-here`"),
        "{}",
        out.stderr
    );
    // The same shard twice, from two homes: no common folder, and with
    // --out the merge refuses a duplicate shard.
    let other = tempfile::tempdir().unwrap();
    let a = write_shards(home.path(), &[0]).join("shard-0-of-4");
    let b = write_shards(other.path(), &[0]).join("shard-0-of-4");
    let args = ["merge", a.to_str().unwrap(), b.to_str().unwrap()];
    let out = run(&mut cargo_spike(home.path(), &args), home.path());
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("--out"), "{}", out.stderr);
    let out_dir = home.path().join("out");
    let mut cmd = cargo_spike(home.path(), &args);
    cmd.arg("--out").arg(&out_dir);
    let out = run(&mut cmd, home.path());
    assert_eq!(out.code, 2, "{}", out.stdout);
    assert!(
        !out_dir.join("report.json").exists(),
        "nothing written on an error"
    );
    // Which of the two is named first follows the temporary folders' names.
    assert!(
        out.stderr.contains("both claim shard 0/4"),
        "{}",
        out.stderr
    );
}

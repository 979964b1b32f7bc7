//! `cargo spike compare` and `cargo spike accept`, on real spike outputs
//! in a temporary spike home. The latency figures are set by the test, so
//! which metrics regress follows from the default bands (±50% and ±5 ms,
//! no machine-noise allowance at zero schedule lag): from 11 ms to 40 ms
//! at p99 regresses, from 11 ms to 12 ms does not.

mod common;

use std::path::Path;

use common::{cargo_spike, fixture, json, run, steady, write_baseline, write_run, Numbers};

/// `checkout`: last run p99 40 ms (at 10:01), baseline `main` p99 11 ms
/// (at 10:00), baseline `v1` p99 12 ms (at 10:00).
fn checkout(home: &Path) {
    let base = steady();
    write_run(
        home,
        "checkout",
        &fixture(
            base,
            "checkout",
            &Numbers::new(60_000, 40_000),
            &[("latency p99", true)],
        ),
    );
    write_baseline(
        home,
        "checkout",
        "main",
        &fixture(base, "checkout", &Numbers::new(0, 11_000), &[]),
    );
    write_baseline(
        home,
        "checkout",
        "v1",
        &fixture(base, "checkout", &Numbers::new(0, 12_000), &[]),
    );
}

#[test]
fn compare_a_regression_prints_the_gate_s_table_and_exits_1() {
    let home = tempfile::tempdir().unwrap();
    checkout(home.path());
    let out = run(
        &mut cargo_spike(home.path(), &["compare", "checkout@main", "checkout"]),
        home.path(),
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    insta::assert_snapshot!(out.stdout);
    // The same run given by its folder and the baseline by its report.json.
    let a = home.path().join("checkout/baselines/main/report.json");
    let b = home.path().join("checkout");
    let by_path = run(
        &mut cargo_spike(
            home.path(),
            &["compare", a.to_str().unwrap(), b.to_str().unwrap()],
        ),
        home.path(),
    );
    assert_eq!(by_path.code, 1);
    let rows = |s: &str| s.lines().skip(1).take(7).collect::<Vec<_>>().join("\n");
    assert_eq!(rows(&by_path.stdout), rows(&out.stdout));
}

#[test]
fn compare_unchanged_runs_exits_0() {
    let home = tempfile::tempdir().unwrap();
    checkout(home.path());
    let out = run(
        &mut cargo_spike(home.path(), &["compare", "checkout@main", "checkout@v1"]),
        home.path(),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    insta::assert_snapshot!(out.stdout);
}

#[test]
fn compare_an_inconclusive_run_fails_unless_allowed() {
    let home = tempfile::tempdir().unwrap();
    checkout(home.path());
    let mut lagging = fixture(steady(), "checkout", &Numbers::new(120_000, 12_000), &[]);
    lagging.generator.dropped = 3;
    lagging.generator.saturated = true;
    write_run(home.path(), "checkout", &lagging);
    let out = run(
        &mut cargo_spike(home.path(), &["compare", "checkout@main", "checkout"]),
        home.path(),
    );
    assert_eq!(out.code, 1);
    assert!(out.stdout.contains("INCONCLUSIVE"), "{}", out.stdout);
    let allowed = run(
        &mut cargo_spike(
            home.path(),
            &[
                "compare",
                "checkout@main",
                "checkout",
                "--allow-inconclusive",
            ],
        ),
        home.path(),
    );
    assert_eq!(allowed.code, 0, "{}", allowed.stdout);
}

#[test]
fn compare_an_unknown_baseline_names_the_saved_ones() {
    let home = tempfile::tempdir().unwrap();
    checkout(home.path());
    let out = run(
        &mut cargo_spike(home.path(), &["compare", "checkout@mian", "checkout"]),
        home.path(),
    );
    assert_eq!(out.code, 2);
    insta::assert_snapshot!(out.stderr);
}

/// `accept checkout` answering `answer`: exit code and output, and whether
/// the baseline `main` now holds the run.
fn accept_answering(answer: &str) -> (common::Printed, bool, bool) {
    let home = tempfile::tempdir().unwrap();
    checkout(home.path());
    let run_dir = home.path().join("checkout");
    let main = run_dir.join("baselines/main");
    let before = json(&main);
    assert_ne!(before, json(&run_dir));
    let run_before = json(&run_dir);
    let out = run(
        cargo_spike(home.path(), &["accept", "checkout"]).write_stdin(answer),
        home.path(),
    );
    assert_eq!(
        json(&run_dir),
        run_before,
        "the run itself is never changed"
    );
    let promoted = json(&main) == json(&run_dir);
    let kept = json(&main) == before;
    (out, promoted, kept)
}

#[test]
fn accept_a_promotes_the_run_with_all_its_files() {
    let home = tempfile::tempdir().unwrap();
    checkout(home.path());
    let run_dir = home.path().join("checkout");
    let main = run_dir.join("baselines/main");
    let out = run(
        cargo_spike(home.path(), &["accept", "checkout"]).write_stdin("a\n"),
        home.path(),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    insta::assert_snapshot!(out.stdout);
    for file in ["report.json", "report.html", "timeline.csv", "latency.hlog"] {
        assert_eq!(
            std::fs::read(main.join(file)).unwrap(),
            std::fs::read(run_dir.join(file)).unwrap(),
            "{file}"
        );
    }
    // Only the run's files: no folder (baselines, shards) was copied, and
    // no temporary folder is left beside the baseline.
    let mut inside: Vec<String> = std::fs::read_dir(&main)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    inside.sort();
    assert_eq!(
        inside,
        [
            "histograms.hlog",
            "latency.hlog",
            "report.html",
            "report.json",
            "timeline.csv"
        ]
    );
    let mut saved: Vec<String> = std::fs::read_dir(run_dir.join("baselines"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    saved.sort();
    assert_eq!(saved, ["main", "v1"]);
    // Accepted: the run is no longer newer than `main`; nothing left to do.
    let again = run(&mut cargo_spike(home.path(), &["accept"]), home.path());
    assert_eq!(
        (again.code, again.stdout.as_str()),
        (
            0,
            "nothing to accept: no run under [HOME] is newer than its baseline `main`\n"
        )
    );
}

#[test]
fn accept_r_keeps_the_baseline() {
    let (out, promoted, kept) = accept_answering("r\n");
    assert_eq!(out.code, 0);
    assert!(kept && !promoted);
    insta::assert_snapshot!(out.stdout.split("[a/r/s] ").nth(1).unwrap());
}

#[test]
fn accept_s_skips_and_the_end_of_input_skips_too() {
    let (out, promoted, kept) = accept_answering("s\n");
    assert_eq!(out.code, 0);
    assert!(kept && !promoted);
    insta::assert_snapshot!(out.stdout.split("[a/r/s] ").nth(1).unwrap());
    let (out, promoted, kept) = accept_answering("");
    assert!(kept && !promoted);
    assert!(out
        .stdout
        .ends_with("accepted 0, rejected 0, skipped 1, refused 0 (baseline `main`)\n"));
    // A wrong answer is asked again.
    let (out, promoted, _) = accept_answering("x\na\n");
    assert!(promoted, "{}", out.stdout);
    assert!(out.stdout.contains("`x`: answer a, r or s"));
}

#[test]
fn accept_yes_promotes_every_newer_run_and_only_those() {
    let home = tempfile::tempdir().unwrap();
    checkout(home.path());
    let base = steady();
    // No baseline yet.
    write_run(
        home.path(),
        "login",
        &fixture(base, "login", &Numbers::new(60_000, 9_000), &[]),
    );
    // Its baseline is newer than its run: not offered.
    write_run(
        home.path(),
        "browse",
        &fixture(base, "browse", &Numbers::new(0, 9_000), &[]),
    );
    let browse_main = write_baseline(
        home.path(),
        "browse",
        "main",
        &fixture(base, "browse", &Numbers::new(60_000, 8_000), &[]),
    );
    let browse_before = json(&browse_main);
    let out = run(
        &mut cargo_spike(home.path(), &["accept", "--yes"]),
        home.path(),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    insta::assert_snapshot!(out.stdout);
    for test in ["checkout", "login"] {
        let dir = home.path().join(test);
        assert_eq!(json(&dir.join("baselines/main")), json(&dir), "{test}");
    }
    assert_eq!(json(&browse_main), browse_before);
    // `--baseline` names another baseline: `v1` of checkout is older too.
    let out = run(
        &mut cargo_spike(
            home.path(),
            &["accept", "checkout", "--yes", "--baseline", "v1"],
        ),
        home.path(),
    );
    assert_eq!(out.code, 0);
    let dir = home.path().join("checkout");
    assert_eq!(json(&dir.join("baselines/v1")), json(&dir));
    // A name that is not one folder is refused before anything is written.
    let out = run(
        &mut cargo_spike(home.path(), &["accept", "--yes", "--baseline", ".."]),
        home.path(),
    );
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("invalid baseline name \"..\""),
        "{}",
        out.stderr
    );
}

#[test]
fn accept_refuses_an_inconclusive_run_unless_forced() {
    let home = tempfile::tempdir().unwrap();
    let mut search = fixture(steady(), "search", &Numbers::new(60_000, 9_000), &[]);
    search.generator.dropped = 12;
    search.generator.saturated = true;
    write_run(home.path(), "search", &search);
    let main = home.path().join("search/baselines/main");
    let out = run(
        &mut cargo_spike(home.path(), &["accept", "--yes"]),
        home.path(),
    );
    assert_eq!(out.code, 1);
    insta::assert_snapshot!(out.stdout);
    assert!(!main.exists());
    let out = run(
        &mut cargo_spike(home.path(), &["accept", "--yes", "--force"]),
        home.path(),
    );
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert_eq!(json(&main), json(&home.path().join("search")));
}

#[test]
fn accept_an_unknown_test_suggests_the_close_names() {
    let home = tempfile::tempdir().unwrap();
    checkout(home.path());
    let out = run(
        &mut cargo_spike(home.path(), &["accept", "checkot"]),
        home.path(),
    );
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        "error: no spike test `checkot` under [HOME]; did you mean `checkout`?\n"
    );
}

//! `cargo spike list` and `cargo spike show`, on real spike outputs in a
//! temporary spike home.

mod common;

use std::path::Path;

use common::{aborted, cargo_spike, fixture, run, steady, write_baseline, write_run, Numbers};

/// A home with one test per verdict, a saved baseline, an attempt set
/// aside and a shard folder (neither of which is a test).
fn home_with_every_verdict(home: &Path) {
    let base = steady();
    let checkout = fixture(
        base,
        "checkout",
        &Numbers::new(60_000, 12_000),
        &[("latency p99", true), ("error rate", true)],
    );
    write_run(home, "checkout", &checkout);
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
        &fixture(base, "checkout", &Numbers::new(0, 11_000), &[]),
    );
    let mut login_numbers = Numbers::new(120_000, 80_000);
    login_numbers.error_rate = 0.025;
    write_run(
        home,
        "login",
        &fixture(
            base,
            "login",
            &login_numbers,
            &[("latency p99", false), ("error rate", true)],
        ),
    );
    let mut search = fixture(
        base,
        "search",
        &Numbers::new(180_000, 9_000),
        &[("latency p99", true)],
    );
    search.generator.dropped = 12;
    search.generator.saturated = true;
    write_run(home, "search", &search);
    let mut upload = fixture(aborted(), "upload", &Numbers::new(240_000, 3_000), &[]);
    upload.total.error_rate = 1.0;
    write_run(home, "upload", &upload);
    write_run(
        home,
        "browse",
        &fixture(base, "browse", &Numbers::new(300_000, 4_000), &[]),
    );
    // Not tests: an attempt set aside and one shard's output.
    write_run(home, "checkout.attempt-1", &checkout);
    write_run(home, "checkout/shard-0-of-2", &checkout);
}

#[test]
fn list_prints_one_line_per_test_with_its_verdict() {
    let home = tempfile::tempdir().unwrap();
    home_with_every_verdict(home.path());
    let out = run(&mut cargo_spike(home.path(), &["list"]), home.path());
    assert_eq!(out.code, 0, "{}", out.stderr);
    insta::assert_snapshot!(out.stdout);
    // `cargo spike list` passes `spike` first: the same output.
    let via_cargo = run(
        &mut cargo_spike(home.path(), &["spike", "list"]),
        home.path(),
    );
    assert_eq!(via_cargo.stdout, out.stdout);
}

#[test]
fn list_says_when_there_is_nothing() {
    let home = tempfile::tempdir().unwrap();
    let out = run(&mut cargo_spike(home.path(), &["list"]), home.path());
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "no spike runs under [HOME]\n")
    );
    let missing = home.path().join("nowhere");
    let out = run(&mut cargo_spike(&missing, &["list"]), home.path());
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (
            0,
            "no spike runs: [HOME]/nowhere does not exist (run your spike tests first)\n"
        )
    );
}

#[test]
fn show_prints_the_summary_the_checks_and_the_files() {
    let home = tempfile::tempdir().unwrap();
    home_with_every_verdict(home.path());
    let out = run(
        &mut cargo_spike(home.path(), &["show", "login"]),
        home.path(),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    // The summary is the report's own `Display`, of the report on disk.
    let on_disk: spike_core::Report =
        serde_json::from_slice(&common::json(&home.path().join("login"))).unwrap();
    let summary = on_disk.to_string();
    assert!(
        out.stdout.starts_with(&format!("{summary}\n")),
        "{}",
        out.stdout
    );
    insta::assert_snapshot!(out.stdout.replacen(&summary, "[summary]", 1));
}

#[test]
fn show_lists_baselines_shards_and_attempts() {
    let home = tempfile::tempdir().unwrap();
    home_with_every_verdict(home.path());
    let out = run(
        &mut cargo_spike(home.path(), &["show", "checkout"]),
        home.path(),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let tail = out.stdout.split("files in").nth(1).expect("a files part");
    insta::assert_snapshot!(tail);
}

#[test]
fn show_open_hands_report_html_to_the_browser() {
    let home = tempfile::tempdir().unwrap();
    home_with_every_verdict(home.path());
    // A "browser" that records the page it was asked to open.
    let script = home.path().join("browser.sh");
    let record = home.path().join("opened.txt");
    std::fs::write(
        &script,
        format!("#!/bin/sh\nprintf '%s' \"$1\" > '{}'\n", record.display()),
    )
    .unwrap();
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&script)
        .status()
        .unwrap();
    let out = run(
        cargo_spike(home.path(), &["show", "browse", "--open"]).env("BROWSER", &script),
        home.path(),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let page = home.path().join("browse").join("report.html");
    assert_eq!(
        std::fs::read_to_string(&record).unwrap(),
        page.display().to_string()
    );
    assert!(
        out.stdout.ends_with("opened [HOME]/browse/report.html\n"),
        "{}",
        out.stdout
    );
    // A browser that fails is an error, exit 2.
    let out = run(
        cargo_spike(home.path(), &["show", "browse", "--open"]).env("BROWSER", "false"),
        home.path(),
    );
    assert_eq!(out.code, 2);
    insta::assert_snapshot!(out.stderr);
}

#[test]
fn an_unknown_test_is_an_error_with_the_close_names() {
    let home = tempfile::tempdir().unwrap();
    home_with_every_verdict(home.path());
    let out = run(
        &mut cargo_spike(home.path(), &["show", "chekout"]),
        home.path(),
    );
    assert_eq!((out.code, out.stdout.as_str()), (2, ""));
    insta::assert_snapshot!(out.stderr);
    let out = run(&mut cargo_spike(home.path(), &["show", "zzz"]), home.path());
    assert_eq!(out.code, 2);
    insta::assert_snapshot!(out.stderr);
}

#[test]
fn help_and_readme_give_the_same_exit_codes() {
    let home = tempfile::tempdir().unwrap();
    let out = run(&mut cargo_spike(home.path(), &["--help"]), home.path());
    assert_eq!(out.code, 0);
    let in_help = out
        .stdout
        .split("Exit codes:\n")
        .nth(1)
        .expect("an exit-code list");
    let readme = include_str!("../README.md");
    let in_readme = readme
        .split("## Exit codes\n\n```text\n")
        .nth(1)
        .and_then(|s| s.split("```").next())
        .expect("the README's exit-code block");
    assert_eq!(in_help, in_readme);
    assert!(in_help.contains("  1  compare: the regression gate fails"));
}

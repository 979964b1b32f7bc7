//! End to end: `cargo test` on `tests/fixtures/user-crate`, a crate outside
//! this workspace that depends on `spike` by path and declares `spike = []`,
//! the way another repository would.
//!
//! Without `--features spike` its spike tests are ignored with the hint; with
//! it the passing one passes, the failing one fails with the assertion table
//! and the report path, the `#[ignore]`d one stays ignored, and `report.json`
//! files exist on disk. The normalised output is pinned with insta.
//!
//! The fixture builds into `<target>/tmp/user-crate` (incremental across
//! runs) with the workspace's `Cargo.lock` copied in, so it resolves the same
//! dependency versions as the workspace.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/user-crate")
}

fn fixture_target_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("user-crate")
}

/// `cargo test --lib [extra args] -- --test-threads=1` on the fixture.
fn cargo_test(extra: &[&str]) -> Output {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(fixture_dir())
        .arg("test")
        .arg("--lib")
        .args(extra)
        .args(["--", "--test-threads=1"])
        .env("CARGO_TARGET_DIR", fixture_target_dir())
        .env("CARGO_TERM_COLOR", "never")
        .env("RUST_BACKTRACE", "0")
        .env_remove("SPIKE_HOME")
        .env_remove("SPIKE_SCALE")
        .env_remove("SPIKE_TIME_SCALE")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS");
    cmd.output().expect("cargo runs")
}

/// What the snapshot shows: the exit status, libtest's output, and every
/// `warning:` / `error:` line cargo printed (so an `unexpected_cfgs` warning
/// in the user crate would show up here).
fn transcript(args: &str, out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let diagnostics: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("warning") || l.starts_with("error"))
        .collect();
    let text = format!(
        "$ cargo test --lib{args} -- --test-threads=1\nsuccess: {}\n\n--- stdout\n{}\n--- cargo warnings and errors\n{}\n",
        out.status.success(),
        stdout.trim_end(),
        diagnostics.join("\n"),
    );
    text.replace(&fixture_target_dir().display().to_string(), "[TARGET]")
}

fn read_report(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{} must exist: {e}", path.display()));
    serde_json::from_str(&text).expect("report.json is JSON")
}

#[test]
fn spike_tests_in_a_user_crate() {
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.lock"),
        fixture_dir().join("Cargo.lock"),
    )
    .expect("copy the workspace lock file into the fixture");
    let artifacts = fixture_target_dir().join("spike");
    if artifacts.exists() {
        std::fs::remove_dir_all(&artifacts).expect("clear old artifacts");
    }

    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    for (pattern, replacement) in [
        // libtest's thread ids and timings.
        (r"thread '([^']+)' \(\d+\)", "thread '$1'"),
        (r"finished in \d+(\.\d+)?s", "finished in [TIME]"),
        // Measured numbers in the report summary and the check table.
        (r"\d+(\.\d+)?(ns|µs|ms|s)\b", "[DUR]"),
        (r"\d+(\.\d+)?/s\b", "[RATE]/s"),
        (r"max in flight \d+/", "max in flight [N]/"),
        (r"pacer CPU \d+(\.\d+)?%", "pacer CPU [PCT]"),
        // Column widths follow the numbers: keep the columns, not the padding.
        (r" {3,}", "  "),
    ] {
        settings.add_filter(pattern, replacement);
    }
    let _bound = settings.bind_to_scope();

    let off = cargo_test(&[]);
    insta::assert_snapshot!("user_crate_without_feature", transcript("", &off));
    assert!(off.status.success());
    assert!(
        !artifacts.exists(),
        "ignored spike tests must not write reports"
    );

    let on = cargo_test(&["--features", "spike"]);
    insta::assert_snapshot!(
        "user_crate_with_feature",
        transcript(" --features spike", &on)
    );
    assert!(
        !on.status.success(),
        "the failing spike test must fail the run"
    );

    let passing = read_report(&artifacts.join("tests__passing/prices/report.json"));
    assert_eq!(passing["scenario"], "prices");
    assert_eq!(passing["total"]["completed"], 15);
    assert_eq!(passing["total"]["errors"], 0);
    let failing = read_report(&artifacts.join("tests__failing/prices/report.json"));
    assert_eq!(failing["total"]["completed"], 15);
    assert_eq!(failing["total"]["errors"], 3);
    assert!(
        !artifacts.join("tests__nightly_only").exists(),
        "an #[ignore]d spike test must not run"
    );
}

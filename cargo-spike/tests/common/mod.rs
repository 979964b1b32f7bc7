//! Fixtures for the `cargo spike` tests: real spike outputs. One small run
//! of an in-process workload (and one aborted run) per test binary, made
//! through spike-core and written with `spike_core::artifacts::write_all`
//! into a temporary spike home. The numbers the snapshots show are set by
//! the test on a copy of the real report (latency percentiles, error rate,
//! throughput, start time, checks), so the text is deterministic and the
//! expected gate verdicts follow from arithmetic on them.
#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use spike_core::abort::{Abort, WindowCheck};
use spike_core::run_lock::RunLock;
use spike_core::Check;
use spike_core::{ms, pct, rps, Ctx, IterError, Report, Scenario, Shape};

/// 2026-12-01T10:00:00Z, in ms since the Unix epoch (1_796_119_200 s, by
/// `date -u -d 2026-12-01T10:00:00Z +%s`).
pub const T0_MS: u64 = 1_796_119_200_000;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .expect("runtime")
}

fn shape() -> Shape {
    Shape::builder().hold(rps(50), ms(1_000)).build().unwrap()
}

/// A real run: 50 iterations per second for 1 s of a workload that sleeps
/// 2 ms.
pub fn steady() -> &'static Report {
    static REPORT: OnceLock<Report> = OnceLock::new();
    REPORT.get_or_init(|| {
        let _lock = RunLock::exclusive();
        runtime()
            .block_on(Scenario::new("fixture").shape(shape()).window(ms(100)).run(
                |_ctx: Ctx| async {
                    tokio::time::sleep(Duration::from_millis(2)).await;
                    Ok::<(), IterError>(())
                },
            ))
            .expect("the fixture run")
    })
}

/// A real aborted run: every iteration fails, and the rule "error rate
/// above 50% for 2 windows" stops it at the second window.
pub fn aborted() -> &'static Report {
    static REPORT: OnceLock<Report> = OnceLock::new();
    REPORT.get_or_init(|| {
        let _lock = RunLock::exclusive();
        let report = runtime()
            .block_on(
                Scenario::new("fixture-aborted")
                    .shape(shape())
                    .window(ms(100))
                    .abort_when(Abort::when(WindowCheck::error_rate_above(pct(50))).for_windows(2))
                    .run(|_ctx: Ctx| async { Err::<(), _>(IterError::new("broken")) }),
            )
            .expect("the aborted fixture run");
        assert!(
            report.aborted.is_some(),
            "every window failed: the rule fired"
        );
        report
    })
}

/// The numbers a fixture shows.
#[derive(Debug, Clone)]
pub struct Numbers {
    /// Start, ms after [`T0_MS`].
    pub after_ms: u64,
    /// p50, p95, p99 in µs.
    pub p: [u64; 3],
    /// Error rate, a fraction.
    pub error_rate: f64,
    /// Completions per second.
    pub throughput: f64,
}

impl Numbers {
    pub fn new(after_ms: u64, p99_us: u64) -> Self {
        Numbers {
            after_ms,
            p: [p99_us / 2, p99_us * 4 / 5, p99_us],
            error_rate: 0.0,
            throughput: 50.0,
        }
    }
}

/// `base` renamed `name`, with these numbers and checks, and a generator
/// that kept its schedule (no lag, nothing dropped): conclusive.
pub fn fixture(base: &Report, name: &str, n: &Numbers, checks: &[(&str, bool)]) -> Report {
    let mut r = base.clone();
    r.scenario = name.to_owned();
    r.environment.started_at_unix_ms = T0_MS + n.after_ms;
    r.total.latency.p50_us = n.p[0];
    r.total.latency.p95_us = n.p[1];
    r.total.latency.p99_us = n.p[2];
    r.total.error_rate = n.error_rate;
    r.total.throughput = n.throughput;
    r.generator.schedule_lag.p99_us = 0;
    r.generator.dropped = 0;
    r.generator.saturated = false;
    r.generator.abandoned = 0;
    r.interrupted = None;
    r.checks = checks
        .iter()
        .map(|(what, passed)| Check {
            check: (*what).to_owned(),
            scope: "run".to_owned(),
            expected: "below 50.0ms".to_owned(),
            actual: if *passed { "10.0ms" } else { "80.0ms" }.to_owned(),
            passed: *passed,
        })
        .collect();
    r.artifacts = None;
    r
}

/// Write `report` as the last run of the test folder `name` under `home`.
pub fn write_run(home: &Path, name: &str, report: &Report) -> PathBuf {
    let dir = home.join(name);
    let mut r = report.clone();
    r.artifacts = Some(dir.clone());
    spike_core::artifacts::write_all(&r, &dir).expect("artifacts written");
    dir
}

/// Write `report` as the baseline `baseline` of the test folder `name`.
pub fn write_baseline(home: &Path, name: &str, baseline: &str, report: &Report) -> PathBuf {
    let dir = home.join(name).join("baselines").join(baseline);
    let mut r = report.clone();
    r.artifacts = Some(dir.clone());
    spike_core::artifacts::write_all(&r, &dir).expect("baseline written");
    dir
}

/// `cargo-spike <args> --home <home>`, with no spike variable inherited.
pub fn cargo_spike(home: &Path, args: &[&str]) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::new(env!("CARGO_BIN_EXE_cargo-spike"));
    cmd.args(args).arg("--home").arg(home);
    for var in [
        "SPIKE_HOME",
        "SPIKE_BASELINE",
        "SPIKE_SAVE_BASELINE",
        "BROWSER",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

/// What a command printed, with the home replaced by `[HOME]`.
#[derive(Debug)]
pub struct Printed {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn run(cmd: &mut assert_cmd::Command, home: &Path) -> Printed {
    let out = cmd.output().expect("cargo-spike runs");
    let home = home.display().to_string();
    let clean = |b: &[u8]| String::from_utf8_lossy(b).replace(&home, "[HOME]");
    Printed {
        code: out.status.code().expect("an exit code"),
        stdout: clean(&out.stdout),
        stderr: clean(&out.stderr),
    }
}

/// The bytes of a run's or baseline's `report.json`.
pub fn json(dir: &Path) -> Vec<u8> {
    std::fs::read(dir.join("report.json")).expect("report.json")
}

//! A sharded run simulated on this machine (issue 14): four shard processes
//! on 127.0.0.1 drive one target, the merge step merges their outputs, and
//! the merged report is that of one generator.
//!
//! The parent test starts the demo service (every answer takes its 5 ms of
//! work, rounded up to tokio's 1 ms tick, plus HTTP overhead) and runs the
//! spike test [`shard_sim_child`] of this binary as child processes:
//!
//! * four shards (`SPIKE_SHARD=i/4`, or `SPIKE_SHARD_COUNT=4` with
//!   `JOB_COMPLETION_INDEX=i` as a Kubernetes Indexed Job sets them), one
//!   agreed `SPIKE_START_AT` about 2 s ahead, one shared `SPIKE_HOME`;
//! * the merge step (`SPIKE_MERGE=1`, same `SPIKE_HOME`);
//! * one single-process run of the same shape, for the per-window counts.
//!
//! The truth comes from outside the merge: the counts per window are the
//! integral of the rate (arithmetic here), the percentiles are those of one
//! histogram this test fills with every logged sample of the four shards
//! (read with the `hdrhistogram` crate's own interval-log reader), and the
//! median latency lies between the service's 5 ms of work and a stated
//! overhead margin.
//!
//! The run lock: the parent holds the machine's lock for the whole test.
//! The children's `#[spike_test]` harness locks `spike-run.lock` in their
//! temporary folder ([`spike::run_lock::RunLock::path`], `$TMPDIR`), so
//! they get a `TMPDIR` of this test's own: they never wait for the parent's
//! machine-wide lock, and they take that private lock shared
//! (`exclusive = false`) because the four shards are meant to overlap.
#![cfg(feature = "http")]

#[path = "../spike-core/tests/common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use hdrhistogram::serialization::interval_log::{IntervalLogIterator, LogEntry};
use hdrhistogram::serialization::Deserializer;
use hdrhistogram::Histogram;
use spike::demo::DemoService;
use spike::http::Http;
use spike::prelude::*;
use spike::Report;

/// The child spike test, by name (its scenario and artifact folder too).
const CHILD: &str = "shard_sim_child";
/// The target's URL; without it the child returns at once.
const TARGET_VAR: &str = "SHARD_SIM_TARGET";
const SHARDS: u32 = 4;
/// The service's work per request (a lower bound of every latency).
const WORK: Duration = Duration::from_millis(5);
/// What the HTTP round trip, four generator processes and the service may
/// add to the median on a loaded 2-core machine with a debug build.
const OVERHEAD: Duration = Duration::from_millis(20);
/// How far ahead of the launch the agreed start lies (the processes must
/// be up and waiting by then).
const LEAD: Duration = Duration::from_secs(2);
/// How late the late shard is launched after the agreed start.
const LATE: Duration = Duration::from_millis(500);

/// 850 iterations in 3 s: a ramp to 200 rps, a hold, a burst to 800 rps
/// and the recovery at 200 rps; 250 ms windows.
fn shape() -> Shape {
    Shape::builder()
        .ramp(rps(200), ms(500))
        .hold(rps(200), ms(500))
        .burst(rps(800), ms(500))
        .recover(rps(200), ms(1500))
        .build()
        .unwrap()
}

const WINDOW_MS: f64 = 250.0;

/// The rate of [`shape`] at `t` seconds, written by hand.
fn rate(t: f64) -> f64 {
    match t {
        t if t < 0.5 => 400.0 * t,
        t if t < 1.0 => 200.0,
        t if t < 1.5 => 800.0,
        _ => 200.0,
    }
}

/// Iterations due in [a, b) seconds: the integral of [`rate`], numerically.
fn integral(a: f64, b: f64) -> f64 {
    let steps = 10_000;
    let h = (b - a) / f64::from(steps);
    (0..steps)
        .map(|i| rate(a + (f64::from(i) + 0.5) * h) * h)
        .sum()
}

/// The spike test every child process runs: a shard, the merge step or a
/// plain run, as its environment says. Checks on a shard are recorded, not
/// enforced (the verdict belongs to the merged report).
#[spike_test(exclusive = false)]
async fn shard_sim_child() {
    let Ok(url) = std::env::var(TARGET_VAR) else {
        return;
    };
    let http = Http::builder(url).build().unwrap();
    let report = Scenario::default()
        .shape(shape())
        .window(ms(250))
        .run(http.get("/work"))
        .await
        .unwrap();
    println!(
        "CHILD shard={:?} merged={} completed={} p99={}us",
        report.shard.map(|s| s.index),
        report.merged.is_some(),
        report.total.completed,
        report.total.latency.p99_us
    );
    expect(&report)
        .error_rate()
        .below(pct(0.1))
        .p99()
        .below(ms(500))
        .verify();
}

/// One test run's folders: its spike homes and its private lock folder.
struct Scratch {
    root: PathBuf,
    target: String,
}

impl Scratch {
    fn new(target: String) -> Self {
        let root = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("shard-processes-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("tmp")).unwrap();
        Scratch { root, target }
    }

    fn home(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    /// The child test as a process with `SPIKE_HOME=home` and `vars`.
    fn child(&self, home: &Path, vars: &[(&str, String)]) -> Child {
        let mut cmd = Command::new(std::env::current_exe().expect("this test binary"));
        cmd.args([CHILD, "--exact", "--include-ignored", "--nocapture"])
            .env("SPIKE_HOME", home)
            .env("TMPDIR", self.root.join("tmp"))
            .env(TARGET_VAR, &self.target)
            .env("SPIKE_PROGRESS", "0")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        for var in spike::shard::env::ALL.iter().chain(&[
            "CI",
            "SPIKE_SCALE",
            "SPIKE_TIME_SCALE",
            "SPIKE_BASELINE",
            "SPIKE_SAVE_BASELINE",
            "SPIKE_BASELINE_STRICT",
        ]) {
            if *var != "SPIKE_HOME" {
                cmd.env_remove(var);
            }
        }
        cmd.envs(vars.iter().map(|(k, v)| (k, v)));
        cmd.spawn().expect("start the child test")
    }

    /// Start the child with `vars` and wait for it.
    fn run(&self, home: &Path, vars: &[(&str, String)]) -> Output {
        self.child(home, vars).wait_with_output().unwrap()
    }
}

fn text(o: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// `SPIKE_START_AT` for `at`: Unix seconds with a fraction.
fn start_at(at: SystemTime) -> String {
    let d = at.duration_since(UNIX_EPOCH).unwrap();
    format!("{}.{:06}", d.as_secs(), d.subsec_micros())
}

/// Shard `i`'s variables: `SPIKE_SHARD=i/4` for shards 0 and 2, the Indexed
/// Job's pair for 1 and 3.
fn shard_vars(i: u32, at: &str) -> Vec<(&'static str, String)> {
    let mut vars = vec![("SPIKE_START_AT", at.to_owned())];
    if i.is_multiple_of(2) {
        vars.push(("SPIKE_SHARD", format!("{i}/{SHARDS}")));
    } else {
        vars.push(("SPIKE_SHARD_COUNT", SHARDS.to_string()));
        vars.push(("JOB_COMPLETION_INDEX", i.to_string()));
    }
    vars
}

fn artifacts(home: &Path) -> PathBuf {
    home.join(spike::folder_name(CHILD))
}

fn report_in(dir: &Path) -> Report {
    let path = dir.join("report.json");
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap()
}

/// Launch shards `0..4` into `home` with the agreed start `at`; shard
/// `late`, if any, only once `at + LATE` has passed. Wait for them all.
/// Returns the wall-clock instant the late shard was launched.
fn shard_set(s: &Scratch, home: &Path, late: Option<u32>) -> Option<SystemTime> {
    let at = SystemTime::now() + LEAD;
    let text_at = start_at(at);
    let mut children: Vec<(u32, Child)> = (0..SHARDS)
        .filter(|i| Some(*i) != late)
        .map(|i| (i, s.child(home, &shard_vars(i, &text_at))))
        .collect();
    let launched = late.map(|i| {
        let when = at + LATE;
        std::thread::sleep(when.duration_since(SystemTime::now()).unwrap_or_default());
        let now = SystemTime::now();
        children.push((i, s.child(home, &shard_vars(i, &text_at))));
        now
    });
    for (i, c) in children {
        let out = c.wait_with_output().unwrap();
        assert!(out.status.success(), "shard {i}: {}", text(&out));
    }
    launched
}

/// The merge step over `home`: its output and merged report.
fn merge_step(s: &Scratch, home: &Path) -> (Output, Report) {
    let out = s.run(home, &[("SPIKE_MERGE", "1".to_owned())]);
    let report = report_in(&artifacts(home));
    (out, report)
}

/// Every interval of a log, read with the hdrhistogram crate's reader,
/// added into one histogram when its tag is an iteration's (not a named
/// request's, `request=...`).
fn add_iterations(sum: &mut Histogram<u64>, log: &Path) {
    use base64::{engine::general_purpose::STANDARD, Engine as _};
    let bytes = std::fs::read(log).unwrap();
    for entry in IntervalLogIterator::new(&bytes) {
        let LogEntry::Interval(i) = entry.unwrap() else {
            continue;
        };
        if i.tag().is_some_and(|t| t.as_str().starts_with("request=")) {
            continue;
        }
        let raw = STANDARD.decode(i.encoded_histogram()).unwrap();
        let h: Histogram<u64> = Deserializer::new().deserialize(&mut &raw[..]).unwrap();
        sum.add(&h).unwrap();
    }
}

/// One complete shard set and its merge, run again (as a whole) while the
/// merge is inconclusive because this machine was too busy (a shard started
/// past the bound, or lagged).
fn conclusive_set(s: &Scratch, home: &Path) -> (Output, Report) {
    common::until_conclusive(|| {
        let _ = std::fs::remove_dir_all(home);
        shard_set(s, home, None);
        let (out, merged) = merge_step(s, home);
        let info = merged.merged.clone().expect("a merged report");
        if !info.problems.is_empty() {
            let why: Vec<_> = info.problems.iter().map(|p| p.long.as_str()).collect();
            return Err(format!(
                "INCONCLUSIVE, not a wrong number: the shard set was not applied as planned \
                 on this busy machine: {}\n{}",
                why.join("; "),
                text(&out)
            ));
        }
        Ok((out, merged))
    })
}

#[test]
#[cfg_attr(
    not(feature = "spike"),
    ignore = "spike test: run with `cargo test --features spike`"
)]
fn four_shard_processes_merge_into_one_generators_report() {
    let began = Instant::now();
    let _lock = common::timing_lock();
    // The target's runtime (with I/O), beside the children's processes.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let demo = rt
        .block_on(DemoService::builder().capacity(64).work(WORK).start())
        .unwrap();
    let s = Scratch::new(demo.url());

    // 1. Four shard processes, then the merge step: it passes.
    let home = s.home("set");
    let (out, merged) = conclusive_set(&s, &home);
    assert!(out.status.success(), "{}", text(&out));
    let info = merged.merged.clone().unwrap();
    assert_eq!(info.count, SHARDS);
    assert_eq!(info.shards, [0, 1, 2, 3]);
    assert!(info.missing.is_empty());
    assert_eq!(info.max_skew_us, 25_000);
    assert!(
        info.start_offsets_us
            .iter()
            .all(|o| o.unsigned_abs() <= info.max_skew_us),
        "{info:?}"
    );
    assert!(
        text(&out).contains("CHILD shard=None merged=true completed=850"),
        "{}",
        text(&out)
    );
    assert!(merged.checks.len() >= 2, "{:?}", merged.checks);
    assert!(
        merged.checks.iter().all(|c| c.passed),
        "{:?}",
        merged.checks
    );

    // A single process, same shape, no shard variables.
    let single_home = s.home("single");
    let single = s.run(&single_home, &[]);
    assert!(single.status.success(), "{}", text(&single));
    let single = report_in(&artifacts(&single_home));
    assert!(single.shard.is_none() && single.merged.is_none());

    // Per window: the merged count is the single process's, exactly, and
    // both are the integral of the rate, ±1.
    assert_eq!(merged.windows.len(), 12);
    assert_eq!(single.windows.len(), merged.windows.len());
    for (m, one) in merged.windows.iter().zip(&single.windows) {
        assert_eq!(m.stats.scheduled, one.stats.scheduled, "window {}", m.index);
        let a = m.index as f64 * WINDOW_MS / 1000.0;
        let due = integral(a, a + WINDOW_MS / 1000.0);
        common::assert_close(
            &format!("window {}", m.index),
            m.stats.scheduled as f64,
            due,
            1.0,
        );
    }
    assert_eq!(merged.total.scheduled, 850);
    assert_eq!(merged.total.completed, 850);
    assert_eq!(merged.total.errors, 0, "{merged}");

    // Percentiles: one histogram fed every sample the shards logged.
    let mut every = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).unwrap();
    let shards = spike::merge::shard_dirs(&artifacts(&home)).unwrap();
    assert_eq!(shards.len(), 4);
    for dir in &shards {
        add_iterations(&mut every, &dir.join("latency.hlog"));
    }
    let lat = &merged.total.latency;
    assert_eq!(every.len(), 850);
    assert_eq!(
        (lat.p50_us, lat.p95_us, lat.p99_us),
        (
            every.value_at_quantile(0.5),
            every.value_at_quantile(0.95),
            every.value_at_quantile(0.99)
        )
    );
    // Truth by construction: every answer took the 5 ms of work.
    let work_us = WORK.as_micros() as u64;
    assert!(lat.min_us >= work_us, "{lat:?}");
    assert!(
        lat.p50_us <= work_us + OVERHEAD.as_micros() as u64,
        "{lat:?}"
    );

    // 2. Shard 2 missing: three of the four folders in another home.
    let partial = s.home("partial");
    let folder = artifacts(&partial);
    for dir in shards.iter().filter(|d| !d.ends_with("shard-2-of-4")) {
        copy_dir(dir, &folder.join(dir.file_name().unwrap()));
    }
    let (out, missing) = merge_step(&s, &partial);
    let said = text(&out);
    assert!(!out.status.success(), "{said}");
    assert_eq!(missing.merged.as_ref().unwrap().missing, [2]);
    assert!(said.contains("shard 2/4 is missing"), "{said}");
    assert!(said.contains("INCONCLUSIVE"), "{said}");

    // Shard 3 launched 500 ms after the agreed start: it starts at once,
    // late, by at least that much.
    let late_home = s.home("late");
    let launched = shard_set(&s, &late_home, Some(3)).unwrap();
    let ended = SystemTime::now();
    let (out, late) = merge_step(&s, &late_home);
    let said = text(&out);
    assert!(!out.status.success(), "{said}");
    let shard3 = report_in(&artifacts(&late_home).join("shard-3-of-4"))
        .shard
        .unwrap();
    let at_us = shard3.start_at_unix_us.unwrap();
    let launched_us = launched.duration_since(UNIX_EPOCH).unwrap().as_micros() as u64;
    // Measured here: it started after its launch, and early enough to run
    // the 3 s schedule before its process ended.
    let ended_us = ended.duration_since(UNIX_EPOCH).unwrap().as_micros() as u64;
    let run_us = shape().duration().as_micros() as u64;
    assert!(
        (launched_us - at_us..=ended_us - run_us - at_us)
            .contains(&(shard3.start_offset_us as u64)),
        "{shard3:?}, launched {launched_us}, ended {ended_us}"
    );
    let offset_ms = format!("{:.1}", shard3.start_offset_us as f64 / 1000.0);
    let offset_ms = offset_ms.strip_suffix(".0").unwrap_or(&offset_ms);
    let reason = format!("shard 3/4 started {offset_ms} ms after SPIKE_START_AT");
    assert!(said.contains(&reason), "{reason}\n{said}");
    assert!(said.contains("INCONCLUSIVE"), "{said}");
    assert!(
        late.merged
            .unwrap()
            .problems
            .iter()
            .any(|p| p.long.starts_with(&reason)),
        "{reason}"
    );

    eprintln!(
        "MEASURED offsets {:?} µs; merged p50/p95/p99 {}/{}/{} µs = reference; single run \
         p50/p99 {}/{} µs; late shard 3 offset {} µs; whole test {:?}",
        info.start_offsets_us,
        lat.p50_us,
        lat.p95_us,
        lat.p99_us,
        single.total.latency.p50_us,
        single.total.latency.p99_us,
        shard3.start_offset_us,
        began.elapsed()
    );
    drop(demo);
    let _ = std::fs::remove_dir_all(&s.root);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

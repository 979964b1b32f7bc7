//! Soak scenarios of issue 13 against REAL processes and the demo service,
//! on 127.0.0.1. Skipped unless the `spike` feature is on:
//! `cargo test --features spike,http --test soak_scenarios`.
//!
//! * A child process — this test binary re-executed as the test
//!   `soak_child_process`, serving the demo service on loopback — either
//!   leaks 2 MB/s (a `Vec` of touched 100 kB buffers, one every 50 ms) on
//!   top of a ±20 MB allocator sawtooth, or has the sawtooth alone (period
//!   drawn from 2–10 s, its buffers freed at each drop). spike loads it for
//!   30 s and samples its RSS, fds and threads once per second by pid: the
//!   leak must be flagged, the sawtooth not.
//! * The demo service in this process, with and without
//!   `leak_per_request`: the leaking endpoint is caught, the flat one
//!   passes (sampling this process).
//!
//! Each scenario runs once by default (about 30 s);
//! `SPIKE_TIME_SCALE=2` doubles every duration. The three real
//! runs each: `for i in 1 2 3; do cargo test --features spike,http --test
//! soak_scenarios -- --nocapture child; done` (each run prints its
//! verdicts). Children are killed on every path (a drop guard), and exit
//! by themselves when their parent's pipe closes.
#![cfg(feature = "http")]

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use spike::demo::DemoService;
use spike::http::Http;
use spike::prelude::*;
use spike::soak::{memory_points, memory_verdict, pid_series, MemoryVerdict, SoakCriteria};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Environment variable that turns `soak_child_process` into a target.
const CHILD_MODE: &str = "SPIKE_SOAK_CHILD";
/// Prefix of the line a child prints with its URL.
const URL_LINE: &str = "SPIKE_SOAK_URL=";
/// Leak of the leaking child: 100 kB every 50 ms = 2 MB/s.
const LEAK_CHUNK: usize = 100_000;
const TICK: Duration = Duration::from_millis(50);
/// Sawtooth amplitude: 0 → 40 MB, i.e. ±20 MB around its middle.
const SAW_PEAK: usize = 40_000_000;

/// Allocate `n` bytes with every page written, so they are resident.
fn touched(n: usize) -> Vec<u8> {
    let mut v = vec![0u8; n];
    for i in (0..n).step_by(4096) {
        v[i] = 1;
    }
    v
}

/// The child's body: the demo service on loopback, its URL on stdout, and
/// a memory pattern on a thread; exits when stdin closes (the parent is
/// gone) or after 10 minutes at most.
#[test]
fn soak_child_process() {
    let Ok(mode) = std::env::var(CHILD_MODE) else {
        return; // An ordinary run of the test binary: nothing to do.
    };
    let leak = mode == "leak";
    std::thread::spawn(|| {
        let mut sink = [0u8; 64];
        while std::io::stdin().read(&mut sink).is_ok_and(|n| n > 0) {}
        std::process::exit(0);
    });
    // The sawtooth's period, 2–10 s, from the clock's nanoseconds.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let period = Duration::from_millis(2_000 + u64::from(nanos % 8_001));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let demo = rt
        .block_on(DemoService::builder().work(ms(1)).start())
        .expect("demo service");
    println!("{URL_LINE}{} period_ms={}", demo.url(), period.as_millis());
    let start = Instant::now();
    let mut kept: Vec<Vec<u8>> = Vec::new();
    let mut saw: Vec<Vec<u8>> = Vec::new();
    let per_tick = SAW_PEAK as f64 / (period.as_secs_f64() / TICK.as_secs_f64());
    let mut tick = 0u32;
    while start.elapsed() < Duration::from_secs(600) {
        tick += 1;
        let next = start + TICK * tick;
        if leak {
            kept.push(touched(LEAK_CHUNK));
        }
        // Sawtooth: climb by `per_tick` each tick, drop everything at the
        // period's end (the chunks are freed: glibc unmaps them, as
        // MALLOC_MMAP_THRESHOLD_ in the child's environment asks).
        let phase = start.elapsed().as_secs_f64() % period.as_secs_f64();
        if phase < TICK.as_secs_f64() {
            saw.clear();
            saw.shrink_to_fit();
        } else {
            saw.push(touched(per_tick as usize));
        }
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
    }
    drop(demo);
}

/// A child process, killed and reaped when dropped.
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Start a child target in `mode` (`leak` or `flat`); its guard, pid and URL.
fn spawn_child(mode: &str) -> Result<(ChildGuard, u32, String), Box<dyn std::error::Error>> {
    let exe = std::env::current_exe()?;
    let mut child = ChildGuard(
        Command::new(exe)
            .args([
                "soak_child_process",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_MODE, mode)
            // A fixed mmap threshold (no dynamic raise): freed chunks of
            // the sawtooth go back to the OS at once, as a GC's do.
            .env("MALLOC_MMAP_THRESHOLD_", "65536")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?,
    );
    let pid = child.0.id();
    let stdout = child.0.stdout.take().ok_or("no stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let url = loop {
        let line = lines.next().ok_or("the child exited before serving")??;
        // libtest may print `test soak_child_process ... ` before it on the
        // same line.
        if let Some(rest) = line.split_once(URL_LINE).map(|(_, rest)| rest) {
            println!("child {mode} (pid {pid}): {rest}");
            break rest.split(' ').next().unwrap_or_default().to_owned();
        }
    };
    // Keep draining its stdout so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Ok((child, pid, url))
}

/// Load `url` at 100 rps for 30 s (× SPIKE_TIME_SCALE), sampling `pid` and
/// spike itself once per second.
async fn soak(name: &str, url: &str, pid: u32) -> Result<Report, Box<dyn std::error::Error>> {
    let http = Http::builder(url).build()?;
    let shape = Shape::builder().hold(rps(100), secs(30)).build()?;
    Ok(Scenario::new(name)
        .shape(shape)
        .window(secs(1))
        .sample_resources(Resources::pid(pid).and_self())
        .run(http.get("/").expect_status(200))
        .await?)
}

fn verdict(report: &Report, series: &str) -> Result<MemoryVerdict, Box<dyn std::error::Error>> {
    let v = memory_verdict(report, series, SoakCriteria::default())?;
    println!("{}: {v}", report.scenario);
    Ok(v)
}

#[spike_test(timeout = "180s")]
async fn a_child_leaking_2mb_per_s_is_flagged_within_30s() -> TestResult {
    let (_child, pid, url) = spawn_child("leak")?;
    let report = soak("child_leaking", &url, pid).await?;
    let v = verdict(&report, &pid_series(pid))?;
    // The truth: the child keeps 2 MB/s (100 kB per 50 ms tick). The
    // verdict must flag it, and its slope must be of that order: the
    // sawtooth on top tilts one run's estimate, which spread over
    // 0.8–2.9 MB/s in 2,000 simulated runs of this pattern (the exact
    // rate is checked on the demo's own counter, below).
    assert!(v.leaking, "{v}");
    assert!(
        v.slope.estimate > 0.5e6 && v.slope.estimate < 4e6,
        "slope {v}"
    );
    // The same verdict through the assertion chain: it must fail.
    let failure = expect(&report)
        .allow_inconclusive()
        .memory_of(pid)
        .not_leaking()
        .try_verify()
        .expect_err("a 2 MB/s leak must fail not_leaking()");
    let text = failure.to_string();
    assert!(
        text.contains(&format!("pid:{pid}")) && text.contains("leaking"),
        "{text}"
    );
    Ok(())
}

#[spike_test(timeout = "180s")]
async fn a_child_with_a_20mb_sawtooth_is_not_flagged() -> TestResult {
    let (_child, pid, url) = spawn_child("flat")?;
    let report = soak("child_sawtooth", &url, pid).await?;
    let v = verdict(&report, &pid_series(pid))?;
    // The sawtooth was there: the judged samples spread over more than
    // half its 40 MB (1 s samples of a 2–10 s tooth catch its top and
    // bottom within a tick or two).
    let (points, _) = memory_points(&report, &pid_series(pid), SoakCriteria::default().warm_up);
    let low = points.iter().map(|p| p.1).fold(f64::MAX, f64::min);
    assert!(
        v.peak_bytes - low > 20e6,
        "spread {} MB: {v}",
        (v.peak_bytes - low) / 1e6
    );
    verdict(&report, spike::soak::SELF_SERIES)?;
    expect(&report)
        .memory_of(pid)
        .not_leaking()
        .memory_of(pid)
        .growth()
        .below(mb(200))
        .memory_of_self()
        .not_leaking()
        .verify();
    Ok(())
}

#[spike_test(timeout = "60s")]
async fn a_child_that_exits_mid_run_leaves_gaps_not_a_crash() -> TestResult {
    let (mut child, pid, url) = spawn_child("flat")?;
    let http = Http::builder(&url).build()?;
    let shape = Shape::builder().hold(rps(20), secs(3)).build()?;
    let killer = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(1_500)).await;
        let _ = child.0.kill();
        let _ = child.0.wait();
        child
    });
    let report = Scenario::new("child_exits")
        .shape(shape)
        .window(ms(500))
        .sample_resources(Resources::pid(pid))
        .run(http.get("/"))
        .await?;
    drop(killer.await?);
    let series = pid_series(pid);
    let sampled: Vec<bool> = report
        .windows
        .iter()
        .map(|w| w.resources.contains_key(&series))
        .collect();
    // Window k is sampled at its end, (k + 1) × 500 ms: the ones ending
    // before the kill at 1.5 s (allowing the scheduler 400 ms) have a
    // sample, the ones ending after 2 s have none.
    assert!(sampled[0] && sampled[1], "{sampled:?}");
    assert!(sampled[4..].iter().all(|s| !s), "{sampled:?}");
    // And the pid is now refused before any traffic.
    let err = Scenario::new("dead_pid")
        .shape(Shape::builder().hold(rps(10), ms(200)).build()?)
        .sample_resources(Resources::pid(pid))
        .run(|_ctx: Ctx| async {})
        .await
        .expect_err("a pid that is not running");
    assert!(
        matches!(&err, SpikeError::BadResources { series, .. } if *series == pid_series(pid)),
        "{err}"
    );
    Ok(())
}

/// 200 rps against the demo service in this process for 25 s
/// (× SPIKE_TIME_SCALE), sampling this process and the demo's own count.
async fn demo_soak(
    name: &str,
    leak_per_request: usize,
) -> Result<Report, Box<dyn std::error::Error>> {
    let demo = DemoService::builder()
        .leak_per_request(leak_per_request)
        .start()
        .await?;
    let http = Http::builder(demo.url()).build()?;
    let shape = Shape::builder().hold(rps(200), secs(25)).build()?;
    let report = Scenario::new(name)
        .shape(shape)
        .window(secs(1))
        .sample_resources(Resources::this_process().and_probe("demo leak", demo.leak_probe()))
        .run(http.get("/work").expect_status(200))
        .await?;
    // The probe's truth: exactly what the demo says it kept.
    let last = report
        .windows
        .last()
        .and_then(|w| w.resources.get("demo leak"));
    assert!(
        last.is_some_and(|s| s.rss_bytes <= demo.leaked_bytes()),
        "{last:?}"
    );
    Ok(report)
}

#[spike_test(timeout = "120s")]
async fn a_leaking_demo_endpoint_is_caught() -> TestResult {
    // 10 kB per request × 200 rps = 2 MB/s kept by the service.
    let report = demo_soak("demo_leaking", 10_000).await?;
    let v = verdict(&report, spike::soak::SELF_SERIES)?;
    assert!(v.leaking, "{v}");
    let probe = verdict(&report, "demo leak")?;
    // The probe counts exactly 10 kB per completed request.
    assert!((probe.slope.estimate - 2e6).abs() < 0.1e6, "{probe}");
    let failure = expect(&report)
        .allow_inconclusive()
        .memory_of_self()
        .not_leaking()
        .try_verify()
        .expect_err("a 2 MB/s leak in this process must fail not_leaking()");
    assert!(failure.to_string().contains("`spike`"), "{failure}");
    Ok(())
}

#[spike_test(timeout = "120s")]
async fn a_flat_demo_endpoint_passes() -> TestResult {
    let report = demo_soak("demo_flat", 0).await?;
    verdict(&report, spike::soak::SELF_SERIES)?;
    expect(&report)
        .error_rate()
        .below(pct(1))
        .memory_of_self()
        .not_leaking()
        .memory_of_self()
        .growth()
        .below(mb(200))
        .memory_series("demo leak")
        .growth()
        .at_most(0)
        .latency_drift()
        .below(pct(10))
        .verify();
    Ok(())
}

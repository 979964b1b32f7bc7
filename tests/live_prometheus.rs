//! The Prometheus endpoint on a real scrape: a Prometheus 2.x server
//! (Debian's `/usr/bin/prometheus`, started here on an ephemeral port with
//! native histograms on and a 1 s scrape interval) scrapes spike's endpoint
//! while a spike test runs; then its HTTP API must give back the report's
//! numbers: `histogram_quantile(0.99, ..)` of the native histogram within
//! 2 % of the report's p99, and the counters equal to the report's counts.
//!
//! Prometheus missing: with `CI=true` the test fails naming the binary;
//! elsewhere it is skipped with a notice on the raw standard error.
#![cfg(feature = "prometheus")]

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use spike::live::Prometheus;
use spike::prelude::*;

const PROMETHEUS: &str = "/usr/bin/prometheus";
const SCENARIO: &str = "live_prom";

/// A Prometheus server of this test; killed (by its pid) when dropped.
struct Server {
    child: Child,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("a free port");
    l.local_addr().expect("bound").port()
}

fn start_prometheus(target: SocketAddr) -> Server {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\n\
             scrape_configs:\n  - job_name: spike\n    static_configs:\n      - targets: ['{target}']\n"
        ),
    )
    .expect("config written");
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let child = Command::new(PROMETHEUS)
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.path().join("data").display()
        ))
        .arg(format!("--web.listen-address={addr}"))
        .arg("--enable-feature=native-histograms")
        .stdout(Stdio::null())
        .stderr(Stdio::from(
            std::fs::File::create(dir.path().join("prometheus.log")).expect("log file"),
        ))
        .spawn()
        .expect("prometheus starts");
    let server = Server {
        child,
        addr,
        _dir: dir,
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while get(addr, "/-/ready").0 != 200 {
        assert!(Instant::now() < deadline, "Prometheus not ready in 30 s");
        std::thread::sleep(Duration::from_millis(200));
    }
    server
}

/// GET `path` from `addr`: (status, body); status 0 when unreachable.
fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_secs(2)) else {
        return (0, String::new());
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
    let request = format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    if s.write_all(request.as_bytes()).is_err() {
        return (0, String::new());
    }
    let mut raw = String::new();
    let _ = s.read_to_string(&mut raw);
    let status = raw
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = raw
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

fn encode(query: &str) -> String {
    query
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The single value of an instant query, if it has exactly one.
fn query(addr: SocketAddr, promql: &str) -> Option<f64> {
    let (status, body) = get(addr, &format!("/api/v1/query?query={}", encode(promql)));
    if status != 200 {
        return None;
    }
    let json: serde_json::Value = serde_json::from_str(&body).ok()?;
    let result = json["data"]["result"].as_array()?;
    if result.len() != 1 {
        return None;
    }
    result[0]["value"][1].as_str()?.parse().ok()
}

/// `promql` once it equals `want` (Prometheus may still be ingesting the
/// last scrape), or the last value seen after 15 s.
fn settled(addr: SocketAddr, promql: &str, want: f64) -> Option<f64> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let got = query(addr, promql);
        if got == Some(want) || Instant::now() > deadline {
            return got;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn prometheus_present() -> bool {
    if Path::new(PROMETHEUS).exists() {
        return true;
    }
    assert!(
        !spike::notice::is_ci(),
        "{PROMETHEUS} is missing: install Debian's `prometheus` package (.ci/services.sh does)"
    );
    spike::notice::notice(&format!(
        "skipping live_prometheus: {PROMETHEUS} is missing (apt-get install prometheus)"
    ));
    false
}

#[spike_test(timeout = "120s")]
async fn prometheus_scrape_matches_the_report() {
    if !prometheus_present() {
        return;
    }
    let endpoint = Arc::new(
        Prometheus::bind("127.0.0.1:0".parse().unwrap())
            .expect("loopback endpoint")
            .linger(Duration::from_secs(10)),
    );
    let prom = start_prometheus(endpoint.local_addr());
    // Prometheus scrapes before the run starts: the endpoint knows a
    // scraper watches, so the run's end waits for the final scrape.
    let deadline = Instant::now() + Duration::from_secs(10);
    while endpoint.scrapes() == 0 {
        assert!(Instant::now() < deadline, "no scrape in 10 s");
        tokio::time::sleep(ms(100)).await;
    }

    // 10 s at 300/s: 3000 iterations sleeping 2..=21 ms (a 20-step spread),
    // every 7th failing, every one making a named request.
    let shape = Shape::builder().hold(rps(300), secs(10)).build().unwrap();
    let report = Scenario::new(SCENARIO)
        .shape(shape)
        .sink(endpoint.clone())
        .run(|ctx: Ctx| async move {
            let fetch = ctx.request("fetch");
            tokio::time::sleep(ms(2 + ctx.iteration() % 20)).await;
            fetch.finish(None);
            if ctx.iteration().is_multiple_of(7) {
                Err(IterError::new("teapot"))
            } else {
                Ok(())
            }
        })
        .await
        .unwrap();
    let total = &report.total;
    assert_eq!(total.completed, 3000);
    assert_eq!(total.errors, 3000_u64.div_ceil(7));

    let addr = prom.addr;
    let sel = format!("{{scenario=\"{SCENARIO}\"}}");
    let completed = settled(
        addr,
        &format!("sum(spike_iterations_total{sel})"),
        total.completed as f64,
    );
    assert_eq!(completed, Some(total.completed as f64));
    let errors = settled(
        addr,
        &format!("sum(spike_iteration_errors_total{sel})"),
        total.errors as f64,
    );
    assert_eq!(errors, Some(total.errors as f64));
    let teapots = query(
        addr,
        &format!("spike_iteration_errors_total{{scenario=\"{SCENARIO}\",class=\"teapot\"}}"),
    );
    assert_eq!(teapots, Some(total.errors_by_class["teapot"] as f64));
    let fetches = query(addr, &format!("sum(spike_requests_total{sel})"));
    assert_eq!(fetches, Some(total.request("fetch").unwrap().count as f64));
    // The native histogram's own count: every completed iteration.
    let count = query(
        addr,
        &format!("histogram_count(sum(spike_iteration_latency_seconds{sel}))"),
    );
    assert_eq!(count, Some(total.completed as f64));

    for (q, report_us) in [(0.99, total.latency.p99_us), (0.5, total.latency.p50_us)] {
        let got = query(
            addr,
            &format!("histogram_quantile({q}, sum(spike_iteration_latency_seconds{sel}))"),
        )
        .unwrap_or_else(|| panic!("no quantile {q} from Prometheus"));
        let want = report_us as f64 / 1e6;
        let off = (got - want).abs() / want;
        spike::notice::notice(&format!(
            "live_prometheus: q{q}: Prometheus {:.3} ms, report {:.3} ms, off by {:.3} %",
            got * 1e3,
            want * 1e3,
            off * 100.0
        ));
        assert!(off <= 0.02, "q{q}: Prometheus {got} s, report {want} s");
    }
}

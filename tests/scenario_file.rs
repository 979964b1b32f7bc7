//! A scenario file run end to end (`examples/spikes/three_endpoints.toml`):
//! three weighted requests against a server whose endpoints take a known
//! time, their shares and per-request p95 read from the report, the file's
//! SLOs verified, and an SLO that cannot hold failing with the table.
#![cfg(feature = "http")]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use spike::file::SpikeFile;
use spike::prelude::*;

const FILE: &str = "examples/spikes/three_endpoints.toml";

/// The file's endpoints, their delays and their weights in the file.
const ENDPOINTS: [(&str, &str, Duration, u64); 3] = [
    ("fast", "/fast", Duration::ZERO, 5),
    ("mid", "/mid", Duration::from_millis(40), 3),
    ("slow", "/slow", Duration::from_millis(120), 2),
];

/// A server on 127.0.0.1 whose endpoints answer after exactly their delay
/// (slept on a blocking thread: the OS timer, not tokio's 1 ms one).
async fn delay_server() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let service = service_fn(|req: Request<hyper::body::Incoming>| async move {
                    let path = req.uri().path().to_owned();
                    let delay = ENDPOINTS
                        .iter()
                        .find(|e| e.1 == path)
                        .map_or(Duration::ZERO, |e| e.2);
                    if !delay.is_zero() {
                        tokio::task::spawn_blocking(move || std::thread::sleep(delay))
                            .await
                            .unwrap();
                    }
                    Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(b"ok"))))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

/// Shares: 450 iterations split 5/3/2 by the mix's low-discrepancy pick,
/// each within ±1 percentage point of its weight (independent random picks
/// would drift by ~2.3 points at one sigma).
///
/// p95: nothing answers before its delay, so each request's p95 is at
/// least its endpoint's delay; and at most delay + 10 % + the p99 of the
/// 0 ms endpoint (one exchange's cost in this process, milliseconds in a
/// debug build) + 25 ms (the blocking pool's and scheduler's jitter on a
/// loaded 2-core machine: a debug run there measured `mid` at 67 ms once).
/// The delays are 0, 40 and 120 ms, so each upper bound stays below the
/// next endpoint's delay (asserted): a report mixing up the names breaks a
/// bound, and `fast` must stay under `mid`'s 40 ms.
#[spike_test(timeout = "90s")]
async fn a_file_runs_three_weighted_requests() {
    let addr = delay_server().await;
    let file = SpikeFile::load(FILE)
        .unwrap()
        .base_url(&format!("http://{addr}"));
    let report = file.run().await.unwrap();
    let total = &report.total;
    assert_eq!(total.errors, 0, "{report}");
    assert_eq!(total.completed, 450, "150 rps for 3 s");
    let n: u64 = total.requests.values().map(|r| r.count).sum();
    assert_eq!(n, total.completed);
    let fast_p95 = total.requests["fast"].latency.p95_us;
    let fast_p99 = total.requests["fast"].latency.p99_us;
    for (name, _, delay, weight) in ENDPOINTS {
        let r = &total.requests[name];
        let share = r.count as f64 / n as f64;
        assert!(
            (share - weight as f64 / 10.0).abs() <= 0.01,
            "{name}: share {share:.3}, weight {weight}/10"
        );
        let delay = delay.as_micros() as u64;
        let p95 = r.latency.p95_us;
        println!(
            "{name:<5} delay {delay:>6} µs  p95 {p95:>6} µs  count {}",
            r.count
        );
        assert!(p95 >= delay, "{name}: p95 {p95} µs < delay {delay} µs");
        let bound = delay + delay / 10 + fast_p99 + 25_000;
        assert!(
            p95 <= bound,
            "{name}: p95 {p95} µs > {bound} µs (delay + 10 % + fast p99 {fast_p99} µs + 25 ms)"
        );
        if name == "mid" {
            assert!(
                bound < 120_000,
                "the bound {bound} µs no longer tells mid from slow"
            );
        }
    }
    assert!(
        fast_p95 < 40_000,
        "fast p95 {fast_p95} µs reaches mid's delay"
    );
    file.verify(&report);
}

/// `p95 < 120ms` on the 120 ms endpoint cannot hold: nothing answers
/// before its delay. `verify` fails with the table: the failed SLO's row,
/// and the file's other SLOs as passed rows.
#[spike_test(timeout = "90s")]
async fn an_slo_that_cannot_hold_fails_with_the_table() {
    let addr = delay_server().await;
    let text = std::fs::read_to_string(FILE).unwrap()
        + "\n[[slo]]\nmetric = \"p95\"\nrequest = \"slow\"\nbelow = \"120ms\"\n";
    let file = SpikeFile::parse(&text, FILE)
        .unwrap()
        .base_url(&format!("http://{addr}"));
    let report = file.run().await.unwrap();
    let failure = file.try_verify(&report).expect_err("try_verify fails too");
    assert_eq!(failure.failed().count(), 1, "{failure}");
    let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| file.verify(&report)))
        .expect_err("the impossible SLO fails");
    let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(
        // The file's 4 SLOs and the generator's own check.
        message.contains("1 of 5 checks failed for scenario `three-endpoints`"),
        "{message}"
    );
    let verdict = |line: &&str| line.trim_end().rsplit(' ').next().map(str::to_owned);
    let rows: Vec<&str> = message
        .lines()
        .filter(|l| matches!(verdict(l).as_deref(), Some("ok" | "FAILED")))
        .collect();
    let failed: Vec<&&str> = rows.iter().filter(|l| l.ends_with("FAILED")).collect();
    assert_eq!(failed.len(), 1, "{message}");
    assert!(failed[0].contains("latency p95"), "{message}");
    assert!(failed[0].contains("request slow"), "{message}");
    assert!(failed[0].contains("< 120.0ms"), "{message}");
    assert_eq!(rows.len(), 5, "{message}");
}

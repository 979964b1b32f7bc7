//! A mix of named HTTP requests against a server whose endpoints take a
//! known time: each request's own numbers in the report are those of its
//! endpoint, and the mix's weights are kept.
#![cfg(feature = "http")]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use spike::http::Http;
use spike::prelude::*;

/// Endpoints and how long each takes to answer, by construction.
const ENDPOINTS: [(&str, Duration); 4] = [
    ("/browse", Duration::from_millis(5)),
    ("/search", Duration::from_millis(20)),
    ("/checkout", Duration::from_millis(80)),
    ("/zero", Duration::ZERO),
];

/// A server on 127.0.0.1 whose endpoints answer after exactly their delay:
/// the delay is slept on a blocking thread (the OS's high-resolution
/// timer, ~0.1 ms late), not on tokio's 1 ms timer, which rounds up.
/// `/fail` answers 503 at once.
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
                    if path == "/fail" {
                        let mut resp = Response::new(Full::new(Bytes::from_static(b"down")));
                        *resp.status_mut() = hyper::StatusCode::SERVICE_UNAVAILABLE;
                        return Ok::<_, Infallible>(resp);
                    }
                    let delay = ENDPOINTS
                        .iter()
                        .find(|(p, _)| *p == path)
                        .map_or(Duration::ZERO, |(_, d)| *d);
                    if !delay.is_zero() {
                        tokio::task::spawn_blocking(move || std::thread::sleep(delay))
                            .await
                            .unwrap();
                    }
                    Ok(Response::new(Full::new(Bytes::from_static(b"ok"))))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

fn us(d: Duration) -> u64 {
    d.as_micros() as u64
}

/// Three endpoints of 5, 20 and 80 ms in a 7/2/1 mix, with a fourth that
/// answers at once: the cost of one exchange in this process (a debug
/// build on a shared machine, where it is milliseconds under load).
/// Each request's p50 is at least its delay (nothing answers early) and at
/// most its delay + 10 % + that exchange's p95; a driver that mixed up the
/// names, or timed a request from the wrong instant, is off by 15 ms or
/// more. The release-build figure on a quiet machine (each p95 within 5 %
/// of the delay) is in `docs/performance.md`, measured with
/// `cargo test --release --all-features --test http_mix -- --nocapture`,
/// which prints the table this test computes.
#[spike_test(timeout = "90s")]
async fn each_named_request_has_its_endpoints_latency() {
    let addr = delay_server().await;
    let http = Http::builder(format!("http://{addr}")).build().unwrap();
    let mix = Mix::new()
        .weight(7, http.get("/browse").name("browse"))
        .weight(2, http.get("/search").name("search"))
        .weight(1, http.get("/checkout").name("checkout"))
        .weight(1, http.get("/zero").name("zero"));
    let shape = Shape::builder().hold(rps(400), secs(6)).build().unwrap();
    let report = Scenario::new("mix")
        .shape(shape)
        .lag_budget(ms(250))
        .run(mix)
        .await
        .unwrap();
    let total = &report.total;
    assert_eq!(total.errors, 0, "{report}");
    let zero = &total.requests["zero"].latency;
    println!("request   delay     p50       p95       p95/delay");
    for (name, delay) in [("browse", 5), ("search", 20), ("checkout", 80)] {
        let delay = us(Duration::from_millis(delay));
        let lat = &total.requests[name].latency;
        println!(
            "{name:<9} {delay:>6} µs {:>6} µs {:>6} µs {:.3}",
            lat.p50_us,
            lat.p95_us,
            lat.p95_us as f64 / delay as f64
        );
        assert!(
            lat.p50_us >= delay,
            "{name}: p50 {} µs < {delay} µs",
            lat.p50_us
        );
        let bound = delay + delay / 10 + zero.p95_us;
        assert!(
            lat.p50_us <= bound,
            "{name}: p50 {} µs over {bound} µs ({delay} µs + 10 % + one exchange's p95 {} µs)",
            lat.p50_us,
            zero.p95_us
        );
        assert!(
            lat.p95_us >= delay,
            "{name}: p95 {} µs < {delay} µs",
            lat.p95_us
        );
    }
    println!(
        "zero      {:>6} µs {:>6} µs {:>6} µs",
        0, zero.p50_us, zero.p95_us
    );
    // 2,400 iterations split 7/2/1/1: shares within ±1 percentage point.
    let n: u64 = total.requests.values().map(|r| r.count).sum();
    assert_eq!(n, total.completed);
    for (name, weight) in [
        ("browse", 7.0),
        ("search", 2.0),
        ("checkout", 1.0),
        ("zero", 1.0),
    ] {
        let share = total.requests[name].count as f64 / n as f64;
        assert!(
            (share - weight / 11.0).abs() < 0.01,
            "{name}: share {share}"
        );
    }
    expect(&report)
        .request("checkout")
        .p95()
        .above(ms(80))
        .request("browse")
        .p95()
        .below(ms(20))
        .verify();
}

/// Errors are counted per request, by class: only the failing request has
/// them, and the run's total is their sum.
#[spike_test(timeout = "60s")]
async fn errors_belong_to_the_request_that_failed() {
    let addr = delay_server().await;
    let http = Http::builder(format!("http://{addr}")).build().unwrap();
    let mix = Mix::new()
        .weight(3, http.get("/zero").name("ok"))
        .weight(1, http.get("/fail").name("broken"));
    let shape = Shape::builder().hold(rps(400), secs(1)).build().unwrap();
    let report = Scenario::new("mix-errors")
        .shape(shape)
        .lag_budget(ms(250))
        .run(mix)
        .await
        .unwrap();
    let ok = &report.total.requests["ok"];
    let broken = &report.total.requests["broken"];
    assert_eq!(ok.errors, 0);
    assert_eq!(broken.errors, broken.count);
    assert_eq!(broken.errors_by_class.get("http_5xx"), Some(&broken.count));
    assert_eq!(report.total.errors, broken.errors);
    assert_eq!(ok.count + broken.count, 400);
}

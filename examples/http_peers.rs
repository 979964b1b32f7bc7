//! The HTTP benchmark of `docs/performance.md` ("HTTP" section): a minimal
//! hyper server, and spike's generator against it, one process each so that
//! `taskset` can pin them to different cores. `scripts/http_peers.sh` runs
//! it side by side with wrk, oha and hey.
//!
//! ```sh
//! cargo build --release --example http_peers
//! taskset -c 0 target/release/examples/http_peers server 127.0.0.1:8099 &
//! taskset -c 1 target/release/examples/http_peers closed http://127.0.0.1:8099/ 50 10 templated
//! taskset -c 1 target/release/examples/http_peers closed http://127.0.0.1:8099/ 50 10 plain
//! taskset -c 1 target/release/examples/http_peers open http://127.0.0.1:8099/ 10000 10 templated
//! ```
//!
//! `closed URL CONNS SECS DRIVER`: `CONNS` virtual users (one keep-alive
//! connection each) loop GETs for `SECS`; prints requests/s.
//! `open URL RATE SECS DRIVER`: `RATE` arrivals per second for `SECS`;
//! prints achieved/target of the worst full window and schedule lag p99.
//! `mix URL RATE SECS`: `RATE` arrivals per second for `SECS` of a mix of
//! three named templated requests (`browse` 7, `search` 2, `checkout` 1:
//! `GET <path>?page=..`); prints each request's share, p50 and p95.
//! `DRIVER` is spike's HTTP driver [`spike::http::Http`] either way:
//! `templated` sends `GET <path>?i={iteration}` with a header
//! `x-user: u{user}` and checks `.expect_status(200)` (what a real test
//! does), `plain` sends the URL as given (the default 2xx check). The
//! generator runs on one tokio worker thread.

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use spike::http::Http;
use spike::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, what: &str| -> Result<String, String> {
        args.get(i)
            .cloned()
            .ok_or_else(|| format!("missing argument {i}: {what} (see the file's docs)"))
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    match arg(0, "server | closed | open | mix")?.as_str() {
        "server" => rt.block_on(server(arg(1, "ADDR")?)),
        "mix" => {
            let rate: f64 = arg(2, "RATE")?.parse()?;
            let seconds: u64 = arg(3, "SECS")?.parse()?;
            rt.block_on(mix(&arg(1, "URL")?, rate, seconds))
        }
        mode @ ("closed" | "open") => {
            let url = arg(1, "URL")?;
            let level: f64 = arg(2, "CONNS or RATE")?.parse()?;
            let secs_: u64 = arg(3, "SECS")?.parse()?;
            let driver = arg(4, "templated | plain")?;
            rt.block_on(generate(mode, &url, level, secs_, &driver))
        }
        other => Err(format!("unknown mode `{other}`").into()),
    }
}

/// A minimal HTTP/1.1 server: `200 hello` to every request.
async fn server(addr: String) -> Result<(), Box<dyn std::error::Error>> {
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    eprintln!("serving on http://{}", listener.local_addr()?);
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let service = hyper::service::service_fn(|_req| async {
                Ok::<_, Infallible>(hyper::Response::new(Full::new(Bytes::from_static(
                    b"hello",
                ))))
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn generate(
    mode: &str,
    url: &str,
    level: f64,
    seconds: u64,
    driver: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let shape = if mode == "closed" {
        Shape::builder().hold(users(level), secs(seconds)).build()?
    } else {
        Shape::builder().hold(rps(level), secs(seconds)).build()?
    };
    let scenario = Scenario::new(format!("http_peers_{mode}_{driver}"))
        .shape(shape)
        .window(secs(1))
        .drain_timeout(secs(2));
    let (base, path) = split(url);
    let http = Http::builder(base).build()?;
    let report = match driver {
        "templated" => {
            let sep = if path.contains('?') { '&' } else { '?' };
            let request = http
                .get(format!("{path}{sep}i={{iteration}}"))
                .header("x-user", "u{user}")
                .expect_status(200);
            scenario.run(request).await?
        }
        "plain" => scenario.run(http.get(path)).await?,
        other => return Err(format!("unknown driver `{other}`").into()),
    };
    let t = &report.total;
    if mode == "closed" {
        // Requests/s over the whole hold (completed successes / span).
        println!(
            "spike-{driver} closed c={level} {:.0} req/s, errors {}, p50 {}, p99 {}",
            t.throughput,
            t.errors,
            spike::fmt::duration_us(t.latency.p50_us),
            spike::fmt::duration_us(t.latency.p99_us),
        );
    } else {
        // Every full window: achieved starts/s against the target.
        let full: Vec<f64> = report
            .windows
            .iter()
            .filter(|w| w.end - w.start == Duration::from_secs(1))
            .map(|w| w.stats.achieved_rate / level)
            .collect();
        let worst = full.iter().copied().fold(f64::INFINITY, f64::min);
        let best = full.iter().copied().fold(0.0, f64::max);
        let lag = &report.generator.schedule_lag;
        println!(
            "spike-{driver} open r={level} achieved/target per full window min {:.4} max {:.4} ({} windows), lag p50 {} p99 {}, pacer cpu {:.2}%, errors {}, dropped {}, latency p50 {} p99 {}",
            worst,
            best,
            full.len(),
            spike::fmt::duration_us(lag.p50_us),
            spike::fmt::duration_us(lag.p99_us),
            report.generator.pacer_cpu * 100.0,
            t.errors,
            report.generator.dropped,
            spike::fmt::duration_us(t.latency.p50_us),
            spike::fmt::duration_us(t.latency.p99_us),
        );
    }
    Ok(())
}

/// A 7/2/1 mix of three named requests at `rate` for `seconds`.
async fn mix(url: &str, rate: f64, seconds: u64) -> Result<(), Box<dyn std::error::Error>> {
    let shape = Shape::builder().hold(rps(rate), secs(seconds)).build()?;
    let (base, path) = split(url);
    let http = Http::builder(base).build()?;
    let sep = if path.contains('?') { '&' } else { '?' };
    let request = |name: &'static str| {
        http.get(format!("{path}{sep}page={name}-{{iteration}}"))
            .expect_status(200)
            .name(name)
    };
    let workload = Mix::new()
        .weight(7, request("browse"))
        .weight(2, request("search"))
        .weight(1, request("checkout"));
    let report = Scenario::new("http_peers_mix")
        .shape(shape)
        .window(secs(1))
        .drain_timeout(secs(2))
        .run(workload)
        .await?;
    let t = &report.total;
    let exact = report
        .windows
        .iter()
        .filter(|w| w.end - w.start == Duration::from_secs(1))
        .all(|w| (w.stats.scheduled as f64 - rate).abs() <= 1.0);
    println!(
        "spike-mix r={rate} every full window ±1: {exact}, lag p50 {} p99 {}, pacer cpu {:.2}%, errors {}, dropped {}",
        spike::fmt::duration_us(report.generator.schedule_lag.p50_us),
        spike::fmt::duration_us(report.generator.schedule_lag.p99_us),
        report.generator.pacer_cpu * 100.0,
        t.errors,
        report.generator.dropped,
    );
    for (name, r) in &t.requests {
        println!(
            "  {name:<9} share {:.4}  p50 {}  p95 {}  errors {}",
            r.count as f64 / t.completed.max(1) as f64,
            spike::fmt::duration_us(r.latency.p50_us),
            spike::fmt::duration_us(r.latency.p95_us),
            r.errors,
        );
    }
    Ok(())
}

fn split(url: &str) -> (&str, &str) {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url[after_scheme..].find('/') {
        Some(i) => url.split_at(after_scheme + i),
        None => (url, "/"),
    }
}

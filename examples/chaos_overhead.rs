//! The chaos proxy's own cost (issue 12, `docs/performance.md`, "Chaos
//! proxy overhead"): the same open-model run against an HTTP server,
//! directly and through a [`spike::chaos::Proxy`] with no fault on,
//! alternated round by round; prints each run's p50/p99 and the medians.
//!
//! ```sh
//! cargo build --release --features chaos --example chaos_overhead --example http_peers
//! taskset -c 0 target/release/examples/http_peers server 127.0.0.1:18431 &
//! # the proxy in the generator's process (and runtime):
//! taskset -c 1 target/release/examples/chaos_overhead inprocess 127.0.0.1:18431 10000 10 5
//! # the proxy in a process of its own, on the server's core:
//! taskset -c 0 target/release/examples/chaos_overhead proxy 127.0.0.1:18431 127.0.0.1:18432 &
//! taskset -c 1 target/release/examples/chaos_overhead external 127.0.0.1:18431 127.0.0.1:18432 10000 10 5
//! ```
//!
//! `inprocess ADDR RATE SECS ROUNDS`: the server's loopback address,
//! arrivals per second, seconds per run, and rounds (each round runs
//! direct then proxied, or proxied then direct on odd rounds); generator
//! and proxy share one process and one tokio runtime with one worker
//! thread, as in a test where the proxy sits in front of the target.
//! `proxy TARGET LISTEN`: only a proxy, until killed. `external ADDR
//! PROXY RATE SECS ROUNDS`: as `inprocess`, through that proxy.

use std::net::SocketAddr;

use spike::chaos::Proxy;
use spike::http::Http;
use spike::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, what: &str| -> Result<String, String> {
        args.get(i)
            .cloned()
            .ok_or_else(|| format!("missing argument {i}: {what} (see the file's docs)"))
    };
    let mode = arg(0, "inprocess | proxy | external")?;
    let target: SocketAddr = arg(1, "ADDR")?.parse()?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    if mode == "proxy" {
        let listen: SocketAddr = arg(2, "LISTEN")?.parse()?;
        return rt.block_on(async move {
            let _proxy = Proxy::builder(target).listen(listen).start().await?;
            std::future::pending::<()>().await;
            Ok(())
        });
    }
    let external: Option<SocketAddr> = match mode.as_str() {
        "inprocess" => None,
        "external" => Some(arg(2, "PROXY")?.parse()?),
        other => return Err(format!("unknown mode `{other}`").into()),
    };
    let at = if external.is_some() { 3 } else { 2 };
    let rate: f64 = arg(at, "RATE")?.parse()?;
    let seconds: u64 = arg(at + 1, "SECS")?.parse()?;
    let rounds: usize = arg(at + 2, "ROUNDS")?.parse()?;
    rt.block_on(async move {
        let proxy = Proxy::start(target).await?;
        let proxy_addr = external.unwrap_or(proxy.addr());
        let (mut direct, mut proxied) = (Vec::new(), Vec::new());
        for round in 0..rounds {
            let order = if round % 2 == 0 { [false, true] } else { [true, false] };
            for through in order {
                let addr = if through { proxy_addr } else { target };
                let (p50, p99) = run(addr, rate, seconds, through).await?;
                if through {
                    proxied.push((p50, p99));
                } else {
                    direct.push((p50, p99));
                }
            }
        }
        let med = |v: &mut Vec<(u64, u64)>, p99: bool| {
            let mut xs: Vec<u64> = v.iter().map(|x| if p99 { x.1 } else { x.0 }).collect();
            xs.sort_unstable();
            xs[xs.len() / 2]
        };
        let (d50, d99) = (med(&mut direct, false), med(&mut direct, true));
        let (p50, p99) = (med(&mut proxied, false), med(&mut proxied, true));
        println!(
            "median of {rounds} rounds at {rate} rps: direct p50 {d50} µs p99 {d99} µs; proxied p50 {p50} µs p99 {p99} µs; p99 overhead {:+.1} %, p50 overhead {:+.1} %",
            (p99 as f64 / d99 as f64 - 1.0) * 100.0,
            (p50 as f64 / d50 as f64 - 1.0) * 100.0,
        );
        if external.is_none() {
            println!("proxy: {:?}", proxy.stats());
        }
        if let Ok(load) = std::fs::read_to_string("/proc/loadavg") {
            println!("load average: {}", load.trim());
        }
        Ok::<(), Box<dyn std::error::Error>>(())
    })
}

/// One open-model run at `rate` for `seconds` against `addr`: (p50, p99)
/// latency in µs.
async fn run(
    addr: SocketAddr,
    rate: f64,
    seconds: u64,
    through: bool,
) -> Result<(u64, u64), Box<dyn std::error::Error>> {
    let http = Http::builder(format!("http://{addr}")).build()?;
    let shape = Shape::builder().hold(rps(rate), secs(seconds)).build()?;
    let name = if through {
        "chaos_overhead_proxied"
    } else {
        "chaos_overhead_direct"
    };
    let report = Scenario::new(name)
        .shape(shape)
        .window(secs(1))
        .drain_timeout(secs(2))
        .run(http.get("/"))
        .await?;
    let t = &report.total;
    println!(
        "{:<8} p50 {:>5} µs p99 {:>6} µs, errors {}, lag p99 {} µs, dropped {}",
        if through { "proxied" } else { "direct" },
        t.latency.p50_us,
        t.latency.p99_us,
        t.errors,
        report.generator.schedule_lag.p99_us,
        report.generator.dropped,
    );
    Ok((t.latency.p50_us, t.latency.p99_us))
}

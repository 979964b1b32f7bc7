//! Pacing accuracy and cost, and the scheduler's ceiling (a bench binary,
//! not a timed test).
//!
//! 1. Pacing, default settings, the default two worker threads: open model
//!    at 200 / 1k / 10k / 50k rps, 3 runs each, for two workloads: a no-op,
//!    and a 64-byte ping-pong over loopback TCP with the server in the same
//!    process and runtime (the service competes with the generator for the
//!    two workers, as an in-process service under test does). Per run: the
//!    worst deviation of started iterations from the plan over every full
//!    1 s window (as a count and as achieved/target), schedule-lag p50 /
//!    p99 / max, and the pacer thread's CPU share.
//!    First, the machine's own floor: how late a bare thread's
//!    `park_timeout` wakes (the timer the pacer sleeps on), so a busy
//!    machine's figures can be read against it.
//! 2. Ceiling: a no-op open-model workload on ONE worker thread at
//!    increasing rates; a rate is sustained when every planned iteration
//!    started (no drops) and schedule-lag p99 stayed under 5 ms.
//!
//! `cargo bench -p spike-test-core --bench scheduler`
//! (`-- quick`: 2 s runs instead of 5 s; `-- pacing`: skip the ceiling)

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use spike_core::{rps, Ctx, Report, Scenario, Shape};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const MESSAGE: usize = 64;

fn runtime(workers: usize) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .expect("a runtime")
}

fn scenario(rate: f64, secs: f64) -> Scenario {
    let shape = Shape::builder()
        .hold(rps(rate), Duration::from_secs_f64(secs))
        .build()
        .expect("a valid shape");
    Scenario::new("scheduler-bench")
        .shape(shape)
        .window(Duration::from_secs(1))
        .max_in_flight(1_000_000)
}

fn run_noop(workers: usize, rate: f64, secs: f64) -> Report {
    runtime(workers)
        .block_on(scenario(rate, secs).run(|_ctx: Ctx| async {}))
        .expect("a valid scenario")
}

/// Echo every 64-byte message back, one task per connection.
async fn echo_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            let _ = conn.set_nodelay(true);
            tokio::spawn(async move {
                let mut buf = [0u8; MESSAGE];
                while conn.read_exact(&mut buf).await.is_ok() {
                    if conn.write_all(&buf).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    addr
}

/// One round trip on a pooled connection (a new one when none is free).
async fn ping(addr: SocketAddr, pool: Arc<Mutex<Vec<TcpStream>>>) -> std::io::Result<()> {
    let pooled = pool.lock().expect("pool").pop();
    let mut conn = match pooled {
        Some(conn) => conn,
        None => {
            let conn = TcpStream::connect(addr).await?;
            conn.set_nodelay(true)?;
            conn
        }
    };
    let mut buf = [7u8; MESSAGE];
    conn.write_all(&buf).await?;
    conn.read_exact(&mut buf).await?;
    pool.lock().expect("pool").push(conn);
    Ok(())
}

fn run_loopback(rate: f64, secs: f64) -> Report {
    runtime(2).block_on(async {
        let addr = echo_server().await;
        let pool = Arc::new(Mutex::new(Vec::new()));
        scenario(rate, secs)
            .run(move |_ctx: Ctx| ping(addr, pool.clone()))
            .await
            .expect("a valid scenario")
    })
}

fn pacing_row(rate: f64, run: usize, r: &Report) {
    // Every window but the last is a full second; planned = rate × 1 s.
    let full: Vec<(u64, f64)> = r
        .windows
        .iter()
        .filter(|w| w.end - w.start == Duration::from_secs(1))
        .map(|w| (w.stats.started, w.stats.target))
        .collect();
    let worst_count = full
        .iter()
        .map(|&(started, target)| (started as f64 - target).abs())
        .fold(0.0, f64::max);
    let (lo, hi) = full
        .iter()
        .map(|&(started, target)| started as f64 / target)
        .fold((f64::MAX, f64::MIN), |(lo, hi), x| (lo.min(x), hi.max(x)));
    let lag = &r.generator.schedule_lag;
    println!(
        "| {rate:.0} | {run} | {} | ±{worst_count:.0} | {lo:.5}–{hi:.5} | {} µs | {} µs | {} µs | {:.2}% | {} |",
        full.len(),
        lag.p50_us,
        lag.p99_us,
        lag.max_us,
        r.generator.pacer_cpu * 100.0,
        r.total.errors + r.total.dropped,
    );
}

/// How late a plain thread wakes from `park_timeout` every `period`, n times:
/// (p50, p99) in µs. The pacer cannot start iterations earlier than this.
fn timer_floor(period: Duration, n: usize) -> (u128, u128) {
    std::thread::spawn(move || {
        let mut late = Vec::with_capacity(n);
        let mut next = std::time::Instant::now() + period;
        for _ in 0..n {
            let mut now = std::time::Instant::now();
            while now < next {
                std::thread::park_timeout(next - now);
                now = std::time::Instant::now();
            }
            late.push((now - next).as_micros());
            next += period;
        }
        late.sort_unstable();
        (late[n / 2], late[n * 99 / 100])
    })
    .join()
    .expect("the floor thread")
}

fn pacing(secs: f64) {
    for period in [Duration::from_millis(5), Duration::from_millis(1)] {
        let (p50, p99) = timer_floor(period, 500);
        println!(
            "machine floor: a bare thread parked for {period:?} wakes late by p50 {p50} µs, p99 {p99} µs (default timer slack)"
        );
    }
    println!();
    for (name, loopback) in [
        ("no-op workload", false),
        ("loopback TCP ping-pong, server in the same runtime", true),
    ] {
        println!("## pacing, default settings, 2 worker threads, {secs} s per run: {name}");
        println!("| rps | run | full windows | worst window vs plan | achieved/target | lag p50 | lag p99 | lag max | pacer CPU | errors+dropped |");
        println!("|---:|---:|---:|---:|:--|---:|---:|---:|---:|---:|");
        for rate in [200.0, 1_000.0, 10_000.0, 50_000.0] {
            for run in 1..=3 {
                let r = if loopback {
                    run_loopback(rate, secs)
                } else {
                    run_noop(2, rate, secs)
                };
                pacing_row(rate, run, &r);
            }
        }
        println!();
    }
}

fn ceiling(secs: f64) {
    println!("## ceiling: no-op open model, 1 worker thread, {secs} s per rate");
    println!("| target rps | achieved starts/s | lag p50 | lag p99 | pacer CPU | sustained |");
    println!("|---:|---:|---:|---:|---:|:--|");
    let mut ceiling = 0.0;
    for rate in [
        100_000.0,
        250_000.0,
        500_000.0,
        750_000.0,
        1_000_000.0,
        1_500_000.0,
    ] {
        let r = run_noop(1, rate, secs);
        let achieved = r.total.started as f64 / r.elapsed.as_secs_f64().max(secs);
        let lag = r.generator.schedule_lag;
        let sustained =
            r.total.dropped == 0 && lag.p99_us < 5_000 && r.total.completed == r.total.scheduled;
        if sustained {
            ceiling = rate;
        }
        println!(
            "| {rate:.0} | {achieved:.0} | {} µs | {} µs | {:.1}% | {} |",
            lag.p50_us,
            lag.p99_us,
            r.generator.pacer_cpu * 100.0,
            if sustained { "yes" } else { "no" }
        );
    }
    println!("\nceiling (highest sustained rate tried): {ceiling:.0} starts/s");
}

fn main() {
    let quick = std::env::args().any(|a| a == "quick");
    let only_pacing = std::env::args().any(|a| a == "pacing");
    let secs = if quick { 2.0 } else { 5.0 };
    pacing(secs);
    if !only_pacing {
        ceiling(secs);
    }
}

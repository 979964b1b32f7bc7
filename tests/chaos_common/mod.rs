//! Helpers shared by the chaos tests: servers whose behaviour is known by
//! construction, medians, and the fault edges a run recorded.
#![allow(dead_code, unreachable_pub)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use spike::prelude::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// An echo server on 127.0.0.1: every byte read is written back.
pub async fn echo_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind echo");
    let addr = listener.local_addr().expect("echo addr");
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16 * 1024];
                loop {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => {
                            if stream.write_all(&buf[..n]).await.is_err() {
                                return;
                            }
                        }
                    }
                }
            });
        }
    });
    addr
}

/// A server on 127.0.0.1 that, for each byte `b'g'` it reads, writes
/// `size` bytes (the pattern `i % 251`).
pub async fn blob_server(size: usize) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind blob");
    let addr = listener.local_addr().expect("blob addr");
    let blob: Arc<Vec<u8>> = Arc::new((0..size).map(|i| (i % 251) as u8).collect());
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let blob = blob.clone();
            tokio::spawn(async move {
                let mut byte = [0u8; 1];
                while let Ok(1) = stream.read(&mut byte).await {
                    if byte[0] == b'g' && stream.write_all(&blob).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    addr
}

/// A server on 127.0.0.1 that reads requests and never answers; counts
/// the bytes it received.
pub async fn silent_server() -> (SocketAddr, Arc<std::sync::atomic::AtomicU64>) {
    use std::sync::atomic::{AtomicU64, Ordering};
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind silent");
    let addr = listener.local_addr().expect("silent addr");
    let received = Arc::new(AtomicU64::new(0));
    let counted = received.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let counted = counted.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 1024];
                while let Ok(n) = stream.read(&mut buf).await {
                    if n == 0 {
                        return;
                    }
                    counted.fetch_add(n as u64, Ordering::SeqCst);
                }
            });
        }
    });
    (addr, received)
}

/// The median of `samples` (sorted in place).
pub fn median(samples: &mut [Duration]) -> Duration {
    samples.sort_unstable();
    samples[samples.len() / 2]
}

/// The 1-minute load average, if the machine tells.
pub fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The actual (on, off) edges of the fault `name`, from the run start, as
/// the report's fault timeline records them. Prints them next to the plan
/// and checks they are on the load's clock: within 1 ms of plan, plus the
/// run's schedule lag p99 (what a loaded machine delays every wake-up by,
/// the fault clock's as the pacer's).
pub fn fault_edges(report: &Report, name: &str) -> (Duration, Duration) {
    let span = report
        .fault(name)
        .unwrap_or_else(|| panic!("no fault `{name}` in the report"));
    let on = span.actual_start.expect("the fault started");
    let off = span.actual_end.expect("the fault ended");
    let edge = span.edge_error().expect("both edges happened");
    println!(
        "fault {name}: planned {:?}..{:?}, actual {on:?}..{off:?}, edges within {edge:?} of plan",
        span.planned_start, span.planned_end
    );
    let allowed = Duration::from_millis(1) + report.generator.schedule_lag.p99();
    assert!(
        edge <= allowed,
        "fault `{name}`: edges {edge:?} off plan, over {allowed:?}"
    );
    (on, off)
}

//! `#[spike_test]` installs the live exporters the environment names:
//! bad values refuse the run before any traffic, naming the variable; a
//! good `SPIKE_PROMETHEUS` serves the run's counts at that address.
//!
//! The only test of this binary: it sets process-wide variables.
#![cfg(feature = "prometheus")]

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use spike::prelude::*;

const SCENARIO: &str = "live_env";

async fn run(calls: &Arc<AtomicU64>) -> Result<Report, SpikeError> {
    let calls = calls.clone();
    let shape = Shape::builder().hold(rps(100), ms(500)).build().unwrap();
    Scenario::new(SCENARIO)
        .shape(shape)
        .run(move |_ctx: Ctx| {
            calls.fetch_add(1, Ordering::Relaxed);
            async {}
        })
        .await
}

fn metrics_text(addr: SocketAddr) -> String {
    let mut s = TcpStream::connect(addr).expect("the endpoint answers");
    write!(
        s,
        "GET /metrics HTTP/1.0\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    raw
}

#[spike_test(timeout = "60s")]
async fn environment_enables_and_checks_the_prometheus_endpoint() {
    let calls = Arc::new(AtomicU64::new(0));
    for (var, value, expected) in [
        ("SPIKE_PROMETHEUS", "localhost", "address and port"),
        ("SPIKE_PROMETHEUS", "10.1.2.3:9464", "loopback"),
        ("SPIKE_PROMETHEUS_LINGER", "-1", "seconds"),
        ("SPIKE_PROMETHEUS_LINGER", "NaN", "seconds"),
    ] {
        std::env::set_var("SPIKE_PROMETHEUS", "127.0.0.1:0");
        std::env::remove_var("SPIKE_PROMETHEUS_LINGER");
        std::env::set_var(var, value);
        let err = run(&calls).await.expect_err(value);
        let text = err.to_string();
        assert!(
            matches!(err, SpikeError::BadEnv { var: v, .. } if v == var),
            "{value}: {text}"
        );
        assert!(text.contains(expected), "{value}: {text}");
        assert_eq!(calls.load(Ordering::Relaxed), 0, "no traffic before {text}");
    }

    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    std::env::set_var("SPIKE_PROMETHEUS", addr.to_string());
    std::env::set_var("SPIKE_PROMETHEUS_LINGER", "0");
    let report = run(&calls).await.unwrap();
    std::env::remove_var("SPIKE_PROMETHEUS");
    std::env::remove_var("SPIKE_PROMETHEUS_LINGER");
    assert_eq!(report.total.completed, 50);
    let text = metrics_text(addr);
    assert!(
        text.starts_with("HTTP/1.0 200") || text.starts_with("HTTP/1.1 200"),
        "{text}"
    );
    let line = format!("spike_iterations_total{{scenario=\"{SCENARIO}\",phase=\"hold\"}} 50");
    assert!(text.contains(&line), "{line} not in:\n{text}");
    let count = format!(
        "spike_iteration_latency_seconds_count{{scenario=\"{SCENARIO}\",phase=\"hold\"}} 50"
    );
    assert!(text.contains(&count), "{count} not in:\n{text}");
}

//! WebSocket driver against the in-process echo + broadcast server.
#![cfg(feature = "ws")]

mod drivers_common;

use std::time::Duration;

use drivers_common::closed_port;
use spike::prelude::*;
use spike::ws::{counters, metrics, EchoServer, WsAvalanche, WsSession, WsStats, WsTargetError};

/// 10 connections in the baseline, 200 in the burst, 20 after: with a 1 s
/// hold, about 210 are open at once at the end of the burst.
fn avalanche_shape() -> Shape {
    Shape::builder()
        .hold(rps(20), ms(500))
        .named("baseline")
        .burst(rps(400), ms(500))
        .recover(rps(20), ms(1_000))
        .build()
        .expect("valid shape")
}

async fn avalanche_against(limit: usize) -> (Report, spike::ws::WsStats, EchoServer) {
    let server = EchoServer::start(limit)
        .await
        .expect("start the echo server");
    let avalanche = WsAvalanche::new(server.url())
        .expect("loopback URL")
        .hold(secs(1))
        .message_every(ms(250));
    let report = Scenario::new(format!("ws-avalanche-limit-{limit}"))
        .shape(avalanche_shape())
        .window(ms(100))
        .iteration_timeout(secs(5))
        // The test judges whether connections succeed, not pacing to the
        // millisecond: 200 handshakes within 500 ms, in a debug build
        // sharing 2 cores with its echo server, lag the generator by ~25 ms
        // on a quiet machine and more on a busy one (a lag p99 of 25.6 ms
        // made this run inconclusive once). Up to 250 ms of lag still
        // starts every burst connection inside the burst's second half.
        .lag_budget(ms(250))
        .run(avalanche.clone())
        .await
        .expect("valid scenario");
    // Every connection was closed when its iteration ended.
    assert_eq!(avalanche.open_connections(), 0);
    let stats = WsStats::of(&report);
    (report, stats, server)
}

/// The spike test of the issue: 200 connections arrive within 500 ms; more
/// than 90% must succeed and the message round trip must stay bounded.
#[spike_test(timeout = "60s")]
async fn two_hundred_simultaneous_connections_succeed_with_bounded_message_latency() {
    let (report, stats, server) = avalanche_against(256).await;
    println!("{report}");
    spike::expect(&report)
        .ratio(counters::CONNECTED, counters::CONNECT_ATTEMPT)
        .above(pct(90))
        .errors("ws_dropped")
        .at_most(0)
        .error_rate()
        .below(pct(10))
        .phase("burst")
        .ratio(counters::CONNECTED, counters::CONNECT_ATTEMPT)
        .above(pct(90))
        .verify();
    println!(
        "connected {}/{} peak open {} | handshake burst {:?} | message rtt {:?}",
        stats.connected,
        stats.attempted,
        stats.peak_open,
        stats.handshake.phase("burst"),
        stats.message_rtt.total
    );
    let planned = report.total.scheduled;
    let burst = &report.phase("burst").expect("burst phase").stats;
    assert_eq!(stats.attempted, planned, "one connection per iteration");
    // The burst really held its connections open at once: with a 1 s hold
    // every burst connection overlaps every other one.
    let at_once = burst.scheduled * 9 / 10;
    assert!(
        stats.peak_open >= at_once,
        "peak open {} < {at_once}",
        stats.peak_open
    );
    assert!(
        server.stats().peak >= at_once,
        "server {:?}",
        server.stats()
    );
    let open_gauge = report
        .total
        .gauges
        .get(counters::OPEN)
        .expect("ws_open gauge");
    assert!(
        open_gauge.max >= at_once as f64,
        "ws_open max {}",
        open_gauge.max
    );
    // Every connection exchanged 4 messages (t = 0, 250, 500, 750 ms),
    // each timed, with a bounded round trip.
    assert_eq!(
        report.total.counter(counters::MESSAGE_RECEIVED),
        4 * stats.connected
    );
    assert_eq!(stats.message_rtt.total.count, 4 * stats.connected);
    assert_eq!(stats.handshake.total.count, stats.connected);
    // The view reads the report's own metric, on the scenario's window.
    assert_eq!(
        report.total.metric(metrics::MESSAGE_RTT).map(|p| p.count),
        Some(stats.message_rtt.total.count)
    );
    assert_eq!(
        stats.message_rtt.windows.len(),
        report
            .windows
            .iter()
            .filter(|w| w.stats.metric(metrics::MESSAGE_RTT).is_some())
            .count()
    );
    let rtt_p99 = Duration::from_micros(stats.message_rtt.total.p99_us);
    assert!(rtt_p99 < ms(250), "message round trip p99 {rtt_p99:?}");
    let hs = stats.handshake.phase("burst").expect("burst handshakes");
    assert!(hs.p95_us < 500_000, "burst handshake p95 {} µs", hs.p95_us);
}

/// The same avalanche against a limit of 64 connections: the check of the
/// test above fails, and the report says why (503 refusals).
#[spike_test(timeout = "60s")]
async fn a_too_small_connection_limit_fails_visibly() {
    let (report, stats, server) = avalanche_against(64).await;
    println!("{report}");
    let failure = spike::expect(&report)
        .ratio(counters::CONNECTED, counters::CONNECT_ATTEMPT)
        .above(pct(90))
        .try_verify()
        .expect_err("a 64-connection limit cannot take 200 connections");
    println!("{failure}");
    assert_eq!(failure.failed().count(), 1);
    let refused = report.total.errors_of("http_5xx");
    assert_eq!(report.total.http_statuses.get(&503).copied(), Some(refused));
    assert_eq!(
        refused,
        server.stats().rejected,
        "every refusal is reported"
    );
    assert!(
        refused >= report.total.scheduled / 2,
        "only {refused} handshakes refused"
    );
    assert!(stats.peak_open <= 64, "peak open {}", stats.peak_open);
    assert_eq!(stats.failed, refused);
    assert!(
        report.total.error_samples["http_5xx"].contains("503"),
        "{:?}",
        report.total.error_samples
    );
}

#[spike_test(timeout = "60s")]
async fn established_connections_dropped_by_the_server_are_counted() {
    let server = EchoServer::start(100).await.expect("start the echo server");
    let avalanche = WsAvalanche::new(server.url())
        .expect("loopback URL")
        .hold(secs(2))
        .no_messages();
    let shape = Shape::builder().hold(rps(50), ms(400)).build().unwrap();
    let run = Scenario::new("ws-drops")
        .shape(shape)
        .window(ms(100))
        .run(avalanche.clone());
    let kick = async {
        tokio::time::sleep(ms(700)).await;
        server.disconnect_all();
    };
    let (report, ()) = tokio::join!(run, kick);
    let report = report.expect("valid scenario");
    println!("{report}");
    assert_eq!(report.total.counter(counters::CONNECTED), 20);
    assert_eq!(report.total.errors_of("ws_dropped"), 20, "{report}");
    assert_eq!(report.total.counter(counters::DROPPED), 20);
    assert_eq!(WsStats::of(&report).dropped, 20);
    assert_eq!(avalanche.open_connections(), 0);
    assert!(
        report.total.error_samples["ws_dropped"].contains("1001"),
        "{:?}",
        report.total.error_samples
    );
    // Dropped a little after 0.7 s, well before the 2 s hold.
    assert!(report.total.latency.max_us < 1_500_000, "{report}");
}

#[spike_test(timeout = "60s")]
async fn scripted_sessions_echo_and_broadcast() {
    let server = EchoServer::start(100).await.expect("start the echo server");
    let session = WsSession::new(server.url())
        .expect("loopback URL")
        .send("hello {iteration}")
        .expect("hello {iteration}")
        .send("broadcast:news {iteration}")
        .expect("news {iteration}")
        .pause(ms(100));
    let shape = Shape::builder().hold(rps(60), ms(500)).build().unwrap();
    let report = Scenario::new("ws-sessions")
        .shape(shape)
        .window(ms(100))
        .run(session)
        .await
        .expect("valid scenario");
    println!("{report}");
    assert_eq!(report.total.completed, 30);
    assert_eq!(report.total.errors, 0, "{report}");
    assert_eq!(report.total.counter(counters::MESSAGE_SENT), 60);
    assert_eq!(report.total.counter(counters::MESSAGE_RECEIVED), 60);
    let stats = WsStats::of(&report);
    assert_eq!(stats.message_rtt.total.count, 60);
    assert_eq!(stats.handshake.total.count, 30);
    assert_eq!(server.stats().broadcasts, 30);
    assert_eq!(server.stats().echoed, 30);
    // Sessions overlap (100 ms pause, one every 16.7 ms): each one also
    // receives the broadcasts of the others, skipped and counted.
    assert!(report.total.counter(counters::UNSOLICITED) > 0, "{report}");
    // The iteration spans the whole session, the message metric one hop.
    assert!(report.total.latency.p50_us >= 100_000);
    assert!(stats.message_rtt.total.p50_us < 50_000);
    assert_eq!(stats.message_rtt.windows.len(), 5);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_closed_port_gives_a_report_full_of_connect_errors() {
    let url = format!("ws://127.0.0.1:{}/", closed_port());
    let avalanche = WsAvalanche::new(url).expect("loopback URL");
    let shape = Shape::builder().hold(rps(50), ms(400)).build().unwrap();
    let report = Scenario::new("ws-closed-port")
        .shape(shape)
        .window(ms(100))
        .run(avalanche)
        .await
        .expect("valid scenario");
    println!("{report}");
    assert_eq!(report.total.completed, 20);
    assert_eq!(report.total.errors_of("connect"), 20, "{report}");
    assert_eq!(report.total.counter(counters::CONNECT_FAILED), 20);
    assert_eq!(report.total.counter(counters::CONNECTED), 0);
    assert_eq!(WsStats::of(&report).success_ratio(), 0.0);
}

#[test]
fn non_loopback_targets_are_refused_before_any_traffic() {
    let err = WsAvalanche::new("ws://10.1.2.3:8080/chat").unwrap_err();
    assert!(matches!(err, WsTargetError::Refused(ref r) if r.host == "10.1.2.3"));
    assert!(err.to_string().contains("SPIKE_ALLOW_HOSTS"), "{err}");
    assert!(matches!(
        WsSession::new("http://127.0.0.1/"),
        Err(WsTargetError::BadUrl(_))
    ));
    assert!(matches!(
        WsSession::new("wss://127.0.0.1/"),
        Err(WsTargetError::BadUrl(_))
    ));
    assert!(WsAvalanche::new_allowing("ws://ws.staging:80/", &["ws.staging".into()]).is_ok());
    assert!(WsSession::new("ws://[::1]:9/").is_ok());
}

use spike::prelude::*;
use spike::ws::{counters, EchoServer, WsAvalanche, WsStats};

#[spike_test(timeout = "60s")]
async fn two_hundred_simultaneous_connections() {
    // Echo + broadcast server on 127.0.0.1, at most 256 connections.
    let server = EchoServer::start(256).await.unwrap();
    let avalanche = WsAvalanche::new(server.url()).unwrap()
        .hold(secs(1))              // each connection stays up 1 s
        .message_every(ms(250));    // and times an echo every 250 ms
    let shape = Shape::builder()
        .hold(rps(20), ms(500)).named("baseline")
        .burst(rps(400), ms(500))   // 200 connections in half a second
        .recover(rps(20), secs(1))
        .build().unwrap();
    let report = Scenario::new("ws-avalanche").shape(shape).window(ms(100))
        .iteration_timeout(secs(5))
        .run(avalanche).await.unwrap();

    expect(&report)
        .ratio(counters::CONNECTED, counters::CONNECT_ATTEMPT).above(pct(90))
        .errors("ws_dropped").at_most(0)
        .verify();
    let stats = WsStats::of(&report);      // a view over the report
    assert!(stats.peak_open >= 180);
    assert!(stats.message_rtt.total.p99_us < 250_000); // bounded round trip
}

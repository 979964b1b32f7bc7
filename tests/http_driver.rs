//! The HTTP driver against the demo service and small raw servers, all on
//! 127.0.0.1: error classes, per-iteration values, connection modes,
//! HTTP/2, tags, health probes and the loopback-only safety rule.
#![cfg(feature = "http")]

use std::time::Duration;

use spike::demo::DemoService;
use spike::http::{Connections, Http, HttpError};
use spike::prelude::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn hold(level: spike::Level, d: Duration) -> Shape {
    Shape::builder()
        .hold(level, d)
        .build()
        .expect("valid shape")
}

#[test]
fn non_loopback_targets_are_refused_before_any_traffic() {
    // Building the client is where the check happens: these calls resolve
    // and send nothing, they only parse the URL.
    for url in [
        "http://example.com",
        "http://192.0.2.10:8080",
        "http://10.0.0.1",
        "http://[2001:db8::1]:80",
        "http://localhost.example.com",
    ] {
        let err = Http::builder(url).build().expect_err(url);
        let HttpError::HostNotAllowed { host, .. } = &err else {
            panic!("{url}: expected HostNotAllowed, got {err:?}");
        };
        let msg = err.to_string();
        assert!(msg.contains(&format!(".allow_host(\"{host}\")")), "{msg}");
        assert!(msg.contains(&format!("SPIKE_ALLOW_HOSTS={host}")), "{msg}");
    }
    for url in [
        "http://127.0.0.1:1",
        "http://127.45.6.7",
        "http://localhost:8080/api",
        "http://[::1]:9",
    ] {
        Http::builder(url)
            .build()
            .unwrap_or_else(|e| panic!("{url}: {e}"));
    }
    // Explicitly allowed: the client builds (and still sends nothing here).
    let allowed = Http::builder("http://192.0.2.10:8080")
        .allow_host("192.0.2.10")
        .build()
        .expect("allowed host");
    assert_eq!(allowed.base_url(), "http://192.0.2.10:8080");
    // https:// needs the `tls` feature (tests/http_tls.rs runs it).
    #[cfg(not(feature = "tls"))]
    {
        let err = Http::builder("https://127.0.0.1")
            .build()
            .expect_err("no tls");
        assert!(matches!(err, HttpError::BadUrl { .. }), "{err:?}");
        assert!(err.to_string().contains("`tls` feature"), "{err}");
    }
    assert!(matches!(
        Http::builder("ftp://127.0.0.1").build(),
        Err(HttpError::BadUrl { .. })
    ));
    assert!(matches!(
        Http::builder("not a url").build(),
        Err(HttpError::BadUrl { .. })
    ));
}

#[tokio::test]
async fn paths_must_start_with_a_slash() {
    // `http://127.0.0.1:1` + `@example.com/` would name another host: the
    // run is refused before any traffic (it used to panic in the builder).
    let http = Http::builder("http://127.0.0.1:1").build().unwrap();
    let request = http.get("@example.com/");
    let err = Scenario::new("no-slash")
        .shape(Shape::builder().hold(rps(10), ms(100)).build().unwrap())
        .window(ms(50))
        .run(request)
        .await
        .unwrap_err();
    assert!(matches!(err, SpikeError::BadWorkload { .. }), "{err}");
    assert!(err.to_string().contains("must start with `/`"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_failure_gets_its_class_and_exact_status() {
    // connect: a port nobody listens on (bound, then closed).
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let http = Http::builder(format!("http://127.0.0.1:{port}"))
        .build()
        .unwrap();
    let report = Scenario::new("connect")
        .shape(hold(rps(20), ms(250)))
        .window(ms(50))
        .run(http.get("/"))
        .await
        .unwrap();
    assert_eq!(report.total.completed, 5);
    assert_eq!(report.total.errors_of("connect"), 5, "{report}");

    // timeout: work 400 ms, request timeout 50 ms. Latency of a timeout is
    // recorded: p50 at least the 50 ms timeout.
    let slow = DemoService::builder().work(ms(400)).start().await.unwrap();
    let http = Http::builder(slow.url()).timeout(ms(50)).build().unwrap();
    let report = Scenario::new("timeout")
        .shape(hold(rps(20), ms(250)))
        .window(ms(50))
        .run(http.get("/work"))
        .await
        .unwrap();
    assert_eq!(report.total.errors_of("timeout"), 5, "{report}");
    assert!(report.total.latency.p50_us >= 50_000, "{report}");

    // exact status: 404 for an unknown path, and a 503 from shedding.
    let demo = DemoService::builder().start().await.unwrap();
    let http = Http::builder(demo.url()).build().unwrap();
    let report = Scenario::new("status")
        .shape(hold(rps(20), ms(250)))
        .window(ms(50))
        .run(http.get("/nope"))
        .await
        .unwrap();
    assert_eq!(report.total.errors_of("http_4xx"), 5);
    assert_eq!(report.total.http_statuses.get(&404), Some(&5), "{report}");
    let sample = &report.total.error_samples["http_4xx"];
    assert!(
        sample.contains("GET /nope answered 404 (expected 2xx)"),
        "{sample}"
    );

    // an accepted non-2xx status is a success
    let report = Scenario::new("status-ok")
        .shape(hold(rps(20), ms(250)))
        .window(ms(50))
        .run(http.get("/nope").expect_status([200, 404]))
        .await
        .unwrap();
    assert_eq!(report.total.errors, 0, "{report}");

    // protocol: a server that answers garbage.
    let garbage = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = garbage.local_addr().unwrap();
    let server = tokio::spawn(async move {
        loop {
            let (mut s, _) = garbage.accept().await.unwrap();
            tokio::spawn(async move {
                let mut buf = [0u8; 1024];
                let _ = s.read(&mut buf).await;
                let _ = s.write_all(b"NOT HTTP AT ALL\r\n\r\n").await;
            });
        }
    });
    let http = Http::builder(format!("http://{addr}")).build().unwrap();
    let report = Scenario::new("protocol")
        .shape(hold(rps(20), ms(250)))
        .window(ms(50))
        .run(http.get("/"))
        .await
        .unwrap();
    server.abort();
    assert_eq!(report.total.errors_of("protocol"), 5, "{report}");

    // checks: body and JSON
    let http = Http::builder(demo.url()).build().unwrap();
    let login = http
        .post("/login")
        .body(r#"{"user":"u{iteration}"}"#)
        .expect_json_eq("/backend", "b1".into())
        .expect_body_contains("token");
    let report = Scenario::new("checks-pass")
        .shape(hold(rps(20), ms(250)))
        .window(ms(50))
        .run(login)
        .await
        .unwrap();
    assert_eq!(report.total.errors, 0, "{report}");
    let report = Scenario::new("checks-fail")
        .shape(hold(rps(20), ms(250)))
        .window(ms(50))
        .run(http.get("/").expect_body_contains("nope"))
        .await
        .unwrap();
    assert_eq!(report.total.errors_of("check_body"), 5, "{report}");
    let report = Scenario::new("checks-json")
        .shape(hold(rps(20), ms(250)))
        .window(ms(50))
        .run(http.get("/").expect_json("/token"))
        .await
        .unwrap();
    assert_eq!(report.total.errors_of("check_json"), 5, "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_iteration_values_make_distinct_users() {
    let demo = DemoService::builder().start().await.unwrap();
    let http = Http::builder(demo.url()).build().unwrap();
    // 200 iterations, {iteration} in the body: 200 distinct users.
    let login = http
        .post("/login")
        .header("content-type", "application/json")
        .header("x-request", "r-{iteration}")
        .body(r#"{"user":"user-{iteration}"}"#)
        .expect_status(200)
        .expect_json("/token");
    let report = Scenario::new("distinct")
        .shape(hold(rps(400), ms(500)))
        .window(ms(100))
        .run(login)
        .await
        .unwrap();
    assert_eq!(report.total.completed, 200);
    assert_eq!(report.total.errors, 0, "{report}");
    assert_eq!(demo.stats().distinct_users, 200);

    // {value} picks from a list of 3: at most 3 more distinct users, and
    // with 100 draws all three appear (chance of missing one ≈ 3·(2/3)^100).
    let before = demo.stats().distinct_users;
    let pick = http
        .post("/login")
        .body(r#"{"user":"{value}"}"#)
        .values(["ann", "bob", "cy"]);
    Scenario::new("values")
        .shape(hold(rps(200), ms(500)))
        .window(ms(100))
        .run(pick)
        .await
        .unwrap();
    assert_eq!(demo.stats().distinct_users, before + 3);

    // {user} below 5: at most 5 distinct ids.
    let before = demo.stats().distinct_users;
    let seeded = http
        .post("/login")
        .body(r#"{"user":"seeded-{user}"}"#)
        .users(5);
    Scenario::new("seeded")
        .shape(hold(rps(200), ms(500)))
        .window(ms(100))
        .run(seeded)
        .await
        .unwrap();
    let added = demo.stats().distinct_users - before;
    assert!((1..=5).contains(&added), "{added}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_modes_are_counted_on_both_sides() {
    let demo = DemoService::builder().work(ms(2)).start().await.unwrap();
    // Pooled, closed model with 4 users: 4 connections, reused.
    let pooled = Http::builder(demo.url()).build().unwrap();
    assert_eq!(pooled.connection_mode(), Connections::Pooled);
    let report = Scenario::new("pooled")
        .shape(hold(users(4), ms(500)))
        .window(ms(100))
        .run(pooled.get("/work"))
        .await
        .unwrap();
    assert!(report.total.completed > 100, "{report}");
    assert_eq!(report.total.counter("http_connections_opened"), 4);
    assert_eq!(pooled.connections_opened(), 4);
    assert_eq!(demo.stats().connections, 4);

    // New connection per iteration: one connection per request, exactly.
    let fresh = Http::builder(demo.url())
        .new_connection_per_iteration()
        .build()
        .unwrap();
    let report = Scenario::new("per-iteration")
        .shape(hold(rps(200), ms(500)))
        .window(ms(100))
        .run(fresh.get("/work"))
        .await
        .unwrap();
    assert_eq!(report.total.completed, 100);
    assert_eq!(report.total.errors, 0, "{report}");
    assert_eq!(report.total.counter("http_connections_opened"), 100);
    assert_eq!(demo.stats().connections, 4 + 100);

    // HTTP/2 (h2c), pooled: every request arrives over HTTP/2, on one
    // multiplexed connection.
    let h2 = Http::builder(demo.url()).http2().build().unwrap();
    let report = Scenario::new("h2")
        .shape(hold(rps(200), ms(500)))
        .window(ms(100))
        .run(h2.get("/work"))
        .await
        .unwrap();
    assert_eq!(report.total.errors, 0, "{report}");
    let stats = demo.stats();
    assert_eq!(stats.http2_requests, 100);
    assert_eq!(report.total.counter("http_connections_opened"), 1);
    assert_eq!(stats.connections, 4 + 100 + 1);

    // A templated path with a status check, pooled, closed model: one
    // keep-alive connection per user, like wrk/oha; the TCP connect time
    // of each is recorded once.
    let templated = Http::builder(demo.url()).build().unwrap();
    let report = Scenario::new("templated")
        .shape(hold(users(3), ms(300)))
        .window(ms(100))
        .run(
            templated
                .get("/work?i={iteration}")
                .header("x-user", "u{user}")
                .expect_status(200),
        )
        .await
        .unwrap();
    assert_eq!(report.total.errors, 0, "{report}");
    assert!(report.total.completed > 50, "{report}");
    assert_eq!(templated.connections_opened(), 3);
    assert_eq!(report.total.counter("http_connections_opened"), 3);
    assert_eq!(report.total.metrics["http.connect"].count, 3, "{report}");
    assert!(!report.total.metrics.contains_key("http.tls_handshake"));
    assert_eq!(demo.stats().connections, 4 + 100 + 1 + 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tags_per_request_and_from_a_response_header() {
    let demo = DemoService::builder().backends(3).start().await.unwrap();
    let http = Http::builder(demo.url()).build().unwrap();
    let req = http
        .get("/work")
        .tag("endpoint", "work")
        .tag_from_header("x-backend");
    let report = Scenario::new("tags")
        .shape(hold(rps(300), ms(500)))
        .window(ms(100))
        .run(req)
        .await
        .unwrap();
    assert_eq!(report.total.completed, 150);
    assert_eq!(report.total.tags["endpoint"]["work"].count, 150);
    // Round robin: exactly 50 each.
    let backends = &report.total.tags["x-backend"];
    assert_eq!(backends.len(), 3);
    for b in ["b1", "b2", "b3"] {
        assert_eq!(backends[b].count, 50, "{b}: {backends:?}");
    }
    assert_eq!(demo.stats().served, vec![50, 50, 50]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_probe_waits_and_records() {
    let demo = DemoService::builder().start().await.unwrap();
    let http = Http::builder(demo.url()).build().unwrap();
    let probe = http.health("/health").timeout(secs(2));
    let ok = probe.wait_healthy("before run").await.unwrap();
    assert!(ok.healthy);
    assert_eq!(ok.status, Some(200));
    assert_eq!(ok.attempts, 1);

    let mut report = Scenario::new("probe")
        .shape(hold(rps(10), ms(100)))
        .window(ms(50))
        .run(http.get("/"))
        .await
        .unwrap();
    ok.record(&mut report);
    let check = report.checks.last().unwrap();
    assert!(check.passed);
    assert_eq!(check.scope, "before run");
    assert!(check.check.ends_with("/health"), "{check:?}");

    // A path that never answers 2xx: the probe gives up after its timeout.
    let missing = http.health("/missing").timeout(ms(300)).interval(ms(50));
    let err = missing.wait_healthy("after recovery").await.unwrap_err();
    let HttpError::Unhealthy {
        attempts, waited, ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert!((5..=7).contains(attempts), "{err}");
    assert!(*waited >= ms(250) && *waited <= ms(600), "{err}");
    assert!(err.to_string().contains("status 404"), "{err}");
    let failed = missing.wait("after recovery").await;
    assert!(!failed.healthy);
    assert!(!failed.to_check("healthy answer").passed);
}

//! Secrets never reach a report, an artifact, a progress line or a failure
//! message. Each test plants secrets where a user would put them (URL
//! userinfo, an `access_token` query, `Authorization`, `Cookie`, a header
//! marked secret, a Postgres or Redis password, a WebSocket URL, a
//! workload's own error text, a server that echoes credentials back), runs
//! a short scenario against closed loopback ports or a loopback server so
//! the error paths run, and then searches every output for the secrets:
//! report.json, report.html, timeline.csv and latency.hlog as written by
//! `spike::artifacts::write_all`, the progress lines (the plain
//! progress line of every snapshot, `spike_core::progress::status_line`),
//! the `Display` summary and the assertion failure message.
//!
//! Each test also checks that the place was really exercised (the error
//! class it expects is in the report, the non-secret part of the URL is
//! there), so a test cannot pass because nothing was recorded.
#![cfg(all(
    feature = "http",
    feature = "ws",
    feature = "postgres",
    feature = "redis"
))]

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

mod raw_http;

use raw_http::raw_http_server;
use spike::http::Http;
use spike::prelude::*;
use spike::progress::status_line;
use spike::Model;

/// A port on 127.0.0.1 with nothing listening (bound, then released).
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

fn short() -> Shape {
    Shape::builder()
        .hold(rps(40), ms(300))
        .build()
        .expect("valid shape")
}

/// Everything a run shows a human or writes to disk, by name.
struct Outputs {
    texts: Vec<(String, String)>,
}

impl Outputs {
    fn assert_free_of(&self, secrets: &[&str]) {
        for (place, text) in &self.texts {
            for secret in secrets {
                assert!(
                    !text.contains(secret),
                    "secret `{secret}` found in {place}:\n{text}"
                );
            }
        }
    }

    fn get(&self, place: &str) -> &str {
        &self
            .texts
            .iter()
            .find(|(p, _)| p == place)
            .unwrap_or_else(|| panic!("no {place}"))
            .1
    }
}

/// Run `workload` for a short open-model hold, capturing the progress
/// lines; write the artifacts; collect every output.
async fn run_and_collect<W: spike::Workload>(
    name: &str,
    workload: W,
    mut extra: impl FnMut(&mut Report),
) -> (Report, Outputs) {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    let mut report = Scenario::new(name)
        .shape(short())
        .window(ms(100))
        .on_progress(move |p| sink.lock().unwrap().push(status_line(p, Model::Open, None)))
        .run(workload)
        .await
        .expect("run");
    extra(&mut report);
    let dir: PathBuf =
        std::env::temp_dir().join(format!("spike-secrets-{}-{name}", std::process::id()));
    let paths = spike::artifacts::write_all(&report, &dir).expect("artifacts");
    let mut texts = vec![
        (
            "report.json".to_owned(),
            std::fs::read_to_string(&paths.report_json).expect("json"),
        ),
        (
            "report.html".to_owned(),
            std::fs::read_to_string(&paths.report_html).expect("html"),
        ),
        (
            "timeline.csv".to_owned(),
            std::fs::read_to_string(&paths.timeline_csv).expect("csv"),
        ),
    ];
    if let Some(hlog) = &paths.latency_hlog {
        texts.push((
            "latency.hlog".to_owned(),
            std::fs::read_to_string(hlog).expect("hlog"),
        ));
    }
    texts.push(("Display summary".to_owned(), report.to_string()));
    let progress = lines.lock().unwrap().join("\n");
    assert!(!progress.is_empty(), "the run reported progress");
    texts.push(("progress lines".to_owned(), progress));
    let failure = expect(&report)
        .error_rate()
        .below(pct(0))
        .try_verify()
        .expect_err("every run here has errors");
    texts.push(("failure message".to_owned(), failure.to_string()));
    let _ = std::fs::remove_dir_all(&dir);
    (report, Outputs { texts })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_userinfo_query_token_and_health_url_are_redacted() {
    let port = closed_port();
    let http = Http::builder(format!("http://alice:UserinfoPw-7Q2@127.0.0.1:{port}"))
        .timeout(ms(500))
        .build()
        .expect("client");
    let probe = http
        .health("/health?key=HealthKey-2Q5")
        .timeout(ms(150))
        .interval(ms(50));
    let check = probe.wait("before run").await;
    assert!(!check.healthy);
    let request = http.get("/orders?access_token=QueryTok-9X1");
    let (report, out) = run_and_collect("http-url", request, |r| check.record(r)).await;
    assert_eq!(report.total.errors_of("connect"), report.total.completed);
    assert!(report.total.completed > 0);
    // The URL made it into the report, without its secrets.
    let json = out.get("report.json");
    assert!(
        json.contains("healthy GET http://[redacted]@127.0.0.1"),
        "{json}"
    );
    out.assert_free_of(&["UserinfoPw-7Q2", "QueryTok-9X1", "HealthKey-2Q5"]);
    // The builder's errors too.
    let err = Http::builder("http://bob:BuildPw-6Y1@10.0.0.1/?t=BuildTok-1")
        .build()
        .unwrap_err()
        .to_string();
    assert!(err.contains("10.0.0.1"), "{err}");
    assert!(
        !err.contains("BuildPw-6Y1") && !err.contains("BuildTok-1"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rendered_secret_headers_that_fail_validation_are_not_printed() {
    let http = Http::builder(format!("http://127.0.0.1:{}", closed_port()))
        .build()
        .expect("client");
    // Each value becomes invalid once rendered (a control character), so
    // the iteration fails with class `request` and a message naming the
    // header.
    let cases = [
        (
            "authz",
            http.get("/")
                .header("authorization", "Bearer AuthzTok-3K8\n{iteration}"),
            "AuthzTok-3K8",
        ),
        (
            "cookie",
            http.get("/")
                .header("Cookie", "sid=CookieVal-5M4\n{iteration}"),
            "CookieVal-5M4",
        ),
        (
            "marked",
            http.get("/")
                .secret_header("x-api-key", "ApiKey-8P6\n{iteration}"),
            "ApiKey-8P6",
        ),
    ];
    for (name, request, secret) in cases {
        let (report, out) = run_and_collect(name, request, |_| {}).await;
        assert_eq!(
            report.total.errors_of("request"),
            report.total.completed,
            "{report}"
        );
        let sample = &report.total.error_samples["request"];
        assert!(sample.starts_with("header `"), "{sample}");
        out.assert_free_of(&[secret]);
    }
}

/// A loopback server that answers 500 with the request's credentials in
/// the body, and sets a cookie: what a misbehaving service may do.
fn echo_credentials(head: &str) -> String {
    let echoed: Vec<&str> = head
        .lines()
        .filter(|l| {
            let l = l.to_ascii_lowercase();
            l.starts_with("authorization") || l.starts_with("cookie") || l.starts_with("x-api-key")
        })
        .collect();
    let body = echoed.join("\n");
    format!(
        "HTTP/1.1 500 Internal Server Error\r\nset-cookie: sess=SetCookie-1E5\r\n\
         content-length: {}\r\n\r\n{body}",
        body.len()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_echoed_by_the_server_and_set_cookie_tags_are_redacted() {
    let (port, _) = raw_http_server(echo_credentials).await;
    let http = Http::builder(format!("http://127.0.0.1:{port}"))
        .build()
        .expect("client");
    let request = http
        .get("/echo?access_token=EchoTok-5G2")
        .header("authorization", "Bearer AuthzStatic-2B7")
        .header("cookie", "sid=CookieStatic-6C1")
        .secret_header("x-api-key", "ApiKeyStatic-4D9")
        .tag_from_header("set-cookie");
    let (report, out) = run_and_collect("echo", request, |_| {}).await;
    assert_eq!(report.total.errors_of("http_5xx"), report.total.completed);
    let sample = &report.total.error_samples["http_5xx"];
    // The server did echo them: the sample shows where, redacted.
    assert!(sample.contains("authorization: [redacted]"), "{sample}");
    assert!(sample.contains("x-api-key: [redacted]"), "{sample}");
    assert!(out.get("report.json").contains("set-cookie"));
    assert!(
        sample.starts_with("GET /echo?[redacted] answered 500"),
        "{sample}"
    );
    out.assert_free_of(&[
        "EchoTok-5G2",
        "AuthzStatic-2B7",
        "CookieStatic-6C1",
        "ApiKeyStatic-4D9",
        "SetCookie-1E5",
    ]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_password_is_redacted() {
    use spike::postgres::{PgPool, TempSchema};
    let url = format!(
        "postgres://postgres:PgPass-6T3@127.0.0.1:{}/postgres",
        closed_port()
    );
    let builder = PgPool::builder(url.clone()).connect_timeout(ms(300));
    assert!(!format!("{builder:?}").contains("PgPass-6T3"));
    let pg = builder.build().expect("pool");
    assert!(!format!("{pg:?}").contains("PgPass-6T3"));
    let err = TempSchema::create(&url, "secrets").await.unwrap_err();
    assert!(!format!("{err} {err:?}").contains("PgPass-6T3"), "{err}");
    let (report, out) = run_and_collect("pg", pg.statement("SELECT 1"), |_| {}).await;
    assert_eq!(report.total.errors_of("connect"), report.total.completed);
    out.assert_free_of(&["PgPass-6T3"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_password_is_redacted() {
    use spike::redis::CacheAside;
    let url = format!("redis://:RedisPw-4H7@127.0.0.1:{}", closed_port());
    let builder = CacheAside::builder(url).connect_timeout(ms(300));
    assert!(!format!("{builder:?}").contains("RedisPw-4H7"));
    let cache = builder.build().expect("cache");
    assert!(!format!("{cache:?}").contains("RedisPw-4H7"));
    let (report, out) = run_and_collect("redis", cache.workload(10), |_| {}).await;
    assert_eq!(report.total.errors_of("connect"), report.total.completed);
    out.assert_free_of(&["RedisPw-4H7"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_url_secrets_are_redacted() {
    use spike::ws::WsAvalanche;
    let avalanche = WsAvalanche::new(format!(
        "ws://wsuser:WsPw-8J2@127.0.0.1:{}/chat?token=WsTok-5L3",
        closed_port()
    ))
    .expect("loopback")
    .connect_timeout(ms(300));
    assert!(!format!("{avalanche:?}").contains("WsPw-8J2"));
    let (report, out) = run_and_collect("ws", avalanche, |_| {}).await;
    assert_eq!(report.total.errors_of("connect"), report.total.completed);
    out.assert_free_of(&["WsPw-8J2", "WsTok-5L3"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workloads_own_error_text_is_redacted() {
    let workload = |_ctx: Ctx| async {
        Err::<(), _>(IterError::new("upstream").with_message(
            "GET http://bob:ClosurePw-3N6@127.0.0.1/x?access_token=ClosureTok-7V2 failed; \
             Authorization: Bearer ClosureBearer-9W4\nhost=127.0.0.1 password=ClosurePass-1Z8 user=pg",
        ))
    };
    let (report, out) = run_and_collect("closure", workload, |_| {}).await;
    let sample = &report.total.error_samples["upstream"];
    assert!(
        sample.contains("http://[redacted]@127.0.0.1/x?[redacted] failed"),
        "{sample}"
    );
    out.assert_free_of(&[
        "ClosurePw-3N6",
        "ClosureTok-7V2",
        "ClosureBearer-9W4",
        "ClosurePass-1Z8",
    ]);
}

#[test]
fn redaction_leaves_the_numbers_alone() {
    // The redaction pass only rewrites text: a report's counts are those
    // of the iterations, checked by arithmetic on the shape (40 rps for
    // 300 ms = 12 iterations).
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let workload = |_ctx: Ctx| async {
            Err::<(), _>(IterError::new("x").with_message("http://u:Pw-000@127.0.0.1/?q=1"))
        };
        let report = Scenario::new("count")
            .shape(short())
            .run(workload)
            .await
            .unwrap();
        assert_eq!(report.total.completed, 12);
        assert_eq!(report.total.errors_of("x"), 12);
    });
}

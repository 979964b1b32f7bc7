//! The safety rail of every driver (HTTP, WebSocket, Postgres
//! pool and TempSchema, Redis): what is refused, what is allowed, and that
//! the connection goes to the address that was judged.
//!
//! Tests that name non-loopback addresses, or that need to observe where a
//! driver connects, run inside a fresh network namespace that has only a
//! loopback interface (`unshare -n`, root needed; the test re-runs itself
//! there): even a broken rail could not send a packet off this machine
//! from them. Where a test needs `localhost` to resolve elsewhere, it
//! also gets a private `/etc/hosts` (`unshare -m` + a bind mount) mapping
//! `localhost` to 10.255.255.1, which has no route inside the namespace.
//! Set `SPIKE_SKIP_NETNS=1` to skip those tests where namespaces are not
//! available (the skip is printed).
#![cfg(all(
    feature = "http",
    feature = "ws",
    feature = "postgres",
    feature = "redis"
))]

use std::net::ToSocketAddrs as _;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

mod raw_http;

use raw_http::{path_of, raw_http_server};
use spike::http::{Http, HttpError};
use spike::postgres::{PgPool, PgSetupError, TempSchema};
use spike::prelude::*;
use spike::redis::{CacheAside, RedisSetupError};
use spike::ws::{EchoServer, WsAvalanche, WsTargetError};

const IN_NETNS: &str = "SPIKE_TEST_NETNS";

/// Whether the caller runs its body: true inside the namespace; outside,
/// re-run `test` of this binary inside a loopback-only network namespace
/// (with `localhost` mapped to 10.255.255.1 when `fake_localhost`), check
/// that it passed there, and return false.
fn in_loopback_only_netns(test: &str, fake_localhost: bool) -> bool {
    if std::env::var_os(IN_NETNS).is_some() {
        return true;
    }
    if std::env::var_os("SPIKE_SKIP_NETNS").is_some() {
        spike::notice::notice(&format!(
            "spike: {test} skipped (SPIKE_SKIP_NETNS is set; it needs `unshare -n`)"
        ));
        return false;
    }
    let exe = std::env::current_exe().expect("test binary");
    let mut script = String::from("ip link set lo up");
    if fake_localhost {
        let hosts = std::env::temp_dir().join(format!("spike-hosts-{}", std::process::id()));
        std::fs::write(&hosts, "10.255.255.1 localhost\n").expect("hosts file");
        script.push_str(&format!(" && mount --bind {} /etc/hosts", hosts.display()));
    }
    script.push_str(" && exec \"$0\" --exact \"$1\" --nocapture --test-threads=1");
    let out = Command::new("unshare")
        .args(["-n", "-m", "sh", "-c", &script])
        .arg(&exe)
        .arg(test)
        .env(IN_NETNS, "1")
        .output()
        .expect("run unshare (set SPIKE_SKIP_NETNS=1 where namespaces are unavailable)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("test result: ok. 1 passed"),
        "{test} inside `unshare -n` failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    false
}

/// Hosts that are not loopback in any spelling: unspecified, mapped and
/// private addresses (some written in decimal, octal or hex), link-local,
/// and names.
const REFUSED_HOSTS: [&str; 12] = [
    "0.0.0.0",
    "[::]",
    "[::ffff:10.0.0.1]",
    "[::ffff:0.0.0.0]",
    "10.0.0.1",
    "167772161",
    "012.0.0.1",
    "0x0a.0.0.1",
    "[fe80::1]",
    "localhost.example.com",
    "127.0.0.1.nip.io",
    "example.com",
];

/// URL authorities whose userinfo or fragment names loopback while the
/// host is not.
const TRICKS: [&str; 4] = [
    "127.0.0.1@10.0.0.1",
    "127.0.0.1:80@10.0.0.1",
    "localhost@10.0.0.1",
    "10.0.0.1#@127.0.0.1",
];

#[test]
fn every_driver_refuses_non_loopback_hosts_before_any_socket() {
    if !in_loopback_only_netns(
        "every_driver_refuses_non_loopback_hosts_before_any_socket",
        false,
    ) {
        return;
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    for host in REFUSED_HOSTS.iter().chain(TRICKS.iter()) {
        let http = Http::builder(format!("http://{host}:9")).build();
        assert!(
            matches!(http, Err(HttpError::HostNotAllowed { .. })),
            "http {host}: {http:?}"
        );
        let ws = WsAvalanche::new(format!("ws://{host}:9/"));
        assert!(
            matches!(ws, Err(WsTargetError::Refused(_))),
            "ws {host}: {ws:?}"
        );
        let redis = CacheAside::builder(format!("redis://{host}:9")).build();
        assert!(
            matches!(
                redis,
                Err(RedisSetupError::Refused(_) | RedisSetupError::Config(_))
            ),
            "redis {host}: {redis:?}"
        );
        // tokio-postgres' own URL syntax: a refusal or a parse error, never
        // a connection (a connection attempt would be a `Db` error here).
        let url = format!("postgres://u:p@{host}:9/db");
        let pg = PgPool::builder(url.clone()).build();
        assert!(
            matches!(pg, Err(PgSetupError::Refused(_) | PgSetupError::BadUrl(_))),
            "postgres {host}: {pg:?}"
        );
        let schema = rt.block_on(TempSchema::create(&url, "refused"));
        assert!(
            matches!(
                schema,
                Err(PgSetupError::Refused(_) | PgSetupError::BadUrl(_))
            ),
            "TempSchema {host}: {schema:?}"
        );
    }
    // Unspecified addresses are named as such.
    let err = Http::builder("http://0.0.0.0:8080").build().unwrap_err();
    assert!(err.to_string().contains("unspecified address"), "{err}");
    // Every host of a multi-host connection string, and hostaddr (which is
    // what tokio-postgres connects to when given).
    for url in [
        "postgres://u:p@127.0.0.1:5432,10.0.0.1:5432/db",
        "host=127.0.0.1 hostaddr=10.0.0.1 user=u",
        "host=localhost,db.internal user=u",
    ] {
        let pg = PgPool::builder(url).build();
        assert!(matches!(pg, Err(PgSetupError::Refused(_))), "{url}: {pg:?}");
    }
    // TempSchema honours an explicit allowance, and only then connects:
    // here the attempt fails inside the namespace (no route).
    let allowed = rt.block_on(TempSchema::create_allowing(
        "postgres://u:p@10.255.255.1:9/db",
        "allowed",
        &["10.255.255.1".to_owned()],
    ));
    assert!(matches!(allowed, Err(PgSetupError::Db(_))), "{allowed:?}");
}

#[test]
fn redis_discovery_modes_need_every_seed_allowed_by_name() {
    // Cluster and sentinel clients connect wherever the servers point, so
    // even loopback seeds must be allowed explicitly. Building connects
    // nowhere (the pool connects on first use).
    for url in [
        "redis-cluster://127.0.0.1:7000",
        "redis-cluster://127.0.0.1:7000?node=127.0.0.1:7001",
        "redis-sentinel://127.0.0.1:26379/0?sentinelServiceName=main",
    ] {
        let err = CacheAside::builder(url).build().unwrap_err();
        assert!(err.to_string().contains("discovery"), "{url}: {err}");
        assert!(CacheAside::builder(url)
            .allow_host("127.0.0.1")
            .build()
            .is_ok());
    }
    // A `?node=` seed is checked like the first host.
    for url in [
        "redis-cluster://127.0.0.1:7000?node=10.0.0.9:7001",
        "redis-sentinel://127.0.0.1:26379/0?sentinelServiceName=main&node=10.0.0.9:26380",
    ] {
        let err = CacheAside::builder(url)
            .allow_host("127.0.0.1")
            .build()
            .unwrap_err();
        assert!(
            matches!(err, RedisSetupError::Refused(ref r) if r.host == "10.0.0.9"),
            "{url}: {err}"
        );
    }
}

fn ok_200(_: &str) -> String {
    "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok".to_owned()
}

/// A loopback listener that accepts connections and counts them (it
/// speaks no protocol: enough to see where a client connects).
async fn counting_listener() -> (u16, Arc<AtomicU64>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(AtomicU64::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            held.push(sock);
        }
    });
    (port, accepted)
}

fn quick(iterations_per_100ms: u32) -> Shape {
    Shape::builder()
        .hold(rps(iterations_per_100ms * 10), ms(200))
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loopback_spellings_are_judged_on_the_parsed_address_and_reach_loopback() {
    // The WHATWG parser (url) turns these into 127.0.0.1 before the
    // rail judges them, and the connection goes to that address: the
    // loopback server below answers every one.
    let (port, accepted) = raw_http_server(ok_200).await;
    for host in ["2130706433", "0177.0.0.1", "0x7f.1", "127.1", "127.0.0.1"] {
        let http = Http::builder(format!("http://{host}:{port}"))
            .build()
            .unwrap_or_else(|e| panic!("{host}: {e}"));
        let report = Scenario::new("spelling")
            .shape(quick(1))
            .run(http.get("/"))
            .await
            .unwrap();
        assert_eq!(report.total.errors, 0, "{host}: {report}");
        assert_eq!(report.total.completed, 2, "{host}");
    }
    assert!(accepted.load(Ordering::SeqCst) >= 5);
    // IPv4-mapped loopback is loopback (accepted by the rail; whether a
    // v6 socket reaches the v4 listener depends on the system).
    assert!(Http::builder(format!("http://[::ffff:127.0.0.1]:{port}"))
        .build()
        .is_ok());
    // The WebSocket driver parses the same way and connects to the judged
    // address itself.
    let server = EchoServer::start(10).await.unwrap();
    let ws_port = server
        .url()
        .rsplit(':')
        .next()
        .unwrap()
        .trim_end_matches('/')
        .to_owned();
    let avalanche = WsAvalanche::new(format!("ws://0x7f.1:{ws_port}/"))
        .unwrap()
        .hold(ms(10))
        .no_messages();
    let report = Scenario::new("ws-spelling")
        .shape(quick(1))
        .run(avalanche)
        .await
        .unwrap();
    assert_eq!(report.total.errors, 0, "{report}");
    assert_eq!(report.total.counter(spike::ws::counters::CONNECTED), 2);
}

#[test]
fn localhost_is_pinned_to_loopback_never_resolved() {
    if !in_loopback_only_netns("localhost_is_pinned_to_loopback_never_resolved", true) {
        return;
    }
    // The fixture: inside this namespace the system resolver says
    // localhost is 10.255.255.1 (no route here). A driver that asked the
    // resolver would fail to connect; a pinned one reaches 127.0.0.1.
    let resolved: Vec<_> = ("localhost", 80).to_socket_addrs().unwrap().collect();
    assert!(
        resolved
            .iter()
            .all(|a| a.ip().to_string() == "10.255.255.1"),
        "{resolved:?}"
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        // HTTP, any case and a trailing dot.
        let (port, accepted) = raw_http_server(ok_200).await;
        for host in ["localhost", "LocalHost", "localhost."] {
            let http = Http::builder(format!("http://{host}:{port}"))
                .build()
                .unwrap();
            let report = Scenario::new("pinned-http")
                .shape(quick(1))
                .run(http.get("/"))
                .await
                .unwrap();
            assert_eq!(report.total.errors, 0, "{host}: {report}");
        }
        assert!(accepted.load(Ordering::SeqCst) >= 3);
        // WebSocket.
        let server = EchoServer::start(10).await.unwrap();
        let url = server.url().replace("127.0.0.1", "localhost");
        let report = Scenario::new("pinned-ws")
            .shape(quick(1))
            .run(WsAvalanche::new(url).unwrap().hold(ms(10)).no_messages())
            .await
            .unwrap();
        assert_eq!(report.total.errors, 0, "{report}");
        // Postgres (pool and TempSchema) and Redis: a listener on 127.0.0.1
        // sees their connections.
        let (pg_port, pg_accepted) = counting_listener().await;
        let pg_url = format!("postgres://u:p@localhost:{pg_port}/db");
        let pool = PgPool::builder(pg_url.clone())
            .connect_timeout(ms(200))
            .wait_timeout(ms(300))
            .build()
            .unwrap();
        let _ = Scenario::new("pinned-pg")
            .shape(quick(1))
            .run(pool.statement("SELECT 1"))
            .await
            .unwrap();
        assert!(pg_accepted.load(Ordering::SeqCst) >= 1);
        let before = pg_accepted.load(Ordering::SeqCst);
        let _ = tokio::time::timeout(
            Duration::from_millis(300),
            TempSchema::create(&pg_url, "pinned"),
        )
        .await;
        assert!(pg_accepted.load(Ordering::SeqCst) > before);
        let (redis_port, redis_accepted) = counting_listener().await;
        let cache = CacheAside::builder(format!("redis://localhost:{redis_port}"))
            .connect_timeout(ms(200))
            .command_timeout(ms(200))
            .build()
            .unwrap();
        let _ = Scenario::new("pinned-redis")
            .shape(quick(1))
            .run(cache.workload(10))
            .await
            .unwrap();
        assert!(redis_accepted.load(Ordering::SeqCst) >= 1);
    });
}

#[test]
fn redirects_are_never_followed() {
    if !in_loopback_only_netns("redirects_are_never_followed", false) {
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        // Where a followed redirect would go: another loopback listener that
        // counts connections (`/to/...` names it), or an address off this
        // machine (`/away`; no route in this namespace, so even a broken
        // driver could not reach it).
        let (port, accepted) = raw_http_server(|head| {
            let path = path_of(head);
            let target = if path == "/away" {
                "http://10.255.255.1/".to_owned()
            } else {
                path.trim_start_matches("/to/").replace('_', ":")
            };
            format!("HTTP/1.1 302 Found\r\nlocation: {target}\r\ncontent-length: 0\r\n\r\n")
        })
        .await;
        let http = Http::builder(format!("http://127.0.0.1:{port}"))
            .build()
            .unwrap();
        let (other_port, other) = counting_listener().await;
        for path in [
            format!("/to/http_//127.0.0.1_{other_port}/"),
            "/away".to_owned(),
        ] {
            let report = Scenario::new("redirect")
                .shape(quick(1))
                .run(http.get(path.clone()))
                .await
                .unwrap();
            assert_eq!(report.total.completed, 2);
            assert_eq!(report.total.errors_of("http_other"), 2, "{path}: {report}");
            let probe = http
                .health(path.clone())
                .timeout(ms(100))
                .wait("probe")
                .await;
            assert_eq!(probe.status, Some(302));
            assert!(!probe.healthy);
        }
        assert!(accepted.load(Ordering::SeqCst) >= 1);
        assert_eq!(other.load(Ordering::SeqCst), 0, "the redirect was followed");
    });
}

//! Helpers shared by the driver integration tests (ws, postgres, redis).
#![allow(dead_code, unreachable_pub)]

use std::net::{TcpListener, TcpStream, ToSocketAddrs};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `SPIKE_PG_URL`, or the local server's default.
pub fn pg_url() -> String {
    std::env::var("SPIKE_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres:postgres@127.0.0.1:5432/postgres".to_owned())
}

/// `SPIKE_REDIS_URL`, or the local server's default.
pub fn redis_url() -> String {
    std::env::var("SPIKE_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

/// `host:port` of a `scheme://[user[:pw]@]host[:port][/...]` URL.
fn host_port(url: &str, default_port: u16) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    let authority = authority.rsplit('@').next().unwrap_or_default();
    if authority
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
    {
        authority.to_owned()
    } else {
        format!("{authority}:{default_port}")
    }
}

/// Whether the server behind `url` accepts TCP connections. When it does
/// not: under CI (`CI=true`) the test fails; elsewhere it is skipped with a
/// loud message (the caller returns).
pub fn server_up(what: &str, url: &str, default_port: u16) -> bool {
    let target = host_port(url, default_port);
    let up = target
        .to_socket_addrs()
        .ok()
        .and_then(|mut addrs| addrs.next())
        .is_some_and(|addr| TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_ok());
    if up {
        return true;
    }
    assert!(
        !spike::notice::is_ci(),
        "{what} is not reachable at {target} and CI=true: the driver tests need it (.ci/services.sh starts it)"
    );
    // The raw stderr handle: libtest hides `eprintln!` of a passing test.
    spike::notice::notice(&format!(
        "*** SKIPPED: {what} is not reachable at {target}; start it (bash .ci/services.sh) to run this test ***"
    ));
    false
}

/// A port on 127.0.0.1 nothing listens on (bound, then released).
pub fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    let port = listener.local_addr().expect("local addr").port();
    drop(listener);
    port
}

/// A name unique to this run: `<prefix>_<pid>_<nanos>`.
pub fn unique(prefix: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{prefix}_{}_{nanos}", std::process::id())
}

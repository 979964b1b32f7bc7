//! The check every driver (WebSocket, Postgres, Redis) runs on its target
//! before opening a socket: loopback by default, other hosts only when
//! named (by the driver's `allow_host` or `SPIKE_ALLOW_HOSTS`). The rules
//! are [`spike_core::safety`]'s; this module turns a refusal into the
//! drivers' error and connects only to the addresses a verdict names.

use spike_core::safety::{bare_host, judge_host, HostAccess};

/// A driver refused its target before opening any socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetRefused {
    /// The driver (`ws`, `postgres`, `redis`).
    pub driver: &'static str,
    /// The host that is neither loopback nor allowed.
    pub host: String,
    /// Why, beyond "not loopback" (e.g. for `0.0.0.0`); may be empty.
    pub note: &'static str,
}

impl std::fmt::Display for TargetRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the {} driver sends load only to loopback hosts by default; `{}` is not one{}: \
             allow it with `.allow_host(\"{}\")` or SPIKE_ALLOW_HOSTS={}",
            self.driver, self.host, self.note, self.host, self.host
        )
    }
}

impl std::error::Error for TargetRefused {}

/// Judge `host` for `driver` (see [`judge_host`]): the loopback addresses
/// to connect to, or [`HostAccess::Allowed`] for a host allowed by name.
///
/// ```
/// use spike::target_check::judge_target;
/// use spike_core::safety::HostAccess;
/// assert_eq!(
///     judge_target("redis", "localhost", &[]).unwrap(),
///     HostAccess::Loopback(vec!["127.0.0.1".parse().unwrap(), "::1".parse().unwrap()]),
/// );
/// assert!(judge_target("redis", "0.0.0.0", &[]).unwrap_err().to_string().contains("unspecified"));
/// ```
///
/// # Errors
/// [`TargetRefused`] naming the host and the two ways to allow it.
pub fn judge_target(
    driver: &'static str,
    host: &str,
    allowed: &[String],
) -> Result<HostAccess, TargetRefused> {
    judge_host(host, allowed).map_err(|r| TargetRefused {
        driver,
        host: bare_host(host).to_owned(),
        note: r.note(),
    })
}

/// Check that `host` may receive load from `driver`: a loopback address or
/// `localhost`, a host in `allowed`, or one listed in `SPIKE_ALLOW_HOSTS`.
///
/// ```
/// use spike::target_check::check_target_host;
/// assert!(check_target_host("redis", "127.0.0.1", &[]).is_ok());
/// assert!(check_target_host("redis", "[::1]", &[]).is_ok());
/// assert!(check_target_host("redis", "cache.internal", &["cache.internal".into()]).is_ok());
/// let refused = check_target_host("redis", "10.0.0.7", &[]).unwrap_err();
/// assert!(refused.to_string().contains("allow_host(\"10.0.0.7\")"));
/// assert!(check_target_host("redis", "[::]", &[]).is_err());
/// ```
///
/// # Errors
/// [`TargetRefused`] naming the host and the two ways to allow it.
pub fn check_target_host(
    driver: &'static str,
    host: &str,
    allowed: &[String],
) -> Result<(), TargetRefused> {
    judge_target(driver, host, allowed).map(drop)
}

/// [`check_target_host`] on the host of a URL (`ws://host:port/path`,
/// `redis://user:pw@host:port/0`), parsed as the WHATWG URL parser does (so
/// `ws://2130706433/` is `127.0.0.1`). `Ok(None)`: the URL does not parse or
/// has no host.
///
/// ```
/// use spike::target_check::check_target_url;
/// assert_eq!(check_target_url("ws", "ws://127.0.0.1:9000/chat", &[]), Ok(Some(())));
/// assert_eq!(check_target_url("redis", "redis://:pw@[::1]:6379/2", &[]), Ok(Some(())));
/// assert_eq!(check_target_url("ws", "ws://0x7f.1:9000/", &[]), Ok(Some(())));
/// assert!(check_target_url("redis", "redis://cache.prod:6379", &[]).is_err());
/// assert!(check_target_url("redis", "redis://127.0.0.1@cache.prod:6379", &[]).is_err());
/// assert_eq!(check_target_url("redis", "redis:///0", &[]), Ok(None));
/// ```
///
/// # Errors
/// [`TargetRefused`] for a host that is neither loopback nor allowed.
pub fn check_target_url(
    driver: &'static str,
    url: &str,
    allowed: &[String],
) -> Result<Option<()>, TargetRefused> {
    let Ok(parsed) = url::Url::parse(url) else {
        return Ok(None);
    };
    match parsed.host_str() {
        Some(host) if !host.is_empty() => check_target_host(driver, host, allowed).map(Some),
        _ => Ok(None),
    }
}

/// Where a checked target is: the addresses to connect to (loopback, never
/// resolved), or a name the user allowed (resolved when connecting).
#[cfg(feature = "ws")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Endpoint {
    /// Connect to these addresses only, in order.
    Pinned(Vec<std::net::SocketAddr>),
    /// An allowed host: resolve `host:port` as usual.
    Named(String, u16),
}

#[cfg(feature = "ws")]
impl Endpoint {
    /// The endpoint of `host:port` under `verdict`.
    pub(crate) fn new(verdict: HostAccess, host: &str, port: u16) -> Self {
        match verdict {
            HostAccess::Loopback(ips) => Endpoint::Pinned(
                ips.into_iter()
                    .map(|ip| std::net::SocketAddr::new(ip, port))
                    .collect(),
            ),
            HostAccess::Allowed => Endpoint::Named(bare_host(host).to_owned(), port),
        }
    }

    /// Open a TCP connection to the first address that accepts.
    pub(crate) async fn connect(&self) -> std::io::Result<tokio::net::TcpStream> {
        let addrs: Vec<std::net::SocketAddr> = match self {
            Endpoint::Pinned(addrs) => addrs.clone(),
            Endpoint::Named(host, port) => tokio::net::lookup_host((host.as_str(), *port))
                .await?
                .collect(),
        };
        let mut last = None;
        for addr in addrs {
            match tokio::net::TcpStream::connect(addr).await {
                Ok(stream) => return Ok(stream),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::NotFound, "no address to connect to")
        }))
    }
}

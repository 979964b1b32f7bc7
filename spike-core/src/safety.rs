//! Where load may go: loopback targets by default, any other host only when
//! named explicitly (a driver's `allow_host(..)` or `SPIKE_ALLOW_HOSTS`).
//! Every driver judges each host it may reach with [`judge_host`] before
//! opening any socket, and connects only to the addresses the verdict
//! names.
//!
//! The rules, judged on the host a URL parser produced (so `2130706433`,
//! `0x7f.1` and `0177.0.0.1` are `127.0.0.1` by the time they are judged):
//!
//! * an IP address is loopback when it is in `127.0.0.0/8`, is `::1`, or
//!   is an IPv4-mapped loopback address (`::ffff:127.0.0.1`);
//! * `0.0.0.0` and `::` (unspecified) are **not** loopback: Linux connects
//!   them to the local machine, other systems refuse or route them; they
//!   are refused unless allowed by name like any other host;
//! * the name `localhost` (any case, with or without a trailing dot) is
//!   never resolved: it is pinned to [`LOCALHOST_ADDRS`] (RFC 6761 §6.3), so
//!   a resolver or `/etc/hosts` entry cannot point it elsewhere;
//! * any other name is refused unless allowed; it is not resolved before
//!   the refusal, so a refusal opens no socket at all (not even a DNS
//!   query).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The environment variable that allows non-loopback hosts: host names or
/// addresses separated by commas or whitespace
/// (`SPIKE_ALLOW_HOSTS=staging.internal,10.1.2.3`).
pub const ALLOW_HOSTS_ENV: &str = "SPIKE_ALLOW_HOSTS";

/// A host as the rail judges and names it: without the brackets a URL puts
/// around an IPv6 address. The one place every driver (HTTP, WebSocket,
/// Postgres, Redis) strips them, for judging a host and for naming it in a
/// refusal.
///
/// ```
/// use spike_core::safety::bare_host;
/// assert_eq!(bare_host("[::1]"), "::1");
/// assert_eq!(bare_host("::1"), "::1");
/// assert_eq!(bare_host("db.internal"), "db.internal");
/// ```
#[must_use]
pub fn bare_host(host: &str) -> &str {
    host.trim_start_matches('[').trim_end_matches(']')
}

/// The addresses the name `localhost` stands for: `127.0.0.1` and `::1`,
/// in the order drivers try them.
pub const LOCALHOST_ADDRS: [IpAddr; 2] = [
    IpAddr::V4(Ipv4Addr::LOCALHOST),
    IpAddr::V6(Ipv6Addr::LOCALHOST),
];

/// Whether `ip` is a loopback address: `127.0.0.0/8`, `::1`, or an
/// IPv4-mapped loopback address. Unspecified addresses (`0.0.0.0`, `::`)
/// and IPv4-compatible ones (`::127.0.0.1`) are not.
///
/// ```
/// use spike_core::safety::is_loopback_ip;
/// assert!(is_loopback_ip("127.0.0.2".parse().unwrap()));
/// assert!(is_loopback_ip("::ffff:127.0.0.1".parse().unwrap()));
/// assert!(!is_loopback_ip("::ffff:10.0.0.1".parse().unwrap()));
/// assert!(!is_loopback_ip("0.0.0.0".parse().unwrap()));
/// assert!(!is_loopback_ip("::".parse().unwrap()));
/// ```
#[must_use]
pub fn is_loopback_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

/// Whether `host` is the name `localhost` (any case, trailing dot allowed).
#[must_use]
pub fn is_localhost_name(host: &str) -> bool {
    let host = host.strip_suffix('.').unwrap_or(host);
    host.eq_ignore_ascii_case("localhost")
}

/// Whether `host` (a name, an IPv4 address, or an IPv6 address with or
/// without brackets) is a loopback target: `127.0.0.0/8`, `::1`, an
/// IPv4-mapped loopback address, or the name `localhost` (which drivers
/// pin to [`LOCALHOST_ADDRS`] instead of resolving it).
///
/// ```
/// use spike_core::safety::is_loopback_host;
/// assert!(is_loopback_host("127.8.9.10"));
/// assert!(is_loopback_host("[::1]"));
/// assert!(is_loopback_host("::ffff:127.0.0.1"));
/// assert!(is_loopback_host("LocalHost"));
/// assert!(!is_loopback_host("10.0.0.1"));
/// assert!(!is_loopback_host("localhost.example.com"));
/// ```
#[must_use]
pub fn is_loopback_host(host: &str) -> bool {
    let host = bare_host(host);
    match host.parse::<IpAddr>() {
        Ok(ip) => is_loopback_ip(ip),
        Err(_) => is_localhost_name(host),
    }
}

/// Split a `SPIKE_ALLOW_HOSTS` value into host names.
///
/// ```
/// assert_eq!(
///     spike_core::safety::parse_allow_list(" staging.internal, 10.1.2.3  api "),
///     vec!["staging.internal", "10.1.2.3", "api"],
/// );
/// ```
#[must_use]
pub fn parse_allow_list(value: &str) -> Vec<String> {
    value
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Whether load may go to `host`: a loopback host, one in `allowed`, or one
/// listed in `SPIKE_ALLOW_HOSTS` (names compare case-insensitively,
/// brackets around IPv6 addresses ignored).
///
/// ```
/// use spike_core::safety::host_allowed;
/// assert!(host_allowed("127.0.0.1", &[]));
/// assert!(host_allowed("cache.internal", &["Cache.Internal".to_owned()]));
/// assert!(!host_allowed("10.0.0.7", &[]));
/// ```
#[must_use]
pub fn host_allowed(host: &str, allowed: &[String]) -> bool {
    is_loopback_host(host) || allowed_by_name(host, allowed)
}

/// Whether `host` is named in `allowed` or in `SPIKE_ALLOW_HOSTS` (loopback
/// or not): what discovery modes (Redis cluster and sentinel) require of
/// their seeds, since the servers then point the client elsewhere.
///
/// ```
/// use spike_core::safety::allowed_by_name;
/// assert!(!allowed_by_name("127.0.0.1", &[]));
/// assert!(allowed_by_name("[::1]", &["::1".into()]));
/// ```
#[must_use]
pub fn allowed_by_name(host: &str, allowed: &[String]) -> bool {
    let host = bare_host(host);
    let same = |name: &str| bare_host(name).eq_ignore_ascii_case(host);
    allowed.iter().any(|a| same(a))
        || parse_allow_list(&std::env::var(ALLOW_HOSTS_ENV).unwrap_or_default())
            .iter()
            .any(|a| same(a))
}

/// How a host that may receive load may be reached, as the rail decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostAccess {
    /// A loopback target: connect to these addresses only (the address
    /// itself, or [`LOCALHOST_ADDRS`] for `localhost`), never resolve it.
    Loopback(Vec<IpAddr>),
    /// Not loopback, but allowed by name (`allow_host` or
    /// `SPIKE_ALLOW_HOSTS`): the driver may resolve and connect as usual.
    Allowed,
}

/// The old name of [`HostAccess`] ("verdict" now means only a check's
/// outcome in an assertion table).
#[deprecated(since = "0.2.0", note = "renamed to `HostAccess`")]
pub type Verdict = HostAccess;

/// Why the rail refused a host.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// `0.0.0.0` or `::`: not loopback, though Linux connects it locally.
    Unspecified,
    /// Any other address or name that is not loopback and not allowed.
    NotLoopback,
}

impl Refusal {
    /// A sentence for error messages (empty for [`Refusal::NotLoopback`]).
    #[must_use]
    pub fn note(&self) -> &'static str {
        match self {
            Refusal::Unspecified => {
                " (an unspecified address is not loopback: Linux connects it to this \
                 machine, other systems do not; use 127.0.0.1 or ::1)"
            }
            Refusal::NotLoopback => "",
        }
    }
}

/// Judge a host before any socket is opened: which addresses a driver may
/// connect to, or why not. `host` is what a URL parser produced (IPv6 with
/// or without brackets); nothing is resolved.
///
/// ```
/// use std::net::IpAddr;
/// use spike_core::safety::{judge_host, Refusal, HostAccess, LOCALHOST_ADDRS};
/// let v4: IpAddr = "127.0.0.1".parse().unwrap();
/// assert_eq!(judge_host("127.0.0.1", &[]), Ok(HostAccess::Loopback(vec![v4])));
/// assert_eq!(judge_host("LOCALHOST", &[]), Ok(HostAccess::Loopback(LOCALHOST_ADDRS.to_vec())));
/// assert_eq!(judge_host("0.0.0.0", &[]), Err(Refusal::Unspecified));
/// assert_eq!(judge_host("[::]", &[]), Err(Refusal::Unspecified));
/// assert_eq!(judge_host("[::ffff:10.0.0.1]", &[]), Err(Refusal::NotLoopback));
/// assert_eq!(judge_host("db.internal", &[]), Err(Refusal::NotLoopback));
/// assert_eq!(judge_host("db.internal", &["db.internal".into()]), Ok(HostAccess::Allowed));
/// ```
///
/// # Errors
/// [`Refusal`] when the host is neither loopback nor allowed by name.
pub fn judge_host(host: &str, allowed: &[String]) -> Result<HostAccess, Refusal> {
    let name = bare_host(host);
    let ip = name.parse::<IpAddr>().ok();
    match ip {
        Some(ip) if is_loopback_ip(ip) => return Ok(HostAccess::Loopback(vec![ip])),
        None if is_localhost_name(name) => {
            return Ok(HostAccess::Loopback(LOCALHOST_ADDRS.to_vec()))
        }
        _ => {}
    }
    if allowed_by_name(name, allowed) {
        return Ok(HostAccess::Allowed);
    }
    match ip {
        Some(ip) if ip.is_unspecified() => Err(Refusal::Unspecified),
        _ => Err(Refusal::NotLoopback),
    }
}

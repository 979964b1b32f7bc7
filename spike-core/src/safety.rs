//! Where load may go: loopback targets by default, any other host only when
//! named explicitly (a driver's `allow_host(..)` or `SPIKE_ALLOW_HOSTS`).
//! Every driver checks its target with [`host_allowed`] before sending
//! anything.

use std::net::IpAddr;

/// The environment variable that allows non-loopback hosts: host names or
/// addresses separated by commas or whitespace
/// (`SPIKE_ALLOW_HOSTS=staging.internal,10.1.2.3`).
pub const ALLOW_HOSTS_ENV: &str = "SPIKE_ALLOW_HOSTS";

fn bare(host: &str) -> &str {
    host.trim_start_matches('[').trim_end_matches(']')
}

/// Whether `host` (a name, an IPv4 address, or an IPv6 address with or
/// without brackets) is a loopback target: `127.0.0.0/8`, `::1`, an
/// IPv4-mapped loopback address, or the name `localhost`.
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
    let host = bare(host);
    match host.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.is_loopback(),
        Ok(IpAddr::V6(v6)) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        Err(_) => host.eq_ignore_ascii_case("localhost"),
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
    let host = bare(host);
    let same = |name: &str| bare(name).eq_ignore_ascii_case(host);
    is_loopback_host(host)
        || allowed.iter().any(|a| same(a))
        || parse_allow_list(&std::env::var(ALLOW_HOSTS_ENV).unwrap_or_default())
            .iter()
            .any(|a| same(a))
}

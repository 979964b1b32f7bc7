//! Where load may go: loopback by default, other hosts only when allowed.

use std::net::IpAddr;

use reqwest::Url;

use super::HttpError;

/// The environment variable that allows non-loopback hosts: a list of host
/// names or addresses separated by commas or whitespace
/// (`SPIKE_ALLOW_HOSTS=staging.internal,10.1.2.3`).
pub const ALLOW_HOSTS_ENV: &str = "SPIKE_ALLOW_HOSTS";

/// Whether `host` (a host name, an IPv4 address or an IPv6 address with or
/// without brackets) is a loopback target: `127.0.0.0/8`, `::1`, an
/// IPv4-mapped loopback address, or the name `localhost`.
///
/// ```
/// use spike::http::is_loopback_host;
/// assert!(is_loopback_host("127.0.0.1"));
/// assert!(is_loopback_host("127.8.9.10"));
/// assert!(is_loopback_host("[::1]"));
/// assert!(is_loopback_host("LocalHost"));
/// assert!(!is_loopback_host("10.0.0.1"));
/// assert!(!is_loopback_host("localhost.example.com"));
/// ```
#[must_use]
pub fn is_loopback_host(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.is_loopback(),
        Ok(IpAddr::V6(v6)) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        Err(_) => bare.eq_ignore_ascii_case("localhost"),
    }
}

/// Split a `SPIKE_ALLOW_HOSTS` value into host names.
///
/// ```
/// assert_eq!(
///     spike::http::parse_allow_list(" staging.internal, 10.1.2.3  api "),
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

fn same_host(a: &str, b: &str) -> bool {
    let strip = |s: &str| s.trim_start_matches('[').trim_end_matches(']').to_owned();
    strip(a).eq_ignore_ascii_case(&strip(b))
}

/// Check that `url` may receive load: a loopback host, or one named in
/// `allowed` or in `SPIKE_ALLOW_HOSTS`. Nothing is sent by this check.
///
/// # Errors
/// [`HttpError::BadUrl`] for a URL that is not `http://` with a host;
/// [`HttpError::HostNotAllowed`] for any other host, with the two ways to
/// allow it.
pub fn check_target(url: &Url, allowed: &[String]) -> Result<(), HttpError> {
    if url.scheme() != "http" {
        return Err(HttpError::BadUrl {
            url: url.to_string(),
            reason: format!(
                "scheme `{}` is not supported: the driver speaks plain http:// (loopback targets need no TLS)",
                url.scheme()
            ),
        });
    }
    let Some(host) = url.host_str() else {
        return Err(HttpError::BadUrl {
            url: url.to_string(),
            reason: "the URL has no host".to_owned(),
        });
    };
    if is_loopback_host(host) || allowed.iter().any(|a| same_host(a, host)) {
        return Ok(());
    }
    let from_env = std::env::var(ALLOW_HOSTS_ENV).unwrap_or_default();
    if parse_allow_list(&from_env)
        .iter()
        .any(|a| same_host(a, host))
    {
        return Ok(());
    }
    Err(HttpError::HostNotAllowed {
        host: host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned(),
        url: url.to_string(),
    })
}

//! Where a driver may send load: loopback by default, other hosts only when
//! named (by the driver's `allow_host` or `SPIKE_ALLOW_HOSTS`).

/// A driver refused its target before sending anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetRefused {
    /// The driver (`ws`, `postgres`, `redis`).
    pub driver: &'static str,
    /// The host that is neither loopback nor allowed.
    pub host: String,
}

impl std::fmt::Display for TargetRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the {} driver sends load only to loopback hosts by default; `{}` is not one: \
             allow it with `.allow_host(\"{}\")` or SPIKE_ALLOW_HOSTS={}",
            self.driver, self.host, self.host, self.host
        )
    }
}

impl std::error::Error for TargetRefused {}

fn bare(host: &str) -> &str {
    host.trim_start_matches('[').trim_end_matches(']')
}

/// Check that `host` may receive load from `driver`: a loopback address or
/// `localhost`, a host in `allowed`, or one listed in `SPIKE_ALLOW_HOSTS`.
///
/// ```
/// use spike::driver::check_target_host;
/// assert!(check_target_host("redis", "127.0.0.1", &[]).is_ok());
/// assert!(check_target_host("redis", "[::1]", &[]).is_ok());
/// assert!(check_target_host("redis", "cache.internal", &["cache.internal".into()]).is_ok());
/// let refused = check_target_host("redis", "10.0.0.7", &[]).unwrap_err();
/// assert!(refused.to_string().contains("allow_host(\"10.0.0.7\")"));
/// ```
///
/// # Errors
/// [`TargetRefused`] naming the host and the two ways to allow it.
pub fn check_target_host(
    driver: &'static str,
    host: &str,
    allowed: &[String],
) -> Result<(), TargetRefused> {
    if spike_core::safety::host_allowed(host, allowed) {
        Ok(())
    } else {
        Err(TargetRefused {
            driver,
            host: bare(host).to_owned(),
        })
    }
}
/// The host of a `scheme://[user[:password]@]host[:port][/...]` URL.
fn url_host(url: &str) -> Option<&str> {
    let (_, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit('@').next()?;
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next()?
    } else {
        authority.split(':').next()?
    };
    (!host.is_empty()).then_some(host)
}

/// [`check_target_host`] on the host of a URL (`ws://host:port/path`,
/// `redis://user:pw@host:port/0`). `Ok(None)`: the URL has no host.
///
/// ```
/// use spike::driver::check_target_url;
/// assert_eq!(check_target_url("ws", "ws://127.0.0.1:9000/chat", &[]), Ok(Some(())));
/// assert_eq!(check_target_url("redis", "redis://:pw@[::1]:6379/2", &[]), Ok(Some(())));
/// assert!(check_target_url("redis", "redis://cache.prod:6379", &[]).is_err());
/// assert_eq!(check_target_url("ws", "ws:///nohost", &[]), Ok(None));
/// ```
///
/// # Errors
/// [`TargetRefused`] for a host that is neither loopback nor allowed.
pub fn check_target_url(
    driver: &'static str,
    url: &str,
    allowed: &[String],
) -> Result<Option<()>, TargetRefused> {
    match url_host(url) {
        Some(host) => check_target_host(driver, host, allowed).map(Some),
        None => Ok(None),
    }
}

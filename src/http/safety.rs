//! Where load may go: loopback by default, other hosts only when allowed.

use spike_core::redact::redact_url;
use spike_core::safety::{bare_host, judge_host, HostAccess};
use url::Url;

use super::HttpError;

pub use spike_core::safety::{is_loopback_host, parse_allow_list, ALLOW_HOSTS_ENV};

/// Check that `url` may receive load: a loopback host, or one named in
/// `allowed` or in `SPIKE_ALLOW_HOSTS`. Nothing is sent by this check.
///
/// ```
/// use spike::http::{check_target, HttpError};
/// let ok = |u: &str| check_target(&u.parse().unwrap(), &[]).is_ok();
/// assert!(ok("http://127.0.0.1:8080/"));
/// assert!(ok("http://2130706433/"));          // the parser makes it 127.0.0.1
/// assert!(ok("http://[::ffff:127.0.0.1]/"));
/// assert!(!ok("http://0.0.0.0:8080/"));       // unspecified is not loopback
/// assert!(!ok("http://[::]:8080/"));
/// assert!(!ok("http://[::ffff:10.0.0.1]/"));
/// assert!(!ok("http://127.0.0.1@10.0.0.1/")); // userinfo is not the host
/// ```
///
/// # Errors
/// [`HttpError::BadUrl`] for a URL that is not `http://` or `https://`
/// with a host;
/// [`HttpError::HostNotAllowed`] for any other host, with the two ways to
/// allow it.
pub fn check_target(url: &Url, allowed: &[String]) -> Result<(), HttpError> {
    judge(url, allowed).map(drop)
}

/// [`check_target`], returning the verdict.
pub(crate) fn judge(url: &Url, allowed: &[String]) -> Result<HostAccess, HttpError> {
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(HttpError::BadUrl {
            url: redact_url(url.as_str()),
            reason: format!(
                "scheme `{}` is not supported: the driver speaks http:// (and https:// with the `tls` feature)",
                url.scheme()
            ),
        });
    }
    let Some(host) = url.host_str().filter(|h| !h.is_empty()) else {
        return Err(HttpError::BadUrl {
            url: redact_url(url.as_str()),
            reason: "the URL has no host".to_owned(),
        });
    };
    judge_host(host, allowed).map_err(|refusal| HttpError::HostNotAllowed {
        host: bare_host(host).to_owned(),
        url: redact_url(url.as_str()),
        note: refusal.note(),
    })
}

//! Where load may go: loopback by default, other hosts only when allowed.

use reqwest::Url;

use super::HttpError;

pub use spike_core::safety::{is_loopback_host, parse_allow_list, ALLOW_HOSTS_ENV};

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
    if spike_core::safety::host_allowed(host, allowed) {
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

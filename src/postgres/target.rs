//! The connection string and its hosts: parsed and checked before any
//! socket is opened.

use super::error::PgSetupError;
use crate::target_check::{judge_target, TargetRefused};

/// Parse a connection string and check every host it may connect to,
/// before any socket is opened. Loopback hosts are pinned: each host gets
/// the `hostaddr` it was judged by (`localhost` → `127.0.0.1`), so the
/// connection never asks a resolver. With a `hostaddr` list, the addresses
/// are what is connected and what is judged. With a host allowed by name,
/// nothing is pinned, and a `localhost` beside it must resolve to loopback
/// addresses only. The password is registered for redaction.
pub(super) fn checked_config(
    url: &str,
    allowed: &[String],
) -> Result<tokio_postgres::Config, PgSetupError> {
    use spike_core::safety::{is_localhost_name, is_loopback_ip, HostAccess};
    use tokio_postgres::config::Host;

    let mut config: tokio_postgres::Config = url.parse().map_err(PgSetupError::BadUrl)?;
    if let Some(pw) = config.get_password() {
        spike_core::redact::register_secret(&String::from_utf8_lossy(pw));
    }
    if !config.get_hostaddrs().is_empty() {
        for addr in config.get_hostaddrs() {
            judge_target("postgres", &addr.to_string(), allowed).map_err(PgSetupError::Refused)?;
        }
        return Ok(config);
    }
    let mut pins = Vec::new();
    let mut all_pinned = true;
    for host in config.get_hosts() {
        match host {
            Host::Tcp(name) => {
                match judge_target("postgres", name, allowed).map_err(PgSetupError::Refused)? {
                    HostAccess::Loopback(ips) => pins.extend(ips.first().copied()),
                    HostAccess::Allowed => all_pinned = false,
                }
            }
            #[cfg(unix)]
            Host::Unix(_) => all_pinned = false,
        }
    }
    if all_pinned {
        for ip in pins {
            config.hostaddr(ip);
        }
        return Ok(config);
    }
    let port = config.get_ports().first().copied().unwrap_or(5432);
    for host in config.get_hosts() {
        if let Host::Tcp(name) = host {
            if is_localhost_name(name) {
                let resolved: Vec<std::net::SocketAddr> =
                    std::net::ToSocketAddrs::to_socket_addrs(&(name.as_str(), port))
                        .map(Iterator::collect)
                        .unwrap_or_default();
                if resolved.is_empty() || !resolved.iter().all(|a| is_loopback_ip(a.ip())) {
                    return Err(PgSetupError::Refused(TargetRefused {
                        driver: "postgres",
                        host: name.clone(),
                        note: " (it does not resolve to loopback addresses only)",
                    }));
                }
            }
        }
    }
    Ok(config)
}

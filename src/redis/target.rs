//! The servers a client config names: checked before any socket is
//! opened.

use fred::prelude::Config;

use crate::target_check::{judge_target, TargetRefused};

/// Check every host of a parsed client config before any socket is opened,
/// and pin a loopback server to the address it was judged by (`localhost`
/// → `127.0.0.1`), so the client never asks a resolver. Cluster and
/// sentinel configs discover further servers from the ones named, which
/// may point anywhere: they are refused unless every seed host is allowed
/// by name (`allow_host` or `SPIKE_ALLOW_HOSTS`), even a loopback one.
/// The password (and username) are registered for redaction.
pub(super) fn check_servers(config: &mut Config, allowed: &[String]) -> Result<(), TargetRefused> {
    use fred::types::config::ServerConfig;
    use spike_core::safety::{allowed_by_name, bare_host, HostAccess};

    for secret in [&config.username, &config.password].into_iter().flatten() {
        spike_core::redact::register_secret(secret);
    }
    match &mut config.server {
        ServerConfig::Centralized { server } => {
            if let HostAccess::Loopback(ips) = judge_target("redis", &server.host, allowed)? {
                if let Some(ip) = ips.first() {
                    server.host = match ip {
                        std::net::IpAddr::V4(v4) => v4.to_string(),
                        std::net::IpAddr::V6(v6) => format!("[{v6}]"),
                    }
                    .into();
                }
            }
            Ok(())
        }
        ServerConfig::Clustered { hosts, .. } | ServerConfig::Sentinel { hosts, .. } => {
            for server in hosts.iter() {
                judge_target("redis", &server.host, allowed)?;
                if !allowed_by_name(&server.host, allowed) {
                    return Err(TargetRefused {
                        driver: "redis",
                        host: bare_host(&server.host).to_owned(),
                        note: " (cluster and sentinel discovery connect wherever the servers \
                               point, so every seed host must be allowed by name, even a \
                               loopback one)",
                    });
                }
            }
            Ok(())
        }
    }
}

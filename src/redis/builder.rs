//! The settings of a [`CacheAside`] and its build.

use std::collections::HashMap;
use std::hash::RandomState;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use fred::prelude::{Builder, Config, ReconnectPolicy};
use tokio::sync::OnceCell;

use super::cache::{CacheAside, Shared, KNOWN_SHARDS};
use super::error::RedisSetupError;
use super::source::{SlowSource, Source};
use super::target::check_servers;

/// Settings of a [`CacheAside`]; see [`CacheAside::builder`].
#[must_use]
pub struct CacheAsideBuilder {
    url: String,
    prefix: Option<String>,
    ttl: Duration,
    source: Box<dyn Source>,
    pool_size: usize,
    connect_timeout: Duration,
    command_timeout: Duration,
    allowed: Vec<String>,
}

impl std::fmt::Debug for CacheAsideBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CacheAsideBuilder")
            .field("url", &spike_core::redact::redact_url(&self.url))
            .field("prefix", &self.prefix)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl CacheAside {
    /// Settings for a cache on `url` (`redis://[user:pw@]host:port[/db]`):
    /// a unique key prefix, 5 min TTL, a [`SlowSource`] of 10 ms, 4
    /// connections, 2 s connect and 1 s command timeouts.
    pub fn builder(url: impl Into<String>) -> CacheAsideBuilder {
        CacheAsideBuilder {
            url: url.into(),
            prefix: None,
            ttl: Duration::from_secs(300),
            source: Box::new(SlowSource::new(Duration::from_millis(10))),
            pool_size: 4,
            connect_timeout: Duration::from_secs(2),
            command_timeout: Duration::from_secs(1),
            allowed: Vec::new(),
        }
    }
}

impl CacheAsideBuilder {
    /// The prefix of every key (default `spike:<pid>:<time>:`, unique).
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = Some(prefix.into());
        self
    }

    /// TTL of written values (at least 1 ms).
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// The origin misses load from.
    pub fn source(mut self, source: impl Source) -> Self {
        self.source = Box::new(source);
        self
    }

    /// Connections to Redis (commands are spread over them).
    pub fn pool_size(mut self, size: usize) -> Self {
        self.pool_size = size.max(1);
        self
    }

    /// How long connecting may take.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long one command may take (then `timeout`).
    pub fn command_timeout(mut self, timeout: Duration) -> Self {
        self.command_timeout = timeout;
        self
    }

    /// Allow a non-loopback host (`SPIKE_ALLOW_HOSTS` is always honoured).
    pub fn allow_host(mut self, host: impl Into<String>) -> Self {
        self.allowed.push(host.into());
        self
    }

    /// Check the settings. No connection is made yet.
    ///
    /// # Errors
    /// [`RedisSetupError`] for a bad URL or a refused host.
    pub fn build(self) -> Result<CacheAside, RedisSetupError> {
        let mut config = Config::from_url(&self.url).map_err(RedisSetupError::Config)?;
        check_servers(&mut config, &self.allowed).map_err(RedisSetupError::Refused)?;
        let mut builder = Builder::from_config(config);
        let (connect, command) = (self.connect_timeout, self.command_timeout);
        builder
            .with_connection_config(|c| {
                c.connection_timeout = connect;
                c.internal_command_timeout = connect;
                c.max_command_attempts = 1;
            })
            .with_performance_config(|p| p.default_command_timeout = command)
            // A connection lost mid-run (a restart, a fault proxy's reset)
            // is reopened every 100 ms, for ever; the first connect still
            // fails fast.
            .set_policy(ReconnectPolicy::new_constant(0, 100));
        let prefix = self.prefix.unwrap_or_else(|| {
            let nanos = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos());
            format!("spike:{}:{nanos}:", std::process::id())
        });
        Ok(CacheAside {
            shared: Arc::new(Shared {
                builder,
                pool_size: self.pool_size,
                pool: OnceCell::new(),
                prefix,
                ttl: self.ttl.max(Duration::from_millis(1)),
                source: self.source,
                known: (0..KNOWN_SHARDS)
                    .map(|_| Mutex::new(HashMap::new()))
                    .collect(),
                hasher: RandomState::new(),
            }),
        })
    }
}

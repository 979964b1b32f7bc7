//! Connection avalanche: one connection per iteration, held for a while.

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use spike_core::{Ctx, IterResult, Workload};

use super::{check_url, connect, OpenConnections, WsTarget, WsTargetError};

#[derive(Debug, Clone)]
struct Config {
    target: WsTarget,
    hold: Duration,
    message_every: Option<Duration>,
    message_timeout: Duration,
    connect_timeout: Duration,
}

/// A connection avalanche: each iteration opens one WebSocket connection,
/// holds it for [`hold`](Self::hold) while exchanging a message every
/// [`message_every`](Self::message_every) (echo expected), then closes it.
///
/// Driven by an open-model shape, connections arrive at the shape's rate
/// whatever the server does, and the iterations in flight are the
/// connections open. What it measured is in the run's report (counters,
/// the `ws_open` gauge, the `ws.handshake` and `ws.message_rtt` durations):
/// read it with [`WsStats::of`](super::WsStats::of).
///
/// An iteration succeeds when it connected, every message got its echo in
/// time, and the connection lasted the whole hold. See the
/// [module docs](crate::ws) for counters and error classes.
#[derive(Debug, Clone)]
pub struct WsAvalanche {
    config: Arc<Config>,
    open: Arc<OpenConnections>,
}

impl WsAvalanche {
    /// An avalanche against `url` (`ws://host:port/path`): hold 1 s, one
    /// message every 250 ms (the first right after the handshake), 2 s
    /// message timeout, 5 s connect timeout.
    ///
    /// # Errors
    /// [`WsTargetError`] when the URL is not a WebSocket URL, or its host is
    /// neither loopback nor allowed (see [`new_allowing`](Self::new_allowing)).
    pub fn new(url: impl Into<String>) -> Result<Self, WsTargetError> {
        Self::new_allowing(url, &[])
    }

    /// Like [`new`](Self::new), also allowing the non-loopback hosts in
    /// `allowed` (`SPIKE_ALLOW_HOSTS` is always honoured).
    ///
    /// # Errors
    /// As for [`new`](Self::new).
    pub fn new_allowing(url: impl Into<String>, allowed: &[String]) -> Result<Self, WsTargetError> {
        let url = url.into();
        let target = check_url(&url, allowed)?;
        Ok(WsAvalanche {
            config: Arc::new(Config {
                target,
                hold: Duration::from_secs(1),
                message_every: Some(Duration::from_millis(250)),
                message_timeout: Duration::from_secs(2),
                connect_timeout: Duration::from_secs(5),
            }),
            open: Arc::default(),
        })
    }

    fn config_mut(&mut self) -> &mut Config {
        Arc::make_mut(&mut self.config)
    }

    /// How long each connection stays open after its handshake.
    #[must_use]
    pub fn hold(mut self, hold: Duration) -> Self {
        self.config_mut().hold = hold;
        self
    }

    /// Exchange a message every `every` while holding (the first right after
    /// the handshake).
    #[must_use]
    pub fn message_every(mut self, every: Duration) -> Self {
        self.config_mut().message_every = Some(every.max(Duration::from_millis(1)));
        self
    }

    /// Send no message: only open, hold (watching for drops) and close.
    #[must_use]
    pub fn no_messages(mut self) -> Self {
        self.config_mut().message_every = None;
        self
    }

    /// How long an echo may take before the iteration fails with `timeout`.
    #[must_use]
    pub fn message_timeout(mut self, timeout: Duration) -> Self {
        self.config_mut().message_timeout = timeout;
        self
    }

    /// How long TCP connect + handshake may take before `timeout`.
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.config_mut().connect_timeout = timeout;
        self
    }

    /// Connections this workload (and its clones) has open now: the
    /// live value the `ws_open` gauge samples. What a run measured is in
    /// its report: [`WsStats::of`](super::WsStats::of).
    #[must_use]
    pub fn open_connections(&self) -> u64 {
        self.open.now()
    }

    async fn iteration(config: Arc<Config>, open: Arc<OpenConnections>, ctx: Ctx) -> IterResult {
        let mut conn = connect(&config.target, config.connect_timeout, &ctx, &open).await?;
        let hold_end = tokio::time::Instant::now() + config.hold;
        if let Some(every) = config.message_every {
            let mut seq = 0_u64;
            loop {
                let payload = format!("spike:{}:{seq}", ctx.iteration());
                let sent = conn.send_text(payload.clone()).await?;
                conn.expect(&payload, sent, config.message_timeout).await?;
                seq += 1;
                let next = tokio::time::Instant::from_std(sent) + every;
                if next >= hold_end {
                    break;
                }
                conn.idle_until(next).await?;
            }
        }
        conn.idle_until(hold_end).await?;
        conn.close().await;
        Ok(())
    }
}

impl Workload for WsAvalanche {
    type Future = BoxFuture<'static, IterResult>;
    type Output = IterResult;

    fn call(&self, ctx: Ctx) -> Self::Future {
        Box::pin(Self::iteration(
            Arc::clone(&self.config),
            Arc::clone(&self.open),
            ctx,
        ))
    }
}

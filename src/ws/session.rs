//! Scripted WebSocket sessions: connect, exchange, close.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use spike_core::{Ctx, IterResult, Workload};

use super::{check_url, connect, OpenConnections, WsTarget, WsTargetError};

/// One step of a [`WsSession`] script. In texts, `{iteration}` is replaced
/// by the iteration number, so concurrent sessions can tell their replies
/// apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Send a text message.
    Send(String),
    /// Wait for a text message equal to this one (others are skipped and
    /// counted as `ws_unsolicited`); its round trip is timed from the last
    /// send.
    Expect(String),
    /// Do nothing for a while (the connection is still read, so a drop is
    /// seen at once).
    Pause(Duration),
}

#[derive(Debug, Clone)]
struct Config {
    target: WsTarget,
    steps: Vec<Step>,
    message_timeout: Duration,
    connect_timeout: Duration,
}

/// A scripted session: each iteration connects, runs the steps in order and
/// closes. The iteration latency covers the whole session; the handshake
/// and each expected reply's round trip are recorded apart
/// (`ws.handshake`, `ws.message_rtt`; read them with [`WsStats::of`](super::WsStats::of)).
///
/// ```
/// use spike::prelude::*;
/// use spike::ws::{EchoServer, WsSession, WsStats};
///
/// # tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
/// let server = EchoServer::start(50).await?;
/// let chat = WsSession::new(server.url())?
///     .send("hello {iteration}")
///     .expect("hello {iteration}")
///     .pause(ms(10))
///     .send("bye {iteration}")
///     .expect("bye {iteration}");
/// let shape = Shape::builder().hold(rps(40), ms(250)).build()?;
/// let report = Scenario::new("ws-session-doc").shape(shape).window(ms(50))
///     .run(chat).await?;
/// assert_eq!(report.total.errors, 0);
/// assert_eq!(WsStats::of(&report).message_rtt.total.count, 20);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct WsSession {
    config: Arc<Config>,
    open: Arc<OpenConnections>,
}

impl WsSession {
    /// A session against `url` with no steps yet (connect and close), 2 s
    /// message timeout, 5 s connect timeout.
    ///
    /// # Errors
    /// [`WsTargetError`] when the URL is not a WebSocket URL, or its host is
    /// neither loopback nor allowed.
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
        Ok(WsSession {
            config: Arc::new(Config {
                target,
                steps: Vec::new(),
                message_timeout: Duration::from_secs(2),
                connect_timeout: Duration::from_secs(5),
            }),
            open: Arc::default(),
        })
    }

    /// Append a step.
    #[must_use]
    pub fn step(mut self, step: Step) -> Self {
        Arc::make_mut(&mut self.config).steps.push(step);
        self
    }

    /// Append [`Step::Send`].
    #[must_use]
    pub fn send(self, text: impl Into<String>) -> Self {
        self.step(Step::Send(text.into()))
    }

    /// Append [`Step::Expect`].
    #[must_use]
    pub fn expect(self, text: impl Into<String>) -> Self {
        self.step(Step::Expect(text.into()))
    }

    /// Append [`Step::Pause`].
    #[must_use]
    pub fn pause(self, pause: Duration) -> Self {
        self.step(Step::Pause(pause))
    }

    /// How long an expected reply may take before the iteration fails with
    /// `timeout`.
    #[must_use]
    pub fn message_timeout(mut self, timeout: Duration) -> Self {
        Arc::make_mut(&mut self.config).message_timeout = timeout;
        self
    }

    /// How long TCP connect + handshake may take before `timeout`.
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        Arc::make_mut(&mut self.config).connect_timeout = timeout;
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
        let iteration = ctx.iteration().to_string();
        let fill = |t: &str| t.replace("{iteration}", &iteration);
        let mut last_send = Instant::now();
        for step in &config.steps {
            match step {
                Step::Send(text) => last_send = conn.send_text(fill(text)).await?,
                Step::Expect(text) => {
                    conn.expect(&fill(text), last_send, config.message_timeout)
                        .await?;
                }
                Step::Pause(pause) => {
                    conn.idle_until(tokio::time::Instant::now() + *pause)
                        .await?;
                }
            }
        }
        conn.close().await;
        Ok(())
    }
}

impl Workload for WsSession {
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

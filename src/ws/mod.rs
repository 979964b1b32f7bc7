//! WebSocket driver (feature `ws`, tokio-tungstenite): connection
//! avalanches, scripted sessions, and an in-process echo + broadcast server.
//!
//! * [`WsAvalanche`]: every iteration opens one connection at the shape's
//!   arrival rate, holds it (sending a message every so often and timing
//!   its echo) and closes it. Iterations in flight are connections open, so
//!   `rps(400)` for 500 ms with a 1 s hold puts 200 connections up at once.
//! * [`WsSession`]: every iteration connects, runs a scripted exchange
//!   (send, expect, pause) and closes.
//! * [`EchoServer`]: echo + broadcast with a connection limit, on
//!   `127.0.0.1` and a random port, for tests and examples.
//!
//! Both workloads record everything through the iteration's `Ctx`, so it
//! lands in the report per window, phase and run, on the scenario's window:
//!
//! * beside the iteration latency, two durations (`ctx.record`, names in
//!   [`metrics`]): `ws.handshake` (TCP connect + WebSocket handshake) and
//!   `ws.message_rtt` (message sent → matching reply received);
//! * counters (`ctx.count`, names in [`counters`]): connection attempts,
//!   successes, failures, drops of established connections, messages sent,
//!   received and timed out;
//! * the gauge `ws_open` (connections open, set at every open and close).
//!
//! [`WsStats::of`] reads them back from a report as plain numbers.
//! `report.total.ratio("ws_connected", "ws_connect_attempt")` is the
//! connection success ratio.
//!
//! Errors: refused or reset connections are `connect`, a refused handshake
//! keeps its HTTP status (`http_5xx` for the server's `503`), no reply in
//! time is `timeout`, a connection that ends before the workload is done
//! with it is `ws_dropped`, anything else on the wire is `protocol`.
//!
//! ```
//! use spike::prelude::*;
//! use spike::ws::{counters, EchoServer, WsAvalanche, WsStats};
//!
//! # tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
//! let server = EchoServer::start(100).await?;
//! let avalanche = WsAvalanche::new(server.url())?.hold(ms(200)).message_every(ms(100));
//! let shape = Shape::builder().hold(rps(50), ms(400)).build()?;
//! let report = Scenario::new("ws-doc").shape(shape).window(ms(100))
//!     .run(avalanche).await?;
//! assert_eq!(report.total.counter(counters::CONNECTED), 20);
//! let stats = WsStats::of(&report);
//! assert_eq!(stats.connected, 20);
//! assert_eq!(stats.message_rtt.total.count, 40);
//! assert_eq!(report.total.metric("ws.message_rtt").unwrap().count, 40);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

mod avalanche;
mod server;
mod session;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use spike_core::{class_of_io, Ctx, ErrorClass, IterError, Report};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub use avalanche::WsAvalanche;
pub use server::{EchoServer, EchoServerStats, BROADCAST_PREFIX};
pub use session::{Step, WsSession};

use crate::target_check::{judge_target, Endpoint, TargetRefused};
use spike_core::MetricStats;

/// Names of the counters and the gauge the WebSocket workloads record.
pub mod counters {
    /// Connection attempts.
    pub const CONNECT_ATTEMPT: &str = "ws_connect_attempt";
    /// Handshakes completed.
    pub const CONNECTED: &str = "ws_connected";
    /// Attempts that failed (refused, timed out, handshake refused).
    pub const CONNECT_FAILED: &str = "ws_connect_failed";
    /// Established connections that ended before the workload was done.
    pub const DROPPED: &str = "ws_dropped";
    /// Messages sent.
    pub const MESSAGE_SENT: &str = "ws_message_sent";
    /// Expected replies received.
    pub const MESSAGE_RECEIVED: &str = "ws_message_received";
    /// Expected replies that did not come in time.
    pub const MESSAGE_TIMEOUT: &str = "ws_message_timeout";
    /// Messages received that were not the one awaited (broadcasts of others).
    pub const UNSOLICITED: &str = "ws_unsolicited";
    /// Gauge: connections open now (this workload's).
    pub const OPEN: &str = "ws_open";
}

/// Names of the durations the WebSocket workloads record (`ctx.record`),
/// in the report's `Stats::metrics` (`expect(&report).metric(..)`).
pub mod metrics {
    /// TCP connect + WebSocket handshake, for each connection made.
    pub const HANDSHAKE: &str = "ws.handshake";
    /// Message sent → matching reply received, for each reply.
    pub const MESSAGE_RTT: &str = "ws.message_rtt";
}

/// Error class of a connection that ended before the workload was done.
pub const DROPPED_CLASS: &str = "ws_dropped";

/// What the WebSocket workloads of a run measured, read from its report
/// ([`WsStats::of`]): a view over the counters, gauge and durations they
/// recorded through `Ctx`. Everything the workloads record lands in the
/// report, so a run of two WebSocket workloads counts both.
#[derive(Debug, Clone, PartialEq)]
pub struct WsStats {
    /// TCP connect + WebSocket handshake (`ws.handshake`), per phase and
    /// window.
    pub handshake: MetricStats,
    /// Message sent → matching reply received (`ws.message_rtt`), per phase
    /// and window.
    pub message_rtt: MetricStats,
    /// Connection attempts (`ws_connect_attempt`).
    pub attempted: u64,
    /// Handshakes completed (`ws_connected`).
    pub connected: u64,
    /// Attempts that failed (`ws_connect_failed`).
    pub failed: u64,
    /// Established connections that ended early (`ws_dropped`).
    pub dropped: u64,
    /// Most connections open at once (the largest value of the `ws_open`
    /// gauge).
    pub peak_open: u64,
}

impl WsStats {
    /// The WebSocket numbers of `report` (whole run; per phase and window
    /// for the durations).
    ///
    /// ```
    /// use spike::prelude::*;
    /// use spike::ws::WsStats;
    ///
    /// # tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
    /// let shape = Shape::builder().hold(rps(10), ms(200)).build()?;
    /// let report = Scenario::new("no-ws").shape(shape).run(|_ctx: Ctx| async {}).await?;
    /// let stats = WsStats::of(&report);
    /// assert_eq!(stats.attempted, 0);
    /// assert_eq!(stats.handshake.total.count, 0);
    /// assert_eq!(stats.success_ratio(), 1.0);
    /// # Ok::<(), SpikeError>(())
    /// # }).unwrap();
    /// ```
    #[must_use]
    pub fn of(report: &Report) -> Self {
        let total = &report.total;
        WsStats {
            handshake: MetricStats::of(report, metrics::HANDSHAKE),
            message_rtt: MetricStats::of(report, metrics::MESSAGE_RTT),
            attempted: total.counter(counters::CONNECT_ATTEMPT),
            connected: total.counter(counters::CONNECTED),
            failed: total.counter(counters::CONNECT_FAILED),
            dropped: total.counter(counters::DROPPED),
            peak_open: total.gauge_peak(counters::OPEN),
        }
    }

    /// `connected / attempted` (1.0 when nothing was attempted).
    #[must_use]
    pub fn success_ratio(&self) -> f64 {
        if self.attempted == 0 {
            1.0
        } else {
            self.connected as f64 / self.attempted as f64
        }
    }
}

/// Connections a workload (and its clones) has open now: the live value the
/// `ws_open` gauge samples at every open and close. Not a statistic: what
/// a run measured is in its report.
#[derive(Debug, Default)]
struct OpenConnections(AtomicI64);

impl OpenConnections {
    fn now(&self) -> u64 {
        u64::try_from(self.0.load(Ordering::Acquire)).unwrap_or(0)
    }
}

fn count_drop(ctx: &Ctx) {
    ctx.count(counters::DROPPED, 1);
}

/// Count a drop and make its error.
fn dropped(ctx: &Ctx, why: &str) -> IterError {
    count_drop(ctx);
    IterError::new(DROPPED_CLASS).with_message(why.to_owned())
}

type Stream = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// An open connection; closing (or dropping) it updates the open count.
struct Conn {
    ws: Stream,
    open: Arc<OpenConnections>,
    ctx: Ctx,
}

impl Drop for Conn {
    fn drop(&mut self) {
        let open = self.open.0.fetch_sub(1, Ordering::AcqRel) - 1;
        self.ctx.gauge(counters::OPEN, open as f64);
    }
}

/// A checked WebSocket target: the normalised URL (sent in the handshake)
/// and the addresses the connection may go to.
#[derive(Clone)]
struct WsTarget {
    url: String,
    endpoint: Endpoint,
}

impl std::fmt::Debug for WsTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WsTarget")
            .field("url", &spike_core::redact::redact_url(&self.url))
            .field("endpoint", &self.endpoint)
            .finish()
    }
}

/// Check that `url` is a `ws://` URL whose host may receive load (the
/// driver speaks plain WebSocket: loopback targets need no TLS). The URL is
/// parsed as the WHATWG parser does, and the connection later goes only to
/// the addresses judged here (`localhost` is pinned, never resolved).
fn check_url(url: &str, allowed: &[String]) -> Result<WsTarget, WsTargetError> {
    let bad = || WsTargetError::BadUrl(spike_core::redact::redact_url(url));
    let parsed = url::Url::parse(url).map_err(|_| bad())?;
    if parsed.scheme() != "ws" {
        return Err(bad());
    }
    let host = parsed
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(bad)?;
    let verdict = judge_target("ws", host, allowed).map_err(WsTargetError::Refused)?;
    let port = parsed.port_or_known_default().unwrap_or(80);
    if !parsed.username().is_empty() {
        spike_core::redact::register_secret(parsed.username());
    }
    if let Some(pw) = parsed.password() {
        spike_core::redact::register_secret(pw);
    }
    Ok(WsTarget {
        endpoint: Endpoint::new(verdict, host, port),
        url: parsed.into(),
    })
}

/// Why a WebSocket workload could not be built.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WsTargetError {
    /// Not a `ws://host[:port]/...` URL.
    BadUrl(String),
    /// The host is neither loopback nor allowed.
    Refused(TargetRefused),
}

crate::macros::debug_as_display!(WsTargetError);

impl std::fmt::Display for WsTargetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WsTargetError::BadUrl(url) => {
                write!(
                    f,
                    "`{url}` is not a plain WebSocket URL (ws://host[:port]/path; \
                     the driver speaks no TLS)"
                )
            }
            WsTargetError::Refused(r) => r.fmt(f),
        }
    }
}

impl std::error::Error for WsTargetError {}

/// Class a tungstenite error. `established`: the handshake had completed,
/// so a closed or reset connection is a drop.
fn classify(err: WsError, established: bool) -> IterError {
    let message = err.to_string();
    let class = match err {
        WsError::Http(resp) => ErrorClass::Http(resp.status().as_u16()),
        WsError::Io(io) if established => {
            return IterError::new(DROPPED_CLASS).with_message(io.to_string())
        }
        WsError::Io(io) => class_of_io(io.kind()),
        WsError::ConnectionClosed | WsError::AlreadyClosed if established => {
            return IterError::new(DROPPED_CLASS).with_message(message)
        }
        WsError::Protocol(
            tokio_tungstenite::tungstenite::error::ProtocolError::ResetWithoutClosingHandshake,
        ) if established => return IterError::new(DROPPED_CLASS).with_message(message),
        _ => ErrorClass::Protocol,
    };
    IterError::of(class).with_message(message)
}

/// Connect (TCP + handshake) within `timeout`, recording attempts, failures,
/// handshake latency and the open count.
async fn connect(
    target: &WsTarget,
    timeout: Duration,
    ctx: &Ctx,
    open: &Arc<OpenConnections>,
) -> Result<Conn, IterError> {
    ctx.count(counters::CONNECT_ATTEMPT, 1);
    let started = Instant::now();
    let handshake = async {
        let tcp = target
            .endpoint
            .connect()
            .await
            .map_err(|e| IterError::of(class_of_io(e.kind())).with_message(e.to_string()))?;
        tokio_tungstenite::client_async(target.url.as_str(), MaybeTlsStream::Plain(tcp))
            .await
            .map_err(|e| classify(e, false))
    };
    let result = match tokio::time::timeout(timeout, handshake).await {
        Ok(Ok((ws, _response))) => Ok(ws),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(IterError::of(ErrorClass::Timeout)
            .with_message(format!("no WebSocket handshake within {timeout:?}"))),
    };
    match result {
        Ok(ws) => {
            ctx.record(metrics::HANDSHAKE, started.elapsed());
            ctx.count(counters::CONNECTED, 1);
            if let MaybeTlsStream::Plain(tcp) = ws.get_ref() {
                let _ = tcp.set_nodelay(true);
            }
            let now = open.0.fetch_add(1, Ordering::AcqRel) + 1;
            ctx.gauge(counters::OPEN, now as f64);
            Ok(Conn {
                ws,
                open: Arc::clone(open),
                ctx: ctx.clone(),
            })
        }
        Err(e) => {
            ctx.count(counters::CONNECT_FAILED, 1);
            Err(e)
        }
    }
}

impl Conn {
    /// Send a text message.
    async fn send_text(&mut self, text: String) -> Result<Instant, IterError> {
        use futures_util::SinkExt as _;
        let sent = Instant::now();
        self.ws
            .send(Message::text(text))
            .await
            .map_err(|e| self.fail(e))?;
        self.ctx.count(counters::MESSAGE_SENT, 1);
        Ok(sent)
    }

    /// Class an error on an established connection (a drop is counted).
    fn fail(&self, err: WsError) -> IterError {
        let e = classify(err, true);
        if e.class().key() == DROPPED_CLASS {
            count_drop(&self.ctx);
        }
        e
    }

    /// Wait for the text message `want`, skipping (and counting) others;
    /// records the round trip from `sent`.
    async fn expect(
        &mut self,
        want: &str,
        sent: Instant,
        timeout: Duration,
    ) -> Result<(), IterError> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let next = tokio::time::timeout_at(deadline, self.ws.next()).await;
            match next {
                Err(_) => {
                    self.ctx.count(counters::MESSAGE_TIMEOUT, 1);
                    return Err(IterError::of(ErrorClass::Timeout)
                        .with_message(format!("no reply `{want}` within {timeout:?}")));
                }
                Ok(Some(Ok(Message::Text(text)))) if text.as_str() == want => {
                    self.ctx.record(metrics::MESSAGE_RTT, sent.elapsed());
                    self.ctx.count(counters::MESSAGE_RECEIVED, 1);
                    return Ok(());
                }
                Ok(Some(Ok(msg))) => self.other(&msg)?,
                Ok(Some(Err(e))) => return Err(self.fail(e)),
                Ok(None) => return Err(dropped(&self.ctx, "connection ended")),
            }
        }
    }

    /// A message that is not the one awaited: a close is a drop, pings and
    /// pongs are the library's business, anything else is unsolicited.
    fn other(&self, msg: &Message) -> Result<(), IterError> {
        match msg {
            Message::Close(frame) => {
                let why = frame.as_ref().map_or_else(
                    || "closed by the server".to_owned(),
                    |f| format!("closed by the server ({} {})", u16::from(f.code), f.reason),
                );
                Err(dropped(&self.ctx, &why))
            }
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => Ok(()),
            Message::Text(_) | Message::Binary(_) => {
                self.ctx.count(counters::UNSOLICITED, 1);
                Ok(())
            }
        }
    }

    /// Keep the connection until `deadline`, reading (so a drop is seen at
    /// once and pings are answered).
    async fn idle_until(&mut self, deadline: tokio::time::Instant) -> Result<(), IterError> {
        loop {
            match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Err(_) => return Ok(()),
                Ok(Some(Ok(msg))) => self.other(&msg)?,
                Ok(Some(Err(e))) => return Err(self.fail(e)),
                Ok(None) => return Err(dropped(&self.ctx, "connection ended")),
            }
        }
    }

    /// Close with a normal close frame and wait (1 s at most) for the
    /// server's reply; a server that does not answer is not an error of
    /// the iteration, which is done.
    async fn close(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(1), async {
            if self.ws.close(None).await.is_ok() {
                while let Some(Ok(_)) = self.ws.next().await {}
            }
        })
        .await;
    }
}

//! An in-process WebSocket echo + broadcast server with a connection limit.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::StatusCode;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;

/// Text messages starting with this prefix are broadcast (without it) to
/// every connected client, the sender included.
pub const BROADCAST_PREFIX: &str = "broadcast:";

/// Counters of an [`EchoServer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EchoServerStats {
    /// Handshakes accepted.
    pub accepted: u64,
    /// Handshakes refused with `503 Service Unavailable` because the
    /// connection limit was reached.
    pub rejected: u64,
    /// Connections open now.
    pub active: u64,
    /// Most connections open at once.
    pub peak: u64,
    /// Messages echoed back.
    pub echoed: u64,
    /// Messages broadcast.
    pub broadcasts: u64,
}

#[derive(Default)]
struct State {
    limit: usize,
    active: AtomicUsize,
    peak: AtomicUsize,
    accepted: AtomicU64,
    rejected: AtomicU64,
    echoed: AtomicU64,
    broadcasts: AtomicU64,
}

/// A WebSocket echo + broadcast server on `127.0.0.1` (random port) for
/// tests and examples.
///
/// * A text or binary message is echoed back unchanged.
/// * A text message `broadcast:<text>` sends `<text>` to every connected
///   client, the sender included.
/// * Beyond `max_connections` open connections, a handshake is refused with
///   `503 Service Unavailable` (the client sees an `http_5xx` error).
///
/// Dropping the server (or [`shutdown`](Self::shutdown)) stops accepting
/// and closes every connection.
///
/// ```
/// use spike::ws::EchoServer;
///
/// # tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
/// let server = EchoServer::start(100).await?;
/// assert!(server.url().starts_with("ws://127.0.0.1:"));
/// assert_eq!(server.stats().active, 0);
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
#[derive(Debug)]
pub struct EchoServer {
    addr: SocketAddr,
    state: Arc<State>,
    accept: JoinHandle<()>,
    kick: watch::Sender<u64>,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State")
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}

impl EchoServer {
    /// Bind `127.0.0.1:0` and serve with at most `max_connections` open
    /// connections.
    ///
    /// # Errors
    /// The I/O error of binding the listener.
    pub async fn start(max_connections: usize) -> std::io::Result<EchoServer> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(State {
            limit: max_connections,
            ..State::default()
        });
        let (kick, kick_rx) = watch::channel(0_u64);
        let (bcast, _) = broadcast::channel::<String>(1024);
        let accept = tokio::spawn(accept_loop(listener, Arc::clone(&state), kick_rx, bcast));
        Ok(EchoServer {
            addr,
            state,
            accept,
            kick,
        })
    }

    /// The address the server listens on.
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `ws://127.0.0.1:<port>/`.
    #[must_use]
    pub fn url(&self) -> String {
        format!("ws://{}/", self.addr)
    }

    /// The connection limit.
    #[must_use]
    pub fn max_connections(&self) -> usize {
        self.state.limit
    }

    /// The counters now.
    #[must_use]
    pub fn stats(&self) -> EchoServerStats {
        let s = &self.state;
        EchoServerStats {
            accepted: s.accepted.load(Ordering::Relaxed),
            rejected: s.rejected.load(Ordering::Relaxed),
            active: s.active.load(Ordering::Relaxed) as u64,
            peak: s.peak.load(Ordering::Relaxed) as u64,
            echoed: s.echoed.load(Ordering::Relaxed),
            broadcasts: s.broadcasts.load(Ordering::Relaxed),
        }
    }

    /// Close every open connection with a `1001 Going Away` close frame (new
    /// connections are still accepted): what clients see when a server
    /// restarts or a load balancer drains.
    pub fn disconnect_all(&self) {
        self.kick.send_modify(|generation| *generation += 1);
    }

    /// Stop accepting and close every connection.
    pub fn shutdown(self) {
        drop(self);
    }
}

impl Drop for EchoServer {
    fn drop(&mut self) {
        self.accept.abort();
        // Connection tasks see the kick and close.
        self.kick.send_modify(|generation| *generation += 1);
    }
}

async fn accept_loop(
    listener: TcpListener,
    state: Arc<State>,
    kick: watch::Receiver<u64>,
    bcast: broadcast::Sender<String>,
) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            // Out of file descriptors or similar: back off, keep serving.
            tokio::time::sleep(Duration::from_millis(5)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(serve(
            stream,
            Arc::clone(&state),
            kick.clone(),
            bcast.clone(),
        ));
    }
}

async fn serve(
    stream: TcpStream,
    state: Arc<State>,
    mut kick: watch::Receiver<u64>,
    bcast: broadcast::Sender<String>,
) {
    let admitted = state.active.fetch_add(1, Ordering::AcqRel) < state.limit;
    if !admitted {
        state.active.fetch_sub(1, Ordering::AcqRel);
        state.rejected.fetch_add(1, Ordering::Relaxed);
        let _ = tokio_tungstenite::accept_hdr_async(stream, refuse).await;
        return;
    }
    let guard = ActiveGuard(Arc::clone(&state));
    let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else {
        return;
    };
    state.accepted.fetch_add(1, Ordering::Relaxed);
    state
        .peak
        .fetch_max(state.active.load(Ordering::Acquire), Ordering::AcqRel);
    kick.mark_unchanged();
    let mut brx = bcast.subscribe();
    loop {
        tokio::select! {
            msg = ws.next() => match msg {
                Some(Ok(Message::Text(text))) => {
                    if let Some(rest) = text.as_str().strip_prefix(BROADCAST_PREFIX) {
                        state.broadcasts.fetch_add(1, Ordering::Relaxed);
                        let _ = bcast.send(rest.to_owned());
                    } else {
                        state.echoed.fetch_add(1, Ordering::Relaxed);
                        if ws.send(Message::Text(text)).await.is_err() {
                            break;
                        }
                    }
                }
                Some(Ok(Message::Binary(data))) => {
                    state.echoed.fetch_add(1, Ordering::Relaxed);
                    if ws.send(Message::Binary(data)).await.is_err() {
                        break;
                    }
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => {}
                Some(Ok(Message::Close(_))) => {
                    // Complete the closing handshake the client started.
                    let _ = tokio::time::timeout(Duration::from_secs(1), ws.close(None)).await;
                    break;
                }
                Some(Err(_)) | None => break,
            },
            b = brx.recv() => match b {
                Ok(text) => {
                    if ws.send(Message::text(text)).await.is_err() {
                        break;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => break,
            },
            _ = kick.changed() => {
                let frame = CloseFrame { code: CloseCode::Away, reason: "server going away".into() };
                let _ = tokio::time::timeout(Duration::from_secs(1), ws.close(Some(frame))).await;
                break;
            }
        }
    }
    drop(guard);
}

/// The handshake answer beyond the connection limit: `503`.
// The signature is tungstenite's handshake callback; its error is large.
#[allow(clippy::result_large_err)]
fn refuse(_: &Request, _: Response) -> Result<Response, ErrorResponse> {
    let mut resp = ErrorResponse::new(Some("connection limit reached".to_owned()));
    *resp.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    Err(resp)
}

struct ActiveGuard(Arc<State>);

impl Drop for ActiveGuard {
    fn drop(&mut self) {
        self.0.active.fetch_sub(1, Ordering::AcqRel);
    }
}

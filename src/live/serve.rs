//! The HTTP side of the Prometheus endpoint: a thread of its own with a
//! current-thread runtime (so it outlives the test runtime that fed it),
//! serving `GET /metrics` on a loopback listener until its owner drops.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;

use super::families::families;
use super::prom_encode::{protobuf, text, wants_protobuf, PROTOBUF, TEXT};
use super::state::Live;

/// Scrapes served so far, to wait for one after a run ended.
#[derive(Debug, Default)]
pub(crate) struct Scrapes {
    served: Mutex<u64>,
    changed: Condvar,
}

impl Scrapes {
    /// Scrapes served so far.
    pub(crate) fn count(&self) -> u64 {
        *self.served.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn one_more(&self) {
        *self.served.lock().unwrap_or_else(PoisonError::into_inner) += 1;
        self.changed.notify_all();
    }

    /// Wait until more than `seen` scrapes were served, at most `limit`.
    /// Returns whether one was.
    pub(crate) fn wait_past(&self, seen: u64, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        let mut served = self.served.lock().unwrap_or_else(PoisonError::into_inner);
        while *served <= seen {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            served = self
                .changed
                .wait_timeout(served, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        true
    }
}

/// A running endpoint; dropping it stops the server thread.
#[derive(Debug)]
pub(crate) struct Server {
    pub(crate) addr: SocketAddr,
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// Serve `live` on `listener` from a new thread.
///
/// # Errors
/// When the listener cannot be handed to tokio or the thread not started.
pub(crate) fn start(
    listener: std::net::TcpListener,
    live: Arc<Live>,
    scrapes: Arc<Scrapes>,
) -> std::io::Result<Server> {
    let addr = listener.local_addr()?;
    listener.set_nonblocking(true)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    std::thread::Builder::new()
        .name("spike-prometheus".into())
        .spawn(move || {
            runtime.block_on(async move {
                let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                    return;
                };
                tokio::select! {
                    _ = stopped => {}
                    () = accept_loop(listener, live, scrapes) => {}
                }
            });
        })?;
    Ok(Server { addr, _stop: stop })
}

async fn accept_loop(listener: tokio::net::TcpListener, live: Arc<Live>, scrapes: Arc<Scrapes>) {
    let mut conns = tokio::task::JoinSet::new();
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(5)).await;
            continue;
        };
        while conns.try_join_next().is_some() {}
        let (live, scrapes) = (live.clone(), scrapes.clone());
        conns.spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let response = respond(&live, &scrapes, &req);
                async move { Ok::<_, Infallible>(response) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

fn respond(live: &Live, scrapes: &Scrapes, req: &Request<Incoming>) -> Response<Full<Bytes>> {
    if req.uri().path() != "/metrics" {
        let mut r = Response::new(Full::new(Bytes::from_static(b"spike serves /metrics\n")));
        *r.status_mut() = StatusCode::NOT_FOUND;
        return r;
    }
    let accept = req
        .headers()
        .get(hyper::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let fams = families(&live.snapshot());
    let (body, content_type) = if wants_protobuf(accept) {
        (Bytes::from(protobuf(&fams)), PROTOBUF)
    } else {
        (Bytes::from(text(&fams)), TEXT)
    };
    // Counted once the snapshot is taken: a scrape counted after a run's
    // end holds everything the run recorded.
    scrapes.one_more();
    let mut r = Response::new(Full::new(body));
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static(content_type),
    );
    r
}

//! A lean HTTP/1.1 GET path for raw throughput: hyper connections kept in a
//! LIFO stack, one per concurrent iteration, no templates, status check only.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures_util::future::BoxFuture;
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use spike_core::{class_of_io, Ctx, ErrorClass, IterError, Workload};

use super::status::StatusSet;
use super::{check_target, describe, HttpError, CONNECTIONS_OPENED};

type Sender = SendRequest<Empty<Bytes>>;

struct Inner {
    addr: SocketAddr,
    host: hyper::header::HeaderValue,
    path: hyper::Uri,
    expect: StatusSet,
    timeout: Duration,
    idle: Mutex<Vec<Sender>>,
    opened: AtomicU64,
}

/// A copy has the same target and settings and connections of its own
/// (what configuring a shared clone of a [`DirectHttp1`] makes).
impl Clone for Inner {
    fn clone(&self) -> Self {
        Inner {
            addr: self.addr,
            host: self.host.clone(),
            path: self.path.clone(),
            expect: self.expect.clone(),
            timeout: self.timeout,
            idle: Mutex::new(Vec::new()),
            opened: AtomicU64::new(0),
        }
    }
}

/// A GET of one URL over HTTP/1.1 with hyper directly: the fastest way
/// spike drives a server, for capacity benchmarks.
///
/// Each iteration takes an idle connection (or opens one), sends the
/// request, reads the body and puts the connection back, so the closed
/// model with N users uses exactly N keep-alive connections, like `wrk -c N`
/// or `oha -c N`. Unlike [`Http`](super::Http) it has no templates, body
/// checks, tags or HTTP/2, and it needs an IP address (no name lookup).
/// Status outside the expected set → `Http(status)`, connect failure →
/// `connect`, no answer within the timeout (default 10 s) → `timeout`,
/// anything else → `protocol`. Connections opened are counted in the
/// `http_connections_opened` user counter.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use spike::prelude::*;
/// let get = spike::http::DirectHttp1::new("http://127.0.0.1:8080/")?;
/// let shape = Shape::builder().hold(users(50), secs(10)).build()?;
/// let report = Scenario::new("max-throughput").shape(shape).run(get).await?;
/// println!("{:.0} req/s", report.total.throughput);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct DirectHttp1 {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for DirectHttp1 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirectHttp1")
            .field("addr", &self.inner.addr)
            .field("path", &self.inner.path.path())
            .finish_non_exhaustive()
    }
}

impl DirectHttp1 {
    /// A GET of `url`, whose host must be an IP address: loopback, unless
    /// allowed through `SPIKE_ALLOW_HOSTS`.
    ///
    /// # Errors
    /// [`HttpError::BadUrl`] for a URL that does not parse, has no port-able
    /// IP host, or is not `http://`; [`HttpError::HostNotAllowed`] for a
    /// host that is not loopback and not allowed.
    pub fn new(url: &str) -> Result<Self, HttpError> {
        let bad = |reason: &str| HttpError::BadUrl {
            url: spike_core::redact::redact_url(url),
            reason: reason.to_owned(),
        };
        let parsed = reqwest::Url::parse(url).map_err(|e| bad(&e.to_string()))?;
        check_target(&parsed, &[])?;
        let host = parsed.host_str().unwrap_or_default();
        let ip: std::net::IpAddr = spike_core::safety::bare_host(host)
            .parse()
            .map_err(|_| bad("DirectHttp1 needs an IP address as host (e.g. 127.0.0.1)"))?;
        let port = parsed.port_or_known_default().unwrap_or(80);
        let mut path = parsed.path().to_owned();
        if let Some(q) = parsed.query() {
            path.push('?');
            path.push_str(q);
        }
        let authority = match parsed.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.to_owned(),
        };
        Ok(DirectHttp1 {
            inner: Arc::new(Inner {
                addr: SocketAddr::new(ip, port),
                host: hyper::header::HeaderValue::from_str(&authority)
                    .map_err(|e| bad(&e.to_string()))?,
                path: path
                    .parse()
                    .map_err(|e: hyper::http::uri::InvalidUri| bad(&e.to_string()))?,
                expect: StatusSet::default(),
                timeout: super::DEFAULT_TIMEOUT,
                idle: Mutex::new(Vec::new()),
                opened: AtomicU64::new(0),
            }),
        })
    }

    /// The settings, to change: a clone that shares them first becomes a
    /// client of its own (same target and settings, its own connections),
    /// so configuring one clone never changes another.
    fn inner_mut(&mut self) -> &mut Inner {
        Arc::make_mut(&mut self.inner)
    }

    /// The statuses that count as success (default any 2xx). On a clone
    /// that shares its settings, the clone becomes a client of its own.
    #[must_use]
    pub fn expect_status(mut self, statuses: impl Into<StatusSet>) -> Self {
        self.inner_mut().expect = statuses.into();
        self
    }

    /// Per-request timeout, connect included (default 10 s). On a clone
    /// that shares its settings, the clone becomes a client of its own.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.inner_mut().timeout = timeout;
        self
    }

    /// Connections opened so far.
    #[must_use]
    pub fn connections_opened(&self) -> u64 {
        self.inner.opened.load(Ordering::Relaxed)
    }
}

async fn connect(inner: &Inner) -> Result<Sender, IterError> {
    let stream = tokio::net::TcpStream::connect(inner.addr)
        .await
        .map_err(|e| IterError::of(class_of_io(e.kind())).with_message(e.to_string()))?;
    let _ = stream.set_nodelay(true);
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| IterError::of(ErrorClass::Protocol).with_message(describe(&e)))?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    inner.opened.fetch_add(1, Ordering::Relaxed);
    Ok(sender)
}

async fn once(inner: &Inner, ctx: &Ctx) -> Result<(), IterError> {
    let idle = inner
        .idle
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .pop();
    let mut sender = match idle {
        Some(s) if !s.is_closed() => s,
        _ => {
            let s = connect(inner).await?;
            ctx.count(CONNECTIONS_OPENED, 1);
            s
        }
    };
    let proto = |e: hyper::Error| {
        let class = if e.is_timeout() {
            ErrorClass::Timeout
        } else {
            ErrorClass::Protocol
        };
        IterError::of(class).with_message(describe(&e))
    };
    sender.ready().await.map_err(proto)?;
    let req = hyper::Request::get(inner.path.clone())
        .header(hyper::header::HOST, inner.host.clone())
        .body(Empty::<Bytes>::new())
        .map_err(|e| IterError::new("request").with_message(e.to_string()))?;
    let resp = sender.send_request(req).await.map_err(proto)?;
    let status = resp.status().as_u16();
    resp.into_body().collect().await.map_err(proto)?;
    inner
        .idle
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push(sender);
    if inner.expect.contains(status) {
        Ok(())
    } else {
        Err(IterError::of(ErrorClass::Http(status)))
    }
}

impl Workload for DirectHttp1 {
    type Future = BoxFuture<'static, Result<(), IterError>>;
    type Output = Result<(), IterError>;

    fn call(&self, ctx: Ctx) -> Self::Future {
        let inner = self.inner.clone();
        Box::pin(async move {
            match tokio::time::timeout(inner.timeout, once(&inner, &ctx)).await {
                Ok(r) => r,
                Err(_) => Err(IterError::of(ErrorClass::Timeout)
                    .with_message(format!("no answer within {:?}", inner.timeout))),
            }
        })
    }
}

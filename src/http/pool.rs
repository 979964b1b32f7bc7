//! The connections of a client. HTTP/1.1 pooled: a LIFO stack of idle
//! keep-alive connections, one per concurrent iteration (N users = N
//! connections, like `wrk -c N`). HTTP/2 pooled: one multiplexed
//! connection, shared by every iteration and replaced when it closes.
//! Per iteration: a new connection for every exchange, dropped after it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use hyper::body::Incoming;
use hyper::client::conn::{http1, http2, TrySendError};
use hyper::{Request, Response};
use spike_core::{Ctx, ErrorClass, IterError};

use super::target::{Body, Sender, Target};
use super::{describe, Connections, CONNECTIONS_OPENED};

#[derive(Debug)]
pub(crate) struct Pool {
    pub(crate) target: Target,
    pub(crate) mode: Connections,
    idle: Mutex<Vec<http1::SendRequest<Body>>>,
    shared: Mutex<Option<http2::SendRequest<Body>>>,
    /// Held while the shared HTTP/2 connection is (re)opened, so that
    /// concurrent iterations wait for one connection instead of opening
    /// one each.
    opening: tokio::sync::Mutex<()>,
    pub(crate) opened: AtomicU64,
}

/// A connection taken for one exchange.
pub(crate) struct Lease {
    sender: Sender,
    reused: bool,
}

impl Pool {
    pub(crate) fn new(target: Target, mode: Connections) -> Self {
        Pool {
            target,
            mode,
            idle: Mutex::new(Vec::new()),
            shared: Mutex::new(None),
            opening: tokio::sync::Mutex::new(()),
            opened: AtomicU64::new(0),
        }
    }

    /// Send `req` and return the response head; the connection goes back
    /// with [`Pool::release`] once the body is read. A reused connection
    /// that turns out closed before the request was written is replaced
    /// by a new one, once.
    pub(crate) async fn exchange(
        &self,
        ctx: &Ctx,
        req: Request<Body>,
    ) -> Result<(Response<Incoming>, Lease), IterError> {
        let mut lease = self.acquire(ctx).await?;
        match lease.sender.send(req).await {
            Ok(resp) => Ok((resp, lease)),
            Err(mut e) if lease.reused && e.message().is_some() => {
                let req = e.take_message().expect("checked just above");
                let mut fresh = self.replace(ctx).await?;
                match fresh.sender.send(req).await {
                    Ok(resp) => Ok((resp, fresh)),
                    Err(e) => Err(hyper_error(&e.into_error())),
                }
            }
            Err(e) => Err(hyper_error(&e.into_error())),
        }
    }

    /// Give a connection back after its answer was read whole.
    pub(crate) fn release(&self, lease: Lease) {
        if self.mode == Connections::PerIteration {
            return;
        }
        if let Sender::H1(sender) = lease.sender {
            if !sender.is_closed() {
                self.idle
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(sender);
            }
        }
    }

    async fn acquire(&self, ctx: &Ctx) -> Result<Lease, IterError> {
        if self.mode == Connections::PerIteration {
            return self.open(ctx).await;
        }
        if self.target.http2 {
            return self.shared_h2(ctx).await;
        }
        loop {
            let idle = self
                .idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .pop();
            match idle {
                Some(mut sender) if !sender.is_closed() => {
                    if sender.ready().await.is_ok() {
                        return Ok(Lease {
                            sender: Sender::H1(sender),
                            reused: true,
                        });
                    }
                }
                Some(_) => {}
                None => return self.open(ctx).await,
            }
        }
    }

    async fn shared_h2(&self, ctx: &Ctx) -> Result<Lease, IterError> {
        if let Some(lease) = self.live_h2() {
            return Ok(lease);
        }
        let _opening = self.opening.lock().await;
        if let Some(lease) = self.live_h2() {
            return Ok(lease);
        }
        let lease = self.open(ctx).await?;
        if let Sender::H2(sender) = &lease.sender {
            *self.shared.lock().unwrap_or_else(PoisonError::into_inner) = Some(sender.clone());
        }
        Ok(lease)
    }

    fn live_h2(&self) -> Option<Lease> {
        let shared = self.shared.lock().unwrap_or_else(PoisonError::into_inner);
        match &*shared {
            Some(sender) if !sender.is_closed() => Some(Lease {
                sender: Sender::H2(sender.clone()),
                reused: true,
            }),
            _ => None,
        }
    }

    /// A connection instead of a reused one found closed: the shared
    /// HTTP/2 connection is replaced (once, for every iteration), an
    /// HTTP/1.1 one is opened for this iteration.
    async fn replace(&self, ctx: &Ctx) -> Result<Lease, IterError> {
        if !self.target.http2 {
            return self.open(ctx).await;
        }
        {
            let mut shared = self.shared.lock().unwrap_or_else(PoisonError::into_inner);
            if shared.as_ref().is_some_and(http2::SendRequest::is_closed) {
                *shared = None;
            }
        }
        self.shared_h2(ctx).await
    }

    /// A new connection for the load: counted, its times recorded.
    async fn open(&self, ctx: &Ctx) -> Result<Lease, IterError> {
        let sender = self.target.open(Some(ctx), false).await?;
        self.opened.fetch_add(1, Ordering::Relaxed);
        ctx.count(CONNECTIONS_OPENED, 1);
        Ok(Lease {
            sender,
            reused: false,
        })
    }
}

impl Sender {
    async fn send(
        &mut self,
        req: Request<Body>,
    ) -> Result<Response<Incoming>, TrySendError<Request<Body>>> {
        match self {
            Sender::H1(s) => s.try_send_request(req).await,
            Sender::H2(s) => s.try_send_request(req).await,
        }
    }

    /// Send on a connection opened for this one request (health probes).
    pub(crate) async fn send_once(
        mut self,
        req: Request<Body>,
    ) -> Result<Response<Incoming>, IterError> {
        self.send(req)
            .await
            .map_err(|e| hyper_error(&e.into_error()))
    }
}

/// Class a hyper error: a timeout is `timeout`, anything else from the
/// transport (a malformed answer, a body cut short, a reset) `protocol`.
pub(crate) fn hyper_error(e: &hyper::Error) -> IterError {
    let class = if e.is_timeout() {
        ErrorClass::Timeout
    } else {
        ErrorClass::Protocol
    };
    IterError::of(class).with_message(describe(e))
}

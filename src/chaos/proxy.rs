//! The proxy: a listener on loopback, one task per connection, the fault
//! constructors and the counters.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};

use super::conn::serve;
use super::error::ChaosError;
use super::fault::{check_delay, Direction, Kind, ProxyFault};
use super::state::Shared;

/// A TCP proxy on loopback in front of one target, with faults that can be
/// switched on and off while connections are open.
///
/// It forwards every accepted connection to the target and stops, closing
/// every connection, when dropped or on [`shutdown`](Self::shutdown).
///
/// ```
/// use spike::chaos::Proxy;
///
/// # spike::__private::tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let proxy = Proxy::start("127.0.0.1:6379".parse()?).await?;
/// println!("connect to {} instead of 127.0.0.1:6379", proxy.addr());
/// assert_eq!(proxy.stats().accepted, 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[derive(Debug)]
pub struct Proxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: JoinHandle<()>,
}

/// Where a [`Proxy`] listens: [`Proxy::builder`].
#[derive(Debug, Clone)]
#[must_use]
pub struct ProxyBuilder {
    target: SocketAddr,
    listen: SocketAddr,
}

/// A proxy's counters ([`Proxy::stats`]), since it started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ProxyStats {
    /// Connections accepted (refused ones included).
    pub accepted: u64,
    /// Connections open now.
    pub open: u64,
    /// Connections refused by `refuse()` or `down()`.
    pub refused: u64,
    /// Connections reset by `reset_all()` or `down()`.
    pub reset: u64,
    /// Connections closed by `close_after(..)`.
    pub closed_by_fault: u64,
    /// Connections whose target could not be reached (reset at once).
    pub upstream_failed: u64,
    /// Bytes forwarded from clients to the target.
    pub bytes_upstream: u64,
    /// Bytes forwarded from the target to clients.
    pub bytes_downstream: u64,
}

impl ProxyBuilder {
    /// Listen on `addr` (a loopback address; port 0 picks a free port).
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }

    /// Check the addresses, bind and start accepting.
    ///
    /// # Errors
    /// [`ChaosError::ListenNotLoopback`], [`ChaosError::TargetNotLoopback`],
    /// [`ChaosError::TargetPortZero`] or [`ChaosError::Bind`].
    pub async fn start(self) -> Result<Proxy, ChaosError> {
        if !self.listen.ip().is_loopback() {
            return Err(ChaosError::ListenNotLoopback(self.listen));
        }
        if !self.target.ip().is_loopback() {
            return Err(ChaosError::TargetNotLoopback(self.target));
        }
        if self.target.port() == 0 {
            return Err(ChaosError::TargetPortZero(self.target));
        }
        let listener = TcpListener::bind(self.listen)
            .await
            .map_err(|source| ChaosError::Bind {
                addr: self.listen,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| ChaosError::Bind {
            addr: self.listen,
            source,
        })?;
        let shared = Arc::new(Shared::new(self.target));
        let accept = tokio::spawn(accept_loop(listener, shared.clone()));
        Ok(Proxy {
            addr,
            shared,
            accept,
        })
    }
}

/// Accept until the proxy stops; the connections' tasks live in the
/// `JoinSet`, so stopping the loop (abort) drops and closes them all.
async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                shared.counters.accepted.fetch_add(1, Ordering::SeqCst);
                connections.spawn(serve(stream, shared.clone()));
            }
            // Out of descriptors and the like: wait a little, go on.
            Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
        }
        while connections.try_join_next().is_some() {}
    }
}

impl Proxy {
    /// Start a proxy to `target` on 127.0.0.1, on a free port.
    ///
    /// # Errors
    /// As [`ProxyBuilder::start`].
    pub async fn start(target: SocketAddr) -> Result<Proxy, ChaosError> {
        Proxy::builder(target).start().await
    }

    /// A proxy to `target`, to configure (`.listen(addr)`), then
    /// [`start`](ProxyBuilder::start).
    pub fn builder(target: SocketAddr) -> ProxyBuilder {
        ProxyBuilder {
            target,
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        }
    }

    /// Where the proxy listens: point the load (or the service) here.
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Where the proxy forwards.
    #[must_use]
    pub fn target(&self) -> SocketAddr {
        self.shared.target
    }

    /// The counters now.
    #[must_use]
    pub fn stats(&self) -> ProxyStats {
        let c = &self.shared.counters;
        ProxyStats {
            accepted: c.accepted.load(Ordering::SeqCst),
            open: c.open.load(Ordering::SeqCst),
            refused: c.refused.load(Ordering::SeqCst),
            reset: c.reset.load(Ordering::SeqCst),
            closed_by_fault: c.closed_by_fault.load(Ordering::SeqCst),
            upstream_failed: c.upstream_failed.load(Ordering::SeqCst),
            bytes_upstream: c.bytes_upstream.load(Ordering::SeqCst),
            bytes_downstream: c.bytes_downstream.load(Ordering::SeqCst),
        }
    }

    /// Stop accepting and close every connection; returns once they are
    /// closed.
    pub async fn shutdown(mut self) {
        self.accept.abort();
        let _ = (&mut self.accept).await;
    }

    /// Delay every chunk of `dir` by `latency` (add `.jitter(j)` for ±j).
    ///
    /// # Errors
    /// [`ChaosError::DurationTooLong`] beyond [`MAX_DELAY`](super::MAX_DELAY).
    pub fn latency(&self, dir: Direction, latency: Duration) -> Result<ProxyFault, ChaosError> {
        let latency = check_delay("latency", latency)?;
        Ok(self.fault(Kind::Latency {
            dir,
            latency,
            jitter: Duration::ZERO,
        }))
    }

    /// Forward at most `bytes_per_sec` bytes per second in `dir`, per
    /// connection.
    ///
    /// # Errors
    /// [`ChaosError::ZeroBandwidth`] for 0.
    pub fn bandwidth(&self, dir: Direction, bytes_per_sec: u64) -> Result<ProxyFault, ChaosError> {
        if bytes_per_sec == 0 {
            return Err(ChaosError::ZeroBandwidth);
        }
        Ok(self.fault(Kind::Bandwidth { dir, bytes_per_sec }))
    }

    /// Accept and hold the bytes of `dir`: nothing is forwarded while on,
    /// everything held is forwarded once it stops.
    pub fn stall(&self, dir: Direction) -> ProxyFault {
        self.fault(Kind::Stall { dir })
    }

    /// Reset (TCP RST) every open connection when it starts, and every new
    /// one while it is on.
    pub fn reset_all(&self) -> ProxyFault {
        self.fault(Kind::ResetAll)
    }

    /// Refuse new connections (accepted, then reset at once) while on; open
    /// ones live on.
    pub fn refuse(&self) -> ProxyFault {
        self.fault(Kind::Refuse)
    }

    /// Close a connection once `bytes` bytes of `dir` went through it while
    /// the fault is on (counted from its start).
    pub fn close_after(&self, dir: Direction, bytes: u64) -> ProxyFault {
        self.fault(Kind::CloseAfter { dir, bytes })
    }

    /// Cut writes of `dir` into pieces of `size` bytes, `delay` apart.
    ///
    /// # Errors
    /// [`ChaosError::ZeroSliceSize`] for 0 bytes,
    /// [`ChaosError::DurationTooLong`] for a delay beyond
    /// [`MAX_DELAY`](super::MAX_DELAY).
    pub fn slice(
        &self,
        dir: Direction,
        size: usize,
        delay: Duration,
    ) -> Result<ProxyFault, ChaosError> {
        if size == 0 {
            return Err(ChaosError::ZeroSliceSize);
        }
        let delay = check_delay("slice delay", delay)?;
        Ok(self.fault(Kind::Slice { dir, size, delay }))
    }

    /// The target is down: refuse new connections and reset open ones.
    pub fn down(&self) -> ProxyFault {
        self.fault(Kind::Down)
    }

    fn fault(&self, kind: Kind) -> ProxyFault {
        ProxyFault::new(self.shared.clone(), kind)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

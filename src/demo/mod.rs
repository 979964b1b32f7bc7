//! A small, real HTTP service to spike: the examples and spike's own tests
//! use it, and so can you, to learn what each number in a report means.
//! Part of the `http` feature (on by default).
//!
//! It runs in-process on `127.0.0.1` at a free port, speaks HTTP/1.1 and
//! HTTP/2 (h2c), and stops when its [`DemoService`] handle is dropped.
//!
//! ```
//! # spike::__private::tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
//! use spike::demo::DemoService;
//! let demo = DemoService::builder().backends(3).capacity(4).work(spike::ms(5)).start().await?;
//! assert!(demo.url().starts_with("http://127.0.0.1:"));
//! assert_eq!(demo.capacity_rps(), 3.0 * 4.0 / 0.005); // 2,400 requests/s
//! # Ok::<(), std::io::Error>(()) }).unwrap();
//! ```
//!
//! # Behaviour, exactly
//!
//! **Backends and balancer.** `backends` (default 1, at most 16) independent
//! backends `b1`, `b2`, ... sit behind a round-robin balancer: the n-th
//! request to a balanced endpoint (counting from 0, all balanced endpoints
//! together) goes to backend `n mod backends`, and the answer carries the
//! header `x-backend: b<k>`, shed answers included.
//!
//! **Capacity, queue, shedding.** Each backend runs at most `capacity`
//! requests at once (default 16); each takes `work` (default 5 ms, rounded
//! up to tokio's 1 ms timer tick) while holding its slot. A request that
//! finds every slot busy waits in the backend's FIFO queue if fewer than
//! `queue` requests (default 64) are waiting; otherwise it is shed at once
//! with `503 Service Unavailable` and the header `x-shed: 1`. So:
//! * the most a backend completes is `capacity / work` requests per second,
//!   and the service `backends × capacity / work` ([`DemoService::capacity_rps`]);
//! * a request waits at most `ceil((queue + 1) / capacity) × work` before its
//!   work ends, plus HTTP overhead;
//! * under an arrival rate `r` above capacity `c`, once the queue is full
//!   a share `1 − c / r` of requests is shed.
//!
//! **Endpoints.**
//! * `GET /` and `GET /work`: balanced, one unit of `work`, `200 ok`.
//! * `POST /login`: balanced, one unit of `work`, body JSON
//!   `{"user": "<name>"}`; answers `200` with `{"user": .., "token": ..,
//!   "backend": ..}`, or `400` when the body has no string `user`. Distinct
//!   users are counted ([`DemoStats::distinct_users`]).
//! * `GET /checkout`: not balanced and outside the capacity limit (it is
//!   I/O-bound): calls the downstream dependency through the circuit
//!   breaker (below). `200` with `x-path: downstream` on success, `502` with
//!   `x-path: downstream` when the downstream fails, `200` with `x-path:
//!   fallback` when the breaker answers for it (a cached answer).
//! * `GET /health`: `200 ok`, or `503 shedding` while any backend's queue
//!   is full. Not balanced, no work.
//! * anything else: `404`.
//!
//! **Leak mode** (off unless [`DemoBuilder::leak_per_request`]). Every
//! request, on any endpoint, keeps that many bytes for the service's
//! lifetime, every page written so the resident set grows with it
//! ([`DemoService::leaked_bytes`]).
//!
//! **Downstream dependency.** A call takes `downstream_latency` (default
//! 10 ms) when fewer than `downstream_capacity` (default 32) calls are in
//! flight; a call beyond that fails at once (overloaded). While
//! [`DemoService::set_downstream_down`] is on, every call fails at once.
//! Both can be faults on the load's clock: [`DemoService::slow_downstream`]
//! (every call takes a given latency while on) and
//! [`DemoService::downstream_down`].
//!
//! **Circuit breaker.** Closed: calls go through; `breaker_failures`
//! (default 5) failed calls within one second open it (successes in between
//! do not reset the count: an overloaded dependency fails some calls and
//! serves others). Open: every call gets the
//! fallback at once, for `breaker_cool_down` (default 1 s). Then the next
//! call is a trial (half-open; calls meanwhile get the fallback): success
//! closes the breaker, failure opens it for another cool-down. Every change
//! is a [`DemoEvent`].
//!
//! **Autoscaler** (off unless [`DemoBuilder::autoscale`]). Every 50 ms it
//! samples whether any backend has a request waiting. Once that has been
//! true at every sample for `after`, it starts a scale-up (event
//! [`DemoEventKind::ScaleUpStarted`]); `cold_start` later every backend gets
//! `add` more slots ([`DemoEventKind::ScaleUpDone`]). Sampling restarts
//! after each scale-up, up to `max_steps` scale-ups.

mod breaker;
mod fault;
mod gate;
mod leak;
mod server;
#[cfg(feature = "tls")]
mod tls;

/// What accepts TLS connections (nothing without the `tls` feature).
#[cfg(feature = "tls")]
type Acceptor = tokio_rustls::TlsAcceptor;
#[cfg(not(feature = "tls"))]
type Acceptor = std::convert::Infallible;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub use breaker::BreakerState;
pub use fault::DemoFault;

use breaker::Breaker;
use gate::Gate;

/// Autoscaler settings (see the [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Autoscale {
    /// How long every backend sample must show a waiting request before a
    /// scale-up starts.
    pub after: Duration,
    /// Delay between the start of a scale-up and the new slots.
    pub cold_start: Duration,
    /// Slots added to every backend per scale-up.
    pub add: usize,
    /// Most scale-ups.
    pub max_steps: u32,
}

impl Default for Autoscale {
    /// 2 s of saturation, 1 s cold start, +16 slots per backend, once.
    fn default() -> Self {
        Autoscale {
            after: Duration::from_secs(2),
            cold_start: Duration::from_secs(1),
            add: 16,
            max_steps: 1,
        }
    }
}

/// Something that happened inside the service, with its time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoEvent {
    /// When it happened.
    pub at: Instant,
    /// What happened.
    pub kind: DemoEventKind,
}

/// The kinds of [`DemoEvent`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DemoEventKind {
    /// The breaker opened.
    BreakerOpened,
    /// The breaker let a trial call through.
    BreakerHalfOpen,
    /// The breaker closed after a successful trial.
    BreakerClosed,
    /// The autoscaler decided to add capacity.
    ScaleUpStarted,
    /// The capacity arrived; the new slot count per backend.
    ScaleUpDone {
        /// Slots per backend after the scale-up.
        capacity: usize,
    },
}

/// Counters of the service since it started.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemoStats {
    /// TCP connections accepted.
    pub connections: u64,
    /// Requests received (all endpoints).
    pub requests: u64,
    /// Of those, over HTTP/2.
    pub http2_requests: u64,
    /// Requests completed by each backend (`b1` first).
    pub served: Vec<u64>,
    /// Requests shed with 503 by each backend.
    pub shed: Vec<u64>,
    /// Distinct users that logged in.
    pub distinct_users: u64,
    /// Downstream calls that succeeded.
    pub downstream_ok: u64,
    /// Downstream calls that failed.
    pub downstream_failed: u64,
    /// `/checkout` answers served by the fallback.
    pub fallbacks: u64,
}

/// Configures and starts a [`DemoService`]; every setting is documented in
/// the [module docs](self) with its default.
#[derive(Debug, Clone)]
#[must_use]
pub struct DemoBuilder {
    backends: usize,
    capacity: usize,
    queue: usize,
    work: Duration,
    downstream_latency: Duration,
    downstream_capacity: usize,
    breaker_failures: u32,
    breaker_cool_down: Duration,
    autoscale: Option<Autoscale>,
    leak_per_request: usize,
    #[cfg(feature = "tls")]
    tls: Option<tls::Identity>,
}

impl Default for DemoBuilder {
    fn default() -> Self {
        DemoBuilder {
            backends: 1,
            capacity: 16,
            queue: 64,
            work: Duration::from_millis(5),
            downstream_latency: Duration::from_millis(10),
            downstream_capacity: 32,
            breaker_failures: 5,
            breaker_cool_down: Duration::from_secs(1),
            autoscale: None,
            leak_per_request: 0,
            #[cfg(feature = "tls")]
            tls: None,
        }
    }
}

impl DemoBuilder {
    /// Number of backends behind the balancer, 1 to 16 (default 1).
    pub fn backends(mut self, n: usize) -> Self {
        self.backends = n;
        self
    }
    /// Requests each backend runs at once (default 16).
    pub fn capacity(mut self, slots: usize) -> Self {
        self.capacity = slots;
        self
    }
    /// Requests each backend lets wait beyond its capacity (default 64).
    pub fn queue(mut self, waiting: usize) -> Self {
        self.queue = waiting;
        self
    }
    /// Work time of one request (default 5 ms).
    pub fn work(mut self, work: Duration) -> Self {
        self.work = work;
        self
    }
    /// Latency of a downstream call (default 10 ms).
    pub fn downstream_latency(mut self, latency: Duration) -> Self {
        self.downstream_latency = latency;
        self
    }
    /// Downstream calls in flight before it fails new ones (default 32).
    pub fn downstream_capacity(mut self, calls: usize) -> Self {
        self.downstream_capacity = calls;
        self
    }
    /// Failures within one second that open the breaker (default 5) and how long
    /// it stays open before a trial (default 1 s).
    pub fn breaker(mut self, failures: u32, cool_down: Duration) -> Self {
        self.breaker_failures = failures;
        self.breaker_cool_down = cool_down;
        self
    }
    /// Turn the autoscaler on.
    pub fn autoscale(mut self, autoscale: Autoscale) -> Self {
        self.autoscale = Some(autoscale);
        self
    }
    /// Leak mode: every request (any endpoint) keeps `bytes` more for the
    /// service's lifetime, its pages touched, so the process's resident set
    /// grows by about `bytes × request rate` per second — a leaking
    /// endpoint for soak tests to catch (default 0: no leak).
    /// [`DemoService::leaked_bytes`] counts what was kept.
    ///
    /// ```
    /// # spike::__private::tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
    /// let demo = spike::demo::DemoService::builder().leak_per_request(10_000).start().await?;
    /// assert_eq!(demo.leaked_bytes(), 0);
    /// # Ok::<(), std::io::Error>(()) }).unwrap();
    /// ```
    pub fn leak_per_request(mut self, bytes: usize) -> Self {
        self.leak_per_request = bytes;
        self
    }
    /// Serve HTTPS (feature `tls`) with this certificate chain (PEM, leaf
    /// first) and private key (PEM: PKCS#8, PKCS#1 or SEC1), HTTP/2 or
    /// HTTP/1.1 by ALPN: [`DemoService::url`] is then
    /// `https://127.0.0.1:<port>`, so the certificate must name
    /// `127.0.0.1` (an IP subject alternative name). A PEM that does not
    /// hold a usable certificate or key makes [`start`](Self::start) fail
    /// with `InvalidInput`. The key never appears in `Debug` output.
    ///
    /// ```
    /// # spike::__private::tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
    /// // A self-signed certificate for 127.0.0.1, made on the spot (rcgen).
    /// let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()])?;
    /// let demo = spike::demo::DemoService::builder()
    ///     .tls(cert.cert.pem(), cert.signing_key.serialize_pem())
    ///     .start()
    ///     .await?;
    /// assert!(demo.url().starts_with("https://127.0.0.1:"));
    /// # Ok::<(), Box<dyn std::error::Error>>(()) }).unwrap();
    /// ```
    #[cfg(feature = "tls")]
    pub fn tls(mut self, chain_pem: impl Into<Vec<u8>>, key_pem: impl Into<Vec<u8>>) -> Self {
        self.tls = Some(tls::Identity {
            chain_pem: chain_pem.into(),
            key_pem: key_pem.into(),
        });
        self
    }

    /// Bind `127.0.0.1:0` and start serving (needs a tokio runtime with IO
    /// and time enabled).
    ///
    /// # Errors
    /// An invalid setting (`InvalidInput`: zero backends or more than 16,
    /// zero capacity, zero work, zero failures) or a bind error.
    pub async fn start(self) -> std::io::Result<DemoService> {
        let invalid = |what: &str| {
            Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                what.to_owned(),
            ))
        };
        if !(1..=16).contains(&self.backends) {
            return invalid("demo service: backends must be 1 to 16");
        }
        if self.capacity == 0 || self.work.is_zero() {
            return invalid("demo service: capacity and work must be above zero");
        }
        if self.breaker_failures == 0 {
            return invalid("demo service: breaker failures must be above zero");
        }
        if let Some(a) = self.autoscale {
            if a.after.is_zero() || a.add == 0 {
                return invalid("demo service: autoscale after and add must be above zero");
            }
        }
        #[cfg(feature = "tls")]
        let acceptor = self.tls.as_ref().map(tls::acceptor).transpose()?;
        #[cfg(not(feature = "tls"))]
        let acceptor: Option<Acceptor> = None;
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(State {
            started: Instant::now(),
            gates: (0..self.backends)
                .map(|_| Gate::new(self.capacity, self.queue))
                .collect(),
            next_backend: AtomicU64::new(0),
            work: self.work,
            downstream_latency: self.downstream_latency,
            downstream_capacity: self.downstream_capacity as u64,
            downstream_in_flight: AtomicU64::new(0),
            downstream_down: AtomicBool::new(false),
            downstream_slow_us: AtomicU64::new(0),
            breaker: Breaker::new(self.breaker_failures, self.breaker_cool_down),
            events: Mutex::new(Vec::new()),
            users: Mutex::new(std::collections::HashSet::new()),
            connections: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            http2_requests: AtomicU64::new(0),
            downstream_ok: AtomicU64::new(0),
            downstream_failed: AtomicU64::new(0),
            fallbacks: AtomicU64::new(0),
            leak: leak::Leak::new(self.leak_per_request),
        });
        let mut tasks = vec![tokio::spawn(server::accept_loop(
            listener,
            state.clone(),
            acceptor,
        ))];
        if let Some(a) = self.autoscale {
            tasks.push(tokio::spawn(server::autoscaler(state.clone(), a)));
        }
        Ok(DemoService {
            addr,
            state,
            tasks,
            config: self,
        })
    }
}

/// Shared state of a running service.
struct State {
    started: Instant,
    gates: Vec<Gate>,
    next_backend: AtomicU64,
    work: Duration,
    downstream_latency: Duration,
    downstream_capacity: u64,
    downstream_in_flight: AtomicU64,
    downstream_down: AtomicBool,
    /// While non-zero, a downstream call takes this many µs (a
    /// [`DemoFault`] turned the dependency slow).
    downstream_slow_us: AtomicU64,
    breaker: Breaker,
    events: Mutex<Vec<DemoEvent>>,
    users: Mutex<std::collections::HashSet<String>>,
    connections: AtomicU64,
    requests: AtomicU64,
    http2_requests: AtomicU64,
    downstream_ok: AtomicU64,
    downstream_failed: AtomicU64,
    fallbacks: AtomicU64,
    leak: leak::Leak,
}

impl State {
    fn event(&self, kind: DemoEventKind) {
        self.events
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(DemoEvent {
                at: Instant::now(),
                kind,
            });
    }
}

/// A running demo service; dropping it stops the service (connections
/// included).
pub struct DemoService {
    addr: SocketAddr,
    state: Arc<State>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    config: DemoBuilder,
}

impl std::fmt::Debug for DemoService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoService")
            .field("addr", &self.addr)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Drop for DemoService {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl DemoService {
    /// Configure a service.
    pub fn builder() -> DemoBuilder {
        DemoBuilder::default()
    }

    /// The address it listens on.
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its base URL, `http://127.0.0.1:<port>` (`https://` when it
    /// serves TLS, see [`DemoBuilder::tls`]).
    #[must_use]
    pub fn url(&self) -> String {
        #[cfg(feature = "tls")]
        if self.config.tls.is_some() {
            return format!("https://{}", self.addr);
        }
        format!("http://{}", self.addr)
    }

    /// When it started.
    #[must_use]
    pub fn started(&self) -> Instant {
        self.state.started
    }

    /// Requests per second the whole service completes at most, with the
    /// capacity it has now: `backends × capacity / work`.
    #[must_use]
    pub fn capacity_rps(&self) -> f64 {
        self.state.gates.iter().map(Gate::slots).sum::<usize>() as f64
            / self.state.work.as_secs_f64()
    }

    /// Slots per backend now (grows with scale-ups).
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.state.gates[0].slots()
    }

    /// The breaker's state now.
    #[must_use]
    pub fn breaker_state(&self) -> BreakerState {
        self.state.breaker.state()
    }

    /// Make every downstream call fail (or stop doing so).
    pub fn set_downstream_down(&self, down: bool) {
        self.state.downstream_down.store(down, Ordering::SeqCst);
    }

    /// A fault that makes every downstream call take `latency` while it is
    /// on (the dependency turned slow; calls beyond the downstream's
    /// capacity still fail at once, so a slow dependency under load fails
    /// calls and trips the breaker). Switch it on the load's clock with
    /// `Scenario::chaos`, or by hand with [`spike_core::faults::Fault::start`].
    #[must_use]
    pub fn slow_downstream(&self, latency: Duration) -> DemoFault {
        DemoFault::slow(self.state.clone(), latency)
    }

    /// A fault that makes every downstream call fail at once while it is on
    /// ([`DemoService::set_downstream_down`] as a [`DemoFault`]).
    #[must_use]
    pub fn downstream_down(&self) -> DemoFault {
        DemoFault::down(self.state.clone())
    }

    /// Events so far, in order.
    #[must_use]
    pub fn events(&self) -> Vec<DemoEvent> {
        self.state
            .events
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Bytes kept by the leak mode so far ([`DemoBuilder::leak_per_request`]).
    #[must_use]
    pub fn leaked_bytes(&self) -> u64 {
        self.state.leak.bytes()
    }

    /// A probe of [`DemoService::leaked_bytes`] that outlives this borrow,
    /// for a custom resource series:
    /// `Resources::this_process().and_probe("leaked", demo.leak_probe())`.
    pub fn leak_probe(&self) -> impl Fn() -> u64 + Send + Sync + 'static {
        let counter = self.state.leak.counter();
        move || counter.load(Ordering::Relaxed)
    }

    /// Counters so far.
    #[must_use]
    pub fn stats(&self) -> DemoStats {
        let s = &self.state;
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        DemoStats {
            connections: load(&s.connections),
            requests: load(&s.requests),
            http2_requests: load(&s.http2_requests),
            served: s.gates.iter().map(Gate::served).collect(),
            shed: s.gates.iter().map(Gate::shed).collect(),
            distinct_users: s
                .users
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .len() as u64,
            downstream_ok: load(&s.downstream_ok),
            downstream_failed: load(&s.downstream_failed),
            fallbacks: load(&s.fallbacks),
        }
    }
}

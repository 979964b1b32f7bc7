//! The HTTP driver (feature `http`, on by default; `https://` with the
//! feature `tls`). It runs on hyper directly: one connection per
//! concurrent iteration, nothing parsed per request.
//!
//! Build one [`Http`] client per target, then describe requests on it; a
//! request is a [`Workload`](crate::Workload) the scenario runs:
//!
//! ```no_run
//! use spike::prelude::*;
//! use spike::http::Http;
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let http = Http::builder("http://127.0.0.1:8080").build()?;
//! let login = http
//!     .post("/login")
//!     .header("content-type", "application/json")
//!     .body(r#"{"user":"user-{user}"}"#)
//!     .expect_status(200)
//!     .expect_json("/token")
//!     .tag("endpoint", "login")
//!     .tag_from_header("x-backend");
//! let shape = Shape::builder()
//!     .hold(rps(50), secs(5))
//!     .burst(rps(500), secs(5))
//!     .recover(rps(50), secs(10))
//!     .build()?;
//! let report = Scenario::new("login").shape(shape).run(login).await?;
//! println!("{report}");
//! # Ok(()) }
//! ```
//!
//! # What one iteration does
//! It fills the request template (placeholders below), sends it, reads the
//! whole body, runs the checks and returns an [`Outcome`](crate::Outcome):
//!
//! | what happened | error class (report key) |
//! | --- | --- |
//! | refused, reset or unreachable while connecting | `connect` |
//! | no complete answer within the request timeout (default [`DEFAULT_TIMEOUT`], 10 s; connect included) | `timeout` |
//! | a malformed answer, a body cut short, anything else from the transport | `protocol` |
//! | the TLS handshake failed (certificate not trusted, wrong name, not a TLS server) | `tls` |
//! | a status outside the expected set (default: any 2xx) | `http_4xx` / `http_5xx` / `http_other`, exact status kept |
//! | `expect_body_contains` failed | `check_body` |
//! | `expect_json` / `expect_json_eq` failed (or the body is not JSON) | `check_json` |
//! | a header value that the template made invalid | `request` |
//!
//! # Placeholders
//! The path, header values and body are templates: `{iteration}` (the
//! iteration number), `{user}` (a seeded pseudo-random user id below
//! [`HttpRequest::users`], default 1,000,000: the same scenario seed gives
//! the same ids), `{value}` (an item of [`HttpRequest::values`], chosen
//! reproducibly per iteration) and `{seed}` (the iteration's 64-bit seed).
//! Any other text, braces included, is sent as written, so JSON bodies need
//! no escaping.
//!
//! # Connections
//! [`Connections::Pooled`] (default) keeps connections alive and reuses
//! them: over HTTP/1.1 each concurrent iteration takes an idle keep-alive
//! connection (or opens one) and gives it back after the answer, so the
//! closed model with N users uses N connections, like `wrk -c N`.
//! [`Connections::PerIteration`] opens a new connection for every
//! iteration and closes it after the answer: a thundering herd of new
//! clients. [`HttpBuilder::http2`] speaks HTTP/2 instead (h2c with prior
//! knowledge over `http://`, ALPN `h2` over `https://`); pooled, all
//! iterations share one multiplexed connection. Every connection the
//! driver opens is counted in the user counter [`CONNECTIONS_OPENED`]
//! (`report.total.counter("http_connections_opened")`), in the window of
//! the iteration that opened it, and its times are recorded as metrics
//! (`report.total.metrics`): `http.connect` (the TCP connect) and, over
//! TLS, `http.tls_handshake`. With `PerIteration`, that is one of each per
//! iteration: the cost of TLS in a thundering herd.
//!
//! # HTTPS (feature `tls`)
//! `https://` base URLs need the `tls` feature (rustls with the `ring`
//! provider; no OpenSSL); without it [`HttpBuilder::build`] returns
//! [`HttpError::BadUrl`] saying so. The server certificate must chain to a
//! root of the platform's trust store (read with `rustls-native-certs`, so
//! an internal CA installed on the machine is trusted as by the system's
//! own tools) or to a certificate added with
//! `HttpBuilder::add_root_certificate_pem` / `add_root_certificate_der`
//! (a test CA, a self-signed certificate), and name the base URL's host
//! (also sent as SNI). `HttpBuilder::danger_accept_invalid_certificates`
//! accepts any certificate: an explicit opt-in for servers you run
//! yourself, never the default. A failed handshake is an iteration error of
//! class `tls`, the run goes on.
//!
//! ```no_run
//! # #[cfg(feature = "tls")]
//! # async fn demo(ca_pem: &str) -> Result<(), Box<dyn std::error::Error>> {
//! use spike::prelude::*;
//! use spike::http::Http;
//! let http = Http::builder("https://localhost:8443")
//!     .add_root_certificate_pem(ca_pem)
//!     .new_connection_per_iteration()
//!     .build()?;
//! let shape = Shape::builder().hold(rps(200), secs(5)).build()?;
//! let report = Scenario::new("tls-herd").shape(shape).run(http.get("/")).await?;
//! let handshake = &report.total.metrics["http.tls_handshake"];
//! println!("{} handshakes, p99 {} µs", handshake.count, handshake.p99_us);
//! # Ok(()) }
//! ```
//!
//! # Safety
//! Only loopback targets (`127.0.0.0/8`, `::1`, IPv4-mapped loopback,
//! `localhost`) are accepted unless a host is allowed with
//! [`HttpBuilder::allow_host`] or the `SPIKE_ALLOW_HOSTS` environment
//! variable; otherwise [`HttpBuilder::build`] returns
//! [`HttpError::HostNotAllowed`] before anything is sent. `0.0.0.0` and
//! `::` are refused (unspecified is not loopback). `localhost` is pinned to
//! `127.0.0.1` and `::1` (never looked up); a name allowed by the user is
//! looked up at connect time and judged again. Redirects are never
//! followed (a redirect answer is an HTTP status like any other), request
//! paths must start with `/`, and every request is sent in origin-form on
//! a connection to the checked address, with the base URL's `Host`, so a
//! template cannot move traffic to another host.
//!
//! # Secrets
//! Userinfo in the base URL (sent as basic auth), query strings, and the
//! values of `Authorization`, `Proxy-Authorization`, `Cookie`, `Set-Cookie`
//! and of headers added with [`HttpRequest::secret_header`] never appear in
//! error samples, health checks, tags or errors: transport errors lose
//! their URL, and messages show paths without their query.
//!
//! # Speed
//! The target is resolved and the `Host` header, a static path's URI,
//! static header values and a static body are built once; per request
//! only the placeholders are rendered. `scripts/http_peers.sh` compares
//! the driver (with a templated path and a status check, and without)
//! with wrk, oha and hey; see `docs/performance.md`.

mod builder;
mod checks;
mod health;
mod pool;
mod request;
mod safety;
mod send;
mod status;
mod target;
mod template;
mod timer;
#[cfg(feature = "tls")]
mod tls;

use std::sync::Arc;
use std::time::Duration;

pub use builder::HttpBuilder;
pub use health::{HealthCheck, HealthProbe};
pub use hyper::Method;
pub use request::HttpRequest;
pub use safety::{check_target, is_loopback_host, parse_allow_list, ALLOW_HOSTS_ENV};
pub use status::StatusSet;

/// Default per-request timeout (connect, send and read the whole answer).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// The user counter that counts connections the driver opened.
pub const CONNECTIONS_OPENED: &str = "http_connections_opened";

/// Errors building an HTTP client or probing a target. Returned before any
/// load is sent.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum HttpError {
    /// The target is not a loopback address and was not allowed.
    #[error(
        "refusing to send load to `{host}` ({url}){note}: by default spike only targets loopback \
         addresses (127.0.0.0/8, ::1, localhost). To allow this host, call \
         `.allow_host(\"{host}\")` on the HTTP client builder or set \
         SPIKE_ALLOW_HOSTS={host} (comma-separated for several hosts)"
    )]
    HostNotAllowed {
        /// The host refused.
        host: String,
        /// The URL, redacted (no userinfo, no query).
        url: String,
        /// Why, beyond "not loopback" (e.g. for `0.0.0.0`); may be empty.
        note: &'static str,
    },
    /// The URL could not be used.
    #[error("invalid target URL `{url}`: {reason}")]
    BadUrl {
        /// The URL as given, redacted (no userinfo, no query).
        url: String,
        /// Why it was refused.
        reason: String,
    },
    /// The TLS settings could not be used: a root certificate that does
    /// not parse, a host that cannot be a TLS server name.
    #[error("invalid TLS settings for `{url}`: {reason}")]
    Tls {
        /// The URL, redacted (no userinfo, no query).
        url: String,
        /// What was wrong.
        reason: String,
    },
    /// A health probe gave up.
    #[error("`{url}` was not healthy after {waited:?} ({attempts} attempts; last answer: {last})")]
    Unhealthy {
        /// The probed URL, redacted (no userinfo, no query).
        url: String,
        /// Time spent probing.
        waited: Duration,
        /// Probes sent.
        attempts: u32,
        /// The last answer (status or error).
        last: String,
    },
}

spike_core::__debug_as_display!(HttpError);

/// How the driver uses connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Connections {
    /// Keep-alive connections reused across iterations (default).
    #[default]
    Pooled,
    /// A new connection for every iteration, closed after the answer.
    PerIteration,
}

#[derive(Debug)]
struct HttpInner {
    pool: pool::Pool,
    base: String,
    timeout: Duration,
    timers: timer::Timers,
}

/// An HTTP client bound to one target (base URL), checked for safety. Cheap
/// to clone; every request made from it shares its connections.
#[derive(Debug, Clone)]
pub struct Http {
    inner: Arc<HttpInner>,
}

impl Http {
    /// Start building a client for `base_url` (`http://127.0.0.1:8080`, a
    /// path prefix is allowed: `http://127.0.0.1:8080/api`).
    pub fn builder(base_url: impl Into<String>) -> HttpBuilder {
        HttpBuilder::new(base_url.into())
    }

    /// The base URL requests are relative to (no trailing slash), as
    /// given: userinfo included, so do not print it (reports and errors
    /// show it redacted, see [`spike_core::redact`]).
    #[must_use]
    pub fn base_url(&self) -> &str {
        &self.inner.base
    }

    /// The connection mode.
    #[must_use]
    pub fn connection_mode(&self) -> Connections {
        self.inner.pool.mode
    }

    /// Whether the client speaks HTTP/2.
    #[must_use]
    pub fn is_http2(&self) -> bool {
        self.inner.pool.target.http2
    }

    /// The per-request timeout.
    #[must_use]
    pub fn timeout(&self) -> Duration {
        self.inner.timeout
    }

    /// Connections opened so far by this client (and its clones).
    #[must_use]
    pub fn connections_opened(&self) -> u64 {
        self.inner
            .pool
            .opened
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// A request template; `path` is appended to the base URL. A `path`
    /// that does not start with `/` (it could name another host) refuses
    /// the run before any traffic
    /// ([`SpikeError::BadWorkload`](crate::SpikeError::BadWorkload)).
    pub fn request(&self, method: Method, path: impl Into<String>) -> HttpRequest {
        HttpRequest::new(self.clone(), method, &path.into())
    }

    /// A `GET` request template (see [`Http::request`]).
    pub fn get(&self, path: impl Into<String>) -> HttpRequest {
        self.request(Method::GET, path)
    }

    /// A `POST` request template (see [`Http::request`]).
    pub fn post(&self, path: impl Into<String>) -> HttpRequest {
        self.request(Method::POST, path)
    }

    /// A `PUT` request template (see [`Http::request`]).
    pub fn put(&self, path: impl Into<String>) -> HttpRequest {
        self.request(Method::PUT, path)
    }

    /// A `DELETE` request template (see [`Http::request`]).
    pub fn delete(&self, path: impl Into<String>) -> HttpRequest {
        self.request(Method::DELETE, path)
    }

    /// A health probe of `path` on this target (see [`HealthProbe`]). A
    /// `path` that does not start with `/` is never probed: the probe
    /// answers unhealthy and says why.
    pub fn health(&self, path: impl Into<String>) -> HealthProbe {
        HealthProbe::new(self.clone(), path.into())
    }
}

/// `%XX` sequences decoded (userinfo as it is sent in basic auth).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The error message of a transport error, with its sources.
fn describe(err: &(dyn std::error::Error + 'static)) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

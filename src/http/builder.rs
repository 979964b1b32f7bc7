//! [`HttpBuilder`]: the settings of a client, checked at build.

use std::sync::Arc;
use std::time::Duration;

use super::pool::Pool;
use super::target::Target;
use super::{percent_decode, safety, Connections, Http, HttpError, HttpInner, DEFAULT_TIMEOUT};

/// Builder of an [`Http`] client; see the [module docs](super).
#[derive(Debug, Clone)]
#[must_use]
pub struct HttpBuilder {
    base: String,
    allowed: Vec<String>,
    connections: Connections,
    http2: bool,
    timeout: Duration,
    connect_timeout: Option<Duration>,
    #[cfg(feature = "tls")]
    tls: super::tls::TlsSettings,
}

impl HttpBuilder {
    pub(super) fn new(base: String) -> Self {
        HttpBuilder {
            base,
            allowed: Vec::new(),
            connections: Connections::Pooled,
            http2: false,
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: None,
            #[cfg(feature = "tls")]
            tls: super::tls::TlsSettings::default(),
        }
    }

    /// Also accept `host` (a name or an address) as a target. Hosts named
    /// in `SPIKE_ALLOW_HOSTS` are accepted too.
    pub fn allow_host(mut self, host: impl Into<String>) -> Self {
        self.allowed.push(host.into());
        self
    }

    /// Choose how connections are used (default [`Connections::Pooled`]).
    pub fn connections(mut self, mode: Connections) -> Self {
        self.connections = mode;
        self
    }

    /// Open a new connection for every iteration (shorthand for
    /// `.connections(Connections::PerIteration)`).
    pub fn new_connection_per_iteration(self) -> Self {
        self.connections(Connections::PerIteration)
    }

    /// Speak HTTP/2 instead of HTTP/1.1: with prior knowledge (h2c) over
    /// `http://`, negotiated by ALPN (`h2`) over `https://`. Pooled
    /// HTTP/2 multiplexes concurrent requests over one connection.
    pub fn http2(mut self) -> Self {
        self.http2 = true;
        self
    }

    /// Per-request timeout, connect included (default [`DEFAULT_TIMEOUT`]).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// A shorter timeout for establishing a connection, TLS handshake
    /// included (default: only the request timeout applies).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Check the target and build the client. Nothing is sent.
    ///
    /// # Errors
    /// [`HttpError::BadUrl`] when the base URL does not parse, is not
    /// `http://` (or `https://` with the `tls` feature), or has a query or
    /// a fragment; [`HttpError::HostNotAllowed`] when its host is not
    /// loopback and not allowed; [`HttpError::Tls`] when a root
    /// certificate given to the builder does not parse.
    pub fn build(self) -> Result<Http, HttpError> {
        let trimmed = self.base.trim_end_matches('/').to_owned();
        let bad = |reason: String| HttpError::BadUrl {
            url: spike_core::redact::redact_url(&self.base),
            reason,
        };
        let url = url::Url::parse(&trimmed).map_err(|e| bad(e.to_string()))?;
        let access = safety::judge(&url, &self.allowed)?;
        if url.query().is_some() || url.fragment().is_some() {
            return Err(bad(
                "the base URL must not have a query or a fragment".to_owned()
            ));
        }
        // Userinfo is sent as basic auth: keep it out of every text.
        spike_core::redact::register_secret(&percent_decode(url.username()));
        if let Some(pw) = url.password() {
            spike_core::redact::register_secret(&percent_decode(pw));
            spike_core::redact::register_secret(pw);
        }
        let mut target = Target::new(&url, access, self.allowed.clone()).map_err(bad)?;
        target.http2 = self.http2;
        target.connect_timeout = self.connect_timeout;
        if url.scheme() == "https" {
            self.secure(&mut target)?;
        }
        Ok(Http {
            inner: Arc::new(HttpInner {
                pool: Pool::new(target, self.connections),
                base: trimmed,
                timeout: self.timeout,
                timers: super::timer::Timers::default(),
            }),
        })
    }

    #[cfg(feature = "tls")]
    fn secure(&self, target: &mut Target) -> Result<(), HttpError> {
        let host = target.sni_host().to_owned();
        let connector =
            super::tls::Connector::new(&self.tls, &host, self.http2).map_err(|reason| {
                HttpError::Tls {
                    url: spike_core::redact::redact_url(&self.base),
                    reason,
                }
            })?;
        target.tls = Some(connector);
        Ok(())
    }

    #[cfg(not(feature = "tls"))]
    #[allow(clippy::unused_self)]
    fn secure(&self, _target: &mut Target) -> Result<(), HttpError> {
        Err(HttpError::BadUrl {
            url: spike_core::redact::redact_url(&self.base),
            reason: "https:// needs the `tls` feature of spike-test \
                     (features = [\"tls\"] in Cargo.toml)"
                .to_owned(),
        })
    }
}

/// HTTPS settings (feature `tls`).
#[cfg(feature = "tls")]
impl HttpBuilder {
    /// Also trust the certificate(s) of a PEM text (one or more `BEGIN
    /// CERTIFICATE` blocks: a test CA, a self-signed server certificate),
    /// on top of the platform's trust store. A PEM that does not parse
    /// makes [`build`](Self::build) fail with [`HttpError::Tls`].
    ///
    /// ```no_run
    /// # fn demo() -> Result<(), spike::http::HttpError> {
    /// let ca = std::fs::read("tests/certs/ca.pem").unwrap_or_default();
    /// let http = spike::http::Http::builder("https://localhost:8443")
    ///     .add_root_certificate_pem(ca)
    ///     .build()?;
    /// # Ok(()) }
    /// ```
    pub fn add_root_certificate_pem(mut self, pem: impl AsRef<[u8]>) -> Self {
        let pem = pem.as_ref().to_vec();
        self.tls.roots.push(super::tls::Root::Pem(pem));
        self
    }

    /// Also trust a DER-encoded certificate (see
    /// [`add_root_certificate_pem`](Self::add_root_certificate_pem)).
    pub fn add_root_certificate_der(mut self, der: impl Into<Vec<u8>>) -> Self {
        self.tls.roots.push(super::tls::Root::Der(der.into()));
        self
    }

    /// **Dangerous**: accept any server certificate, whoever issued it and
    /// whatever name it carries. Traffic is still encrypted, but to
    /// whoever answers: never use it outside a test against a server you
    /// run yourself. Prefer
    /// [`add_root_certificate_pem`](Self::add_root_certificate_pem) with
    /// the test's certificate. Off by default.
    pub fn danger_accept_invalid_certificates(mut self) -> Self {
        self.tls.accept_invalid = true;
        self
    }
}

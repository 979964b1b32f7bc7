//! The checked target of a client, computed once at build: where to
//! connect (addresses, or a name allowed by the user looked up at connect
//! time and judged again), the `Host` header, the path prefix, basic auth
//! from the userinfo; and how a connection is opened (TCP, TLS, hyper).

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::client::conn::{http1, http2};
use hyper::header::HeaderValue;
use hyper::http::uri::{Authority, Scheme};
use hyper_util::rt::{TokioExecutor, TokioIo};
use spike_core::safety::{bare_host, judge_host, HostAccess};
use spike_core::{Ctx, ErrorClass, IterError};

use super::describe;

/// The body type of every request.
pub(crate) type Body = Full<Bytes>;

/// A connection's request handle.
pub(crate) enum Sender {
    H1(http1::SendRequest<Body>),
    H2(http2::SendRequest<Body>),
}

#[derive(Debug)]
pub(crate) struct Target {
    /// The host, without brackets (a name or an IP address).
    host: String,
    port: u16,
    /// Where to connect; `None`: a name the user allowed, looked up (and
    /// judged again) at connect time.
    addrs: Option<Vec<SocketAddr>>,
    allowed: Vec<String>,
    /// The `Host` header (HTTP/1.1) / `:authority` (HTTP/2).
    pub(crate) host_header: HeaderValue,
    pub(crate) authority: Authority,
    pub(crate) scheme: Scheme,
    /// The base URL's path, without a trailing `/` (`""`, `/api`).
    pub(crate) prefix: String,
    /// `Authorization: Basic ...` from the base URL's userinfo.
    pub(crate) basic_auth: Option<HeaderValue>,
    pub(crate) connect_timeout: Option<Duration>,
    pub(crate) http2: bool,
    #[cfg(feature = "tls")]
    pub(crate) tls: Option<super::tls::Connector>,
}

impl Target {
    /// The target of `url` (already judged: `access` is the verdict).
    pub(crate) fn new(
        url: &url::Url,
        access: HostAccess,
        allowed: Vec<String>,
    ) -> Result<Self, String> {
        let host_str = url.host_str().unwrap_or_default();
        let host = bare_host(host_str).to_owned();
        let port = url
            .port_or_known_default()
            .ok_or_else(|| "the URL has no port".to_owned())?;
        let addrs = match access {
            HostAccess::Loopback(ips) => {
                Some(ips.into_iter().map(|ip| (ip, port).into()).collect())
            }
            HostAccess::Allowed => host
                .parse::<IpAddr>()
                .ok()
                .map(|ip| vec![SocketAddr::new(ip, port)]),
        };
        let authority_text = match url.port() {
            Some(p) => format!("{host_str}:{p}"),
            None => host_str.to_owned(),
        };
        let authority = Authority::try_from(authority_text.as_str()).map_err(|e| e.to_string())?;
        let host_header = HeaderValue::from_str(&authority_text).map_err(|e| e.to_string())?;
        let scheme = if url.scheme() == "https" {
            Scheme::HTTPS
        } else {
            Scheme::HTTP
        };
        let basic_auth = basic_auth(url);
        Ok(Target {
            host,
            port,
            addrs,
            allowed,
            host_header,
            authority,
            scheme,
            prefix: url.path().trim_end_matches('/').to_owned(),
            basic_auth,
            connect_timeout: None,
            http2: false,
            #[cfg(feature = "tls")]
            tls: None,
        })
    }

    /// The host a TLS handshake names (SNI) and checks the certificate
    /// against: the base URL's host.
    #[cfg(feature = "tls")]
    pub(crate) fn sni_host(&self) -> &str {
        &self.host
    }

    /// Open a connection: TCP (and TLS), then the HTTP handshake. With a
    /// `ctx` (the load, not a probe) the TCP connect time is recorded as
    /// `http.connect` and the TLS handshake time as `http.tls_handshake`.
    pub(crate) async fn open(&self, ctx: Option<&Ctx>, probe: bool) -> Result<Sender, IterError> {
        let started = Instant::now();
        let connect = async {
            let tcp = self.tcp().await?;
            let _ = tcp.set_nodelay(true);
            if let Some(ctx) = ctx {
                ctx.record("http.connect", started.elapsed());
            }
            self.secure(tcp, ctx, probe).await
        };
        let http2 = self.http2 && !probe;
        match self.connect_timeout {
            Some(t) => match tokio::time::timeout(t, connect).await {
                Ok(r) => r?.handshake(http2).await,
                Err(_) => Err(IterError::of(ErrorClass::Timeout)
                    .with_message(format!("no connection within the connect timeout ({t:?})"))),
            },
            None => connect.await?.handshake(http2).await,
        }
    }

    async fn tcp(&self) -> Result<tokio::net::TcpStream, IterError> {
        let looked_up;
        let addrs = match &self.addrs {
            Some(a) => a.as_slice(),
            None => {
                looked_up = self.lookup().await?;
                looked_up.as_slice()
            }
        };
        let mut last = None;
        for addr in addrs {
            match tokio::net::TcpStream::connect(addr).await {
                Ok(s) => return Ok(s),
                Err(e) => last = Some(e),
            }
        }
        let class = match &last {
            Some(e) if e.kind() == std::io::ErrorKind::TimedOut => ErrorClass::Timeout,
            _ => ErrorClass::Connect,
        };
        let e = last.map_or_else(|| "no address".to_owned(), |e| e.to_string());
        Err(IterError::of(class).with_message(format!("connect: {e}")))
    }

    /// A name the user allowed, judged again and looked up.
    async fn lookup(&self) -> Result<Vec<SocketAddr>, IterError> {
        let refused = || {
            IterError::of(ErrorClass::Connect).with_message(format!(
                "spike refused to resolve `{}`: not loopback and not allowed",
                self.host
            ))
        };
        match judge_host(&self.host, &self.allowed).map_err(|_| refused())? {
            HostAccess::Loopback(ips) => Ok(ips
                .into_iter()
                .map(|ip| SocketAddr::new(ip, self.port))
                .collect()),
            HostAccess::Allowed => tokio::net::lookup_host((self.host.as_str(), self.port))
                .await
                .map(Iterator::collect)
                .map_err(|e| {
                    IterError::of(ErrorClass::Connect)
                        .with_message(format!("resolve `{}`: {e}", self.host))
                }),
        }
    }

    #[cfg(feature = "tls")]
    async fn secure(
        &self,
        tcp: tokio::net::TcpStream,
        ctx: Option<&Ctx>,
        probe: bool,
    ) -> Result<Stream, IterError> {
        let Some(tls) = &self.tls else {
            return Ok(Stream::Plain(tcp));
        };
        let started = Instant::now();
        let stream = tls.handshake(tcp, probe).await.map_err(|e| {
            let error = if e.kind() == std::io::ErrorKind::TimedOut {
                IterError::of(ErrorClass::Timeout)
            } else {
                IterError::new("tls")
            };
            error.with_message(format!(
                "TLS handshake with `{}`: {}",
                self.host,
                describe(&e)
            ))
        })?;
        if let Some(ctx) = ctx {
            ctx.record("http.tls_handshake", started.elapsed());
        }
        Ok(Stream::Tls(Box::new(stream)))
    }

    #[cfg(not(feature = "tls"))]
    #[allow(clippy::unused_async)]
    async fn secure(
        &self,
        tcp: tokio::net::TcpStream,
        _ctx: Option<&Ctx>,
        _probe: bool,
    ) -> Result<Stream, IterError> {
        Ok(Stream::Plain(tcp))
    }
}

/// A connected transport, before the HTTP handshake.
enum Stream {
    Plain(tokio::net::TcpStream),
    #[cfg(feature = "tls")]
    Tls(Box<tokio_rustls::client::TlsStream<tokio::net::TcpStream>>),
}

impl Stream {
    async fn handshake(self, http2: bool) -> Result<Sender, IterError> {
        match self {
            Stream::Plain(s) => handshake(TokioIo::new(s), http2).await,
            #[cfg(feature = "tls")]
            Stream::Tls(s) => handshake(TokioIo::new(s), http2).await,
        }
    }
}

async fn handshake<T>(io: T, http2: bool) -> Result<Sender, IterError>
where
    T: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let fail = |e: hyper::Error| {
        IterError::of(ErrorClass::Protocol).with_message(format!("handshake: {}", describe(&e)))
    };
    if http2 {
        let (sender, conn) = http2::handshake(TokioExecutor::new(), io)
            .await
            .map_err(fail)?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(Sender::H2(sender))
    } else {
        let (sender, conn) = http1::handshake(io).await.map_err(fail)?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(Sender::H1(sender))
    }
}

/// `Authorization: Basic <base64(user:password)>` from the URL's userinfo
/// (percent-decoded, as browsers send it), marked sensitive and
/// registered for redaction.
fn basic_auth(url: &url::Url) -> Option<HeaderValue> {
    if url.username().is_empty() && url.password().is_none() {
        return None;
    }
    let user = super::percent_decode(url.username());
    let password = url
        .password()
        .map(super::percent_decode)
        .unwrap_or_default();
    let encoded = base64(format!("{user}:{password}").as_bytes());
    spike_core::redact::register_secret(&encoded);
    let mut value = HeaderValue::from_str(&format!("Basic {encoded}")).ok()?;
    value.set_sensitive(true);
    Some(value)
}

/// Standard base64 with padding (RFC 4648).
fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_matches_rfc_4648_vectors() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
            ("alice:pw", "YWxpY2U6cHc="),
        ] {
            assert_eq!(super::base64(plain.as_bytes()), encoded, "{plain}");
        }
    }
}

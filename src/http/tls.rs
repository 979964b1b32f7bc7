//! HTTPS (feature `tls`): rustls on the `ring` provider, the platform's
//! trust roots plus the certificates the user adds, SNI = the base host,
//! ALPN `h2` or `http/1.1`.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

/// What the builder was told about trust.
#[derive(Debug, Clone, Default)]
pub(crate) struct TlsSettings {
    /// Certificates to trust, PEM (any number of certificates) or DER.
    pub(crate) roots: Vec<Root>,
    /// Accept any certificate (never the default).
    pub(crate) accept_invalid: bool,
}

#[derive(Debug, Clone)]
pub(crate) enum Root {
    Pem(Vec<u8>),
    Der(Vec<u8>),
}

/// The TLS side of a target: one config for the load (ALPN as chosen),
/// one for health probes (always HTTP/1.1), and the server name.
#[derive(Clone)]
pub(crate) struct Connector {
    load: TlsConnector,
    probe: TlsConnector,
    name: ServerName<'static>,
}

impl std::fmt::Debug for Connector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connector")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl Connector {
    /// Build the configs for `host` (a name or a bare IP address).
    pub(crate) fn new(settings: &TlsSettings, host: &str, http2: bool) -> Result<Self, String> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let name = ServerName::try_from(host.to_owned())
            .map_err(|e| format!("`{host}` cannot be a TLS server name: {e}"))?;
        let config = |alpn: &[u8]| -> Result<ClientConfig, String> {
            let builder = ClientConfig::builder_with_provider(provider.clone())
                .with_safe_default_protocol_versions()
                .map_err(|e| e.to_string())?;
            let mut config = if settings.accept_invalid {
                builder
                    .dangerous()
                    .with_custom_certificate_verifier(Arc::new(AcceptAny(
                        provider.signature_verification_algorithms,
                    )))
                    .with_no_client_auth()
            } else {
                builder
                    .with_root_certificates(roots(settings)?)
                    .with_no_client_auth()
            };
            config.alpn_protocols = vec![alpn.to_vec()];
            Ok(config)
        };
        let load = config(if http2 { b"h2" } else { b"http/1.1" })?;
        let probe = config(b"http/1.1")?;
        Ok(Connector {
            load: TlsConnector::from(Arc::new(load)),
            probe: TlsConnector::from(Arc::new(probe)),
            name,
        })
    }

    /// The TLS handshake over `tcp`.
    pub(crate) async fn handshake(
        &self,
        tcp: TcpStream,
        probe: bool,
    ) -> std::io::Result<TlsStream<TcpStream>> {
        let connector = if probe { &self.probe } else { &self.load };
        connector.connect(self.name.clone(), tcp).await
    }
}

/// The platform's roots plus the user's. Platform certificates that do
/// not parse are skipped (a broken system store must not stop a test that
/// trusts its own CA); the user's must parse.
fn roots(settings: &TlsSettings) -> Result<RootCertStore, String> {
    let mut store = RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    store.add_parsable_certificates(native.certs);
    for (i, root) in settings.roots.iter().enumerate() {
        let n = i + 1;
        let certs: Vec<CertificateDer<'static>> = match root {
            Root::Der(der) => vec![CertificateDer::from(der.clone())],
            Root::Pem(pem) => CertificateDer::pem_slice_iter(pem)
                .collect::<Result<_, _>>()
                .map_err(|e| format!("root certificate #{n} (PEM) does not parse: {e}"))?,
        };
        if certs.is_empty() {
            return Err(format!(
                "root certificate #{n} (PEM) has no `BEGIN CERTIFICATE` block"
            ));
        }
        for cert in certs {
            store
                .add(cert)
                .map_err(|e| format!("root certificate #{n} cannot be trusted: {e}"))?;
        }
    }
    Ok(store)
}

/// The verifier of `danger_accept_invalid_certificates`: any certificate
/// chain is accepted; the handshake signatures are still checked (so the
/// peer holds the key of the certificate it sent).
#[derive(Debug)]
struct AcceptAny(WebPkiSupportedAlgorithms);

impl ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_schemes()
    }
}

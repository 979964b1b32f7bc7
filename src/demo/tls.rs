//! The demo service over TLS (feature `tls`): a certificate chain and key
//! given as PEM, HTTP/2 or HTTP/1.1 negotiated by ALPN.

use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The certificate chain and private key the demo service presents, as
/// PEM. `Debug` never shows the key.
#[derive(Clone)]
pub(super) struct Identity {
    pub(super) chain_pem: Vec<u8>,
    pub(super) key_pem: Vec<u8>,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("chain_pem", &format_args!("{} bytes", self.chain_pem.len()))
            .field("key_pem", &spike_core::redact::REDACTED)
            .finish()
    }
}

fn invalid(what: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, what)
}

/// The acceptor for `identity`, or what is wrong with it.
pub(super) fn acceptor(identity: &Identity) -> std::io::Result<tokio_rustls::TlsAcceptor> {
    let chain = CertificateDer::pem_slice_iter(&identity.chain_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid(format!("demo service: TLS certificate PEM: {e}")))?;
    if chain.is_empty() {
        return Err(invalid(
            "demo service: the TLS certificate PEM holds no certificate".to_owned(),
        ));
    }
    let key = PrivateKeyDer::from_pem_slice(&identity.key_pem)
        .map_err(|e| invalid(format!("demo service: TLS private key PEM: {e}")))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| invalid(format!("demo service: TLS: {e}")))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| invalid(format!("demo service: TLS certificate and key: {e}")))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

//! HTTPS (feature `tls`) against a TLS server on 127.0.0.1 (hyper +
//! tokio-rustls) whose certificate the test makes with rcgen: a test CA
//! and a leaf for `localhost` signed by it. What is trusted passes, what is
//! not fails every iteration with class `tls`, handshakes are counted and
//! timed, HTTP/2 is negotiated by ALPN.
#![cfg(feature = "tls")]

use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use spike::http::{Http, HttpError};
use spike::prelude::*;

/// A CA and a server certificate for `localhost` it signed.
struct Certs {
    ca_pem: String,
    ca_der: Vec<u8>,
    chain: Vec<CertificateDer<'static>>,
    key: Vec<u8>,
}

fn certs() -> Certs {
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).expect("CA certificate");
    let issuer = Issuer::new(ca_params, ca_key);
    let leaf_key = KeyPair::generate().expect("leaf key");
    let leaf = CertificateParams::new(vec!["localhost".to_owned()])
        .expect("leaf params")
        .signed_by(&leaf_key, &issuer)
        .expect("leaf certificate");
    Certs {
        ca_pem: ca.pem(),
        ca_der: ca.der().to_vec(),
        chain: vec![leaf.der().clone(), ca.der().clone()],
        key: leaf_key.serialize_der(),
    }
}

/// A TLS server on 127.0.0.1: HTTP/1.1 or HTTP/2 (ALPN), answers 200 with
/// the protocol version in `x-proto`. Counts accepted TCP connections and
/// completed TLS handshakes.
struct TlsServer {
    port: u16,
    accepted: Arc<AtomicU64>,
    handshakes: Arc<AtomicU64>,
}

async fn tls_server(certs: &Certs) -> TlsServer {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(certs.key.clone()));
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(certs.chain.clone(), key)
        .expect("server certificate");
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(AtomicU64::new(0));
    let handshakes = Arc::new(AtomicU64::new(0));
    let (a, h) = (accepted.clone(), handshakes.clone());
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            a.fetch_add(1, Ordering::SeqCst);
            let (acceptor, h) = (acceptor.clone(), h.clone());
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                h.fetch_add(1, Ordering::SeqCst);
                let service =
                    hyper::service::service_fn(|req: Request<hyper::body::Incoming>| async move {
                        let proto = format!("{:?}", req.version());
                        Ok::<_, Infallible>(
                            Response::builder()
                                .header("x-proto", proto)
                                .body(Full::new(Bytes::from_static(b"ok")))
                                .unwrap(),
                        )
                    });
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    TlsServer {
        port,
        accepted,
        handshakes,
    }
}

fn hold(level: spike::Level, d: Duration) -> Shape {
    Shape::builder().hold(level, d).build().expect("shape")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trusted_certificate_passes_and_each_handshake_is_timed() {
    let certs = certs();
    let server = tls_server(&certs).await;
    let http = Http::builder(format!("https://localhost:{}", server.port))
        .add_root_certificate_pem(&certs.ca_pem)
        .build()
        .unwrap();
    let report = Scenario::new("tls-trusted")
        .shape(hold(users(2), ms(300)))
        .window(ms(100))
        .run(
            http.get("/?i={iteration}")
                .expect_status(200)
                .tag_from_header("x-proto"),
        )
        .await
        .unwrap();
    assert_eq!(report.total.errors, 0, "{report}");
    assert!(report.total.completed > 10, "{report}");
    // Two users, two keep-alive connections: two handshakes, each timed.
    assert_eq!(http.connections_opened(), 2);
    assert_eq!(report.total.counter("http_connections_opened"), 2);
    assert_eq!(
        report.total.metrics["http.tls_handshake"].count, 2,
        "{report}"
    );
    assert_eq!(report.total.metrics["http.connect"].count, 2, "{report}");
    assert_eq!(server.handshakes.load(Ordering::SeqCst), 2);
    let protos = &report.total.tags["x-proto"];
    assert_eq!(
        protos["HTTP/1.1"].count, report.total.completed,
        "{protos:?}"
    );

    // The same CA given as DER works as well.
    let der = Http::builder(format!("https://localhost:{}", server.port))
        .add_root_certificate_der(certs.ca_der.clone())
        .build()
        .unwrap();
    let report = Scenario::new("tls-der")
        .shape(hold(rps(20), ms(250)))
        .window(ms(50))
        .run(der.get("/"))
        .await
        .unwrap();
    assert_eq!(report.total.completed, 5);
    assert_eq!(report.total.errors, 0, "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_certificate_fails_every_iteration_with_class_tls() {
    let certs = certs();
    let server = tls_server(&certs).await;
    // Not trusted: only the platform's roots, which never signed the test CA.
    let untrusted = Http::builder(format!("https://localhost:{}", server.port))
        .build()
        .unwrap();
    let report = Scenario::new("tls-untrusted")
        .shape(hold(rps(20), ms(250)))
        .window(ms(50))
        .run(untrusted.get("/"))
        .await
        .unwrap();
    assert_eq!(report.total.completed, 5);
    assert_eq!(report.total.errors_of("tls"), 5, "{report}");
    let sample = &report.total.error_samples["tls"];
    assert!(
        sample.contains("TLS handshake with `localhost`"),
        "{sample}"
    );
    assert!(sample.contains("certificate"), "{sample}");
    assert_eq!(server.handshakes.load(Ordering::SeqCst), 0);

    // Trusted CA, wrong name: the certificate is for `localhost`, not for
    // the address 127.0.0.1.
    let wrong_name = Http::builder(format!("https://127.0.0.1:{}", server.port))
        .add_root_certificate_pem(&certs.ca_pem)
        .build()
        .unwrap();
    let report = Scenario::new("tls-wrong-name")
        .shape(hold(rps(20), ms(250)))
        .window(ms(50))
        .run(wrong_name.get("/"))
        .await
        .unwrap();
    assert_eq!(report.total.errors_of("tls"), 5, "{report}");

    // The explicit, dangerous opt-in accepts it.
    let reckless = Http::builder(format!("https://127.0.0.1:{}", server.port))
        .danger_accept_invalid_certificates()
        .build()
        .unwrap();
    let report = Scenario::new("tls-danger")
        .shape(hold(rps(20), ms(250)))
        .window(ms(50))
        .run(reckless.get("/").expect_status(200))
        .await
        .unwrap();
    assert_eq!(report.total.completed, 5);
    assert_eq!(report.total.errors, 0, "{report}");
    // Arrivals 50 ms apart: one connection, more if an answer was slower
    // than that on a loaded machine; every one of them shook hands.
    let opened = reckless.connections_opened();
    assert!((1..=5).contains(&opened), "{opened}");
    assert_eq!(server.handshakes.load(Ordering::SeqCst), opened);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_iteration_connections_do_one_handshake_each() {
    let certs = certs();
    let server = tls_server(&certs).await;
    let http = Http::builder(format!("https://localhost:{}", server.port))
        .add_root_certificate_pem(&certs.ca_pem)
        .new_connection_per_iteration()
        .build()
        .unwrap();
    let report = Scenario::new("tls-herd")
        .shape(hold(rps(40), ms(250)))
        .window(ms(50))
        .run(http.get("/"))
        .await
        .unwrap();
    assert_eq!(report.total.completed, 10);
    assert_eq!(report.total.errors, 0, "{report}");
    assert_eq!(report.total.counter("http_connections_opened"), 10);
    assert_eq!(
        report.total.metrics["http.tls_handshake"].count, 10,
        "{report}"
    );
    assert_eq!(server.handshakes.load(Ordering::SeqCst), 10);
    assert_eq!(server.accepted.load(Ordering::SeqCst), 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_is_negotiated_by_alpn() {
    let certs = certs();
    let server = tls_server(&certs).await;
    let http = Http::builder(format!("https://localhost:{}", server.port))
        .add_root_certificate_pem(&certs.ca_pem)
        .http2()
        .build()
        .unwrap();
    let report = Scenario::new("tls-h2")
        .shape(hold(rps(100), ms(300)))
        .window(ms(100))
        .run(
            http.post("/")
                .body("n={iteration}")
                .tag_from_header("x-proto"),
        )
        .await
        .unwrap();
    assert_eq!(report.total.completed, 30);
    assert_eq!(report.total.errors, 0, "{report}");
    assert_eq!(report.total.tags["x-proto"]["HTTP/2.0"].count, 30);
    // One multiplexed connection, one handshake.
    assert_eq!(report.total.counter("http_connections_opened"), 1);
    assert_eq!(report.total.metrics["http.tls_handshake"].count, 1);
    assert_eq!(server.handshakes.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn bad_tls_settings_are_refused_at_build() {
    let err = Http::builder("https://localhost:1")
        .add_root_certificate_pem(
            "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n",
        )
        .build()
        .unwrap_err();
    assert!(matches!(err, HttpError::Tls { .. }), "{err:?}");
    assert!(err.to_string().contains("root certificate #1"), "{err}");
    let err = Http::builder("https://localhost:1")
        .add_root_certificate_pem("no PEM here")
        .build()
        .unwrap_err();
    assert!(
        err.to_string().contains("no `BEGIN CERTIFICATE` block"),
        "{err}"
    );
    let err = Http::builder("https://localhost:1")
        .add_root_certificate_der(vec![1, 2, 3])
        .build()
        .unwrap_err();
    assert!(matches!(err, HttpError::Tls { .. }), "{err:?}");
}

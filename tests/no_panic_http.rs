//! No value given to the HTTP driver's builders makes spike panic: what
//! cannot be used is refused before any traffic with
//! `SpikeError::BadWorkload`, and everything else runs. The oracle for
//! "usable" is the `http` crate's own parsers (through hyper), not the
//! driver. Traffic goes only to a closed port on 127.0.0.1.
#![cfg(feature = "http")]

use std::net::TcpListener;

use hyper::header::{HeaderName, HeaderValue};
use proptest::prelude::*;
use spike::http::{Http, Method};
use spike::prelude::*;

/// A port on 127.0.0.1 nothing listens on.
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    port
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime")
}

/// Text without template braces, so a header value is sent as given;
/// mostly usable, so that most cases run.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => "[a-zA-Z][a-zA-Z0-9_-]{0,11}",
        1 => "[^{}]{0,12}",
        1 => Just(String::new()),
        1 => Just("bad header".to_owned()),
        1 => Just("x\r\ny".to_owned()),
    ]
}

fn path() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => "/[a-z0-9/._-]{0,12}",
        1 => "[^{}]{0,12}",
        1 => Just("@evil.example".to_owned()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, max_shrink_iters: 64, ..ProptestConfig::default() })]

    #[test]
    fn http_request_builders_refuse_or_run_never_panic(
        path in path(),
        header in text(),
        value in text(),
        tag in text(),
        users in prop_oneof![1 => Just(0_u64), 6 => 1_u64..10, 1 => Just(u64::MAX)],
    ) {
        let usable = path.starts_with('/')
            && HeaderName::from_bytes(header.as_bytes()).is_ok()
            && HeaderValue::from_str(&value).is_ok()
            && HeaderName::from_bytes(tag.as_bytes()).is_ok()
            && users > 0;
        let url = format!("http://127.0.0.1:{}", closed_port());
        let rt = runtime();
        let result = rt.block_on(async {
            let http = Http::builder(&url).build().expect("a loopback base URL");
            let request = http
                .request(Method::GET, path.clone())
                .header(&header, value.clone())
                .tag_from_header(&tag)
                .users(users);
            let shape = Shape::builder().hold(rps(20), ms(100)).build().expect("shape");
            Scenario::new("no-panic-http")
                .shape(shape)
                .window(ms(50))
                .iteration_timeout(secs(2))
                .run(request)
                .await
        });
        match result {
            Ok(report) => {
                prop_assert!(usable, "ran with an unusable value: {report}");
                prop_assert_eq!(report.total.completed, 2);
                prop_assert_eq!(report.total.errors_of("connect"), 2, "{}", report);
            }
            Err(SpikeError::BadWorkload { reason, .. }) => {
                prop_assert!(!usable, "refused a usable request: {}", reason);
            }
            Err(other) => prop_assert!(false, "unexpected error: {other}"),
        }
    }
}

#[test]
fn a_refusal_names_what_was_wrong_before_any_traffic() {
    let url = format!("http://127.0.0.1:{}", closed_port());
    let err = runtime()
        .block_on(async {
            let http = Http::builder(&url).build().expect("a loopback base URL");
            let request = http
                .get("login")
                .header("bad header", "v")
                .header("authorization", "Bearer s3cr3t\n")
                .users(0);
            Scenario::new("refused")
                .shape(Shape::builder().hold(rps(20), ms(100)).build().unwrap())
                .window(ms(50))
                .run(request)
                .await
        })
        .expect_err("refused");
    let text = err.to_string();
    assert!(matches!(err, SpikeError::BadWorkload { .. }), "{err:?}");
    assert!(text.contains("must start with `/`"), "{text}");
    assert!(text.contains("invalid header name `bad header`"), "{text}");
    assert!(
        text.contains("invalid value for header `authorization` (`[redacted]`)"),
        "{text}"
    );
    assert!(text.contains("`users(0)`"), "{text}");
    assert!(!text.contains("s3cr3t"), "{text}");
}

#[test]
fn a_health_probe_with_a_bad_path_answers_unhealthy_without_probing() {
    let url = format!("http://127.0.0.1:{}", closed_port());
    let check = runtime().block_on(async {
        let http = Http::builder(&url).build().expect("a loopback base URL");
        http.health("health")
            .timeout(secs(1))
            .wait("before run")
            .await
    });
    assert!(!check.healthy);
    assert_eq!(check.attempts, 0, "never probed");
    let why = check.last_error.expect("a reason");
    assert!(why.contains("must start with `/`"), "{why}");
}

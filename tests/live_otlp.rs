//! The OTLP exporter against a receiver written here: a hyper server on
//! 127.0.0.1 that decodes every `POST /v1/metrics` with
//! `opentelemetry-proto` (the reference crate). The last export must carry
//! the report's counts exactly, and the p99 this file computes from the
//! exponential buckets must be within 2 % of the report's p99.
#![cfg(feature = "otlp")]

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value;
use opentelemetry_proto::tonic::metrics::v1::{metric::Data, number_data_point, Metric};
use prost::Message as _;

use spike::live::Otlp;
use spike::prelude::*;

const SCENARIO: &str = "live_otlp";

type Received = Arc<Mutex<Vec<(String, ExportMetricsServiceRequest)>>>;

/// A receiver on 127.0.0.1: every request's path and decoded body.
async fn receiver() -> (std::net::SocketAddr, Received) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let got: Received = Arc::default();
    let store = got.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let store = store.clone();
            tokio::spawn(async move {
                let service =
                    hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                        let store = store.clone();
                        async move {
                            let path = req.uri().path().to_owned();
                            let body = req.into_body().collect().await.unwrap().to_bytes();
                            let decoded = ExportMetricsServiceRequest::decode(body).unwrap();
                            store.lock().unwrap().push((path, decoded));
                            Ok::<_, Infallible>(Response::new(Full::new(Bytes::new())))
                        }
                    });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (addr, got)
}

fn metric<'a>(req: &'a ExportMetricsServiceRequest, name: &str) -> &'a Metric {
    req.resource_metrics[0].scope_metrics[0]
        .metrics
        .iter()
        .find(|m| m.name == name)
        .unwrap_or_else(|| panic!("no metric {name}"))
}

fn attr(attrs: &[opentelemetry_proto::tonic::common::v1::KeyValue], key: &str) -> String {
    attrs
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| match kv.value.as_ref()?.value.as_ref()? {
            any_value::Value::StringValue(s) => Some(s.clone()),
            _ => None,
        })
        .unwrap_or_default()
}

/// Sum of a counter's points of this scenario.
fn counter(req: &ExportMetricsServiceRequest, name: &str) -> i64 {
    let Some(Data::Sum(sum)) = &metric(req, name).data else {
        panic!("{name} is not a sum")
    };
    assert!(sum.is_monotonic);
    sum.data_points
        .iter()
        .filter(|p| attr(&p.attributes, "scenario") == SCENARIO)
        .map(|p| match p.value {
            Some(number_data_point::Value::AsInt(n)) => n,
            other => panic!("{other:?}"),
        })
        .sum()
}

#[spike_test(timeout = "90s")]
async fn otlp_export_matches_the_report() {
    let (addr, received) = receiver().await;
    let exporter = Arc::new(
        Otlp::new(&format!("http://{addr}"))
            .unwrap()
            .interval(Duration::from_secs(1)),
    );
    // 5 s at 300/s: 1500 iterations sleeping 2..=21 ms, every 7th failing.
    let shape = Shape::builder().hold(rps(300), secs(5)).build().unwrap();
    let report = Scenario::new(SCENARIO)
        .shape(shape)
        .sink(exporter.clone())
        .run(|ctx: Ctx| async move {
            tokio::time::sleep(ms(2 + ctx.iteration() % 20)).await;
            if ctx.iteration().is_multiple_of(7) {
                Err(IterError::new("teapot"))
            } else {
                Ok(())
            }
        })
        .await
        .unwrap();
    let total = &report.total;
    assert_eq!(total.completed, 1500);

    let got = received.lock().unwrap().clone();
    // Pushes during the run (1 s interval) and the final one.
    assert!(got.len() >= 3, "{} exports", got.len());
    assert!(got.iter().all(|(path, _)| path == "/v1/metrics"));
    assert_eq!(exporter.pushes() as usize, got.len());
    let last = &got.last().unwrap().1;

    assert_eq!(counter(last, "spike_iterations"), total.completed as i64);
    assert_eq!(counter(last, "spike_iteration_errors"), total.errors as i64);

    let Some(Data::ExponentialHistogram(h)) = &metric(last, "spike_iteration_latency").data else {
        panic!("latency is not an exponential histogram")
    };
    assert_eq!(h.aggregation_temporality, 2, "cumulative");
    let point = h
        .data_points
        .iter()
        .find(|p| attr(&p.attributes, "scenario") == SCENARIO)
        .expect("a point of the scenario");
    let positive = point.positive.as_ref().expect("positive buckets");
    let in_buckets: u64 = positive.bucket_counts.iter().sum::<u64>() + point.zero_count;
    assert_eq!(point.count, total.completed);
    assert_eq!(in_buckets, total.completed);

    // p99 from the buckets: the upper bound of the bucket holding the
    // ceil(0.99 * count)-th value; bucket i holds (base^i, base^(i+1)].
    let base = 2_f64.powf(2_f64.powi(-point.scale));
    let rank = (0.99 * point.count as f64).ceil() as u64;
    let mut seen = point.zero_count;
    let mut p99 = None;
    for (k, n) in positive.bucket_counts.iter().enumerate() {
        seen += n;
        if seen >= rank {
            p99 = Some(base.powi(positive.offset + k as i32 + 1));
            break;
        }
    }
    let p99 = p99.expect("rank within the buckets");
    let want = total.latency.p99_us as f64 / 1e6;
    let off = (p99 - want).abs() / want;
    spike::notice::notice(&format!(
        "live_otlp: p99 from the exponential buckets {:.3} ms, report {:.3} ms, off by {:.3} %",
        p99 * 1e3,
        want * 1e3,
        off * 100.0
    ));
    assert!(off <= 0.02, "{p99} s vs {want} s");
}

#[test]
fn bad_endpoints_are_refused_naming_why() {
    for (url, reason) in [
        ("https://127.0.0.1:4318", "http://"),
        ("http://user:secret@127.0.0.1:4318", "credentials"),
        ("not a url", "http://"),
    ] {
        let err = Otlp::new(url).unwrap_err().to_string();
        assert!(err.contains(reason), "{url}: {err}");
        assert!(!err.contains("secret"), "{err}");
    }
}

proptest::proptest! {
    /// No endpoint string makes the exporter panic; a refusal never
    /// repeats a password.
    #[test]
    fn any_endpoint_is_accepted_or_refused_without_panic(
        url in "(http|https|ftp)?(://)?([a-z]{0,5}(:[a-z]{0,5})?@)?[a-z0-9.\\[\\]:%/ ]{0,30}",
    ) {
        if let Err(e) = Otlp::new(&url) {
            let text = e.to_string();
            if let Some((_, rest)) = url.split_once("://") {
                if let Some((user, _)) = rest.split_once('@') {
                    if let Some((_, password)) = user.split_once(':') {
                        proptest::prop_assume!(password.len() >= 4);
                        proptest::prop_assert!(!text.contains(&format!(":{password}@")), "{text}");
                    }
                }
            }
        }
    }
}

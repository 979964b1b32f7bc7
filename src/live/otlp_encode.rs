//! The exported families as an OTLP `ExportMetricsServiceRequest`:
//! cumulative sums, gauges and exponential histograms (scale 8).

use std::time::{SystemTime, UNIX_EPOCH};

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::metrics::v1::{
    exponential_histogram_data_point::Buckets, metric::Data, number_data_point,
    AggregationTemporality, ExponentialHistogram, ExponentialHistogramDataPoint, Gauge, Metric,
    NumberDataPoint, ResourceMetrics, ScopeMetrics, Sum,
};
use opentelemetry_proto::tonic::resource::v1::Resource;

use super::expo::{Expo, SCHEMA, ZERO_THRESHOLD};
use super::families::{Family, Kind, Labels, Value};

fn unix_nanos(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

fn text(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value.to_owned())),
        }),
        ..KeyValue::default()
    }
}

fn attributes(labels: &Labels) -> Vec<KeyValue> {
    labels.iter().map(|(k, v)| text(k, v)).collect()
}

/// The OTLP name of a family: its Prometheus name without the suffixes
/// Prometheus's own OTLP translation adds back (`_total`, `_seconds`).
pub(crate) fn otlp_name(prometheus_name: &str) -> &str {
    prometheus_name
        .strip_suffix("_total")
        .or_else(|| prometheus_name.strip_suffix("_seconds"))
        .unwrap_or(prometheus_name)
}

/// `h` as an exponential-histogram point (OTLP bucket `i` is Prometheus's
/// bucket `i + 1`: both hold `(base^i, base^(i+1)]` in OTLP's numbering).
pub(crate) fn exponential(
    h: &Expo,
    labels: &Labels,
    start: u64,
    now: u64,
) -> ExponentialHistogramDataPoint {
    let positive = match (h.buckets.keys().next(), h.buckets.keys().next_back()) {
        (Some(&first), Some(&last)) => {
            let mut counts = vec![0_u64; usize::try_from(last - first + 1).unwrap_or(0)];
            for (&i, &n) in &h.buckets {
                if let Ok(at) = usize::try_from(i - first) {
                    counts[at] = n;
                }
            }
            Some(Buckets {
                offset: first - 1,
                bucket_counts: counts,
            })
        }
        _ => None,
    };
    ExponentialHistogramDataPoint {
        attributes: attributes(labels),
        start_time_unix_nano: start,
        time_unix_nano: now,
        count: h.count,
        sum: Some(h.sum),
        scale: SCHEMA,
        zero_count: h.zero,
        zero_threshold: ZERO_THRESHOLD,
        positive,
        ..ExponentialHistogramDataPoint::default()
    }
}

fn number(labels: &Labels, value: f64, start: u64, now: u64, int: bool) -> NumberDataPoint {
    NumberDataPoint {
        attributes: attributes(labels),
        start_time_unix_nano: start,
        time_unix_nano: now,
        // Counts are whole numbers far below 2^53.
        value: Some(if int {
            number_data_point::Value::AsInt(value as i64)
        } else {
            number_data_point::Value::AsDouble(value)
        }),
        ..NumberDataPoint::default()
    }
}

/// Every family as one export request, points as of `now`, cumulative
/// since `since`.
pub(crate) fn request(
    families: &[Family],
    since: SystemTime,
    now: SystemTime,
) -> ExportMetricsServiceRequest {
    let (start, now) = (unix_nanos(since), unix_nanos(now));
    let cumulative = AggregationTemporality::Cumulative as i32;
    let metrics = families
        .iter()
        .map(|f| {
            let data = match f.kind {
                Kind::Histogram => Data::ExponentialHistogram(ExponentialHistogram {
                    data_points: f
                        .series
                        .iter()
                        .filter_map(|(l, v)| match v {
                            Value::Histogram(h) => Some(exponential(h, l, start, now)),
                            Value::Number(_) => None,
                        })
                        .collect(),
                    aggregation_temporality: cumulative,
                }),
                Kind::Counter | Kind::Gauge => {
                    let points = f
                        .series
                        .iter()
                        .filter_map(|(l, v)| match v {
                            Value::Number(x) => {
                                Some(number(l, *x, start, now, f.kind == Kind::Counter))
                            }
                            Value::Histogram(_) => None,
                        })
                        .collect();
                    if f.kind == Kind::Counter {
                        Data::Sum(Sum {
                            data_points: points,
                            aggregation_temporality: cumulative,
                            is_monotonic: true,
                        })
                    } else {
                        Data::Gauge(Gauge {
                            data_points: points,
                        })
                    }
                }
            };
            Metric {
                name: otlp_name(f.name).to_owned(),
                description: f.help.to_owned(),
                unit: f.unit.to_owned(),
                data: Some(data),
                ..Metric::default()
            }
        })
        .collect();
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: Some(Resource {
                attributes: vec![text("service.name", "spike")],
                ..Resource::default()
            }),
            scope_metrics: vec![ScopeMetrics {
                scope: Some(InstrumentationScope {
                    name: "spike".to_owned(),
                    version: env!("CARGO_PKG_VERSION").to_owned(),
                    ..InstrumentationScope::default()
                }),
                metrics,
                ..ScopeMetrics::default()
            }],
            ..ResourceMetrics::default()
        }],
    }
}

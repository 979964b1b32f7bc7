//! The two Prometheus exposition formats: protobuf (delimited
//! `MetricFamily` messages, the only one Prometheus 2.x reads native
//! histograms from) and text 0.0.4 (histograms as classic cumulative
//! buckets at the native buckets' upper bounds, for `curl`).

use std::fmt::Write as _;

use prost::Message as _;

use super::expo::{upper_bound, Expo, SCHEMA, ZERO_THRESHOLD};
use super::families::{Family, Kind, Labels, Value};
use super::prom_proto as pb;

/// Content type of the protobuf format.
pub(crate) const PROTOBUF: &str =
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";
/// Content type of the text format.
pub(crate) const TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Whether an `Accept` header asks for the protobuf format.
pub(crate) fn wants_protobuf(accept: &str) -> bool {
    accept.contains("application/vnd.google.protobuf")
        && accept.contains("io.prometheus.client.MetricFamily")
}

fn labels(labels: &Labels) -> Vec<pb::LabelPair> {
    labels
        .iter()
        .map(|(k, v)| pb::LabelPair {
            name: Some((*k).to_owned()),
            value: Some(v.clone()),
        })
        .collect()
}

/// `h` as a native histogram message.
pub(crate) fn native(h: &Expo) -> pb::Histogram {
    let mut spans = Vec::new();
    let mut deltas = Vec::new();
    let mut previous_end: Option<i32> = None;
    let mut previous_count = 0_i64;
    for (first, counts) in h.runs() {
        // The first span's offset is its index; each later one's is the gap
        // after the previous span.
        let offset = previous_end.map_or(first, |end| first - end);
        let length = u32::try_from(counts.len()).unwrap_or(u32::MAX);
        spans.push(pb::BucketSpan {
            offset: Some(offset),
            length: Some(length),
        });
        for n in &counts {
            let n = i64::try_from(*n).unwrap_or(i64::MAX);
            deltas.push(n - previous_count);
            previous_count = n;
        }
        previous_end = Some(first + i32::try_from(counts.len()).unwrap_or(i32::MAX));
    }
    pb::Histogram {
        sample_count: Some(h.count),
        sample_sum: Some(h.sum),
        schema: Some(SCHEMA),
        // Above zero: marks the histogram native even before any sample.
        zero_threshold: Some(ZERO_THRESHOLD),
        zero_count: Some(h.zero),
        positive_span: spans,
        positive_delta: deltas,
    }
}

/// Every family, length-delimited, as Prometheus scrapes them.
pub(crate) fn protobuf(families: &[Family]) -> Vec<u8> {
    let mut out = Vec::new();
    for f in families {
        let kind = match f.kind {
            Kind::Counter => pb::MetricType::Counter,
            Kind::Gauge => pb::MetricType::Gauge,
            Kind::Histogram => pb::MetricType::Histogram,
        };
        let metric = f
            .series
            .iter()
            .map(|(l, v)| {
                let mut m = pb::Metric {
                    label: labels(l),
                    ..pb::Metric::default()
                };
                match (f.kind, v) {
                    (Kind::Counter, Value::Number(x)) => {
                        m.counter = Some(pb::Counter { value: Some(*x) });
                    }
                    (_, Value::Number(x)) => m.gauge = Some(pb::Gauge { value: Some(*x) }),
                    (_, Value::Histogram(h)) => m.histogram = Some(native(h)),
                }
                m
            })
            .collect();
        let family = pb::MetricFamily {
            name: Some(f.name.to_owned()),
            help: Some(f.help.to_owned()),
            r#type: Some(kind as i32),
            metric,
        };
        // Writing to a Vec cannot fail (it grows).
        let _ = family.encode_length_delimited(&mut out);
    }
    out
}

fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn text_labels(labels: &Labels, extra: Option<(&str, &str)>) -> String {
    let mut parts: Vec<String> = labels
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
        .collect();
    if let Some((k, v)) = extra {
        parts.push(format!("{k}=\"{v}\""));
    }
    format!("{{{}}}", parts.join(","))
}

/// Every family in the text format.
pub(crate) fn text(families: &[Family]) -> String {
    let mut out = String::new();
    for f in families {
        let kind = match f.kind {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        };
        let _ = writeln!(out, "# HELP {} {}", f.name, f.help);
        let _ = writeln!(out, "# TYPE {} {kind}", f.name);
        for (l, v) in &f.series {
            match v {
                Value::Number(x) => {
                    let _ = writeln!(out, "{}{} {x}", f.name, text_labels(l, None));
                }
                Value::Histogram(h) => {
                    let mut cumulative = h.zero;
                    let le = format!("{ZERO_THRESHOLD}");
                    let _ = writeln!(
                        out,
                        "{}_bucket{} {cumulative}",
                        f.name,
                        text_labels(l, Some(("le", &le)))
                    );
                    for (&i, &n) in &h.buckets {
                        cumulative += n;
                        let le = format!("{}", upper_bound(i));
                        let _ = writeln!(
                            out,
                            "{}_bucket{} {cumulative}",
                            f.name,
                            text_labels(l, Some(("le", &le)))
                        );
                    }
                    let inf = text_labels(l, Some(("le", "+Inf")));
                    let plain = text_labels(l, None);
                    let _ = writeln!(out, "{}_bucket{inf} {}", f.name, h.count);
                    let _ = writeln!(out, "{}_sum{plain} {}", f.name, h.sum);
                    let _ = writeln!(out, "{}_count{plain} {}", f.name, h.count);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_skip_gaps_and_deltas_run_across_spans() {
        let mut h = Expo::default();
        h.buckets.extend([(5, 2), (6, 3), (9, 1)]);
        h.count = 6;
        let n = native(&h);
        let spans: Vec<(i32, u32)> = n
            .positive_span
            .iter()
            .map(|s| (s.offset.unwrap(), s.length.unwrap()))
            .collect();
        // Buckets 5 and 6, then a gap of 2 (7, 8), then bucket 9.
        assert_eq!(spans, vec![(5, 2), (2, 1)]);
        assert_eq!(n.positive_delta, vec![2, 1, -2]);
        assert_eq!(n.schema, Some(8));
    }

    #[test]
    fn protobuf_asked_for_by_accept_only() {
        assert!(wants_protobuf(
            "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,text/plain;version=0.0.4;q=0.3"
        ));
        assert!(!wants_protobuf("text/plain"));
        assert!(!wants_protobuf(""));
    }
}

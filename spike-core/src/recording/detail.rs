//! The histograms kept beside the latency ones ([`DetailHistogram`]): how a
//! closed (window, phase) accumulator is encoded into them, and how a
//! merge turns a report's counts and decoded histograms back into an
//! accumulator, so that [`Stats::from_tally`] computes every number of a
//! merged report with the engine's own code.

use std::borrow::Cow;
use std::time::Duration;

use hdrhistogram::serialization::{Serializer as _, V2DeflateSerializer};
use hdrhistogram::Histogram;

use crate::recording::histogram::{new_latency_histogram, new_tag_histogram};
use crate::recording::request_tally::RequestTally;
use crate::recording::shards::{GaugeTally, TagTally, Tally, TimingHistograms};
use crate::recording::stats::Stats;
use crate::report::{DetailHistogram, HistogramKind};

/// Where the encoded histograms of one accumulator go.
pub(crate) struct DetailSpan<'a> {
    pub(crate) window: u64,
    pub(crate) start: Duration,
    pub(crate) end: Duration,
    pub(crate) phase: &'a str,
}

/// Encode every histogram of `acc` but the latency one (service time, lag,
/// each request, metric and tag value, names in order) into `out`.
pub(crate) fn encode_details(
    acc: &Tally,
    span: &DetailSpan<'_>,
    serializer: &mut V2DeflateSerializer,
    out: &mut Vec<DetailHistogram>,
) {
    let mut push = |kind: HistogramKind, h: &Histogram<u64>| {
        let mut encoded = Vec::new();
        if serializer.serialize(h, &mut encoded).is_ok() {
            out.push(DetailHistogram {
                window: span.window,
                start: span.start,
                end: span.end,
                phase: span.phase.to_owned(),
                kind,
                encoded,
            });
        }
    };
    if let Some(h) = acc.hists() {
        push(HistogramKind::Service, &h.service);
        push(HistogramKind::Lag, &h.lag);
    }
    let mut requests: Vec<_> = acc.requests.iter().collect();
    requests.sort_unstable_by(|a, b| a.0.cmp(b.0));
    for (name, r) in requests {
        push(HistogramKind::Request(name.to_string()), &r.latency);
    }
    let mut metrics: Vec<_> = acc.metrics.iter().collect();
    metrics.sort_unstable_by(|a, b| a.0.cmp(b.0));
    for (name, h) in metrics {
        push(HistogramKind::Metric(name.to_string()), h);
    }
    let mut keys: Vec<_> = acc.tags.iter().collect();
    keys.sort_unstable_by(|a, b| a.0.cmp(b.0));
    for (key, values) in keys {
        let mut values: Vec<_> = values.iter().collect();
        values.sort_unstable_by(|a, b| a.0.cmp(b.0));
        for (value, t) in values {
            let kind = HistogramKind::Tag {
                key: key.to_string(),
                value: value.clone(),
            };
            push(kind, &t.latency);
        }
    }
}

/// An accumulator holding the counts of `stats` and none of its samples:
/// every histogram is empty ([`add_latency`] and [`add_detail`] add them).
/// The drain timeouts are not in `Stats` and stay 0.
pub(crate) fn counts_tally(stats: &Stats) -> Tally {
    Tally {
        scheduled: stats.scheduled,
        dropped: stats.dropped,
        completed: stats.completed,
        errors: stats.errors,
        out_of_range: stats.out_of_range,
        drain_timeouts: 0,
        hists: None,
        errors_by_class: stats.errors_by_class.clone(),
        http_statuses: stats.http_statuses.clone(),
        error_samples: stats.error_samples.clone(),
        counters: stats
            .counters
            .iter()
            .map(|(k, v)| (Cow::Owned(k.clone()), *v))
            .collect(),
        gauges: stats
            .gauges
            .iter()
            .map(|(k, g)| {
                let g = GaugeTally {
                    last: g.last,
                    min: g.min,
                    max: g.max,
                };
                (Cow::Owned(k.clone()), g)
            })
            .collect(),
        tags: stats
            .tags
            .iter()
            .map(|(k, values)| {
                let values = values
                    .iter()
                    .map(|(v, t)| {
                        let tally = TagTally {
                            count: t.count,
                            errors: t.errors,
                            latency: new_tag_histogram(),
                        };
                        (v.clone(), tally)
                    })
                    .collect();
                (Cow::Owned(k.clone()), values)
            })
            .collect(),
        metrics: Default::default(),
        requests: stats
            .requests
            .iter()
            .map(|(k, r)| {
                let mut tally = RequestTally::new();
                tally.count = r.count;
                tally.errors = r.errors;
                tally.errors_by_class = r.errors_by_class.clone();
                (Cow::Owned(k.clone()), tally)
            })
            .collect(),
    }
}

fn timing(tally: &mut Tally) -> &mut TimingHistograms {
    tally.hists.get_or_insert_with(|| {
        Box::new(TimingHistograms {
            latency: new_latency_histogram(),
            service: new_latency_histogram(),
            lag: new_latency_histogram(),
        })
    })
}

/// Why a decoded histogram could not be added: its configuration differs
/// from the engine's for its kind.
pub(crate) type AddError = hdrhistogram::AdditionError;

/// Add an iterations' latency histogram to `tally`.
pub(crate) fn add_latency(tally: &mut Tally, h: &Histogram<u64>) -> Result<(), AddError> {
    timing(tally).latency.add(h)
}

/// Add one decoded [`DetailHistogram`] to `tally`, where the engine keeps
/// a histogram of its kind.
pub(crate) fn add_detail(
    tally: &mut Tally,
    kind: &HistogramKind,
    h: &Histogram<u64>,
) -> Result<(), AddError> {
    match kind {
        HistogramKind::Service => timing(tally).service.add(h),
        HistogramKind::Lag => timing(tally).lag.add(h),
        HistogramKind::Request(name) => tally
            .requests
            .entry(Cow::Owned(name.clone()))
            .or_insert_with(RequestTally::new)
            .latency
            .add(h),
        HistogramKind::Metric(name) => tally
            .metrics
            .entry(Cow::Owned(name.clone()))
            .or_insert_with(new_tag_histogram)
            .add(h),
        HistogramKind::Tag { key, value } => tally
            .tags
            .entry(Cow::Owned(key.clone()))
            .or_default()
            .entry(value.clone())
            .or_insert_with(|| TagTally {
                count: 0,
                errors: 0,
                latency: new_tag_histogram(),
            })
            .latency
            .add(h),
    }
}

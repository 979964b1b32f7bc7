//! Statistics of a set of iterations (a window, a phase, the whole run).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::recording::histogram::Percentiles;
use crate::recording::request_tally::RequestTally;
use crate::recording::shards::Tally;

/// Last, smallest and largest value of a user gauge.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GaugeStats {
    /// Last value set.
    pub last: f64,
    /// Smallest value set.
    pub min: f64,
    /// Largest value set.
    pub max: f64,
}

/// Metrics of the iterations that carried one tag value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TagStats {
    /// Iterations with this tag value.
    pub count: u64,
    /// Of those, errors.
    pub errors: u64,
    /// Median latency (2 significant digits).
    pub p50_us: u64,
    /// 95th percentile latency.
    pub p95_us: u64,
    /// 99th percentile latency.
    pub p99_us: u64,
}

/// Counts, rates, percentiles and errors of a set of iterations.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    /// Iterations due (open model) or started (closed), dropped ones included.
    pub scheduled: u64,
    /// Iterations actually started (`scheduled − dropped`).
    pub started: u64,
    /// Iterations not started because the in-flight cap was reached.
    pub dropped: u64,
    /// Iterations that finished, with success or error.
    pub completed: u64,
    /// Of those, errors.
    pub errors: u64,
    /// `errors / completed` (0 when nothing completed).
    pub error_rate: f64,
    /// Planned rate over the span: iterations/s (open) or users (closed).
    pub target: f64,
    /// Iterations started per second over the span.
    pub achieved_rate: f64,
    /// Successful iterations per second over the span.
    pub throughput: f64,
    /// Length of the span the rates are computed over, in microseconds.
    #[serde(with = "crate::serde_micros")]
    pub span: Duration,
    /// Latency: completion − intended start (open model, corrected for
    /// coordinated omission) or completion − actual start (closed model).
    pub latency: Percentiles,
    /// Service time: completion − actual start.
    pub service_time: Percentiles,
    /// Schedule lag: actual start − intended start.
    pub schedule_lag: Percentiles,
    /// Errors by class key (`connect`, `timeout`, `http_5xx`, ...).
    pub errors_by_class: BTreeMap<String, u64>,
    /// HTTP error statuses, exact.
    pub http_statuses: BTreeMap<u16, u64>,
    /// One sample message per error class.
    pub error_samples: BTreeMap<String, String>,
    /// User counters (`ctx.count(..)`).
    pub counters: BTreeMap<String, u64>,
    /// User gauges (`ctx.gauge(..)`).
    pub gauges: BTreeMap<String, GaugeStats>,
    /// Per tag key, per value.
    pub tags: BTreeMap<String, BTreeMap<String, TagStats>>,
    /// Samples above the 60 s histogram range (clamped to it).
    pub out_of_range: u64,
    /// Durations the workload recorded by name (`ctx.record(..)`: a pool
    /// wait, a handshake, a message round trip), 2 significant digits.
    #[serde(default)]
    pub metrics: BTreeMap<String, Percentiles>,
    /// Per named request (a step of a sequence, an entry of a mix, an
    /// HTTP request given a name): its own count, errors and latency.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub requests: BTreeMap<String, RequestStats>,
}

/// The numbers of one named request within a window, a phase or the run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RequestStats {
    /// Times the request finished (success or error).
    pub count: u64,
    /// Of those, errors.
    pub errors: u64,
    /// `errors / count` (0 when it never finished).
    pub error_rate: f64,
    /// Errors by class key (`connect`, `timeout`, `http_5xx`, ...).
    pub errors_by_class: BTreeMap<String, u64>,
    /// The request's latency: from the iteration's intended start for the
    /// first named request of an iteration (corrected for coordinated
    /// omission, as the iteration's own latency), from its own start for
    /// the later ones.
    pub latency: Percentiles,
}

impl RequestStats {
    fn from_tally(r: &RequestTally) -> Self {
        RequestStats {
            count: r.count,
            errors: r.errors,
            error_rate: share(r.errors, r.count),
            errors_by_class: r.errors_by_class.clone(),
            latency: Percentiles::of(&r.latency),
        }
    }

    /// The error class with the most errors (the first by name on a tie),
    /// `None` when the request never failed.
    #[must_use]
    pub fn top_error_class(&self) -> Option<(&str, u64)> {
        self.errors_by_class
            .iter()
            .fold(None, |best: Option<(&str, u64)>, (k, &n)| match best {
                Some((_, m)) if m >= n => best,
                _ => Some((k.as_str(), n)),
            })
    }

    /// The most frequent error class as a table cell: `timeout ×3`, or
    /// `—` when the request had no errors.
    #[must_use]
    pub fn top_error_text(&self) -> String {
        self.top_error_class()
            .map_or_else(|| "—".to_owned(), |(k, n)| format!("{k} ×{n}"))
    }
}

/// `part / whole`, 0 when `whole` is 0 (an error rate of nothing is 0).
fn share(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

impl Stats {
    pub(crate) fn from_tally(acc: &Tally, span: Duration, target: f64) -> Self {
        let per_sec = |n: u64| {
            if span.is_zero() {
                0.0
            } else {
                n as f64 / span.as_secs_f64()
            }
        };
        let (latency, service_time, schedule_lag) =
            acc.hists().map_or_else(Default::default, |h| {
                (
                    Percentiles::of(&h.latency),
                    Percentiles::of(&h.service),
                    Percentiles::of(&h.lag),
                )
            });
        let started = acc.scheduled.saturating_sub(acc.dropped);
        Stats {
            scheduled: acc.scheduled,
            started,
            dropped: acc.dropped,
            completed: acc.completed,
            errors: acc.errors,
            error_rate: share(acc.errors, acc.completed),
            target,
            achieved_rate: per_sec(started),
            throughput: per_sec(acc.completed - acc.errors),
            span,
            latency,
            service_time,
            schedule_lag,
            errors_by_class: acc.errors_by_class.clone(),
            http_statuses: acc.http_statuses.clone(),
            error_samples: acc.error_samples.clone(),
            counters: acc
                .counters
                .iter()
                .map(|(k, v)| (k.to_string(), *v))
                .collect(),
            gauges: acc
                .gauges
                .iter()
                .map(|(k, g)| {
                    (
                        k.to_string(),
                        GaugeStats {
                            last: g.last,
                            min: g.min,
                            max: g.max,
                        },
                    )
                })
                .collect(),
            tags: acc
                .tags
                .iter()
                .map(|(k, values)| {
                    let values = values
                        .iter()
                        .map(|(v, t)| {
                            (
                                v.clone(),
                                TagStats {
                                    count: t.count,
                                    errors: t.errors,
                                    p50_us: t.latency.value_at_quantile(0.5),
                                    p95_us: t.latency.value_at_quantile(0.95),
                                    p99_us: t.latency.value_at_quantile(0.99),
                                },
                            )
                        })
                        .collect();
                    (k.to_string(), values)
                })
                .collect(),
            out_of_range: acc.out_of_range,
            metrics: acc
                .metrics
                .iter()
                .map(|(k, h)| (k.to_string(), Percentiles::of(h)))
                .collect(),
            requests: acc
                .requests
                .iter()
                .map(|(k, r)| (k.to_string(), RequestStats::from_tally(r)))
                .collect(),
        }
    }

    /// The numbers of one named request ([`Ctx::request`](crate::Ctx::request),
    /// a [`named`](crate::named) workload), `None` when it never finished.
    #[must_use]
    pub fn request(&self, name: &str) -> Option<&RequestStats> {
        self.requests.get(name)
    }

    /// A user counter (0 when never counted).
    #[must_use]
    pub fn counter(&self, name: &str) -> u64 {
        self.counters.get(name).copied().unwrap_or(0)
    }

    /// The largest value a gauge of a count took (connections open, pool
    /// waiters), as a whole number; 0 when it was never set.
    ///
    /// ```
    /// use spike_core::{ms, rps, Ctx, Scenario, Shape};
    /// # tokio::runtime::Builder::new_multi_thread().enable_time().build().unwrap().block_on(async {
    /// let shape = Shape::builder().hold(rps(100), ms(200)).build().unwrap();
    /// let report = Scenario::new("doc")
    ///     .shape(shape)
    ///     .run(|ctx: Ctx| async move { ctx.gauge("open", (ctx.iteration() % 7) as f64) })
    ///     .await
    ///     .unwrap();
    /// assert_eq!(report.total.gauge_peak("open"), 6); // 20 iterations: 0..=6
    /// assert_eq!(report.total.gauge_peak("never_set"), 0);
    /// # });
    /// ```
    #[must_use]
    pub fn gauge_peak(&self, name: &str) -> u64 {
        self.gauges.get(name).map_or(0, |g| g.max.max(0.0) as u64)
    }

    /// `counter(numerator) / counter(denominator)`, `None` when the
    /// denominator is zero.
    #[must_use]
    pub fn ratio(&self, numerator: &str, denominator: &str) -> Option<f64> {
        let d = self.counter(denominator);
        (d > 0).then(|| self.counter(numerator) as f64 / d as f64)
    }

    /// Percentiles of a duration the workload recorded with `ctx.record`.
    #[must_use]
    pub fn metric(&self, name: &str) -> Option<&Percentiles> {
        self.metrics.get(name)
    }

    /// Errors of one class key.
    #[must_use]
    pub fn errors_of(&self, class: &str) -> u64 {
        self.errors_by_class.get(class).copied().unwrap_or(0)
    }

    /// Share of each value of a tag key among the iterations that carried it.
    #[must_use]
    pub fn tag_shares(&self, key: &str) -> BTreeMap<String, f64> {
        let Some(values) = self.tags.get(key) else {
            return BTreeMap::new();
        };
        let total: u64 = values.values().map(|t| t.count).sum();
        values
            .iter()
            .map(|(v, t)| (v.clone(), t.count as f64 / total.max(1) as f64))
            .collect()
    }
}

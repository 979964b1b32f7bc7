//! What a check measures in a set of iterations, and how to read it from
//! the stats of a scope.

use spike_core::{Quantile, RequestStats, Stats};

use crate::units::{us_of, Kind};

/// What a check measures of one named request (`expect(..).request(name)`):
/// the numbers a [`RequestStats`] holds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RequestMetric {
    ErrorRate,
    Latency(Quantile),
    Errors(String),
    Count,
}

/// What a check measures in a set of iterations.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Quantity {
    ErrorRate,
    Latency(Quantile),
    ServiceTime(Quantile),
    /// A duration the workload recorded with `ctx.record(name, ..)`.
    Recorded(String, Quantile),
    Throughput,
    Dropped,
    Errors(String),
    Ratio(String, String),
    TagShare(String),
    /// One metric of one named request.
    Request(String, RequestMetric),
}

/// The numbers of request `name` in `s`; all zero when it did not finish
/// there (the stats keep only the requests that did).
fn request<'s>(s: &'s Stats, name: &str) -> std::borrow::Cow<'s, RequestStats> {
    s.requests
        .get(name)
        .map_or_else(Default::default, std::borrow::Cow::Borrowed)
}

impl Quantity {
    pub(crate) fn kind(&self) -> Kind {
        match self {
            Quantity::ErrorRate | Quantity::Ratio(..) | Quantity::TagShare(_) => Kind::Percent,
            Quantity::Latency(_) | Quantity::ServiceTime(_) | Quantity::Recorded(..) => {
                Kind::Duration
            }
            Quantity::Throughput => Kind::Rate,
            Quantity::Dropped | Quantity::Errors(_) => Kind::Count,
            Quantity::Request(_, m) => match m {
                RequestMetric::ErrorRate => Kind::Percent,
                RequestMetric::Latency(_) => Kind::Duration,
                RequestMetric::Errors(_) | RequestMetric::Count => Kind::Count,
            },
        }
    }

    pub(crate) fn name(&self) -> String {
        match self {
            Quantity::ErrorRate => "error rate".to_owned(),
            Quantity::Latency(q) => format!("latency {q}"),
            Quantity::ServiceTime(q) => format!("service time {q}"),
            Quantity::Recorded(name, q) => format!("{name} {q}"),
            Quantity::Throughput => "throughput".to_owned(),
            Quantity::Dropped => "dropped iterations".to_owned(),
            Quantity::Errors(class) => format!("errors {class}"),
            Quantity::Ratio(n, d) => format!("ratio {n}/{d}"),
            Quantity::TagShare(key) => format!("tag share {key}"),
            Quantity::Request(_, m) => match m {
                RequestMetric::ErrorRate => "error rate".to_owned(),
                RequestMetric::Latency(q) => format!("latency {q}"),
                RequestMetric::Errors(class) => format!("errors {class}"),
                RequestMetric::Count => "count".to_owned(),
            },
        }
    }

    /// The named request this quantity is of, if it is of one.
    pub(crate) fn request(&self) -> Option<&str> {
        match self {
            Quantity::Request(name, _) => Some(name),
            _ => None,
        }
    }

    /// The values of this metric in `s`: one, or one per tag value.
    pub(crate) fn observe(&self, s: &Stats) -> Result<Vec<(f64, Option<String>)>, String> {
        const NOTHING: &str = "no iteration completed";
        let one = |v: f64| Ok(vec![(v, None)]);
        match self {
            Quantity::ErrorRate if s.completed == 0 => Err(NOTHING.to_owned()),
            Quantity::ErrorRate => one(s.error_rate),
            Quantity::Latency(_) | Quantity::ServiceTime(_) if s.completed == 0 => {
                Err(NOTHING.to_owned())
            }
            Quantity::Latency(q) => one(us_of(s.latency.at(*q))),
            Quantity::ServiceTime(q) => one(us_of(s.service_time.at(*q))),
            Quantity::Recorded(name, q) => match s.metric(name) {
                Some(p) if p.count > 0 => one(us_of(p.at(*q))),
                _ if s.metrics.is_empty() => Err(format!("nothing was recorded as `{name}`")),
                _ => Err(format!(
                    "nothing was recorded as `{name}` (recorded: {})",
                    s.metrics.keys().cloned().collect::<Vec<_>>().join(", ")
                )),
            },
            Quantity::Throughput => one(s.throughput),
            Quantity::Dropped => one(s.dropped as f64),
            Quantity::Errors(class) => one(s.errors_of(class) as f64),
            Quantity::Ratio(n, d) => match s.ratio(n, d) {
                Some(r) => one(r),
                None => Err(format!(
                    "undefined: the denominator `{d}` is 0 ({n} = {})",
                    s.counter(n)
                )),
            },
            Quantity::TagShare(key) => {
                let shares = s.tag_shares(key);
                if shares.is_empty() {
                    return Err(format!("no iteration carried the tag `{key}`"));
                }
                Ok(shares
                    .into_iter()
                    .map(|(v, share)| (share, Some(v)))
                    .collect())
            }
            Quantity::Request(name, m) => {
                let r = request(s, name);
                let none = || Err(format!("no `{name}` request completed"));
                match m {
                    RequestMetric::ErrorRate | RequestMetric::Latency(_) if r.count == 0 => none(),
                    RequestMetric::ErrorRate => one(r.error_rate),
                    RequestMetric::Latency(q) => one(us_of(r.latency.at(*q))),
                    RequestMetric::Errors(class) => {
                        one(r.errors_by_class.get(class).copied().unwrap_or(0) as f64)
                    }
                    RequestMetric::Count => one(r.count as f64),
                }
            }
        }
    }

    /// How many samples the metric is computed from in `s`, for the metrics
    /// that are a statistic of samples (percentiles, error rate); `None` for
    /// counts, rates and ratios, which need no minimum.
    pub(crate) fn samples(&self, s: &Stats) -> Option<u64> {
        match self {
            Quantity::ErrorRate | Quantity::Latency(_) | Quantity::ServiceTime(_) => {
                Some(s.completed)
            }
            Quantity::Recorded(name, _) => Some(s.metric(name).map_or(0, |p| p.count)),
            Quantity::Throughput
            | Quantity::Dropped
            | Quantity::Errors(_)
            | Quantity::Ratio(..)
            | Quantity::TagShare(_) => None,
            Quantity::Request(name, m) => match m {
                RequestMetric::ErrorRate | RequestMetric::Latency(_) => {
                    Some(request(s, name).count)
                }
                RequestMetric::Errors(_) | RequestMetric::Count => None,
            },
        }
    }

    /// Whether a window in which this quantity has no sample at all is
    /// too thin to judge rather than failed. A window where iterations were
    /// due but none completed fails (that is an outage); a window where
    /// iterations completed but none of them made a named request only
    /// lacks samples of it (a mix picks a rare request in few windows).
    pub(crate) fn zero_is_thin(&self, s: &Stats) -> bool {
        matches!(self, Quantity::Request(..)) && s.completed > 0
    }

    /// A hint for a count of 0 of an error class that may be misspelled.
    pub(crate) fn hint(&self, s: &Stats) -> Option<String> {
        let requested;
        let (class, by_class) = match self {
            Quantity::Errors(class) => (class, &s.errors_by_class),
            Quantity::Request(name, RequestMetric::Errors(class)) => {
                requested = request(s, name);
                (class, &requested.errors_by_class)
            }
            _ => return None,
        };
        if by_class.get(class).copied().unwrap_or(0) > 0 || by_class.is_empty() {
            return None;
        }
        let seen: Vec<String> = by_class.iter().map(|(k, n)| format!("{k} {n}")).collect();
        Some(format!("classes seen: {}", seen.join(", ")))
    }
}

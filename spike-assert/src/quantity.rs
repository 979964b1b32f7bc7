//! What a check measures in a set of iterations, and how to read it from
//! the stats of a scope.

use spike_core::{Quantile, Stats};

use crate::units::{us_of, Kind};

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
        }
    }

    /// A hint for a count of 0 of an error class that may be misspelled.
    pub(crate) fn hint(&self, s: &Stats) -> Option<String> {
        let Quantity::Errors(class) = self else {
            return None;
        };
        if s.errors_of(class) > 0 || s.errors_by_class.is_empty() {
            return None;
        }
        let seen: Vec<String> = s
            .errors_by_class
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        Some(format!("classes seen: {}", seen.join(", ")))
    }
}

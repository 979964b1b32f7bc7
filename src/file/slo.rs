//! The file's `[[slo]]` entries: each bound read in the metric's unit and
//! checked where it is written, then applied as an assertion chain.

use std::time::Duration;

use spike_core::scenario_file::{closest, key, parse_duration, FileBound, FileMetric, FileSlo};
use spike_core::scenario_file::{FileSource, Seg};
use spike_core::{pct, Percent, SpikeError};

use crate::{Chain, Expect, Measure, Threshold};

/// A comparator with its bound(s).
#[derive(Debug, Clone, Copy)]
enum Cmp<T> {
    Below(T),
    AtMost(T),
    Above(T),
    AtLeast(T),
    Between(T, T),
}

impl<T: Threshold + Copy> Cmp<T> {
    fn apply<'r, C: Chain<'r>>(self, m: Measure<'r, T, C>) -> C {
        match self {
            Cmp::Below(t) => m.below(t),
            Cmp::AtMost(t) => m.at_most(t),
            Cmp::Above(t) => m.above(t),
            Cmp::AtLeast(t) => m.at_least(t),
            Cmp::Between(lo, hi) => m.between(lo, hi),
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Check {
    Latency(FileMetric, Cmp<Duration>),
    ErrorRate(Cmp<Percent>),
    Throughput(Cmp<f64>),
    Recovery(Duration),
}

/// One checked SLO.
#[derive(Debug, Clone)]
pub(super) struct Slo {
    check: Check,
    phase: Option<String>,
    request: Option<String>,
    every_window: bool,
}

/// Check every SLO: bounds in the metric's unit, phase and request names
/// that exist (with the closest one for a misspelt name).
pub(super) fn check(
    slos: &[FileSlo],
    src: &FileSource,
    phases: &[&str],
    requests: &[&str],
) -> Result<Vec<Slo>, SpikeError> {
    slos.iter()
        .enumerate()
        .map(|(i, s)| one(s, i, src, phases, requests))
        .collect()
}

fn one(
    s: &FileSlo,
    i: usize,
    src: &FileSource,
    phases: &[&str],
    requests: &[&str],
) -> Result<Slo, SpikeError> {
    let at = |k: &str| vec![key("slo"), Seg::Index(i), key(k)];
    let err = |k: &str, msg: String| src.error_at(&at(k), format!("slo {}: {msg}", i + 1), None);
    let bounds: Vec<(&str, &FileBound, Option<&FileBound>)> = [
        ("below", s.below.as_ref(), None),
        ("at_most", s.at_most.as_ref(), None),
        ("above", s.above.as_ref(), None),
        ("at_least", s.at_least.as_ref(), None),
        (
            "between",
            s.between.as_ref().map(|b| &b[0]),
            s.between.as_ref().map(|b| &b[1]),
        ),
        ("within", s.within.as_ref(), None),
    ]
    .into_iter()
    .filter_map(|(k, lo, hi)| lo.map(|lo| (k, lo, hi)))
    .collect();
    let [(which, lo, hi)] = bounds[..] else {
        return Err(err(
            "metric",
            format!(
                "give exactly one bound of `below`, `at_most`, `above`, `at_least`, `between` \
                 or (recovery) `within`; found {}",
                bounds.len()
            ),
        ));
    };
    let recovery = s.metric == FileMetric::Recovery;
    if (which == "within") != recovery {
        let msg = if recovery {
            "`recovery` takes `within = \"<duration>\"` only".to_owned()
        } else {
            format!(
                "`within` is for `recovery` only; use `at_most` for `{}`",
                name(s.metric)
            )
        };
        return Err(err(which, msg));
    }
    let check = match s.metric {
        FileMetric::Recovery => Check::Recovery(duration(lo).map_err(|m| err(which, m))?),
        FileMetric::ErrorRate => {
            Check::ErrorRate(cmp(which, lo, hi, percent).map_err(|m| err(which, m))?)
        }
        FileMetric::Throughput => {
            Check::Throughput(cmp(which, lo, hi, number).map_err(|m| err(which, m))?)
        }
        m => Check::Latency(m, cmp(which, lo, hi, duration).map_err(|m| err(which, m))?),
    };
    if s.request.is_some() && matches!(check, Check::Throughput(_) | Check::Recovery(_)) {
        let msg = format!(
            "`{}` is not measured per request: remove `request`",
            name(s.metric)
        );
        return Err(err("request", msg));
    }
    if recovery && (s.phase.is_some() || s.every_window) {
        let msg = "`recovery` is run-level: remove `phase` and `every_window`".to_owned();
        return Err(err(
            if s.phase.is_some() {
                "phase"
            } else {
                "every_window"
            },
            msg,
        ));
    }
    for (k, given, known) in [
        ("phase", &s.phase, phases),
        ("request", &s.request, requests),
    ] {
        if let Some(given) = given {
            if !known.contains(&given.as_str()) {
                let msg = format!(
                    "slo {}: no {k} is named `{given}` (the file has {})",
                    i + 1,
                    known
                        .iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                let hint = closest(given, known.iter().copied());
                return Err(src.error_at(&at(k), msg, hint));
            }
        }
    }
    Ok(Slo {
        check,
        phase: s.phase.clone(),
        request: s.request.clone(),
        every_window: s.every_window,
    })
}

fn name(m: FileMetric) -> &'static str {
    match m {
        FileMetric::P50 => "p50",
        FileMetric::P90 => "p90",
        FileMetric::P95 => "p95",
        FileMetric::P99 => "p99",
        FileMetric::P999 => "p999",
        FileMetric::Max => "max",
        FileMetric::ErrorRate => "error_rate",
        FileMetric::Throughput => "throughput",
        FileMetric::Recovery => "recovery",
    }
}

fn cmp<T>(
    which: &str,
    lo: &FileBound,
    hi: Option<&FileBound>,
    read: fn(&FileBound) -> Result<T, String>,
) -> Result<Cmp<T>, String> {
    let t = read(lo)?;
    Ok(match (which, hi) {
        ("below", _) => Cmp::Below(t),
        ("at_most", _) => Cmp::AtMost(t),
        ("above", _) => Cmp::Above(t),
        ("at_least", _) => Cmp::AtLeast(t),
        (_, Some(hi)) => Cmp::Between(t, read(hi)?),
        _ => Cmp::AtMost(t),
    })
}

fn duration(b: &FileBound) -> Result<Duration, String> {
    match b {
        FileBound::Text(t) => parse_duration(t),
        FileBound::Number(n) => Err(format!(
            "{n} has no unit: a latency bound is a duration, e.g. \"250ms\""
        )),
    }
}

fn percent(b: &FileBound) -> Result<Percent, String> {
    let text = match b {
        FileBound::Text(t) => t.trim(),
        FileBound::Number(n) => {
            return Err(format!(
                "{n} has no unit: an error rate is a percentage, e.g. \"2%\""
            ))
        }
    };
    match text.strip_suffix('%').map(|n| n.trim().parse::<f64>()) {
        Some(Ok(v)) if v.is_finite() && (0.0..=100.0).contains(&v) => Ok(pct(v)),
        _ => Err(format!(
            "`{text}` is not a percentage from 0% to 100%: write e.g. \"2%\" or \"0.5%\""
        )),
    }
}

fn number(b: &FileBound) -> Result<f64, String> {
    match b {
        FileBound::Number(n) if n.is_finite() && *n >= 0.0 => Ok(*n),
        FileBound::Number(n) => Err(format!("{n} must be a finite number, zero or above")),
        FileBound::Text(t) => Err(format!(
            "`{t}`: throughput is a number of iterations per second, without quotes"
        )),
    }
}

impl Slo {
    /// Add this SLO's check to the chain (scope first, then the metric).
    pub(super) fn apply<'r>(&self, chain: Expect<'r>) -> Expect<'r> {
        let chain = chain.run();
        if let Some(request) = &self.request {
            let mut r = chain.request(request);
            if let Some(p) = &self.phase {
                r = r.phase(p);
            }
            if self.every_window {
                r = r.every_window();
            }
            let r = match self.check {
                Check::Latency(m, c) => c.apply(match m {
                    FileMetric::P50 => r.p50(),
                    FileMetric::P90 => r.p90(),
                    FileMetric::P95 => r.p95(),
                    FileMetric::P99 => r.p99(),
                    FileMetric::P999 => r.p999(),
                    _ => r.max(),
                }),
                Check::ErrorRate(c) => c.apply(r.error_rate()),
                // Refused by `check` for a request scope.
                Check::Throughput(_) | Check::Recovery(_) => r,
            };
            return r.all_requests();
        }
        let mut e = chain;
        if let Some(p) = &self.phase {
            e = e.phase(p);
        }
        if self.every_window {
            e = e.every_window();
        }
        match self.check {
            Check::Latency(m, c) => c.apply(match m {
                FileMetric::P50 => e.p50(),
                FileMetric::P90 => e.p90(),
                FileMetric::P95 => e.p95(),
                FileMetric::P99 => e.p99(),
                FileMetric::P999 => e.p999(),
                _ => e.max(),
            }),
            Check::ErrorRate(c) => c.apply(e.error_rate()),
            Check::Throughput(c) => c.apply(e.throughput()),
            Check::Recovery(d) => e.recovery().within(d),
        }
    }
}

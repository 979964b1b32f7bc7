//! `capacity.html`: one self-contained page for a capacity search: the
//! verdict, latency p95 and error rate per step against the rate, and the
//! step table.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::charts::{fmt_ms, fmt_rate};
use super::html::CSS;
use super::svg::{esc, Chart, HLine, Marker, Scale, Series};
use crate::fmt::duration_us;
use crate::recording::histogram::micros;
use crate::report::write_atomic;
use crate::stress::outcome::{rate_text, CapacityReport, CapacityVerdict, StepRow, StepVerdict};

fn fmt_pct(v: f64) -> String {
    format!("{}%", (v * 10.0).round() / 10.0)
}

/// Steps that measured something, as (rate, y) points in rate order.
fn points(cap: &CapacityReport, y: impl Fn(&StepRow) -> f64) -> Vec<(f64, f64)> {
    let mut pts: Vec<(f64, f64)> = cap
        .steps
        .iter()
        .filter(|s| s.samples > 0)
        .map(|s| (s.rate, y(s)))
        .collect();
    pts.sort_by(|a, b| a.0.total_cmp(&b.0));
    pts
}

fn x_range(cap: &CapacityReport) -> (f64, f64) {
    let max = cap.steps.iter().map(|s| s.rate).fold(0.0, f64::max);
    (0.0, (max * 1.05).max(1.0))
}

fn markers(cap: &CapacityReport) -> Vec<Marker> {
    match &cap.verdict {
        CapacityVerdict::Capacity {
            rate, first_bad, ..
        } => vec![
            Marker {
                x: *rate,
                label: format!("R* {}", fmt_rate(*rate)),
                color: "#059669",
            },
            Marker {
                x: *first_bad,
                label: format!("first bad {}", fmt_rate(*first_bad)),
                color: "#dc2626",
            },
        ],
        CapacityVerdict::AtLeast { rate } => vec![Marker {
            x: *rate,
            label: format!("R* ≥ {}", fmt_rate(*rate)),
            color: "#059669",
        }],
        CapacityVerdict::BelowLowest { rate, .. } => vec![Marker {
            x: *rate,
            label: "lowest rate failed".to_owned(),
            color: "#dc2626",
        }],
        CapacityVerdict::Interrupted { at, .. } => vec![Marker {
            x: *at,
            label: format!("interrupted at {}", fmt_rate(*at)),
            color: "#92400e",
        }],
        CapacityVerdict::GeneratorBound { at, .. } => vec![Marker {
            x: *at,
            label: format!("generator-bound at {}", fmt_rate(*at)),
            color: "#92400e",
        }],
    }
}

fn chart(id: &'static str, title: &str, y_label: &str, y_format: fn(f64) -> String) -> Chart {
    Chart {
        id,
        title: title.to_owned(),
        x_label: "offered rate, iterations/s".to_owned(),
        y_label: y_label.to_owned(),
        x_scale: Scale::Linear,
        y_scale: Scale::Linear,
        x_range: (0.0, 1.0),
        bands: Vec::new(),
        faults: Vec::new(),
        series: Vec::new(),
        stacked: Vec::new(),
        markers: Vec::new(),
        hlines: Vec::new(),
        y_format,
        empty_note: "no step ran".to_owned(),
    }
}

/// The latency chart: p95 and p99 per step against the rate, with the SLO
/// bounds and the verdict's rates marked.
fn latency_chart(cap: &CapacityReport) -> Chart {
    let mut c = chart(
        "chart-capacity-latency",
        "Latency per step against the rate",
        "latency",
        fmt_ms,
    );
    c.y_scale = Scale::Log;
    c.x_range = x_range(cap);
    c.series = vec![
        Series {
            name: "p95".to_owned(),
            color: "#2563eb",
            points: points(cap, |s| s.p95_us as f64 / 1000.0),
            dashed: false,
            step: false,
        },
        Series {
            name: "p99".to_owned(),
            color: "#7c3aed",
            points: points(cap, |s| s.p99_us as f64 / 1000.0),
            dashed: true,
            step: false,
        },
    ];
    for (name, bound) in [("p95", cap.slo.p95), ("p99", cap.slo.p99)] {
        if let Some(d) = bound {
            c.hlines.push(HLine {
                y: d.as_secs_f64() * 1000.0,
                label: format!("SLO {name} {}", duration_us(micros(d))),
                color: "#b91c1c",
            });
        }
    }
    c.markers = markers(cap);
    c
}

/// The error chart: error rate per step against the rate.
fn error_chart(cap: &CapacityReport) -> Chart {
    let mut c = chart(
        "chart-capacity-errors",
        "Error rate per step against the rate",
        "error rate",
        fmt_pct,
    );
    c.x_range = x_range(cap);
    c.series = vec![Series {
        name: "error rate".to_owned(),
        color: "#dc2626",
        points: points(cap, |s| s.error_rate * 100.0),
        dashed: false,
        step: false,
    }];
    if let Some(e) = cap.slo.error_rate {
        c.hlines.push(HLine {
            y: e * 100.0,
            label: format!("SLO {:.2}%", e * 100.0),
            color: "#b91c1c",
        });
    }
    c.markers = markers(cap);
    c
}

/// The page for a capacity report, as HTML text.
#[must_use]
pub fn capacity_html(cap: &CapacityReport) -> String {
    let mut o = String::new();
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>spike capacity: {name}</title><style>{CSS}</style></head><body><h1>spike capacity: {name}</h1><p class=\"sub\">SLO: {slo} · precision {prec:.1}% · {n} steps</p>",
        name = esc(&cap.name),
        slo = esc(&cap.slo.to_string()),
        prec = cap.precision * 100.0,
        n = cap.steps.len(),
    );
    let class = match cap.verdict {
        CapacityVerdict::Capacity { precise: true, .. } | CapacityVerdict::AtLeast { .. } => "ok",
        CapacityVerdict::Capacity { .. } => "warn",
        _ => "bad",
    };
    let _ = write!(
        o,
        "<div><span class=\"verdict {class}\" id=\"capacity-verdict\">{}</span></div>",
        esc(&cap.verdict_text())
    );
    o.push_str(&latency_chart(cap).render());
    o.push_str(&error_chart(cap).render());
    o.push_str("<h2>Steps</h2><table id=\"steps\"><tr><th>step</th><th class=\"l\">run</th><th>rate</th><th>samples</th><th>p95</th><th>p99</th><th>error rate</th><th>served</th><th>dropped</th><th>lag p99</th><th class=\"l\">verdict</th><th class=\"l\">aborted</th></tr>");
    for s in &cap.steps {
        let cell = match s.verdict {
            StepVerdict::Good => "pass",
            _ => "fail",
        };
        let _ = write!(
            o,
            "<tr><td>{}</td><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.2}%</td><td>{}</td><td>{}</td><td>{}</td><td class=\"l {cell}\">{}</td><td class=\"l\">{}</td></tr>",
            s.step,
            esc(&s.scenario),
            rate_text(s.rate),
            s.samples,
            duration_us(s.p95_us),
            duration_us(s.p99_us),
            s.error_rate * 100.0,
            s.served_rate.map_or_else(|| "—".to_owned(), rate_text),
            s.dropped,
            duration_us(s.lag_p99_us),
            esc(&s.verdict.to_string()),
            s.aborted
                .as_ref()
                .map_or_else(String::new, |a| esc(&a.to_string())),
        );
    }
    o.push_str("</table>");
    let g = &cap.generator;
    let _ = write!(
        o,
        "<h2>Generator</h2><p class=\"note\" id=\"generator\">{} at the deciding steps {:?}: worst schedule-lag p99 {} (budget {}), pacer CPU {:.1}% of a core, {} dropped.</p></body></html>",
        if g.healthy { "Healthy" } else { "SATURATED" },
        g.steps,
        duration_us(g.worst_lag_p99_us),
        duration_us(g.lag_budget_us),
        g.worst_pacer_cpu * 100.0,
        g.dropped,
    );
    o.push('\n');
    o
}

/// Write `capacity.json` and `capacity.html` into `dir` (created if
/// missing), each atomically. Returns the page's path.
///
/// # Errors
/// Any I/O error.
pub fn write_capacity(cap: &CapacityReport, dir: &Path) -> std::io::Result<PathBuf> {
    cap.write_to(dir)?;
    write_atomic(dir, "capacity.html", capacity_html(cap).as_bytes())
}

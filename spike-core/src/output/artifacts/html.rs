//! `report.html`: one self-contained page (inline CSS and SVG, no script,
//! no network) that shows a run at a glance: load applied, latency over
//! time with the recovery point, errors per window, the latency
//! distribution, the checks and the environment.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use hdrhistogram::Histogram;

use super::hlog::merged_histogram;
use super::svg::{esc, percentile_x, Band, Bars, Chart, HLine, Marker, Scale, Series};
use crate::fmt::duration_us;
use crate::recording::histogram::micros;
use crate::report::Report;
use crate::shape::level::Model;
use crate::shape::PhaseKind;

const CSS: &str = r"
body{font-family:'Liberation Sans',Arial,Helvetica,sans-serif;margin:24px auto;max-width:1200px;color:#1f2937;background:#f8fafc}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px}
.sub{color:#4b5563;margin:0 0 12px}
.verdict{display:inline-block;padding:4px 10px;border-radius:4px;margin:4px 8px 4px 0;font-weight:bold}
.ok{background:#d1fae5;color:#065f46}.bad{background:#fee2e2;color:#991b1b}.warn{background:#fef3c7;color:#92400e}
table{border-collapse:collapse;background:#fff;margin:6px 0;font-size:13px}
th,td{border:1px solid #d1d5db;padding:4px 8px;text-align:right}th{background:#f3f4f6}
td.l,th.l{text-align:left}
td.pass{color:#065f46;font-weight:bold}td.fail{color:#991b1b;font-weight:bold}
svg.chart{display:block;background:#fff;border:1px solid #d1d5db;margin:8px 0;max-width:100%;height:auto}
svg .title{font-size:15px;font-weight:bold;fill:#111827}
svg .xtick{font-size:11px;text-anchor:middle;fill:#374151}
svg .ytick{font-size:11px;text-anchor:end;fill:#374151}
svg .xlabel,svg .ylabel{font-size:12px;text-anchor:middle;fill:#374151}
svg .bandlabel{font-size:11px;fill:#374151}
svg .legend{font-size:12px;fill:#111827}
svg .mlabel,svg .hlabel{font-size:12px;font-weight:bold}
svg .hlabel{text-anchor:end}
svg .empty{font-size:14px;text-anchor:middle;fill:#6b7280}
.note{color:#4b5563;font-size:13px}
";

fn phase_color(kind: PhaseKind) -> &'static str {
    match kind {
        PhaseKind::Ramp => "#e5e7eb",
        PhaseKind::Hold => "#dbeafe",
        PhaseKind::Burst => "#fecaca",
        PhaseKind::Recover => "#d1fae5",
    }
}

fn line_color(kind: PhaseKind) -> &'static str {
    match kind {
        PhaseKind::Ramp => "#6b7280",
        PhaseKind::Hold => "#2563eb",
        PhaseKind::Burst => "#dc2626",
        PhaseKind::Recover => "#059669",
    }
}

const CLASS_COLORS: [&str; 8] = [
    "#dc2626", "#f59e0b", "#7c3aed", "#0891b2", "#db2777", "#65a30d", "#92400e", "#475569",
];

fn fmt_rate(v: f64) -> String {
    if v >= 1000.0 {
        format!("{:.1}k", v / 1000.0)
    } else {
        format!("{}", (v * 10.0).round() / 10.0)
    }
}

fn fmt_ms(v: f64) -> String {
    if v <= 0.0 {
        "0".to_owned()
    } else if v >= 1000.0 {
        format!("{}s", (v / 100.0).round() / 10.0)
    } else if v >= 1.0 {
        format!("{}ms", (v * 10.0).round() / 10.0)
    } else {
        format!("{}µs", (v * 1000.0).round())
    }
}

fn fmt_count(v: f64) -> String {
    format!("{}", v.round())
}

fn phase_bands(report: &Report) -> Vec<Band> {
    report
        .phases
        .iter()
        .map(|p| Band {
            from: p.start.as_secs_f64(),
            to: (p.start + p.duration).as_secs_f64(),
            label: p.name.clone(),
            color: phase_color(p.kind),
        })
        .collect()
}

fn x_range(report: &Report) -> (f64, f64) {
    (0.0, report.shape.duration().as_secs_f64().max(1e-3))
}

fn rate_chart(report: &Report) -> Chart {
    let target: Vec<(f64, f64)> = report
        .phases
        .iter()
        .flat_map(|p| {
            [
                (p.start.as_secs_f64(), p.from.value()),
                ((p.start + p.duration).as_secs_f64(), p.to.value()),
            ]
        })
        .collect();
    let step = |f: fn(&crate::report::WindowStats) -> f64| -> Vec<(f64, f64)> {
        let mut pts: Vec<(f64, f64)> = report
            .windows
            .iter()
            .map(|w| (w.start.as_secs_f64(), f(w)))
            .collect();
        if let (Some(last), Some(&(_, y))) = (report.windows.last(), pts.last()) {
            pts.push((last.end.as_secs_f64(), y));
        }
        pts
    };
    let (title, target_name, y_label) = match report.model {
        Model::Open => (
            "Load: target, offered (by intended start) and served (by completion time)",
            "target rate",
            "iterations / s",
        ),
        Model::Closed => (
            "Load: virtual users (target), iterations started and completed per second",
            "target users",
            "users · iterations / s",
        ),
    };
    Chart {
        id: "chart-rate",
        title: title.to_owned(),
        x_label: "seconds since start".to_owned(),
        y_label: y_label.to_owned(),
        x_scale: Scale::Linear,
        y_scale: Scale::Linear,
        x_range: x_range(report),
        bands: phase_bands(report),
        series: vec![
            Series {
                name: target_name.to_owned(),
                color: "#111827",
                points: target,
                dashed: true,
                step: false,
            },
            Series {
                name: "offered (started / s, by intended start)".to_owned(),
                color: "#2563eb",
                points: step(crate::report::WindowStats::offered_rate),
                dashed: false,
                step: true,
            },
            Series {
                name: "served (completed / s, by completion time)".to_owned(),
                color: "#059669",
                points: step(crate::report::WindowStats::served_rate),
                dashed: false,
                step: true,
            },
        ],
        stacked: Vec::new(),
        markers: Vec::new(),
        hlines: Vec::new(),
        y_format: fmt_rate,
        empty_note: "no window closed".to_owned(),
    }
}

fn latency_chart(report: &Report) -> Chart {
    let pts = |f: fn(&crate::recording::histogram::Percentiles) -> u64| -> Vec<(f64, f64)> {
        report
            .windows
            .iter()
            .filter(|w| w.stats.latency.count > 0)
            .map(|w| {
                (
                    (w.start + (w.end - w.start) / 2).as_secs_f64(),
                    f(&w.stats.latency) as f64 / 1000.0,
                )
            })
            .collect()
    };
    let mut markers = Vec::new();
    let mut hlines = Vec::new();
    if let Some(r) = &report.recovery {
        markers.push(Marker {
            x: r.spike_end.as_secs_f64(),
            label: "spike end".to_owned(),
            color: "#dc2626",
        });
        match r.recovery_time {
            Some(t) => markers.push(Marker {
                x: (r.spike_end + t).as_secs_f64(),
                label: format!("recovered: +{:.2}s", t.as_secs_f64()),
                color: "#059669",
            }),
            None => markers.push(Marker {
                x: r.recover_end.as_secs_f64(),
                label: "not recovered".to_owned(),
                color: "#991b1b",
            }),
        }
        hlines.push(HLine {
            y: r.healthy_p95_us as f64 / 1000.0,
            label: format!("healthy p95 ≤ {}", duration_us(r.healthy_p95_us)),
            color: "#059669",
        });
    }
    Chart {
        id: "chart-latency",
        title: "Latency per window (intended start → completion), log scale".to_owned(),
        x_label: "seconds since start (window middle)".to_owned(),
        y_label: "latency".to_owned(),
        x_scale: Scale::Linear,
        y_scale: Scale::Log,
        x_range: x_range(report),
        bands: phase_bands(report),
        series: vec![
            Series {
                name: "p99".to_owned(),
                color: "#dc2626",
                points: pts(|p| p.p99_us),
                dashed: false,
                step: false,
            },
            Series {
                name: "p50".to_owned(),
                color: "#2563eb",
                points: pts(|p| p.p50_us),
                dashed: false,
                step: false,
            },
            Series {
                name: "p95".to_owned(),
                color: "#f59e0b",
                points: pts(|p| p.p95_us),
                dashed: false,
                step: false,
            },
        ],
        stacked: Vec::new(),
        markers,
        hlines,
        y_format: fmt_ms,
        empty_note: "no iteration completed".to_owned(),
    }
}

fn error_chart(report: &Report) -> Chart {
    let mut classes: Vec<&str> = report
        .windows
        .iter()
        .flat_map(|w| w.stats.errors_by_class.keys().map(String::as_str))
        .collect();
    classes.sort_unstable();
    classes.dedup();
    let stacked = classes
        .iter()
        .enumerate()
        .map(|(i, c)| Bars {
            name: (*c).to_owned(),
            color: CLASS_COLORS[i % CLASS_COLORS.len()],
            bars: report
                .windows
                .iter()
                .map(|w| {
                    (
                        w.start.as_secs_f64(),
                        w.end.as_secs_f64(),
                        w.stats.errors_of(c) as f64,
                    )
                })
                .collect(),
        })
        .collect();
    Chart {
        id: "chart-errors",
        title: "Errors per window, by class".to_owned(),
        x_label: "seconds since start".to_owned(),
        y_label: "errors".to_owned(),
        x_scale: Scale::Linear,
        y_scale: Scale::Linear,
        x_range: x_range(report),
        bands: phase_bands(report),
        series: Vec::new(),
        stacked,
        markers: Vec::new(),
        hlines: Vec::new(),
        y_format: fmt_count,
        empty_note: "no errors in any window".to_owned(),
    }
}

fn quantile_points(h: &Histogram<u64>, x_max: f64) -> Vec<(f64, f64)> {
    let mut pts: Vec<(f64, f64)> = Vec::new();
    for v in h.iter_quantiles(5) {
        let x = percentile_x(v.quantile_iterated_to() * 100.0).min(x_max);
        let y = h.highest_equivalent(v.value_iterated_to()) as f64 / 1000.0;
        if pts.last().is_some_and(|&(px, _)| px >= x_max && x >= x_max) {
            break;
        }
        pts.push((x, y));
    }
    pts
}

fn distribution_chart(report: &Report) -> (Chart, &'static str) {
    let mut series = Vec::new();
    let total = merged_histogram(report, None);
    let count = total
        .as_ref()
        .map_or(report.total.latency.count, Histogram::len);
    let x_max = (count.max(10) as f64).log10().ceil().clamp(2.0, 6.0);
    let source = if let Some(total) = &total {
        for p in &report.phases {
            if let Some(h) = merged_histogram(report, Some(&p.name)) {
                series.push(Series {
                    name: p.name.clone(),
                    color: line_color(p.kind),
                    points: quantile_points(&h, x_max),
                    dashed: true,
                    step: false,
                });
            }
        }
        series.push(Series {
            name: "whole run".to_owned(),
            color: "#111827",
            points: quantile_points(total, x_max),
            dashed: false,
            step: false,
        });
        "every recorded latency (the windows of latency.hlog merged)"
    } else {
        // A report read back from JSON keeps only the summary percentiles.
        let l = &report.total.latency;
        if l.count > 0 {
            series.push(Series {
                name: "whole run (summary percentiles)".to_owned(),
                color: "#111827",
                points: [
                    (0.0, l.min_us),
                    (50.0, l.p50_us),
                    (90.0, l.p90_us),
                    (95.0, l.p95_us),
                    (99.0, l.p99_us),
                    (99.9, l.p999_us),
                    (100.0, l.max_us),
                ]
                .iter()
                .map(|&(p, v)| (percentile_x(p).min(x_max), v as f64 / 1000.0))
                .collect(),
                dashed: false,
                step: false,
            });
        }
        "the summary percentiles of report.json (no histograms were kept)"
    };
    (
        Chart {
            id: "chart-distribution",
            title: "Latency by percentile (HdrHistogram plot, log percentile axis)".to_owned(),
            x_label: "percentile".to_owned(),
            y_label: "latency".to_owned(),
            x_scale: Scale::Percentile,
            y_scale: Scale::Linear,
            x_range: (0.0, x_max),
            bands: Vec::new(),
            series,
            stacked: Vec::new(),
            markers: Vec::new(),
            hlines: Vec::new(),
            y_format: fmt_ms,
            empty_note: "no iteration completed".to_owned(),
        },
        source,
    )
}

fn stats_row(
    o: &mut String,
    name: &str,
    model: Model,
    s: &crate::recording::stats::Stats,
    served: Option<f64>,
) {
    let served = served.map_or_else(|| "—".to_owned(), |r| format!("{r:.1}/s"));
    let _ = write!(
        o,
        "<tr><td class=\"l\">{}</td><td>{} {}</td><td>{:.1}/s</td><td>{}</td><td>{}</td><td>{}</td><td>{:.2}%</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        esc(name),
        fmt_rate(s.target),
        model.unit(),
        s.achieved_rate,
        served,
        s.completed,
        s.errors,
        s.error_rate * 100.0,
        duration_us(s.latency.p50_us),
        duration_us(s.latency.p95_us),
        duration_us(s.latency.p99_us),
        duration_us(s.latency.max_us),
        s.dropped,
    );
}

/// The page for a report, as HTML text.
#[must_use]
pub fn report_html(report: &Report) -> String {
    let mut o = String::new();
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>spike report: {}</title><style>{CSS}</style></head><body>",
        esc(&report.scenario)
    );
    let _ = write!(
        o,
        "<h1>spike report: {}</h1><p class=\"sub\">{} model · {} phases · {:.1}s planned, {:.1}s elapsed · {} windows</p>",
        esc(&report.scenario),
        report.model,
        report.phases.len(),
        report.shape.duration().as_secs_f64(),
        report.elapsed.as_secs_f64(),
        duration_us(micros(report.window)),
    );
    // Verdict badges.
    o.push_str("<div id=\"verdicts\">");
    match &report.recovery {
        Some(r) => match r.recovery_time {
            Some(t) => {
                let _ = write!(
                    o,
                    "<span class=\"verdict ok\">recovered {:.2}s after the spike</span>",
                    t.as_secs_f64()
                );
            }
            None => {
                let _ = write!(
                    o,
                    "<span class=\"verdict bad\">did not recover within the {:.1}s recover phase</span>",
                    (r.recover_end - r.spike_end).as_secs_f64()
                );
            }
        },
        None => o.push_str("<span class=\"verdict warn\">recovery not measured (no burst followed by recover)</span>"),
    }
    let failed = report.checks.iter().filter(|c| !c.passed).count();
    if !report.checks.is_empty() {
        let _ = write!(
            o,
            "<span class=\"verdict {}\">checks: {} passed, {} failed</span>",
            if failed == 0 { "ok" } else { "bad" },
            report.checks.len() - failed,
            failed
        );
    }
    let _ = write!(
        o,
        "<span class=\"verdict {}\">error rate {:.2}%</span>",
        if report.total.errors == 0 {
            "ok"
        } else {
            "warn"
        },
        report.total.error_rate * 100.0
    );
    if report.generator.saturated {
        o.push_str("<span class=\"verdict bad\">generator SATURATED: the load applied is not the load asked for</span>");
    }
    if let Some(why) = &report.interrupted {
        let _ = write!(
            o,
            "<span class=\"verdict bad\">interrupted: {}</span>",
            esc(why)
        );
    }
    o.push_str("</div>");

    // Summary table.
    o.push_str("<h2>Phases</h2><table id=\"phases\"><tr><th class=\"l\">phase</th><th>target</th><th title=\"iterations started per second, counted by intended start\">offered</th><th title=\"iterations completed per second, counted by completion time, over the windows wholly inside the phase\">served</th><th>done</th><th>errors</th><th>error rate</th><th>p50</th><th>p95</th><th>p99</th><th>max</th><th>dropped</th></tr>");
    for p in &report.phases {
        let served = report.served_rate_between(p.start, p.start + p.duration);
        stats_row(&mut o, &p.name, report.model, &p.stats, served);
    }
    let served = report.served_rate_between(std::time::Duration::ZERO, report.shape.duration());
    stats_row(&mut o, "total", report.model, &report.total, served);
    o.push_str("</table>");

    o.push_str("<h2>Load</h2>");
    o.push_str(&rate_chart(report).render());
    o.push_str("<h2>Latency over time</h2>");
    o.push_str(&latency_chart(report).render());
    if let Some(r) = &report.recovery {
        let _ = write!(
            o,
            "<p class=\"note\">Healthy window: p95 ≤ {} and error rate ≤ {:.2}% (baseline phase <b>{}</b>: p95 {}, tolerance +{:.0}%, slack {}, {} windows in a row). Unhealthy windows in <b>{}</b>: {}.</p>",
            duration_us(r.healthy_p95_us),
            r.healthy_error_rate * 100.0,
            esc(&r.baseline_phase),
            duration_us(r.baseline_p95_us),
            r.criteria.tolerance * 100.0,
            duration_us(micros(r.criteria.slack)),
            r.criteria.sustain,
            esc(&r.recover_phase),
            if r.unhealthy_windows.is_empty() {
                "none".to_owned()
            } else {
                r.unhealthy_windows
                    .iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        );
    }
    o.push_str("<h2>Errors</h2>");
    o.push_str(&error_chart(report).render());
    if !report.total.errors_by_class.is_empty() {
        o.push_str("<table id=\"errors\"><tr><th class=\"l\">class</th><th>count</th><th class=\"l\">sample</th></tr>");
        for (class, n) in &report.total.errors_by_class {
            let _ = write!(
                o,
                "<tr><td class=\"l\">{}</td><td>{n}</td><td class=\"l\">{}</td></tr>",
                esc(class),
                esc(report
                    .total
                    .error_samples
                    .get(class)
                    .map_or("", String::as_str))
            );
        }
        o.push_str("</table>");
    }
    o.push_str("<h2>Latency distribution</h2>");
    let (dist, source) = distribution_chart(report);
    o.push_str(&dist.render());
    let _ = write!(o, "<p class=\"note\">From {source}.</p>");

    // Checks.
    o.push_str("<h2>Checks</h2>");
    if report.checks.is_empty() {
        o.push_str("<p class=\"note\" id=\"checks\">No checks recorded with this report yet: assertions add theirs when they run.</p>");
    } else {
        o.push_str("<table id=\"checks\"><tr><th class=\"l\">check</th><th class=\"l\">scope</th><th class=\"l\">expected</th><th class=\"l\">actual</th><th class=\"l\">verdict</th></tr>");
        for c in &report.checks {
            let _ = write!(
                o,
                "<tr><td class=\"l\">{}</td><td class=\"l\">{}</td><td class=\"l\">{}</td><td class=\"l\">{}</td><td class=\"l {}\">{}</td></tr>",
                esc(&c.check),
                esc(&c.scope),
                esc(&c.expected),
                esc(&c.actual),
                if c.passed { "pass" } else { "fail" },
                if c.passed { "pass" } else { "FAIL" }
            );
        }
        o.push_str("</table>");
    }

    // Generator and environment.
    let g = &report.generator;
    let e = &report.environment;
    o.push_str("<h2>Generator and environment</h2><table id=\"environment\">");
    let rows: Vec<(&str, String)> = vec![
        ("schedule lag p99", duration_us(g.schedule_lag.p99_us)),
        ("lag budget", duration_us(g.lag_budget_us)),
        ("dropped iterations", g.dropped.to_string()),
        (
            "max in flight / cap",
            format!("{} / {}", g.max_in_flight, g.in_flight_cap),
        ),
        ("cut by drain timeout", g.drain_timeouts.to_string()),
        ("abandoned", g.abandoned.to_string()),
        ("late records", g.late_records.to_string()),
        ("cores", e.cores.to_string()),
        ("build profile", e.build_profile.clone()),
        ("spike version", e.spike_version.clone()),
        ("os", e.os.clone()),
        ("rate scale (SPIKE_SCALE)", e.rate_scale.to_string()),
        ("time scale (SPIKE_TIME_SCALE)", e.time_scale.to_string()),
        ("started (Unix ms)", e.started_at_unix_ms.to_string()),
    ];
    for (k, v) in rows {
        let _ = write!(
            o,
            "<tr><th class=\"l\">{}</th><td class=\"l\">{}</td></tr>",
            esc(k),
            esc(&v)
        );
    }
    o.push_str("</table>");
    o.push_str("<p class=\"note\">Files beside this page: report.json (all numbers), timeline.csv (one row per window), latency.hlog (HdrHistogram interval log, µs, one histogram per window and phase).</p>");
    o.push_str("</body></html>\n");
    o
}

/// Write `report.html` into `dir` atomically; returns the path.
///
/// # Errors
/// Any I/O error.
pub fn write_html(report: &Report, dir: &Path) -> std::io::Result<PathBuf> {
    crate::report::write_atomic(dir, "report.html", report_html(report).as_bytes())
}

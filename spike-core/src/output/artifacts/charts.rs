//! The charts of `report.html`: load, latency over time, errors and the
//! latency distribution, as [`Chart`]s the page renders inline.

use hdrhistogram::Histogram;

use super::hlog::merged_histogram;
use super::svg::{percentile_x, Band, Bars, Chart, HLine, Marker, Scale, Series};
use crate::fmt::duration_us;
use crate::report::Report;
use crate::shape::level::Model;
use crate::shape::PhaseKind;

pub(super) fn phase_color(kind: PhaseKind) -> &'static str {
    match kind {
        PhaseKind::Ramp => "#e5e7eb",
        PhaseKind::Hold => "#dbeafe",
        PhaseKind::Burst => "#fecaca",
        PhaseKind::Recover => "#d1fae5",
    }
}

pub(super) fn line_color(kind: PhaseKind) -> &'static str {
    match kind {
        PhaseKind::Ramp => "#6b7280",
        PhaseKind::Hold => "#2563eb",
        PhaseKind::Burst => "#dc2626",
        PhaseKind::Recover => "#059669",
    }
}

pub(super) const CLASS_COLORS: [&str; 8] = [
    "#dc2626", "#f59e0b", "#7c3aed", "#0891b2", "#db2777", "#65a30d", "#92400e", "#475569",
];

pub(super) fn fmt_rate(v: f64) -> String {
    if v >= 1000.0 {
        format!("{:.1}k", v / 1000.0)
    } else {
        format!("{}", (v * 10.0).round() / 10.0)
    }
}

pub(super) fn fmt_ms(v: f64) -> String {
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

pub(super) fn fmt_count(v: f64) -> String {
    format!("{}", v.round())
}

pub(super) fn phase_bands(report: &Report) -> Vec<Band> {
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

/// The intervals each fault was active (actual edges), for the time charts.
pub(super) fn fault_bands(report: &Report) -> Vec<Band> {
    report
        .faults
        .iter()
        .filter_map(|f| {
            let from = f.actual_start?;
            let to = f.actual_end.unwrap_or(report.shape.duration());
            Some(Band {
                from: from.as_secs_f64(),
                to: to.as_secs_f64(),
                label: format!("fault {}", f.name),
                color: "#dc2626",
            })
        })
        .collect()
}

pub(super) fn x_range(report: &Report) -> (f64, f64) {
    (0.0, report.shape.duration().as_secs_f64().max(1e-3))
}

pub(super) fn rate_chart(report: &Report) -> Chart {
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
        faults: fault_bands(report),
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

pub(super) fn latency_chart(report: &Report) -> Chart {
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
        faults: fault_bands(report),
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

pub(super) fn error_chart(report: &Report) -> Chart {
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
        faults: fault_bands(report),
        series: Vec::new(),
        stacked,
        markers: Vec::new(),
        hlines: Vec::new(),
        y_format: fmt_count,
        empty_note: "no errors in any window".to_owned(),
    }
}

pub(super) fn quantile_points(h: &Histogram<u64>, x_max: f64) -> Vec<(f64, f64)> {
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

pub(super) fn distribution_chart(report: &Report) -> (Chart, &'static str) {
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
            faults: Vec::new(),
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

/// Per named request, p95 latency of each window it ran in (log scale).
pub(super) fn requests_chart(report: &Report) -> Chart {
    let series = report
        .total
        .requests
        .keys()
        .enumerate()
        .map(|(i, name)| Series {
            name: name.clone(),
            color: CLASS_COLORS[i % CLASS_COLORS.len()],
            points: report
                .windows
                .iter()
                .filter_map(|w| {
                    let r = w.stats.request(name)?;
                    (r.count > 0).then(|| {
                        (
                            (w.start + (w.end - w.start) / 2).as_secs_f64(),
                            r.latency.p95_us as f64 / 1000.0,
                        )
                    })
                })
                .collect(),
            dashed: i >= CLASS_COLORS.len(),
            step: false,
        })
        .collect();
    Chart {
        id: "chart-requests",
        title: "p95 latency per named request and window, log scale".to_owned(),
        x_label: "seconds since start (window middle)".to_owned(),
        y_label: "p95 latency".to_owned(),
        x_scale: Scale::Linear,
        y_scale: Scale::Log,
        x_range: x_range(report),
        bands: phase_bands(report),
        faults: fault_bands(report),
        series,
        stacked: Vec::new(),
        markers: Vec::new(),
        hlines: Vec::new(),
        y_format: fmt_ms,
        empty_note: "no named request completed".to_owned(),
    }
}

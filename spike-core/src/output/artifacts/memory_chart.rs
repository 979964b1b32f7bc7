//! The "Resources" section of `report.html`: one memory chart per sampled
//! series (RSS per window, with the Theil–Sen trend over the judged
//! windows dashed on top), and a table of each series' verdict.

use std::fmt::Write as _;

use super::charts::{fault_bands, phase_bands, x_range, CLASS_COLORS};
use super::svg::{esc, Chart, Scale, Series};
use crate::report::Report;
use crate::soak::{
    fmt_bytes, memory_points, memory_verdict, series_names, slope_median, SoakCriteria,
};

/// Chart ids: one per series, in name order (a page shows at most this
/// many memory charts; the table lists every series).
const IDS: [&str; 8] = [
    "chart-memory-0",
    "chart-memory-1",
    "chart-memory-2",
    "chart-memory-3",
    "chart-memory-4",
    "chart-memory-5",
    "chart-memory-6",
    "chart-memory-7",
];

fn fmt_bytes_axis(v: f64) -> String {
    fmt_bytes(v)
}

/// The first and last value of `f` over the windows that have `series`.
fn first_last(
    report: &Report,
    series: &str,
    f: fn(&crate::soak::ResourceSample) -> Option<u64>,
) -> Option<(u64, u64)> {
    let mut it = report
        .windows
        .iter()
        .filter_map(|w| w.resources.get(series).and_then(f));
    let first = it.next()?;
    Some((first, it.next_back().unwrap_or(first)))
}

fn memory_chart(report: &Report, series: &str, id: &'static str, color: &'static str) -> Chart {
    let points: Vec<(f64, f64)> = report
        .windows
        .iter()
        .filter_map(|w| {
            w.resources
                .get(series)
                .map(|s| (w.end.as_secs_f64(), s.rss_bytes as f64))
        })
        .collect();
    let mut lines = vec![Series {
        name: format!("{series} RSS (at each window's end)"),
        color,
        points,
        dashed: false,
        step: false,
    }];
    let criteria = SoakCriteria::default();
    if let Ok(v) = memory_verdict(report, series, criteria) {
        // The Theil–Sen line: through the median of y − slope·(x − mid).
        let mid = (v.from_s + v.to_s) / 2.0;
        let (judged, _) = memory_points(report, series, criteria.warm_up);
        let offsets: Vec<f64> = judged
            .iter()
            .map(|&(x, y)| y - v.slope.estimate * (x - mid))
            .collect();
        let level = slope_median(&offsets).unwrap_or(v.first_bytes);
        lines.push(Series {
            name: format!(
                "trend {}/s (after the warm-up)",
                fmt_bytes(v.slope.estimate)
            ),
            color: "#111827",
            points: vec![
                (v.from_s, level + v.slope.estimate * (v.from_s - mid)),
                (v.to_s, level + v.slope.estimate * (v.to_s - mid)),
            ],
            dashed: true,
            step: false,
        });
    }
    let counts = |label: &str, f: fn(&crate::soak::ResourceSample) -> Option<u64>| {
        first_last(report, series, f).map_or(String::new(), |(a, b)| format!(", {label} {a}→{b}"))
    };
    Chart {
        id,
        title: format!(
            "Memory of `{series}` per window{}{}",
            counts("fds", |s| s.fds),
            counts("threads", |s| s.threads)
        ),
        x_label: "seconds since start (window end)".to_owned(),
        y_label: "bytes".to_owned(),
        x_scale: Scale::Linear,
        y_scale: Scale::Linear,
        x_range: x_range(report),
        bands: phase_bands(report),
        faults: fault_bands(report),
        series: lines,
        stacked: Vec::new(),
        markers: Vec::new(),
        hlines: Vec::new(),
        y_format: fmt_bytes_axis,
        empty_note: "no sample".to_owned(),
    }
}

/// The section (nothing when no resource was sampled).
pub(super) fn resources_section(o: &mut String, report: &Report) {
    let names = series_names(report);
    if names.is_empty() {
        return;
    }
    let criteria = SoakCriteria::default();
    o.push_str("<h2>Resources</h2>");
    for (i, (name, id)) in names.iter().zip(IDS).enumerate() {
        o.push_str(&memory_chart(report, name, id, CLASS_COLORS[i % CLASS_COLORS.len()]).render());
    }
    let _ = write!(
        o,
        "<table id=\"resources\"><tr><th class=\"l\">series</th><th>samples</th><th>gaps</th><th>first</th><th>last</th><th>peak</th><th>growth</th><th>slope /s [95% band]</th><th class=\"l\">verdict (after {:.0}s warm-up, floor {})</th></tr>",
        criteria.warm_up.as_secs_f64(),
        fmt_bytes(criteria.leak_floor_bytes as f64)
    );
    for name in &names {
        match memory_verdict(report, name, criteria) {
            Ok(v) => {
                let _ = write!(
                    o,
                    "<tr><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} [{} … {}]</td><td class=\"l\">{}</td></tr>",
                    esc(name),
                    v.samples,
                    v.gaps,
                    fmt_bytes(v.first_bytes),
                    fmt_bytes(v.last_bytes),
                    fmt_bytes(v.peak_bytes),
                    fmt_bytes(v.growth_bytes),
                    fmt_bytes(v.slope.estimate),
                    fmt_bytes(v.slope.low),
                    fmt_bytes(v.slope.high),
                    if v.leaking { "leaking" } else { "not leaking" }
                );
            }
            Err(e) => {
                let _ = write!(
                    o,
                    "<tr><td class=\"l\">{}</td><td colspan=\"8\" class=\"l\">{}</td></tr>",
                    esc(name),
                    esc(&e.to_string())
                );
            }
        }
    }
    o.push_str("</table>");
}

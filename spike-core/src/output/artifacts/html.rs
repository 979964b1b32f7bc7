//! `report.html`: one self-contained page (inline CSS and SVG, no script,
//! no network) that shows a run at a glance: load applied, latency over
//! time with the recovery point, errors per window, the latency
//! distribution, the checks and the environment.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::charts::{
    distribution_chart, error_chart, fmt_rate, latency_chart, rate_chart, requests_chart,
};
use super::svg::esc;
use crate::fmt::duration_us;
use crate::recording::histogram::micros;
use crate::report::Report;
use crate::shape::level::Model;

pub(super) const CSS: &str = r"
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
svg .faultlabel{font-size:11px;font-weight:bold;fill:#b91c1c}
svg .empty{font-size:14px;text-anchor:middle;fill:#6b7280}
.note{color:#4b5563;font-size:13px}
";

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

/// The named requests: p95 per window, and a table per phase and for the
/// run (only when the run has named requests).
fn requests_section(o: &mut String, report: &Report) {
    if report.total.requests.is_empty() {
        return;
    }
    o.push_str("<h2>Requests</h2>");
    o.push_str(&requests_chart(report).render());
    o.push_str("<table id=\"requests\"><tr><th class=\"l\">request</th><th class=\"l\">scope</th><th>count</th><th>errors</th><th>error rate</th><th>p50</th><th>p95</th><th>p99</th><th>max</th><th class=\"l\">top error class</th></tr>");
    let mut row = |name: &str, scope: &str, r: &crate::recording::stats::RequestStats| {
        let top = r.top_error_text();
        let _ = write!(
            o,
            "<tr><td class=\"l\">{}</td><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{:.2}%</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"l\">{}</td></tr>",
            esc(name),
            esc(scope),
            r.count,
            r.errors,
            r.error_rate * 100.0,
            duration_us(r.latency.p50_us),
            duration_us(r.latency.p95_us),
            duration_us(r.latency.p99_us),
            duration_us(r.latency.max_us),
            esc(&top),
        );
    };
    if report.phases.len() > 1 {
        for p in &report.phases {
            for (name, r) in &p.stats.requests {
                row(name, &p.name, r);
            }
        }
    }
    for (name, r) in &report.total.requests {
        row(name, "total", r);
    }
    o.push_str("</table><p class=\"note\">A request's latency counts from the iteration's intended start for the first named request of an iteration, from its own start for the later ones.</p>");
}

/// The faults of the run, one row each (nothing without faults): planned
/// and actual interval, edge error, recovery from its end. The time charts
/// shade the same intervals.
fn faults_section(o: &mut String, report: &Report) {
    if report.faults.is_empty() {
        return;
    }
    let secs = |d: std::time::Duration| format!("{:.3}s", d.as_secs_f64());
    o.push_str("<h2>Faults</h2><table id=\"faults\"><tr><th class=\"l\">fault</th><th class=\"l\">what it does</th><th>planned</th><th>actual</th><th>edge error</th><th class=\"l\">recovery from its end</th></tr>");
    for f in &report.faults {
        let actual = match (f.actual_start, f.actual_end) {
            (Some(on), Some(off)) => format!(
                "{}–{}{}",
                secs(on),
                secs(off),
                if f.stopped_at_run_end {
                    " (stopped at the run's end)"
                } else {
                    ""
                }
            ),
            (Some(on), None) => format!("{}–", secs(on)),
            _ => "never started".to_owned(),
        };
        let recovery = match report.recovery_from(&f.name) {
            Some(r) if !r.measured() => "not measured (no window before it)".to_owned(),
            Some(r) => match r.recovery_time {
                Some(t) => format!("recovered {:.2}s after it ended", t.as_secs_f64()),
                None => format!(
                    "did not recover in the {:.1}s after it ended",
                    r.until.saturating_sub(r.fault_end).as_secs_f64()
                ),
            },
            None => "—".to_owned(),
        };
        let _ = write!(
            o,
            "<tr><td class=\"l\">{}</td><td class=\"l\">{}</td><td>{}–{}</td><td>{}</td><td>{}</td><td class=\"l\">{}</td></tr>",
            esc(&f.name),
            esc(&f.description),
            secs(f.planned_start),
            secs(f.planned_end),
            actual,
            f.edge_error().map_or_else(|| "—".to_owned(), |e| duration_us(micros(e))),
            esc(&recovery),
        );
    }
    o.push_str("</table>");
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
    if let Some(shard) = &report.shard {
        let _ = write!(
            o,
            "<p class=\"sub\" id=\"shard\">{}; this report counts only its share</p>",
            esc(&shard.describe())
        );
    }
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
    if let Some(aborted) = &report.aborted {
        let _ = write!(
            o,
            "<span class=\"verdict bad\" id=\"aborted\">aborted by rule: {}</span>",
            esc(&aborted.to_string())
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

    faults_section(&mut o, report);
    o.push_str("<h2>Load</h2>");
    o.push_str(&rate_chart(report).render());
    o.push_str("<h2>Latency over time</h2>");
    o.push_str(&latency_chart(report).render());
    if let Some(r) = &report.recovery {
        let _ = write!(
            o,
            "<p class=\"note\">Healthy window: p95 ≤ {} and error rate ≤ {:.2}% (reference phase <b>{}</b>: p95 {}, tolerance +{:.0}%, slack {}, {} windows in a row). Unhealthy windows in <b>{}</b>: {}.</p>",
            duration_us(r.healthy_p95_us),
            r.healthy_error_rate * 100.0,
            esc(&r.reference_phase),
            duration_us(r.reference_p95_us),
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
    requests_section(&mut o, report);
    super::memory_chart::resources_section(&mut o, report);
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
        (
            "pacer CPU (share of one core)",
            format!("{:.2}%", g.pacer_cpu * 100.0),
        ),
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
    o.push_str("<p class=\"note\">Files beside this page: report.json (all numbers), timeline.csv (one row per window), latency.hlog (HdrHistogram interval log, µs, one histogram per window and phase, and per named request and window tagged request=&lt;name&gt;).</p>");
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

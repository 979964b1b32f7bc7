//! The run summary people read: `impl Display for Report`.

use std::fmt::Write as _;
use std::time::Duration;

use crate::fmt::duration_us;
use crate::recording::stats::{RequestStats, Stats};
use crate::report::Report;
use crate::shape::level::{trim_float, Model};

fn fmt_target(model: Model, v: f64) -> String {
    format!("{} {}", trim_float((v * 10.0).round() / 10.0), model.unit())
}

fn stats_row(out: &mut String, name: &str, model: Model, s: &Stats, served: Option<f64>) {
    let served = served.map_or_else(|| "—".to_owned(), |r| format!("{r:.1}/s"));
    let _ = writeln!(
        out,
        "  {:<12} {:>11} {:>10.1}/s {:>12} {:>9} {:>7.2}% {:>9} {:>9} {:>9} {:>9}",
        name,
        fmt_target(model, s.target),
        s.achieved_rate,
        served,
        s.completed,
        s.error_rate * 100.0,
        duration_us(s.latency.p50_us),
        duration_us(s.latency.p95_us),
        duration_us(s.latency.p99_us),
        duration_us(s.latency.max_us),
    );
}

/// A request name for a one-line table cell: control characters (a line
/// break in user text) become spaces.
fn cell(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// The per-request table: one row per (phase, request) when the run has
/// several phases, then one per request for the whole run. Nothing when the
/// run has no named requests.
fn requests_table(out: &mut String, report: &Report) {
    if report.total.requests.is_empty() {
        return;
    }
    let width = report
        .total
        .requests
        .keys()
        .map(|k| cell(k).chars().count())
        .max()
        .unwrap_or(0)
        .clamp(7, 32);
    let pwidth = report
        .phases
        .iter()
        .map(|p| p.name.chars().count())
        .max()
        .unwrap_or(0)
        .clamp(5, 16);
    let _ = writeln!(
        out,
        "  {:<width$} {:<pwidth$} {:>9} {:>8} {:>8} {:>9} {:>9} {:>9}  top error",
        "request", "scope", "count", "errors", "rate", "p50", "p95", "p99"
    );
    let mut row = |name: &str, scope: &str, r: &RequestStats| {
        let top = cell(&r.top_error_text());
        let _ = writeln!(
            out,
            "  {:<width$} {:<pwidth$} {:>9} {:>8} {:>7.2}% {:>9} {:>9} {:>9}  {top}",
            cell(name),
            scope,
            r.count,
            r.errors,
            r.error_rate * 100.0,
            duration_us(r.latency.p50_us),
            duration_us(r.latency.p95_us),
            duration_us(r.latency.p99_us),
        );
    };
    if report.phases.len() > 1 {
        for p in &report.phases {
            for (name, r) in &p.stats.requests {
                row(name, &cell(&p.name), r);
            }
        }
    }
    for (name, r) in &report.total.requests {
        row(name, "total", r);
    }
}

/// Seconds with three decimals: `12.000s`.
fn secs3(d: Duration) -> String {
    format!("{:.3}s", d.as_secs_f64())
}

/// One line per fault: its planned and actual interval, the edge error and
/// the recovery from its end.
fn faults_lines(out: &mut String, report: &Report) {
    for f in &report.faults {
        let actual = match (f.actual_start, f.actual_end) {
            (Some(on), Some(off)) => format!(
                "actual {}–{}{} (edge error {})",
                secs3(on),
                secs3(off),
                if f.stopped_at_run_end {
                    ", stopped at the run's end"
                } else {
                    ""
                },
                duration_us(
                    f.edge_error()
                        .map_or(0, crate::recording::histogram::micros)
                ),
            ),
            (Some(on), None) => format!("actual {}–(not stopped)", secs3(on)),
            _ => "never started (the run ended first)".to_owned(),
        };
        let recovery = match report.recovery_from(&f.name) {
            Some(r) if !r.measured() => "; recovery not measured (no window before it)".to_owned(),
            Some(r) => match r.recovery_time {
                Some(t) => format!("; recovered {:.2}s after it ended", t.as_secs_f64()),
                None => format!(
                    "; did not recover in the {:.1}s after it ended",
                    r.until.saturating_sub(r.fault_end).as_secs_f64()
                ),
            },
            None => String::new(),
        };
        let _ = writeln!(
            out,
            "  fault {} ({}): planned {}–{}, {actual}{recovery}",
            cell(&f.name),
            cell(&f.description),
            secs3(f.planned_start),
            secs3(f.planned_end),
        );
    }
}

impl crate::report::ShardInfo {
    /// One line on which shard this is and when it started:
    /// `shard 1/4, started +0.3 ms after the agreed start` (`0.2 ms before`
    /// when early), or `shard 1/4, no agreed start instant` without one.
    /// The report summary and `report.html` show it.
    ///
    /// ```
    /// use spike_core::ShardInfo;
    /// let info = ShardInfo { index: 1, count: 4, start_at_unix_us: Some(1), start_offset_us: 312 };
    /// assert_eq!(info.describe(), "shard 1/4, started +0.3 ms after the agreed start");
    /// let early = ShardInfo { start_offset_us: -250, ..info };
    /// assert_eq!(early.describe(), "shard 1/4, started 0.2 ms before the agreed start");
    /// let unaligned = ShardInfo { start_at_unix_us: None, start_offset_us: 0, ..info };
    /// assert_eq!(unaligned.describe(), "shard 1/4, no agreed start instant");
    /// ```
    #[must_use]
    pub fn describe(&self) -> String {
        let head = format!("shard {}/{}", self.index, self.count);
        if self.start_at_unix_us.is_none() {
            return format!("{head}, no agreed start instant");
        }
        let ms = self.start_offset_us.unsigned_abs() as f64 / 1000.0;
        if self.start_offset_us < 0 {
            format!("{head}, started {ms:.1} ms before the agreed start")
        } else {
            format!("{head}, started +{ms:.1} ms after the agreed start")
        }
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "spike: {} — {} model, {} phase{}, {:.1}s planned, {:.1}s elapsed, {} windows",
            self.scenario,
            match self.model {
                Model::Open => "open",
                Model::Closed => "closed",
            },
            self.phases.len(),
            if self.phases.len() == 1 { "" } else { "s" },
            self.shape.duration().as_secs_f64(),
            self.elapsed.as_secs_f64(),
            duration_us(crate::recording::histogram::micros(self.window)),
        );
        if let Some(shard) = &self.shard {
            let _ = writeln!(
                out,
                "  {}; this report counts only its share",
                shard.describe()
            );
        }
        let env = &self.environment;
        if (env.rate_scale - 1.0).abs() > 1e-12 || (env.time_scale - 1.0).abs() > 1e-12 {
            let _ = writeln!(
                out,
                "  scaled: rates ×{} (SPIKE_SCALE), durations ×{} (SPIKE_TIME_SCALE); the shape above is the scaled one",
                env.rate_scale,
                env.time_scale,
            );
        }
        if let Some(merged) = &self.merged {
            let _ = writeln!(out, "  {}", merged.summary());
            for p in &merged.problems {
                let _ = writeln!(out, "  inconclusive: {}", p.long);
            }
        }
        let _ = writeln!(
            out,
            "  {:<12} {:>11} {:>12} {:>12} {:>9} {:>8} {:>9} {:>9} {:>9} {:>9}",
            "phase", "target", "offered", "served", "done", "errors", "p50", "p95", "p99", "max"
        );
        for p in &self.phases {
            let served = self.served_rate_between(p.start, p.start + p.duration);
            stats_row(&mut out, &p.name, self.model, &p.stats, served);
        }
        let served = self.served_rate_between(Duration::ZERO, self.shape.duration());
        stats_row(&mut out, "total", self.model, &self.total, served);
        requests_table(&mut out, self);
        if !self.total.errors_by_class.is_empty() {
            let classes: Vec<String> = self
                .total
                .errors_by_class
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect();
            let _ = write!(out, "  errors: {}", classes.join(", "));
            if !self.total.http_statuses.is_empty() {
                let st: Vec<String> = self
                    .total
                    .http_statuses
                    .iter()
                    .map(|(k, v)| format!("{k}×{v}"))
                    .collect();
                let _ = write!(out, " (status {})", st.join(", "));
            }
            out.push('\n');
        }
        match &self.recovery {
            Some(r) => {
                let verdict = match r.recovery_time {
                    Some(t) => format!("recovered {:.2}s after the spike", t.as_secs_f64()),
                    None => format!(
                        "did not recover within the {:.1}s recover phase",
                        (r.recover_end - r.spike_end).as_secs_f64()
                    ),
                };
                let _ = writeln!(
                    out,
                    "  recovery: {verdict} (healthy: p95 ≤ {} and errors ≤ {:.2}%; reference `{}` p95 {})",
                    duration_us(r.healthy_p95_us),
                    r.healthy_error_rate * 100.0,
                    r.reference_phase,
                    duration_us(r.reference_p95_us),
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "  recovery: not measured (the shape has no burst followed by recover)"
                );
            }
        }
        faults_lines(&mut out, self);
        let g = &self.generator;
        let _ = writeln!(
            out,
            "  generator: lag p99 {}, dropped {}, max in flight {}/{}{}{}{}",
            duration_us(g.schedule_lag.p99_us),
            g.dropped,
            g.max_in_flight,
            g.in_flight_cap,
            if g.pacer_cpu > 0.0 {
                format!(", pacer CPU {:.1}%", g.pacer_cpu * 100.0)
            } else {
                String::new()
            },
            if g.drain_timeouts > 0 {
                format!(", {} cut by drain timeout", g.drain_timeouts)
            } else {
                String::new()
            },
            if g.saturated {
                " — SATURATED: the load applied is not the load asked for"
            } else {
                ""
            },
        );
        if g.saturated && self.generator_bound() {
            let _ = writeln!(
                out,
                "  generator-bound: schedule lag p99 {} over the {} budget{}",
                duration_us(g.schedule_lag.p99_us),
                duration_us(g.lag_budget_us),
                if self.environment.build_profile == "debug" {
                    " (debug build: an unoptimised generator drives a fraction of the load; see the guide, CI section)"
                } else {
                    ""
                },
            );
        }
        if let Some(why) = &self.interrupted {
            let _ = writeln!(out, "  INTERRUPTED: {why}");
        }
        if let Some(aborted) = &self.aborted {
            let _ = writeln!(out, "  ABORTED by rule {aborted}");
        }
        f.write_str(out.trim_end())
    }
}

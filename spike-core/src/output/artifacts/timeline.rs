//! `timeline.csv`: one row per window, for spreadsheets.
//!
//! Columns (times in seconds from the run start, latencies in whole
//! microseconds, rates per second, `error_rate` as a fraction):
//!
//! `window,start_s,end_s,phase,target,achieved_rate,throughput,served,
//! served_rate,scheduled,started,dropped,completed,errors,error_rate,latency_p50_us,
//! latency_p90_us,latency_p95_us,latency_p99_us,latency_p999_us,
//! latency_max_us,latency_mean_us,service_p95_us,schedule_lag_p99_us,
//! healthy,faults`, then one `errors_<class>` column per error class seen in the
//! run (sorted), then for each named request of the run (sorted by name)
//! `request_<name>_count`, `request_<name>_errors` and
//! `request_<name>_p95_us` (0 in a window where it did not run), then for
//! each sampled resource series (sorted by name, see [`crate::soak`])
//! `resource_<series>_rss_bytes`, `resource_<series>_fds` and
//! `resource_<series>_threads` (empty where the window has no sample: a
//! gap, or a custom probe, which has no fds or threads).
//!
//! `achieved_rate` (offered: iterations started per second) and
//! `throughput` (successes per second) count iterations by their intended
//! start; `served` and `served_rate` count completions by their completion
//! instant, whenever they were due. Under overload the first pair shows what
//! arrived, the second what the target got through. `healthy` is `true`/`false` for windows inside the recover
//! phase (the recovery criteria applied to them) and empty elsewhere.
//! `faults` names the faults active during any part of the window
//! (`WindowStats::faults`), joined by `+`, empty when none.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::report::Report;

/// Quote a CSV field when it needs it (RFC 4180).
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// The timeline of a report as CSV text (see the module docs).
#[must_use]
pub fn timeline_csv(report: &Report) -> String {
    let classes: BTreeSet<&str> = report
        .windows
        .iter()
        .flat_map(|w| w.stats.errors_by_class.keys().map(String::as_str))
        .collect();
    let mut out = String::from(
        "window,start_s,end_s,phase,target,achieved_rate,throughput,served,served_rate,\
         scheduled,started,dropped,\
         completed,errors,error_rate,latency_p50_us,latency_p90_us,latency_p95_us,\
         latency_p99_us,latency_p999_us,latency_max_us,latency_mean_us,service_p95_us,\
         schedule_lag_p99_us,healthy,faults",
    );
    for c in &classes {
        let _ = write!(out, ",{}", field(&format!("errors_{c}")));
    }
    let requests: BTreeSet<&str> = report.total.requests.keys().map(String::as_str).collect();
    for r in &requests {
        for col in ["count", "errors", "p95_us"] {
            let _ = write!(out, ",{}", field(&format!("request_{r}_{col}")));
        }
    }
    let resources = crate::soak::series_names(report);
    for r in &resources {
        for col in ["rss_bytes", "fds", "threads"] {
            let _ = write!(out, ",{}", field(&format!("resource_{r}_{col}")));
        }
    }
    out.push('\n');
    for w in &report.windows {
        let s = &w.stats;
        let healthy = match &report.recovery {
            Some(r) if w.start >= r.spike_end && w.end <= r.recover_end => {
                if r.is_healthy(w) {
                    "true"
                } else {
                    "false"
                }
            }
            _ => "",
        };
        let _ = write!(
            out,
            "{},{:.3},{:.3},{},{:.3},{:.3},{:.3},{},{:.3},{},{},{},{},{},{:.6},{},{},{},{},{},{},{:.1},{},{},{},{}",
            w.index,
            w.start.as_secs_f64(),
            w.end.as_secs_f64(),
            field(&w.phase),
            s.target,
            s.achieved_rate,
            s.throughput,
            w.served,
            w.served_rate(),
            s.scheduled,
            s.started,
            s.dropped,
            s.completed,
            s.errors,
            s.error_rate,
            s.latency.p50_us,
            s.latency.p90_us,
            s.latency.p95_us,
            s.latency.p99_us,
            s.latency.p999_us,
            s.latency.max_us,
            s.latency.mean_us,
            s.service_time.p95_us,
            s.schedule_lag.p99_us,
            healthy,
            field(&w.faults.join("+")),
        );
        for c in &classes {
            let _ = write!(out, ",{}", s.errors_of(c));
        }
        for r in &requests {
            let (count, errors, p95) = s
                .request(r)
                .map_or((0, 0, 0), |q| (q.count, q.errors, q.latency.p95_us));
            let _ = write!(out, ",{count},{errors},{p95}");
        }
        for r in &resources {
            let opt = |v: Option<u64>| v.map_or(String::new(), |v| v.to_string());
            match w.resources.get(r) {
                Some(s) => {
                    let _ = write!(out, ",{},{},{}", s.rss_bytes, opt(s.fds), opt(s.threads));
                }
                None => out.push_str(",,,"),
            }
        }
        out.push('\n');
    }
    out
}

/// Write `timeline.csv` into `dir` atomically; returns the path.
///
/// # Errors
/// Any I/O error.
pub fn write_timeline(report: &Report, dir: &Path) -> std::io::Result<PathBuf> {
    crate::report::write_atomic(dir, "timeline.csv", timeline_csv(report).as_bytes())
}

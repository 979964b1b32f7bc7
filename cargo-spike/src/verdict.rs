//! A run's verdict in a few words, for `list` and `accept`.

use spike_core::Report;

/// `INCONCLUSIVE (<short reasons>)`, `ABORTED (<metric>)`, `FAIL (k of n
/// checks)`, `PASS (n checks)` or `no checks`, in that order of precedence:
/// an inconclusive run's checks say nothing about the service, and an
/// aborted run stopped on a rule whatever its checks.
pub(crate) fn verdict(report: &Report) -> String {
    let reasons = report.inconclusive_reasons();
    if !reasons.is_empty() {
        let short: Vec<String> = reasons.into_iter().map(|r| r.short).collect();
        return format!("INCONCLUSIVE ({})", short.join(", "));
    }
    if let Some(aborted) = &report.aborted {
        return format!("ABORTED ({}: {})", aborted.metric, aborted.actual);
    }
    let failed = report.checks.iter().filter(|c| !c.passed).count();
    let n = report.checks.len();
    let checks = if n == 1 { "check" } else { "checks" };
    match (n, failed) {
        (0, _) => "no checks".to_owned(),
        (_, 0) => format!("PASS ({n} {checks})"),
        _ => format!("FAIL ({failed} of {n} {checks})"),
    }
}

/// The first second humantime cannot write (year 10000).
const YEAR_10000_S: u64 = 253_402_300_800;

/// When a run started: `2026-12-01T10:00:00Z` (UTC, whole seconds), or
/// `?` for a time past the year 9999 (a hand-edited report).
pub(crate) fn started(report: &Report) -> String {
    started_at(report.environment.started_at_unix_ms)
}

/// [`started`] of a time in ms since the Unix epoch.
fn started_at(ms: u64) -> String {
    if ms / 1000 >= YEAR_10000_S {
        return "?".to_owned();
    }
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms);
    humantime::format_rfc3339_seconds(at).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Any start time a report may hold prints without a panic.
        #[test]
        fn any_start_time_prints(ms in proptest::num::u64::ANY) {
            let _ = started_at(ms);
        }
    }

    #[test]
    fn start_times_are_utc_to_the_second() {
        // 1_796_119_200 s: `date -u -d 2026-12-01T10:00:00Z +%s`.
        assert_eq!(started_at(1_796_119_200_999), "2026-12-01T10:00:00Z");
        assert_eq!(started_at(253_402_300_799_000), "9999-12-31T23:59:59Z");
        assert_eq!(started_at(253_402_300_800_000), "?");
    }
}

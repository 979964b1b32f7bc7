//! How values are shown: the unit of a metric and of its threshold, and
//! the one duration format.

use spike_core::Percent;

/// How a value is shown: the unit of the metric and of its threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A fraction shown as a percentage.
    Percent,
    /// Microseconds shown as `850µs`, `12.3ms`, `4.20s`.
    Duration,
    /// Per second.
    Rate,
    /// A whole count.
    Count,
}

impl Kind {
    pub(crate) fn fmt(self, v: f64) -> String {
        match self {
            Kind::Percent => Percent::from_fraction(v).to_string(),
            Kind::Duration => fmt_us(v),
            Kind::Rate => format!("{}/s", trim(format!("{v:.1}"))),
            Kind::Count => format!("{v:.0}"),
        }
    }
}

/// Drop trailing zeros after a decimal point, and the point itself.
fn trim(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    }
}

/// Microseconds for people, in spike's one duration format
/// ([`spike_core::fmt::duration_us`]: `850µs`, `12.3ms`, `1.25s`), the
/// same the report summary and the gate table print.
pub(crate) fn fmt_us(us: f64) -> String {
    // Thresholds and values are whole microseconds or more; a fraction is
    // rounded, a negative or non-finite value (none is produced) shows as 0.
    let whole = if us.is_finite() && us > 0.0 {
        us.round() as u64
    } else {
        0
    };
    spike_core::fmt::duration_us(whole)
}

/// A duration as microseconds, the unit every duration is compared in.
pub(crate) fn us_of(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        // One format with the summary and the gate table (issue 10).
        assert_eq!(fmt_us(0.0), "0µs");
        assert_eq!(fmt_us(850.0), "850µs");
        assert_eq!(fmt_us(250_000.0), "250.0ms");
        assert_eq!(fmt_us(12_340.0), "12.3ms");
        assert_eq!(fmt_us(30_000_000.0), "30.00s");
        assert_eq!(fmt_us(1_250_000.0), "1.25s");
        assert_eq!(fmt_us(950.0), "950µs");
        assert_eq!(fmt_us(1_500.0), "1.5ms");
        assert_eq!(fmt_us(25_000.0), "25.0ms");
        assert_eq!(fmt_us(1_200_000.0), "1.20s");
        assert_eq!(fmt_us(999.6), "1.0ms");
        assert_eq!(Kind::Rate.fmt(950.0), "950/s");
        assert_eq!(Kind::Rate.fmt(12.34), "12.3/s");
        assert_eq!(Kind::Percent.fmt(0.02), "2.00%");
        assert_eq!(Kind::Count.fmt(7.0), "7");
    }
}

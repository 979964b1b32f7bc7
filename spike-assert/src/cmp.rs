//! Comparators: one meaning each, and the table text that shows it.

use crate::units::Kind;

/// A comparator with its threshold(s), in the quantity's unit. Each has one
/// meaning, the one its table text shows (see [`Cmp::describe`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Cmp {
    /// `v < t`: `below(t)`, shown `< t`.
    Below(f64),
    /// `v ≤ t`: `at_most(t)` (and the deprecated `within(t)` of a
    /// duration), shown `≤ t`.
    AtMost(f64),
    /// `v > t`: `above(t)`, shown `> t`.
    Above(f64),
    /// `v ≥ t`: `at_least(t)`, shown `≥ t`.
    AtLeast(f64),
    /// `lo ≤ v ≤ hi`: `between(lo, hi)`, shown `≥ lo and ≤ hi`.
    Between(f64, f64),
}

impl Cmp {
    pub(crate) fn holds(self, v: f64) -> bool {
        match self {
            Cmp::Below(t) => v < t,
            Cmp::AtMost(t) => v <= t,
            Cmp::Above(t) => v > t,
            Cmp::AtLeast(t) => v >= t,
            Cmp::Between(lo, hi) => lo <= v && v <= hi,
        }
    }

    /// How far inside the accepted range `v` lies (negative: outside). The
    /// worst of several values is the one with the smallest margin.
    pub(crate) fn margin(self, v: f64) -> f64 {
        match self {
            Cmp::Below(t) | Cmp::AtMost(t) => t - v,
            Cmp::Above(t) | Cmp::AtLeast(t) => v - t,
            Cmp::Between(lo, hi) => (v - lo).min(hi - v),
        }
    }

    /// Why the expectation itself makes no sense, if it does not.
    pub(crate) fn invalid(self) -> Option<&'static str> {
        match self {
            Cmp::Between(lo, hi) if lo.is_nan() || hi.is_nan() => Some("a threshold is NaN"),
            Cmp::Between(lo, hi) if lo > hi => {
                Some("the lower bound is above the upper bound: no value can pass")
            }
            Cmp::Below(t) | Cmp::AtMost(t) | Cmp::Above(t) | Cmp::AtLeast(t) if t.is_nan() => {
                Some("the threshold is NaN")
            }
            _ => None,
        }
    }

    /// The table's "expected" text: the operator the comparator tests,
    /// then the threshold (`< 250ms`, `≤ 2.00%`, `≥ 10/s`, `≥ 1 and ≤ 3`).
    pub(crate) fn describe(self, kind: Kind) -> String {
        match self {
            Cmp::Below(t) => format!("< {}", kind.fmt(t)),
            Cmp::AtMost(t) => format!("≤ {}", kind.fmt(t)),
            Cmp::Above(t) => format!("> {}", kind.fmt(t)),
            Cmp::AtLeast(t) => format!("≥ {}", kind.fmt(t)),
            Cmp::Between(lo, hi) => format!("≥ {} and ≤ {}", kind.fmt(lo), kind.fmt(hi)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparators_draw_the_line_where_their_names_say() {
        assert!(!Cmp::Below(2.0).holds(2.0));
        assert!(Cmp::Below(2.0).holds(1.9));
        assert!(Cmp::AtMost(2.0).holds(2.0));
        assert!(!Cmp::AtMost(2.0).holds(2.1));
        assert!(!Cmp::Above(2.0).holds(2.0));
        assert!(Cmp::Above(2.0).holds(2.1));
        assert!(Cmp::AtLeast(2.0).holds(2.0));
        assert!(!Cmp::AtLeast(2.0).holds(1.9));
        assert!(Cmp::Between(1.0, 2.0).holds(1.0));
        assert!(Cmp::Between(1.0, 2.0).holds(2.0));
        assert!(!Cmp::Between(1.0, 2.0).holds(2.1));
        assert!(!Cmp::Between(1.0, 2.0).holds(0.9));
    }

    #[test]
    fn each_comparator_shows_its_operator() {
        let d = Kind::Duration;
        assert_eq!(Cmp::Below(250_000.0).describe(d), "< 250.0ms");
        assert_eq!(Cmp::AtMost(250_000.0).describe(d), "≤ 250.0ms");
        assert_eq!(Cmp::Above(250_000.0).describe(d), "> 250.0ms");
        assert_eq!(Cmp::AtLeast(250_000.0).describe(d), "≥ 250.0ms");
        assert_eq!(
            Cmp::Between(1_000.0, 2_000.0).describe(d),
            "≥ 1.0ms and ≤ 2.0ms"
        );
        assert_eq!(Cmp::AtMost(0.02).describe(Kind::Percent), "≤ 2.00%");
        assert_eq!(Cmp::AtLeast(10.0).describe(Kind::Rate), "≥ 10/s");
        assert_eq!(Cmp::Below(3.0).describe(Kind::Count), "< 3");
    }

    #[test]
    fn nonsense_expectations_are_named() {
        assert!(Cmp::Between(2.0, 1.0).invalid().is_some());
        assert!(Cmp::Below(f64::NAN).invalid().is_some());
        assert!(Cmp::Between(1.0, 2.0).invalid().is_none());
    }
}

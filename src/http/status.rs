//! Sets of accepted HTTP statuses.

use std::ops::RangeInclusive;

/// The statuses a request accepts; any other is an `Http(status)` error.
/// Build it from a status, an array of statuses or a range.
///
/// ```
/// use spike::http::StatusSet;
/// assert!(StatusSet::from(200).contains(200));
/// assert!(StatusSet::from([200, 201]).contains(201));
/// assert!(StatusSet::from(200..=299).contains(204));
/// assert!(!StatusSet::default().contains(302));
/// assert_eq!(StatusSet::from([200, 204]).to_string(), "200, 204");
/// assert_eq!(StatusSet::default().to_string(), "2xx");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusSet {
    ranges: Vec<RangeInclusive<u16>>,
}

impl Default for StatusSet {
    /// Any 2xx.
    fn default() -> Self {
        StatusSet {
            ranges: vec![200..=299],
        }
    }
}

impl StatusSet {
    /// Whether `status` is accepted.
    #[must_use]
    pub fn contains(&self, status: u16) -> bool {
        self.ranges.iter().any(|r| r.contains(&status))
    }

    /// This set plus `other`.
    #[must_use]
    pub fn with(mut self, other: impl Into<StatusSet>) -> Self {
        self.ranges.extend(other.into().ranges);
        self
    }
}

impl From<u16> for StatusSet {
    fn from(s: u16) -> Self {
        StatusSet {
            ranges: vec![s..=s],
        }
    }
}

impl<const N: usize> From<[u16; N]> for StatusSet {
    fn from(list: [u16; N]) -> Self {
        StatusSet {
            ranges: list.iter().map(|&s| s..=s).collect(),
        }
    }
}

impl From<RangeInclusive<u16>> for StatusSet {
    fn from(r: RangeInclusive<u16>) -> Self {
        StatusSet { ranges: vec![r] }
    }
}

impl std::fmt::Display for StatusSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .ranges
            .iter()
            .map(|r| {
                let (a, b) = (*r.start(), *r.end());
                if a == b {
                    a.to_string()
                } else if a % 100 == 0 && b == a + 99 {
                    format!("{}xx", a / 100)
                } else {
                    format!("{a}-{b}")
                }
            })
            .collect();
        f.write_str(&parts.join(", "))
    }
}

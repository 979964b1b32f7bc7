//! Byte quantities for memory thresholds: `mb(200)`.

/// One megabyte as this crate counts it: 10⁶ bytes (SI, as `MB`).
pub const MB: u64 = 1_000_000;

/// `n` megabytes (10⁶ bytes each) as bytes, for memory thresholds such as
/// `growth().below(mb(200))`. A negative or non-finite `n` gives 0.
///
/// ```
/// assert_eq!(spike_core::mb(200), 200_000_000);
/// assert_eq!(spike_core::mb(0.5), 500_000);
/// ```
#[must_use]
pub fn mb(n: impl Into<f64>) -> u64 {
    let n = n.into();
    if n.is_finite() && n > 0.0 {
        (n * MB as f64).round() as u64
    } else {
        0
    }
}

/// Bytes for people: `1.23 GB`, `12.3 MB`, `850 kB`, `512 B` (SI units,
/// like [`mb`]); a negative value keeps its sign.
///
/// ```
/// assert_eq!(spike_core::soak::fmt_bytes(61_500_000.0), "61.5 MB");
/// assert_eq!(spike_core::soak::fmt_bytes(-2_000_000.0), "-2.0 MB");
/// ```
#[must_use]
pub fn fmt_bytes(bytes: f64) -> String {
    let (sign, b) = if bytes < 0.0 {
        ("-", -bytes)
    } else {
        ("", bytes)
    };
    if !b.is_finite() {
        return format!("{bytes}");
    }
    if b >= 1e9 {
        format!("{sign}{:.2} GB", b / 1e9)
    } else if b >= 1e6 {
        format!("{sign}{:.1} MB", b / 1e6)
    } else if b >= 1e3 {
        format!("{sign}{:.0} kB", b / 1e3)
    } else {
        format!("{sign}{b:.0} B")
    }
}

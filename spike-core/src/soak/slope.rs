//! The Theil–Sen slope of a series and Sen's rank-based confidence band.
//!
//! The slope is the median of the slopes of every pair of points; the
//! band is Sen's (1968) distribution-free interval: with `N` pair slopes
//! sorted and `C = z · √Var(S)`, where `Var(S)` is the Mann–Kendall
//! variance `[n(n−1)(2n+5) − Σ t(t−1)(2t+5)] / 18` (the sum over groups of
//! `t` tied values), the band runs from the slope of rank `(N − C)/2` to
//! the slope of rank `(N + C)/2 + 1` (ranks from 1). A single outlier moves
//! neither, and a sawtooth widens the band instead of tilting the slope.

/// Two-sided 95 % normal quantile (`z` for the band).
const Z_95: f64 = 1.959_963_984_540_054;

/// Above this many points the series is thinned (medians of consecutive
/// runs of points) so the pair slopes stay near a million.
pub(crate) const MAX_POINTS: usize = 1_500;

/// A robust slope with its 95 % confidence band, in units of y per unit
/// of x (bytes per second, microseconds per second).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Slope {
    /// The Theil–Sen estimate: the median of all pair slopes.
    pub estimate: f64,
    /// Lower end of Sen's 95 % band.
    pub low: f64,
    /// Upper end of Sen's 95 % band.
    pub high: f64,
}

/// The Theil–Sen slope of `points` (x, y) with Sen's 95 % band; `None`
/// with fewer than 3 points with distinct x, or with a non-finite value.
///
/// ```
/// use spike_core::soak::theil_sen;
/// // y = 2x, with one wild outlier: the slope stays 2.
/// let mut pts: Vec<(f64, f64)> = (0..20).map(|x| (x as f64, 2.0 * x as f64)).collect();
/// pts[7].1 = 1e9;
/// let s = theil_sen(&pts).unwrap();
/// assert_eq!(s.estimate, 2.0);
/// assert!(s.low <= 2.0 && 2.0 <= s.high);
/// ```
#[must_use]
pub fn theil_sen(points: &[(f64, f64)]) -> Option<Slope> {
    if points.iter().any(|(x, y)| !x.is_finite() || !y.is_finite()) {
        return None;
    }
    let thinned;
    let points = if points.len() > MAX_POINTS {
        thinned = thin(points, MAX_POINTS);
        &thinned[..]
    } else {
        points
    };
    let n = points.len();
    let mut slopes = Vec::with_capacity(n * n.saturating_sub(1) / 2);
    for (i, &(xi, yi)) in points.iter().enumerate() {
        for &(xj, yj) in &points[i + 1..] {
            if xj != xi {
                slopes.push((yj - yi) / (xj - xi));
            }
        }
    }
    if slopes.len() < 3 {
        return None;
    }
    let count = slopes.len();
    let estimate = if count % 2 == 1 {
        nth(&mut slopes, count / 2)
    } else {
        (nth(&mut slopes, count / 2 - 1) + nth(&mut slopes, count / 2)) / 2.0
    };
    let var = s_variance(points.iter().map(|p| p.1).collect());
    let c = Z_95 * var.sqrt();
    let big_n = count as f64;
    // Ranks from 1: lower = (N − C)/2, upper = (N + C)/2 + 1; clamped.
    let rank = |r: f64| (r.round().clamp(1.0, big_n) as usize) - 1;
    let low = nth(&mut slopes, rank((big_n - c) / 2.0));
    let high = nth(&mut slopes, rank((big_n + c) / 2.0 + 1.0));
    Some(Slope {
        estimate,
        low: low.min(estimate),
        high: high.max(estimate),
    })
}

/// The Mann–Kendall variance of S for these values, with the correction
/// for groups of tied values.
fn s_variance(mut ys: Vec<f64>) -> f64 {
    let n = ys.len() as f64;
    ys.sort_by(f64::total_cmp);
    let ties: f64 = ys
        .chunk_by(|a, b| a == b)
        .map(|g| {
            let t = g.len() as f64;
            t * (t - 1.0) * (2.0 * t + 5.0)
        })
        .sum();
    ((n * (n - 1.0) * (2.0 * n + 5.0) - ties) / 18.0).max(0.0)
}

/// The k-th smallest (from 0) of `v`, reordering it.
fn nth(v: &mut [f64], k: usize) -> f64 {
    *v.select_nth_unstable_by(k, f64::total_cmp).1
}

/// `points` reduced to `target` points: the median x and median y of each
/// run of consecutive points.
fn thin(points: &[(f64, f64)], target: usize) -> Vec<(f64, f64)> {
    let per = points.len().div_ceil(target);
    points
        .chunks(per)
        .map(|c| {
            let mut xs: Vec<f64> = c.iter().map(|p| p.0).collect();
            let mut ys: Vec<f64> = c.iter().map(|p| p.1).collect();
            let m = xs.len() / 2;
            (nth(&mut xs, m), nth(&mut ys, m))
        })
        .collect()
}

/// The median of `values` (`None` when empty).
pub(crate) fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    let n = v.len();
    Some(if n % 2 == 1 {
        nth(&mut v, n / 2)
    } else {
        (nth(&mut v, n / 2 - 1) + nth(&mut v, n / 2)) / 2.0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exact_line_has_its_slope_and_a_zero_width_band() {
        let pts: Vec<(f64, f64)> = (0..10).map(|x| (x as f64, 5.0 - 3.0 * x as f64)).collect();
        let s = theil_sen(&pts).unwrap();
        assert_eq!((s.estimate, s.low, s.high), (-3.0, -3.0, -3.0));
    }

    #[test]
    fn the_band_matches_sens_ranks_worked_by_hand() {
        // x = 0..5, y = 0, 3, 1, 4, 2: the 10 pair slopes sorted are
        // -2, -2, -1/3, 0.5, 0.5, 0.5, 0.5, 4/3, 3, 3 (by hand), median 0.5.
        // Var(S) = 5·4·15/18 = 16.67, C = 1.96·4.08 = 8.00: ranks
        // (10 − 8)/2 = 1 and (10 + 8)/2 + 1 = 10 → band [-2, 3].
        let pts = [(0.0, 0.0), (1.0, 3.0), (2.0, 1.0), (3.0, 4.0), (4.0, 2.0)];
        let s = theil_sen(&pts).unwrap();
        assert_eq!(s.estimate, 0.5);
        assert_eq!((s.low, s.high), (-2.0, 3.0));
    }

    #[test]
    fn ties_lower_the_variance_as_the_formula_says() {
        // No ties, n = 5: 5·4·15/18.
        assert!((s_variance(vec![1.0, 2.0, 3.0, 4.0, 5.0]) - 300.0 / 18.0).abs() < 1e-12);
        // Two pairs tied: (300 − 2·(2·1·9)) / 18.
        assert!((s_variance(vec![1.0, 2.0, 2.0, 3.0, 3.0]) - 264.0 / 18.0).abs() < 1e-12);
        // All tied: no variance at all.
        assert_eq!(s_variance(vec![7.0; 6]), 0.0);
    }

    #[test]
    fn too_few_or_bad_points_give_none() {
        assert!(theil_sen(&[]).is_none());
        assert!(theil_sen(&[(0.0, 1.0), (1.0, 2.0)]).is_none());
        assert!(theil_sen(&[(1.0, 1.0), (1.0, 2.0), (1.0, 3.0)]).is_none());
        assert!(theil_sen(&[(0.0, 1.0), (1.0, f64::NAN), (2.0, 3.0)]).is_none());
    }

    #[test]
    fn a_long_series_is_thinned_and_keeps_its_slope() {
        let pts: Vec<(f64, f64)> = (0..10_000).map(|x| (x as f64, 7.0 * x as f64)).collect();
        let s = theil_sen(&pts).unwrap();
        assert!((s.estimate - 7.0).abs() < 1e-9, "{s:?}");
    }

    #[test]
    fn medians() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
    }
}

//! Exact open-model arrival times.
//!
//! The rate profile r(t) is piecewise linear (steps between phases, linear
//! inside ramps). Its integral N(t) = ∫₀ᵗ r counts the iterations due by t.
//! Iteration k (k = 0, 1, ...) is due at the first instant t where
//! N(t) = k, solved in closed form inside each segment, so no error
//! accumulates: the iterations due in [a, b) are the k with
//! N(a) ≤ k < N(b), that is ⌈N(b)⌉ − ⌈N(a)⌉ of them, which differs from
//! N(b) − N(a) by less than one. Every arrival lies inside [0, T).

use std::time::Duration;

use crate::shape::level::Model;
use crate::shape::Shape;

#[derive(Debug, Clone, Copy)]
struct Segment {
    /// Start offset in seconds.
    start: f64,
    /// Length in seconds.
    len: f64,
    /// Rate at the segment start (per second).
    r0: f64,
    /// Rate at the segment end.
    r1: f64,
    /// N(start).
    cum0: f64,
}

impl Segment {
    fn cumulative_at(&self, tau: f64) -> f64 {
        let tau = tau.clamp(0.0, self.len);
        self.cum0 + self.r0 * tau + (self.r1 - self.r0) / (2.0 * self.len) * tau * tau
    }

    fn end_cumulative(&self) -> f64 {
        self.cum0 + (self.r0 + self.r1) * 0.5 * self.len
    }

    /// Offset inside the segment at which N reaches `target` (closed form).
    fn solve(&self, target: f64) -> f64 {
        let delta = (target - self.cum0).max(0.0);
        if delta == 0.0 {
            return 0.0;
        }
        let a = (self.r1 - self.r0) / (2.0 * self.len);
        // Stable root of a·τ² + r0·τ − Δ = 0 for either sign of a.
        let disc = (self.r0 * self.r0 + 4.0 * a * delta).max(0.0);
        let denom = self.r0 + disc.sqrt();
        let tau = if denom > 0.0 {
            2.0 * delta / denom
        } else {
            0.0
        };
        tau.min(self.len)
    }
}

/// The piecewise-linear rate of an open-model [`Shape`] and its integral.
#[derive(Debug, Clone)]
pub struct RateProfile {
    segments: Vec<Segment>,
}

impl RateProfile {
    /// The profile of a shape (levels read as iterations per second).
    #[must_use]
    pub fn new(shape: &Shape) -> Self {
        let mut cum = 0.0;
        let segments = shape
            .phases()
            .iter()
            .map(|p| {
                let seg = Segment {
                    start: p.start.as_secs_f64(),
                    len: p.duration.as_secs_f64(),
                    r0: p.from.value(),
                    r1: p.to.value(),
                    cum0: cum,
                };
                cum = seg.end_cumulative();
                seg
            })
            .collect();
        RateProfile { segments }
    }

    /// Total length in seconds.
    #[must_use]
    pub fn duration_secs(&self) -> f64 {
        self.segments.last().map_or(0.0, |s| s.start + s.len)
    }

    /// N(t): iterations due by `t` seconds (fractional).
    #[must_use]
    pub fn cumulative(&self, t: f64) -> f64 {
        let Some(last) = self.segments.last() else {
            return 0.0;
        };
        if t >= last.start + last.len {
            return last.end_cumulative();
        }
        let seg = self
            .segments
            .iter()
            .rev()
            .find(|s| s.start <= t)
            .unwrap_or(&self.segments[0]);
        seg.cumulative_at(t - seg.start)
    }

    /// ∫ r over [a, b) seconds: iterations expected in that interval.
    #[must_use]
    pub fn integral(&self, a: f64, b: f64) -> f64 {
        self.cumulative(b) - self.cumulative(a)
    }

    /// How many iterations the whole profile starts: #{k : k < N(T)}.
    #[must_use]
    pub fn total_iterations(&self) -> u64 {
        // The epsilon keeps 1000.0000001 from float rounding counting as 1001.
        (self.segments.last().map_or(0.0, Segment::end_cumulative) - 1e-9)
            .ceil()
            .max(0.0) as u64
    }

    /// Iterations due by offset `t` seconds: #{k : t_k ≤ t}.
    #[must_use]
    pub fn due_by(&self, t: f64) -> u64 {
        ((self.cumulative(t) + 1e-9).floor() as u64 + 1).min(self.total_iterations())
    }

    /// The intended start times in order, as offsets from the run start.
    #[must_use]
    pub fn arrivals(&self) -> Arrivals<'_> {
        Arrivals {
            profile: self,
            next: 0,
            total: self.total_iterations(),
            segment: 0,
        }
    }
}

/// Iterator over intended start offsets, produced by [`RateProfile::arrivals`].
#[derive(Debug, Clone)]
pub struct Arrivals<'a> {
    profile: &'a RateProfile,
    next: u64,
    total: u64,
    segment: usize,
}

impl Arrivals<'_> {
    /// Index of the next iteration this iterator yields.
    #[must_use]
    pub fn next_index(&self) -> u64 {
        self.next
    }

    /// Pass over the next `n` iterations without computing their start
    /// times (a sharded run's pacer skips the other shards' iterations this
    /// way, at no cost per iteration).
    ///
    /// ```
    /// use spike_core::{ms, rps, RateProfile, Shape};
    /// let shape = Shape::builder().hold(rps(1_000), ms(10)).build()?;
    /// let profile = RateProfile::new(&shape);
    /// let mut arrivals = profile.arrivals();
    /// arrivals.skip_ahead(3);
    /// assert_eq!(arrivals.next_index(), 3);
    /// assert_eq!(arrivals.next(), Some(ms(3)));
    /// # Ok::<(), spike_core::ShapeError>(())
    /// ```
    pub fn skip_ahead(&mut self, n: u64) {
        self.next = self.next.saturating_add(n).min(self.total);
    }
}

impl Iterator for Arrivals<'_> {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        if self.next >= self.total {
            return None;
        }
        let target = self.next as f64;
        let segs = &self.profile.segments;
        while self.segment + 1 < segs.len() && segs[self.segment].end_cumulative() < target {
            self.segment += 1;
        }
        let seg = &segs[self.segment];
        let t = seg.start + seg.solve(target);
        self.next += 1;
        Some(Duration::from_secs_f64(t))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = (self.total - self.next) as usize;
        (left, Some(left))
    }
}

impl Shape {
    /// For the open model: iterations the shape plans to start.
    #[must_use]
    pub fn planned_iterations(&self) -> u64 {
        match self.model {
            Model::Open => RateProfile::new(self).total_iterations(),
            Model::Closed => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{rps, secs, Shape};

    fn profile(shape: &Shape) -> RateProfile {
        RateProfile::new(shape)
    }

    #[test]
    fn constant_rate_is_evenly_spaced() {
        let shape = Shape::builder().hold(rps(1000), secs(2)).build().unwrap();
        let p = profile(&shape);
        let times: Vec<Duration> = p.arrivals().collect();
        assert_eq!(times.len(), 2000);
        assert_eq!(times[0], Duration::ZERO);
        assert_eq!(times[1], Duration::from_millis(1));
        assert_eq!(times[1000], Duration::from_secs(1));
        assert_eq!(*times.last().unwrap(), Duration::from_millis(1999));
    }

    #[test]
    fn ramp_counts_match_integral_in_every_window() {
        let shape = Shape::builder()
            .ramp(rps(3000), secs(10))
            .ramp(rps(100), secs(5))
            .build()
            .unwrap();
        let p = profile(&shape);
        let mut counts = [0u64; 15];
        for t in p.arrivals() {
            let w = (t.as_secs_f64().floor() as usize).min(14);
            counts[w] += 1;
        }
        for (w, &count) in counts.iter().enumerate() {
            let expected = p.integral(w as f64, w as f64 + 1.0);
            assert!(
                (count as f64 - expected).abs() < 1.0,
                "window {w}: {count} vs {expected}"
            );
        }
        assert!(p.arrivals().all(|t| t < secs(15)));
        // 0→3000 over 10 s is 15,000; 3000→100 over 5 s is 7,750.
        assert_eq!(p.total_iterations(), 22_750);
    }

    #[test]
    fn burst_steps_and_due_by_agree_with_arrivals() {
        let shape = Shape::builder()
            .hold(rps(10), secs(1))
            .burst(rps(100), secs(1))
            .recover(rps(10), secs(1))
            .build()
            .unwrap();
        let p = profile(&shape);
        let times: Vec<f64> = p.arrivals().map(|d| d.as_secs_f64()).collect();
        assert_eq!(times.len(), 120);
        for probe in [0.05, 0.5, 1.0, 1.37, 2.0, 2.99, 3.0] {
            let by_iter = times.iter().filter(|&&t| t <= probe + 1e-12).count() as u64;
            assert_eq!(by_iter, p.due_by(probe), "at {probe}");
        }
    }
}

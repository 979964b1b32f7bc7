//! Where the next step goes: the search over rates, with no traffic.
//!
//! Climb by doubling from the start rate until a step fails; then narrow
//! the bracket [last good, first bad] until `first bad ≤ last good × (1 +
//! precision)`. An overloaded step tells where the capacity is: its served
//! rate (see [`super::step`]) estimates it, so the next probe goes just
//! below that estimate (`× (1 − precision / 3)`) instead of to the middle;
//! when such a probe passes, the one after it goes to the top of the
//! precision band (`last good × (1 + precision)`, a hair under), which
//! closes the bracket whichever way it goes. Without a usable estimate
//! (a step failed on errors, not overload) the bracket is halved
//! geometrically.
//!
//! With a target of capacity C and an estimate within 1 % of C, that is
//! `⌈log2(C / start)⌉ + 1` doubling steps, then 2: for C / start ≤ 32,
//! at most 8.

/// What the search decided after the steps it was told about.
/// Top-of-band probes in a row after an estimate that passed, before the
/// search falls back to halving (an estimate that low is not worth
/// striding from).
const MAX_STRIDES: u32 = 2;

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Next {
    /// Run a step at this rate.
    Probe(f64),
    /// The bracket is within the precision.
    Bracketed,
    /// Every step up to the maximum rate passed.
    ReachedMax,
    /// The step budget is spent.
    OutOfSteps,
}

/// The search's state: the bracket so far and the estimate from the
/// latest overloaded step.
#[derive(Debug, Clone)]
pub(crate) struct Search {
    start: f64,
    max: f64,
    precision: f64,
    max_steps: u32,
    steps: u32,
    good: Option<f64>,
    bad: Option<f64>,
    /// Capacity estimate of the latest failing step, not yet probed.
    hint: Option<f64>,
    /// The latest step probed an estimate (or the top of the band after
    /// one) and passed: the capacity is close above it.
    hint_passed: bool,
    /// Top-of-band probes that passed in a row.
    strides: u32,
}

impl Search {
    pub(crate) fn new(start: f64, max: f64, precision: f64, max_steps: u32) -> Self {
        Search {
            start,
            max,
            precision,
            max_steps,
            steps: 0,
            good: None,
            bad: None,
            hint: None,
            hint_passed: false,
            strides: 0,
        }
    }

    /// Highest rate that passed, lowest that failed.
    pub(crate) fn bracket(&self) -> (Option<f64>, Option<f64>) {
        (self.good, self.bad)
    }

    /// Steps recorded so far.
    pub(crate) fn steps(&self) -> u32 {
        self.steps
    }

    /// Whether the bracket is within the precision.
    pub(crate) fn is_bracketed(&self) -> bool {
        matches!((self.good, self.bad), (Some(g), Some(b)) if b <= g * (1.0 + self.precision))
    }

    /// The next step, or why the search is over.
    pub(crate) fn next(&self) -> Next {
        if self.is_bracketed() {
            return Next::Bracketed;
        }
        if self.steps >= self.max_steps {
            return Next::OutOfSteps;
        }
        let p = self.precision;
        match (self.good, self.bad) {
            (None, None) => Next::Probe(self.start),
            (Some(g), None) if g >= self.max => Next::ReachedMax,
            (Some(g), None) => Next::Probe((g * 2.0).min(self.max)),
            (good, Some(b)) => {
                let lo = good.unwrap_or(0.0);
                // An estimate at the last good rate (within the precision)
                // says the capacity is just above it.
                let mut at_good = false;
                if let Some(h) = self.hint {
                    let probe = h * (1.0 - p / 3.0);
                    if probe > lo && probe < b {
                        return Next::Probe(probe);
                    }
                    at_good = good.is_some_and(|g| h >= g * (1.0 - p) && h < b);
                }
                match good {
                    // Just under the top of the band: a pass or a fail
                    // there closes the bracket.
                    Some(g) if (self.hint_passed && self.strides < MAX_STRIDES) || at_good => {
                        Next::Probe((g * (1.0 + p) * (1.0 - p / 20.0)).min(b))
                    }
                    Some(g) => Next::Probe((g * b).sqrt()),
                    None => Next::Probe(b / 2.0),
                }
            }
        }
    }

    /// Take in a step at `rate`: whether it met every SLO and, when it
    /// failed overloaded, its capacity estimate.
    pub(crate) fn record(&mut self, rate: f64, passed: bool, estimate: Option<f64>) {
        self.steps += 1;
        let probed_hint = self
            .hint
            .is_some_and(|h| (h * (1.0 - self.precision / 3.0) - rate).abs() < 1e-9);
        let top_of_band = self.good.is_some_and(|g| {
            (g * (1.0 + self.precision) * (1.0 - self.precision / 20.0) - rate).abs() < 1e-9
        });
        if passed {
            self.strides = if self.hint_passed && top_of_band {
                self.strides + 1
            } else {
                0
            };
            self.good = Some(self.good.map_or(rate, |g| g.max(rate)));
            if self.bad.is_some_and(|b| b <= rate) {
                self.bad = None;
            }
            // A passing estimate, or a passing stride after one: the
            // estimate was low, the capacity is still close above.
            self.hint_passed = probed_hint || (self.hint_passed && top_of_band);
            self.hint = None;
        } else {
            self.strides = 0;
            self.bad = Some(self.bad.map_or(rate, |b| b.min(rate)));
            self.hint_passed = false;
            // Only an overloaded step (served clearly below offered) says
            // where the capacity is.
            self.hint = estimate.filter(|e| *e < rate * (1.0 - self.precision / 2.0) && *e > 0.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A simulated target of capacity `c`: a step passes below it; an
    /// overloaded step serves `c × (1 + bias)`.
    fn simulate(c: f64, bias: f64, start: f64) -> (Search, Vec<f64>) {
        let mut search = Search::new(start, 100_000.0, 0.03, 8);
        let mut rates = Vec::new();
        while let Next::Probe(r) = search.next() {
            rates.push(r);
            let passed = r <= c;
            search.record(r, passed, (!passed).then_some(c * (1.0 + bias)));
        }
        (search, rates)
    }

    #[test]
    fn known_capacities_are_bracketed_within_3_percent_in_8_steps() {
        for (c, start) in [
            (250.0, 100.0),
            (600.0, 100.0),
            (1_100.0, 100.0),
            (800.0, 50.0),
        ] {
            for bias in [-0.005, 0.0, 0.005] {
                let (search, rates) = simulate(c, bias, start);
                let (good, bad) = search.bracket();
                let (good, bad) = (good.unwrap(), bad.unwrap());
                assert!(search.is_bracketed(), "{c} {bias}: {rates:?}");
                assert!(good <= c && c < bad, "{c}: [{good}, {bad}]");
                // R* is within 3 % below C: C < bad ≤ good × 1.03.
                assert!(c / good - 1.0 <= 0.03, "{c}: R* {good}");
                assert!(
                    rates.len() <= 8,
                    "{c} {bias}: {} steps {rates:?}",
                    rates.len()
                );
            }
        }
    }

    #[test]
    fn doubling_then_estimate_then_top_of_band() {
        let (_, rates) = simulate(1_100.0, 0.0, 100.0);
        let expected = [
            100.0,
            200.0,
            400.0,
            800.0,
            1_600.0,
            1_089.0,
            1_089.0 * 1.03 * 0.9985,
        ];
        assert_eq!(rates.len(), expected.len(), "{rates:?}");
        for (r, e) in rates.iter().zip(expected) {
            assert!((r - e).abs() < 1e-6, "{rates:?}");
        }
    }

    #[test]
    fn without_an_estimate_the_bracket_is_halved() {
        // Errors, not overload: no estimate; bracket [800, 1600] halves
        // geometrically, each step dividing the width's log by two.
        let mut search = Search::new(100.0, 10_000.0, 0.03, 20);
        let c = 1_000.0;
        let mut widths = Vec::new();
        while let Next::Probe(r) = search.next() {
            search.record(r, r <= c, None);
            if let (Some(g), Some(b)) = search.bracket() {
                widths.push(b / g);
            }
        }
        // 100..1600 is 5 steps, then log2(ln 2 / ln 1.03) ≈ 4.2 → 5 halvings.
        assert_eq!(search.steps(), 10);
        for pair in widths.windows(2) {
            assert!(
                (pair[1].ln() - pair[0].ln() / 2.0).abs() < 1e-9,
                "{widths:?}"
            );
        }
        assert!(*widths.last().unwrap() <= 1.03);
    }

    #[test]
    fn an_estimate_outside_the_bracket_is_ignored_and_max_ends_the_climb() {
        let mut search = Search::new(100.0, 300.0, 0.03, 8);
        assert_eq!(search.next(), Next::Probe(100.0));
        search.record(100.0, true, None);
        assert_eq!(search.next(), Next::Probe(200.0));
        search.record(200.0, true, None);
        assert_eq!(search.next(), Next::Probe(300.0));
        search.record(300.0, true, None);
        assert_eq!(search.next(), Next::ReachedMax);

        let mut search = Search::new(100.0, 1_000.0, 0.03, 8);
        search.record(100.0, true, None);
        search.record(200.0, false, Some(50.0)); // below the last good: useless
        assert_eq!(search.next(), Next::Probe((100.0f64 * 200.0).sqrt()));
    }

    #[test]
    fn a_low_estimate_is_followed_by_strides_up_the_band() {
        // Overloaded steps serve 4 % below the true capacity (a service
        // slower under heavier load): the estimate probe (633.6) and one
        // stride (651.6) pass, the next stride (670.2) fails: 7 steps.
        let c = 665.0;
        let mut search = Search::new(100.0, 1e9, 0.03, 8);
        let mut rates = Vec::new();
        while let Next::Probe(r) = search.next() {
            rates.push(r);
            search.record(r, r <= c, (r > c).then_some(640.0));
        }
        let (good, bad) = search.bracket();
        assert!(search.is_bracketed(), "{rates:?}");
        assert!(good.unwrap() <= c && c < bad.unwrap(), "{rates:?}");
        assert_eq!(rates.len(), 7, "{rates:?}");
    }

    #[test]
    fn the_step_budget_ends_the_search() {
        let mut search = Search::new(100.0, 1e9, 0.03, 3);
        for r in [100.0, 200.0, 400.0] {
            assert_eq!(search.next(), Next::Probe(r));
            search.record(r, true, None);
        }
        assert_eq!(search.next(), Next::OutOfSteps);
    }

    #[test]
    fn a_first_step_that_fails_probes_below_it() {
        let mut search = Search::new(1_000.0, 1e9, 0.03, 8);
        search.record(1_000.0, false, Some(300.0));
        assert_eq!(search.next(), Next::Probe(300.0 * 0.99));
        search.record(297.0, true, None);
        assert_eq!(search.next(), Next::Probe(297.0 * 1.03 * 0.9985));
    }
}

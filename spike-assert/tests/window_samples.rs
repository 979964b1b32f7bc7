//! Per-window checks judge only windows with enough samples: thinner ones
//! are skipped and listed, and a check whose windows are mostly skipped is
//! inconclusive. The fixture (see `common`) has 10 completed iterations in
//! each baseline and recover window and 40 in each burst window.

mod common;

use common::report;
use spike_assert::{expect, Failure, DEFAULT_MIN_SAMPLES};
use spike_core::{ms, pct, secs, Check};

fn failure(r: Result<spike_assert::Verified, Failure>) -> Failure {
    match r {
        Ok(v) => panic!("expected a failure, all passed: {:#?}", v.checks()),
        Err(f) => f,
    }
}

fn first(checks: &[Check]) -> (&str, bool) {
    (checks[0].actual.as_str(), checks[0].passed)
}

#[test]
fn the_default_minimum_is_twenty_samples() {
    assert_eq!(DEFAULT_MIN_SAMPLES, 20);
}

#[test]
fn one_slow_sample_no_longer_decides_a_window() {
    // Window #6 of the recover phase holds a single iteration, which took
    // 5 s: its p99 is that one value.
    let mut r = report();
    let w = &mut r.windows[6].stats;
    w.completed = 1;
    w.scheduled = 1;
    w.started = 1;
    w.latency.p99_us = 5_000_000;
    // Judged at a minimum of 1, the lone sample fails the check...
    let f = failure(
        expect(&r)
            .min_samples(1)
            .phase("recover")
            .every_window()
            .p99()
            .below(secs(1))
            .try_verify(),
    );
    assert_eq!(
        first(f.checks()),
        (
            "1 of 5 windows fail; worst window #6 (600.0ms–700.0ms): 5.00s",
            false
        )
    );
    // ...at 10 it is skipped and listed, and the 4 other windows decide.
    let v = expect(&r)
        .min_samples(10)
        .phase("recover")
        .every_window()
        .p99()
        .below(secs(1))
        .verify();
    assert_eq!(
        first(v.checks()),
        (
            "all 4 windows pass; worst window #5 (500.0ms–600.0ms): 50.0ms (1 window with fewer than 10 \
             samples skipped: #6)",
            true
        )
    );
}

#[test]
fn mostly_skipped_is_inconclusive_not_a_pass() {
    let r = report();
    // Default minimum 20: the baseline's three 10-sample windows are all
    // skipped.
    let f = failure(
        expect(&r)
            .phase("baseline")
            .every_window()
            .error_rate()
            .below(pct(2))
            .try_verify(),
    );
    let c = &f.checks()[0];
    assert_eq!(
        c.actual,
        "3 windows with fewer than 20 samples skipped: #0, #1, #2; no window left to judge (most \
         samples in one: 10)"
    );
    assert!(!c.passed);
    let msg = f.to_string();
    assert!(msg.contains("INCONCLUSIVE"), "{msg}");
    assert!(
        msg.contains("Too few samples per window to judge, so these checks are inconclusive"),
        "{msg}"
    );
    assert!(msg.contains(".min_samples(n)"), "{msg}");
    // Over the whole run: 2 burst windows judged, 8 skipped, none failing:
    // still inconclusive, the two judged windows say little about ten.
    let f = failure(expect(&r).every_window().p99().below(secs(1)).try_verify());
    assert_eq!(
        first(f.checks()),
        (
            "all 2 windows pass; worst window #3 (300.0ms–400.0ms): 200.0ms (8 windows with fewer than \
             20 samples skipped: #0, #1, #2, #5, #6 and 3 more); only 2 of 10 windows judged",
            false
        )
    );
    assert!(f.to_string().contains("INCONCLUSIVE"));
    // Accepted explicitly, the row reads `allowed` and the chain passes.
    let v = expect(&r)
        .every_window()
        .p99()
        .below(secs(1))
        .allow_inconclusive()
        .verify();
    assert!(v.checks().iter().all(|c| c.passed));
}

#[test]
fn a_failure_in_a_judged_window_is_a_failure_even_when_most_are_skipped() {
    let r = report();
    let f = failure(
        expect(&r)
            .every_window()
            .p99()
            .below(ms(150))
            .allow_inconclusive()
            .try_verify(),
    );
    assert_eq!(
        first(f.checks()),
        (
            "2 of 2 windows fail; worst window #3 (300.0ms–400.0ms): 200.0ms (8 windows with fewer than \
             20 samples skipped: #0, #1, #2, #5, #6 and 3 more)",
            false
        )
    );
    assert!(f.to_string().contains("FAILED"));
}

#[test]
fn skipped_windows_are_listed_when_most_are_judged() {
    let mut r = report();
    // Recover windows now hold 25 samples: 7 judged, 3 (baseline) skipped.
    for w in &mut r.windows[5..] {
        w.stats.completed = 25;
    }
    let v = expect(&r).every_window().p99().below(secs(1)).verify();
    assert_eq!(
        first(v.checks()),
        (
            "all 7 windows pass; worst window #3 (300.0ms–400.0ms): 200.0ms (3 windows with fewer than \
             20 samples skipped: #0, #1, #2)",
            true
        )
    );
}

#[test]
fn one_window_below_the_minimum_is_not_judged() {
    let r = report();
    let f = failure(expect(&r).window(6).p95().below(ms(30)).try_verify());
    assert_eq!(
        first(f.checks()),
        (
            "only 10 samples, fewer than the minimum of 20: not judged",
            false
        )
    );
    assert!(f.to_string().contains("INCONCLUSIVE"));
    // Counts and rates need no minimum.
    expect(&r).window(6).dropped().at_most(0).verify();
}

#[test]
fn a_window_where_nothing_completed_still_fails() {
    // Zero samples is not "too few to judge": the target served nobody.
    let mut r = report();
    r.windows[3].stats = common::stats(0, 0, ms(100), 400.0, [0; 6]);
    r.windows[3].stats.scheduled = 40;
    let f = failure(
        expect(&r)
            .phase("burst")
            .every_window()
            .error_rate()
            .below(pct(2))
            .try_verify(),
    );
    assert_eq!(
        first(f.checks()),
        (
            "1 of 2 windows fail; worst window #3 (300.0ms–400.0ms): no iteration completed",
            false
        )
    );
}

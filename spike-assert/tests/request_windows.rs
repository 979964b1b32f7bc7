//! Checks of one named request per window (`request(name).every_window()`,
//! `request(name).window(i)`) against a report whose per-request numbers
//! are known by construction (see `common::report_with_requests`).

mod common;

use common::{failure, outcomes, report_with_requests, settings};
use spike_assert::expect;
use spike_core::{ms, pct, secs};

#[test]
fn every_window_of_a_phase_finds_the_request_s_worst_window() {
    let r = report_with_requests();
    let f = failure(
        expect(&r)
            // Four checkouts in each burst window.
            .min_samples(4)
            .request("checkout")
            .phase("burst")
            .every_window()
            .p95()
            .below(ms(350))
            .error_rate()
            .below(pct(10))
            .count()
            .at_least(4)
            .try_verify(),
    );
    assert_eq!(
        outcomes(f.checks()),
        [
            (
                "request checkout, every window of burst",
                "1 of 2 windows fail; worst window #4 (400.0ms–500.0ms): 380.0ms",
                false
            ),
            (
                "request checkout, every window of burst",
                "1 of 2 windows fail; worst window #4 (400.0ms–500.0ms): 25.00%",
                false
            ),
            (
                "request checkout, every window of burst",
                "all 2 windows pass; worst window #3 (300.0ms–400.0ms): 4",
                true
            ),
        ]
    );
    settings().bind(|| insta::assert_snapshot!(f.message()));
}

#[test]
fn windows_without_the_request_are_thin_not_failed() {
    let r = report_with_requests();
    // Over the run, checkout finished in 2 windows with 4 each, once in
    // each baseline window and never in the recover windows (whose
    // iterations did complete): 8 of 10 windows are too thin to judge.
    let f = failure(
        expect(&r)
            .min_samples(4)
            .request("checkout")
            .every_window()
            .p95()
            .below(secs(1))
            .window(5)
            .p95()
            .below(secs(1))
            .try_verify(),
    );
    assert_eq!(
        outcomes(f.checks()),
        [
            (
                "request checkout, every window",
                "all 2 windows pass; worst window #4 (400.0ms–500.0ms): 380.0ms (8 windows with \
                 fewer than 4 samples skipped: #0, #1, #2, #5, #6 and 3 more); only 2 of 10 \
                 windows judged",
                false
            ),
            (
                "request checkout, window #5",
                "only 0 samples, fewer than the minimum of 4: not judged",
                false
            ),
        ]
    );
    assert!(
        f.message().contains(
            "Too few samples per window to judge, so these checks are inconclusive, not a pass:\n  \
             - latency p95, request checkout, every window: all 2 windows pass"
        ),
        "{f}"
    );
    // Knowingly accepted, the same checks pass as `allowed`.
    let allowed = expect(&r)
        .min_samples(4)
        .request("checkout")
        .every_window()
        .p95()
        .below(secs(1))
        .allow_inconclusive()
        .verify();
    assert!(allowed.checks().iter().all(|c| c.passed));
}

#[test]
fn a_window_where_nothing_completed_fails_its_requests() {
    let mut r = report_with_requests();
    // Window #6: iterations due, none completed (an outage).
    r.windows[6].stats = common::stats(0, 0, ms(100), 100.0, [0; 6]);
    r.windows[6].stats.scheduled = 10;
    r.windows[6].stats.started = 10;
    let f = failure(
        expect(&r)
            .min_samples(7)
            .request("browse")
            .phase("recover")
            .every_window()
            .p95()
            .below(ms(10))
            .try_verify(),
    );
    assert_eq!(
        outcomes(f.checks()),
        [(
            "request browse, every window of recover",
            "1 of 5 windows fail; worst window #6 (600.0ms–700.0ms): no `browse` request completed",
            false
        )]
    );
}

#[test]
fn one_window_of_one_request() {
    let r = report_with_requests();
    let f = failure(
        expect(&r)
            .min_samples(4)
            .request("checkout")
            .window(3)
            .error_rate()
            .at_most(pct(20))
            .window(4)
            .error_rate()
            .at_most(pct(20))
            .p95()
            .below(ms(400))
            .try_verify(),
    );
    assert_eq!(
        outcomes(f.checks()),
        [
            ("request checkout, window #3", "0.00%", true),
            ("request checkout, window #4", "25.00%", false),
            ("request checkout, window #4", "380.0ms", true),
        ]
    );
}

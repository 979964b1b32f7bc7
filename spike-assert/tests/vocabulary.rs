//! One vocabulary in the chain (issue 10, point 5): which iterations each
//! check looks at (a scope holds for every later check until the next scope
//! method; recovery and the regression gate are run-level and say so), and
//! what each comparator means, pinned at its boundary.
//!
//! Every value is set by the test on the fixture of `common` (a latency
//! percentile, an error count over 160 completions, tag counts), so a value
//! exactly equal to its threshold is arithmetic the test controls, not a
//! measurement.

mod common;

use common::{report, set_errors};
use spike_assert::{expect, Expect, Failure, Verified};
use spike_core::{ms, pct, secs, Check, Report, TagStats};

/// Every check of an outcome, passed or not.
fn checks(outcome: Result<Verified, Failure>) -> Vec<Check> {
    match outcome {
        Ok(v) => v.checks().to_vec(),
        Err(f) => f.checks().to_vec(),
    }
}

/// The one check `add` appends to a chain on `r`: (expected, passed).
fn judge<'r>(r: &'r Report, add: impl FnOnce(Expect<'r>) -> Expect<'r>) -> (String, bool) {
    let checks = checks(add(expect(r)).try_verify());
    assert_eq!(checks.len(), 2, "one check and the guard: {checks:#?}");
    assert_eq!(checks[1].check, "load applied as planned");
    (checks[0].expected.clone(), checks[0].passed)
}

fn owned(rows: &[(&str, bool)]) -> Vec<(String, bool)> {
    rows.iter().map(|(e, p)| ((*e).to_owned(), *p)).collect()
}

/// (check, scope, actual) of every check but the guard.
fn scopes(checks: &[Check]) -> Vec<(&str, &str, &str)> {
    checks
        .iter()
        .filter(|c| c.check != "load applied as planned")
        .map(|c| (c.check.as_str(), c.scope.as_str(), c.actual.as_str()))
        .collect()
}

#[test]
fn a_scope_holds_for_every_later_check_and_recovery_says_it_ignores_it() {
    // Fixture: latency p95 110.0ms in the run, 140.0ms in phase burst; p99 200.0ms
    // in each burst window, 20.0ms in the others; recovered 100.0ms after the
    // spike. The actual column shows which stats each check read.
    let r = report();
    let v = expect(&r)
        // The fixture's windows hold 10 samples each (see common).
        .min_samples(10)
        .p95()
        .below(secs(1))
        .phase("burst")
        .p95()
        .below(secs(1))
        .recovery()
        .within(secs(30))
        .p95()
        .below(secs(1))
        .every_window()
        .p99()
        .below(secs(1))
        .recovery()
        .recovered()
        .p99()
        .below(secs(1))
        .window(3)
        .p99()
        .below(secs(1))
        .every_window()
        .p99()
        .below(secs(1))
        .run()
        .recovery()
        .recovered()
        .p95()
        .below(secs(1))
        .verify();
    let burst_windows = "all 2 windows pass; worst window #3 (300.0ms–400.0ms): 200.0ms";
    let all_windows = "all 10 windows pass; worst window #3 (300.0ms–400.0ms): 200.0ms";
    let recovered = "recovered 100.0ms after the spike";
    assert_eq!(
        scopes(v.checks()),
        [
            ("latency p95", "run", "110.0ms"),
            ("latency p95", "phase burst", "140.0ms"),
            ("recovery", "run (ignores phase burst)", recovered),
            // The phase is still in force after the run-level check.
            ("latency p95", "phase burst", "140.0ms"),
            ("latency p99", "every window of burst", burst_windows),
            ("recovery", "run (ignores every window of burst)", recovered),
            ("latency p99", "every window of burst", burst_windows),
            ("latency p99", "window #3", "200.0ms"),
            // every_window() after window(..) covers the whole run.
            ("latency p99", "every window", all_windows),
            ("recovery", "run", recovered),
            ("latency p95", "run", "110.0ms"),
        ]
    );
}

#[test]
fn a_missing_phase_does_not_stop_recovery_which_ignores_it() {
    let r = report();
    let c = checks(
        expect(&r)
            .phase("brust")
            .recovery()
            .within(secs(30))
            .p95()
            .below(secs(1))
            .try_verify(),
    );
    assert_eq!(
        scopes(&c),
        [
            (
                "recovery",
                "run (ignores phase brust)",
                "recovered 100.0ms after the spike"
            ),
            (
                "latency p95",
                "phase brust",
                "no phase named `brust`; the phases are: baseline, burst, recover"
            ),
        ]
    );
    assert!(c[0].passed);
    assert!(!c[1].passed);
}

#[test]
fn the_regression_gate_is_run_level_and_says_so() {
    // A folder of its own: no baseline was ever saved there.
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("spike-assert")
        .join("vocabulary-gate");
    let _ = std::fs::remove_dir_all(&dir);
    let mut r = report();
    r.artifacts = Some(dir.clone());
    let c = checks(
        expect(&r)
            .phase("burst")
            .no_regression_against("main")
            .p95()
            .below(secs(1))
            .run()
            .no_regression_against("main")
            .try_verify(),
    );
    let scope: Vec<(&str, &str)> = c
        .iter()
        .map(|c| (c.check.as_str(), c.scope.as_str()))
        .collect();
    assert_eq!(
        scope,
        [
            (
                "baseline `main`",
                "run vs baseline `main` (ignores phase burst)"
            ),
            ("latency p95", "phase burst"),
            ("baseline `main`", "run vs baseline `main`"),
            ("load applied as planned", "generator"),
        ]
    );
    assert!(c[0].actual.starts_with("none at "), "{c:#?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn min_samples_holds_until_the_next_min_samples() {
    // Window #6 holds 10 samples, p95 18.0ms.
    let r = report();
    let c = checks(
        expect(&r)
            .window(6)
            .min_samples(10)
            .p95()
            .below(ms(30))
            .min_samples(20)
            .p95()
            .below(ms(30))
            .try_verify(),
    );
    assert_eq!(
        scopes(&c),
        [
            ("latency p95", "window #6", "18.0ms"),
            (
                "latency p95",
                "window #6",
                "only 10 samples, fewer than the minimum of 20: not judged"
            ),
        ]
    );
    assert!(c[0].passed);
    assert!(!c[1].passed);
}

#[test]
fn allow_inconclusive_covers_the_whole_chain_wherever_it_is_called() {
    let mut r = report();
    r.generator.dropped = 1;
    r.generator.saturated = true;
    assert!(expect(&r).p95().below(secs(1)).try_verify().is_err());
    assert!(expect(&r)
        .allow_inconclusive()
        .p95()
        .below(secs(1))
        .try_verify()
        .is_ok());
    assert!(expect(&r)
        .p95()
        .below(secs(1))
        .allow_inconclusive()
        .try_verify()
        .is_ok());
}

#[test]
fn duration_comparators_at_their_boundary() {
    let mut r = report();
    r.total.latency.p95_us = 250_000; // exactly ms(250)
    let at = ms(250);
    let got = vec![
        judge(&r, |e| e.p95().below(at)),
        judge(&r, |e| e.p95().at_most(at)),
        judge(&r, |e| e.p95().above(at)),
        judge(&r, |e| e.p95().at_least(at)),
        judge(&r, |e| e.p95().between(at, secs(1))),
        judge(&r, |e| e.p95().between(ms(1), at)),
        // The other side of the line, 1 ms away.
        judge(&r, |e| e.p95().below(ms(251))),
        judge(&r, |e| e.p95().at_most(ms(249))),
        judge(&r, |e| e.p95().above(ms(249))),
        judge(&r, |e| e.p95().at_least(ms(251))),
        judge(&r, |e| e.p95().between(ms(251), secs(1))),
        judge(&r, |e| e.p95().between(ms(1), ms(249))),
    ];
    assert_eq!(
        got,
        owned(&[
            ("< 250.0ms", false),
            ("≤ 250.0ms", true),
            ("> 250.0ms", false),
            ("≥ 250.0ms", true),
            ("≥ 250.0ms and ≤ 1.00s", true),
            ("≥ 1.0ms and ≤ 250.0ms", true),
            ("< 251.0ms", true),
            ("≤ 249.0ms", false),
            ("> 249.0ms", true),
            ("≥ 251.0ms", false),
            ("≥ 251.0ms and ≤ 1.00s", false),
            ("≥ 1.0ms and ≤ 249.0ms", false),
        ])
    );
}

#[test]
#[allow(deprecated)]
fn within_on_a_latency_is_at_most_under_its_old_name() {
    let mut r = report();
    r.total.latency.p95_us = 250_000;
    assert_eq!(
        judge(&r, |e| e.p95().within(ms(250))),
        judge(&r, |e| e.p95().at_most(ms(250)))
    );
    let got = vec![
        judge(&r, |e| e.p95().within(ms(250))),
        judge(&r, |e| e.p95().within(ms(249))),
    ];
    assert_eq!(got, owned(&[("≤ 250.0ms", true), ("≤ 249.0ms", false)]));
}

#[test]
fn percent_comparators_at_their_boundary() {
    let mut r = report();
    set_errors(&mut r.total, "http_5xx", 4); // 4 of 160 completed: 2.5%
    let at = pct(2.5);
    let got = vec![
        judge(&r, |e| e.error_rate().below(at)),
        judge(&r, |e| e.error_rate().at_most(at)),
        judge(&r, |e| e.error_rate().above(at)),
        judge(&r, |e| e.error_rate().at_least(at)),
        judge(&r, |e| e.error_rate().between(at, pct(3))),
        judge(&r, |e| e.error_rate().between(pct(2), at)),
        judge(&r, |e| e.error_rate().below(pct(2.6))),
        judge(&r, |e| e.error_rate().at_most(pct(2.4))),
        judge(&r, |e| e.error_rate().above(pct(2.4))),
        judge(&r, |e| e.error_rate().at_least(pct(2.6))),
    ];
    assert_eq!(
        got,
        owned(&[
            ("< 2.50%", false),
            ("≤ 2.50%", true),
            ("> 2.50%", false),
            ("≥ 2.50%", true),
            ("≥ 2.50% and ≤ 3.00%", true),
            ("≥ 2.00% and ≤ 2.50%", true),
            ("< 2.60%", true),
            ("≤ 2.40%", false),
            ("> 2.40%", true),
            ("≥ 2.60%", false),
        ])
    );
}

#[test]
fn count_comparators_at_their_boundary() {
    let mut r = report();
    set_errors(&mut r.total, "http_5xx", 4);
    let got = vec![
        judge(&r, |e| e.errors("http_5xx").below(4)),
        judge(&r, |e| e.errors("http_5xx").at_most(4)),
        judge(&r, |e| e.errors("http_5xx").above(4)),
        judge(&r, |e| e.errors("http_5xx").at_least(4)),
        judge(&r, |e| e.errors("http_5xx").between(4, 4)),
        judge(&r, |e| e.errors("http_5xx").below(5)),
        judge(&r, |e| e.errors("http_5xx").at_most(3)),
        judge(&r, |e| e.errors("http_5xx").above(3)),
        judge(&r, |e| e.errors("http_5xx").at_least(5)),
        judge(&r, |e| e.errors("http_5xx").between(5, 9)),
    ];
    assert_eq!(
        got,
        owned(&[
            ("< 4", false),
            ("≤ 4", true),
            ("> 4", false),
            ("≥ 4", true),
            ("≥ 4 and ≤ 4", true),
            ("< 5", true),
            ("≤ 3", false),
            ("> 3", true),
            ("≥ 5", false),
            ("≥ 5 and ≤ 9", false),
        ])
    );
}

#[test]
fn rate_comparators_at_their_boundary() {
    let mut r = report();
    set_errors(&mut r.total, "http_5xx", 4); // (160 − 4) successes in 1 s: 156/s
    let got = vec![
        judge(&r, |e| e.throughput().below(156.0)),
        judge(&r, |e| e.throughput().at_most(156.0)),
        judge(&r, |e| e.throughput().above(156.0)),
        judge(&r, |e| e.throughput().at_least(156.0)),
        judge(&r, |e| e.throughput().between(156.0, 200.0)),
        judge(&r, |e| e.throughput().above(155.0)),
        judge(&r, |e| e.throughput().at_least(157.0)),
    ];
    assert_eq!(
        got,
        owned(&[
            ("< 156/s", false),
            ("≤ 156/s", true),
            ("> 156/s", false),
            ("≥ 156/s", true),
            ("≥ 156/s and ≤ 200/s", true),
            ("> 155/s", true),
            ("≥ 157/s", false),
        ])
    );
}

#[test]
fn tag_share_comparators_include_their_bounds() {
    let mut r = report();
    // 40 and 120 of 160: shares of exactly 25% and 75%.
    let tag = |count| TagStats {
        count,
        errors: 0,
        p50_us: 1,
        p95_us: 1,
        p99_us: 1,
    };
    r.total.tags.insert(
        "x-backend".to_owned(),
        [("a".to_owned(), tag(40)), ("b".to_owned(), tag(120))].into(),
    );
    let got = vec![
        judge(&r, |e| e.tag_share("x-backend").each_at_most(pct(75))),
        judge(&r, |e| e.tag_share("x-backend").each_at_least(pct(25))),
        judge(&r, |e| {
            e.tag_share("x-backend").each_between(pct(25), pct(75))
        }),
        judge(&r, |e| e.tag_share("x-backend").each_at_most(pct(74))),
        judge(&r, |e| e.tag_share("x-backend").each_at_least(pct(26))),
        judge(&r, |e| {
            e.tag_share("x-backend").each_between(pct(26), pct(75))
        }),
    ];
    assert_eq!(
        got,
        owned(&[
            ("each ≤ 75.00%", true),
            ("each ≥ 25.00%", true),
            ("each ≥ 25.00% and ≤ 75.00%", true),
            ("each ≤ 74.00%", false),
            ("each ≥ 26.00%", false),
            ("each ≥ 26.00% and ≤ 75.00%", false),
        ])
    );
}

#[test]
fn recovery_within_includes_its_limit() {
    let r = report(); // recovered exactly 100.0ms after the spike
    let got = vec![
        judge(&r, |e| e.recovery().within(ms(100))),
        judge(&r, |e| e.recovery().within(ms(99))),
        judge(&r, |e| e.recovery().within(ms(101))),
        judge(&r, |e| e.recovery().recovered()),
    ];
    assert_eq!(
        got,
        owned(&[
            ("recovered ≤ 100.0ms after the spike", true),
            ("recovered ≤ 99.0ms after the spike", false),
            ("recovered ≤ 101.0ms after the spike", true),
            ("recovered", true),
        ])
    );
}

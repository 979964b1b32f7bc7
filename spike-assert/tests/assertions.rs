//! The assertion chain against reports with known numbers: every metric,
//! comparator, scope, the guard, the failure message, the location and the
//! checks recorded in `report.json`.

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex};

use common::{report, set_errors, settings};
use spike_assert::{expect, Failure};
use spike_core::{ms, pct, secs, Check, Report, TagStats};

fn failure(r: Result<spike_assert::Verified, Failure>) -> Failure {
    match r {
        Ok(v) => panic!("expected a failure, all passed: {:#?}", v.checks()),
        Err(f) => f,
    }
}

/// The one check of a chain, guard excluded.
fn only(checks: &[Check]) -> &Check {
    assert_eq!(checks.len(), 2, "one check and the guard: {checks:#?}");
    assert_eq!(checks[1].check, "load applied as planned");
    &checks[0]
}

/// (`key` column, actual, passed) of the first `n` checks.
fn rows<'a>(
    checks: &'a [Check],
    n: usize,
    key: fn(&'a Check) -> &'a String,
) -> Vec<(&'a str, &'a str, bool)> {
    checks
        .iter()
        .take(n)
        .map(|c| (key(c).as_str(), c.actual.as_str(), c.passed))
        .collect()
}

fn failed_only(f: &Failure) -> Check {
    let failed: Vec<&Check> = f.failed().collect();
    assert_eq!(failed.len(), 1, "{f}");
    failed[0].clone()
}

#[test]
fn a_passing_chain_evaluates_every_check() {
    let r = report();
    let verified = expect(&r)
        .error_rate()
        .below(pct(2))
        .p50()
        .below(ms(13))
        .p90()
        .at_most(ms(60))
        .p95()
        .below(ms(250))
        .p99()
        .at_most(ms(200))
        .p999()
        .at_most(ms(250))
        .max()
        .between(ms(300), secs(1))
        .service_time()
        .p99()
        .below(ms(101))
        .throughput()
        .at_least(160.0)
        .recovery()
        .within(secs(30))
        .recovery()
        .recovered()
        .dropped()
        .at_most(0)
        .errors("http_5xx")
        .at_most(10)
        .ratio("cache_hit", "cache_lookup")
        .above(pct(90))
        .phase("burst")
        .p99()
        .below(ms(800))
        .every_window()
        .error_rate()
        .below(pct(2))
        .run()
        .throughput()
        .above(159.9)
        .verify();
    let checks = verified.checks();
    assert_eq!(checks.len(), 18);
    assert!(checks.iter().all(|c| c.passed), "{checks:#?}");
    let row = |i: usize| {
        let c = &checks[i];
        [
            c.check.as_str(),
            c.scope.as_str(),
            c.expected.as_str(),
            c.actual.as_str(),
        ]
    };
    assert_eq!(row(0), ["error rate", "run", "< 2.00%", "0.00%"]);
    assert_eq!(row(3), ["latency p95", "run", "< 250.0ms", "110.0ms"]);
    assert_eq!(row(5), ["latency p99.9", "run", "≤ 250.0ms", "250.0ms"]);
    assert_eq!(row(7), ["service time p99", "run", "< 101.0ms", "100.0ms"]);
    assert_eq!(row(8), ["throughput", "run", "≥ 160/s", "160/s"]);
    assert_eq!(
        row(9),
        [
            "recovery",
            "run",
            "recovered ≤ 30.00s after the spike",
            "recovered 100.0ms after the spike"
        ]
    );
    assert_eq!(
        row(13),
        ["ratio cache_hit/cache_lookup", "run", "> 90.00%", "93.75%"]
    );
    assert_eq!(
        row(14),
        ["latency p99", "phase burst", "< 800.0ms", "220.0ms"]
    );
    assert_eq!(
        row(15),
        [
            "error rate",
            "every window of burst",
            "< 2.00%",
            "all 2 windows pass; worst window #3 (300.0ms–400.0ms): 0.00%"
        ]
    );
    assert_eq!(row(16)[1], "run");
    assert_eq!(checks[17].check, "load applied as planned");
    assert_eq!(checks[17].actual, "0 dropped, lag p99 1.0ms");
    assert_eq!(verified.report_path(), None);
}

#[test]
fn comparators_draw_the_line_where_their_names_say() {
    let mut r = report();
    set_errors(&mut r.total, "http_5xx", 4); // 4 / 160 = 2.50%
    let f = failure(
        expect(&r)
            .error_rate()
            .below(pct(2.5))
            .error_rate()
            .at_most(pct(2.5))
            .error_rate()
            .above(pct(2.5))
            .error_rate()
            .at_least(pct(2.5))
            .error_rate()
            .between(pct(2.5), pct(3))
            .error_rate()
            .between(pct(1), pct(2.5))
            .error_rate()
            .between(pct(2.6), pct(3))
            .p95()
            .below(ms(110))
            .p95()
            .at_most(ms(110))
            .p95()
            .above(ms(110))
            .p95()
            .at_least(ms(110))
            .dropped()
            .below(0)
            .dropped()
            .at_least(0)
            .throughput()
            .at_most(156.0)
            .throughput()
            .below(156.0)
            .try_verify(),
    );
    let verdicts: Vec<(String, bool)> = f
        .checks()
        .iter()
        .map(|c| (c.expected.clone(), c.passed))
        .collect();
    let expected = [
        ("< 2.50%", false),
        ("≤ 2.50%", true),
        ("> 2.50%", false),
        ("≥ 2.50%", true),
        ("≥ 2.50% and ≤ 3.00%", true),
        ("≥ 1.00% and ≤ 2.50%", true),
        ("≥ 2.60% and ≤ 3.00%", false),
        ("< 110.0ms", false),
        ("≤ 110.0ms", true),
        ("> 110.0ms", false),
        ("≥ 110.0ms", true),
        ("< 0", false),
        ("≥ 0", true),
        ("≤ 156/s", true),
        ("< 156/s", false),
        ("0 dropped, lag p99 ≤ 25.0ms, not interrupted", true),
    ];
    let expected: Vec<(String, bool)> = expected
        .iter()
        .map(|(e, p)| ((*e).to_owned(), *p))
        .collect();
    assert_eq!(verdicts, expected);
    assert_eq!(f.checks()[14].actual, "156/s");
}

#[test]
fn an_impossible_range_is_an_invalid_expectation() {
    let r = report();
    let f = failure(expect(&r).p95().between(secs(1), ms(1)).try_verify());
    assert_eq!(
        failed_only(&f).actual,
        "invalid expectation: the lower bound is above the upper bound: no value can pass"
    );
}

#[test]
fn service_time_is_not_latency() {
    let r = report();
    // Total latency p99 is 200.0ms, service time p99 100.0ms.
    let f = failure(
        expect(&r)
            .service_time()
            .p99()
            .below(ms(150))
            .p99()
            .below(ms(150))
            .service_time()
            .p50()
            .at_most(ms(6))
            .service_time()
            .max()
            .at_most(ms(150))
            .try_verify(),
    );
    let c = failed_only(&f);
    assert_eq!(
        (c.check.as_str(), c.actual.as_str()),
        ("latency p99", "200.0ms")
    );
    assert_eq!(f.checks()[0].actual, "100.0ms");
    assert_eq!(f.checks()[2].actual, "6.0ms");
}

#[test]
fn recorded_metrics_are_checked_by_name_in_the_current_scope() {
    let mut r = report();
    let wait = |p95_us: u64| spike_core::Percentiles {
        count: 50,
        p50_us: p95_us / 2,
        p95_us,
        max_us: p95_us * 2,
        ..Default::default()
    };
    r.total.metrics.insert("pool_wait".into(), wait(40_000));
    let burst = r.phases.len() - 1;
    let burst_name = r.phases[burst].name.clone();
    r.phases[burst]
        .stats
        .metrics
        .insert("pool_wait".into(), wait(300_000));
    let f = failure(
        expect(&r)
            .metric("pool_wait")
            .p95()
            .below(ms(50))
            .phase(&burst_name)
            .metric("pool_wait")
            .p95()
            .below(ms(50))
            .run()
            .metric("pool_wiat")
            .p95()
            .below(ms(50))
            .try_verify(),
    );
    let checks = f.checks();
    assert_eq!(checks[0].check, "pool_wait p95");
    assert_eq!(checks[0].actual, "40.0ms");
    assert!(checks[0].passed);
    assert_eq!(checks[1].actual, "300.0ms");
    assert!(!checks[1].passed);
    // A misspelled name fails and lists the names that were recorded.
    assert!(!checks[2].passed);
    assert!(
        checks[2]
            .actual
            .contains("nothing was recorded as `pool_wiat`"),
        "{}",
        checks[2].actual
    );
    assert!(
        checks[2].actual.contains("pool_wait"),
        "{}",
        checks[2].actual
    );
}

#[test]
fn the_failure_message_lists_every_check_then_the_summary() {
    let mut r = report();
    set_errors(&mut r.windows[4].stats, "http_5xx", 3); // 7.50% in window #4
    set_errors(&mut r.phases[1].stats, "http_5xx", 3);
    set_errors(&mut r.total, "http_5xx", 3);
    let f = failure(
        expect(&r)
            .error_rate()
            .below(pct(2))
            .p95()
            .below(ms(100))
            .recovery()
            .within(secs(1))
            .errors("http_5xx")
            .at_most(2)
            .phase("burst")
            .p99()
            .below(ms(250))
            .every_window()
            .error_rate()
            .below(pct(2))
            .try_verify(),
    );
    settings().bind(|| insta::assert_snapshot!(f.message()));
    assert_eq!(f.failed().count(), 3);
}

#[test]
fn verify_panics_once_at_the_callers_line() {
    let r = report();
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let me = std::thread::current().id();
    let previous = std::panic::take_hook();
    let sink = seen.clone();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().id() == me {
            let at = info.location().map(ToString::to_string).unwrap_or_default();
            sink.lock().unwrap().push(at);
        }
    }));
    let chain = expect(&r).throughput().at_least(1e9).p95().below(ms(1));
    let line = line!() + 1;
    let outcome = catch_unwind(AssertUnwindSafe(|| chain.verify()));
    std::panic::set_hook(previous);
    let payload = outcome.expect_err("a failing chain panics");
    let message = payload
        .downcast_ref::<String>()
        .expect("the panic carries the message");
    let here = format!("{}:{line}:", file!());
    assert_eq!(seen.lock().unwrap().len(), 1, "one panic for the chain");
    assert!(
        seen.lock().unwrap()[0].starts_with(&here),
        "panic at {:?}, not at {here}",
        seen.lock().unwrap()
    );
    assert!(message.contains(&format!("  at {here}")), "{message}");
    assert!(
        message.starts_with("spike: 2 of 3 checks failed"),
        "{message}"
    );
}

#[test]
fn try_verify_knows_the_callers_line() {
    let r = report();
    let line = line!() + 1;
    let f = failure(expect(&r).throughput().at_least(1e9).try_verify());
    assert_eq!(f.location().file(), file!());
    assert_eq!(f.location().line(), line);
    // `Debug` is the message too, for tests that return `Result`.
    assert_eq!(format!("{f:?}"), f.to_string());
}

#[test]
fn a_missing_phase_lists_the_phases() {
    let r = report();
    let f = failure(
        expect(&r)
            .phase("brust")
            .p99()
            .below(ms(800))
            .every_window()
            .error_rate()
            .below(pct(2))
            .run()
            .p99()
            .below(ms(800))
            .try_verify(),
    );
    let why = "no phase named `brust`; the phases are: baseline, burst, recover";
    let actual = rows(f.checks(), 3, |c| &c.scope);
    assert_eq!(
        actual,
        [
            ("phase brust", why, false),
            ("every window of brust", why, false),
            ("run", "200.0ms", true)
        ]
    );
}

#[test]
fn a_zero_denominator_fails_saying_so() {
    let mut r = report();
    r.total.counters.insert("cache_lookup".to_owned(), 0);
    let f = failure(
        expect(&r)
            .ratio("cache_hit", "cache_lookup")
            .at_least(pct(0))
            .try_verify(),
    );
    assert_eq!(
        failed_only(&f).actual,
        "undefined: the denominator `cache_lookup` is 0 (cache_hit = 150)"
    );
}

#[test]
fn ratios_compare_as_percentages() {
    let r = report();
    let f = failure(
        expect(&r)
            .ratio("cache_hit", "cache_lookup")
            .above(pct(93.75))
            .ratio("cache_hit", "cache_lookup")
            .at_least(pct(93.75))
            .try_verify(),
    );
    assert_eq!(failed_only(&f).expected, "> 93.75%");
}

#[test]
fn recovery_without_burst_and_recover_says_so() {
    let mut r = report();
    r.recovery = None;
    let f = failure(expect(&r).recovery().recovered().try_verify());
    let c = failed_only(&f);
    assert_eq!(c.expected, "recovered");
    assert_eq!(
        c.actual,
        "not measured: the shape has no burst followed by a recover phase"
    );
}

#[test]
fn recovery_that_never_came_names_the_unhealthy_windows() {
    let mut r = report();
    let rec = r.recovery.as_mut().unwrap();
    rec.recovery_time = None;
    rec.unhealthy_windows = vec![5, 6, 7, 8, 9, 10, 11];
    let f = failure(expect(&r).recovery().within(secs(30)).try_verify());
    assert_eq!(
        failed_only(&f).actual,
        "did not recover in the 500.0ms `recover` phase (unhealthy windows #5, #6, #7, #8, #9 and 2 \
         more)"
    );
}

#[test]
fn recovery_within_includes_its_limit() {
    let r = report(); // recovered 100.0ms after the spike
    let f = failure(
        expect(&r)
            .recovery()
            .within(ms(100))
            .recovery()
            .within(ms(99))
            .recovery()
            .recovered()
            .try_verify(),
    );
    let c = failed_only(&f);
    assert_eq!(c.expected, "recovered ≤ 99.0ms after the spike");
    assert_eq!(c.actual, "recovered 100.0ms after the spike");
}

#[test]
fn errors_count_by_class_and_hint_at_other_classes() {
    let mut r = report();
    set_errors(&mut r.total, "http_5xx", 12);
    set_errors(&mut r.total, "timeout", 3);
    let f = failure(
        expect(&r)
            .errors("http_5xx")
            .at_most(10)
            .errors("timeout")
            .between(1, 3)
            .errors("http5xx")
            .at_most(0)
            .try_verify(),
    );
    let got = rows(f.checks(), 3, |c| &c.check);
    assert_eq!(
        got,
        [
            ("errors http_5xx", "12", false),
            ("errors timeout", "3", true),
            (
                "errors http5xx",
                "0 (classes seen: http_5xx 12, timeout 3)",
                true
            ),
        ]
    );
}

#[test]
fn every_window_finds_the_one_bad_window_of_its_phase() {
    let mut r = report();
    set_errors(&mut r.windows[4].stats, "http_5xx", 3); // 7.50%
    let f = failure(
        expect(&r)
            // The fixture's windows hold 10 samples each (see common).
            .min_samples(10)
            .phase("burst")
            .every_window()
            .error_rate()
            .below(pct(2))
            .phase("baseline")
            .every_window()
            .error_rate()
            .below(pct(2))
            .run()
            .error_rate()
            .below(pct(2))
            .every_window()
            .error_rate()
            .below(pct(2))
            .try_verify(),
    );
    let got = rows(f.checks(), 4, |c| &c.scope);
    assert_eq!(
        got,
        [
            (
                "every window of burst",
                "1 of 2 windows fail; worst window #4 (400.0ms–500.0ms): 7.50%",
                false
            ),
            (
                "every window of baseline",
                "all 3 windows pass; worst window #0 (0µs–100.0ms): 0.00%",
                true
            ),
            ("run", "0.00%", true),
            (
                "every window",
                "1 of 10 windows fail; worst window #4 (400.0ms–500.0ms): 7.50%",
                false
            ),
        ]
    );
}

#[test]
fn every_window_names_the_worst_latency_and_skips_idle_windows() {
    let mut r = report();
    r.windows[9].stats = common::stats(0, 0, ms(100), 0.0, [0; 6]);
    r.windows[9].stats.scheduled = 0;
    let f = failure(
        expect(&r)
            // The fixture's windows hold 10 samples each (see common).
            .min_samples(10)
            .phase("recover")
            .every_window()
            .p95()
            .below(ms(30))
            .try_verify(),
    );
    assert_eq!(
        failed_only(&f).actual,
        "1 of 4 windows fail; worst window #5 (500.0ms–600.0ms): 40.0ms (1 window with no iteration \
         due skipped)"
    );
}

#[test]
fn a_window_with_load_but_nothing_completed_has_no_latency() {
    let mut r = report();
    r.windows[3].stats = common::stats(0, 0, ms(100), 400.0, [0; 6]);
    r.windows[3].stats.scheduled = 40;
    r.windows[3].stats.started = 40;
    let f = failure(
        expect(&r)
            .phase("burst")
            .every_window()
            .p99()
            .below(secs(1))
            .window(3)
            .error_rate()
            .at_most(pct(100))
            .try_verify(),
    );
    let actual: Vec<&str> = f.failed().map(|c| c.actual.as_str()).collect();
    assert_eq!(
        actual,
        [
            "1 of 2 windows fail; worst window #3 (300.0ms–400.0ms): no iteration completed",
            "no iteration completed"
        ]
    );
}

#[test]
fn one_window_by_number() {
    let r = report();
    let f = failure(
        expect(&r)
            // The fixture's windows hold 10 samples each (see common).
            .min_samples(10)
            .window(5)
            .p95()
            .below(ms(30))
            .window(6)
            .p95()
            .below(ms(30))
            .window(12)
            .p95()
            .below(ms(30))
            .try_verify(),
    );
    let got = rows(f.checks(), 3, |c| &c.scope);
    assert_eq!(
        got,
        [
            ("window #5", "40.0ms", false),
            ("window #6", "18.0ms", true),
            (
                "window #12",
                "no window #12; the run has 10 windows, #0 to #9",
                false
            ),
        ]
    );
}

#[test]
fn dropped_counts_in_scope() {
    let mut r = report();
    r.phases[1].stats.dropped = 7;
    r.generator.dropped = 7;
    r.generator.saturated = true;
    let f = failure(
        expect(&r)
            .dropped()
            .at_most(0)
            .phase("burst")
            .dropped()
            .at_most(0)
            .allow_inconclusive()
            .try_verify(),
    );
    let actual = rows(f.checks(), usize::MAX, |c| &c.scope);
    assert_eq!(
        actual,
        [
            ("run", "0", true),
            ("phase burst", "7", false),
            ("generator", "7 dropped", true),
        ]
    );
}

fn tagged(r: &mut Report, counts: &[(&str, u64)]) {
    let values = counts
        .iter()
        .map(|(v, n)| {
            let t = TagStats {
                count: *n,
                errors: 0,
                p50_us: 1,
                p95_us: 1,
                p99_us: 1,
            };
            ((*v).to_owned(), t)
        })
        .collect();
    r.total.tags.insert("x-backend".to_owned(), values);
}

#[test]
fn tag_shares_each_lie_in_the_range() {
    let mut r = report();
    tagged(&mut r, &[("a", 56), ("b", 52), ("c", 52)]);
    let ok = expect(&r)
        .tag_share("x-backend")
        .each_between(pct(25), pct(42))
        .verify();
    assert_eq!(only(ok.checks()).actual, "a 35.00%, b 32.50%, c 32.50%");
    tagged(&mut r, &[("a", 100), ("b", 30), ("c", 30)]);
    let f = failure(
        expect(&r)
            .tag_share("x-backend")
            .each_between(pct(25), pct(42))
            .tag_share("x-backend")
            .each_at_most(pct(62.5))
            .tag_share("x-backend")
            .each_at_least(pct(18.75))
            .tag_share("x-region")
            .each_at_least(pct(1))
            .try_verify(),
    );
    let got = rows(f.checks(), 4, |c| &c.expected);
    assert_eq!(
        got,
        [
            (
                "each ≥ 25.00% and ≤ 42.00%",
                "a 62.50%, b 18.75%, c 18.75%",
                false
            ),
            ("each ≤ 62.50%", "a 62.50%, b 18.75%, c 18.75%", true),
            ("each ≥ 18.75%", "a 62.50%, b 18.75%, c 18.75%", true),
            (
                "each ≥ 1.00%",
                "no iteration carried the tag `x-region`",
                false
            ),
        ]
    );
}

#[test]
fn many_tag_values_show_the_worst() {
    let mut r = report();
    let counts: Vec<(String, u64)> = (0..8).map(|i| (format!("n{i}"), 10 + i)).collect();
    let counts: Vec<(&str, u64)> = counts.iter().map(|(v, n)| (v.as_str(), *n)).collect();
    tagged(&mut r, &counts);
    let f = failure(
        expect(&r)
            .tag_share("x-backend")
            .each_at_most(pct(14))
            .try_verify(),
    );
    // 17 of 108 is 15.74%, 16 of 108 is 14.81%.
    assert_eq!(
        failed_only(&f).actual,
        "2 of 8 values fail; worst n7: 15.74%"
    );
}

#[test]
fn nothing_completed_is_no_latency_and_no_error_rate() {
    let mut r = report();
    r.phases[1].stats = common::stats(0, 0, ms(200), 400.0, [0; 6]);
    let f = failure(
        expect(&r)
            .phase("burst")
            .p95()
            .below(secs(1))
            .error_rate()
            .below(pct(2))
            .service_time()
            .p50()
            .below(secs(1))
            .throughput()
            .at_least(0.0)
            .try_verify(),
    );
    let actual: Vec<(&str, bool)> = f
        .checks()
        .iter()
        .take(4)
        .map(|c| (c.actual.as_str(), c.passed))
        .collect();
    assert_eq!(
        actual,
        [
            ("no iteration completed", false),
            ("no iteration completed", false),
            ("no iteration completed", false),
            ("0/s", true),
        ]
    );
}

#[test]
fn an_inconclusive_report_fails_unless_allowed() {
    let mut r = report();
    r.generator.dropped = 37;
    r.generator.in_flight_cap = 20;
    r.generator.saturated = true;
    r.generator.schedule_lag.p99_us = 40_000;
    r.generator.abandoned = 2;
    r.interrupted = Some("test timeout of 90s reached".to_owned());
    let f = failure(expect(&r).p95().below(secs(1)).try_verify());
    settings().bind(|| insta::assert_snapshot!(f.message()));

    let ok = expect(&r)
        .p95()
        .below(secs(1))
        .allow_inconclusive()
        .verify();
    let guard = &ok.checks()[1];
    assert!(guard.passed);
    assert_eq!(
        guard.actual,
        "37 dropped, lag p99 40.0ms, 2 abandoned, interrupted"
    );
    assert_eq!(
        guard.expected,
        "0 dropped, lag p99 ≤ 25.0ms, not interrupted"
    );
}

#[test]
fn each_reason_alone_makes_a_report_inconclusive() {
    type Spoil = fn(&mut Report);
    let cases: [(&str, &str, Spoil); 4] = [
        (
            "1 dropped",
            "  - 1 iterations were dropped at the in-flight cap of 10000\n",
            |r| {
                r.generator.dropped = 1;
                r.generator.saturated = true;
            },
        ),
        (
            "lag p99 25.0ms",
            "  - schedule lag p99 25.0ms is over the 25.0ms budget\n",
            |r| {
                r.generator.schedule_lag.p99_us = 25_001;
                r.generator.saturated = true;
            },
        ),
        (
            "1 abandoned",
            "  - 1 iterations were abandoned: they blocked their thread and are missing from \
             the metrics\n",
            |r| r.generator.abandoned = 1,
        ),
        ("interrupted", "  - the run was interrupted: stop\n", |r| {
            r.interrupted = Some("stop".to_owned())
        }),
    ];
    for (short, reason, spoil) in cases {
        let mut r = report();
        spoil(&mut r);
        let f = failure(expect(&r).try_verify());
        let c = failed_only(&f);
        assert_eq!(
            (c.check.as_str(), c.actual.as_str()),
            ("load applied as planned", short)
        );
        assert!(f.message().contains("INCONCLUSIVE"), "{f}");
        assert!(f.message().contains(reason), "{f}");
        assert!(
            expect(&r).allow_inconclusive().try_verify().is_ok(),
            "{short}"
        );
    }
    // Lag exactly at the budget is within it.
    let mut r = report();
    r.generator.schedule_lag.p99_us = 25_000;
    assert!(expect(&r).try_verify().is_ok());
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("spike-assert")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// A sink that keeps what assertion chains hand it, and says the checks
/// go to `path`.
struct KeepChecks {
    path: std::path::PathBuf,
    got: Mutex<Vec<(String, Vec<Check>)>>,
}

impl spike_core::sink::Sink for KeepChecks {
    fn checks_evaluated(&self, report: &Report, checks: &[Check]) -> Option<std::path::PathBuf> {
        self.got
            .lock()
            .unwrap()
            .push((report.scenario.clone(), checks.to_vec()));
        Some(self.path.clone())
    }
}

#[test]
fn chains_hand_their_checks_to_the_installed_sinks() {
    let path = std::path::PathBuf::from("somewhere/report.json");
    let sink = Arc::new(KeepChecks {
        path: path.clone(),
        got: Mutex::default(),
    });
    let r = report();
    let (ok, f) = spike_core::installed::Installed::new()
        .sink(sink.clone())
        .sync_scope(|| {
            let ok = expect(&r).p95().below(secs(1)).verify();
            let f = failure(expect(&r).phase("burst").p99().below(ms(1)).try_verify());
            (ok, f)
        });
    let got = sink.got.lock().unwrap().clone();
    assert_eq!(got.len(), 2, "one delivery per chain");
    assert_eq!(got[0], (r.scenario.clone(), ok.checks().to_vec()));
    assert_eq!(got[1], (r.scenario, f.checks().to_vec()));
    assert!(!got[1].1[0].passed);
    assert_eq!(got[1].1[0].scope, "phase burst");
    assert_eq!(ok.report_path(), Some(path.as_path()));
    assert_eq!(f.report_path(), Some(path.as_path()));
    assert!(
        f.message()
            .ends_with(&format!("\n\nreport: {}", path.display())),
        "{f}"
    );
}

/// End to end inside a test context: the checks of two chains are kept
/// with the report in memory and land in `report.json` when the harness
/// writes the artifacts after the body; nothing is on disk before.
#[test]
fn the_written_report_records_the_checks_that_ran() {
    let dir = scratch("records");
    let ctx = spike_core::TestContext::in_dir("records", &dir);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (ok, f) = rt.block_on(ctx.clone().scope(async {
        let shape = spike_core::Shape::builder()
            .hold(spike_core::rps(100), ms(300))
            .build()
            .unwrap();
        let r = spike_core::Scenario::default()
            .shape(shape)
            .window(ms(100))
            .lag_budget(secs(5))
            .run(|_ctx: spike_core::Ctx| async {})
            .await
            .unwrap();
        assert_eq!(r.artifacts.as_deref(), Some(dir.as_path()));
        let ok = expect(&r).error_rate().at_most(pct(0)).verify();
        let f = failure(expect(&r).throughput().at_least(1e9).try_verify());
        (ok, f)
    }));
    let json = dir.join("report.json");
    assert!(!json.exists(), "nothing is written before the body ends");
    assert_eq!(ok.report_path(), Some(json.as_path()));
    assert_eq!(ctx.write_artifacts(), vec![json.clone()]);
    let text = std::fs::read_to_string(&json).expect("report.json exists");
    let saved = serde_json::from_str::<Report>(&text)
        .expect("report.json is a report")
        .checks;
    assert_eq!(saved.len(), 4, "{saved:?}");
    assert_eq!(&saved[..2], ok.checks());
    assert_eq!(&saved[2..], f.checks());
    let html = std::fs::read_to_string(dir.join("report.html")).expect("report.html exists");
    assert!(html.contains("throughput"), "the HTML shows the checks too");
}

#[test]
fn an_unsaved_run_says_where_to_look() {
    let r = report();
    let f = failure(expect(&r).p95().below(ms(1)).try_verify());
    assert_eq!(f.report_path(), None);
    assert!(
        f.message().ends_with(
            "report: not saved (the run was not inside #[spike_test]; `Report::write_to` saves \
             one)"
        ),
        "{f}"
    );
}
